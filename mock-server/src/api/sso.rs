//! SSO sign-on with fake providers (client-to-server CS-13; conventions C-14.3).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
