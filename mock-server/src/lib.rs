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
//! Layout: [`state`] is the model (no HTTP in it; `state::tokens` signs and verifies JWTs);
//! `api` has one module per area of the Userfront API; `control` is the `/__mock` surface;
//! [`Error`] is the one error type; [`schema`] (from the
//! `userfront-contract` crate, the folder `schemas/`) validates bodies against the contract; [`server`] binds and stops. The public surface is what the binary, tests and
//! the conformance runner need; the HTTP layer stays private.

mod api;
pub mod config;
mod conn;
mod control;
mod error;
mod front;
pub mod log;
pub mod ready;
pub mod server;
pub mod state;
mod webhooks;

pub use api::App;
/// The operation ids of the contract table the mock has a handler for (its router serves them
/// at the table's paths); for the checklist test, not part of the supported API.
#[doc(hidden)]
pub use api::handled_operations;
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

/// Entry points for the fuzz targets in `fuzz/` (run by `scripts/fuzz`): thin wrappers over
/// internals that are not public, so that the fuzzers drive the very code the server runs.
/// Not part of the supported API; nothing else of the library is exposed through it, and it is
/// only compiled with the `fuzzing` feature (which the fuzz crate enables).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use axum::Router;
    pub use axum::http::Method;

    use axum::http::Request;
    use axum::response::Response;
    use axum::routing::{MethodFilter, MethodRouter};
    use serde_json::Value;
    use tower::ServiceExt;

    /// The operations of the OpenAPI document that take a request body, as `(METHOD, route
    /// template)`, in document order.
    pub fn body_operations() -> Vec<(Method, String)> {
        let mut operations = Vec::new();
        let paths = crate::schema::document()["paths"].as_object();
        for (route, item) in paths.into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if operation.get("requestBody").is_some() {
                    operations.push((method, route.clone()));
                }
            }
        }
        operations
    }

    /// A router serving every operation of [`body_operations`] with a handler that only runs
    /// the mock's request-body extractor (JSON parsing, then the route's request schema) and
    /// echoes what it accepted; refusals answer as the server's would.
    pub fn body_router() -> Router {
        let mut by_route: std::collections::BTreeMap<String, MethodRouter> = Default::default();
        for (method, route) in body_operations() {
            let Ok(filter) = MethodFilter::try_from(method) else {
                continue;
            };
            let methods = by_route.remove(&route).unwrap_or_default();
            by_route.insert(route, methods.on(filter, echo));
        }
        by_route
            .into_iter()
            .fold(Router::new(), |router, (route, methods)| {
                router.route(&route, methods)
            })
    }

    async fn echo(body: crate::api::Body) -> Response {
        crate::api::json_response(Value::Object(body.0))
    }

    /// Sends `body` to `method uri` of `router` (from [`body_router`]); the status and body of
    /// the answer.
    pub async fn send(router: &Router, method: Method, uri: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        let Ok(request) = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
        else {
            return (0, Vec::new());
        };
        let Ok(response) = router.clone().oneshot(request).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        (status, bytes)
    }
}
