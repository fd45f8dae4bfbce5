//! Users: create, read, update, delete, search, invite, createOrUpdate, mark active, sessions, end sessions (server-to-server SS-1 … SS-11, SS-21, SS-26).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
