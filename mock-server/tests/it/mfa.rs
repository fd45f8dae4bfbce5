//! Multi-factor authentication (C-13.2, C-14.1): when a second factor is due, the MFA-required
//! body in both shapes, completing with the firstFactorToken through SMS codes, TOTP and
//! passwords, the refusals of rule 4, expiry, and the legacy `/v0/auth/mfa` flow (CS-29, CS-30).

use crate::common;

use common::{Harness, Method, Resp, access, demo_seed_with_users};
use serde_json::{Value, json};
use userfront_mock::state::totp::code_at;
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD};

const PHONE: &str = "+15558675309";

fn sms() -> Value {
    json!({"channel": "sms", "strategy": "verificationCode"})
}

fn totp() -> Value {
    json!({"channel": "authenticator", "strategy": "totp"})
}

fn password() -> Value {
    json!({"channel": "email", "strategy": "password"})
}

/// Enables second factors for the demo workspace, and optionally requires MFA for all users.
async fn enable(h: &Harness, second: Vec<Value>, all: bool) {
    h.settings(
        DEMO_TENANT,
        json!({
            "authentication": {"firstFactors": [password(), {"channel": "email", "strategy": "link"}],
                               "secondFactors": second},
            "isMfaRequired": all
        }),
    )
    .await;
}

const CODE: &str = "/v0/tenants/demo1234/auth/code";

/// `POST /v0/auth/code` of `body` with `token` (a firstFactorToken): sends a second-factor code.
async fn send_code(h: &Harness, token: &str, body: Value) -> Resp {
    h.call(Method::POST, CODE, token, body).await
}

/// The body that completes a sign-on with an SMS `code`.
fn sms_code(code: &Value) -> Value {
    json!({"channel": "sms", "verificationCode": code})
}

/// `PUT /v0/auth/code` of `body` with `token`: completes the sign-on with a code.
async fn use_code(h: &Harness, token: &str, body: Value) -> Resp {
    h.call(Method::PUT, CODE, token, body).await
}

/// `POST /v0/auth/totp` with `token` and the code of `secret` at the mock's current time.
async fn totp_now(h: &Harness, token: &str, secret: &str) -> Resp {
    let now = h.now_millis().await;
    let body = json!({"totpCode": code_at(secret, now).unwrap()});
    h.call(Method::POST, "/v0/tenants/demo1234/auth/totp", token, body)
        .await
}

/// The legacy flow: `method /v0/auth/mfa` of `body`, without credentials.
async fn legacy(h: &Harness, method: Method, body: Value) -> Resp {
    h.req(method, "/v0/auth/mfa").json(body).send().await
}

fn first_factor_token(body: &Value) -> String {
    body["firstFactorToken"]
        .as_str()
        .expect("firstFactorToken")
        .to_owned()
}

#[tokio::test]
async fn mfa_required_answers_in_both_shapes_and_completes_by_sms() {
    let h = Harness::start().await;
    enable(&h, vec![sms(), totp()], true).await;
    let pending = h.login("admin@example.com", TEST_PASSWORD).await;
    assert_eq!(pending["message"], "OK");
    assert_eq!(pending["mode"], "test");
    assert_eq!(pending["isMfaRequired"], true);
    assert!(pending.get("tokens").is_none());
    let token = first_factor_token(&pending);
    assert!(token.starts_with("uf_test_first_factor_"));
    assert_eq!(token.len(), "uf_test_first_factor_".len() + 32);
    assert_eq!(
        pending["authentication"]["firstFactor"],
        json!({"channel": "email", "strategy": "password"})
    );
    let second = pending["authentication"]["secondFactors"]
        .as_array()
        .unwrap();
    assert_eq!(second.len(), 2);
    assert_eq!(second[0]["strategy"], "verificationCode");
    assert_eq!(second[0]["isConfiguredByUser"], false);
    assert_eq!(second[1]["strategy"], "totp");
    assert_eq!(pending["result"]["mode"], "test");
    assert!(pending["result"]["firstFactorCode"].is_string());
    assert_eq!(
        pending["result"]["allowedStrategies"],
        json!(["verificationCode"])
    );
    assert_eq!(pending["result"]["allowedChannels"], json!(["sms"]));

    // The pending user registers a phone as the second factor and signs in with its code.
    let sent = send_code(&h, &token, json!({"channel": "sms", "phoneNumber": PHONE}))
        .await
        .ok();
    let code = sent["result"]["verificationCode"].as_str().unwrap();
    let done = use_code(&h, &token, sms_code(&json!(code))).await.ok();
    assert_eq!(done["message"], "OK");
    assert_eq!(done["userId"], 1);
    assert_eq!(done["phoneNumber"], PHONE);
    assert_eq!(done["isPhoneNumberConfirmed"], true);
    let session = h
        .get("/v0/auth/session")
        .bearer(&access(&done))
        .send()
        .await;
    if session.status == 200 {
        assert_eq!(session.body["authentication"]["secondFactor"], sms());
    }
    // The token was used up.
    use_code(&h, &token, sms_code(&json!(code)))
        .await
        .err(401, "Invalid token");

    // Now the SMS factor is configured: the next sign-on reports it.
    let again = h.login("admin@example.com", TEST_PASSWORD).await;
    assert_eq!(
        again["authentication"]["secondFactors"][0]["isConfiguredByUser"],
        true
    );
    assert_eq!(again["isPhoneNumberConfirmed"], true);
}

