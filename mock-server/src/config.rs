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
    /// Address to listen on: an IP address or a name such as `localhost` (resolved at start,
    /// IPv4 first).
    #[arg(long, env = "USERFRONT_MOCK_HOST", default_value = "127.0.0.1", value_parser = parse_host)]
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

    /// How many recent requests `GET /__mock/requests` keeps; 0 turns the journal off.
    #[arg(long, env = "USERFRONT_MOCK_JOURNAL_SIZE", default_value_t = crate::api::journal::DEFAULT_JOURNAL_SIZE)]
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

    /// Once listening, write `{url, tenantId, keys}` (JSON) to this file, atomically, so a
    /// script can wait for it instead of reading the banner; removed at start and on exit.
    #[arg(long, env = "USERFRONT_MOCK_READY_FILE", value_name = "PATH")]
    pub ready_file: Option<PathBuf>,

    /// What to do instead of serving until stopped.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands; without one, the mock serves until Ctrl-C or SIGTERM.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Start the mock on a free port (unless --port is given), run COMMAND with
    /// USERFRONT_MOCK_URL, USERFRONT_TENANT_ID and the keys in its environment, stop the mock,
    /// and exit with COMMAND's exit code (128+N when it is killed by signal N; 127 when it cannot
    /// be started). Example: `userfront-mock exec -- npm test`.
    Exec {
        /// The command and its arguments.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "COMMAND"
        )]
        command: Vec<std::ffi::OsString>,
    },
    /// Ask a running mock (on --host and --port; 127.0.0.1 when bound to every interface)
    /// whether it is up: exit 0 when `GET /__mock/health` answers 200 within 3 s, else 1. For
    /// container health checks, where there is no curl.
    Health,
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

/// An IP address, or a host name resolved now (`localhost`): the first IPv4 address it has,
/// else the first address.
pub fn parse_host(text: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ip);
    }
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<IpAddr> = (text, 0)
        .to_socket_addrs()
        .map_err(|e| format!("`{text}` is not an IP address or a name that resolves: {e}"))?
        .map(|a| a.ip())
        .collect();
    addrs
        .iter()
        .find(|ip| ip.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
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
    fn hosts() {
        assert_eq!(parse_host("localhost"), Ok("127.0.0.1".parse().unwrap()));
        assert_eq!(parse_host("::1"), Ok("::1".parse().unwrap()));
        assert_eq!(parse_host("0.0.0.0"), Ok("0.0.0.0".parse().unwrap()));
        assert!(parse_host("no such host.invalid").is_err());
    }

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
