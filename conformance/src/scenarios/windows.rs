//! Both sides of every documented time window, on the target's clock (the mock clock control,
//! conventions C-18): each credential still works a second before its lifetime is up and is
//! refused a second after. Lifetimes: access token and refresh token (C-12.5), verification
//! code 10 minutes, PKCE authorization code 5 minutes, firstFactorToken 1 hour, link
//! credentials their `duration` (C-8.3). The 1-hour login link has its own pair of scenarios
//! (`auth.link.expires_after_an_hour`, `auth.link.valid_just_inside_the_hour`).

use serde_json::{Value, json};

use super::flows::{self, PASSWORD};
use super::links::use_link;
use super::mfa::{pair, phone, send_code, totp, verify_code, with_second_factors};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::{Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    let needs = [Need::MockControls];
    vec![
        Scenario::new(
            "session.tokens.access_window_both_sides",
            Group::Session,
            access_window,
        )
        .checks(&["C-12.5"])
        .needs(&needs),
        Scenario::new(
            "session.refresh.window_both_sides",
            Group::Session,
            refresh_window,
        )
        .checks(&["C-12.5", "CS-14"])
        .needs(&needs),
        Scenario::new("mfa.code.window_both_sides", Group::Mfa, code_window)
            .checks(&["C-8.3", "CS-9"])
            .needs(&needs),
        Scenario::new("mfa.pkce.code_window_both_sides", Group::Mfa, pkce_window)
            .checks(&["C-8.3", "C-14.2", "CS-20"])
            .needs(&needs),
        Scenario::new(
            "mfa.first_factor.window_both_sides",
            Group::Mfa,
            first_factor_window,
        )
        .checks(&["C-8.3", "C-14.1"])
        .needs(&needs),
        Scenario::new(
            "auth.link.duration_window_both_sides",
            Group::Auth,
            link_duration_window,
        )
        .checks(&["C-8.3", "CS-3"])
        .needs(&needs),
    ]
}

fn path(cx: &Cx, rest: &str) -> String {
    format!("/v0/tenants/{}/{rest}", cx.tenant())
}

/// Sets the target's clock to `instant` (Unix seconds, `.000`).
///
/// Why not `advance(lifetime - 1)` after issuing: the clock keeps running in real time, so
/// everything the scenario did between issuing and checking (a sign-up, a second request) came
/// on top, and on a loaded CI machine that was more than the one second of margin. And not an
/// advance computed from a reading either: the clock reads in whole seconds, so that lost up to
/// a second too. So the windows are measured from the target's clock read *before* issuing
/// (just inside: the credential can only be younger) and *after* issuing (just outside: it can
/// only be older), and the clock is set to the exact instant to check.
pub(crate) async fn move_to(cx: &Cx, instant: i64) -> Outcome {
    let now = flows::now(cx).await?;
    ensure!(
        instant > now,
        "the clock is already past the instant to check ({now} >= {instant})"
    );
    cx.post("/__mock/clock")
        .json(json!({ "now": flows::iso_of(instant) }))
        .send()
        .await?
        .ok()
        .map(drop)
}

/// Issues a credential with `issue`, between two readings of the target's clock (seconds):
/// the credential was issued at or after the first, at or before the second.
async fn issued<T, F>(cx: &Cx, issue: F) -> Outcome<(i64, T, i64)>
where
    F: std::future::Future<Output = Outcome<T>>,
{
    let before = flows::now(cx).await?;
    let credential = issue.await?;
    // The clock reads whole seconds: an instant read as `after` may be up to a second later.
    let after = flows::now(cx).await? + 1;
    Ok((before, credential, after))
}

/// The lifetime a token's claims state (`exp - iat`).
fn span(claims: &Value) -> i64 {
    claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0)
}

/// C-12.5: an access token opens `/v0/self` a second before `exp`, not a second after.
async fn access_window(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("accwin"), PASSWORD).await?;
    let lifetime = span(&tokens.claims);
    ensure!(lifetime > 2, "an access token lives more than 2 s");
    let exp = tokens.claims["exp"].as_i64().unwrap_or(0);
    move_to(&cx, exp - 1).await?;
    flows::read_self(&cx, &tokens.access).await?;
    move_to(&cx, exp + 1).await?;
    flows::self_refused(&cx, &tokens.access).await
}

/// C-12.5: a refresh token refreshes a second before its `exp`, not a second after.
async fn refresh_window(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("refwin"), PASSWORD).await?;
    let claims = cx.verify_token(&tokens.refresh, Mode::Test).await?;
    let lifetime = span(&claims);
    ensure!(lifetime > 2, "a refresh token lives more than 2 s");
    let exp = claims["exp"].as_i64().unwrap_or(0);
    move_to(&cx, exp - 1).await?;
    flows::refresh(&cx, &tokens.refresh).await?.ok()?;
    move_to(&cx, exp + 1).await?;
    flows::refresh_refused(&cx, &tokens.refresh).await
}

