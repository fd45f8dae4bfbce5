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
}
