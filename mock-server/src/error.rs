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

/// The message catalogue (conventions C-6.4). Documented strings are used verbatim; the rest are
/// the spec's fixed choices, so a client or test can match on them.
pub mod msg {
    pub const INCORRECT_EMAIL_OR_PASSWORD: &str = "Incorrect email or password";
    pub const PASSWORD_RULES: &str = "Password must be at least 16 characters OR at least 8 characters including a number and a letter";
    pub const EMAIL_FORMAT: &str = "Email format is invalid";
    pub const EMAIL_EXISTS: &str = "Email exists";
    pub const INVALID_TOKEN: &str = "Invalid token";
    pub const INVALID_TOTP_CODE: &str = "Invalid TOTP code";
    pub const INVALID_VERIFICATION_CODE: &str = "Invalid verificationCode";
    pub const PHONE_NOT_FOUND: &str = "\"phoneNumber\" not found or not yet verified";
    pub const PHONE_FORMAT: &str = "Phone number must be in E.164 format.";
    pub const MISSING_INFORMATION: &str = "Missing information";
    pub const INCORRECT_PASSWORD: &str = "Incorrect password";
    pub const UNAUTHORIZED: &str = "Unauthorized";
    pub const MISSING_AUTHENTICATION: &str = "Missing authentication";
    pub const FORBIDDEN: &str = "Forbidden";
    /// A `redirect` that is not a path of the app (an absolute URL, `//host`, a control
    /// character): sign-on redirects stay on the tenant's own origin.
    pub const INVALID_REDIRECT: &str = "Invalid redirect";
    /// An SSO `origin` that is not an allowed origin of the tenant.
    pub const INVALID_ORIGIN: &str = "Invalid origin";
    /// A `redirect_uri` of the fake SSO provider that is not the mock's own callback.
    pub const INVALID_REDIRECT_URI: &str = "Invalid redirect_uri";
    pub const NOT_FOUND: &str = "Not Found";
    pub const METHOD_NOT_ALLOWED: &str = "Method Not Allowed";
    pub const PAYLOAD_TOO_LARGE: &str =
        "Payload content length greater than maximum allowed: 1048576";
    pub const INVALID_JSON: &str = "Invalid request payload JSON format";
    /// A JSON body (or `data` parameter) nested deeper than `state::bounded::MAX_JSON_DEPTH`.
    pub const JSON_TOO_DEEP: &str = "JSON nested deeper than 32 levels";
    /// `/__mock/export` could not produce a state file that loads again, or write it.
    pub const STATE_NOT_SAVED: &str = "The state was not saved";
    pub const INTERNAL: &str = "An internal server error occurred";
    pub const INVALID_API_KEY: &str = "Invalid API key";
    pub const USERNAME_EXISTS: &str = "Username exists";
    pub const PHONE_EXISTS: &str = "Phone number exists";
    pub const USER_ID_EXISTS: &str = "User ID exists";
    pub const USER_NOT_FOUND: &str = "User not found";
    pub const USER_LOCKED: &str = "User is locked";
    pub const TOKEN_EXPIRED: &str = "Token expired";
    pub const RATE_LIMITED: &str = "Rate limited";
    pub const ROLE_EXISTS: &str = "Role exists";
    pub const ROLE_ASSIGNED: &str = "Role is assigned to one or more users";
    pub const INVALID_ROLE_NAME: &str = "Invalid role name";
    pub const INVALID_DURATION: &str = "Invalid duration";
    pub const INVALID_FILTERS: &str = "Invalid filters";
    pub const CLOCK_ADVANCE_NUMBER: &str = "\"advanceSeconds\" must be a number";
    pub const CLOCK_NOW_DATE: &str = "\"now\" must be an ISO 8601 date";
    pub const CLOCK_OUT_OF_RANGE: &str =
        "The mock clock must stay between 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z";
    pub const CLOCK_ONE_OF: &str = "Give exactly one of \"advanceSeconds\" or \"now\"";
    pub const INVALID_ORDER: &str = "Invalid order";
    pub const KEY_VERIFY_ITSELF: &str = "An API key cannot be used to verify itself";
    pub const INVALID_KEY_TYPE: &str = "Invalid key type";
    pub const RESERVED_PAYLOAD: &str =
        "Payload cannot include \"tenantId\", \"sessionId\", \"mode\", \"exp\", or \"iat\"";
    pub const SAML_LIVE_ONLY: &str = "SAML is only available in live mode";
    pub const INVALID_CHANNEL: &str = "Invalid channel";
    pub const TOTP_NOT_SET_UP: &str = "TOTP is not set up";
    pub const INVALID_BACKUP_CODE: &str = "Invalid backup code";
    pub const INVALID_CODE_VERIFIER: &str = "Invalid code verifier";
    pub const LIVE_PASSWORD_IMPORT: &str = "Passwords can only be imported in test mode";
    pub const SMS_NEEDS_PHONE: &str = "SMS verification code requires \"phoneNumber\"";
    pub const EMAIL_NEEDS_EMAIL: &str = "Email verification code requires \"email\"";
    pub const SESSION_OR_USER_REQUIRED: &str = "\"sessionId\" or \"userUuid\" is required";
    pub const USER_ID_OR_UUID_REQUIRED: &str = "\"userId\" or \"userUuid\" is required";
    pub const INVALID_PROVIDER: &str = "Invalid provider";
    pub const INVALID_LINK_TYPE: &str = "Invalid link type";
    pub const NO_SAML_SP: &str = "No SAML service provider configured";
    pub const IMPORT_PROCESSED: &str = "Import already processed";
    pub const DELETE_WORKSPACE: &str = "Cannot delete a workspace";
    pub const SESSION_NOT_FOUND: &str = "Session not found";
    // Refusals at the connection edge (`conn`, `api::guard`), before any route runs.
    pub const MALFORMED_REQUEST: &str = "Malformed HTTP request";
    pub const URI_TOO_LONG: &str = "URI too long";
    pub const HEADERS_TOO_LARGE: &str = "Request header fields too large";
    pub const BODY_TIMEOUT: &str = "Request body timeout";
    pub const BODY_UNREADABLE: &str = "The request body could not be read";
    pub const CONTROL_ORIGIN: &str =
        "The control surface answers only local pages and --control-origin origins";
    pub const CONTROL_HOST: &str =
        "The control surface answers only a loopback Host when bound to a loopback address";

    /// `Role "<name>" not found`.
    pub fn role_not_found(name: &str) -> String {
        format!("Role \"{name}\" not found")
    }

    /// `Invalid claim "<name>"`.
    pub fn invalid_claim(name: &str) -> String {
        format!("Invalid claim \"{name}\"")
    }

    /// The refusal to invalidate the last active key of a type.
    pub fn last_key_invalidate(kind: &str) -> String {
        format!(
            "Cannot invalidate the only active {kind} API key. Please create another {kind} API key, then try again."
        )
    }

    /// The refusal to delete the last active key of a type.
    pub fn last_key_delete(kind: &str) -> String {
        format!(
            "Cannot delete the only active {kind} API key. Please create another {kind} API key, then try again."
        )
    }
}

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
