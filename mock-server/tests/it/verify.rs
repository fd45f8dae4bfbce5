//! Email and phone verification (CS-17 `POST /v0/auth/verify/email`, CS-18 legacy
//! `/verify/link`, CS-19 `POST /v0/auth/verify/phone`).

use crate::common;

use common::{
    Harness, LIVE_ORIGIN, Method, access, demo_seed_with_users, link_credentials, query_param,
};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, OTHER_TENANT, TEST_PASSWORD};

const EMAIL: &str = "/v0/tenants/demo1234/auth/verify/email";
const PHONE: &str = "/v0/tenants/demo1234/auth/verify/phone";
const LINK: &str = "/v0/tenants/demo1234/auth/link";

fn link_of(sent: &Value) -> String {
    sent["result"]["link"]
        .as_str()
        .unwrap_or_else(|| panic!("no link in {sent}"))
        .to_owned()
}

async fn me(h: &Harness, token: &str) -> Value {
    h.get_as(token, "/v0/self").await
}

/// A pool with phone numbers: user 1 has a confirmed number, user 2 none.
fn seed_with_phones() -> Value {
    demo_seed_with_users(json!([
        { "userId": 1, "username": "phoned", "email": "phoned@example.com",
          "password": TEST_PASSWORD, "phoneNumber": "+15550001111",
          "isPhoneNumberConfirmed": true, "isEmailConfirmed": true },
        { "userId": 2, "username": "plain", "email": "plain@example.com",
          "password": TEST_PASSWORD, "isEmailConfirmed": true }
    ]))
}

#[tokio::test]
async fn a_verify_link_for_the_current_address_confirms_it() {
    let h = Harness::start().await;
    let sent = h
        .post(EMAIL)
        .json(json!({ "email": "Unconfirmed@Example.com" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["message"], "OK");
    let link = link_of(&sent);
    assert!(
        link.starts_with("http://localhost:3000/login?uuid="),
        "{link}"
    );
    assert_eq!(query_param(&link, "type").as_deref(), Some("verify"));
    let outbox = h.outbox("type=verify").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["to"], "unconfirmed@example.com");
    let login = h.put(LINK).json(link_credentials(&link)).send().await.ok();
    assert_eq!(login["userId"], 4);
    assert_eq!(login["isEmailConfirmed"], true);
    assert_eq!(login["isConfirmed"], true);
    let events = h.webhooks().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["body"]["action"], "update");
}

#[tokio::test]
async fn the_user_is_found_by_token_id_uuid_or_address() {
    let h = Harness::start().await;
    let token = h.access_token("viewer@example.com").await;
    let viewer = me(&h, &token).await;
    // By token (no body at all besides the tenant).
    h.post(EMAIL)
        .bearer(&token)
        .json(json!({}))
        .send()
        .await
        .ok();
    h.advance(3).await;
    // By userId and by userUuid, without a token.
    h.post(EMAIL).json(json!({ "userId": 3 })).send().await.ok();
    h.advance(3).await;
    h.post(EMAIL)
        .json(json!({ "userUuid": viewer["userUuid"] }))
        .send()
        .await
        .ok();
    let outbox = h.outbox("type=verify").await;
    assert_eq!(outbox.len(), 3);
    assert!(outbox.iter().all(|e| e["to"] == "viewer@example.com"));
    assert!(outbox.iter().all(|e| e["uuid"] == viewer["userUuid"]));
    // Nobody.
    for body in [
        json!({ "email": "ghost@example.com" }),
        json!({ "userId": 99 }),
        json!({ "userUuid": "00000000-0000-4000-8000-000000000000" }),
        json!({ "userUuid": "garbage" }),
    ] {
        h.post(EMAIL)
            .json(body)
            .send()
            .await
            .err(404, "User not found");
    }
    h.refuses_bad_emails(EMAIL, "no-at-sign").await;
    h.post(EMAIL)
        .json(json!({ "userId": "x" }))
        .send()
        .await
        .err(400, "\"userId\" must be a positive integer");
    assert_eq!(h.outbox("type=verify").await.len(), 3);
}

