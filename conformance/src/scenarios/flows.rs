//! Steps many scenarios share: signing up and in, and checking a sign-on response with its
//! tokens against the target's JWKS (conventions C-12, C-13.1).

use serde_json::{Value, json};

use crate::scenario::{Cx, Outcome, Resp, fail};
use crate::target::{Created, Mode};
use crate::{ensure, ensure_eq};

/// A password that satisfies the rules in both modes.
pub const PASSWORD: &str = "conformance-Passw0rd";

/// The tokens of a checked sign-on.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access: String,
    pub id: String,
    pub refresh: String,
    /// Verified claims of the access token.
    pub claims: Value,
}

/// `POST /v0/tenants/{tenant}/auth/create` for a new test-mode user; registers it for
/// clean-up and checks the sign-on.
pub async fn signup(cx: &Cx, email: &str, password: &str) -> Outcome<(Value, Tokens)> {
    signup_with(cx, json!({ "email": email, "password": password }), None).await
}

/// Signs up without the welcome email, so that a scenario can send the user a message at once
/// (one message per recipient per 2 seconds, conventions C-7).
pub async fn signup_quiet(cx: &Cx, email: &str, password: &str) -> Outcome<(Value, Tokens)> {
    signup_with(
        cx,
        json!({ "email": email, "password": password, "options": { "noSignupEmail": true } }),
        None,
    )
    .await
}

/// Signs up with any body, from `origin` (live when it is a live origin).
pub async fn signup_with(cx: &Cx, body: Value, origin: Option<&str>) -> Outcome<(Value, Tokens)> {
    let mut req = cx
        .post(format!("/v0/tenants/{}/auth/create", cx.tenant()))
        .json(body);
    if let Some(o) = origin {
        req = req.origin(o);
    }
    let resp = req.send().await?;
    let mode = if origin.is_some() {
        Mode::Live
    } else {
        Mode::Test
    };
    if resp.status() == 200 {
        cx.created_user(mode, resp.body());
    }
    let body = resp.ok()?;
    let tokens = check_sign_on(cx, &body, mode).await?;
    Ok((body, tokens))
}

/// `POST /v0/tenants/{tenant}/auth/basic` in test mode; checks the sign-on.
pub async fn login(cx: &Cx, email_or_username: &str, password: &str) -> Outcome<(Value, Tokens)> {
    let body = cx
        .post(format!("/v0/tenants/{}/auth/basic", cx.tenant()))
        .json(json!({ "emailOrUsername": email_or_username, "password": password }))
        .send()
        .await?
        .ok()?;
    let tokens = check_sign_on(cx, &body, Mode::Test).await?;
    Ok((body, tokens))
}

/// `GET /v0/auth/refresh` with `token`, answer unjudged: scenarios of several groups refresh
/// to see what a change did to the tokens, or to show that a token no longer refreshes.
pub async fn refresh(cx: &Cx, token: &str) -> Outcome<Resp> {
    cx.get("/v0/auth/refresh").bearer(token).send().await
}

/// Shows that `token` no longer refreshes (the session ended or expired, or it is no refresh
/// token): the refusal session and user-session scenarios end on.
pub async fn refresh_refused(cx: &Cx, token: &str) -> Outcome {
    refresh(cx, token).await?.err(401, "Invalid token")
}

/// `GET /v0/self` with `token`, which must work: the signed-in user's record.
/// `POST /v0/auth/link/generate` for `email` with the admin key (SS-46): the answer, whose
/// `result` holds the link's `uuid` and `token`.
pub async fn generate_link(cx: &Cx, email: &str) -> Outcome<Value> {
    cx.post("/v0/auth/link/generate")
        .bearer(cx.admin())
        .json(json!({ "email": email }))
        .send()
        .await?
        .ok()
}

pub async fn read_self(cx: &Cx, token: &str) -> Outcome<Value> {
    cx.get("/v0/self").bearer(token).send().await?.ok()
}

