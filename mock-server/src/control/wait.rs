//! Readiness and waiting: `GET /__mock/health`, and long-polls of the control surface.
//!
//! `GET /__mock/health` answers `{"status": "ok", "version", "waiting"}` (`waiting`: long-polls
//! in progress) without touching the state, so a script or a container `HEALTHCHECK` can ask
//! it as often as it likes.
//!
//! Long-polls: `?wait=5s` on `GET /__mock/outbox`, `/__mock/webhooks`
//! and `/__mock/requests`.
//!
//! A test that waits for an email, a webhook or a request asks once and is answered as soon as
//! an entry matching its filters exists, or with what there is when the wait is over (an empty
//! list, status 200: "nothing yet" is an answer, not an error). No polling: the handler looks
//! once, then again after each change announced by the store ([`crate::state::Store::subscribe`])
//! or the journal, so the answer leaves within a scheduling delay of the write.
//!
//! Bounded: a wait is at most [`MAX_WAIT`] (longer is 400), at most [`MAX_WAITERS`] requests
//! wait at once (more are refused with 429 rather than queued, so a runaway client cannot tie
//! up every connection), and every wait ends, with what there is, when the mock shuts down.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use tokio::sync::{Semaphore, watch};

use crate::api::{App, Ctx, json_response};
use crate::error::{Error, ErrorKind, Result, msg};

/// `GET /__mock/health`: the mock is up and serving.
pub(crate) async fn health(State(app): State<App>) -> Response {
    json_response(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "waiting": app.waits.waiting(),
    }))
}

/// Longest `wait` accepted.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// Most requests waiting at once (under the default connection cap of 128, so waiters never
/// starve the API calls they wait for).
pub const MAX_WAITERS: usize = 64;

/// The waiting room of a mock instance: its slots, and the signal that ends every wait.
#[derive(Clone, Debug)]
pub struct Waits {
    slots: Arc<Semaphore>,
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            slots: Arc::new(Semaphore::new(MAX_WAITERS)),
            closing: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Waits {
    /// How many requests are waiting now.
    pub fn waiting(&self) -> usize {
        MAX_WAITERS - self.slots.available_permits()
    }

    /// Ends every wait now and any wait asked for from now on (the mock is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// The `wait` query parameter: `None` when absent; a duration in the syntax of the
/// command-line flags (`5`, `5s`, `500ms`) up to [`MAX_WAIT`], else 400.
pub fn requested(ctx: &Ctx) -> Result<Option<Duration>> {
    let Some(text) = ctx.query.get("wait") else {
        return Ok(None);
    };
    crate::config::parse_duration(text)
        .ok()
        .filter(|d| *d <= MAX_WAIT)
        .map(Some)
        .ok_or_else(|| Error::bad_request(msg::WAIT_DURATION))
}

/// Looks with `look` (which says whether it found what the request waits for, and the answer)
/// now and, when it found nothing and `wait` is given, again after every change `changes`
/// announces, until it finds something, the wait is over or the mock shuts down; then answers
/// with the last look.
pub async fn until<T>(
    waits: &Waits,
    wait: Option<Duration>,
    mut changes: watch::Receiver<u64>,
    mut look: impl FnMut() -> Result<(bool, T)>,
) -> Result<T> {
    // Marked seen before looking: a change after this look wakes the loop below.
    changes.borrow_and_update();
    let (found, answer) = look()?;
    let Some(wait) = wait.filter(|_| !found) else {
        return Ok(answer);
    };
    let Ok(_slot) = waits.slots.clone().try_acquire_owned() else {
        return Err(Error::new(429, msg::TOO_MANY_WAITERS).with_kind(ErrorKind::RateLimit));
    };
    let mut closing = waits.closing.subscribe();
    if *closing.borrow_and_update() {
        return Ok(answer);
    }
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    let mut answer = answer;
    loop {
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return Ok(answer);
                }
            }
            () = &mut deadline => return look().map(|(_, a)| a),
            _ = closing.changed() => return look().map(|(_, a)| a),
        }
        let (found, next) = look()?;
        if found {
            return Ok(next);
        }
        answer = next;
    }
}

/// The `since` parameter of `/__mock/outbox` and `/__mock/webhooks`: the id (`messageId`,
/// `id`) of an entry the client has already seen. Only entries written after it are listed and
/// waited for, so a wait never answers with a message an earlier test caused. `None` when
/// absent; not a UUID is 400.
pub fn since_id(ctx: &Ctx) -> Result<Option<uuid::Uuid>> {
    let Some(text) = ctx.query.get("since") else {
        return Ok(None);
    };
    uuid::Uuid::parse_str(text.trim())
        .map(Some)
        .map_err(|_| Error::bad_request(msg::SINCE_ENTRY_ID))
}

/// The `since` parameter of `/__mock/requests`: a request `id` (they only grow, across clears
/// and resets); only later requests are listed and waited for. Not an integer is 400.
pub fn since_sequence(ctx: &Ctx) -> Result<Option<u64>> {
    let Some(text) = ctx.query.get("since") else {
        return Ok(None);
    };
    text.trim()
        .parse::<u64>()
        .map(Some)
        .map_err(|_| Error::bad_request(msg::SINCE_REQUEST_ID))
}

/// How many of a list's entries (their ids, oldest first) a client that has seen `since` has
/// seen: those up to and including it. An id no longer in the list (cleared, reset, dropped
/// as the oldest) means every entry there now came after it: none is seen.
pub fn seen(ids: impl Iterator<Item = uuid::Uuid>, since: Option<uuid::Uuid>) -> usize {
    let Some(since) = since else {
        return 0;
    };
    let mut count = 0;
    let mut found = None;
    for id in ids {
        count += 1;
        if id == since {
            found = Some(count);
        }
    }
    found.unwrap_or(0)
}
