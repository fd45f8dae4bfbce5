//! Password reset (CS-15 `POST /v0/auth/reset/link`, CS-16 `PUT /v0/auth/reset`).

use crate::common;

use common::{Harness, LIVE_ORIGIN, Method, access, link_credentials, query_param};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD};

const SEND: &str = "/v0/tenants/demo1234/auth/reset/link";
const RESET: &str = "/v0/tenants/demo1234/auth/reset";

async fn reset_link(h: &Harness, email: &str) -> String {
    let sent = h
        .post(SEND)
        .json(json!({ "email": email }))
        .send()
        .await
        .ok();
    assert_eq!(sent["message"], "OK");
    sent["result"]["link"].as_str().expect("link").to_owned()
}

fn with_password(link: &str, password: &str) -> Value {
    let mut body = link_credentials(link);
    body["password"] = json!(password);
    body
}

#[tokio::test]
async fn reset_links_point_at_the_reset_page_without_a_type() {
    let h = Harness::start().await;
    let link = reset_link(&h, "Member@Example.com").await;
    assert!(
        link.starts_with("http://localhost:3000/reset?uuid="),
        "{link}"
    );
    assert_eq!(query_param(&link, "type"), None);
    let outbox = h.outbox("type=reset").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["to"], "member@example.com");
    assert_eq!(outbox[0]["link"], link.as_str());
    // The tenant's reset path and a requested redirect.
    h.settings(DEMO_TENANT, json!({ "passwordResetPath": "/password/new" }))
        .await;
    h.advance(3).await;
    let sent = h
        .post(SEND)
        .json(json!({ "email": "member@example.com", "options": { "redirect": "/home" } }))
        .send()
        .await
        .ok();
    let link = sent["result"]["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:3000/password/new?uuid="),
        "{link}"
    );
    assert_eq!(query_param(link, "redirect").as_deref(), Some("%2Fhome"));
}

#[tokio::test]
async fn send_reset_link_refusals() {
    let h = Harness::start().await;
    h.refuses_bad_emails(SEND, "bad@").await;
    h.post(SEND)
        .json(json!({ "email": "ghost@example.com" }))
        .send()
        .await
        .err(404, "User not found");
    h.refuses_missing_or_unknown_tenant(
        Method::POST,
        "auth/reset/link",
        json!({ "email": "member@example.com" }),
    )
    .await;
    assert!(h.outbox("").await.is_empty());
    let sent = h
        .post("/v0/auth/reset/link")
        .json(json!({ "tenantId": DEMO_TENANT, "email": "member@example.com" }))
        .send()
        .await
        .ok();
    assert!(sent["result"]["link"].is_string());
}

