//! The integration tests of `userfront-conformance`, one binary: the suite against the mock,
//! the defect proxy, the snapshots, the CLI, its CI-grade
//! output and its replays.

mod proxy;

mod cli;
mod coverage;
mod defects;
mod mutations;
mod output;
mod replays;
mod snapshots;