#[tokio::test]
async fn without_second_factors_nothing_is_required() {
    let h = Harness::start().await;
    h.settings(DEMO_TENANT, json!({"isMfaRequired": true}))
        .await;
    let login = h.login("admin@example.com", TEST_PASSWORD).await;
    assert_eq!(login["message"], "OK", "no second factor enabled");
}

#[tokio::test]
async fn a_per_user_requirement_applies_to_that_user_only() {
    let h = Harness::start_with_seed(demo_seed_with_users(json!([
        {"userId": 1, "username": "req", "email": "req@example.com", "password": TEST_PASSWORD,
         "isMfaRequired": true, "phoneNumber": PHONE, "isPhoneNumberConfirmed": true},
        {"userId": 2, "username": "free", "email": "free@example.com", "password": TEST_PASSWORD},
    ])))
    .await;
    enable(&h, vec![sms()], false).await;
    let pending = h.login("req@example.com", TEST_PASSWORD).await;
    assert_eq!(pending["message"], "OK");
    assert_eq!(
        pending["authentication"]["secondFactors"][0]["isConfiguredByUser"],
        true
    );
    let free = h.login("free@example.com", TEST_PASSWORD).await;
    assert_eq!(free["message"], "OK");

    // The code goes to the user's confirmed number by default.
    let token = first_factor_token(&pending);
    let sent = send_code(&h, &token, json!({})).await.ok();
    assert_eq!(sent["result"]["phoneNumber"], PHONE);
    // A confirmed number cannot be swapped with only the first factor.
    send_code(&h, &token, json!({"phoneNumber": "+15550001111"}))
        .await
        .err(400, "Invalid token");
    let done = use_code(
        &h,
        &token,
        json!({"channel": "sms", "phoneNumber": PHONE,
                     "verificationCode": sent["result"]["verificationCode"]}),
    )
    .await
    .ok();
    assert_eq!(done["userId"], 1);
}

#[tokio::test]
async fn a_configured_factor_makes_mfa_due() {
    let h = Harness::start().await;
    enable(&h, vec![totp()], false).await;
    let first = h.login("member@example.com", TEST_PASSWORD).await;
    assert_eq!(first["message"], "OK", "nothing configured yet");
    let token = access(&first);
    let info = h.get_as(&token, "/v0/auth/totp").await;
    let secret = info["totpSecret"].as_str().unwrap().to_owned();
    totp_now(&h, &token, &secret).await.ok();
    let pending = h.login("member@example.com", TEST_PASSWORD).await;
    assert_eq!(pending["message"], "OK");
    assert_eq!(
        pending["authentication"]["secondFactors"][0]["isConfiguredByUser"],
        true
    );
    h.advance(30).await;
    let done = totp_now(&h, &first_factor_token(&pending), &secret)
        .await
        .ok();
    assert_eq!(done["message"], "OK");
    assert_eq!(done["userId"], 2);
}

