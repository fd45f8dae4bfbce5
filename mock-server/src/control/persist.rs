//! State export on demand (`/__mock/export`); the format is described in
//! [`crate::state::persist`].
//!
//! `GET` answers the state file itself (checked to load again; 500 when it would not). `POST` saves it, now, to the path the mock was started
//! with (`--export-on-exit`): only there, because the control surface needs no credentials and
//! must not let a caller write files anywhere the process can.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::{App, json_response};
use crate::error::{Error, Result, msg};
use crate::state::persist;

/// `GET /__mock/export`: the whole state, as a state file. The text is checked to load again
/// before it is answered; a state that would not is a 500 with the reason, never a 200 with a
/// file `--import` refuses.
pub(crate) async fn export(State(app): State<App>) -> Result<Response> {
    let state = persist::export(&app.store.read());
    let bytes = tokio::task::spawn_blocking(move || persist::to_checked_json(&state))
        .await
        .map_err(|_| Error::internal())?
        .map_err(not_saved)?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        bytes,
    )
        .into_response())
}

/// 500 with the reason the state could not be exported or saved.
fn not_saved(reason: String) -> Error {
    Error::new(500, format!("{}: {reason}", msg::STATE_NOT_SAVED))
}

/// `POST /__mock/export`: writes the state file to the `--export-on-exit` path now.
pub(crate) async fn save(State(app): State<App>) -> Result<Response> {
    let path = app.export_path.clone().ok_or_else(|| {
        Error::bad_request(
            "No export path: start the mock with --export-on-exit PATH (or GET /__mock/export)",
        )
    })?;
    let state = persist::export(&app.store.read());
    let written = tokio::task::spawn_blocking(move || persist::write(&state, &path))
        .await
        .map_err(|_| Error::internal())?
        .map_err(not_saved)?;
    Ok(json_response(json!({
        "message": "OK",
        "path": written.display().to_string(),
    })))
}
