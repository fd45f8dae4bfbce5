//! Verification codes, TOTP, second factors and PKCE (client-to-server CS-8 … CS-12, CS-19,
//! CS-20, CS-29, CS-30; conventions C-13.2, C-13.3, C-14.1, C-14.2, C-14.7).

use aws_lc_rs::{digest, hmac};
use base64::Engine;
use serde_json::{Value, json};

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Req, Resp, Scenario, fail};
use crate::target::{Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("mfa.code.sms_signup_and_login", Group::Mfa, sms_code),
        Scenario::new("mfa.code.email_channel_and_errors", Group::Mfa, email_code),
        Scenario::new("mfa.verify_phone.adds_a_number", Group::Mfa, verify_phone),
        Scenario::new(
            "mfa.totp.pair_login_backup_remove",
            Group::Mfa,
            totp_scenario,
        )
        .checks(&["C-14.7"]),
        Scenario::new(
            "mfa.second_factor.totp_after_password",
            Group::Mfa,
            second_factor,
        )
        .checks(&["C-13.2", "C-14.1"])
        .needs(&[Need::MockControls]),
        Scenario::new(
            "mfa.legacy.sms_code_with_first_factor_code",
            Group::Mfa,
            legacy,
        )
        .checks(&["C-14.1"])
        .needs(&[Need::MockControls]),
        Scenario::new("mfa.pkce.exchange_with_verifier", Group::Mfa, pkce)
            .checks(&["C-13.3", "C-14.2"]),
    ]
}

fn path(cx: &Cx, rest: &str) -> String {
    format!("/v0/tenants/{}/{rest}", cx.tenant())
}

/// A phone number unique to this run and call: `+1555` and seven digits.
pub(super) fn phone(cx: &Cx) -> String {
    let run = u64::from_str_radix(&cx.target.run_id, 16).unwrap_or(0);
    let n = (run % 1_000) * 10_000 + cx.target.next() % 10_000;
    format!("+1555{n:07}")
}

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a Base32 secret at a Unix time, written here
/// rather than taken from the mock so that the two cannot share a mistake.
pub fn totp(secret: &str, unix: i64) -> Option<String> {
    let key = base32(secret)?;
    let counter = (unix / 30) as u64;
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key),
        &counter.to_be_bytes(),
    );
    let mac = tag.as_ref();
    let offset = usize::from(mac[19] & 0x0f);
    let value = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    Some(format!("{:06}", value % 1_000_000))
}

