//! The HTTP face of the mock: one module per API area, and what they share.
//!
//! Shared here: the application handle ([`App`]), the router with its documented fallbacks
//! (404 unknown route, 405 wrong method, 413 body over 1 MiB, 500 on a bug, all in the error
//! format), and the extractors every handler uses:
//!
//! - [`Body`]: the JSON body as an object, checked against the route's request schema
//!   ([`crate::schema`]) and with typed accessors that refuse wrong types with a message naming
//!   the field;
//! - [`Ctx`]: what a browser request says about itself (origin, bearer, query, address);
//! - [`PathTenant`]: the `{tenantId}` of the tenant form of a path, if any;
//! - [`Admin`] / [`Reader`]: server-to-server credentials (conventions C-5), checked in the
//!   documented order;
//! - [`UserAuth`]: a user's access token, verified against its realm's key, session and user.

pub mod auth;
pub mod control;
pub mod docs;
pub mod forge;
pub mod guard;
pub mod imports;
pub mod journal;
pub mod jwt;
pub mod keys;
pub mod mfa;
pub mod misc;
pub mod passthrough;
pub mod persist;
pub mod pkce;
pub mod profile;
pub mod roles;
pub mod saml;
pub mod session;
pub mod sso;
pub mod tenants;
pub mod users;
pub mod wait;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, RawPathParams,
    Request,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{Error, Result, msg};
use crate::password::Hasher;
use crate::state::model::{KeyType, Mode};
use crate::state::signon::Outcome;
use crate::state::tenants::Reach;
use crate::state::{Store, World};

/// Largest accepted request body (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// Everything a handler needs: the state, the password hasher, an HTTP client for outgoing calls.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub hasher: Hasher,
    /// The request journal (`/__mock/requests`).
    pub journal: journal::Journal,
    /// Where the state is saved on exit and by `POST /__mock/export` (`--export-on-exit`).
    pub export_path: Option<Arc<std::path::Path>>,
    /// Long-polls in progress (`?wait=`), ended at shutdown.
    pub waits: wait::Waits,
    http: Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl App {
    /// A handle on `store`.
    pub fn new(store: Store) -> Self {
        App {
            store,
            hasher: Hasher,
            journal: journal::Journal::default(),
            export_path: None,
            waits: wait::Waits::default(),
            http: Arc::default(),
        }
    }

    /// The same, keeping the last `size` requests in the journal (0: no journal).
    pub fn with_journal_size(mut self, size: usize) -> Self {
        self.journal = journal::Journal::new(size);
        self
    }

    /// The same, saving the state to `path` on exit and on `POST /__mock/export`.
    pub fn with_export_path(mut self, path: Option<&std::path::Path>) -> Self {
        self.export_path = path.map(Arc::from);
        self
    }

    /// The HTTP client for outgoing calls (webhooks, passthrough), built on first use so that
    /// start-up does not pay for TLS set-up.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(reqwest::Client::new)
    }
}

/// The complete router of the mock.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(session::routes())
        .merge(profile::routes())
        .merge(misc::routes())
        .merge(docs::routes())
        .merge(jwt::routes())
        .merge(users::routes())
        .merge(tenants::routes())
        .merge(roles::routes())
        .merge(imports::routes())
        .merge(keys::routes())
        .merge(mfa::routes())
        .merge(sso::routes())
        .merge(saml::routes())
        .merge(pkce::routes())
        .merge(passthrough::routes())
        .merge(control::routes())
        .merge(journal::routes())
        .merge(persist::routes())
        .merge(wait::routes())
        .merge(forge::routes())
        .fallback(|| async { Error::not_found() })
        .method_not_allowed_fallback(|| async { Error::new(405, msg::METHOD_NOT_ALLOWED) })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| Error::internal().into_response(),
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            journal::record,
        ))
        .layer(cors())
        .with_state(app)
}

/// Cross-origin access for browser apps, as the real API allows it: a page on
/// `http://localhost:3000` calls the mock on another port, and its browser (or jsdom) sends a
/// preflight for the JSON body and the `authorization` and `x-userfront-source` headers. Any
/// origin, method and header is allowed, with credentials; the mock is a local test tool.
fn cors() -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(86_400))
}

