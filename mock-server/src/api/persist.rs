//! State import and export (/__mock/export, --import, --export-on-exit).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
