//! Links and passwords: passwordless sign-up and login links, password reset, password change,
//! address verification, generated link credentials, rate limits (client-to-server CS-2, CS-3,
//! CS-6, CS-7, CS-15 … CS-18; server-to-server SS-46; conventions C-7, C-8).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::flows::{self, PASSWORD, TEST_BASE};
use super::passwords::{
    legacy_password, migrate, passthrough, reset, update_password, update_password_without_one,
};
use crate::props;
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario, fail};
use crate::target::{Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "auth.link.passwordless_signup_is_single_use",
            Group::Auth,
            passwordless,
        )
        .checks(&["C-8.2"]),
        Scenario::new(
            "auth.link.login_link_for_existing_user",
            Group::Auth,
            login_link,
        ),
        Scenario::new("auth.link.expires_after_an_hour", Group::Auth, link_expiry)
            .checks(&["C-8.3", "C-18"])
            .needs(&[Need::MockControls]),
        Scenario::new("auth.reset.resets_the_password_once", Group::Auth, reset),
        Scenario::new("auth.basic.update_password", Group::Auth, update_password),
        Scenario::new(
            "auth.basic.update_password_without_one_sends_a_reset_link",
            Group::Auth,
            update_password_without_one,
        ),
        Scenario::new(
            "auth.migrate.acts_as_login_without_upstream",
            Group::Auth,
            migrate,
        ),
        Scenario::new(
            "auth.migrate.passthrough_upstream",
            Group::Auth,
            passthrough,
        )
        .checks(&["C-14.5"])
        .needs(&[Need::MockControls]),
        Scenario::new("auth.password.legacy_route", Group::Auth, legacy_password),
        Scenario::new(
            "auth.verify.email_confirms_the_address",
            Group::Auth,
            verify_email,
        )
        .checks(&["C-14.6"]),
        Scenario::new("auth.link.generated_credentials", Group::Auth, generated)
            .checks(&["C-8.2", "C-5"])
            .tags(&["permissions"])
            .needs(&[Need::Readonly]),
        Scenario::new("auth.property.link_durations", Group::Auth, durations)
            .checks(&["C-8.3"])
            .tags(&["property"]),
        Scenario::new(
            "auth.rate_limit.duplicate_within_two_seconds",
            Group::Auth,
            duplicate_rate,
        )
        .checks(&["C-7"])
        .tags(&["rate-limit"])
        .needs(&[Need::MockControls]),
        Scenario::new(
            "auth.rate_limit.spam_limit_for_unconfirmed",
            Group::Auth,
            spam_rate,
        )
        .checks(&["C-7"])
        .tags(&["rate-limit"])
        .needs(&[Need::MockControls]),
    ]
}

/// The `uuid`, `token` and `type` query values of a link.
pub fn link_parts(link: &str) -> Outcome<(String, String, Option<String>)> {
    let query = link
        .split_once('?')
        .map(|(_, q)| q)
        .ok_or_else(|| fail(format!("a link without a query: {link}")))?;
    let get = |name: &str| {
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    };
    let uuid = get("uuid").ok_or_else(|| fail(format!("no uuid in {link}")))?;
    let token = get("token").ok_or_else(|| fail(format!("no token in {link}")))?;
    Ok((uuid, token, get("type")))
}

pub(super) fn path(cx: &Cx, rest: &str) -> String {
    format!("/v0/tenants/{}/{rest}", cx.tenant())
}

