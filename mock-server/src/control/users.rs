//! `GET /__mock/users`: the users of one workspace and mode, for the web page's Users section.
//!
//! The Userfront API can list users too, but only with an API key, and every such call lands in
//! the request journal the developer is reading; this read-only listing needs no key and leaves
//! the journal to the app. It shows what the API never does in one place: a user's role
//! assignments, whether TOTP is paired, and their sessions. It never shows password hashes,
//! TOTP secrets or backup codes.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use crate::api::{App, Ctx, json_response};
use crate::error::{Error, Result, msg};
use crate::state::clock::format_iso;
use crate::state::model::{Mode, Session, User};

/// At most this many users are answered, so a large pool never builds a huge page.
pub const MAX_USERS: usize = 200;

/// `GET /__mock/users?tenantId=&mode=&q=`: the pool of the workspace holding `tenantId` in
/// `mode`, lowest id first; `q` keeps users whose id, email, username, name or phone number
/// contains it (case-insensitive). `totalCount` counts every match; `results` holds the first
/// [`MAX_USERS`].
pub async fn users(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    let q = &ctx.query;
    let (Some(tenant_id), Some(mode)) = (
        q.get("tenantId"),
        q.get("mode").and_then(|m| Mode::parse(m)),
    ) else {
        return Err(Error::bad_request(msg::MOCK_USERS_SCOPE));
    };
    let needle = q
        .get("q")
        .map(|s| s.trim().to_lowercase())
        .unwrap_or_default();
    let world = app.store.read();
    let realm = world.realm_of(tenant_id, mode)?;
    let now = world.now();
    let matching: Vec<&User> = realm
        .users
        .values()
        .filter(|u| needle.is_empty() || user_matches(u, &needle))
        .collect();
    let results: Vec<Value> = matching
        .iter()
        .take(MAX_USERS)
        .map(|u| {
            let mut view = realm.user_json(u);
            view["roles"] = json!(u.roles);
            view["totp"] = json!(u.totp.as_ref().is_some_and(|t| t.confirmed));
            view["hasPassword"] = json!(u.password_hash.is_some());
            view["sessions"] = realm
                .sessions_of(u.user_id, true, now)
                .into_iter()
                .map(|s| session_json(s, now))
                .collect();
            view
        })
        .collect();
    Ok(json_response(json!({
        "tenantId": realm.workspace_id,
        "mode": mode.as_str(),
        "totalCount": matching.len(),
        "results": results,
    })))
}

/// Whether the lower-cased `needle` occurs in the user's id, email, username, name or phone.
fn user_matches(u: &User, needle: &str) -> bool {
    u.user_id.to_string() == needle
        || [
            Some(&*u.email),
            Some(&*u.username),
            Some(&*u.name),
            u.phone_number.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(needle))
}

/// A session as the page shows it; `active` is false once it ended or expired.
fn session_json(s: &Session, now: i64) -> Value {
    json!({
        "sessionId": s.session_id,
        "tenantId": s.tenant_id,
        "active": s.is_active(now),
        "createdAt": format_iso(s.created_at),
        "lastActiveAt": format_iso(s.last_active_at),
        "expiresAt": format_iso(s.expires_at),
        "endedAt": s.ended_at.map(format_iso),
        "firstFactor": s.first_factor,
        "secondFactor": s.second_factor,
        "ipAddress": s.ip_address,
        "userAgent": s.user_agent,
    })
}