/// C-8.3: a verification code (10 minutes) logs in at 9:59, and a fresh one is refused at
/// 10:01 with `Invalid verificationCode` (C-6.4: expired codes are not `Token expired`).
async fn code_window(cx: Cx) -> Outcome {
    let number = phone(&cx);
    let code_of = |sent: Value| sent["result"]["verificationCode"].clone();
    let send = || send_code(&cx, json!({ "channel": "sms", "phoneNumber": number }));
    let (before, sent, _) = issued(&cx, send()).await?;
    move_to(&cx, before + 599).await?;
    let resp = verify_code(&cx, "sms", &number, code_of(sent)).await?;
    cx.created_user(Mode::Test, resp.body());
    let signed = resp.ok()?;
    ensure_eq!(
        signed["phoneNumber"],
        number,
        "a code just inside its 10 minutes signs on"
    );
    let (_, sent, after) = issued(&cx, send()).await?;
    move_to(&cx, after + 601).await?;
    verify_code(&cx, "sms", &number, code_of(sent))
        .await?
        .err(400, "Invalid verificationCode")
}

/// C-14.2, C-8.3: a PKCE authorization code (5 minutes) is exchanged at 4:59; another is
/// refused at 5:01 with `Token expired`.
async fn pkce_window(cx: Cx) -> Outcome {
    let email = cx.email("pkcewin");
    flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let (verifier, challenge) = super::mfa::pkce_pair(&cx, "window-verifier");
    let pending = || async {
        let body = super::mfa::pkce_sign_on(&cx, &email, &challenge).await?;
        Ok::<_, crate::scenario::Failure>(body["authorizationCode"].clone())
    };
    let exchange = |code: Value| {
        cx.post(path(&cx, "auth/pkce"))
            .json(json!({ "authorizationCode": code, "codeVerifier": verifier }))
            .send()
    };
    let (before, code, _) = issued(&cx, pending()).await?;
    move_to(&cx, before + 299).await?;
    let body = exchange(code).await?.ok()?;
    flows::check_sign_on(&cx, &body, Mode::Test).await?;
    let (_, code, after) = issued(&cx, pending()).await?;
    move_to(&cx, after + 301).await?;
    exchange(code).await?.err(400, "Token expired")
}

/// C-14.1, C-8.3: a firstFactorToken (1 hour) completes the sign-on at 59:59; another is
/// refused at 60:01 (`Invalid token`, 400 or 401 as for any header token, C-6.4).
async fn first_factor_window(cx: Cx) -> Outcome {
    let cx = &cx;
    let email = cx.email("ffwin");
    let (_, tokens) = flows::signup_quiet(cx, &email, PASSWORD).await?;
    let (secret, _) = pair(cx, &tokens.access).await?;
    let factors = json!([{ "channel": "authenticator", "strategy": "totp" }]);
    with_second_factors(cx, factors, false, || async move {
        let (before, token, _) = issued(cx, first_factor(cx, &email)).await?;
        move_to(cx, before + 3_599).await?;
        let body = totp_second(cx, &secret, &token).await?.ok()?;
        flows::check_sign_on(cx, &body, Mode::Test).await?;
        let (_, token, after) = issued(cx, first_factor(cx, &email)).await?;
        move_to(cx, after + 3_601).await?;
        let late = totp_second(cx, &secret, &token).await?;
        late.judge();
        ensure!(
            [400, 401].contains(&late.status()) && late.body()["message"] == "Invalid token",
            "a firstFactorToken a second past its hour: expected 400/401 Invalid token, got {} {}",
            late.status(),
            late.body()
        );
        Ok(())
    })
    .await
}

/// The password step of an MFA sign-on: its firstFactorToken.
async fn first_factor(cx: &Cx, email: &str) -> Outcome<String> {
    let body = cx
        .post(path(cx, "auth/basic"))
        .json(json!({ "emailOrUsername": email, "password": PASSWORD }))
        .send()
        .await?
        .ok()?;
    Ok(body["firstFactorToken"].as_str().unwrap_or("").to_owned())
}

/// The TOTP step with `token`, the code taken at the target's now; answer unjudged.
async fn totp_second(cx: &Cx, secret: &str, token: &str) -> Outcome<crate::scenario::Resp> {
    let code = totp(secret, flows::now(cx).await?).unwrap_or_default();
    cx.post(path(cx, "auth/totp"))
        .bearer(token)
        .json(json!({ "totpCode": code }))
        .send()
        .await
}

/// C-8.3: generated link credentials with `duration: "10 seconds"` sign in at 9 s; others are
/// refused at 11 s with `Token expired`.
async fn link_duration_window(cx: Cx) -> Outcome {
    let email = cx.email("durwin");
    let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let generate = || async {
        let body = cx
            .post("/v0/auth/link/generate")
            .bearer(cx.admin())
            .json(json!({ "email": email, "options": { "duration": "10 seconds" } }))
            .send()
            .await?
            .ok()?;
        let part = |m: &str| body["result"][m].as_str().unwrap_or("").to_owned();
        Ok::<_, crate::scenario::Failure>((part("uuid"), part("token")))
    };
    let (before, (uuid, token), _) = issued(&cx, generate()).await?;
    move_to(&cx, before + 9).await?;
    let body = use_link(&cx, &uuid, &token).await?.ok()?;
    ensure_eq!(
        body["userId"],
        signed["userId"],
        "a link just inside its 10 seconds signs in"
    );
    let (_, (uuid, token), after) = issued(&cx, generate()).await?;
    move_to(&cx, after + 11).await?;
    use_link(&cx, &uuid, &token)
        .await?
        .err(400, "Token expired")
}