/// `POST /auth/link`; returns the test-mode link of the answer.
pub(super) async fn send_link(cx: &Cx, email: &str) -> Outcome<String> {
    let body = cx
        .post(path(cx, "auth/link"))
        .json(json!({ "email": email }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(body["message"], "OK", "message");
    ensure!(
        body["result"]["link"]
            .as_str()
            .is_some_and(|l| l.contains("uuid=") && l.contains("token=")),
        "a test-mode link answer carries result.link with credentials (C-8.4): {body}"
    );
    body["result"]["link"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            fail(format!(
                "a test-mode link answer carries result.link: {body}"
            ))
        })
}

pub(super) async fn use_link(cx: &Cx, uuid: &str, token: &str) -> Outcome<crate::scenario::Resp> {
    cx.put(path(cx, "auth/link"))
        .json(json!({ "uuid": uuid, "token": token }))
        .send()
        .await
}

/// CS-2, CS-3: an unknown address gets a new user and a welcome link; the link signs in once
/// and confirms the address; a second use is refused.
async fn passwordless(cx: Cx) -> Outcome {
    let email = cx.email("Passwordless");
    let link = send_link(&cx, &email).await?;
    let (uuid, token, kind) = link_parts(&link)?;
    ensure_eq!(kind.as_deref(), Some("welcome"), "link type for a new user");
    ensure!(
        link.starts_with(&format!("{TEST_BASE}/login?")),
        "a welcome link goes to the After-logout path: {link}"
    );
    let resp = use_link(&cx, &uuid, &token).await?;
    cx.created_user(Mode::Test, resp.body());
    let body = resp.ok()?;
    flows::check_sign_on(&cx, &body, Mode::Test).await?;
    ensure_eq!(body["userUuid"], uuid, "the link's uuid is the user's");
    ensure_eq!(body["email"], email.to_lowercase(), "email");
    ensure_eq!(
        body["isEmailConfirmed"],
        true,
        "a used link confirms the email"
    );
    use_link(&cx, &uuid, &token)
        .await?
        .err(400, "Invalid token")?;
    use_link(&cx, &uuid, &uuid)
        .await?
        .err(400, "Invalid token")?;
    cx.put(path(&cx, "auth/link"))
        .json(json!({ "uuid": uuid }))
        .send()
        .await?
        .err(400, "\"token\" is required")?;
    Ok(())
}

/// CS-2 for an existing user: a login link; `name` is ignored; the link is the user's.
async fn login_link(cx: Cx) -> Outcome {
    let email = cx.email("linklogin");
    let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let link = send_link(&cx, &email).await?;
    let (uuid, token, kind) = link_parts(&link)?;
    ensure_eq!(
        kind.as_deref(),
        Some("login"),
        "link type for an existing user"
    );
    ensure_eq!(uuid, signed["userUuid"], "link uuid");
    let body = use_link(&cx, &uuid, &token).await?.ok()?;
    ensure_eq!(body["userId"], signed["userId"], "signed-in user");
    cx.post(path(&cx, "auth/link"))
        .json(json!({ "email": "not-an-email" }))
        .send()
        .await?
        .err(400, "Email format is invalid")?;
    Ok(())
}

/// C-8.3 on the mock clock: a login link lives one hour.
async fn link_expiry(cx: Cx) -> Outcome {
    let email = cx.email("expiring");
    flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let link = send_link(&cx, &email).await?;
    let (uuid, token, _) = link_parts(&link)?;
    cx.advance(3_601).await?;
    use_link(&cx, &uuid, &token)
        .await?
        .err(400, "Token expired")?;
    Ok(())
}

/// CS-17, CS-18: a verify link confirms the address; both route names work.
async fn verify_email(cx: Cx) -> Outcome {
    for route in ["auth/verify/email", "auth/verify/link"] {
        let email = cx.email("verify");
        let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
        let body = cx
            .post(path(&cx, route))
            .json(json!({ "email": email }))
            .send()
            .await?
            .ok()?;
        let link = body["result"]["link"].as_str().unwrap_or("");
        let (uuid, token, kind) = link_parts(link)?;
        ensure_eq!(kind.as_deref(), Some("verify"), "{route} link type");
        let body = use_link(&cx, &uuid, &token).await?.ok()?;
        ensure_eq!(body["userId"], signed["userId"], "verified user");
        ensure_eq!(body["isEmailConfirmed"], true, "confirmed after {route}");
    }
    cx.post(path(&cx, "auth/verify/email"))
        .json(json!({ "email": cx.email("unknown") }))
        .send()
        .await?
        .err(404, "User not found")?;
    Ok(())
}

/// SS-46: generated credentials are single use, need an admin key, and go to the consumer of
/// their type.
async fn generated(cx: Cx) -> Outcome {
    let email = cx.email("generated");
    let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let generate = |key: &str, body: Value| {
        cx.post("/v0/auth/link/generate")
            .bearer(key)
            .json(body)
            .send()
    };
    let body = generate(cx.admin(), json!({ "email": email }))
        .await?
        .ok()?;
    let uuid = body["result"]["uuid"].as_str().unwrap_or("").to_owned();
    let token = body["result"]["token"].as_str().unwrap_or("").to_owned();
    ensure_eq!(body["result"]["uuid"], signed["userUuid"], "generated uuid");
    ensure!(
        body["result"]["token"]
            .as_str()
            .is_some_and(|t| uuid::Uuid::parse_str(t).is_ok()),
        "the generated token is a UUID (C-5): {token}"
    );
    // The link carries the same credentials (C-8.2).
    let (link_uuid, link_token, _) = link_parts(body["result"]["link"].as_str().unwrap_or(""))?;
    ensure!(
        link_uuid == uuid && link_token == token,
        "result.link carries result.uuid and result.token: {}",
        body["result"]["link"]
    );
    let signed_on = use_link(&cx, &uuid, &token).await?.ok()?;
    ensure_eq!(signed_on["userId"], signed["userId"], "signed-in user");
    use_link(&cx, &uuid, &token)
        .await?
        .err(400, "Invalid token")?;
    // Reset credentials go to PUT /auth/reset.
    let body = generate(
        cx.admin(),
        json!({ "userId": signed["userId"], "options": { "type": "reset" } }),
    )
    .await?
    .ok()?;
    cx.put(path(&cx, "auth/reset"))
        .json(json!({
            "uuid": body["result"]["uuid"], "token": body["result"]["token"],
            "password": "generated-Passw0rd-5"
        }))
        .send()
        .await?
        .ok()?;
    generate(
        cx.admin(),
        json!({ "email": email, "options": { "type": "magic" } }),
    )
    .await?
    .err(400, "Invalid link type")?;
    generate(cx.admin(), json!({ "email": cx.email("nobody") }))
        .await?
        .err(404, "User not found")?;
    let readonly = cx.readonly()?.to_owned();
    generate(&readonly, json!({ "email": email }))
        .await?
        .err(403, "Forbidden")?;
    cx.post("/v0/auth/link/generate")
        .json(json!({ "email": email }))
        .send()
        .await?
        .err(401, "Missing authentication")?;
    Ok(())
}

/// The link-duration grammar and bounds (C-8.3), as the reference for generated durations:
/// seconds, or `None` when invalid.
pub fn link_duration(text: &str) -> Option<i64> {
    let lower = text.to_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit())?;
    let (digits, rest) = lower.split_at(split);
    if digits.is_empty() || digits.starts_with('0') {
        return None;
    }
    let unit = rest.strip_prefix(' ').unwrap_or(rest);
    let n: i64 = digits.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "second" => 1,
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        "month" => 30 * 86_400,
        _ => return None,
    };
    let total = n.checked_mul(seconds)?;
    (10..=30 * 86_400).contains(&total).then_some(total)
}