/// Registers `method_router` at a `/v0/...` path and at its tenant form
/// `/v0/tenants/{tenantId}/...` (conventions C-2).
pub fn dual(router: Router<App>, path: &str, method_router: MethodRouter<App>) -> Router<App> {
    let rest = path.strip_prefix("/v0").unwrap_or(path);
    router
        .route(path, method_router.clone())
        .route(&format!("/v0/tenants/{{tenantId}}{rest}"), method_router)
}

/// A named path parameter. Handlers registered with [`dual`] read their parameters by name
/// (`Path<HashMap<String, String>>`), because the two path forms have different counts.
pub fn path_param<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(Error::not_found)
}

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

// ---------------------------------------------------------------------------------------------
// Body

/// A JSON request body; an absent body reads as `{}`; one nested deeper than
/// [`MAX_JSON_DEPTH`] levels is refused with 400 ([`parse_json`]). Before a handler sees it, it is checked
/// against the request schema of the route (`schemas/openapi.json`): a body that does not match
/// is refused with 400 and the API's wording of the first problem (`"email" must be a string`,
/// `Email format is invalid`, ...). Missing fields are left to the handler, which checks them in
/// the documented order. The schemas allow members they do not list (C-1).
#[derive(Clone, Debug, Default)]
pub struct Body(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        // The route template and method pick the request schema (`schemas/openapi.json`).
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        let method = req.method().clone();
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::new(413, msg::PAYLOAD_TOO_LARGE)
            } else {
                Error::bad_request(msg::INVALID_JSON)
            }
        })?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            match parse_json(&bytes)? {
                body @ Value::Object(_) => body,
                _ => return Err(Error::bad_request("\"value\" must be of type object")),
            }
        };
        if let Some(message) =
            route.and_then(|route| crate::schema::request_refusal(method.as_str(), &route, &body))
        {
            return Err(Error::bad_request(message));
        }
        match body {
            Value::Object(map) => Ok(Body(map)),
            _ => Ok(Body::default()),
        }
    }
}

/// Nesting limit of JSON from outside (bodies, the SSO `data` parameter); see
/// [`crate::state::bounded::MAX_JSON_DEPTH`].
pub use crate::state::bounded::MAX_JSON_DEPTH;

/// Parses JSON from outside: 400 `Invalid request payload JSON format` when it is not JSON,
/// 400 [`msg::JSON_TOO_DEEP`] when it nests deeper than [`MAX_JSON_DEPTH`] levels. Deeper
/// documents are refused here, at the edge, because what is stored must still load when the
/// state file wraps it in a few more levels (the JSON parser stops at 128).
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) if crate::state::bounded::json_depth(&value) > MAX_JSON_DEPTH => {
            Err(Error::bad_request(msg::JSON_TOO_DEEP))
        }
        Ok(value) => Ok(value),
        // The parser's own limit (128 levels) is the same refusal, said the same way.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            Err(Error::bad_request(msg::JSON_TOO_DEEP))
        }
        Err(_) => Err(Error::bad_request(msg::INVALID_JSON)),
    }
}

fn type_error(key: &str, kind: &str) -> Error {
    Error::bad_request(format!("\"{key}\" must be {kind}"))
}

impl Body {
    /// The raw value of a member (`null` counts as absent).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// An optional string member.
    pub fn str(&self, key: &str) -> Result<Option<&str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(type_error(key, "a string")),
        }
    }

    /// A required, non-empty string member.
    pub fn required_str(&self, key: &str) -> Result<&str> {
        match self.str(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(Error::required(key)),
        }
    }

    /// An optional boolean member.
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(type_error(key, "a boolean")),
        }
    }

    /// An optional positive integer member (numbers and numeric strings).
    pub fn u64(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            // `3.0` is an integer too (JSON Schema counts numbers by value, not spelling).
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < 9.0e15)
                        .map(|f| f as u64)
                })
                .filter(|&n| n > 0)
                .map(Some)
                .ok_or_else(|| type_error(key, "a positive integer")),
            // A blank string is no value, as `null` is.
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .map(Some)
                .ok_or_else(|| type_error(key, "a positive integer")),
            Some(_) => Err(type_error(key, "a positive integer")),
        }
    }

    /// An optional object member.
    pub fn object(&self, key: &str) -> Result<Option<&Map<String, Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(type_error(key, "of type object")),
        }
    }

    /// A code member that may be sent as a string or a number (verification and TOTP codes).
    pub fn code(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) if n.is_u64() => {
                Ok(Some(format!("{:06}", n.as_u64().unwrap_or(0))))
            }
            Some(_) => Err(type_error(key, "a string")),
        }
    }

    /// The `options` object (empty when absent).
    pub fn options(&self) -> Result<Body> {
        Ok(Body(self.object("options")?.cloned().unwrap_or_default()))
    }

    /// `options.<key>` as a boolean, false when absent.
    pub fn option_flag(&self, key: &str) -> Result<bool> {
        Ok(self.options()?.bool(key)?.unwrap_or(false))
    }
}

