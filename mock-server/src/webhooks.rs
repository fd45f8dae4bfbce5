//! Delivery of webhooks: the background task that POSTs queued [`DeliveryJob`]s.
//!
//! Each job is sent on its own task with a 5-second timeout and its outcome (status or error) is
//! written back to the delivery log. The API call that caused the event has already answered:
//! a slow or failing receiver never affects it.

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::api::App;
use crate::state::webhooks::DeliveryJob;

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
