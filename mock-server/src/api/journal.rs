//! The request journal (`/__mock/requests`): what apps called, so a test can assert on it.
//!
//! A middleware ([`record`]) keeps the last N requests to the Userfront API (default 1,000;
//! `--journal-size`, 0 turns it off): method, path, query, headers, request and response
//! bodies, status, mock time and duration. Calls to the control surface (`/__mock/...`) and
//! CORS preflights are not recorded.
//!
//! Recording is on the path of every request, so it stores what it has and computes little:
//! request headers, path and (small) body are copied once (the request's own are slices of the
//! connection's read buffer, which they would keep alive), so is the response body (its own
//! buffer can be twice its size, see [`capture`]), and one short lock pushes the entry.
//! Everything derived — the tenant and mode, what the credential is, JSON bodies with
//! passwords, tokens, keys and codes redacted, and the `Authorization`, `Proxy-Authorization`,
//! `X-Api-Key`, `Cookie` and `Set-Cookie` headers redacted — is worked out when the journal is
//! read. The tenant and mode are found as the mock itself finds them: path tenant, credential
//! (API key prefix, token claims, firstFactorToken prefix), body `tenantId`, and for browser
//! calls the mode of the origin (by the workspace's settings at reading time).
//!
//! Memory is bounded by bytes as well as entries: bodies over 64 KiB are not kept (their size
//! is), header values over 4 KiB (64 KiB for `Authorization`) are cut with a `...[truncated,
//! N bytes]` marker, and the oldest entries go first when the kept entries would cost more than
//! [`JOURNAL_BYTES`] (`bytes` and `maxBytes` in `GET /__mock/requests`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body as HttpBody, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parking_lot::Mutex;
use serde_json::{Map, Value, json};

use super::{App, Ctx, MAX_BODY, bearer, detect_mode, first_factor_mode, json_response, ok};
use crate::error::{Error, Result, msg};
use crate::state::World;
use crate::state::bounded::truncation_marker;
use crate::state::clock::{Millis, format_iso};
use crate::state::model::{KeyType, Mode};
use crate::state::views::list;

/// How many requests the journal keeps by default.
pub const DEFAULT_JOURNAL_SIZE: usize = 1_000;

/// Bodies larger than this are not kept (their size is): the journal must stay small.
const BODY_KEEP: usize = 64 * 1024;

/// Most bytes the journal keeps (bodies, headers, paths and a fixed overhead per entry); the
/// oldest entries go first when a new one would pass it, as they do at `capacity` entries.
pub const JOURNAL_BYTES: usize = 32 * 1024 * 1024;

/// Longest header value kept; a longer one is cut with a `...[truncated, N bytes]` marker.
const HEADER_VALUE_KEEP: usize = 4 * 1024;
/// Longest `Authorization` value kept: long enough for a token with a sizeable `data`, so the
/// journal can still say whose credential it was.
const AUTHORIZATION_KEEP: usize = 64 * 1024;
/// Most header bytes (names and values) kept per request; later headers are left out and
/// counted in an `x-mock-journal-omitted-headers` header.
const HEADERS_KEEP: usize = 96 * 1024;
/// What an entry costs beyond what it holds (the struct, its `Arc`, the ring slot).
const ENTRY_OVERHEAD: usize = 256;

/// What replaces a secret in the journal's answers.
const REDACTED: &str = "[redacted]";

/// A body as the journal keeps it.
#[derive(Debug)]
enum Captured {
    Empty,
    Kept(Bytes),
    /// Too large (or streamed) to keep; its size when known.
    Omitted(Option<u64>),
}

impl Captured {
    fn bytes(&self) -> usize {
        match self {
            Captured::Kept(bytes) => bytes.len(),
            _ => 0,
        }
    }
}