// ---------------------------------------------------------------------------------------------
// Request context

/// What a client request says about itself.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// The calling page origin: `x-origin`, else `Origin`, else `x-application-id` (C-4.2).
    pub origin: Option<String>,
    /// The bearer credential of the `Authorization` header.
    pub bearer: Option<String>,
    /// Query parameters.
    pub query: HashMap<String, String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The credential of `Authorization: Bearer <credential>` (scheme case-insensitive). Read on
/// every authenticated request, so it copies the credential once and nothing else.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, credential) = value.split_once(' ')?;
    let credential = credential.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty()).then(|| credential.to_owned())
}

/// The calling page origin: `x-origin`, else `Origin`, else `x-application-id` (C-4.2).
pub fn origin(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "x-origin")
        .or_else(|| header_str(headers, "origin"))
        .or_else(|| header_str(headers, "x-application-id"))
}

/// Parses a query string into a map (later duplicates win).
pub fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    query
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let headers = &parts.headers;
        let query = parse_query(parts.uri.query());
        let origin = origin(headers);
        let ip = header_str(headers, "x-forwarded-for")
            .and_then(|v| v.split(',').next().map(|s| s.trim().to_owned()))
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip().to_string())
            });
        Ok(Ctx {
            origin,
            bearer: bearer(headers),
            query,
            ip,
            user_agent: header_str(headers, "user-agent"),
        })
    }
}

/// Whether `host` is `localhost` or a private IPv4 address (never live, C-4.2).
fn is_local_host(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let octets: Vec<u8> = host.split('.').filter_map(|p| p.parse().ok()).collect();
    if octets.len() != 4 || host.split('.').count() != 4 {
        return false;
    }
    matches!(octets[..], [127, ..] | [10, ..] | [192, 168, ..])
        || (octets[0] == 172 && (16..=31).contains(&octets[1]))
}

/// The mode of a client request to `tenant_id` (conventions C-4.2 steps 2–4): live only for an
/// `https` origin on a live domain of a workspace that activated live mode.
pub fn detect_mode(world: &World, tenant_id: &str, origin: Option<&str>) -> Result<Mode> {
    let workspace = world.workspace_of(tenant_id)?;
    let Some(origin) = origin else {
        return Ok(Mode::Test);
    };
    let Some(rest) = origin.strip_prefix("https://") else {
        return Ok(Mode::Test);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(authority, |(h, _)| h)
        .to_lowercase();
    let live = workspace.has_activated_live_mode
        && !is_local_host(&host)
        && workspace.live_domains.iter().any(|domain| {
            let domain = domain.to_lowercase();
            host == domain || host.ends_with(&format!(".{domain}"))
        });
    Ok(if live { Mode::Live } else { Mode::Test })
}

/// The mode a firstFactorToken belongs to.
pub fn first_factor_mode(token: &str) -> Option<Mode> {
    if token.starts_with("uf_test_first_factor_") {
        Some(Mode::Test)
    } else if token.starts_with("uf_live_first_factor_") {
        Some(Mode::Live)
    } else {
        None
    }
}

impl Ctx {
    /// The firstFactorToken of the request, if the bearer is one.
    pub fn first_factor_token(&self) -> Option<&str> {
        self.bearer
            .as_deref()
            .filter(|t| first_factor_mode(t).is_some())
    }

    /// The base of links and redirects for a workspace and mode (conventions C-8.2).
    pub fn base_url(&self, world: &World, tenant_id: &str, mode: Mode) -> Result<String> {
        let workspace = world.workspace_of(tenant_id)?;
        Ok(crate::state::messages::base_url(
            self.origin.as_deref(),
            workspace,
            mode,
        ))
    }

    /// `code_challenge` and its method when the sign-on asked for PKCE.
    pub fn code_challenge(&self) -> Option<(String, String)> {
        self.query
            .get("code_challenge")
            .filter(|c| !c.is_empty())
            .map(|c| {
                let method = self
                    .query
                    .get("code_challenge_method")
                    .cloned()
                    .unwrap_or_else(|| "S256".to_owned());
                (c.clone(), method)
            })
    }
}

/// The tenant and mode a client endpoint acts on.
#[derive(Clone, Debug)]
pub struct Scope {
    pub tenant_id: String,
    pub mode: Mode,
}

/// The `{tenantId}` path segment of the tenant form, if the route has one.
#[derive(Clone, Debug, Default)]
pub struct PathTenant(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for PathTenant {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::bad_request("Invalid path"))?;
        Ok(PathTenant(
            params
                .iter()
                .find(|(name, _)| *name == "tenantId")
                .map(|(_, value)| value.to_owned()),
        ))
    }
}

