//! PKCE authorization code exchange (client-to-server CS-20; conventions C-14.2).
//!
//! A sign-on request that carried `?code_challenge=` was answered "PKCE required" with an
//! authorization code ([`crate::state::Realm::finish_sign_on`]); the native app exchanges that
//! code here, with the verifier, for the tokens.

use axum::extract::State;
use axum::response::Response;

use super::{App, Body, Ctx, PathTenant, json_response};
use crate::error::{Error, Result};
use crate::state::model::Mode;

/// The first non-blank string of a member and its snake_case alias.
fn member<'a>(body: &'a Body, names: [&str; 2]) -> Result<Option<&'a str>> {
    for name in names {
        if let Some(value) = body.str(name)?.map(str::trim).filter(|v| !v.is_empty()) {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// CS-20 `POST /v0/auth/pkce`: `{authorizationCode, codeVerifier}` (or their snake_case
/// spellings) → the tokens of the pending sign-on. Single use, 5 minutes; a wrong verifier does
/// not use the code up. The code names its own mode, as a token would: an app exchanging it
/// from outside the browser sends no origin.
pub(crate) async fn exchange(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let code = member(&body, ["authorizationCode", "authorization_code"])?
        .ok_or_else(|| Error::required("authorizationCode"))?;
    let verifier = member(&body, ["codeVerifier", "code_verifier"])?
        .ok_or_else(|| Error::required("codeVerifier"))?;
    let prepared = {
        let mut world = app.store.write();
        let scope = path.client_scope(&world, &body, &ctx)?;
        let now = world.now();
        let other = match scope.mode {
            Mode::Test => Mode::Live,
            Mode::Live => Mode::Test,
        };
        let holder = [scope.mode, other].into_iter().find(|&mode| {
            world
                .realm_of(&scope.tenant_id, mode)
                .is_ok_and(|realm| realm.holds_pkce_code(code))
        });
        world
            .realm_of_mut(&scope.tenant_id, holder.unwrap_or(scope.mode))?
            .exchange_pkce(code, verifier, now)?
    };
    Ok(json_response(prepared.sign()))
}
