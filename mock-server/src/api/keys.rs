//! API keys: create, list, verify, invalidate, delete (server-to-server SS-33 … SS-38).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
