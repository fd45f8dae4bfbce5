//! Command-line and environment configuration of the `userfront-mock` binary.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// A local fake of the Userfront API, for development and tests.
///
/// Starts with the demo workspace `demo1234` (four test users, password `testmodepassword`)
/// and prints its base URL and API keys.
#[derive(Clone, Debug, Parser)]
#[command(name = "userfront-mock", version, about, long_about = None)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "USERFRONT_MOCK_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on; 0 picks a free port (printed at start).
    #[arg(long, short, env = "USERFRONT_MOCK_PORT", default_value_t = crate::DEFAULT_PORT)]
    pub port: u16,

    /// Fixtures directory with a seed.json (default: the fixtures built into the binary).
    #[arg(long, env = "USERFRONT_MOCK_FIXTURES")]
    pub fixtures: Option<PathBuf>,

    /// Start with the seeded workspaces and API keys but no users.
    #[arg(long, env = "USERFRONT_MOCK_EMPTY")]
    pub empty: bool,

    /// Start from this state file (or directory holding state.json) instead of the bare seed;
    /// POST /__mock/reset returns to it.
    #[arg(long, env = "USERFRONT_MOCK_IMPORT", value_name = "PATH")]
    pub import: Option<PathBuf>,

    /// Save the whole state to this file (or directory) on exit and on POST /__mock/export,
    /// atomically. With the same PATH as --import, the state carries over from run to run.
    #[arg(long, env = "USERFRONT_MOCK_EXPORT_ON_EXIT", value_name = "PATH")]
    pub export_on_exit: Option<PathBuf>,

    /// What stderr shows: `requests` (a line per request and outbox message), `quiet`, or
    /// `debug` (headers and bodies too, secrets redacted). Default: `requests` when stderr is a
    /// terminal, `quiet` otherwise. RUST_LOG, when set, is the filter instead.
    #[arg(long, env = "USERFRONT_MOCK_LOG", value_enum, value_name = "LEVEL")]
    pub log: Option<crate::log::LogLevel>,

    /// How many recent requests `GET /__mock/requests` keeps; 0 turns the journal off.
    #[arg(long, env = "USERFRONT_MOCK_JOURNAL_SIZE", default_value_t = crate::control::journal::DEFAULT_JOURNAL_SIZE)]
    pub journal_size: usize,

    /// A request's head must be complete this long after its first byte (`5`, `5s`, `500ms`).
    #[arg(long, env = "USERFRONT_MOCK_HEADER_TIMEOUT", value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// A request's body must be complete this long after its head (else 408).
    #[arg(long, env = "USERFRONT_MOCK_BODY_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub body_timeout: Duration,

    /// A connection waiting for its first or next request is closed after this.
    #[arg(long, env = "USERFRONT_MOCK_IDLE_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// On Ctrl-C or SIGTERM, requests in flight get this long; then the state is saved and the
    /// mock exits.
    #[arg(long, env = "USERFRONT_MOCK_SHUTDOWN_TIMEOUT", value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "USERFRONT_MOCK_MAX_CONNECTIONS", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// An origin (`scheme://host[:port]`) whose pages may use /__mock/* besides loopback ones;
    /// repeatable (comma-separated in the environment variable).
    #[arg(
        long = "control-origin",
        env = "USERFRONT_MOCK_CONTROL_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub control_origins: Vec<String>,
}

impl Config {
    /// The serving options these flags describe.
    pub fn serve_options(&self) -> crate::server::ServeOptions {
        crate::server::ServeOptions {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
            shutdown_timeout: self.shutdown_timeout,
            max_connections: self.max_connections as usize,
            control_origins: self.control_origins.clone(),
        }
    }
}

/// A duration in seconds (`5`, `2.5`, `5s`) or milliseconds (`500ms`), at most a day.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    let seconds = number
        .trim()
        .parse::<f64>()
        .ok()
        .map(|n| n * scale)
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .ok_or_else(|| {
            format!("`{text}` is not a duration such as 5, 5s or 500ms (at most a day)")
        })?;
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "0", "-1", "abc", "5m", "NaN", "inf", "100000"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
