//! Verification codes, TOTP and legacy MFA (client-to-server CS-8 … CS-12, CS-29, CS-30).

use axum::Router;

use super::App;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
}
