//! The mock control surface `/__mock/*` (conventions C-18).

use crate::common;

use std::time::Duration;

use common::{Harness, LIVE_ORIGIN, access, refresh};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, OTHER_TENANT, TEST_PASSWORD};

async fn now(h: &Harness) -> String {
    h.get("/__mock/clock").send().await.ok()["now"]
        .as_str()
        .expect("now")
        .to_owned()
}

#[tokio::test]
async fn reset_restores_the_seed() {
    let h = Harness::start().await;
    let before = now(&h).await;
    let login = h.signup("temp@example.com", "abcdefgh1").await;
    h.settings(DEMO_TENANT, json!({ "loginRedirectPath": "/elsewhere" }))
        .await;
    h.advance(10 * 365 * 86_400).await;
    assert!(!h.outbox("").await.is_empty());
    assert!(!h.webhooks().await.is_empty());
    assert_eq!(
        h.post("/__mock/reset").send().await.ok(),
        json!({ "message": "OK" })
    );
    // Real time again, empty capture logs, the seeded pool and settings.
    let after = now(&h).await;
    assert!(
        after >= before && after.as_str() < "2100",
        "{before} {after}"
    );
    assert!(h.outbox("").await.is_empty());
    assert!(h.webhooks().await.is_empty());
    h.post("/v0/tenants/demo1234/auth/basic")
        .json(json!({ "emailOrUsername": "temp@example.com", "password": "abcdefgh1" }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    h.get_refused(&refresh(&login), "/v0/auth/refresh", 401, "Invalid token")
        .await;
    let admin = h.login("admin", TEST_PASSWORD).await;
    assert_eq!(admin["redirectTo"], "http://localhost:3000/dashboard");
    // New users number from 5 again.
    assert_eq!(h.signup("temp@example.com", "abcdefgh1").await["userId"], 5);
}

#[tokio::test]
async fn state_lists_workspaces_keys_and_users_without_secrets() {
    let h = Harness::start().await;
    let state = h.get("/__mock/state").send().await.ok();
    assert!(state["now"].as_str().unwrap().ends_with('Z'));
    let workspaces = state["workspaces"].as_array().unwrap();
    let ids: Vec<&str> = workspaces
        .iter()
        .map(|w| w["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [DEMO_TENANT, OTHER_TENANT]);
    let demo = &workspaces[0];
    assert_eq!(demo["name"], "Demo Workspace");
    assert_eq!(demo["hasActivatedLiveMode"], true);
    assert_eq!(demo["liveDomains"], json!(["example.com"]));
    assert_eq!(
        demo["modes"]["test"]["apiKeys"]["readonly"],
        "uf_test_readonly_demo1234_2d87b3d230bda5685276b43efdac2852"
    );
    for mode in [Mode::Test, Mode::Live] {
        for kind in [KeyType::Admin, KeyType::Readonly, KeyType::Webhook] {
            let key = h.key(mode, kind);
            assert_eq!(
                demo["modes"][mode.as_str()]["apiKeys"][kind.as_str()],
                key.as_str()
            );
            assert!(key.starts_with(&format!("uf_{}_{}_demo1234_", mode.as_str(), kind.as_str())));
        }
    }
    let users: Vec<&str> = demo["modes"]["test"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        [
            "admin@example.com",
            "member@example.com",
            "viewer@example.com",
            "unconfirmed@example.com"
        ]
    );
    assert_eq!(demo["modes"]["live"]["users"], json!([]));
    let text = state.to_string();
    assert!(
        !text.contains(TEST_PASSWORD) && !text.contains("$argon2") && !text.contains("assword")
    );
}

#[tokio::test]
async fn the_clock_moves_and_refuses_bad_input() {
    let h = Harness::start().await;
    let set = h
        .post("/__mock/clock")
        .json(json!({ "now": "2030-01-02T03:04:05.000Z" }))
        .send()
        .await
        .ok();
    assert!(
        set["now"]
            .as_str()
            .unwrap()
            .starts_with("2030-01-02T03:04:0")
    );
    let moved = h
        .post("/__mock/clock")
        .json(json!({ "advanceSeconds": 86_400 }))
        .send()
        .await
        .ok();
    assert!(
        moved["now"]
            .as_str()
            .unwrap()
            .starts_with("2030-01-03T03:04:")
    );
    assert!(now(&h).await.starts_with("2030-01-03"));
    // Tokens and timestamps follow the mock clock.
    let login = h.login("admin", TEST_PASSWORD).await;
    assert!(
        login["lastActiveAt"]
            .as_str()
            .unwrap()
            .starts_with("2030-01-03")
    );
    let payload = access(&login);
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            payload.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let iat = claims["iat"].as_i64().unwrap();
    assert!(
        (1_893_639_845..1_893_639_845 + 3_600).contains(&iat),
        "{iat}"
    );
    for (body, message) in [
        (
            json!({}),
            "Give exactly one of \"advanceSeconds\" or \"now\"",
        ),
        (
            json!({ "advanceSeconds": 1, "now": "2030-01-01T00:00:00.000Z" }),
            "Give exactly one of \"advanceSeconds\" or \"now\"",
        ),
        (
            json!({ "advanceSeconds": "ten" }),
            "\"advanceSeconds\" must be a number",
        ),
        (
            json!({ "now": "yesterday" }),
            "\"now\" must be an ISO 8601 date",
        ),
    ] {
        h.post("/__mock/clock")
            .json(body)
            .send()
            .await
            .err(400, message);
    }
    assert!(now(&h).await.starts_with("2030-01-03"));
}

#[tokio::test]
async fn the_outbox_filters_and_clears() {
    let h = Harness::start().await;
    let link = "/v0/tenants/demo1234/auth/link";
    h.post(link)
        .json(json!({ "email": "member@example.com" }))
        .send()
        .await
        .ok();
    h.post("/v0/tenants/demo1234/auth/reset/link")
        .json(json!({ "email": "viewer@example.com" }))
        .send()
        .await
        .ok();
    h.post(&format!("/v0/tenants/{OTHER_TENANT}/auth/link"))
        .json(json!({ "email": "member@example.com" }))
        .send()
        .await
        .ok();
    h.live_signup("ana@example.org", "live-password-1").await;
    let token = h.access_token("member@example.com").await;
    h.post("/v0/tenants/demo1234/auth/verify/phone")
        .bearer(&token)
        .json(json!({ "phoneNumber": "+15558675309" }))
        .send()
        .await
        .ok();
    let all = h.get("/__mock/outbox").send().await.ok();
    assert_eq!(all["totalCount"], 5);
    assert_eq!(all["results"].as_array().unwrap().len(), 5);
    let entry = &all["results"][0];
    for key in [
        "messageId",
        "tenantId",
        "mode",
        "channel",
        "to",
        "type",
        "link",
        "uuid",
        "token",
        "verificationCode",
        "suppressed",
        "submittedAt",
    ] {
        assert!(entry.get(key).is_some(), "{key} missing from {entry}");
    }
    let count = |entries: Vec<Value>| entries.len();
    assert_eq!(count(h.outbox("tenantId=demo1234").await), 4);
    assert_eq!(
        count(h.outbox(&format!("tenantId={OTHER_TENANT}")).await),
        1
    );
    assert_eq!(count(h.outbox("mode=live").await), 1);
    assert_eq!(count(h.outbox("mode=test").await), 4);
    assert_eq!(count(h.outbox("to=MEMBER@example.com").await), 2);
    assert_eq!(count(h.outbox("type=reset").await), 1);
    assert_eq!(count(h.outbox("type=verificationCode").await), 1);
    assert_eq!(count(h.outbox("channel=sms").await), 1);
    assert_eq!(
        count(
            h.outbox("channel=email&mode=test&to=member@example.com&tenantId=demo1234")
                .await
        ),
        1
    );
    assert_eq!(count(h.outbox("type=nothing").await), 0);
    assert_eq!(
        h.delete("/__mock/outbox").send().await.ok(),
        json!({ "message": "OK" })
    );
    assert_eq!(h.get("/__mock/outbox").send().await.ok()["totalCount"], 0);
}

#[tokio::test]
async fn webhook_events_are_recorded_and_cleared() {
    let h = Harness::start().await;
    h.signup("hook@example.com", "abcdefgh1").await;
    let events = h.webhooks().await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["url"], "");
    assert_eq!(
        event["headers"]["authorization"],
        format!("Bearer {}", h.key(Mode::Test, KeyType::Webhook))
    );
    assert_eq!(event["body"]["mode"], "test");
    let record = event["body"]["record"].as_object().unwrap();
    for excluded in ["lastActiveAt", "lastMessagedAt", "tenant", "updatedAt"] {
        assert!(!record.contains_key(excluded), "{excluded} in {record:?}");
    }
    assert_eq!(
        h.delete("/__mock/webhooks").send().await.ok(),
        json!({ "message": "OK" })
    );
    assert!(h.webhooks().await.is_empty());
}

#[tokio::test]
async fn webhooks_with_a_url_are_posted() {
    use axum::routing::post;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Option<String>, Value)>();
    let receiver = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let _ = tx.send((auth, body));
                "ok"
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let h = Harness::start().await;
    h.settings(
        DEMO_TENANT,
        json!({ "mode": "test", "userCreatedWebhookUrl": url }),
    )
    .await;
    h.signup("hook@example.com", "abcdefgh1").await;
    let (auth, body) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("delivered in time")
        .expect("a delivery");
    assert_eq!(
        auth,
        Some(format!("Bearer {}", h.key(Mode::Test, KeyType::Webhook)))
    );
    assert_eq!(body["action"], "create");
    assert_eq!(body["record"]["email"], "hook@example.com");
    // The delivery log records the receiver's answer.
    let mut status = Value::Null;
    for _ in 0..100 {
        status = h.webhooks().await[0]["status"].clone();
        if !status.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(h.webhooks().await[0]["url"], url.as_str());
}

#[tokio::test]
async fn settings_change_tenant_behaviour_per_mode() {
    let h = Harness::start().await;
    let answer = h
        .settings(
            DEMO_TENANT,
            json!({ "mode": "test", "loginRedirectPath": "/home", "name": "Renamed Workspace" }),
        )
        .await;
    assert_eq!(answer["test"]["settings"]["loginRedirectPath"], "/home");
    assert!(answer.get("live").is_none(), "{answer}");
    assert_eq!(answer["liveDomains"], json!(["example.com"]));
    let login = h.login("admin", TEST_PASSWORD).await;
    assert_eq!(login["redirectTo"], "http://localhost:3000/home");
    assert_eq!(login["tenant"]["name"], "Renamed Workspace");
    // Live keeps its own settings.
    let live = h.live_signup("ana@example.org", "live-password-1").await;
    assert_eq!(live["redirectTo"], "https://example.com/dashboard");
    assert_eq!(live["tenant"]["name"], "Demo Workspace");
    // Without `mode`, both modes change.
    let answer = h
        .settings(DEMO_TENANT, json!({ "cookieOptionsPath": "/app" }))
        .await;
    assert_eq!(answer["test"]["settings"]["cookieOptionsPath"], "/app");
    assert_eq!(answer["live"]["settings"]["cookieOptionsPath"], "/app");
    let login = h.login("admin", TEST_PASSWORD).await;
    assert_eq!(login["tokens"]["access"]["cookieOptions"]["path"], "/app");
}

#[tokio::test]
async fn bad_settings_change_nothing() {
    let h = Harness::start().await;
    let path = "/v0/tenants/demo1234/auth/basic";
    for (body, message) in [
        (
            json!({ "loginRedirectPath": "/changed", "shoeSize": 42 }),
            "\"shoeSize\" is not allowed",
        ),
        (
            json!({ "loginRedirectPath": "/changed", "liveDomains": "example.org" }),
            "\"liveDomains\" must be an array of strings",
        ),
        (
            json!({ "loginRedirectPath": "/changed", "mode": "staging" }),
            "\"mode\" must be one of [test, live]",
        ),
        (
            json!({ "loginRedirectPath": "/changed", "hasActivatedLiveMode": "yes" }),
            "\"hasActivatedLiveMode\" must be a boolean",
        ),
        (
            json!({ "loginRedirectPath": "/changed", "authentication": { "firstFactors": "all" } }),
            "\"authentication\" must be {firstFactors, secondFactors}",
        ),
        (
            json!({ "loginRedirectPath": "/changed", "samlServiceProviders": [ { "entityId": "x" } ] }),
            "\"samlServiceProviders\" must be an array of {entityId, acsUrl, logoutUrl}",
        ),
    ] {
        h.put("/__mock/tenants/demo1234/settings")
            .json(body)
            .send()
            .await
            .err(400, message);
    }
    let typed = h
        .put("/__mock/tenants/demo1234/settings")
        .json(json!({ "loginRedirectPath": "/changed", "isPhoneNumberUnique": "yes" }))
        .send()
        .await;
    assert_eq!(typed.status, 400);
    assert!(
        typed.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid settings"),
        "{}",
        typed.body
    );
    h.put("/__mock/tenants/nope0000/settings")
        .json(json!({ "loginRedirectPath": "/changed" }))
        .send()
        .await
        .err(404, "Not Found");
    let login = h
        .post(path)
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD }))
        .send()
        .await
        .ok();
    assert_eq!(login["redirectTo"], "http://localhost:3000/dashboard");
    assert_eq!(
        h.get("/v0/tenants/demo1234/mode")
            .origin(LIVE_ORIGIN)
            .send()
            .await
            .ok()["mode"],
        "live"
    );
}

#[tokio::test]
async fn opt_out_refusals() {
    let h = Harness::start().await;
    let path = "/__mock/rate-limit/opt-out";
    for (body, status, message) in [
        (json!({ "userId": 2 }), 400, "\"tenantId\" is required"),
        (
            json!({ "tenantId": DEMO_TENANT }),
            400,
            "\"userId\" is required",
        ),
        (
            json!({ "tenantId": DEMO_TENANT, "userId": 2, "mode": "prod" }),
            400,
            "\"mode\" must be one of [test, live]",
        ),
        (
            json!({ "tenantId": DEMO_TENANT, "userId": 99 }),
            404,
            "User not found",
        ),
        (
            json!({ "tenantId": DEMO_TENANT, "userId": 2, "mode": "live" }),
            404,
            "User not found",
        ),
        (
            json!({ "tenantId": "nope0000", "userId": 2 }),
            404,
            "Not Found",
        ),
    ] {
        h.post(path).json(body).send().await.err(status, message);
    }
    assert_eq!(
        h.post(path)
            .json(json!({ "tenantId": DEMO_TENANT, "userId": 2 }))
            .send()
            .await
            .ok(),
        json!({ "message": "OK" })
    );
}