#[tokio::test]
async fn resetting_sets_the_password_confirms_the_email_and_signs_in() {
    let h = Harness::start().await;
    let link = reset_link(&h, "unconfirmed@example.com").await;
    let body = h
        .put(RESET)
        .json(with_password(&link, "brand-new-pass-1"))
        .send()
        .await
        .ok();
    assert_eq!(body["message"], "OK");
    assert_eq!(body["userId"], 4);
    assert_eq!(body["isEmailConfirmed"], true);
    assert_eq!(body["redirectTo"], "http://localhost:3000/dashboard");
    assert!(body["tokens"]["refresh"]["value"].is_string());
    let session = h.get_as(&access(&body), "/v0/auth/session").await;
    assert_eq!(
        session["authentication"]["firstFactor"],
        json!({ "channel": "email", "strategy": "link" })
    );
    h.post("/v0/tenants/demo1234/auth/basic")
        .json(json!({ "emailOrUsername": "unconfirmed", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    assert_eq!(
        h.login("unconfirmed", "brand-new-pass-1").await["userId"],
        4
    );
    let events = h.webhooks().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["body"]["action"], "update");
    assert_eq!(events[0]["body"]["record"]["isEmailConfirmed"], true);
    // Single use.
    h.put(RESET)
        .json(with_password(&link, "another-pass-1"))
        .send()
        .await
        .err(400, "Invalid token");
}

#[tokio::test]
async fn reset_refusals_leave_the_credentials_usable() {
    let h = Harness::start().await;
    let link = reset_link(&h, "member@example.com").await;
    let good = with_password(&link, "brand-new-pass-1");
    for (field, message) in [
        ("uuid", "\"uuid\" is required"),
        ("token", "\"token\" is required"),
        ("password", "\"password\" is required"),
    ] {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(field);
        h.put(RESET).json(body).send().await.err(400, message);
    }
    h.put(RESET)
        .json(with_password(&link, "short1"))
        .send()
        .await
        .err(
            400,
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        );
    let mut wrong = good.clone();
    wrong["token"] = json!("00000000-0000-4000-8000-000000000000");
    h.put(RESET)
        .json(wrong)
        .send()
        .await
        .err(400, "Invalid token");
    h.put("/v0/auth/reset")
        .json(good.clone())
        .send()
        .await
        .err(400, "\"tenantId\" is required");
    assert!(h.webhooks().await.is_empty());
    // Test mode accepts the reserved password "password".
    let mut docs = with_password(&link, "password");
    docs["tenantId"] = json!(DEMO_TENANT);
    h.put("/v0/auth/reset").json(docs).send().await.ok();
    assert_eq!(h.login("member", "password").await["userId"], 2);
}

#[tokio::test]
async fn reset_accepts_login_and_welcome_links_but_not_verify_links() {
    let h = Harness::start().await;
    let login = h
        .post("/v0/tenants/demo1234/auth/link")
        .json(json!({ "email": "member@example.com" }))
        .send()
        .await
        .ok();
    let login = login["result"]["link"].as_str().unwrap();
    h.put(RESET)
        .json(with_password(login, "from-login-link-1"))
        .send()
        .await
        .ok();
    let welcome = h
        .post("/v0/tenants/demo1234/auth/link")
        .json(json!({ "email": "fresh@example.com" }))
        .send()
        .await
        .ok();
    let welcome = welcome["result"]["link"].as_str().unwrap();
    let body = h
        .put(RESET)
        .json(with_password(welcome, "from-welcome-link-1"))
        .send()
        .await
        .ok();
    assert_eq!(body["email"], "fresh@example.com");
    assert_eq!(
        h.login("fresh@example.com", "from-welcome-link-1").await["userId"],
        5
    );
    let verify = h
        .post("/v0/tenants/demo1234/auth/verify/email")
        .json(json!({ "email": "viewer@example.com" }))
        .send()
        .await
        .ok();
    let verify = verify["result"]["link"].as_str().unwrap();
    h.put(RESET)
        .json(with_password(verify, "from-verify-link-1"))
        .send()
        .await
        .err(400, "Invalid token");
}

#[tokio::test]
async fn reset_links_expire_after_an_hour() {
    let h = Harness::start().await;
    let link = reset_link(&h, "member@example.com").await;
    h.advance(3_000).await;
    let fresh = reset_link(&h, "viewer@example.com").await;
    h.advance(601).await;
    h.put(RESET)
        .json(with_password(&link, "brand-new-pass-1"))
        .send()
        .await
        .err(400, "Token expired");
    h.put(RESET)
        .json(with_password(&fresh, "brand-new-pass-1"))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn live_reset_answers_with_a_receipt() {
    let h = Harness::start().await;
    h.live_signup("ana@example.org", "live-password-1").await;
    h.advance(3).await;
    let sent = h
        .post(SEND)
        .origin(LIVE_ORIGIN)
        .json(json!({ "email": "ana@example.org" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["result"]["email"], "ana@example.org");
    assert_eq!(sent["result"]["to"], "ana@example.org");
    assert!(sent["result"]["messageId"].is_string());
    assert!(sent["result"].get("link").is_none());
    // The test pool has no such user.
    h.post(SEND)
        .json(json!({ "email": "ana@example.org" }))
        .send()
        .await
        .err(404, "User not found");
    let outbox = h.outbox("mode=live&type=reset").await;
    let link = outbox[0]["link"].as_str().unwrap();
    assert!(
        link.starts_with("https://example.com/reset?uuid="),
        "{link}"
    );
    // Live password rules apply to the new password.
    h.put(RESET)
        .origin(LIVE_ORIGIN)
        .json(with_password(link, "password"))
        .send()
        .await
        .err(
            400,
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        );
    let body = h
        .put(RESET)
        .origin(LIVE_ORIGIN)
        .json(with_password(link, "live-password-2"))
        .send()
        .await
        .ok();
    assert_eq!(body["mode"], "live");
}
