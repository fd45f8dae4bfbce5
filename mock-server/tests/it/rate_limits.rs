//! Rate limits of message-sending endpoints (conventions C-7): a 2-second duplicate window,
//! 10 per 10 minutes and 20 per 24 hours for unconfirmed recipients, 20 per 10 minutes for
//! confirmed ones, a 24-hour block after a breach, opt-outs, and refusals that change nothing.

use crate::common;

use common::{Harness, LIVE_ORIGIN, access};
use serde_json::json;
use userfront_mock::DEMO_TENANT;

const LINK: &str = "/v0/tenants/demo1234/auth/link";

/// Sends a login link to `email` and returns the status.
async fn send_link(h: &Harness, email: &str) -> u16 {
    let resp = h.post(LINK).json(json!({ "email": email })).send().await;
    if resp.status == 429 {
        resp.err_type(429, "Rate limited", "rate_limit_error");
    }
    resp.status
}

/// Sends `n` links, three seconds apart (outside the duplicate window), all accepted.
async fn send_spaced(h: &Harness, email: &str, n: usize) {
    for i in 0..n {
        assert_eq!(send_link(h, email).await, 200, "message {} of {n}", i + 1);
        h.advance(3).await;
    }
}

#[tokio::test]
async fn one_message_per_recipient_every_two_seconds() {
    let h = Harness::start().await;
    assert_eq!(send_link(&h, "member@example.com").await, 200);
    assert_eq!(send_link(&h, "Member@Example.com").await, 429);
    // Other recipients are not affected.
    assert_eq!(send_link(&h, "viewer@example.com").await, 200);
    assert_eq!(h.outbox("to=member@example.com").await.len(), 1);
    h.advance(2).await;
    assert_eq!(send_link(&h, "member@example.com").await, 200);
}

#[tokio::test]
async fn every_message_endpoint_is_limited() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let refused = [
        h.post(LINK).json(json!({ "email": "viewer@example.com" })),
        h.post("/v0/tenants/demo1234/auth/reset/link")
            .json(json!({ "email": "viewer@example.com" })),
        h.post("/v0/tenants/demo1234/auth/verify/email")
            .json(json!({ "email": "viewer@example.com" })),
        h.post("/v0/tenants/demo1234/auth/verify/link")
            .json(json!({ "email": "viewer@example.com" })),
    ];
    assert_eq!(send_link(&h, "viewer@example.com").await, 200);
    for req in refused {
        req.send()
            .await
            .err_type(429, "Rate limited", "rate_limit_error");
    }
    // SMS codes.
    let phone = "/v0/tenants/demo1234/auth/verify/phone";
    let body = json!({ "phoneNumber": "+15558675309" });
    h.post(phone)
        .bearer(&token)
        .json(body.clone())
        .send()
        .await
        .ok();
    h.post(phone)
        .bearer(&token)
        .json(body)
        .send()
        .await
        .err(429, "Rate limited");
    // The reset email of a password login for a user without a password, and of the legacy
    // password route.
    let signed_in = h.passwordless("nopass@example.com").await;
    h.post("/v0/tenants/demo1234/auth/basic")
        .json(json!({ "emailOrUsername": "nopass@example.com", "password": "anything-1" }))
        .send()
        .await
        .err(429, "Rate limited");
    h.put("/v0/tenants/demo1234/auth/password")
        .bearer(&access(&signed_in))
        .json(json!({}))
        .send()
        .await
        .err(429, "Rate limited");
    assert_eq!(h.outbox("to=viewer@example.com").await.len(), 1);
    assert_eq!(h.outbox("to=nopass@example.com").await.len(), 1);
    assert_eq!(h.outbox("channel=sms").await.len(), 1);
}

#[tokio::test]
async fn a_refused_signup_creates_nothing() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    // A verify email to an address nobody has yet starts its duplicate window.
    h.post("/v0/tenants/demo1234/auth/verify/email")
        .bearer(&token)
        .json(json!({ "email": "wanted@example.com" }))
        .send()
        .await
        .ok();
    h.post("/v0/tenants/demo1234/auth/create")
        .json(json!({ "email": "wanted@example.com", "password": "abcdefgh1" }))
        .send()
        .await
        .err(429, "Rate limited");
    h.post(LINK)
        .json(json!({ "email": "wanted@example.com" }))
        .send()
        .await
        .err(429, "Rate limited");
    assert!(h.webhooks().await.is_empty(), "no user was created");
    assert_eq!(h.outbox("to=wanted@example.com").await.len(), 1);
    // Later, the address is still free: the link endpoint signs it up.
    h.advance(2).await;
    let sent = h
        .post(LINK)
        .json(json!({ "email": "wanted@example.com" }))
        .send()
        .await
        .ok();
    let link = sent["result"]["link"].as_str().unwrap();
    assert_eq!(
        common::query_param(link, "type").as_deref(),
        Some("welcome")
    );
    assert_eq!(h.webhooks().await.len(), 1);
}

