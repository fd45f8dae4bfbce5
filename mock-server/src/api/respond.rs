//! The 200 answers handlers build: JSON from a tree or a typed view, `{"message": "OK"}`, and
//! a sign-on's tokens (signed outside any lock).

use axum::http::{HeaderValue, header};
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
    json_body(&body)
}

/// A 200 JSON response serialised straight from a typed view (no intermediate JSON tree).
pub fn json_body(body: &impl serde::Serialize) -> Response {
    // Most answers (a User, a sign-on) are one to two KiB: one allocation, not five doublings.
    let mut bytes = Vec::with_capacity(2048);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => json_bytes(bytes),
        Err(_) => Error::internal().into_response(),
    }
}

/// A 200 answer of JSON text already serialised. The header value is a constant: a `&str`
/// given to axum is copied into a new buffer on every answer.
pub fn json_bytes(bytes: Vec<u8>) -> Response {
    const JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
    let mut response = Response::new(axum::body::Body::from(bytes));
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    response
}

/// `{"message": "OK"}`.
pub fn ok() -> Response {
    json_response(serde_json::json!({ "message": "OK" }))
}