/// Request headers as the journal keeps them: copied into one buffer, long values cut.
///
/// Not the request's own `HeaderMap`: its values are slices of the connection's read buffer,
/// and keeping one would keep that whole buffer (up to hundreds of KiB for a request with a
/// large header) alive for as long as the entry.
#[derive(Debug)]
struct Headers {
    /// Names and values, back to back.
    text: Box<[u8]>,
    /// Where each name ends and its value ends, in `text`.
    ends: Box<[(u32, u32)]>,
}

impl Headers {
    fn capture(headers: &HeaderMap) -> Self {
        let mut text = Vec::with_capacity(
            headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len())
                .sum::<usize>()
                .min(HEADERS_KEEP + 128),
        );
        let mut ends = Vec::with_capacity(headers.len());
        let mut omitted = 0usize;
        for (name, value) in headers {
            let keep = if name == header::AUTHORIZATION {
                AUTHORIZATION_KEEP
            } else {
                HEADER_VALUE_KEEP
            };
            let value = value.as_bytes();
            let kept = value.len().min(keep);
            if text.len() + name.as_str().len() + kept > HEADERS_KEEP {
                omitted += 1;
                continue;
            }
            text.extend_from_slice(name.as_str().as_bytes());
            let name_end = text.len() as u32;
            text.extend_from_slice(&value[..kept]);
            if kept < value.len() {
                text.extend_from_slice(truncation_marker(value.len()).as_bytes());
            }
            ends.push((name_end, text.len() as u32));
        }
        if omitted > 0 {
            text.extend_from_slice(OMITTED_HEADERS.as_bytes());
            let name_end = text.len() as u32;
            text.extend_from_slice(omitted.to_string().as_bytes());
            ends.push((name_end, text.len() as u32));
        }
        Headers {
            text: text.into_boxed_slice(),
            ends: ends.into_boxed_slice(),
        }
    }

    /// The headers as a map again (for reading; names and values are as valid as they came).
    fn to_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.ends.len());
        let mut start = 0usize;
        for &(name_end, value_end) in self.ends.iter() {
            let (name_end, value_end) = (name_end as usize, value_end as usize);
            let name = header::HeaderName::from_bytes(&self.text[start..name_end]);
            let value = header::HeaderValue::from_bytes(&self.text[name_end..value_end]);
            if let (Ok(name), Ok(value)) = (name, value) {
                map.append(name, value);
            }
            start = value_end;
        }
        map
    }

    fn bytes(&self) -> usize {
        self.text.len() + self.ends.len() * std::mem::size_of::<(u32, u32)>()
    }
}

/// The header that counts the headers left out of a very large request.
const OMITTED_HEADERS: &str = "x-mock-journal-omitted-headers";

/// One recorded request, as it came and went.
#[derive(Debug)]
struct Entry {
    id: u64,
    at: Millis,
    duration: Duration,
    method: Method,
    uri: Uri,
    headers: Headers,
    request_body: Captured,
    status: StatusCode,
    response_body: Captured,
}

impl Entry {
    /// What the entry costs in memory, roughly (what [`JOURNAL_BYTES`] counts).
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD
            + self.uri.path_and_query().map_or(0, |p| p.as_str().len())
            + self.uri.authority().map_or(0, |a| a.as_str().len())
            + self.headers.bytes()
            + self.request_body.bytes()
            + self.response_body.bytes()
    }
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<(Arc<Entry>, usize)>,
    next_id: u64,
    /// Entries pushed out by newer ones since the last clear.
    dropped: u64,
    /// What the entries cost, by [`Entry::bytes`].
    bytes: usize,
}

/// Cheap-to-clone handle on the journal of a mock instance; bounded, oldest entries go first.
#[derive(Clone, Debug)]
pub struct Journal {
    capacity: usize,
    ring: Arc<Mutex<Ring>>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::new(DEFAULT_JOURNAL_SIZE)
    }
}