/// Shows that `token` does not open `GET /v0/self` (ended, expired, locked out or forged).
pub async fn self_refused(cx: &Cx, token: &str) -> Outcome {
    cx.get("/v0/self")
        .bearer(token)
        .send()
        .await?
        .err(401, "Unauthorized")
}

/// Refreshes with `refresh_token` (it must work) and returns the verified claims of the new
/// access token: how role changes are shown to reach the tokens (roles, tenants).
pub async fn refreshed_claims(cx: &Cx, refresh_token: &str) -> Outcome<Value> {
    let body = refresh(cx, refresh_token).await?.ok()?;
    let access = body["tokens"]["access"]["value"].as_str().unwrap_or("");
    cx.verify_token(access, Mode::Test).await
}

/// `POST {base}/roles` with the admin key; a created role is registered for clean-up. Roles
/// are made this one way by the scenarios of several groups (misc, roles, users, sequences).
pub async fn create_role(cx: &Cx, base: &str, name: &str) -> Outcome<Value> {
    let resp = cx
        .post(format!("{base}/roles"))
        .bearer(cx.admin())
        .json(json!({ "name": name }))
        .send()
        .await?;
    if resp.status() == 200 {
        cx.created(Created::Role {
            mode: Mode::Test,
            tenant_id: cx.tenant().to_owned(),
            name: name.to_owned(),
        });
    }
    resp.ok()
}

/// `PUT {base}/users/{user_id}/roles` with the admin key, answer unjudged (the same call in
/// misc, roles and tenants scenarios).
pub async fn set_roles(
    cx: &Cx,
    base: &str,
    user_id: impl std::fmt::Display,
    roles: Value,
) -> Outcome<Resp> {
    cx.put(format!("{base}/users/{user_id}/roles"))
        .bearer(cx.admin())
        .json(json!({ "roles": roles }))
        .send()
        .await
}

/// The value of `tokens.{kind}` of a sign-on body; a sign-on without it fails.
pub fn token<'a>(body: &'a Value, kind: &str) -> Outcome<&'a str> {
    body["tokens"][kind]["value"]
        .as_str()
        .ok_or_else(|| fail(format!("sign-on without tokens.{kind}.value")))
}

/// Checks a C-13.1 body: tokens verify against the mode's JWKS, claims agree with the body
/// (conventions C-12.2 … C-12.4), cookie options agree with the token lifetimes (C-12.5).
pub async fn check_sign_on(cx: &Cx, body: &Value, mode: Mode) -> Outcome<Tokens> {
    ensure_eq!(body["mode"], mode.as_str(), "sign-on mode");
    ensure_eq!(body["message"], "OK", "sign-on message");
    // C-13.1, C-3: a fresh lowercase UUID v4 with every sign-on.
    ensure!(
        body["nonce"].as_str().is_some_and(|n| {
            uuid::Uuid::parse_str(n).is_ok_and(|u| u.get_version_num() == 4)
                && n == n.to_lowercase()
        }),
        "sign-on nonce is a lowercase UUID v4: {}",
        body["nonce"]
    );
    let access = token(body, "access")?.to_owned();
    let id = token(body, "id")?.to_owned();
    let refresh = token(body, "refresh")?.to_owned();
    let claims = cx.verify_token(&access, mode).await?;
    let id_claims = cx.verify_token(&id, mode).await?;
    let refresh_claims = cx.verify_token(&refresh, mode).await?;
    // The three token values verified against the JWKS: asserted for the coverage report.
    crate::coverage::note_members(&["tokens", "access", "id", "refresh", "value"]);
    for (what, c) in [
        ("access", &claims),
        ("id", &id_claims),
        ("refresh", &refresh_claims),
    ] {
        ensure_eq!(c["mode"], mode.as_str(), "{what} token mode claim");
        ensure_eq!(c["userId"], body["userId"], "{what} token userId claim");
        ensure_eq!(
            c["userUuid"],
            body["userUuid"],
            "{what} token userUuid claim"
        );
        ensure_eq!(
            c["sessionId"],
            body["sessionId"],
            "{what} token sessionId claim"
        );
        ensure!(
            c["iat"].is_i64() && c["exp"].is_i64(),
            "{what} token needs integer iat and exp: {c}"
        );
    }
    ensure_eq!(
        claims["tenantId"],
        body["tenantId"],
        "access token tenantId claim"
    );
    ensure_eq!(
        claims["authorization"],
        body["authorization"],
        "access token authorization claim"
    );
    ensure_eq!(
        claims["isEmailConfirmed"],
        body["isEmailConfirmed"],
        "access token isEmailConfirmed claim"
    );
    ensure!(
        claims.get("type").is_none(),
        "an access token has no type claim"
    );
    ensure_eq!(id_claims["email"], body["email"], "ID token email claim");
    ensure_eq!(
        refresh_claims["type"],
        "refresh",
        "refresh token type claim"
    );
    ensure!(
        refresh_claims.get("authorization").is_none(),
        "a refresh token carries no authorization (C-12.3)"
    );
    for (kind, c) in [
        ("access", &claims),
        ("id", &id_claims),
        ("refresh", &refresh_claims),
    ] {
        check_cookie(body, kind, c, mode)?;
    }
    Ok(Tokens {
        access,
        id,
        refresh,
        claims,
    })
}