fn base32(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').chars() {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

pub(super) async fn send_code(cx: &Cx, body: Value) -> Outcome<Value> {
    cx.post(path(cx, "auth/code")).json(body).send().await?.ok()
}

/// `PUT auth/code` redeeming `code` sent to `address` (a phone number for `sms`, an email
/// address for `email`), answer unjudged: every scenario here that redeems a code (right or
/// wrong, sign-on or phone verification) sends this body.
pub(super) async fn verify_code(
    cx: &Cx,
    channel: &str,
    address: &str,
    code: Value,
) -> Outcome<Resp> {
    let field = if channel == "sms" {
        "phoneNumber"
    } else {
        "email"
    };
    cx.put(path(cx, "auth/code"))
        .json(json!({ "channel": channel, field: address, "verificationCode": code }))
        .send()
        .await
}

/// CS-8, CS-9: an SMS code signs up a new number, then logs it in; codes are single use.
async fn sms_code(cx: Cx) -> Outcome {
    let number = phone(&cx);
    let sent = send_code(&cx, json!({ "channel": "sms", "phoneNumber": number })).await?;
    ensure_eq!(sent["result"]["phoneNumber"], number, "result.phoneNumber");
    ensure_eq!(sent["result"]["channel"], "sms", "result.channel");
    let code = sent["result"]["verificationCode"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    ensure!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "a 6-digit code: {code}"
    );
    let login = |code: Value| verify_code(&cx, "sms", &number, code);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    login(json!(wrong))
        .await?
        .err(400, "Invalid verificationCode")?;
    let resp = login(json!(code)).await?;
    cx.created_user(Mode::Test, resp.body());
    let body = resp.ok()?;
    flows::check_sign_on(&cx, &body, Mode::Test).await?;
    ensure_eq!(body["phoneNumber"], number, "the new user's number");
    ensure_eq!(
        body["isPhoneNumberConfirmed"],
        true,
        "the number is confirmed"
    );
    login(json!(code))
        .await?
        .err(400, "Invalid verificationCode")?;
    if !cx.target.mock_controls {
        return Ok(());
    }
    // One message per number per 2 seconds (C-7); then a code sent as a number logs in again.
    cx.advance(3).await?;
    let again = send_code(&cx, json!({ "channel": "sms", "phoneNumber": number })).await?;
    let code: u32 = again["result"]["verificationCode"]
        .as_str()
        .unwrap_or("")
        .parse()
        .unwrap_or(0);
    let again = login(json!(code)).await?.ok()?;
    ensure_eq!(
        again["userId"],
        body["userId"],
        "the same user logs in again"
    );
    verify_code(&cx, "sms", &phone(&cx), json!("123456"))
        .await?
        .err(400, "\"phoneNumber\" not found or not yet verified")?;
    Ok(())
}

/// CS-8 with channel email, and the documented refusals.
async fn email_code(cx: Cx) -> Outcome {
    let email = cx.email("code");
    let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let sent = send_code(&cx, json!({ "channel": "email", "email": email })).await?;
    ensure_eq!(sent["result"]["email"], email, "result.email");
    let code = sent["result"]["verificationCode"].clone();
    let body = verify_code(&cx, "email", &email, code).await?.ok()?;
    ensure_eq!(body["userId"], signed["userId"], "email-code user");
    ensure_eq!(
        body["isEmailConfirmed"],
        true,
        "an email code confirms the address"
    );
    for (request, message) in [
        (
            json!({ "channel": "pigeon", "phoneNumber": phone(&cx) }),
            "Invalid channel",
        ),
        (
            json!({ "channel": "sms" }),
            "SMS verification code requires \"phoneNumber\"",
        ),
        (
            json!({ "channel": "email" }),
            "Email verification code requires \"email\"",
        ),
        (
            json!({ "channel": "sms", "phoneNumber": "555-1234" }),
            "Phone number must be in E.164 format.",
        ),
        (
            json!({ "channel": "email", "email": "nope" }),
            "Email format is invalid",
        ),
    ] {
        cx.post(path(&cx, "auth/code"))
            .json(request)
            .send()
            .await?
            .err(400, message)?;
    }
    Ok(())
}

/// CS-19: adding a number needs the user's token; the code makes it the user's number.
async fn verify_phone(cx: Cx) -> Outcome {
    let (signed, tokens) = flows::signup_quiet(&cx, &cx.email("phone"), PASSWORD).await?;
    let number = phone(&cx);
    cx.post(path(&cx, "auth/verify/phone"))
        .json(json!({ "phoneNumber": number, "userId": signed["userId"] }))
        .send()
        .await?
        .err(401, "Unauthorized")?;
    let sent = cx
        .post(path(&cx, "auth/verify/phone"))
        .bearer(&tokens.access)
        .json(json!({ "phoneNumber": number }))
        .send()
        .await?
        .ok()?;
    let code = sent["result"]["verificationCode"].clone();
    let body = verify_code(&cx, "sms", &number, code).await?.ok()?;
    ensure_eq!(body["userId"], signed["userId"], "verified user");
    ensure_eq!(body["phoneNumber"], number, "the number is the user's now");
    ensure_eq!(body["isPhoneNumberConfirmed"], true, "confirmed");
    cx.post(path(&cx, "auth/verify/phone"))
        .bearer(&tokens.access)
        .json(json!({ "phoneNumber": "12345" }))
        .send()
        .await?
        .err(400, "Phone number must be in E.164 format.")?;
    Ok(())
}

/// Pairs an authenticator for a signed-in user; returns the secret and the backup codes.
pub(super) async fn pair(cx: &Cx, access: &str) -> Outcome<(String, Vec<String>)> {
    let info = cx.get("/v0/auth/totp").bearer(access).send().await?.ok()?;
    let secret = info["totpSecret"].as_str().unwrap_or("").to_owned();
    let backup: Vec<String> = info["backupCodes"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ensure_eq!(backup.len(), 10, "backup codes after pairing (C-14.7)");
    let qr = info["qrCode"].as_str().unwrap_or("");
    let png = base64::engine::general_purpose::STANDARD
        .decode(qr.trim_start_matches("data:image/png;base64,"))
        .unwrap_or_default();
    ensure!(
        png.starts_with(b"\x89PNG")
            && info["qrCode"]
                .as_str()
                .is_some_and(|q| q.starts_with("data:image/png;base64,")),
        "qrCode is a PNG data URL"
    );
    ensure!(
        info["totpSecret"]
            .as_str()
            .and_then(base32)
            .is_some_and(|key| key.len() >= 10),
        "totpSecret is a Base32 key of at least 80 bits: {secret}"
    );
    let code = totp(&secret, flows::now(cx).await?).ok_or_else(|| fail("a Base32 totpSecret"))?;
    cx.post(path(cx, "auth/totp"))
        .bearer(access)
        .json(json!({ "totpCode": code }))
        .send()
        .await?
        .ok()?;
    Ok((secret, backup))
}

/// CS-10 … CS-12: pair, log in with a TOTP code and with a single-use backup code, remove.
async fn totp_scenario(cx: Cx) -> Outcome {
    let cx = &cx;
    let email = cx.email("totp");
    let (signed, tokens) = flows::signup_quiet(cx, &email, PASSWORD).await?;
    let (secret, backup) = pair(cx, &tokens.access).await?;
    let login = |body: Value| cx.post(path(cx, "auth/totp")).json(body).send();
    // The next step's code: accepted (C-14.7: one step of drift), unlike the one just used.
    let code = totp(&secret, flows::now(cx).await? + 30).unwrap_or_default();
    let body = login(json!({ "emailOrUsername": email, "totpCode": code }))
        .await?
        .ok()?;
    flows::check_sign_on(cx, &body, Mode::Test).await?;
    ensure_eq!(body["userId"], signed["userId"], "TOTP login user");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    login(json!({ "emailOrUsername": email, "totpCode": wrong }))
        .await?
        .err(400, "Invalid TOTP code")?;
    login(json!({ "userUuid": signed["userUuid"], "backupCode": backup[0] }))
        .await?
        .ok()?;
    login(json!({ "userUuid": signed["userUuid"], "backupCode": backup[0] }))
        .await?
        .err(400, "Invalid backup code")?;
    let info = cx
        .get("/v0/auth/totp")
        .bearer(&tokens.access)
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        info["backupCodes"].as_array().map(Vec::len),
        Some(9),
        "remaining backup codes"
    );
    cx.delete("/v0/auth/totp")
        .bearer(&tokens.access)
        .send()
        .await?
        .ok()?;
    login(json!({ "emailOrUsername": email, "totpCode": code }))
        .await?
        .err(400, "TOTP is not set up")?;
    cx.delete("/v0/auth/totp")
        .bearer(&tokens.access)
        .send()
        .await?
        .err(400, "TOTP is not set up")?;
    Ok(())
}

/// `POST auth/basic` with the scenario password, to be sent: the first factor of the MFA
/// flows, with or without a firstFactorToken.
fn password_login(cx: &Cx, email: &str) -> Req {
    cx.post(path(cx, "auth/basic"))
        .json(json!({ "emailOrUsername": email, "password": PASSWORD }))
}

/// Sets the workspace's second factors through the mock controls, runs `f`, and restores the
/// flow whatever happened.
pub(super) async fn with_second_factors<F, Fut>(
    cx: &Cx,
    second: Value,
    require_all: bool,
    f: F,
) -> Outcome
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let mode = cx.get(path(cx, "mode")).send().await?.ok()?;
    let flow = mode["authentication"].clone();
    let mut changed = flow.clone();
    changed["secondFactors"] = second;
    let settings = |authentication: Value, required: bool| {
        cx.put(format!("/__mock/tenants/{}/settings", cx.tenant()))
            .json(json!({ "mode": "test", "authentication": authentication, "isMfaRequired": required }))
            .send()
    };
    settings(changed, require_all).await?.ok()?;
    let result = f().await;
    settings(flow, false).await?.ok()?;
    result
}

