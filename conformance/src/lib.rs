//! `userfront-conformance`: checks any implementation of the Userfront API against its
//! documented contract.
//!
//! It replays scenarios against a base URL: example-based checks of documented behaviour
//! (status codes, error format, lower-cased emails, single-use links, 24 results a page,
//! permission and mode boundaries, token claims verified against the target's JWKS, rate
//! limits), property-based checks with generated inputs and stateful sequences compared with a
//! reference model (failures shrink to the shortest failing sequence and print as `curl`
//! lines), and contract snapshots of canonical flows. Every response is also checked against
//! the response schemas of the contract.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use userfront_conformance::{Config, run};
//! // No target: starts the in-process mock (cargo feature `mock`, on by default) and runs
//! // everything against it.
//! let report = run(Config::default(), &mut |result, done, total| {
//!     println!("[{done}/{total}] {:?} {}", result.status, result.name);
//! })
//! .await?;
//! println!("{}", report.summary()); // "N passed, N failed"
//! # Ok(()) }
//! ```
//!
//! Layout: [`runner`] selects and runs, [`scenario`] is what a scenario sees, [`contract`]
//! judges every response, [`snapshot`] keeps the contract snapshots, [`props`] runs
//! property-based checks, [`report`] renders results (verdicts PASSED, FAILED, WARNING,
//! SKIPPED; failures grouped by root cause), [`replay`] turns a failure into a script that
//! reproduces it, [`baseline`] tolerates known failures, [`diff`] compares two runs and
//! [`differential`] two targets; the scenarios themselves live in one
//! private module per endpoint group. The route table, schemas and `Mode` come from the
//! contract crate (`userfront-contract`, the folder `schemas/`); the mock is needed only for the
//! in-process default target (feature `mock`): `--no-default-features` builds a runner
//! without it, which needs a `--target`.

pub mod baseline;
pub mod contract;
pub mod coverage;
pub mod diff;
pub mod differential;
pub mod http;
pub mod props;
pub mod replay;
pub mod report;
pub mod routes;
pub mod runner;
pub mod scenario;
mod scenarios;
pub mod snapshot;
pub mod target;

pub use report::{Report, ScenarioResult, Status};
pub use runner::{Config, DEFAULT_CASES, Stop, run, select};
pub use target::{Credentials, Mode};
