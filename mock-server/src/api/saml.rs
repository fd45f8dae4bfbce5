//! Userfront as SAML identity provider (client-to-server CS-31 … CS-33; conventions C-14.4).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
