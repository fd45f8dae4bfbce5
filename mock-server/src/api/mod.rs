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
pub mod users;
pub mod verify;

pub use credentials::*;
pub use extract::*;
pub use respond::*;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;

use crate::error::{Error, Result, msg};
use crate::state::Store;
use crate::state::password::Hasher;

/// Largest accepted request body (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// Everything a handler needs: the state, the password hasher, an HTTP client for outgoing calls.
///
/// One `Arc`: every request clones the app (axum's `State` extractor), so a clone is one
/// reference count, not one per field.
#[derive(Clone)]
pub struct App(Arc<Shared>);

/// What an [`App`] shares (reached through it by `Deref`: `app.store`, `app.journal`).
#[derive(Clone)]
pub struct Shared {
    pub store: Store,
    pub hasher: Hasher,
    /// The request journal (`/__mock/requests`).
    pub journal: crate::control::journal::Journal,
    /// Where the state is saved on exit and by `POST /__mock/export` (`--export-on-exit`).
    pub export_path: Option<Arc<std::path::Path>>,
    /// Long-polls in progress (`?wait=`), ended at shutdown.
    pub waits: crate::control::wait::Waits,
    http: std::sync::OnceLock<reqwest::Client>,
}

impl std::ops::Deref for App {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl App {
    /// A handle on `store`.
    pub fn new(store: Store) -> Self {
        App(Arc::new(Shared {
            store,
            hasher: Hasher,
            journal: crate::control::journal::Journal::default(),
            export_path: None,
            waits: crate::control::wait::Waits::default(),
            http: std::sync::OnceLock::new(),
        }))
    }

    /// The same, keeping the last `size` requests in the journal (0: no journal).
    pub fn with_journal_size(mut self, size: usize) -> Self {
        Arc::make_mut(&mut self.0).journal = crate::control::journal::Journal::new(size);
        self
    }

    /// The same, saving the state to `path` on exit and on `POST /__mock/export`.
    pub fn with_export_path(mut self, path: Option<&std::path::Path>) -> Self {
        Arc::make_mut(&mut self.0).export_path = path.map(Arc::from);
        self
    }

    /// The HTTP client for outgoing calls (webhooks, passthrough), built on first use so that
    /// start-up does not pay for TLS set-up.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(reqwest::Client::new)
    }
}

