//! Verification codes: send by SMS or email (CS-8), sign up with a phone number alone, log in
//! with a code (CS-9), phone verification through codes (CS-19 + CS-9), expiry, single use,
//! rate limits and every documented refusal.

use crate::common;

use common::{Harness, LIVE_ORIGIN, Method, Resp, access, demo_seed_with_users};
use serde_json::{Value, json};
use userfront_mock::DEMO_TENANT;

const CODE: &str = "/v0/tenants/demo1234/auth/code";
const PHONE: &str = "+15558675309";

async fn send(h: &Harness, body: Value) -> Value {
    h.post(CODE).json(body).send().await.ok()
}

/// Logs in with a code (`PUT /v0/auth/code` of `body`).
async fn code_login(h: &Harness, body: Value) -> Resp {
    h.put(CODE).json(body).send().await
}

/// The body that logs in `PHONE` with an SMS code.
fn sms(code: &str) -> Value {
    json!({"channel": "sms", "phoneNumber": PHONE, "verificationCode": code})
}

/// The body that logs in `email` with an email code.
fn by_email(email: &str, code: &str) -> Value {
    json!({"channel": "email", "email": email, "verificationCode": code})
}

/// Sends an email code to `email` (test mode); returns the code.
async fn email_code(h: &Harness, email: &str) -> String {
    code_of(&send(h, json!({"channel": "email", "email": email})).await)
}

/// The code of a test-mode answer.
fn code_of(sent: &Value) -> String {
    sent["result"]["verificationCode"]
        .as_str()
        .expect("test-mode code")
        .to_owned()
}

/// A code that is not `code`.
fn other_code(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn a_phone_number_alone_signs_up_and_logs_in() {
    let h = Harness::start().await;
    h.settings(DEMO_TENANT, json!({"signupRedirectPath": "/welcome"}))
        .await;
    let sent = send(&h, json!({"phoneNumber": PHONE, "name": "Pat"})).await;
    assert_eq!(sent["message"], "OK");
    assert_eq!(sent["result"]["channel"], "sms", "sms is the default");
    assert_eq!(sent["result"]["phoneNumber"], PHONE);
    let code = code_of(&sent);
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()));

    let outbox = h.outbox("to=%2B15558675309&type=verificationCode").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["verificationCode"], code.as_str());
    assert_eq!(outbox[0]["channel"], "sms");
    assert_eq!(outbox[0]["suppressed"], true);
    let created: Vec<Value> = h
        .webhooks()
        .await
        .into_iter()
        .filter(|w| w["body"]["action"] == "create")
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["body"]["record"]["phoneNumber"], PHONE);
    assert_eq!(
        created[0]["body"]["record"]["isPhoneNumberConfirmed"],
        false
    );

    let login = code_login(&h, sms(&code)).await.ok();
    assert_eq!(login["message"], "OK");
    assert_eq!(login["phoneNumber"], PHONE);
    assert_eq!(login["name"], "Pat");
    assert_eq!(login["email"], "");
    assert_eq!(login["isPhoneNumberConfirmed"], true);
    assert!(login["confirmedPhoneNumberAt"].is_string());
    assert_eq!(login["redirectTo"], "http://localhost:3000/welcome");
    let claims = h
        .verified_claims(&access(&login), userfront_mock::Mode::Test)
        .await;
    assert_eq!(claims["userId"], login["userId"]);
    assert_eq!(claims["isPhoneNumberConfirmed"], true);

    // The same number now logs the same user in, landing on the After-login path.
    h.advance(3).await;
    let again = code_of(&send(&h, json!({"phoneNumber": PHONE})).await);
    let second = code_login(&h, sms(&again)).await.ok();
    assert_eq!(second["userId"], login["userId"]);
    assert_eq!(second["redirectTo"], "http://localhost:3000/dashboard");
}

#[tokio::test]
async fn email_codes_log_in_and_confirm_the_address() {
    let h = Harness::start().await;
    let sent = send(
        &h,
        json!({"channel": "email", "email": "Unconfirmed@Example.com"}),
    )
    .await;
    assert_eq!(sent["result"]["channel"], "email");
    assert_eq!(sent["result"]["email"], "unconfirmed@example.com");
    assert!(sent["result"].get("phoneNumber").is_none());
    let login = code_login(&h, by_email("unconfirmed@example.com", &code_of(&sent)))
        .await
        .ok();
    assert_eq!(login["userId"], 4);
    assert_eq!(login["isEmailConfirmed"], true);
    assert!(login["confirmedEmailAt"].is_string());
    let updates: Vec<Value> = h
        .webhooks()
        .await
        .into_iter()
        .filter(|w| w["body"]["action"] == "update")
        .collect();
    assert_eq!(updates.len(), 1, "confirming the email is a user update");
}

