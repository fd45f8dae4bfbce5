//! Password migration through a passthrough upstream (client-to-server CS-5; conventions C-14.5).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
