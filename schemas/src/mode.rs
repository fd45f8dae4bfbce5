//! Test or live.

use serde::{Deserialize, Serialize};

/// Test or live: every workspace has two fully separate data sets (conventions C-3, C-4).
///
/// Part of the contract because both the mock (which keeps the two data sets) and the runner
/// (which checks they stay apart) speak of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    /// `"test"` or `"live"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }

    /// Parses `"test"` / `"live"`.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "test" => Some(Mode::Test),
            "live" => Some(Mode::Live),
            _ => None,
        }
    }

    /// Both modes, test first.
    pub const ALL: [Mode; 2] = [Mode::Test, Mode::Live];

    /// Index into per-mode arrays.
    pub fn index(self) -> usize {
        match self {
            Mode::Test => 0,
            Mode::Live => 1,
        }
    }
}
