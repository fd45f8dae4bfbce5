//! The console log: one line per request on stderr, and one per message captured in the outbox.
//!
//! A developer running the mock next to an app looks at its terminal first when a login fails;
//! without a log they would have to know to query `/__mock/requests`. So the binary prints, for
//! every request to the Userfront API (not `/__mock/*`, not CORS preflights: what the journal
//! records),
//!
//! ```text
//! 02:14:03.120 POST /v0/tenants/demo1234/auth/basic 400 0.9ms public "Incorrect email or password"
//! 02:14:05.388 GET /v0/self 200 0.3ms jwt user 1 test demo1234
//! 02:14:06.001 outbox email login to admin@example.com (test demo1234): http://localhost:3000/login?uuid=…&token=…&type=login
//! ```
//!
//! — wall-clock time (UTC, not the mock clock, which tests move), method, path (no query: it may
//! hold a token), status, duration, the credential as it presents itself (the status says
//! whether it was accepted) and for an error the message. The line is made from the journal's
//! own entry at the point the journal records it ([`crate::api::journal`]), with the journal's
//! credential description and redaction, so the log and `/__mock/requests` cannot disagree and
//! no secret (API key, token, password, cookie) is printed. An outbox line prints the whole
//! link or code: clicking it from the terminal is its purpose, and it is what `/__mock/outbox`
//! shows anyway.
//!
//! Levels (`--log`, `USERFRONT_MOCK_LOG`): `requests` (the lines above; the default when stderr
//! is a terminal), `quiet` (nothing; the default otherwise, so piped runs, CI and the benchmark
//! pay nothing), `debug` (each request line followed by its redacted headers and bodies).
//! `RUST_LOG`, when set, replaces the level's filter for finer control, e.g.
//! `RUST_LOG=userfront_mock::outbox=info` for the outbox lines only. The targets are
//! [`REQUESTS`] and [`OUTBOX`].
//!
//! Colour on a terminal, plain text when stderr is piped or `NO_COLOR` is set (no-color.org).
//! Text that comes from a request (token claims, addresses) is printed escaped, so a request
//! cannot write terminal control sequences.
//!
//! Cost: with no subscriber installed (`quiet`) each request pays one check of tracing's global
//! level filter; the line is only built when it will be printed.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::Duration;

use serde_json::Value;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::state::model::{Mode, OutboxEntry};

/// The tracing target of the request lines.
pub const REQUESTS: &str = "userfront_mock::requests";
/// The tracing target of the outbox lines.
pub const OUTBOX: &str = "userfront_mock::outbox";

/// How much the binary prints on stderr (`--log`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    /// One line per request and per outbox message.
    Requests,
    /// Nothing but warnings the binary prints itself.
    Quiet,
    /// Each request line followed by its headers and bodies, secrets redacted.
    Debug,
}

impl LogLevel {
    /// `requests` when stderr is a terminal (someone is watching), `quiet` otherwise.
    pub fn default_for_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            LogLevel::Requests
        } else {
            LogLevel::Quiet
        }
    }

    /// The filter this level stands for, in `RUST_LOG` syntax (`None`: install nothing).
    fn directives(self) -> Option<&'static str> {
        match self {
            LogLevel::Quiet => None,
            LogLevel::Requests => Some("warn,userfront_mock=info"),
            LogLevel::Debug => Some("info,userfront_mock=debug"),
        }
    }
}