/// C-13.2, C-14.1: with TOTP as a tenant second factor, a user who paired one gets
/// the MFA-required answer (`"message": "OK"`, as in seed 001) after the password and tokens after the code with the firstFactorToken.
async fn second_factor(cx: Cx) -> Outcome {
    let email = cx.email("mfa");
    let (_, tokens) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let (secret, _) = pair(&cx, &tokens.access).await?;
    let factors = json!([{ "channel": "authenticator", "strategy": "totp" }]);
    with_second_factors(&cx, factors, false, || async {
        let pending = password_login(&cx, &email).send().await?.ok()?;
        ensure_eq!(pending["message"], "OK", "message (seed 001)");
        ensure!(
            pending.get("tokens").is_none(),
            "no tokens before the second factor"
        );
        ensure_eq!(
            pending["authentication"]["secondFactors"][0]["isConfiguredByUser"],
            true,
            "the paired authenticator is configured"
        );
        let first = pending["firstFactorToken"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        ensure!(
            pending["firstFactorToken"]
                .as_str()
                .is_some_and(|t| t.starts_with("uf_test_first_factor_")),
            "firstFactorToken format (C-5): {first}"
        );
        // C-13.2: the legacy block lists the legacy-capable second factors: none with only
        // an authenticator.
        ensure_eq!(
            pending["result"]["allowedChannels"],
            json!([]),
            "allowedChannels without an SMS second factor"
        );
        let code = totp(&secret, flows::now(&cx).await? + 30).unwrap_or_default();
        // The password cannot be its own second factor.
        password_login(&cx, &email)
            .bearer(&first)
            .send()
            .await?
            .err(400, "Invalid token")?;
        let second = || {
            cx.post(path(&cx, "auth/totp"))
                .bearer(&first)
                .json(json!({ "totpCode": code }))
                .send()
        };
        let body = second().await?.ok()?;
        let signed = flows::check_sign_on(&cx, &body, Mode::Test).await?;
        let session = cx
            .get("/v0/auth/session")
            .bearer(&signed.access)
            .send()
            .await?
            .ok()?;
        ensure_eq!(
            session["authentication"]["secondFactor"],
            json!({ "channel": "authenticator", "strategy": "totp" }),
            "the session records the second factor"
        );
        // A used firstFactorToken is refused (a header token: 401 or 400, C-6.4).
        let reused = second().await?;
        ensure!(
            [400, 401].contains(&reused.status()) && reused.body()["message"] == "Invalid token",
            "a used firstFactorToken: expected 400/401 Invalid token, got {} {}",
            reused.status(),
            reused.body()
        );
        Ok(())
    })
    .await
}

/// CS-29, CS-30: the legacy flow sends an SMS code for the firstFactorCode and completes.
async fn legacy(cx: Cx) -> Outcome {
    let email = cx.email("legacymfa");
    flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let factors = json!([{ "channel": "sms", "strategy": "verificationCode" }]);
    with_second_factors(&cx, factors, true, || async {
        let pending = password_login(&cx, &email).send().await?.ok()?;
        ensure_eq!(pending["result"]["allowedStrategies"], json!(["verificationCode"]), "allowedStrategies");
        let code = pending["result"]["firstFactorCode"].clone();
        ensure!(
            pending["result"]["firstFactorCode"]
                .as_str()
                .is_some_and(|c| uuid::Uuid::parse_str(c).is_ok()),
            "firstFactorCode is a UUID (C-13.2): {code}"
        );
        ensure_eq!(
            pending["result"]["allowedChannels"],
            json!(["sms"]),
            "allowedChannels with an SMS second factor (C-13.2)"
        );
        let number = phone(&cx);
        let sent = cx
            .post("/v0/auth/mfa")
            .json(json!({ "tenantId": cx.tenant(), "firstFactorCode": code, "strategy": "verificationCode", "channel": "sms", "to": number }))
            .send()
            .await?
            .ok()?;
        let verification = sent["result"]["verificationCode"].clone();
        cx.put("/v0/auth/mfa")
            .json(json!({ "tenantId": cx.tenant(), "firstFactorCode": code }))
            .send()
            .await?
            .err(400, "Missing information")?;
        let body = cx
            .put("/v0/auth/mfa")
            .json(json!({ "tenantId": cx.tenant(), "firstFactorCode": code, "verificationCode": verification }))
            .send()
            .await?
            .ok()?;
        flows::check_sign_on(&cx, &body, Mode::Test).await?;
        Ok(())
    })
    .await
}

/// A PKCE verifier unique to the run (`tag` tells scenarios apart) and its S256 challenge.
pub(crate) fn pkce_pair(cx: &Cx, tag: &str) -> (String, String) {
    let verifier = format!(
        "{}-{tag}-0123456789abcdefghijklmnopqrstuvwxyz",
        cx.target.run_id
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    (verifier, challenge)
}

/// A password sign-on with `code_challenge` (C-14.2): the answer, which should withhold the
/// tokens for an `authorizationCode`.
pub(crate) async fn pkce_sign_on(cx: &Cx, email: &str, challenge: &str) -> Outcome<Value> {
    cx.post(format!(
        "{}?code_challenge={challenge}",
        path(cx, "auth/basic")
    ))
    .json(json!({ "emailOrUsername": email, "password": PASSWORD }))
    .send()
    .await?
    .ok()
}

/// CS-20, C-14.2: a sign-on with `code_challenge` answers "PKCE required"; the code is
/// exchanged once, with the right verifier only.
async fn pkce(cx: Cx) -> Outcome {
    let email = cx.email("pkce");
    flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let (verifier, challenge) = pkce_pair(&cx, "verifier");
    let pending = pkce_sign_on(&cx, &email, &challenge).await?;
    ensure_eq!(pending["message"], "PKCE required", "message");
    ensure!(pending.get("tokens").is_none(), "tokens are withheld");
    let code = pending["authorizationCode"].clone();
    ensure!(
        pending["authorizationCode"]
            .as_str()
            .is_some_and(|c| !c.trim().is_empty()),
        "an authorizationCode to exchange (C-14.2): {code}"
    );
    let exchange = |verifier: &str| {
        cx.post(path(&cx, "auth/pkce"))
            .json(json!({ "authorizationCode": code, "codeVerifier": verifier }))
            .send()
    };
    exchange("not-the-verifier")
        .await?
        .err(400, "Invalid code verifier")?;
    let body = exchange(&verifier).await?.ok()?;
    flows::check_sign_on(&cx, &body, Mode::Test).await?;
    exchange(&verifier).await?.err(400, "Invalid token")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (8 digits there; the last 6 here).
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(totp(secret, 59).as_deref(), Some("287082"));
        assert_eq!(totp(secret, 1_111_111_109).as_deref(), Some("081804"));
        assert_eq!(totp(secret, 2_000_000_000).as_deref(), Some("279037"));
    }
}
