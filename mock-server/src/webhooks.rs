//! Webhooks from the HTTP side: [`emit_user`], the `user` event six handler modules record, and
//! delivery, the background task that POSTs queued [`DeliveryJob`]s.
//!
//! Each job is sent on its own task with a 5-second timeout and its outcome (status or error) is
//! written back to the delivery log. The API call that caused the event has already answered:
//! a slow or failing receiver never affects it.

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::api::{App, Scope};
use crate::state::World;
use crate::state::webhooks::{Action, DeliveryJob, Model};

/// How long a receiver gets to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Connects the store to a new delivery task and starts it.
pub fn start(app: &App) {
    let (tx, rx) = unbounded_channel();
    app.store.write().webhook_tx = Some(tx);
    tokio::spawn(run(app.clone(), rx));
}

async fn run(app: App, mut rx: UnboundedReceiver<DeliveryJob>) {
    while let Some(job) = rx.recv().await {
        tokio::spawn(deliver(app.clone(), job));
    }
}

async fn deliver(app: App, job: DeliveryJob) {
    let mut request = app.http().post(&job.url).timeout(TIMEOUT).json(&job.body);
    if let Some(auth) = &job.authorization {
        request = request.header("authorization", auth);
    }
    let (status, error) = match request.send().await {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    app.store.write().delivery_done(job.id, status, error);
}

/// Records a `user create` or `user update` webhook event for a user of a scope.
pub fn emit_user(world: &mut World, scope: &Scope, action: Action, user_id: u64) {
    let Ok(realm) = world.realm(&scope) else {
        return;
    };
    let record = realm.user_json_by_id(user_id);
    let root = realm.workspace_id.to_string();
    world.emit(&root, scope.mode, Model::User, action, record);
}