/// `cookieOptions` of a token: `secure` in live mode only, `Strict` for refresh, `expires` in
/// days matching the token's lifetime (C-12.5).
pub fn check_cookie(body: &Value, kind: &str, claims: &Value, mode: Mode) -> Outcome {
    let options = &body["tokens"][kind]["cookieOptions"];
    ensure_eq!(
        options["secure"],
        mode == Mode::Live,
        "tokens.{kind}.cookieOptions.secure in {} mode",
        mode.as_str()
    );
    if kind == "refresh" {
        ensure_eq!(options["sameSite"], "Strict", "refresh cookie sameSite");
    }
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    let days = options["expires"].as_f64().unwrap_or(-1.0);
    let close = (days * 86_400.0 - lifetime as f64).abs() < 60.0;
    ensure!(
        close,
        "tokens.{kind}.cookieOptions.expires is {days} days but the token lives {lifetime} s"
    );
    Ok(())
}

/// The base of links and redirects when a request has no origin (C-8.2): test mode.
pub const TEST_BASE: &str = "http://localhost:3000";

/// Unix seconds of the date member `member` of `body`, or a failure naming it. Callers compare
/// it with the target's clock or another time, so it counts as asserting the member.
pub fn member_seconds(body: &Value, member: &str) -> Outcome<i64> {
    crate::coverage::note_members(&[member]);
    body[member]
        .as_str()
        .and_then(unix_seconds)
        .ok_or_else(|| fail(format!("{member} is not a date: {}", body[member])))
}

/// Unix seconds of an ISO-8601 UTC time (`2024-05-15T23:04:50.787Z`).
pub fn unix_seconds(text: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from the civil date (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3_600 + mm * 60 + ss)
}

/// `YYYY-MM-DDTHH:MM:SS.000Z` of Unix seconds (the inverse of [`unix_seconds`]).
pub fn iso_of(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // The civil date of a day count (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// The target's current time: the mock clock when the target has one, else ours.
pub async fn now(cx: &Cx) -> Outcome<i64> {
    if cx.target.mock_controls {
        let body = cx.get("/__mock/clock").send().await?.ok()?;
        return body["now"]
            .as_str()
            .and_then(unix_seconds)
            .ok_or_else(|| fail(format!("unreadable mock clock: {body}")));
    }
    Ok(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_of_iso_times() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(
            unix_seconds("2024-03-01T00:00:00.000Z"),
            Some(1_709_251_200)
        );
        assert_eq!(unix_seconds("nonsense"), None);
        for t in [
            0,
            951_782_400,
            1_709_251_199,
            1_798_761_599,
            4_102_444_800 + 86_399,
        ] {
            assert_eq!(unix_seconds(&iso_of(t)), Some(t), "{}", iso_of(t));
        }
        assert_eq!(iso_of(1_709_251_200), "2024-03-01T00:00:00.000Z");
    }
}
