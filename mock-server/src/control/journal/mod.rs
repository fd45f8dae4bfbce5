//! The request journal (`/__mock/requests`): what apps called, so a test can assert on it.
//!
//! A step of the front door ([`record`], see `crate::front`) keeps the last N requests to the
//! Userfront API (default 1,000; `--journal-size`, 0 turns it off): method, path, query, headers, request and response
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

mod read;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body as HttpBody, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::{Map, Value, json};

use crate::api::{App, Ctx, MAX_BODY, bearer, detect_mode, first_factor_mode, json_response, ok};
use crate::error::{Error, Result, msg};
use crate::state::World;
use crate::state::bounded::truncation_marker;
use crate::state::clock::{Millis, format_iso};
use crate::state::model::{KeyType, Mode};
use crate::state::views::list;
use read::*;

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
    /// The path and query as they came (a copy, for the reason the headers are copied).
    target: Box<str>,
    headers: Headers,
    request_body: Captured,
    status: StatusCode,
    response_body: Captured,
}

impl Entry {
    fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(&self.target, |(path, _)| path)
    }

    fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// What the entry costs in memory, roughly (what [`JOURNAL_BYTES`] counts).
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD
            + self.target.len()
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
    /// Bumped on every new entry, for `GET /__mock/requests?wait=` (see [`super::wait`]).
    changes: Arc<tokio::sync::watch::Sender<u64>>,
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
            changes: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// A receiver that sees a change after every new entry from now on.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
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
        drop(ring);
        // Only a long-poll listens, and it subscribes before it looks at the entries (so an
        // entry pushed before it subscribed is one it sees): with nobody subscribed there is
        // no one to wake, and waking costs a lock and a notification on every request.
        if self.changes.receiver_count() > 0 {
            self.changes.send_modify(|n| *n = n.wrapping_add(1));
        }
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

/// Records every request outside `/__mock` around `next` (the route), for the front door.
pub async fn record<F, Fut>(app: &App, req: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    // The console log (`crate::log`) prints its line from the same entry, so it runs here too.
    let log = crate::log::requests_on();
    if (app.journal.capacity == 0 && !log) || req.uri().path().starts_with("/__mock") {
        return next(req).await;
    }
    let started = Instant::now();
    let at = app.store.read().now();
    let (parts, body) = req.into_parts();
    let (method, target, headers) = (
        parts.method.clone(),
        // A copy, for the reason the headers are copied (see [`Headers`]).
        parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .into(),
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
                let response = next(Request::from_parts(parts, body)).await;
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
        target,
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
        Ok(bytes) => Ok((keep(Bytes::copy_from_slice(&bytes)), HttpBody::from(bytes))),
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
            Ok(bytes) => (keep(Bytes::copy_from_slice(&bytes)), HttpBody::from(bytes)),
            Err(_) => (Captured::Omitted(Some(n)), HttpBody::empty()),
        },
        hint => (Captured::Omitted(hint), body),
    }
}

/// The journal's copy of a body (taken by value: a clone of a fresh copy would allocate the
/// shared header `Bytes` needs for a second owner).
fn keep(bytes: Bytes) -> Captured {
    match bytes.len() {
        0 => Captured::Empty,
        n if n <= BODY_KEEP => Captured::Kept(bytes),
        n => Captured::Omitted(Some(n as u64)),
    }
}

/// `GET /__mock/requests`: recorded requests, oldest first, filtered by `method`, `path`
/// (prefix), `status` (`404` or `4xx`), `tenantId`, `mode`, `since` (only requests after that
/// `id`); `limit` keeps the most recent; with `wait`, a long-poll for the first matching request
/// ([`super::wait`]).
pub(crate) async fn requests(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    let filter = Filter::parse(&ctx)?;
    let wait = super::wait::requested(&ctx)?;
    let since = super::wait::since_sequence(&ctx)?.unwrap_or(0);
    let look = || {
        let (entries, dropped, bytes) = app.journal.snapshot();
        let mut views: Vec<View> = {
            let world = app.store.read();
            entries
                .into_iter()
                .filter(|e| e.id > since)
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
        Ok((!views.is_empty(), body))
    };
    let body = super::wait::until(&app.waits, wait, app.journal.subscribe(), look).await?;
    Ok(json_response(body))
}

/// `DELETE /__mock/requests`.
pub(crate) async fn clear(State(app): State<App>) -> Response {
    app.journal.clear();
    ok()
}
