//! Generate link credentials (server-to-server SS-46).

use crate::common;

use common::{Harness, Resp, iso_millis, query_param};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, TEST_PASSWORD};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Generates with the admin key and checks that the credentials expire `lifetime` ms after
/// they were made.
async fn generate_for(h: &Harness, body: Value, lifetime: i64) -> Value {
    let before = h.now_millis().await;
    let body = generate(h, body).await.ok();
    let after = h.now_millis().await;
    let expires = iso_millis(&body["result"]["expiresAt"]);
    assert!(
        (before + lifetime..=after + lifetime).contains(&expires),
        "{body}"
    );
    body
}

async fn generate(h: &Harness, body: Value) -> Resp {
    h.post("/v0/auth/link/generate")
        .bearer(&h.admin())
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn a_login_link_is_returned_and_nothing_is_sent() {
    let h = Harness::start().await;
    let body = generate_for(&h, json!({ "email": "Member@Example.com" }), HOUR).await;
    let member = h.login("member@example.com", TEST_PASSWORD).await;
    assert_eq!(body["message"], "OK");
    let result = &body["result"];
    assert_eq!(result["uuid"], member["userUuid"]);
    assert_eq!(result["type"], "login");
    let token = result["token"].as_str().unwrap();
    assert_eq!(token.len(), 36);
    assert_eq!(
        result["link"],
        format!(
            "http://localhost:3000/login?uuid={}&token={token}&type=login",
            member["userUuid"].as_str().unwrap()
        )
    );
    assert!(h.outbox("").await.is_empty(), "nothing is emailed");
    // The tenant form and a user id work the same way.
    let by_id = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/link/generate"))
        .bearer(&h.admin())
        .json(json!({ "userId": 2 }))
        .send()
        .await
        .ok();
    assert_eq!(by_id["result"]["uuid"], member["userUuid"]);
    assert_ne!(
        by_id["result"]["token"], result["token"],
        "fresh credentials"
    );
}

#[tokio::test]
async fn types_and_durations() {
    let h = Harness::start().await;
    for (kind, lifetime, path) in [
        ("welcome", 3 * DAY, "/login"),
        ("verify", 3 * DAY, "/login"),
        ("reset", HOUR, "/reset"),
        ("login", HOUR, "/login"),
    ] {
        let body = json!({ "userId": 3, "options": { "type": kind } });
        let result = generate_for(&h, body, lifetime).await["result"].clone();
        assert_eq!(result["type"], kind);
        let link = result["link"].as_str().unwrap();
        assert!(
            link.starts_with(&format!("http://localhost:3000{path}?")),
            "{link}"
        );
        assert_eq!(query_param(link, "type").as_deref(), Some(kind));
        assert_eq!(
            query_param(link, "token").as_deref(),
            result["token"].as_str()
        );
    }
    let body =
        json!({ "userId": 3, "options": { "duration": "2 days", "redirect": "/welcome back" } });
    let result = generate_for(&h, body, 2 * DAY).await["result"].clone();
    assert_eq!(
        query_param(result["link"].as_str().unwrap(), "redirect").as_deref(),
        Some("%2Fwelcome%20back")
    );
    for bad in ["invite", "sso", "magic"] {
        generate(&h, json!({ "userId": 3, "options": { "type": bad } }))
            .await
            .err(400, "Invalid link type");
    }
    for bad in ["9 seconds", "2 months", "1 year", "soon"] {
        generate(&h, json!({ "userId": 3, "options": { "duration": bad } }))
            .await
            .err(400, "Invalid duration");
    }
}

#[tokio::test]
async fn the_user_must_exist() {
    let h = Harness::start().await;
    generate(&h, json!({}))
        .await
        .err(400, "\"email\" is required");
    generate(&h, json!({ "email": "" }))
        .await
        .err(400, "\"email\" is required");
    generate(&h, json!({ "email": "nobody@example.com" }))
        .await
        .err(404, "User not found");
    generate(&h, json!({ "userId": 999 }))
        .await
        .err(404, "User not found");
    // Test users do not exist in live mode.
    h.post("/v0/auth/link/generate")
        .bearer(&h.key(Mode::Live, KeyType::Admin))
        .json(json!({ "email": "member@example.com" }))
        .send()
        .await
        .err(404, "User not found");
}

#[tokio::test]
async fn link_generation_needs_an_admin_key_of_the_tenant() {
    let h = Harness::start().await;
    let body = json!({ "email": "member@example.com" });
    for key in [
        h.key(Mode::Test, KeyType::Readonly),
        h.key(Mode::Test, KeyType::Webhook),
    ] {
        h.post("/v0/auth/link/generate")
            .bearer(&key)
            .json(body.clone())
            .send()
            .await
            .err(403, "Forbidden");
    }
    let other = h.other_key(Mode::Test, KeyType::Admin);
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/link/generate"))
        .bearer(&other)
        .json(body.clone())
        .send()
        .await
        .err(403, "Forbidden");
    h.post("/v0/auth/link/generate")
        .json(body)
        .send()
        .await
        .err(401, "Missing authentication");
}

#[tokio::test]
async fn link_generation_is_never_rate_limited() {
    let h = Harness::start().await;
    let mut tokens = std::collections::HashSet::new();
    for _ in 0..30 {
        let body = generate(&h, json!({ "email": "unconfirmed@example.com" }))
            .await
            .ok();
        tokens.insert(body["result"]["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(tokens.len(), 30);
}

async fn use_link(h: &Harness, path: &str, result: &Value, extra: Value) -> Resp {
    let mut body = json!({ "uuid": result["uuid"], "token": result["token"] });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    h.put(&format!("/v0/tenants/{DEMO_TENANT}{path}"))
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn generated_credentials_log_in_once() {
    let h = Harness::start().await;
    for kind in ["login", "welcome", "verify"] {
        let body = json!({ "email": "unconfirmed@example.com", "options": { "type": kind } });
        let result = generate(&h, body).await.ok()["result"].clone();
        let signed_on = use_link(&h, "/auth/link", &result, json!({})).await.ok();
        assert_eq!(signed_on["userId"], 4, "{kind}");
        assert_eq!(
            signed_on["isEmailConfirmed"], true,
            "using a link confirms the email"
        );
        let claims = h
            .verified_claims(
                signed_on["tokens"]["access"]["value"].as_str().unwrap(),
                Mode::Test,
            )
            .await;
        assert_eq!(claims["userId"], 4);
        use_link(&h, "/auth/link", &result, json!({}))
            .await
            .err(400, "Invalid token");
    }
    // Reset credentials belong to the reset form.
    let result = generate(&h, json!({ "userId": 3, "options": { "type": "reset" } }))
        .await
        .ok()["result"]
        .clone();
    use_link(&h, "/auth/link", &result, json!({}))
        .await
        .err(400, "Invalid token");
    let signed_on = use_link(
        &h,
        "/auth/reset",
        &result,
        json!({ "password": "brandnewpass1" }),
    )
    .await
    .ok();
    assert_eq!(signed_on["userId"], 3);
    h.login("viewer@example.com", "brandnewpass1").await;
    use_link(
        &h,
        "/auth/reset",
        &result,
        json!({ "password": "anotherpass1" }),
    )
    .await
    .err(400, "Invalid token");
}

#[tokio::test]
async fn generated_credentials_expire() {
    let h = Harness::start().await;
    let body = json!({ "userId": 2, "options": { "duration": "30 seconds" } });
    let result = generate(&h, body).await.ok()["result"].clone();
    h.advance(31).await;
    use_link(&h, "/auth/link", &result, json!({}))
        .await
        .err(400, "Token expired");
}

#[tokio::test]
async fn links_of_a_child_tenant_open_its_own_pages() {
    let h = Harness::start().await;
    let child = h.create_tenant(&h.admin(), DEMO_TENANT, "Acme").await;
    h.settings(
        &child,
        json!({ "logoutRedirectPath": "/acme/login", "passwordResetPath": "/acme/reset" }),
    )
    .await;
    for (kind, path) in [("login", "/acme/login"), ("reset", "/acme/reset")] {
        let body = h
            .post(&format!("/v0/tenants/{child}/auth/link/generate"))
            .bearer(&h.admin())
            .json(json!({ "email": "member@example.com", "options": { "type": kind } }))
            .send()
            .await
            .ok();
        let link = body["result"]["link"].as_str().unwrap();
        assert!(
            link.starts_with(&format!("http://localhost:3000{path}?")),
            "{link}"
        );
    }
}