#[tokio::test]
async fn an_unknown_email_signs_up_with_the_given_fields() {
    let h = Harness::start().await;
    let sent = send(
        &h,
        json!({"channel": "email", "email": "new@example.com", "username": "newbie",
               "data": {"plan": "pro"}, "phoneNumber": "+15550001111"}),
    )
    .await;
    let login = code_login(&h, by_email("new@example.com", &code_of(&sent)))
        .await
        .ok();
    assert_eq!(login["username"], "newbie");
    assert_eq!(login["data"]["plan"], "pro");
    assert_eq!(login["phoneNumber"], "+15550001111");
    assert_eq!(
        login["isPhoneNumberConfirmed"], false,
        "only the email was proven"
    );
}

#[tokio::test]
async fn codes_are_single_use_and_expire_after_ten_minutes() {
    let h = Harness::start().await;
    let body = |code: &str| by_email("member@example.com", code);
    let code = email_code(&h, "member@example.com").await;
    code_login(&h, body(&other_code(&code)))
        .await
        .err(400, "Invalid verificationCode");
    // A wrong code does not use the right one up.
    code_login(&h, body(&code)).await.ok();
    code_login(&h, body(&code))
        .await
        .err(400, "Invalid verificationCode");

    h.advance(3).await;
    let code = email_code(&h, "member@example.com").await;
    h.advance(599).await;
    let still = code_login(&h, body(&code)).await;
    assert_eq!(
        still.status, 200,
        "valid just before ten minutes: {}",
        still.body
    );

    h.advance(3).await;
    let code = email_code(&h, "member@example.com").await;
    h.advance(601).await;
    code_login(&h, body(&code))
        .await
        .err(400, "Invalid verificationCode");
}

#[tokio::test]
async fn a_new_code_replaces_the_previous_one() {
    let h = Harness::start().await;
    let first = email_code(&h, "viewer@example.com").await;
    h.advance(3).await;
    let second = email_code(&h, "viewer@example.com").await;
    if first != second {
        code_login(&h, by_email("viewer@example.com", &first))
            .await
            .err(400, "Invalid verificationCode");
    }
    code_login(&h, by_email("viewer@example.com", &second))
        .await
        .ok();
}

#[tokio::test]
async fn codes_are_numbers_or_strings_and_bound_to_their_channel() {
    let h = Harness::start().await;
    let code = code_of(&send(&h, json!({"phoneNumber": PHONE})).await);
    code_login(&h, by_email("admin@example.com", &code))
        .await
        .err(400, "Invalid verificationCode");
    let number: u64 = code.parse().unwrap();
    if !code.starts_with('0') {
        let body = json!({"channel": "sms", "phoneNumber": PHONE, "verificationCode": number});
        code_login(&h, body).await.ok();
    }
}

#[tokio::test]
async fn sending_refuses_bad_requests() {
    let h = Harness::start().await;
    h.refusals(
        Method::POST,
        &[
            (
                CODE,
                json!({"channel": "fax", "phoneNumber": PHONE}),
                400,
                "Invalid channel",
            ),
            (
                CODE,
                json!({}),
                400,
                "SMS verification code requires \"phoneNumber\"",
            ),
            (
                CODE,
                json!({"channel": "email"}),
                400,
                "Email verification code requires \"email\"",
            ),
            (
                CODE,
                json!({"phoneNumber": "5558675309"}),
                400,
                "Phone number must be in E.164 format.",
            ),
            (
                CODE,
                json!({"channel": "email", "email": "not-an-email"}),
                400,
                "Email format is invalid",
            ),
            (
                CODE,
                json!({"phoneNumber": PHONE, "email": "admin@example.com"}),
                400,
                "Email exists",
            ),
        ],
    )
    .await;
    h.refuses_missing_or_unknown_tenant(Method::POST, "auth/code", json!({"phoneNumber": PHONE}))
        .await;
    assert!(h.outbox("").await.is_empty(), "nothing was sent");
    let state = h.get("/__mock/webhooks").send().await.ok();
    assert_eq!(state["totalCount"], 0, "no user was created");
}

