//! The mock's log of passthrough upstream calls (conventions C-18): what
//! `POST /v0/auth/password/migrate` ([`crate::api::passthrough`]) asked the upstream, for tests
//! to read and clear.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::api::{App, json_response, ok};
use crate::state::views::list;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new().route("/__mock/passthrough/calls", get(calls).delete(clear_calls))
}

/// `GET /__mock/passthrough/calls`: upstream consultations, oldest first.
async fn calls(State(app): State<App>) -> Response {
    let world = app.store.read();
    json_response(list(world.passthrough_calls.iter().cloned().collect()))
}

/// `DELETE /__mock/passthrough/calls`.
async fn clear_calls(State(app): State<App>) -> Response {
    app.store.write().passthrough_calls.clear();
    ok()
}