/// Whether stderr gets colour: a terminal, and no `NO_COLOR` (set and not empty).
pub fn colour_on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the stderr log for `level` (`None`: the default for where stderr goes). `RUST_LOG`,
/// when set and valid, is the filter instead; an invalid one is reported and the level's filter
/// used. Returns a warning to print when something was not as asked.
pub fn init(level: Option<LogLevel>) -> Option<String> {
    let level = level.unwrap_or_else(LogLevel::default_for_stderr);
    let rust_log = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let (filter, warning) = match rust_log
        .as_deref()
        .map(tracing_subscriber::EnvFilter::try_new)
    {
        Some(Ok(filter)) => (filter, None),
        Some(Err(e)) => match level.directives() {
            Some(d) => (
                tracing_subscriber::EnvFilter::new(d),
                Some(format!("RUST_LOG ignored ({e})")),
            ),
            None => return Some(format!("RUST_LOG ignored ({e})")),
        },
        None => match level.directives() {
            Some(d) => (tracing_subscriber::EnvFilter::new(d), None),
            None => return None,
        },
    };
    let colour = colour_on_stderr();
    COLOUR.store(colour, std::sync::atomic::Ordering::Relaxed);
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .event_format(Lines { colour })
        .try_init();
    match installed {
        Ok(()) => warning,
        Err(e) => Some(format!("cannot install the log: {e}")),
    }
}

/// Whether request lines are printed (one check of tracing's level filters).
pub fn requests_on() -> bool {
    tracing::enabled!(target: REQUESTS, Level::INFO)
}

/// Whether request details (headers, bodies) are printed.
pub fn details_on() -> bool {
    tracing::enabled!(target: REQUESTS, Level::DEBUG)
}

/// What one request line says; built by the journal from its entry.
pub struct RequestLine<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration: Duration,
    /// The journal's description of the credential (`null` for none).
    pub credential: &'a Value,
    /// The mode the credential names when the description has none (a firstFactorToken).
    pub credential_mode: Option<Mode>,
    /// The error message of the answer (already redacted), for a 4xx or 5xx.
    pub message: Option<String>,
}

/// Prints the line of a request.
pub fn request(line: &RequestLine) {
    let colour = colour_enabled();
    let text = request_text(line, colour);
    tracing::info!(target: REQUESTS, "{text}");
}

/// Prints the details of a request (`debug`): `what` is `headers`, `request` or `response`.
pub fn request_detail(what: &str, value: &Value) {
    tracing::debug!(target: REQUESTS, "  {what} {}", clean(&value.to_string()));
}

/// Prints the line of a message just captured in the outbox, with its link or code.
pub fn outbox(entry: &OutboxEntry) {
    if !tracing::enabled!(target: OUTBOX, Level::INFO) {
        return;
    }
    let colour = colour_enabled();
    let mut text = format!(
        "{} {} {} to {} ({} {})",
        paint(colour, MAGENTA, "outbox"),
        entry.channel.as_str(),
        clean(&entry.message_type),
        clean(&entry.to),
        entry.mode.as_str(),
        clean(&entry.tenant_id),
    );
    if let Some(link) = &entry.link {
        let _ = write!(text, ": {}", paint(colour, UNDERLINE, &clean(link)));
    }
    if let Some(code) = &entry.verification_code {
        let _ = write!(text, ": code {}", paint(colour, BOLD, &clean(code)));
    }
    tracing::info!(target: OUTBOX, "{text}");
}

/// The request line without the time (the formatter adds it).
fn request_text(line: &RequestLine, colour: bool) -> String {
    let status_colour = match line.status {
        200..=299 => GREEN,
        300..=399 => CYAN,
        400..=499 => YELLOW,
        _ => RED,
    };
    let mut text = format!(
        "{} {} {} {} {}",
        paint(colour, BOLD, line.method),
        clean(line.path),
        paint(colour, status_colour, &line.status.to_string()),
        paint(colour, DIM, &duration_text(line.duration)),
        who(line.credential, line.credential_mode),
    );
    if let Some(message) = &line.message {
        let _ = write!(
            text,
            " {}",
            paint(colour, status_colour, &format!("{message:?}"))
        );
    }
    text
}

/// `0.9ms`, `35ms`, `2.1s`.
fn duration_text(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1_000.0;
    if ms < 100.0 {
        format!("{ms:.1}ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.1}s", ms / 1_000.0)
    }
}

