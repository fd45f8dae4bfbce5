//! A local, stateful, in-memory fake of the Userfront authentication API.
//!
//! It implements the documented client-to-server and server-to-server endpoints with test-mode
//! behaviour: nothing is ever emailed or texted, links and codes come back in responses (test
//! mode) and in a capture endpoint (`/__mock/outbox`), and tokens are real RS256 JWTs that
//! verify against the mock's JWKS.
//!
//! Use it from Rust tests through [`MockUserfront`]:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use userfront_mock::{MockUserfront, DEMO_TENANT, TEST_PASSWORD};
//!
//! let mock = MockUserfront::start().await?;
//! let login = format!("{}/v0/tenants/{DEMO_TENANT}/auth/basic", mock.base_url());
//! // POST {"emailOrUsername": "admin@example.com", "password": TEST_PASSWORD} to `login` ...
//! # Ok(()) }
//! ```
//!
//! or run the `userfront-mock` binary and point an app at it.
//!
//! Layout: [`state`] is the model (no HTTP in it); `api` has one module per API area;
//! `tokens` signs and verifies JWTs; [`Error`] is the one error type; [`schema`] (from the
//! `userfront-contract` crate, the folder `schemas/`) validates bodies against the contract; [`server`] binds and stops. The public surface is what the binary, tests and
//! the conformance runner need; the HTTP layer stays private.

mod api;
pub mod config;
mod conn;
mod error;
mod password;
pub mod server;
pub mod state;
mod tokens;
mod webhooks;

pub use api::App;
pub use error::{Error, ErrorKind, msg};
pub use server::{Builder, MockUserfront};
pub use state::model::{KeyType, Mode};
/// Schema loading and validation live in the contract crate (`schemas/`); re-exported so the
/// mock's tests and users keep one path to them.
pub use userfront_contract::schema;

/// The demo workspace of the embedded fixtures.
pub const DEMO_TENANT: &str = "demo1234";
/// The second workspace of the embedded fixtures (for cross-tenant tests).
pub const OTHER_TENANT: &str = "abcd9876";
/// The password of the four seeded test-mode users.
pub const TEST_PASSWORD: &str = "testmodepassword";
/// The port `userfront-mock` listens on by default.
pub const DEFAULT_PORT: u16 = 4780;