impl Journal {
    /// A journal keeping the last `capacity` requests (0 records nothing).
    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            ring: Arc::default(),
        }
    }

    /// How many requests it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets every entry (ids keep increasing).
    pub fn clear(&self) {
        let mut ring = self.ring.lock();
        ring.entries.clear();
        ring.dropped = 0;
        ring.bytes = 0;
    }

    /// What the kept entries cost in memory, in bytes (at most [`JOURNAL_BYTES`]).
    pub fn bytes(&self) -> usize {
        self.ring.lock().bytes
    }

    fn push(&self, mut entry: Entry) {
        let mut ring = self.ring.lock();
        ring.next_id += 1;
        entry.id = ring.next_id;
        let entry = Arc::new(entry);
        let cost = entry.bytes();
        while !ring.entries.is_empty()
            && (ring.entries.len() >= self.capacity || ring.bytes + cost > JOURNAL_BYTES)
        {
            if let Some((_, old)) = ring.entries.pop_front() {
                ring.bytes -= old;
                ring.dropped += 1;
            }
        }
        ring.bytes += cost;
        ring.entries.push_back((entry, cost));
    }

    fn snapshot(&self) -> (Vec<Arc<Entry>>, u64, usize) {
        let ring = self.ring.lock();
        (
            ring.entries.iter().map(|(e, _)| e.clone()).collect(),
            ring.dropped,
            ring.bytes,
        )
    }
}

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new().route("/__mock/requests", get(requests).delete(clear))
}

/// The middleware that records every request outside `/__mock`.
pub async fn record(State(app): State<App>, req: Request, next: Next) -> Response {
    // The console log (`crate::log`) prints its line from the same entry, so it runs here too.
    let log = crate::log::requests_on();
    if (app.journal.capacity == 0 && !log) || req.uri().path().starts_with("/__mock") {
        return next.run(req).await;
    }
    let started = Instant::now();
    let at = app.store.read().now();
    let (parts, body) = req.into_parts();
    let (method, uri, headers) = (
        parts.method.clone(),
        // A copy, for the reason the headers are copied (see [`Headers`]).
        parts.uri.to_string().parse().unwrap_or_default(),
        Headers::capture(&parts.headers),
    );
    let (request_body, status, response_body, response) =
        match capture_request(&parts.headers, body).await {
            // A chunked body over the limit: answered here, as the route would have.
            Err(refused) => (
                Captured::Omitted(None),
                refused.status(),
                Captured::Empty,
                refused,
            ),
            Ok((request_body, body)) => {
                let response = next.run(Request::from_parts(parts, body)).await;
                let (parts, body) = response.into_parts();
                let (response_body, body) = capture(body, BODY_KEEP).await;
                let status = parts.status;
                (
                    request_body,
                    status,
                    response_body,
                    Response::from_parts(parts, body),
                )
            }
        };
    let entry = Entry {
        id: 0,
        at,
        duration: started.elapsed(),
        method,
        uri,
        headers,
        request_body,
        status,
        response_body,
    };
    if log {
        entry.log();
    }
    if app.journal.capacity > 0 {
        app.journal.push(entry);
    }
    response
}

/// Reads the request body so that both the journal and the route get it. A body declared
/// larger than the limit is left alone for the route to refuse.
async fn capture_request(
    headers: &HeaderMap,
    body: HttpBody,
) -> std::result::Result<(Captured, HttpBody), Response> {
    use axum::body::HttpBody as _;
    if body.size_hint().exact() == Some(0) {
        return Ok((Captured::Empty, body));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Ok((Captured::Omitted(declared), body));
    }
    match axum::body::to_bytes(body, MAX_BODY).await {
        // A copy: the body may be a slice of the connection's read buffer (see [`Headers`]).
        Ok(bytes) => Ok((keep(&Bytes::copy_from_slice(&bytes)), HttpBody::from(bytes))),
        Err(_) => Err(Error::new(413, msg::PAYLOAD_TOO_LARGE).into_response()),
    }
}

