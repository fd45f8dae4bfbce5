//! User imports: create, process, list, read, delete (server-to-server SS-28 … SS-32).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
