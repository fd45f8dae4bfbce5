//! Password migration through a passthrough upstream (CS-5, C-14.5): canned rules and a real
//! upstream server, success storing the password, refusals with the upstream's message, an
//! upstream that is down, and the call log.

use crate::common;

use common::{Harness, Receiver, access, demo_seed_with_users, unreachable_url};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD};

const MIGRATE: &str = "/v0/tenants/demo1234/auth/password/migrate";

/// A mock whose test pool has Jane (imported without a password) and Sam (with one).
async fn start() -> Harness {
    Harness::start_with_seed(demo_seed_with_users(json!([
        {"userId": 1, "username": "jane", "email": "jane@example.com"},
        {"userId": 2, "username": "sam", "email": "sam@example.com", "password": TEST_PASSWORD},
    ])))
    .await
}

async fn migrate(h: &Harness, who: &str, password: &str) -> common::Resp {
    h.post(MIGRATE)
        .json(json!({"emailOrUsername": who, "password": password}))
        .send()
        .await
}

async fn calls(h: &Harness) -> Vec<Value> {
    let body = h.get("/__mock/passthrough/calls").send().await.ok();
    body["results"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_accepted_password_is_stored_and_later_logins_skip_the_upstream() {
    let h = start().await;
    h.settings(
        DEMO_TENANT,
        json!({"passthrough": {"rules": [
            {"emailOrUsername": "jane@example.com", "password": "old-system-pass",
             "body": {"passbackCode": "3dcee2c5-8e7a-46b7-91f0-c9bc38b6444f"}}
        ]}}),
    )
    .await;
    let login = migrate(&h, "jane", "old-system-pass").await.ok();
    assert_eq!(login["message"], "OK");
    assert_eq!(login["userId"], 1);
    assert_eq!(
        login["upstreamResponse"],
        json!({"passbackCode": "3dcee2c5-8e7a-46b7-91f0-c9bc38b6444f"})
    );
    h.get_as(&access(&login), "/v0/self").await;
    let log = calls(&h).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["request"]["emailOrUsername"], "jane");
    assert_eq!(
        log[0]["request"]["password"], "********",
        "never the password"
    );
    assert_eq!(
        log[0]["passbackCode"],
        "3dcee2c5-8e7a-46b7-91f0-c9bc38b6444f"
    );
    assert!(log[0]["url"].is_null());

    // The password is now Userfront's: plain password login works, the upstream is not asked.
    let plain = h.login("jane@example.com", "old-system-pass").await;
    assert_eq!(plain["userId"], 1);
    let again = migrate(&h, "jane@example.com", "old-system-pass")
        .await
        .ok();
    assert!(again.get("upstreamResponse").is_none());
    assert_eq!(calls(&h).await.len(), 1);
    migrate(&h, "jane", "wrong-password-1")
        .await
        .err(400, "Incorrect email or password");

    // `DELETE /__mock/passthrough/calls` empties the log, and the next call starts it again.
    let cleared = h.delete("/__mock/passthrough/calls").send().await.ok();
    assert_eq!(cleared["message"], "OK");
    assert!(calls(&h).await.is_empty());
}

#[tokio::test]
async fn a_refusal_carries_the_upstream_message_and_response() {
    let h = start().await;
    h.settings(
        DEMO_TENANT,
        json!({"passthrough": {"rules": [
            {"emailOrUsername": "jane", "status": 403, "body": {"message": "Account suspended", "code": 7}}
        ]}}),
    )
    .await;
    let refused = migrate(&h, "jane@example.com", "anything").await;
    refused.err(400, "Account suspended");
    assert_eq!(
        refused.body["upstreamResponse"],
        json!({"message": "Account suspended", "code": 7})
    );
    // No rule for this password: the upstream refuses with the default message.
    h.settings(
        DEMO_TENANT,
        json!({"passthrough": {"rules": [{"emailOrUsername": "jane", "password": "right-one"}]}}),
    )
    .await;
    let refused = migrate(&h, "jane", "wrong-one").await;
    refused.err(400, "Incorrect email or password");
    assert!(refused.body["upstreamResponse"].is_object());
    // Nothing was stored: the right password still goes to the upstream.
    migrate(&h, "jane", "right-one").await.ok();
    assert_eq!(calls(&h).await.len(), 3);
}

#[tokio::test]
async fn a_real_upstream_receives_the_login_and_a_passthrough_code() {
    let h = start().await;
    let upstream = Receiver::start(200, json!({"passbackCode": "pb-1", "ignored": true})).await;
    h.settings(DEMO_TENANT, json!({"passthrough": {"url": upstream.url}}))
        .await;
    let login = migrate(&h, "jane@example.com", "old-system-pass")
        .await
        .ok();
    assert_eq!(login["upstreamResponse"]["passbackCode"], "pb-1");
    let got = upstream.wait_for(1).await;
    assert_eq!(got[0].body["emailOrUsername"], "jane@example.com");
    assert_eq!(got[0].body["email"], "jane@example.com");
    assert_eq!(got[0].body["password"], "old-system-pass");
    let code = got[0].body["passthroughCode"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(code).is_ok());
    let log = calls(&h).await;
    assert_eq!(log[0]["request"]["passthroughCode"], code);
    assert_eq!(log[0]["url"], upstream.url.as_str());
}

#[tokio::test]
async fn a_real_upstream_refusal() {
    let h = start().await;
    let upstream = Receiver::start(401, json!({"message": "Bad credentials"})).await;
    h.settings(DEMO_TENANT, json!({"passthrough": {"url": upstream.url}}))
        .await;
    let refused = migrate(&h, "jane", "nope-nope-1").await;
    refused.err(400, "Bad credentials");
    assert_eq!(
        refused.body["upstreamResponse"]["message"],
        "Bad credentials"
    );
}

#[tokio::test]
async fn an_upstream_that_is_down_refuses_the_login_and_stores_nothing() {
    let h = start().await;
    let url = unreachable_url().await;
    h.settings(DEMO_TENANT, json!({"passthrough": {"url": url}}))
        .await;
    let refused = migrate(&h, "jane", "old-system-pass").await;
    refused.err(400, "Incorrect email or password");
    assert!(refused.body.get("upstreamResponse").is_none());
    let log = calls(&h).await;
    assert_eq!(log.len(), 1);
    assert!(log[0]["status"].is_null());
    assert!(log[0]["error"].is_string());
    // An upstream answering 500 is unusable too.
    let broken = Receiver::start(500, json!({"message": "boom"})).await;
    h.settings(DEMO_TENANT, json!({"passthrough": {"url": broken.url}}))
        .await;
    migrate(&h, "jane", "old-system-pass")
        .await
        .err(400, "Incorrect email or password");
    assert_eq!(calls(&h).await[1]["status"], 500);
    // Jane still has no password.
    h.post("/v0/tenants/demo1234/auth/basic")
        .json(
            json!({"emailOrUsername": "jane", "password": "old-system-pass",
                     "options": {"noResetEmail": true}}),
        )
        .send()
        .await
        .err_type(400, "Incorrect email or password", "intended_error");
}

#[tokio::test]
async fn without_a_passthrough_it_is_password_login() {
    let h = start().await;
    let login = migrate(&h, "sam", TEST_PASSWORD).await.ok();
    assert_eq!(login["userId"], 2);
    assert!(login.get("upstreamResponse").is_none());
    migrate(&h, "sam", "wrong-password-1")
        .await
        .err(400, "Incorrect email or password");
    migrate(&h, "nobody@example.com", "whatever-1")
        .await
        .err(400, "Incorrect email or password");
    // Users with a password, and unknown users, never reach a configured upstream either.
    h.settings(DEMO_TENANT, json!({"passthrough": {"rules": [{}]}}))
        .await;
    migrate(&h, "sam", "wrong-password-1")
        .await
        .err(400, "Incorrect email or password");
    migrate(&h, "nobody@example.com", "whatever-1")
        .await
        .err(400, "Incorrect email or password");
    assert!(calls(&h).await.is_empty());
    h.post("/v0/auth/password/migrate")
        .json(json!({"emailOrUsername": "sam", "password": TEST_PASSWORD}))
        .send()
        .await
        .err(400, "\"tenantId\" is required");
}

#[tokio::test]
async fn bad_passthrough_settings_are_refused() {
    let h = start().await;
    let refused = h
        .put("/__mock/tenants/demo1234/settings")
        .json(json!({"passthrough": {"url": "ftp://old.example"}}))
        .send()
        .await;
    assert_eq!(refused.status, 400);
    let refused = h
        .put("/__mock/tenants/demo1234/settings")
        .json(json!({"passthrough": {"rules": [{"status": "ok"}]}}))
        .send()
        .await;
    assert_eq!(refused.status, 400);
    // Clearing the upstream.
    h.settings(DEMO_TENANT, json!({"passthrough": null})).await;
}

#[tokio::test]
async fn mfa_still_applies_after_the_upstream_vouched() {
    let h = start().await;
    h.settings(
        DEMO_TENANT,
        json!({"passthrough": {"rules": [{"emailOrUsername": "jane"}]},
               "authentication": {"firstFactors": [], "secondFactors": [
                   {"channel": "sms", "strategy": "verificationCode"}]},
               "isMfaRequired": true}),
    )
    .await;
    let pending = migrate(&h, "jane", "any-password-1").await.ok();
    assert_eq!(pending["message"], "OK");
    assert_eq!(pending["upstreamResponse"], json!({}));
}
