//! Sessions from the user's side: refresh, log out, log out everywhere, read sessions
//! (client-to-server CS-14, CS-21 … CS-24); token lifetimes on the mock clock.

use serde_json::Value;

use super::flows::{self, PASSWORD, TEST_BASE, refresh_refused, self_refused};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::{Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "session.refresh.issues_new_access_and_id_tokens",
            Group::Session,
            refresh,
        ),
        Scenario::new(
            "session.refresh.refuses_other_credentials",
            Group::Session,
            refresh_refusals,
        )
        .checks(&["C-5", "C-12.3"]),
        Scenario::new("session.logout.ends_the_session", Group::Session, logout),
        Scenario::new(
            "session.logout_all.ends_every_session",
            Group::Session,
            logout_all,
        ),
        Scenario::new(
            "session.read.current_and_list",
            Group::Session,
            read_sessions,
        )
        .checks(&["C-16.4"]),
        Scenario::new("session.tokens.expire_on_the_clock", Group::Session, expiry)
            .checks(&["C-12", "C-18"])
            .needs(&[Need::MockControls]),
        Scenario::new(
            "session.tokens.default_lifetimes",
            Group::Session,
            lifetimes,
        )
        .checks(&["C-12.5", "C-11.3"])
        .tags(&["defaults"]),
    ]
}

/// `GET /v0/auth/logout` with `token`, answer unjudged (every logout here is this call).
async fn logout_with(cx: &Cx, token: &str) -> Outcome<crate::scenario::Resp> {
    cx.get("/v0/auth/logout").bearer(token).send().await
}

/// CS-14: new access and ID tokens for the same session, no new refresh token, built from the
/// current user record.
async fn refresh(cx: Cx) -> Outcome {
    let (signed, tokens) = flows::signup(&cx, &cx.email("refresh"), PASSWORD).await?;
    // A profile change shows up in the refreshed ID token.
    cx.put("/v0/self")
        .bearer(&tokens.access)
        .json(serde_json::json!({ "name": "Renamed Person" }))
        .send()
        .await?
        .ok()?;
    let body = flows::refresh(&cx, &tokens.refresh).await?.ok()?;
    ensure_eq!(body["mode"], "test", "refresh mode");
    ensure_eq!(body["sessionId"], signed["sessionId"], "same session");
    ensure!(
        body["tokens"].get("refresh").is_none(),
        "refresh does not rotate the refresh token (C-12.3)"
    );
    let access = body["tokens"]["access"]["value"].as_str().unwrap_or("");
    let id = body["tokens"]["id"]["value"].as_str().unwrap_or("");
    let claims = cx.verify_token(access, Mode::Test).await?;
    let id_claims = cx.verify_token(id, Mode::Test).await?;
    ensure_eq!(
        claims["sessionId"],
        signed["sessionId"],
        "access token session"
    );
    ensure_eq!(claims["userId"], signed["userId"], "access token user");
    ensure_eq!(
        id_claims["name"],
        "Renamed Person",
        "refreshed ID token name"
    );
    flows::check_cookie(&body, "access", &claims, Mode::Test)?;
    // The new access token works.
    let me = flows::read_self(&cx, access).await?;
    ensure_eq!(
        me["userUuid"],
        signed["userUuid"],
        "self with the refreshed token"
    );
    Ok(())
}

/// CS-14 errors: only a refresh token refreshes.
async fn refresh_refusals(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("norefresh"), PASSWORD).await?;
    cx.get("/v0/auth/refresh")
        .send()
        .await?
        .err(401, "Missing authentication")?;
    refresh_refused(&cx, &tokens.access).await?;
    refresh_refused(&cx, &tokens.id).await?;
    refresh_refused(&cx, "not.a.token").await?;
    Ok(())
}

/// CS-21: logout ends the session; its tokens stop working; logging out again is fine.
async fn logout(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("logout"), PASSWORD).await?;
    let body = logout_with(&cx, &tokens.access).await?.ok()?;
    ensure_eq!(body["message"], "OK", "logout message");
    ensure!(
        body["redirectTo"]
            .as_str()
            .is_some_and(|r| r.starts_with(TEST_BASE) && r.ends_with("/login")),
        "logout redirectTo is the After-logout path: {}",
        body["redirectTo"]
    );
    refresh_refused(&cx, &tokens.refresh).await?;
    self_refused(&cx, &tokens.access).await?;
    // Idempotent, also with the refresh token.
    logout_with(&cx, &tokens.refresh).await?.ok()?;
    cx.get("/v0/auth/logout")
        .send()
        .await?
        .err(401, "Missing authentication")?;
    logout_with(&cx, "garbage")
        .await?
        .err(401, "Unauthorized")?;
    Ok(())
}

