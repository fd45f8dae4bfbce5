//! The mock's log of passthrough upstream calls (conventions C-18): what
//! `POST /v0/auth/password/migrate` ([`crate::api::passthrough`]) asked the upstream, for tests
//! to read and clear.

use axum::extract::State;
use axum::response::Response;

use crate::api::{App, json_response, ok};
use crate::state::views::list;

/// `GET /__mock/passthrough/calls`: upstream consultations, oldest first.
pub(crate) async fn calls(State(app): State<App>) -> Response {
    let world = app.store.read();
    json_response(list(world.passthrough_calls.iter().cloned().collect()))
}

/// `DELETE /__mock/passthrough/calls`.
pub(crate) async fn clear_calls(State(app): State<App>) -> Response {
    app.store.write().passthrough_calls.clear();
    ok()
}
