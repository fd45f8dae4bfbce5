//! The integration tests of `userfront-conformance`, one binary: the suite against the mock,
//! the defect proxy, the snapshots and the CLI.

mod proxy;

mod cli;
mod coverage;
mod defects;
mod mutations;
mod snapshots;