#[tokio::test]
async fn logging_in_refuses_bad_requests() {
    let h = Harness::start().await;
    for (body, message) in [
        (
            json!({"channel": "sms", "phoneNumber": "+15550009999", "verificationCode": "123456"}),
            "\"phoneNumber\" not found or not yet verified",
        ),
        (
            json!({"channel": "fax", "phoneNumber": PHONE, "verificationCode": "123456"}),
            "Invalid channel",
        ),
        (
            json!({"channel": "sms", "verificationCode": "123456"}),
            "SMS verification code requires \"phoneNumber\"",
        ),
        (
            json!({"channel": "email", "verificationCode": "123456"}),
            "Email verification code requires \"email\"",
        ),
        (
            json!({"channel": "email", "email": "admin@example.com"}),
            "\"verificationCode\" is required",
        ),
        (
            json!({"channel": "email", "email": "admin@example.com", "verificationCode": "123456"}),
            "Invalid verificationCode",
        ),
    ] {
        code_login(&h, body).await.err(400, message);
    }
}

#[tokio::test]
async fn the_docs_form_takes_the_tenant_from_the_body() {
    let h = Harness::start().await;
    let sent = h
        .post("/v0/auth/code")
        .json(json!({"tenantId": DEMO_TENANT, "channel": "email", "email": "admin@example.com"}))
        .send()
        .await
        .ok();
    h.put("/v0/auth/code")
        .json(
            json!({"tenantId": DEMO_TENANT, "channel": "email", "email": "admin@example.com",
                     "verificationCode": code_of(&sent)}),
        )
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn a_second_request_within_two_seconds_is_rate_limited_and_changes_nothing() {
    let h = Harness::start().await;
    let first = code_of(&send(&h, json!({"phoneNumber": PHONE})).await);
    let refused = h
        .post(CODE)
        .json(json!({"phoneNumber": PHONE}))
        .send()
        .await;
    refused.err_type(429, "Rate limited", "rate_limit_error");
    assert_eq!(h.outbox("").await.len(), 1, "nothing sent by the refusal");
    code_login(&h, sms(&first)).await.ok();
}

#[tokio::test]
async fn live_mode_answers_with_a_receipt_and_keeps_the_code_in_the_outbox() {
    let h = Harness::start().await;
    let sent = h
        .post(CODE)
        .origin(LIVE_ORIGIN)
        .json(json!({"phoneNumber": PHONE}))
        .send()
        .await
        .ok();
    let result = &sent["result"];
    assert!(result.get("verificationCode").is_none(), "{result}");
    assert_eq!(result["phoneNumber"], PHONE);
    assert_eq!(result["to"], PHONE);
    assert_eq!(result["channel"], "sms");
    assert!(result["messageId"].is_string() && result["submittedAt"].is_string());
    let outbox = h.outbox("mode=live").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["suppressed"], false);
    let code = outbox[0]["verificationCode"].as_str().unwrap().to_owned();
    // Test mode knows neither the user nor the code.
    code_login(&h, sms(&code))
        .await
        .err(400, "\"phoneNumber\" not found or not yet verified");
    let login = h
        .put(CODE)
        .origin(LIVE_ORIGIN)
        .json(json!({"channel": "sms", "phoneNumber": PHONE, "verificationCode": code}))
        .send()
        .await
        .ok();
    assert_eq!(login["mode"], "live");
}

#[tokio::test]
async fn a_verified_phone_number_becomes_the_users_number() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/verify/phone")
        .bearer(&token)
        .json(json!({"phoneNumber": PHONE}))
        .send()
        .await
        .ok();
    let code = code_of(&sent);
    let login = code_login(&h, sms(&code)).await.ok();
    assert_eq!(login["userId"], 2);
    assert_eq!(login["phoneNumber"], PHONE);
    assert_eq!(login["isPhoneNumberConfirmed"], true);
    let me = h.get_as(&access(&login), "/v0/self").await;
    assert_eq!(me["phoneNumber"], PHONE);
}

#[tokio::test]
async fn a_locked_user_cannot_log_in_and_keeps_the_code() {
    let h = Harness::start_with_seed(demo_seed_with_users(json!([{
        "userId": 1, "username": "pat", "email": "pat@example.com", "phoneNumber": PHONE,
        "isPhoneNumberConfirmed": true, "locked": true
    }])))
    .await;
    let code = code_of(&send(&h, json!({"phoneNumber": PHONE})).await);
    code_login(&h, sms(&code)).await.err(403, "User is locked");
    assert_eq!(h.outbox("").await.len(), 1);
}
