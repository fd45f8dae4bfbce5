//! Command-line and environment configuration of the `userfront-mock` binary.

use std::net::IpAddr;
use std::path::PathBuf;

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

    /// How many recent requests `GET /__mock/requests` keeps; 0 turns the journal off.
    #[arg(long, env = "USERFRONT_MOCK_JOURNAL_SIZE", default_value_t = crate::api::journal::DEFAULT_JOURNAL_SIZE)]
    pub journal_size: usize,
}