/// Takes a response body whose size is known and small (all of the mock's answers) and keeps
/// an exact-size copy of it; anything else passes through unrecorded.
///
/// A copy, not the response's own buffer: that is the `String` or `Vec` the body was
/// serialised into, grown by doubling, so it holds up to twice its length (a login answer of
/// 4.5 KB sits in 8 KiB); kept for 1,000 entries that was 8 MiB of the heap after a run of
/// logins, twice what the journal counts. Copying a few KB costs less than a request's parsing.
async fn capture(body: HttpBody, limit: usize) -> (Captured, HttpBody) {
    use axum::body::HttpBody as _;
    match body.size_hint().exact() {
        Some(0) => (Captured::Empty, body),
        Some(n) if n <= limit as u64 => match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => (keep(&Bytes::copy_from_slice(&bytes)), HttpBody::from(bytes)),
            Err(_) => (Captured::Omitted(Some(n)), HttpBody::empty()),
        },
        hint => (Captured::Omitted(hint), body),
    }
}

fn keep(bytes: &Bytes) -> Captured {
    match bytes.len() {
        0 => Captured::Empty,
        n if n <= BODY_KEEP => Captured::Kept(bytes.clone()),
        n => Captured::Omitted(Some(n as u64)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// What a request's credential was, without the secret.
fn credential(headers: &HeaderMap) -> Option<(Value, Option<String>, Option<Mode>)> {
    let credential = bearer(headers)?;
    if let Some(mode) = first_factor_mode(&credential) {
        return Some((json!({ "kind": "firstFactorToken" }), None, Some(mode)));
    }
    if let Some(rest) = credential.strip_prefix("uf_") {
        let mut parts = rest.splitn(3, '_');
        let mode = parts.next().and_then(Mode::parse);
        let key_type = parts.next().and_then(KeyType::parse);
        let tenant = parts
            .next()
            .and_then(|r| r.rsplit_once('_'))
            .map(|(tenant, _)| tenant.to_owned());
        return Some(match (mode, key_type) {
            (Some(mode), Some(key_type)) => (
                json!({
                    "kind": "apiKey",
                    "type": key_type.as_str(),
                    "mode": mode.as_str(),
                    "tenantId": tenant,
                }),
                tenant,
                Some(mode),
            ),
            _ => (json!({ "kind": "unknown" }), None, None),
        });
    }
    let Some(claims) = crate::tokens::peek_claims(&credential) else {
        return Some((json!({ "kind": "unknown" }), None, None));
    };
    let tenant = claims["tenantId"].as_str().map(str::to_owned);
    let mode = claims["mode"].as_str().and_then(Mode::parse);
    let token_type = match claims.get("type").and_then(Value::as_str) {
        Some(t) => t.to_owned(),
        None if claims.get("authorization").is_some() => "access".to_owned(),
        None => "id".to_owned(),
    };
    Some((
        json!({
            "kind": "jwt",
            "type": token_type,
            "mode": mode.map(Mode::as_str),
            "tenantId": tenant,
            "userId": claims.get("userId"),
            "sessionId": claims.get("sessionId"),
        }),
        tenant,
        mode,
    ))
}

/// The `{tenantId}` of a `/v0/tenants/{tenantId}/...` path.
fn path_tenant(path: &str) -> Option<&str> {
    path.strip_prefix("/v0/tenants/")
        .map(|rest| rest.split('/').next().unwrap_or(rest))
        .filter(|t| !t.is_empty())
}

/// A captured body as JSON, secrets redacted; non-JSON text as a string.
fn body_view(body: &Captured) -> Value {
    match body {
        Captured::Empty => Value::Null,
        Captured::Omitted(size) => json!({ "omitted": true, "size": size }),
        Captured::Kept(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(mut value) => {
                redact(&mut value);
                value
            }
            Err(_) => match std::str::from_utf8(bytes) {
                Ok(text) => Value::String(redact_str(text)),
                Err(_) => json!({ "binary": true, "size": bytes.len() }),
            },
        },
    }
}

/// Member names whose values are secrets, lowercase.
const SECRET_KEYS: [&str; 26] = [
    "password",
    "existingpassword",
    "newpassword",
    "passwordhash",
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "firstfactortoken",
    "firstfactorcode",
    "authorizationcode",
    "verificationcode",
    "totpcode",
    "backupcode",
    "backupcodes",
    "code",
    "codeverifier",
    "code_verifier",
    "secret",
    "totpsecret",
    "clientsecret",
    "qrcode",
    "key",
    "apikey",
    "privatekey",
    "authorization",
];

/// Query parameters (and link parameters) whose values are secrets.
const SECRET_PARAMS: [&str; 3] = ["token", "code", "code_verifier"];

/// Redacts secrets in place: members named like one, and strings that are one (JWTs, API keys,
/// firstFactorTokens, link URLs with a token).
fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str())
                    && !member.is_null()
                    && !member.is_boolean()
                {
                    *member = Value::String(REDACTED.to_owned());
                } else {
                    redact(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(s) => {
            let redacted = redact_str(s);
            if redacted != *s {
                *s = redacted;
            }
        }
        _ => {}
    }
}

/// A string with its secrets replaced: a whole JWT, API key or firstFactorToken, or the
/// secret parameters of a URL or query string.
fn redact_str(s: &str) -> String {
    if is_secret_string(s) {
        return REDACTED.to_owned();
    }
    if !SECRET_PARAMS.iter().any(|p| s.contains(&format!("{p}="))) {
        return s.to_owned();
    }
    let (head, query) = match s.split_once('?') {
        Some((head, query)) => (Some(head), query),
        None => (None, s),
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = head.map(|h| format!("{h}?")).unwrap_or_default();
    out.push_str(&query.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn is_secret_string(s: &str) -> bool {
    let api_key = ["uf_test_", "uf_live_"].iter().any(|p| s.starts_with(p));
    let jwt = s.starts_with("eyJ") && s.split('.').count() == 3 && !s.contains(' ');
    api_key || jwt
}

/// Request headers as an object, credentials and cookies redacted: `Authorization` and
/// `Proxy-Authorization` keep their scheme only; `X-Api-Key`, `Cookie` and `Set-Cookie` are
/// replaced whole.
fn headers_view(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let text = match name.as_str() {
            "authorization" | "proxy-authorization" => {
                match value.to_str().ok().and_then(|v| v.split_once(' ')) {
                    Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                    None => REDACTED.to_owned(),
                }
            }
            "x-api-key" | "cookie" | "set-cookie" => REDACTED.to_owned(),
            _ => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        match out.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&text);
            }
            _ => {
                out.insert(name.as_str().to_owned(), Value::String(text));
            }
        }
    }
    Value::Object(out)
}

/// An entry with everything derived: the JSON the journal answers.
struct View {
    tenant_id: Option<String>,
    mode: Option<Mode>,
    entry: Arc<Entry>,
    credential: Value,
    headers: HeaderMap,
}

fn derive(world: &World, entry: Arc<Entry>) -> View {
    let headers = entry.headers.to_map();
    let (credential, key_tenant, key_mode) =
        credential(&headers).unwrap_or((Value::Null, None, None));
    let query = super::parse_query(entry.uri.query());
    let body_tenant = || match &entry.request_body {
        Captured::Kept(bytes) => serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|v| v["tenantId"].as_str().map(str::to_owned)),
        _ => None,
    };
    let tenant_id = path_tenant(entry.uri.path())
        .map(str::to_owned)
        .or(key_tenant)
        .or_else(body_tenant)
        .or_else(|| query.get("tenantId").or(query.get("tenant_id")).cloned());
    let mode = key_mode.or_else(|| {
        let tenant = tenant_id.as_deref()?;
        if query.get("test").map(String::as_str) == Some("true") {
            return Some(Mode::Test);
        }
        let origin = super::origin(&headers);
        detect_mode(world, tenant, origin.as_deref()).ok()
    });
    View {
        tenant_id,
        mode,
        entry,
        credential,
        headers,
    }
}

impl View {
    fn to_json(&self) -> Value {
        let e = &self.entry;
        let query: Map<String, Value> = super::parse_query(e.uri.query())
            .into_iter()
            .map(|(k, v)| {
                let v = if SECRET_PARAMS.contains(&k.as_str()) || is_secret_string(&v) {
                    REDACTED.to_owned()
                } else {
                    v
                };
                (k, Value::String(v))
            })
            .collect();
        json!({
            "id": e.id,
            "at": format_iso(e.at),
            "durationMs": e.duration.as_secs_f64() * 1_000.0,
            "method": e.method.as_str(),
            "path": e.uri.path(),
            "query": query,
            "status": e.status.as_u16(),
            "tenantId": self.tenant_id,
            "mode": self.mode.map(Mode::as_str),
            "credential": self.credential,
            "request": {
                "headers": headers_view(&self.headers),
                "body": body_view(&e.request_body),
            },
            "response": {
                "body": body_view(&e.response_body),
            },
        })
    }
}

impl Entry {
    /// Prints the entry's console-log line ([`crate::log`]), and with `--log debug` its
    /// headers and bodies: the credential described and the secrets redacted as the journal's
    /// own answers are.
    fn log(&self) {
        let headers = self.headers.to_map();
        let (credential, _, credential_mode) =
            credential(&headers).unwrap_or((Value::Null, None, None));
        let message = match &self.response_body {
            Captured::Kept(bytes)
                if self.status.is_client_error() || self.status.is_server_error() =>
            {
                serde_json::from_slice::<Value>(bytes)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(redact_str))
            }
            _ => None,
        };
        crate::log::request(&crate::log::RequestLine {
            method: self.method.as_str(),
            path: self.uri.path(),
            status: self.status.as_u16(),
            duration: self.duration,
            credential: &credential,
            credential_mode,
            message,
        });
        if crate::log::details_on() {
            crate::log::request_detail("headers", &headers_view(&headers));
            crate::log::request_detail("request", &body_view(&self.request_body));
            crate::log::request_detail("response", &body_view(&self.response_body));
        }
    }
}

