//! Sessions from the user's side: refresh, log out, log out everywhere, read sessions
//! (client-to-server CS-14, CS-21 … CS-24).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::{App, Ctx, TokenUse, UserAuth, bearer, json_response, verify_user_token};
use crate::error::{Error, Result};
use crate::state::messages::base_url;

/// CS-14 `GET /v0/auth/refresh`: new access and ID tokens for the refresh token's session.
pub(crate) async fn refresh(State(app): State<App>, headers: HeaderMap) -> Result<Response> {
    let token = bearer(&headers).ok_or_else(Error::missing_auth)?;
    let prepared = {
        let mut world = app.store.write();
        let verified = verify_user_token(&world, &token, TokenUse::Refresh)?;
        let now = world.now();
        let session_id = verified
            .session_id
            .ok_or_else(|| Error::new(401, crate::error::msg::INVALID_TOKEN))?;
        world
            .realm_mut(&verified)?
            .refresh_session(session_id, verified.user_id, now)?
    };
    Ok(json_response(prepared.sign()))
}

/// Ends the token's session, or all sessions of its user; answers with the After-logout URL.
fn end(app: &App, ctx: &Ctx, all: bool) -> Result<Response> {
    let token = ctx.bearer.clone().ok_or_else(Error::missing_auth)?;
    let mut world = app.store.write();
    let verified = verify_user_token(&world, &token, TokenUse::Logout)?;
    let now = world.now();
    let workspace = world.workspace_of(&verified.tenant_id)?;
    let base = base_url(ctx.origin.as_deref(), workspace, verified.mode);
    let realm = world.realm_mut(&verified)?;
    let path = realm
        .tenant(&verified.tenant_id)?
        .settings
        .logout_redirect_path
        .clone();
    match (all, verified.user_id, verified.session_id) {
        (true, Some(user_id), _) => {
            realm.end_sessions_of(user_id, now);
        }
        (_, _, Some(session_id)) => {
            if let Some(session) = realm.sessions.get_mut(&session_id)
                && session.ended_at.is_none()
            {
                session.ended_at = Some(now);
            }
        }
        _ => {}
    }
    Ok(json_response(json!({
        "message": "OK",
        "redirectTo": format!("{base}{path}"),
    })))
}

/// CS-21 `GET /v0/auth/logout`.
pub(crate) async fn logout(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    end(&app, &ctx, false)
}

/// CS-22 `GET /v0/auth/logout/all`.
pub(crate) async fn logout_all(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    end(&app, &ctx, true)
}

/// CS-23 `GET /v0/auth/session`: the token's own session.
pub(crate) async fn current_session(State(app): State<App>, auth: UserAuth) -> Result<Response> {
    let world = app.store.read();
    let now = world.now();
    let realm = world.realm(&auth)?;
    let session = realm
        .sessions
        .get(&auth.session_id)
        .ok_or_else(Error::unauthorized)?;
    let mut body = realm.session_json(session, now);
    body["isCurrent"] = Value::Bool(true);
    Ok(json_response(body))
}

/// CS-24 `GET /v0/auth/sessions`: the user's sessions, newest first.
pub(crate) async fn sessions(State(app): State<App>, auth: UserAuth, ctx: Ctx) -> Result<Response> {
    let include_ended = ctx.query.get("includeEnded").map(String::as_str) == Some("true");
    let world = app.store.read();
    let now = world.now();
    let realm = world.realm(&auth)?;
    Ok(json_response(crate::state::views::list(
        realm
            .sessions_of(auth.user_id, include_ended, now)
            .into_iter()
            .map(|s| {
                let mut body = realm.session_json(s, now);
                body["isCurrent"] = Value::Bool(s.session_id == auth.session_id);
                body
            })
            .collect(),
    )))
}
