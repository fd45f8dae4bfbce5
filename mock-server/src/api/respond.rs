//! The 200 answers handlers build: JSON from a tree or a typed view, `{"message": "OK"}`, and
//! a sign-on's tokens (signed outside any lock).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::Error;
use crate::state::signon::Outcome;

/// Answers a sign-on: signs the tokens (outside any lock) or passes the pending answer on.
pub fn sign_on_response(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Tokens(prepared) => json_response(prepared.sign()),
        Outcome::Pending(body) => json_response(body),
    }
}

/// A 200 JSON response.
pub fn json_response(body: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// A 200 JSON response serialised straight from a typed view (no intermediate JSON tree).
pub fn json_body(body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response(),
        Err(_) => Error::internal().into_response(),
    }
}

/// `{"message": "OK"}`.
pub fn ok() -> Response {
    json_response(serde_json::json!({ "message": "OK" }))
}