/// The filters of `GET /__mock/requests`.
struct Filter {
    method: Option<String>,
    path: Option<String>,
    status: Option<(u16, u16)>,
    tenant_id: Option<String>,
    mode: Option<Mode>,
    limit: Option<usize>,
}

impl Filter {
    fn parse(ctx: &Ctx) -> Result<Self> {
        let q = &ctx.query;
        let status = match q.get("status").map(|s| s.trim().to_ascii_lowercase()) {
            None => None,
            Some(s) => Some(status_range(&s).ok_or_else(|| {
                Error::bad_request("\"status\" must be a status code (404) or a class (4xx)")
            })?),
        };
        let mode = match q.get("mode") {
            None => None,
            Some(m) => Some(
                Mode::parse(m)
                    .ok_or_else(|| Error::bad_request("\"mode\" must be one of [test, live]"))?,
            ),
        };
        let limit = match q.get("limit") {
            None => None,
            Some(l) => Some(
                l.parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Error::bad_request("\"limit\" must be a positive integer"))?,
            ),
        };
        Ok(Filter {
            method: q.get("method").cloned(),
            path: q.get("path").cloned(),
            status,
            tenant_id: q.get("tenantId").cloned(),
            mode,
            limit,
        })
    }

    fn matches(&self, view: &View) -> bool {
        let e = &view.entry;
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(e.method.as_str()))
            && self
                .path
                .as_deref()
                .is_none_or(|p| e.uri.path().starts_with(p))
            && self
                .status
                .is_none_or(|(lo, hi)| (lo..=hi).contains(&e.status.as_u16()))
            && self
                .tenant_id
                .as_deref()
                .is_none_or(|t| view.tenant_id.as_deref() == Some(t))
            && self.mode.is_none_or(|m| view.mode == Some(m))
    }
}