/// The credential in a few words: `public`, `apiKey test admin demo1234`,
/// `jwt user 5 test demo1234`, `firstFactorToken test`, `unknown credential`.
fn who(credential: &Value, mode: Option<Mode>) -> String {
    let field = |name: &str| match &credential[name] {
        Value::String(s) => Some(clean(s).into_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut words: Vec<String> = Vec::new();
    match credential["kind"].as_str() {
        None => return "public".to_owned(),
        Some("apiKey") => {
            words.push("apiKey".to_owned());
            words.extend(field("mode"));
            words.extend(field("type"));
            words.extend(field("tenantId"));
        }
        Some("jwt") => {
            words.push("jwt".to_owned());
            match field("userId") {
                Some(user) => words.extend(["user".to_owned(), user]),
                None => words.extend(field("type")),
            }
            words.extend(field("mode"));
            words.extend(field("tenantId"));
        }
        Some("firstFactorToken") => {
            words.push("firstFactorToken".to_owned());
            words.extend(mode.map(|m| m.as_str().to_owned()));
        }
        Some(_) => return "unknown credential".to_owned(),
    }
    words.join(" ")
}

/// Text from a request made safe for a terminal: control characters (ESC, CR, LF, ...) escaped.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

const BOLD: &str = "1";
const DIM: &str = "2";
const UNDERLINE: &str = "4";
const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const MAGENTA: &str = "35";
const CYAN: &str = "36";

fn paint<'a>(colour: bool, code: &str, text: &'a str) -> Cow<'a, str> {
    if colour {
        Cow::Owned(format!("\x1b[{code}m{text}\x1b[0m"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether the installed log colours its lines (set once by [`init`]).
fn colour_enabled() -> bool {
    COLOUR.load(std::sync::atomic::Ordering::Relaxed)
}

static COLOUR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The line format: `HH:MM:SS.mmm` (UTC) and the message for the mock's own lines; level and
/// target too for anything else `RUST_LOG` lets through.
struct Lines {
    colour: bool,
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let now = jiff::Timestamp::now();
        let time = now.strftime("%H:%M:%S%.3f").to_string();
        write!(writer, "{} ", paint(self.colour, DIM, &time))?;
        let meta = event.metadata();
        if meta.target() != REQUESTS && meta.target() != OUTBOX {
            write!(writer, "{} {}: ", meta.level(), meta.target())?;
        }
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_in_a_few_words() {
        assert_eq!(who(&Value::Null, None), "public");
        let key =
            json!({"kind": "apiKey", "type": "admin", "mode": "test", "tenantId": "demo1234"});
        assert_eq!(who(&key, None), "apiKey test admin demo1234");
        let jwt = json!({"kind": "jwt", "type": "access", "mode": "test", "tenantId": "demo1234", "userId": 5});
        assert_eq!(who(&jwt, None), "jwt user 5 test demo1234");
        let first = json!({"kind": "firstFactorToken"});
        assert_eq!(who(&first, Some(Mode::Live)), "firstFactorToken live");
        assert_eq!(who(&json!({"kind": "unknown"}), None), "unknown credential");
        let forged = json!({"kind": "jwt", "tenantId": "\u{1b}[2Jx", "userId": 1});
        assert_eq!(who(&forged, None), "jwt user 1 \\u{1b}[2Jx");
    }

    #[test]
    fn a_refusal_line_carries_its_message() {
        let line = RequestLine {
            method: "POST",
            path: "/v0/tenants/demo1234/auth/basic",
            status: 400,
            duration: Duration::from_micros(900),
            credential: &Value::Null,
            credential_mode: None,
            message: Some("Incorrect email or password".to_owned()),
        };
        assert_eq!(
            request_text(&line, false),
            "POST /v0/tenants/demo1234/auth/basic 400 0.9ms public \"Incorrect email or password\""
        );
        assert!(request_text(&line, true).contains("\x1b[33m400\x1b[0m"));
        assert_eq!(duration_text(Duration::from_millis(250)), "250ms");
        assert_eq!(duration_text(Duration::from_millis(12_340)), "12.3s");
    }
}