fn durations_strategy() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(vec![
        "second",
        "seconds",
        "minute",
        "minutes",
        "hour",
        "hours",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "Hours",
        "DAYS",
        "year",
        "fortnight",
    ]);
    prop_oneof![
        4 => (1..60i64, prop::bool::ANY, unit.clone())
            .prop_map(|(n, space, u)| format!("{n}{}{u}", if space { " " } else { "" })),
        1 => (0..3i64, unit).prop_map(|(n, u)| format!("{n} {u}")),
        1 => "[a-z ]{0,8}",
    ]
}

/// `options.duration` on link generation is accepted exactly when the documented grammar and
/// bounds accept it, and sets the expiry it names.
async fn durations(cx: Cx) -> Outcome {
    let email = cx.email("durations");
    flows::signup_quiet(&cx, &email, PASSWORD).await?;
    props::check(&cx, durations_strategy(), move |cx, duration| {
        let email = email.clone();
        async move {
            let resp = cx
                .post("/v0/auth/link/generate")
                .bearer(cx.admin())
                .json(json!({ "email": email, "options": { "duration": duration } }))
                .send()
                .await?;
            match link_duration(&duration) {
                None => resp.err(400, "Invalid duration"),
                Some(seconds) => {
                    let body = resp.ok()?;
                    let expires = body["result"]["expiresAt"]
                        .as_str()
                        .and_then(flows::unix_seconds);
                    let now = cx.get("/__mock/clock").send().await?;
                    if let (Some(expires), Some(now)) = (
                        expires,
                        now.body()["now"].as_str().and_then(flows::unix_seconds),
                    ) {
                        crate::coverage::note_members(&["result", "expiresAt"]);
                        ensure!(
                            (expires - now - seconds).abs() <= 2,
                            "expiresAt is {} s away, the duration says {seconds} s",
                            expires - now
                        );
                    }
                    Ok(())
                }
            }
        }
    })
    .await
}

