//! Roles at application and tenant level: create, list, set user roles, delete (server-to-server SS-18 … SS-27).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
