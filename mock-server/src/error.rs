//! The one error type of the mock, and the catalogue of error messages.
//!
//! Every failure, from the state layer or from the HTTP edge, is an [`Error`]: a status code, a
//! message and an `error.type`. It renders as the documented body
//! `{"statusCode", "message", "error": {"type"}}` (conventions C-6), optionally with the extra
//! members a few endpoints document (`result` on API key verification, `upstreamResponse` on
//! password migration). The state layer uses the same type so a business-rule refusal needs no
//! translation on its way out; it carries the status as a plain `u16`, not an HTTP type.
//!
//! Messages are data: [`msg`] holds every fixed string, so tests and the conformance suite
//! compare against the same text the server sends.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// The `error.type` member of an error body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The default for every 4xx and 5xx.
    BadRequest,
    /// `POST /v0/auth/basic` with `options.noResetEmail` for a user without a password.
    Intended,
    /// Every 429.
    RateLimit,
}

impl ErrorKind {
    /// The wire name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request_error",
            ErrorKind::Intended => "intended_error",
            ErrorKind::RateLimit => "rate_limit_error",
        }
    }
}

/// A refused request: what the client is told, and with which status.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// HTTP status code (400, 401, 403, 404, 405, 413, 429 or 500).
    pub status: u16,
    /// The human-readable message (see [`msg`]).
    pub message: Cow<'static, str>,
    /// The `error.type` member.
    pub kind: ErrorKind,
    /// Extra top-level members merged into the body (`result`, `upstreamResponse`).
    pub extra: Option<Map<String, Value>>,
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with any status and message, of kind `bad_request_error`.
    pub fn new(status: u16, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            status,
            message: message.into(),
            kind: ErrorKind::BadRequest,
            extra: None,
        }
    }

    /// 400 with the given message.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(400, message)
    }

    /// 400 `"<field>" is required`.
    pub fn required(field: &str) -> Self {
        Self::bad_request(format!("\"{field}\" is required"))
    }

    /// 401 `Unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(401, msg::UNAUTHORIZED)
    }

    /// 401 `Missing authentication`.
    pub fn missing_auth() -> Self {
        Self::new(401, msg::MISSING_AUTHENTICATION)
    }

    /// 403 `Forbidden`.
    pub fn forbidden() -> Self {
        Self::new(403, msg::FORBIDDEN)
    }

    /// 404 `Not Found`.
    pub fn not_found() -> Self {
        Self::new(404, msg::NOT_FOUND)
    }

    /// 404 `User not found`.
    pub fn user_not_found() -> Self {
        Self::new(404, msg::USER_NOT_FOUND)
    }

    /// 429 `Rate limited`, type `rate_limit_error`.
    pub fn rate_limited() -> Self {
        Error {
            kind: ErrorKind::RateLimit,
            ..Self::new(429, msg::RATE_LIMITED)
        }
    }

    /// 500 with the documented message.
    pub fn internal() -> Self {
        Self::new(500, msg::INTERNAL)
    }

    /// Changes the `error.type`.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// Adds a top-level member to the body (for example `result`).
    pub fn with_extra(mut self, key: &str, value: Value) -> Self {
        self.extra
            .get_or_insert_with(Map::new)
            .insert(key.to_owned(), value);
        self
    }

    /// The documented JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "statusCode": self.status,
            "message": self.message,
            "error": { "type": self.kind.as_str() },
        });
        if let (Some(extra), Some(obj)) = (&self.extra, body.as_object_mut()) {
            for (k, v) in extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for Error {}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response.extensions_mut().insert(self);
        response
    }
}

/// The message catalogue (conventions C-6.4), defined by the contract so that the mock and the
/// conformance runner match on the same strings.
pub use userfront_contract::msg;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_documented_shape() {
        let body = Error::rate_limited().body();
        assert_eq!(
            body,
            json!({"statusCode": 429, "message": "Rate limited", "error": {"type": "rate_limit_error"}})
        );
        let body = Error::bad_request(msg::INVALID_API_KEY)
            .with_extra("result", json!({"isActive": false}))
            .body();
        assert_eq!(body["result"]["isActive"], false);
        assert_eq!(body["error"]["type"], "bad_request_error");
    }
}