/// `404` → 404..=404, `4xx` → 400..=499.
fn status_range(s: &str) -> Option<(u16, u16)> {
    if let Some(class) = s.strip_suffix("xx") {
        let digit: u16 = class.parse().ok().filter(|d| (1..=5).contains(d))?;
        return Some((digit * 100, digit * 100 + 99));
    }
    let code: u16 = s.parse().ok().filter(|c| (100..=599).contains(c))?;
    Some((code, code))
}

/// `GET /__mock/requests`: recorded requests, oldest first, filtered by `method`, `path`
/// (prefix), `status` (`404` or `4xx`), `tenantId`, `mode`; `limit` keeps the most recent.
async fn requests(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    let filter = Filter::parse(&ctx)?;
    let (entries, dropped, bytes) = app.journal.snapshot();
    let mut views: Vec<View> = {
        let world = app.store.read();
        entries
            .into_iter()
            .map(|e| derive(&world, e))
            .filter(|v| filter.matches(v))
            .collect()
    };
    if let Some(limit) = filter.limit {
        views.drain(..views.len().saturating_sub(limit));
    }
    let mut body = list(views.iter().map(View::to_json).collect());
    body["capacity"] = json!(app.journal.capacity);
    body["dropped"] = json!(dropped);
    body["bytes"] = json!(bytes);
    body["maxBytes"] = json!(JOURNAL_BYTES);
    Ok(json_response(body))
}