impl PathTenant {
    /// The tenant and mode of a client request: the path tenant wins over the body's
    /// `tenantId` (C-2.1); the mode comes from a firstFactorToken, else from the origin (C-4.2).
    pub fn client_scope(&self, world: &World, body: &Body, ctx: &Ctx) -> Result<Scope> {
        let tenant_id = match &self.0 {
            Some(t) => t.clone(),
            None => body.required_str("tenantId")?.trim().to_owned(),
        };
        let mode = match ctx.first_factor_token().and_then(first_factor_mode) {
            Some(mode) => mode,
            None => detect_mode(world, &tenant_id, ctx.origin.as_deref())?,
        };
        world.realm_of(&tenant_id, mode)?;
        Ok(Scope { tenant_id, mode })
    }
}

// ---------------------------------------------------------------------------------------------
// User tokens

/// How a user token is being used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    /// An access token on a JWT-authenticated endpoint.
    Access,
    /// A refresh token on `GET /v0/auth/refresh`.
    Refresh,
    /// Logout: access or refresh token, expired allowed, ended session allowed.
    Logout,
}

/// A verified user token.
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    pub mode: Mode,
    /// The tenant of the token's `tenantId` claim.
    pub tenant_id: String,
    pub user_id: Option<u64>,
    pub session_id: Option<Uuid>,
    /// A custom JWT (`POST /v0/auth/jwt`): its claims were written by the key that minted it,
    /// not by the API, so its `authorization` proves nothing beyond that key's reach.
    pub custom: bool,
    pub claims: Arc<Value>,
}

/// Verifies a user token: signature with the key of its realm, type, expiry on the mock clock,
/// live session and existing, unlocked user. Every refusal is a 401 (`Invalid token` for refresh
/// tokens, `Unauthorized` otherwise).
pub fn verify_user_token(world: &World, token: &str, usage: TokenUse) -> Result<VerifiedToken> {
    let refuse = || match usage {
        TokenUse::Refresh => Error::new(401, msg::INVALID_TOKEN),
        _ => Error::unauthorized(),
    };
    let (tenant_id, mode) = peek_realm(token).ok_or_else(refuse)?;
    let realm = world.realm_of(&tenant_id, mode).map_err(|_| refuse())?;
    let claims = realm.signing.verify(token).map_err(|_| refuse())?;
    let is_refresh = claims.get("type").and_then(Value::as_str) == Some("refresh");
    let has_type = claims.get("type").is_some();
    match usage {
        TokenUse::Refresh if !is_refresh => return Err(refuse()),
        TokenUse::Access if has_type => return Err(refuse()),
        TokenUse::Logout if has_type && !is_refresh => return Err(refuse()),
        _ => {}
    }
    let now = world.now();
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(refuse)?;
    if usage != TokenUse::Logout && crate::state::jwt::unix(now) >= exp {
        return Err(refuse());
    }
    // The mock never sets `nbf`; a token that does is refused before its time (the forge's
    // `not-yet-valid`).
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    if usage != TokenUse::Logout && nbf.is_some_and(|nbf| crate::state::jwt::unix(now) < nbf) {
        return Err(refuse());
    }
    let session_id = claims
        .get("sessionId")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok());
    let user_id = claims.get("userId").and_then(Value::as_u64);
    if usage == TokenUse::Logout {
        // An ID token verifies too, but is not a credential: only access tokens of a normal
        // sign-on carry `authorization` (custom-JWT sessions carry their own payload).
        let is_id_token = !is_refresh
            && claims.get("authorization").is_none()
            && session_id
                .and_then(|id| realm.sessions.get(&id))
                .is_some_and(|s| s.custom.is_none());
        if is_id_token {
            return Err(refuse());
        }
        return Ok(VerifiedToken {
            mode,
            tenant_id,
            user_id,
            session_id,
            custom: session_id
                .and_then(|id| realm.sessions.get(&id))
                .is_some_and(|s| s.custom.is_some()),
            claims,
        });
    }
    let session = session_id
        .and_then(|id| realm.sessions.get(&id))
        .ok_or_else(refuse)?;
    if !session.is_active(now) {
        return Err(refuse());
    }
    if session.custom.is_none() {
        // Tokens of a normal sign-on name the session's user and carry `authorization`
        // (ID tokens do not, and are not credentials).
        if session.user_id.is_none() || session.user_id != user_id {
            return Err(refuse());
        }
        if usage == TokenUse::Access && claims.get("authorization").is_none() {
            return Err(refuse());
        }
    }
    if let Some(id) = session.user_id {
        let user = realm.users.get(&id).ok_or_else(refuse)?;
        if user.locked && usage == TokenUse::Access {
            return Err(refuse());
        }
    }
    Ok(VerifiedToken {
        mode,
        tenant_id,
        user_id: session.user_id,
        session_id,
        custom: session.custom.is_some(),
        claims,
    })
}