#[tokio::test]
async fn changing_the_address_waits_for_the_link() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let sent = h
        .post(EMAIL)
        .bearer(&token)
        .json(json!({ "email": "Member.New@Example.com", "options": { "redirect": "/profile" } }))
        .send()
        .await
        .ok();
    let link = link_of(&sent);
    assert_eq!(
        query_param(&link, "redirect").as_deref(),
        Some("%2Fprofile")
    );
    let outbox = h.outbox("type=verify").await;
    assert_eq!(outbox[0]["to"], "member.new@example.com");
    // The old address stays in place until the link is used.
    assert_eq!(me(&h, &token).await["email"], "member@example.com");
    assert_eq!(
        h.login("member@example.com", TEST_PASSWORD).await["userId"],
        2
    );
    let login = h.put(LINK).json(link_credentials(&link)).send().await.ok();
    assert_eq!(login["email"], "member.new@example.com");
    assert_eq!(login["isEmailConfirmed"], true);
    assert_eq!(me(&h, &token).await["email"], "member.new@example.com");
    assert_eq!(
        h.login("member.new@example.com", TEST_PASSWORD).await["userId"],
        2
    );
    h.post("/v0/tenants/demo1234/auth/basic")
        .json(json!({ "emailOrUsername": "member@example.com", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    // The old address is free again.
    assert_eq!(
        h.signup("member@example.com", "abcdefgh1").await["userId"],
        5
    );
    let events = h.webhooks().await;
    assert_eq!(events[0]["body"]["action"], "update");
    assert_eq!(
        events[0]["body"]["record"]["email"],
        "member.new@example.com"
    );
}

#[tokio::test]
async fn changing_the_address_needs_the_users_token_and_a_free_address() {
    let h = Harness::start().await;
    h.post(EMAIL)
        .json(json!({ "userId": 2, "email": "elsewhere@example.com" }))
        .send()
        .await
        .err(401, "Unauthorized");
    let viewer = h.access_token("viewer@example.com").await;
    // With a token the token's user is meant, whatever userId says.
    h.post(EMAIL)
        .bearer(&viewer)
        .json(json!({ "userId": 2, "email": "Member@example.com" }))
        .send()
        .await
        .err(400, "Email exists");
    h.post(EMAIL)
        .bearer("garbage")
        .json(json!({ "email": "viewer@example.com" }))
        .send()
        .await
        .err(401, "Unauthorized");
    h.post(&format!("/v0/tenants/{OTHER_TENANT}/auth/verify/email"))
        .bearer(&viewer)
        .json(json!({ "email": "viewer2@example.com" }))
        .send()
        .await
        .err(403, "Forbidden");
    assert!(h.outbox("").await.is_empty());
    // Docs form: the token names the tenant.
    let sent = h
        .post("/v0/auth/verify/email")
        .bearer(&viewer)
        .json(json!({ "email": "viewer2@example.com" }))
        .send()
        .await
        .ok();
    assert!(sent["result"]["link"].is_string());
    h.post("/v0/auth/verify/email")
        .json(json!({ "email": "viewer@example.com" }))
        .send()
        .await
        .err(400, "\"tenantId\" is required");
}

#[tokio::test]
async fn a_pending_address_taken_meanwhile_is_refused_and_the_link_kept_for_later() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let link = link_of(
        &h.post(EMAIL)
            .bearer(&token)
            .json(json!({ "email": "wanted@example.com" }))
            .send()
            .await
            .ok(),
    );
    h.advance(3).await;
    let squatter = h.signup("wanted@example.com", "abcdefgh1").await;
    h.put(LINK)
        .json(link_credentials(&link))
        .send()
        .await
        .err(400, "Email exists");
    assert_eq!(me(&h, &token).await["email"], "member@example.com");
    // Once the address is free again, the same link still works.
    let moved = link_of(
        &h.post(EMAIL)
            .bearer(&access(&squatter))
            .json(json!({ "email": "elsewhere@example.com" }))
            .send()
            .await
            .ok(),
    );
    h.put(LINK).json(link_credentials(&moved)).send().await.ok();
    let login = h.put(LINK).json(link_credentials(&link)).send().await.ok();
    assert_eq!(login["email"], "wanted@example.com");
}

#[tokio::test]
async fn verify_links_last_three_days() {
    let h = Harness::start().await;
    let early = link_of(
        &h.post(EMAIL)
            .json(json!({ "email": "unconfirmed@example.com" }))
            .send()
            .await
            .ok(),
    );
    h.advance(2 * 86_400).await;
    let late = link_of(
        &h.post(EMAIL)
            .json(json!({ "email": "viewer@example.com" }))
            .send()
            .await
            .ok(),
    );
    h.advance(86_400 + 1).await;
    h.put(LINK)
        .json(link_credentials(&early))
        .send()
        .await
        .err(400, "Token expired");
    h.put(LINK).json(link_credentials(&late)).send().await.ok();
}

#[tokio::test]
async fn the_legacy_verify_link_route_is_identical() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/verify/link")
        .bearer(&token)
        .json(json!({ "email": "legacy@example.com" }))
        .send()
        .await
        .ok();
    let link = link_of(&sent);
    assert_eq!(query_param(&link, "type").as_deref(), Some("verify"));
    let login = h.put(LINK).json(link_credentials(&link)).send().await.ok();
    assert_eq!(login["email"], "legacy@example.com");
    h.post("/v0/auth/verify/link")
        .json(json!({ "tenantId": DEMO_TENANT, "email": "ghost@example.com" }))
        .send()
        .await
        .err(404, "User not found");
    h.post("/v0/auth/verify/link")
        .json(json!({ "userId": 2, "email": "other@example.com", "tenantId": DEMO_TENANT }))
        .send()
        .await
        .err(401, "Unauthorized");
}