/// CS-22: every session of the user ends, not only the caller's.
async fn logout_all(cx: Cx) -> Outcome {
    let email = cx.email("everywhere");
    let (_, first) = flows::signup(&cx, &email, PASSWORD).await?;
    let (_, second) = flows::login(&cx, &email, PASSWORD).await?;
    // Someone else's session is untouched.
    let (_, bystander) = flows::signup(&cx, &cx.email("bystander"), PASSWORD).await?;
    cx.get("/v0/auth/logout/all")
        .bearer(&second.access)
        .send()
        .await?
        .ok()?;
    for refresh in [&first.refresh, &second.refresh] {
        refresh_refused(&cx, refresh).await?;
    }
    flows::refresh(&cx, &bystander.refresh).await?.ok()?;
    Ok(())
}

/// CS-23, CS-24: the current session and the list of the user's sessions.
async fn read_sessions(cx: Cx) -> Outcome {
    let email = cx.email("sessions");
    let (first_body, first) = flows::signup(&cx, &email, PASSWORD).await?;
    let (second_body, second) = flows::login(&cx, &email, PASSWORD).await?;
    let current = cx
        .get("/v0/auth/session")
        .bearer(&second.access)
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        current["sessionId"],
        second_body["sessionId"],
        "current session"
    );
    ensure_eq!(current["isCurrent"], true, "isCurrent");
    ensure_eq!(current["isActive"], true, "isActive");
    ensure_eq!(current["userUuid"], first_body["userUuid"], "session user");
    // C-16.4, C-12.5: a new session's times are the target's now, and it lasts as long as
    // its refresh token.
    let now = flows::now(&cx).await?;
    for member in ["createdAt", "lastActiveAt"] {
        let at = flows::member_seconds(&current, member)?;
        ensure!(
            (at - now).abs() <= 5,
            "a new session's {member} ({at}) is the target's now ({now})"
        );
    }
    let refresh = cx.verify_token(&second.refresh, Mode::Test).await?;
    let expires = flows::member_seconds(&current, "expiresAt")?;
    let refresh_exp = refresh["exp"].as_i64().unwrap_or(0);
    ensure!(
        (expires - refresh_exp).abs() <= 1,
        "the session expires with its refresh token: expiresAt {expires}, exp {refresh_exp}"
    );
    ensure_eq!(
        current["authentication"]["firstFactor"],
        serde_json::json!({ "channel": "email", "strategy": "password" }),
        "first factor of a password login"
    );
    let sessions = |query: &str| {
        cx.get(format!("/v0/auth/sessions{query}"))
            .bearer(&second.access)
            .send()
    };
    let list = sessions("").await?.ok()?;
    crate::coverage::note_members(&["results", "sessionId"]);
    let ids: Vec<&Value> = list["results"]
        .as_array()
        .map(|r| r.iter().map(|s| &s["sessionId"]).collect())
        .unwrap_or_default();
    ensure_eq!(
        ids,
        vec![&second_body["sessionId"], &first_body["sessionId"]],
        "sessions newest first"
    );
    ensure_eq!(list["totalCount"], 2, "totalCount");
    ensure_eq!(list["results"][1]["isCurrent"], false, "the other session");
    // An ended session is listed only with includeEnded=true.
    logout_with(&cx, &first.access).await?.ok()?;
    let list = sessions("").await?.ok()?;
    ensure_eq!(list["totalCount"], 1, "active sessions after a logout");
    let all = sessions("?includeEnded=true").await?.ok()?;
    ensure_eq!(all["totalCount"], 2, "sessions including ended ones");
    cx.get("/v0/auth/session")
        .send()
        .await?
        .err(401, "Missing authentication")?;
    Ok(())
}

/// C-12.5 on the mock clock: access tokens expire after 7 days (refresh still works), refresh
/// tokens after 30 (nothing works).
async fn expiry(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("expiry"), PASSWORD).await?;
    let lifetime =
        tokens.claims["exp"].as_i64().unwrap_or(0) - tokens.claims["iat"].as_i64().unwrap_or(0);
    cx.advance(lifetime + 1).await?;
    self_refused(&cx, &tokens.access).await?;
    let body = flows::refresh(&cx, &tokens.refresh).await?.ok()?;
    let fresh = body["tokens"]["access"]["value"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    flows::read_self(&cx, &fresh).await?;
    cx.advance(31 * 86_400).await?;
    refresh_refused(&cx, &tokens.refresh).await?;
    // Logout accepts an expired token (CS-21).
    logout_with(&cx, &tokens.access).await?.ok()?;
    Ok(())
}

/// C-12.5 defaults: access and ID tokens live 7 days, refresh tokens 30.
async fn lifetimes(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("lifetime"), PASSWORD).await?;
    let span = |c: &Value| c["exp"].as_i64().unwrap_or(0) - c["iat"].as_i64().unwrap_or(0);
    ensure_eq!(span(&tokens.claims), 604_800, "access token lifetime");
    let refresh = cx.verify_token(&tokens.refresh, Mode::Test).await?;
    ensure_eq!(span(&refresh), 2_592_000, "refresh token lifetime");
    Ok(())
}
