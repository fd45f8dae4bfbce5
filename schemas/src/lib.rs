//! `userfront-contract`: what defines the Userfront API, and nothing that serves it.
//!
//! This crate is the `schemas/` folder itself. Its sources are the files beside `Cargo.toml`,
//! embedded at build time so the crate reads nothing from disk:
//!
//! - `operations.json` — **the route table**, the one hand-edited list of routes: every
//!   operation with its method, path (and tenant-form alias), side, group, auth kind, request
//!   and response schema names. [`routes`] parses it and matches request paths to it once, for
//!   the mock, its tests and the conformance runner.
//! - `<Name>.json` — the JSON Schemas of bodies; [`schema`] validates requests and responses
//!   against them (through the OpenAPI document).
//! - `openapi.json` — **generated** by [`openapi::build`] from the two above; a test keeps the
//!   committed file equal to the build. Regenerate after changing a source with
//!   `UPDATE_OPENAPI=1 cargo test -p userfront-contract`.
//! - `endpoints.tsv` — the spec's checklist of routes (an input from the spec, not a table of
//!   ours); a test checks every row is in the route table with the same side, group and forms.
//! - `rules.json` — **generated** from the rule headings of `docs/*.md` ([`rules`]); a test keeps
//!   it equal to them. Regenerate with `UPDATE_RULES=1 cargo test -p userfront-contract --test rules`.
//!
//! ```
//! use userfront_contract::routes;
//!
//! let route = routes::find("GET", "/v0/tenants/demo1234/keys/jwt").unwrap();
//! assert_eq!(route.path, "/v0/tenants/{tenantId}/keys/jwt");
//! ```

pub mod mode;
pub mod msg;
pub mod openapi;
pub mod routes;
pub mod rules;
pub mod schema;

pub use mode::Mode;
pub use routes::{Group, Route, Side};

/// The OpenAPI 3.1 document, as committed in `schemas/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// The route table, `schemas/operations.json`.
pub const OPERATIONS_JSON: &str = include_str!("../operations.json");

/// The spec's checklist of routes, `schemas/endpoints.tsv`.
pub const ENDPOINTS_TSV: &str = include_str!("../endpoints.tsv");

include!(concat!(env!("OUT_DIR"), "/schema_files.rs"));
