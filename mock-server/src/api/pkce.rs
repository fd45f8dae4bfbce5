//! PKCE authorization code exchange (client-to-server CS-20; conventions C-14.2).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