/// The `tenantId` and `mode` claims of a token, read without checking anything, to find the key
/// that must verify it. Only these two members are deserialised (borrowed where possible): this
/// runs on every authenticated request, and parsing the whole payload into a JSON tree cost
/// more than the rest of the token check.
fn peek_realm(token: &str) -> Option<(String, Mode)> {
    use base64::Engine;
    use std::borrow::Cow;
    #[derive(serde::Deserialize)]
    struct Peek<'a> {
        #[serde(rename = "tenantId", borrow)]
        tenant_id: Option<Cow<'a, str>>,
        #[serde(borrow)]
        mode: Option<Cow<'a, str>>,
    }
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let peek: Peek = serde_json::from_slice(&bytes).ok()?;
    let mode = Mode::parse(peek.mode.as_deref()?)?;
    Some((peek.tenant_id?.into_owned(), mode))
}

/// A request authenticated by a user's access token.
#[derive(Clone, Debug)]
pub struct UserAuth {
    pub mode: Mode,
    pub tenant_id: String,
    pub user_id: u64,
    pub session_id: Uuid,
}

impl FromRequestParts<App> for UserAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        let token = bearer(&parts.headers).ok_or_else(Error::missing_auth)?;
        let world = app.store.read();
        let verified = verify_user_token(&world, &token, TokenUse::Access)?;
        match (verified.user_id, verified.session_id) {
            (Some(user_id), Some(session_id)) => Ok(UserAuth {
                mode: verified.mode,
                tenant_id: verified.tenant_id,
                user_id,
                session_id,
            }),
            _ => Err(Error::unauthorized()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// API keys

/// A server-to-server caller that passed the checks of conventions C-5.
#[derive(Clone, Debug)]
pub struct KeyAuth {
    pub mode: Mode,
    /// The tenant that owns the credential.
    pub key_tenant: String,
    /// The tenant acted on: the path `{tenantId}`, else the key's tenant.
    pub tenant_id: String,
    /// The API key itself (`None` for a user access token standing in for a key).
    pub key: Option<String>,
}

impl KeyAuth {
    /// The tenant and mode the call acts on.
    pub fn scope(&self) -> Scope {
        Scope {
            tenant_id: self.tenant_id.clone(),
            mode: self.mode,
        }
    }

    /// The users of the shared pool this credential may change or sign in as: all of them for
    /// a workspace credential, only those without a role outside its subtree for a child
    /// tenant's (see [`Reach`]).
    pub fn reach(&self, world: &World) -> Result<Reach> {
        Ok(world
            .realm_of(&self.key_tenant, self.mode)?
            .reach_of(&self.key_tenant))
    }

    /// 403 unless this credential may change or sign in as `user_id` (404: no such user).
    pub fn check_user(&self, world: &World, user_id: u64) -> Result<()> {
        let reach = self.reach(world)?;
        world
            .realm_of(&self.tenant_id, self.mode)?
            .check_reach(&reach, user_id)
    }
}

/// Checks a server credential (C-5 order: missing 401, unknown 401, type 403, tenant 403).
pub fn authenticate_key(
    world: &World,
    credential: Option<&str>,
    path_tenant: Option<&str>,
    query: &HashMap<String, String>,
    need_admin: bool,
) -> Result<KeyAuth> {
    let credential = credential.ok_or_else(Error::missing_auth)?;
    let (mode, key_tenant, admin, key) = if credential.starts_with("uf_") {
        let key = world
            .api_keys
            .get(credential)
            .filter(|k| k.is_active)
            .filter(|k| {
                credential.starts_with(&format!("uf_{}_{}_", k.mode.as_str(), k.key_type.as_str()))
            })
            .ok_or_else(Error::unauthorized)?;
        let admin = match key.key_type {
            KeyType::Admin => true,
            KeyType::Readonly => false,
            KeyType::Webhook => return Err(Error::forbidden()),
        };
        (
            key.mode,
            key.tenant_id.to_string(),
            admin,
            Some(credential.to_owned()),
        )
    } else {
        // A user access token standing in for a key (C-5, last paragraph).
        let token = verify_user_token(world, credential, TokenUse::Access)?;
        let target = path_tenant.unwrap_or(&token.tenant_id).to_owned();
        // A token speaks only for tenants of its own workspace, whatever its `authorization`
        // claims (a custom JWT's payload is chosen by the caller).
        if let (Ok(home), Ok(own)) = (world.home(&target), world.home(&token.tenant_id))
            && home.workspace != own.workspace
        {
            return Err(Error::forbidden());
        }
        let roles: Vec<&str> = token.claims["authorization"][target.as_str()]["roles"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if roles.is_empty() {
            return Err(Error::forbidden());
        }
        let mode = if query.get("test").map(String::as_str) == Some("true") {
            Mode::Test
        } else {
            token.mode
        };
        // A token signed in through the API holds the rights of its roles in `target`. A custom
        // JWT's `authorization` was chosen by the key that minted it, so it holds them only as
        // far as that key could reach: it stands for the tenant it was minted for (its
        // `tenantId`), and the tenant rule below keeps `target` in that tenant's subtree.
        let holder = if token.custom {
            token.tenant_id
        } else {
            target
        };
        (mode, holder, roles.contains(&"admin"), None)
    };
    if need_admin && !admin {
        return Err(Error::forbidden());
    }
    let tenant_id = path_tenant.unwrap_or(&key_tenant).to_owned();
    let realm = world.realm_of(&tenant_id, mode).map_err(|e| {
        // A tenant of another workspace exists but is not the caller's business.
        if world.home(&tenant_id).is_ok()
            && world.workspace_of(&tenant_id).ok().map(|w| &*w.tenant_id)
                != world.workspace_of(&key_tenant).ok().map(|w| &*w.tenant_id)
        {
            Error::forbidden()
        } else {
            e
        }
    })?;
    if tenant_id != key_tenant {
        let ancestors = realm.ancestors(&tenant_id);
        let allowed = ancestors.iter().take(2).any(|a| **a == *key_tenant);
        if !allowed {
            return Err(Error::forbidden());
        }
    }
    Ok(KeyAuth {
        mode,
        key_tenant,
        tenant_id,
        key,
    })
}

async fn key_auth(parts: &mut Parts, app: &App, need_admin: bool) -> Result<KeyAuth> {
    let PathTenant(path_tenant) = PathTenant::from_request_parts(parts, app).await?;
    let credential = bearer(&parts.headers);
    let query = parse_query(parts.uri.query());
    let world = app.store.read();
    authenticate_key(
        &world,
        credential.as_deref(),
        path_tenant.as_deref(),
        &query,
        need_admin,
    )
}

/// An admin credential (admin API key, or an access token with the `admin` role).
#[derive(Clone, Debug)]
pub struct Admin(pub KeyAuth);

impl FromRequestParts<App> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        key_auth(parts, app, true).await.map(Admin)
    }
}

/// An admin or read-only credential.
#[derive(Clone, Debug)]
pub struct Reader(pub KeyAuth);

impl FromRequestParts<App> for Reader {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        key_auth(parts, app, false).await.map(Reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts_are_never_live() {
        for host in [
            "localhost",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.9.9",
            "192.168.1.1",
        ] {
            assert!(is_local_host(host), "{host}");
        }
        for host in ["example.com", "172.32.0.1", "8.8.8.8", "10.example.com"] {
            assert!(!is_local_host(host), "{host}");
        }
    }
}
