//! The message catalogue (conventions C-6.4): every `message` the API answers with.
//!
//! Documented strings are used verbatim; the rest are the spec's fixed choices, so a client or
//! test can match on them. It lives in the contract because both sides need the same strings:
//! the mock answers with them, the conformance runner expects them of any implementation.

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
pub const PAYLOAD_TOO_LARGE: &str = "Payload content length greater than maximum allowed: 1048576";
pub const INVALID_JSON: &str = "Invalid request payload JSON format";
/// A JSON body (or `data` parameter) nested deeper than the mock's depth limit (`state::bounded::MAX_JSON_DEPTH`, 32 levels).
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
/// `GET /__mock/users` without both `tenantId` and `mode`.
pub const MOCK_USERS_SCOPE: &str = "\"tenantId\" and \"mode\" (test or live) are required";
// Long-polls of the control surface (`?wait=`).
pub const WAIT_DURATION: &str = "\"wait\" must be a duration such as 5s or 500ms, at most 60s";
pub const TOO_MANY_WAITERS: &str = "Too many requests are waiting already (at most 64 at once)";
pub const SINCE_ENTRY_ID: &str = "\"since\" must be the id of an entry (a UUID)";
pub const SINCE_REQUEST_ID: &str = "\"since\" must be the id of a request (an integer)";
pub const WEBHOOK_MODEL: &str = "\"model\" must be one of [user, tenant, link, verificationCode]";
pub const WEBHOOK_ACTION: &str = "\"action\" must be one of [create, update, delete, send]";
// The hostile-token forge (`POST /__mock/tokens`).
pub const MODE_TEST_OR_LIVE: &str = "\"mode\" must be one of [test, live]";
pub const TOKEN_DEFECT: &str = "\"defect\" must be one of [none, alg-none, hs256-public-key, unknown-kid, bad-signature, expired, not-yet-valid, other-tenant, test-for-live, refresh-as-access]";
pub const TEST_FOR_LIVE_MODE: &str =
    "The defect test-for-live forges a live token: give \"mode\": \"live\"";
pub const USER_ID_OR_UUID: &str = "Give \"userId\" or \"userUuid\", not both";

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