/// Every operation of the contract's route table (`schemas/operations.json`, read through
/// `userfront_contract::routes`) with its handler: the one place where an operation meets the
/// code that serves it. Paths are not written here: the router registers each handler at the
/// path forms the table gives its operation (the docs form and, where the table has one, the
/// tenant form; conventions C-2), so the router serves exactly the table. An operation of the
/// table without a row here is not served, and a row naming no operation of the table is not
/// registered; the checklist test (`mock-server/tests/it/checklist.rs`) names both.
fn handlers() -> Vec<(&'static str, MethodRouter<App>)> {
    use axum::routing::{delete, get, post, put};
    vec![
        ("signUpWithPassword", post(auth::create)),
        ("logInWithPassword", post(auth::login)),
        ("updateOwnPassword", put(auth::update_password)),
        ("setPasswordLegacy", put(auth::set_password_legacy)),
        ("logInWithPasswordMigration", post(passthrough::migrate)),
        ("sendLoginLink", post(auth::send_login_link)),
        ("logInWithLink", put(auth::link_login)),
        ("sendVerificationCode", post(mfa::send_code)),
        ("logInWithVerificationCode", put(mfa::code_login)),
        ("readTotp", get(mfa::read_totp)),
        ("logInWithTotp", post(mfa::totp_login)),
        ("removeTotp", delete(mfa::remove_totp)),
        ("sendMfaCodeLegacy", post(mfa::legacy_send)),
        ("logInWithMfaCodeLegacy", put(mfa::legacy_login)),
        ("ssoLogin", get(sso::login)),
        ("refreshTokens", get(session::refresh)),
        ("sendPasswordResetEmail", post(auth::send_reset_link)),
        ("resetPassword", put(auth::reset_password)),
        ("sendVerificationEmail", post(verify::verify_email)),
        ("sendVerificationLinkLegacy", post(verify::verify_email)),
        ("verifyPhoneNumber", post(verify::verify_phone)),
        ("exchangePkceCode", post(pkce::exchange)),
        ("logOut", get(session::logout)),
        ("logOutAll", get(session::logout_all)),
        ("readCurrentSession", get(session::current_session)),
        ("readOwnSessions", get(session::sessions)),
        ("readSelf", get(profile::read)),
        ("updateSelf", put(profile::update)),
        ("readMode", get(misc::mode)),
        ("readDefaultFlowLegacy", get(misc::default_flow)),
        ("createSamlToken", get(saml::token)),
        ("createSamlTokenLegacy", post(saml::token)),
        ("samlLogin", get(saml::login)),
        ("samlLogout", get(saml::logout)),
        ("listModsLegacy", get(misc::mods)),
        ("readClientDocs", get(docs::client_docs)),
        ("createUser", post(users::create)),
        ("readUser", get(users::read)),
        ("updateUser", put(users::update)),
        ("deleteUser", delete(users::remove)),
        ("searchUsers", post(users::search_by_body)),
        ("searchUsersLegacy", get(users::search_by_query)),
        ("inviteUser", post(users::invite_user)),
        ("createOrUpdateUser", post(users::create_or_update)),
        ("markUserActive", post(users::mark_active)),
        ("readUserSessions", get(users::sessions)),
        ("endUserSessions", post(users::end_sessions)),
        ("createTenant", post(tenants::create)),
        ("createChildTenant", post(tenants::create)),
        ("readTenant", get(tenants::read)),
        ("updateTenant", put(tenants::update)),
        ("deleteTenant", delete(tenants::remove)),
        ("searchTenants", post(tenants::search)),
        ("createRole", post(roles::create)),
        ("listRoles", get(roles::list_roles)),
        ("setUserRoles", put(roles::set_roles)),
        ("setUserRolesPost", post(roles::set_roles)),
        ("inviteUserToRole", post(users::invite_to_roles)),
        ("deleteRole", delete(roles::remove)),
        ("createTenantRole", post(roles::create)),
        ("listTenantRoles", get(roles::list_roles)),
        ("setTenantUserRoles", put(roles::set_roles)),
        ("setTenantUserRolesPost", post(roles::set_roles)),
        ("inviteUserToTenantRole", post(users::invite_to_roles)),
        ("deleteTenantRole", delete(roles::remove)),
        ("createUserImport", post(imports::create)),
        ("processUserImport", post(imports::process)),
        ("listUserImports", get(imports::list_imports)),
        ("readUserImport", get(imports::read)),
        ("deleteUserImport", delete(imports::remove)),
        ("createApiKey", post(keys::create)),
        ("listApiKeys", get(keys::list_keys)),
        ("verifyApiKey", post(keys::verify)),
        ("invalidateApiKey", put(keys::invalidate)),
        ("deleteApiKey", delete(keys::remove)),
        ("listTenantApiKeys", get(keys::list_keys)),
        ("listJwtPublicKeys", get(jwt::public_keys)),
        ("listJwtPublicKeysOfKey", get(jwt::public_keys_of_key)),
        ("readJwks", get(jwt::jwks)),
        ("readJwksByModeLegacy", get(jwt::jwks_by_mode)),
        ("createCustomJwt", post(jwt::custom_jwt)),
        ("setJwtFormat", put(jwt::set_format)),
        ("readJwtFormat", get(jwt::read_format)),
        ("readAvailableJwtClaims", get(jwt::claims)),
        ("generateLinkCredentials", post(jwt::generate_link)),
        ("readServerDocs", get(docs::server_docs)),
        ("readOpenApi", get(docs::openapi)),
        ("mockReset", post(crate::control::reset)),
        ("mockState", get(crate::control::state)),
        ("mockReadClock", get(crate::control::read_clock)),
        ("mockSetClock", post(crate::control::set_clock)),
        ("mockReadOutbox", get(crate::control::outbox)),
        ("mockClearOutbox", delete(crate::control::clear_outbox)),
        ("mockReadWebhooks", get(crate::control::webhooks)),
        ("mockClearWebhooks", delete(crate::control::clear_webhooks)),
        ("mockSetTenantSettings", put(crate::control::settings)),
        ("mockRateLimitOptOut", post(crate::control::opt_out)),
        ("mockSsoAuthorize", get(crate::control::sso::authorize)),
        (
            "mockSsoRegisterIdentity",
            post(crate::control::sso::register),
        ),
        (
            "mockReadPassthroughCalls",
            get(crate::control::passthrough::calls),
        ),
        (
            "mockClearPassthroughCalls",
            delete(crate::control::passthrough::clear_calls),
        ),
        ("mockReadRequests", get(crate::control::journal::requests)),
        ("mockClearRequests", delete(crate::control::journal::clear)),
        ("mockExport", get(crate::control::persist::export)),
        ("mockSaveExport", post(crate::control::persist::save)),
        ("mockListUsers", get(crate::control::users::users)),
        ("mockHealth", get(crate::control::wait::health)),
        ("mockForgeToken", post(crate::control::forge::forge)),
    ]
}

/// The operation ids [`handlers`] serves, for the checklist test (through
/// `userfront_mock::handled_operations`).
pub fn handled_operations() -> Vec<&'static str> {
    handlers().into_iter().map(|(id, _)| id).collect()
}

/// The complete router of the mock: the handlers of [`handlers`] at the paths of the route
/// table, with the documented fallbacks and the body limit; every request reaches it through
/// [`crate::front::Front`] (guard, body deadline, CORS, journal, panics).
pub fn router(app: App) -> Router {
    let mut handlers: HashMap<&str, MethodRouter<App>> = handlers().into_iter().collect();
    // One method router per path template, the methods of every operation at that path merged.
    let mut by_path: BTreeMap<&str, MethodRouter<App>> = BTreeMap::new();
    for route in userfront_contract::routes::routes() {
        let Some(handler) = handlers.remove(route.operation_id) else {
            continue;
        };
        for path in route.forms() {
            let methods = by_path.remove(path).unwrap_or_default();
            by_path.insert(path, methods.merge(handler.clone()));
        }
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        // The web page for people (`/__mock/` and its files, and the pointer at `/`) is not an
        // operation of the contract: it is served beside the table, not from it.
        .merge(crate::control::ui::routes())
        .fallback(|| async { Error::not_found() })
        .method_not_allowed_fallback(|| async { Error::new(405, msg::METHOD_NOT_ALLOWED) })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// A named path parameter. Handlers of operations with two path forms read their parameters by name
/// (`Path<HashMap<String, String>>`), because the two path forms have different counts.
pub fn path_param<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(Error::not_found)
}
