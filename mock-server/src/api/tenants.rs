//! Tenants: create, create child, read, update, delete, search (server-to-server SS-12 … SS-17).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