/// `DELETE /__mock/requests`.
async fn clear(State(app): State<App>) -> Response {
    app.journal.clear();
    ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_wherever_they_are() {
        let mut body = json!({
            "emailOrUsername": "admin@example.com",
            "password": "testmodepassword",
            "options": {"noResetEmail": true},
            "tokens": {"access": {"value": "eyJhbGciOiJSUzI1NiJ9.eyJ1c2VySWQiOjF9.c2ln", "cookieOptions": {"secure": false}}},
            "result": {"link": "http://localhost:3000/login?uuid=u-1&token=t-1&type=login"},
            "keys": [{"key": "uf_test_admin_demo1234_0123", "type": "admin"}],
            "statusCode": 400,
            "firstFactorToken": "uf_test_first_factor_abc",
            "verificationCode": "123456",
            "code": null,
        });
        redact(&mut body);
        assert_eq!(body["emailOrUsername"], "admin@example.com");
        assert_eq!(body["password"], REDACTED);
        assert_eq!(body["options"]["noResetEmail"], true);
        assert_eq!(body["tokens"]["access"]["value"], REDACTED);
        assert_eq!(body["tokens"]["access"]["cookieOptions"]["secure"], false);
        assert_eq!(
            body["result"]["link"],
            "http://localhost:3000/login?uuid=u-1&token=[redacted]&type=login"
        );
        assert_eq!(body["keys"][0]["key"], REDACTED);
        assert_eq!(body["keys"][0]["type"], "admin");
        assert_eq!(body["statusCode"], 400);
        assert_eq!(body["firstFactorToken"], REDACTED);
        assert_eq!(body["verificationCode"], REDACTED);
        assert_eq!(body["code"], Value::Null);
    }

    #[test]
    fn status_filters_take_codes_and_classes() {
        assert_eq!(status_range("404"), Some((404, 404)));
        assert_eq!(status_range("2xx"), Some((200, 299)));
        for bad in ["", "abc", "9xx", "99", "600", "4x"] {
            assert_eq!(status_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn credentials_are_described_without_the_secret() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "Bearer uf_live_readonly_demo1234_0123abcd".parse().unwrap(),
        );
        let (view, tenant, mode) = credential(&headers).unwrap();
        assert_eq!(view["type"], "readonly");
        assert_eq!(tenant.as_deref(), Some("demo1234"));
        assert_eq!(mode, Some(Mode::Live));
        assert_eq!(
            headers_view(&headers)["authorization"],
            format!("Bearer {REDACTED}")
        );
        assert_eq!(
            path_tenant("/v0/tenants/abcd9876/auth/basic"),
            Some("abcd9876")
        );
        assert_eq!(path_tenant("/v0/self"), None);
    }
}
