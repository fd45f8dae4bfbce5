//! The HTTP face of the mock: one module per API area, and what they share.
//!
//! Here: the application handle ([`App`]) and the router with its documented fallbacks (404
//! unknown route, 405 wrong method, 413 body over 1 MiB, 500 on a bug, all in the error format).
//! What every handler uses lives beside it and is re-exported here, so handlers import it from
//! `super`:
//!
//! - [`extract`]: the request extractors: [`Body`] (the JSON body, checked against the route's
//!   request schema, with typed accessors), [`Ctx`] (what a browser request says about itself),
//!   [`PathTenant`] (the `{tenantId}` of the tenant form of a path) and the [`Scope`] it yields;
//! - [`credentials`]: [`Admin`] / [`Reader`] (server-to-server credentials, conventions C-5,
//!   checked in the documented order) and [`UserAuth`] (a user's access token, verified against
//!   its realm's key, session and user);
//! - [`respond`]: the 200 answers (JSON, `{"message": "OK"}`, a sign-on's tokens).
//!
//! The `/__mock` control surface is not here but in [`crate::control`].

pub mod auth;
pub mod credentials;
pub mod docs;
pub mod extract;
pub mod imports;
pub mod jwt;
pub mod keys;
pub mod mfa;
pub mod misc;
pub mod mock_users;
pub mod passthrough;
pub mod pkce;
pub mod profile;
pub mod respond;
pub mod roles;
pub mod saml;
pub mod session;
pub mod signon;
pub mod sso;
pub mod tenants;
pub mod ui;
pub mod users;
pub mod verify;

pub use credentials::*;
pub use extract::*;
pub use respond::*;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::MethodRouter;

use crate::error::{Error, Result, msg};
use crate::state::Store;
use crate::state::password::Hasher;

/// Largest accepted request body (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// Everything a handler needs: the state, the password hasher, an HTTP client for outgoing calls.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub hasher: Hasher,
    /// The request journal (`/__mock/requests`).
    pub journal: crate::control::journal::Journal,
    /// Where the state is saved on exit and by `POST /__mock/export` (`--export-on-exit`).
    pub export_path: Option<Arc<std::path::Path>>,
    http: Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl App {
    /// A handle on `store`.
    pub fn new(store: Store) -> Self {
        App {
            store,
            hasher: Hasher,
            journal: crate::control::journal::Journal::default(),
            export_path: None,
            http: Arc::default(),
        }
    }

    /// The same, keeping the last `size` requests in the journal (0: no journal).
    pub fn with_journal_size(mut self, size: usize) -> Self {
        self.journal = crate::control::journal::Journal::new(size);
        self
    }

    /// The same, saving the state to `path` on exit and on `POST /__mock/export`.
    pub fn with_export_path(mut self, path: Option<&std::path::Path>) -> Self {
        self.export_path = path.map(Arc::from);
        self
    }

    /// The HTTP client for outgoing calls (webhooks, passthrough), built on first use so that
    /// start-up does not pay for TLS set-up.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(reqwest::Client::new)
    }
}

/// The complete router of the mock.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(verify::routes())
        .merge(session::routes())
        .merge(profile::routes())
        .merge(misc::routes())
        .merge(docs::routes())
        .merge(jwt::routes())
        .merge(users::routes())
        .merge(tenants::routes())
        .merge(roles::routes())
        .merge(imports::routes())
        .merge(keys::routes())
        .merge(mfa::routes())
        .merge(sso::routes())
        .merge(saml::routes())
        .merge(pkce::routes())
        .merge(passthrough::routes())
        .merge(crate::control::routes())
        .merge(mock_users::routes())
        .merge(ui::routes())
        .fallback(|| async { Error::not_found() })
        .method_not_allowed_fallback(|| async { Error::new(405, msg::METHOD_NOT_ALLOWED) })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| Error::internal().into_response(),
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::control::journal::record,
        ))
        .layer(cors())
        .with_state(app)
}

/// Cross-origin access for browser apps, as the real API allows it: a page on
/// `http://localhost:3000` calls the mock on another port, and its browser (or jsdom) sends a
/// preflight for the JSON body and the `authorization` and `x-userfront-source` headers. Any
/// origin, method and header is allowed, with credentials; the mock is a local test tool.
fn cors() -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(86_400))
}

/// Registers `method_router` at a `/v0/...` path and at its tenant form
/// `/v0/tenants/{tenantId}/...` (conventions C-2).
pub fn dual(router: Router<App>, path: &str, method_router: MethodRouter<App>) -> Router<App> {
    let rest = path.strip_prefix("/v0").unwrap_or(path);
    router
        .route(path, method_router.clone())
        .route(&format!("/v0/tenants/{{tenantId}}{rest}"), method_router)
}

/// A named path parameter. Handlers registered with [`dual`] read their parameters by name
/// (`Path<HashMap<String, String>>`), because the two path forms have different counts.
pub fn path_param<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(Error::not_found)
}