#[tokio::test]
async fn live_verify_email_answers_with_a_receipt() {
    let h = Harness::start().await;
    let live = h.live_signup("ana@example.org", "live-password-1").await;
    h.advance(3).await;
    let sent = h
        .post(EMAIL)
        .origin(LIVE_ORIGIN)
        .json(json!({ "email": "ana@example.org" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["result"]["email"], "ana@example.org");
    assert_eq!(sent["result"]["to"], "ana@example.org");
    // The live token decides the mode even without the origin.
    let sent = h
        .post("/v0/auth/verify/email")
        .bearer(&access(&live))
        .json(json!({ "email": "ana.new@example.org" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["result"]["email"], "ana.new@example.org");
    assert_eq!(h.outbox("mode=live&type=verify").await.len(), 2);
    h.post(EMAIL)
        .json(json!({ "email": "ana@example.org" }))
        .send()
        .await
        .err(404, "User not found");
}

#[tokio::test]
async fn a_new_phone_number_gets_a_code_with_the_users_token() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let sent = h
        .post(PHONE)
        .bearer(&token)
        .json(json!({ "phoneNumber": "+15558675309" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["message"], "OK");
    let result = &sent["result"];
    assert_eq!(result["channel"], "sms");
    assert_eq!(result["phoneNumber"], "+15558675309");
    let code = result["verificationCode"].as_str().unwrap();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    let outbox = h.outbox("channel=sms").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["to"], "+15558675309");
    assert_eq!(outbox[0]["type"], "verificationCode");
    assert_eq!(outbox[0]["verificationCode"], code);
    assert_eq!(outbox[0]["suppressed"], true);
    // The number is not the user's until the code is used.
    let user = me(&h, &token).await;
    assert_eq!(user["phoneNumber"], Value::Null);
    assert_eq!(user["isPhoneNumberConfirmed"], false);
    assert!(h.webhooks().await.is_empty());
}

#[tokio::test]
async fn phone_verification_refusals() {
    let h = Harness::start_with_seed(seed_with_phones()).await;
    let plain = h.access_token("plain@example.com").await;
    h.post(PHONE)
        .bearer(&plain)
        .json(json!({}))
        .send()
        .await
        .err(400, "\"phoneNumber\" is required");
    for bad in [
        "5558675309",
        "+0123",
        "+1 555 867 5309",
        "+1234567890123456",
    ] {
        h.post(PHONE)
            .bearer(&plain)
            .json(json!({ "phoneNumber": bad }))
            .send()
            .await
            .err(400, "Phone number must be in E.164 format.");
    }
    h.post(PHONE)
        .bearer(&plain)
        .json(json!({ "phoneNumber": "+15550001111" }))
        .send()
        .await
        .err(400, "Phone number exists");
    h.refusals(
        Method::POST,
        &[
            (
                PHONE,
                json!({ "userId": 2, "phoneNumber": "+15552223333" }),
                401,
                "Unauthorized",
            ),
            (
                PHONE,
                json!({ "phoneNumber": "+15552223333" }),
                404,
                "User not found",
            ),
            (
                PHONE,
                json!({ "userId": 9, "phoneNumber": "+15552223333" }),
                404,
                "User not found",
            ),
        ],
    )
    .await;
    h.post(&format!("/v0/tenants/{OTHER_TENANT}/auth/verify/phone"))
        .bearer(&plain)
        .json(json!({ "phoneNumber": "+15552223333" }))
        .send()
        .await
        .err(403, "Forbidden");
    h.refuses_missing_or_unknown_tenant(
        Method::POST,
        "auth/verify/phone",
        json!({ "phoneNumber": "+15550001111" }),
    )
    .await;
    assert!(h.outbox("").await.is_empty());
    // With unique numbers off, a shared number is fine.
    h.settings(DEMO_TENANT, json!({ "isPhoneNumberUnique": false }))
        .await;
    h.post(PHONE)
        .bearer(&plain)
        .json(json!({ "phoneNumber": "+15550001111" }))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn the_current_number_is_verified_without_a_token() {
    let h = Harness::start_with_seed(seed_with_phones()).await;
    let sent = h
        .post("/v0/auth/verify/phone")
        .json(json!({ "tenantId": DEMO_TENANT, "phoneNumber": "+15550001111" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["result"]["phoneNumber"], "+15550001111");
    h.advance(3).await;
    h.post(PHONE)
        .json(json!({ "userId": 1, "phoneNumber": "+15550001111" }))
        .send()
        .await
        .ok();
    let outbox = h.outbox("channel=sms&to=%2B15550001111").await;
    assert_eq!(outbox.len(), 2);
    for entry in &outbox {
        assert_eq!(entry["type"], "verificationCode");
        assert_eq!(entry["verificationCode"].as_str().map(str::len), Some(6));
    }
}

#[tokio::test]
async fn live_phone_verification_answers_with_a_receipt() {
    let h = Harness::start().await;
    let live = h.live_signup("ana@example.org", "live-password-1").await;
    let sent = h
        .post(PHONE)
        .bearer(&access(&live))
        .json(json!({ "phoneNumber": "+15558675309" }))
        .send()
        .await
        .ok();
    let result = &sent["result"];
    assert_eq!(result["channel"], "sms");
    assert_eq!(result["phoneNumber"], "+15558675309");
    assert_eq!(result["to"], "+15558675309");
    assert!(result["messageId"].is_string() && result["submittedAt"].is_string());
    assert!(result.get("verificationCode").is_none());
    let outbox = h.outbox("mode=live&channel=sms").await;
    assert_eq!(outbox[0]["suppressed"], false);
}