#[tokio::test]
async fn unconfirmed_recipients_get_ten_per_ten_minutes_then_a_day_of_silence() {
    let h = Harness::start().await;
    send_spaced(&h, "unconfirmed@example.com", 10).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 429);
    // Flagged as a spam target: refused for 24 hours, whatever the endpoint.
    h.advance(11 * 60).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 429);
    h.post("/v0/tenants/demo1234/auth/reset/link")
        .json(json!({ "email": "unconfirmed@example.com" }))
        .send()
        .await
        .err(429, "Rate limited");
    // Other recipients are fine.
    assert_eq!(send_link(&h, "member@example.com").await, 200);
    h.advance(24 * 3600 - 11 * 60 - 10).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 429);
    h.advance(20).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 200);
    assert_eq!(h.outbox("to=unconfirmed@example.com").await.len(), 11);
}

#[tokio::test]
async fn refused_requests_are_not_counted() {
    let h = Harness::start().await;
    send_spaced(&h, "unconfirmed@example.com", 8).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 200);
    // A duplicate inside the window is refused and not counted ...
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 429);
    h.advance(3).await;
    // ... so there is room for the tenth message, and only the eleventh breaks the limit.
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 200);
    h.advance(3).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 429);
    assert_eq!(h.outbox("to=unconfirmed@example.com").await.len(), 10);
}

#[tokio::test]
async fn unconfirmed_recipients_get_twenty_per_day() {
    let h = Harness::start().await;
    send_spaced(&h, "unconfirmed@example.com", 10).await;
    h.advance(11 * 60).await;
    send_spaced(&h, "unconfirmed@example.com", 10).await;
    h.advance(11 * 60).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 429);
    // Blocked for a day from the breach.
    h.advance(23 * 3600).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 429);
    h.advance(3600).await;
    assert_eq!(send_link(&h, "unconfirmed@example.com").await, 200);
}

#[tokio::test]
async fn confirmed_recipients_get_twenty_per_ten_minutes() {
    let h = Harness::start().await;
    send_spaced(&h, "member@example.com", 20).await;
    assert_eq!(send_link(&h, "member@example.com").await, 429);
    h.advance(11 * 60).await;
    assert_eq!(send_link(&h, "member@example.com").await, 429, "blocked");
    h.advance(24 * 3600).await;
    assert_eq!(send_link(&h, "member@example.com").await, 200);
}

#[tokio::test]
async fn opted_out_users_are_never_limited() {
    let h = Harness::start().await;
    h.post("/__mock/rate-limit/opt-out")
        .json(json!({ "tenantId": DEMO_TENANT, "mode": "test", "userId": 4 }))
        .send()
        .await
        .ok();
    for _ in 0..25 {
        assert_eq!(send_link(&h, "unconfirmed@example.com").await, 200);
    }
    // Opt-outs are per user: others still are limited.
    assert_eq!(send_link(&h, "viewer@example.com").await, 200);
    assert_eq!(send_link(&h, "viewer@example.com").await, 429);
}

#[tokio::test]
async fn modes_count_separately() {
    let h = Harness::start().await;
    h.live_signup("ana@example.org", "live-password-1").await;
    // The same address in test mode has its own counters.
    assert_eq!(
        h.signup("ana@example.org", "test-password-1").await["mode"],
        "test"
    );
    h.post(LINK)
        .origin(LIVE_ORIGIN)
        .json(json!({ "email": "ana@example.org" }))
        .send()
        .await
        .err(429, "Rate limited");
    h.advance(2).await;
    h.post(LINK)
        .origin(LIVE_ORIGIN)
        .json(json!({ "email": "ana@example.org" }))
        .send()
        .await
        .ok();
    assert_eq!(
        h.login("ana@example.org", "test-password-1").await["userId"],
        5
    );
}