/// C-7 rule 1: one message per recipient in any 2-second window; the refusal sends nothing.
async fn duplicate_rate(cx: Cx) -> Outcome {
    let email = cx.email("dup");
    flows::signup_quiet(&cx, &email, PASSWORD).await?;
    send_link(&cx, &email).await?;
    let before = cx.outbox(&format!("to={email}")).await?.len();
    cx.post(path(&cx, "auth/link"))
        .json(json!({ "email": email }))
        .send()
        .await?
        .err_type(429, "Rate limited", "rate_limit_error")?;
    ensure_eq!(
        cx.outbox(&format!("to={email}")).await?.len(),
        before,
        "a refused message is not sent"
    );
    cx.advance(3).await?;
    send_link(&cx, &email).await?;
    // Link generation sends nothing and is never limited.
    for _ in 0..3 {
        flows::generate_link(&cx, &email).await?;
    }
    Ok(())
}

/// C-7 rule 2: an unconfirmed recipient gets at most 10 messages in 10 minutes; the 11th is
/// refused, and the address stays blocked for 24 hours.
async fn spam_rate(cx: Cx) -> Outcome {
    let email = cx.email("spam");
    flows::signup_quiet(&cx, &email, PASSWORD).await?;
    for n in 0..10 {
        cx.post(path(&cx, "auth/reset/link"))
            .json(json!({ "email": email }))
            .send()
            .await?
            .ok()
            .map_err(|e| match e {
                crate::scenario::Failure::Fail(m) => fail(format!("message {}: {m}", n + 1)),
                other => other,
            })?;
        cx.advance(3).await?;
    }
    cx.post(path(&cx, "auth/reset/link"))
        .json(json!({ "email": email }))
        .send()
        .await?
        .err_type(429, "Rate limited", "rate_limit_error")?;
    cx.advance(11 * 60).await?;
    cx.post(path(&cx, "auth/reset/link"))
        .json(json!({ "email": email }))
        .send()
        .await?
        .err_type(429, "Rate limited", "rate_limit_error")?;
    cx.advance(24 * 3_600).await?;
    cx.post(path(&cx, "auth/reset/link"))
        .json(json!({ "email": email }))
        .send()
        .await?
        .ok()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_duration_grammar() {
        assert_eq!(link_duration("30 seconds"), Some(30));
        assert_eq!(link_duration("1 month"), Some(30 * 86_400));
        assert_eq!(link_duration("2Days"), Some(2 * 86_400));
        assert_eq!(link_duration("9 seconds"), None);
        assert_eq!(link_duration("5 weeks"), None);
        assert_eq!(link_duration("1 year"), None);
        assert_eq!(link_duration("0 days"), None);
        assert_eq!(link_duration("01 day"), None);
        assert_eq!(link_duration("day"), None);
    }
}
