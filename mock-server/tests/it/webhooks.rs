//! Webhook delivery (C-15): real HTTP POSTs to the tenant's URLs with the webhook key as bearer,
//! recorded in `/__mock/webhooks` with the receiver's status; receivers that fail or cannot be
//! reached never affect the API call.

use crate::common;

use common::{Harness, LIVE_ORIGIN, Receiver, unreachable_url};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode};

/// Waits (at most 5 seconds) until every recorded delivery with a URL has an outcome.
async fn settled(h: &Harness) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let log = h.webhooks().await;
        let pending = log
            .iter()
            .any(|d| d["url"] != "" && d["status"].is_null() && d["error"].is_null());
        if !pending {
            return log;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries still in flight: {log:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn user_create_and_update_are_posted_with_the_webhook_key() {
    let h = Harness::start().await;
    let created = Receiver::start(200, json!({"ok": true})).await;
    let updated = Receiver::start(204, Value::Null).await;
    h.settings(
        DEMO_TENANT,
        json!({"mode": "test", "userCreatedWebhookUrl": created.url, "userUpdatedWebhookUrl": updated.url}),
    )
    .await;
    let signup = h.signup("hooked@example.com", "correct-horse-9").await;

    let got = created.wait_for(1).await;
    let key = h.key(Mode::Test, KeyType::Webhook);
    assert_eq!(
        got[0].headers["authorization"].to_str().unwrap(),
        format!("Bearer {key}")
    );
    assert!(
        got[0].headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = &got[0].body;
    assert_eq!(body["action"], "create");
    assert_eq!(body["model"], "user");
    assert_eq!(body["mode"], "test");
    assert_eq!(body["record"]["userId"], signup["userId"]);
    assert_eq!(body["record"]["email"], "hooked@example.com");
    for excluded in ["lastActiveAt", "lastMessagedAt", "tenant", "updatedAt"] {
        assert!(body["record"].get(excluded).is_none(), "{excluded}");
    }

    // Changing the user (a verification code confirming the email) posts an update. The
    // welcome email went out just now, so wait out the 2-second duplicate window first.
    h.advance(3).await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/code")
        .json(json!({"channel": "email", "email": "hooked@example.com"}))
        .send()
        .await
        .ok();
    h.put("/v0/tenants/demo1234/auth/code")
        .json(json!({"channel": "email", "email": "hooked@example.com",
                     "verificationCode": sent["result"]["verificationCode"]}))
        .send()
        .await
        .ok();
    let got = updated.wait_for(1).await;
    assert_eq!(got[0].body["action"], "update");
    assert_eq!(got[0].body["record"]["isEmailConfirmed"], true);

    let log = settled(&h).await;
    let statuses: Vec<(Value, Value)> = log
        .iter()
        .map(|d| (d["body"]["action"].clone(), d["status"].clone()))
        .collect();
    assert!(
        statuses.contains(&(json!("create"), json!(200))),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&(json!("update"), json!(204))),
        "{statuses:?}"
    );
    let create = log
        .iter()
        .find(|d| d["body"]["action"] == "create")
        .unwrap();
    assert_eq!(create["url"], created.url.as_str());
    assert_eq!(create["headers"]["authorization"], format!("Bearer {key}"));
}

#[tokio::test]
async fn failing_and_unreachable_receivers_never_break_the_api() {
    let h = Harness::start().await;
    let failing = Receiver::start(500, json!({"message": "receiver bug"})).await;
    let nowhere = unreachable_url().await;
    h.settings(
        DEMO_TENANT,
        json!({"userCreatedWebhookUrl": failing.url, "userUpdatedWebhookUrl": nowhere}),
    )
    .await;
    let signup = h.signup("fragile@example.com", "correct-horse-9").await;
    assert_eq!(signup["message"], "OK");
    failing.wait_for(1).await;
    // An update to a receiver that does not exist.
    let token = common::access(&signup);
    h.get_as(&token, "/v0/auth/totp").await;
    h.delete("/v0/auth/totp").bearer(&token).send().await.ok();
    let log = settled(&h).await;
    let create = log
        .iter()
        .find(|d| d["body"]["action"] == "create")
        .unwrap();
    assert_eq!(create["status"], 500);
    let update = log
        .iter()
        .find(|d| d["body"]["action"] == "update")
        .unwrap();
    assert!(update["status"].is_null());
    assert!(update["error"].is_string(), "{update}");
}

#[tokio::test]
async fn events_without_a_url_are_recorded_but_not_posted() {
    let h = Harness::start().await;
    h.signup("quiet@example.com", "correct-horse-9").await;
    let log = h.webhooks().await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["url"], "");
    assert!(log[0]["status"].is_null());
    assert_eq!(log[0]["body"]["action"], "create");
}

#[tokio::test]
async fn live_events_carry_the_live_webhook_key() {
    let h = Harness::start().await;
    let live = Receiver::start(200, json!({})).await;
    let test = Receiver::start(200, json!({})).await;
    h.settings(
        DEMO_TENANT,
        json!({"mode": "live", "userCreatedWebhookUrl": live.url}),
    )
    .await;
    h.settings(
        DEMO_TENANT,
        json!({"mode": "test", "userCreatedWebhookUrl": test.url}),
    )
    .await;
    h.live_signup("live-hook@example.com", "correct-horse-9")
        .await;
    let got = live.wait_for(1).await;
    assert_eq!(got[0].body["mode"], "live");
    assert_eq!(
        got[0].headers["authorization"].to_str().unwrap(),
        format!("Bearer {}", h.key(Mode::Live, KeyType::Webhook))
    );
    settled(&h).await;
    assert!(test.received().await.is_empty(), "test mode had no event");
}

#[tokio::test]
async fn message_webhooks_receive_the_outbox_entry() {
    let h = Harness::start().await;
    let sms = Receiver::start(200, json!({})).await;
    h.settings(
        DEMO_TENANT,
        json!({"verificationCodeSmsWebhookUrl": sms.url}),
    )
    .await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/code")
        .origin(LIVE_ORIGIN)
        .json(json!({"phoneNumber": "+15558675309"}))
        .send()
        .await
        .ok();
    assert!(sent["result"].get("verificationCode").is_none());
    let got = sms.wait_for(1).await;
    assert_eq!(got[0].body["action"], "send");
    assert_eq!(got[0].body["model"], "verificationCode");
    assert_eq!(got[0].body["mode"], "live");
    assert_eq!(got[0].body["record"]["to"], "+15558675309");
    assert!(got[0].body["record"]["verificationCode"].is_string());
}

/// Live webhooks must use HTTPS (C-15); the loopback interface is the exception, so a test can
/// receive live events locally. A refused URL changes nothing, in either mode.
#[tokio::test]
async fn live_webhook_urls_must_use_https_except_on_loopback() {
    let h = Harness::start().await;
    let put = |body: Value| {
        h.put(&format!("/__mock/tenants/{DEMO_TENANT}/settings"))
            .json(body)
            .send()
    };
    // Without `mode` a workspace setting applies to both modes, so live rules apply.
    for (body, message) in [
        (
            json!({"userCreatedWebhookUrl": "http://hooks.example.com/created"}),
            "\"userCreatedWebhookUrl\" must use https in live mode",
        ),
        (
            json!({"mode": "live", "linkEmailWebhookUrl": "http://10.0.0.8/hook"}),
            "\"linkEmailWebhookUrl\" must use https in live mode",
        ),
        (
            json!({"mode": "test", "tenantDeletedWebhookUrl": "ftp://hooks.example.com/x"}),
            "\"tenantDeletedWebhookUrl\" must be an http or https URL",
        ),
        (
            json!({"mode": "test", "userUpdatedWebhookUrl": "not a url"}),
            "\"userUpdatedWebhookUrl\" must be an http or https URL",
        ),
    ] {
        put(body).await.err(400, message);
    }
    let state = put(json!({"name": "Demo Workspace"})).await.ok();
    for mode in ["test", "live"] {
        let settings = &state[mode]["settings"];
        for key in [
            "userCreatedWebhookUrl",
            "userUpdatedWebhookUrl",
            "tenantDeletedWebhookUrl",
            "linkEmailWebhookUrl",
        ] {
            assert!(settings[key].is_null(), "{mode} {key}: {settings}");
        }
    }
    // Accepted: https anywhere, plain http on loopback in live mode, plain http in test mode.
    for (body, mode, key, url) in [
        (
            json!({"mode": "live", "userCreatedWebhookUrl": "https://hooks.example.com/c"}),
            "live",
            "userCreatedWebhookUrl",
            "https://hooks.example.com/c",
        ),
        (
            json!({"mode": "live", "userUpdatedWebhookUrl": "http://localhost:9000/u"}),
            "live",
            "userUpdatedWebhookUrl",
            "http://localhost:9000/u",
        ),
        (
            json!({"mode": "live", "userDeletedWebhookUrl": "http://[::1]:9000/d"}),
            "live",
            "userDeletedWebhookUrl",
            "http://[::1]:9000/d",
        ),
        (
            json!({"mode": "test", "tenantCreatedWebhookUrl": "http://hooks.example.com/t"}),
            "test",
            "tenantCreatedWebhookUrl",
            "http://hooks.example.com/t",
        ),
    ] {
        let answer = put(body).await.ok();
        assert_eq!(answer[mode]["settings"][key], url, "{answer}");
    }
}

/// Issue 11 item 3: the webhook log kept whole user records (up to ~1 GiB). A large record is
/// logged cut, with a marker, and the log reports its bytes within its cap.
#[tokio::test]
async fn the_webhook_log_keeps_large_records_cut_and_stays_within_its_cap() {
    let h = Harness::start().await;
    for i in 0..3 {
        h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/create"))
            .json(json!({
                "email": format!("large{i}@example.com"),
                "password": "large-password-1",
                "data": { "blob": "b".repeat(500_000) },
            }))
            .send()
            .await
            .ok();
    }
    let log = h.webhooks().await;
    assert_eq!(log.len(), 3);
    for delivery in &log {
        let body = &delivery["body"];
        assert_eq!(body["truncated"], true, "{}", body["record"]["email"]);
        assert_eq!(body["action"], "create");
        assert!(
            body["record"]["email"]
                .as_str()
                .unwrap()
                .starts_with("large")
        );
        let data = body["record"]["data"].as_str().unwrap();
        assert!(data.starts_with("...[truncated, "), "{data}");
    }
    let state = h.get("/__mock/state").send().await.ok();
    let figures = &state["memory"]["webhooks"];
    assert_eq!(figures["entries"], 3);
    let bytes = figures["bytes"].as_u64().unwrap();
    assert!(bytes < 64 * 1024, "{figures}");
    assert!(bytes <= figures["maxBytes"].as_u64().unwrap());
}