#[tokio::test]
async fn totp_is_paired_during_sign_on_with_the_first_factor_token() {
    let h = Harness::start().await;
    enable(&h, vec![totp()], true).await;
    let pending = h.login("viewer@example.com", TEST_PASSWORD).await;
    let token = first_factor_token(&pending);
    let info = h.get_as(&token, "/v0/auth/totp").await;
    let secret = info["totpSecret"].as_str().unwrap().to_owned();
    let done = totp_now(&h, &token, &secret).await.ok();
    assert_eq!(done["userId"], 3);
    // With only the first factor, a configured authenticator is never revealed.
    let pending = h.login("viewer@example.com", TEST_PASSWORD).await;
    h.get_refused(
        &first_factor_token(&pending),
        "/v0/auth/totp",
        401,
        "Unauthorized",
    )
    .await;
    h.delete("/v0/auth/totp")
        .bearer(&first_factor_token(&pending))
        .send()
        .await
        .err(401, "Unauthorized");
}

#[tokio::test]
async fn the_second_factor_must_be_a_different_tenant_second_factor() {
    let h = Harness::start().await;
    enable(&h, vec![password(), sms()], true).await;
    let pending = h.login("member@example.com", TEST_PASSWORD).await;
    let token = first_factor_token(&pending);
    // The same factor again.
    h.post("/v0/tenants/demo1234/auth/basic")
        .bearer(&token)
        .json(json!({"emailOrUsername": "member", "password": TEST_PASSWORD}))
        .send()
        .await
        .err(400, "Invalid token");
    // A factor the tenant does not list as second factor.
    let sent = send_code(&h, &token, json!({"channel": "email"}))
        .await
        .ok();
    assert_eq!(sent["result"]["email"], "member@example.com");
    use_code(
        &h,
        &token,
        json!({"channel": "email", "verificationCode": sent["result"]["verificationCode"]}),
    )
    .await
    .err(400, "Invalid token");
    // The code was not used up by the refusal, and the token still works with SMS.
    h.advance(3).await;
    let sms_sent = send_code(&h, &token, json!({"phoneNumber": PHONE}))
        .await
        .ok();
    use_code(
        &h,
        &token,
        json!({"channel": "sms", "phoneNumber": PHONE,
                     "verificationCode": sms_sent["result"]["verificationCode"]}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn the_token_fixes_the_user() {
    let h = Harness::start().await;
    enable(&h, vec![sms()], true).await;
    let pending = h.login("member@example.com", TEST_PASSWORD).await;
    let token = first_factor_token(&pending);
    // Someone else's code does not complete this sign-on.
    let other = h
        .post("/v0/tenants/demo1234/auth/code")
        .json(json!({"phoneNumber": PHONE}))
        .send()
        .await
        .ok();
    use_code(
        &h,
        &token,
        json!({"channel": "sms", "phoneNumber": PHONE,
                     "verificationCode": other["result"]["verificationCode"]}),
    )
    .await
    .err(400, "Invalid verificationCode");
    send_code(
        &h,
        &token,
        json!({"channel": "email", "email": "admin@example.com"}),
    )
    .await
    .err(400, "Invalid token");
}

#[tokio::test]
async fn first_factor_tokens_expire_after_an_hour() {
    let h = Harness::start().await;
    enable(&h, vec![sms()], true).await;
    let pending = h.login("member@example.com", TEST_PASSWORD).await;
    let token = first_factor_token(&pending);
    h.advance(3601).await;
    send_code(&h, &token, json!({"phoneNumber": PHONE}))
        .await
        .err(401, "Invalid token");
    h.get_refused(&token, "/v0/auth/totp", 401, "Unauthorized")
        .await;
    send_code(
        &h,
        "uf_test_first_factor_00000000000000000000000000000000",
        json!({"phoneNumber": PHONE}),
    )
    .await
    .err(401, "Invalid token");
}

#[tokio::test]
async fn pkce_applies_after_the_second_factor() {
    let h = Harness::start().await;
    enable(&h, vec![sms()], true).await;
    let verifier = "a-verifier-of-enough-length-for-rfc-7636-0123456789";
    let challenge = userfront_mock::state::signon::s256_challenge(verifier);
    let pending = h
        .post(&format!(
            "/v0/tenants/demo1234/auth/basic?code_challenge={challenge}"
        ))
        .json(json!({"emailOrUsername": "member", "password": TEST_PASSWORD}))
        .send()
        .await
        .ok();
    assert_eq!(pending["message"], "OK");
    let token = first_factor_token(&pending);
    let sent = send_code(&h, &token, json!({"phoneNumber": PHONE}))
        .await
        .ok();
    let pkce = use_code(&h, &token, sms_code(&sent["result"]["verificationCode"]))
        .await
        .ok();
    assert_eq!(pkce["message"], "PKCE required");
    let done = h
        .post("/v0/tenants/demo1234/auth/pkce")
        .json(json!({"authorizationCode": pkce["authorizationCode"], "codeVerifier": verifier}))
        .send()
        .await
        .ok();
    assert_eq!(done["userId"], 2);
}

#[tokio::test]
async fn legacy_mfa_sends_and_checks_an_sms_code() {
    let h = Harness::start().await;
    enable(&h, vec![sms()], true).await;
    let pending = h.login("viewer@example.com", TEST_PASSWORD).await;
    let first_factor_code = pending["result"]["firstFactorCode"].as_str().unwrap();
    let sent = legacy(
        &h,
        Method::POST,
        json!({"tenantId": DEMO_TENANT, "firstFactorCode": first_factor_code,
                     "strategy": "verificationCode", "channel": "sms", "to": PHONE}),
    )
    .await
    .ok();
    assert_eq!(sent["result"]["phoneNumber"], PHONE);
    let code = sent["result"]["verificationCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let outbox = h.outbox("type=mfa").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["verificationCode"], code.as_str());

    legacy(
        &h,
        Method::PUT,
        json!({"tenantId": DEMO_TENANT, "firstFactorCode": first_factor_code}),
    )
    .await
    .err(400, "Missing information");
    legacy(
        &h,
        Method::PUT,
        json!({"tenantId": DEMO_TENANT, "verificationCode": code}),
    )
    .await
    .err(400, "Missing information");
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    legacy(
        &h,
        Method::PUT,
        json!({"tenantId": DEMO_TENANT, "firstFactorCode": first_factor_code,
                     "verificationCode": wrong}),
    )
    .await
    .err(400, "Invalid verificationCode");
    let done = legacy(
        &h,
        Method::PUT,
        json!({"tenantId": DEMO_TENANT, "firstFactorCode": first_factor_code,
                     "verificationCode": code, "to": PHONE}),
    )
    .await
    .ok();
    assert_eq!(done["message"], "OK");
    assert_eq!(done["userId"], 3);
    assert_eq!(done["phoneNumber"], PHONE);
    assert_eq!(done["isPhoneNumberConfirmed"], true);
    // The sign-on is complete: the code names nothing any more.
    legacy(
        &h,
        Method::PUT,
        json!({"tenantId": DEMO_TENANT, "firstFactorCode": first_factor_code,
                     "verificationCode": code}),
    )
    .await
    .err(400, "Invalid token");
}

#[tokio::test]
async fn legacy_mfa_refusals() {
    let h = Harness::start().await;
    let body = |code: &str| {
        json!({"tenantId": DEMO_TENANT, "firstFactorCode": code,
               "strategy": "verificationCode", "channel": "sms", "to": PHONE})
    };
    legacy(
        &h,
        Method::POST,
        body("6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68"),
    )
    .await
    .err(400, "Invalid token");
    legacy(
        &h,
        Method::POST,
        json!({"tenantId": DEMO_TENANT, "strategy": "verificationCode",
                     "channel": "sms", "to": PHONE}),
    )
    .await
    .err(400, "\"firstFactorCode\" is required");
    // Without an SMS second factor the legacy flow has nothing to offer.
    enable(&h, vec![totp()], true).await;
    let pending = h.login("viewer@example.com", TEST_PASSWORD).await;
    assert_eq!(pending["result"]["allowedChannels"], json!([]));
    let code = pending["result"]["firstFactorCode"].as_str().unwrap();
    legacy(&h, Method::POST, body(code))
        .await
        .err(400, "Invalid token");
    legacy(
        &h,
        Method::POST,
        json!({"tenantId": DEMO_TENANT, "firstFactorCode": code,
                     "strategy": "verificationCode", "channel": "email", "to": PHONE}),
    )
    .await
    .err(400, "Invalid channel");
    legacy(
        &h,
        Method::POST,
        json!({"tenantId": "nope0000", "firstFactorCode": code,
                     "strategy": "verificationCode", "channel": "sms", "to": PHONE}),
    )
    .await
    .err(404, "Not Found");
    assert!(h.outbox("").await.is_empty());
}
