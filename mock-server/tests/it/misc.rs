//! Public tenant lookups (CS-27 mode, CS-28 default flow), the legacy dashboard mods (CS-34),
//! and the public JWT key routes (SS-39 … SS-41).

use crate::common;

use base64::Engine;
use common::{Harness, LIVE_ORIGIN, Method, jwks_refusals};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, OTHER_TENANT};

const MODE: &str = "/v0/tenants/demo1234/mode";

async fn mode_for(h: &Harness, path: &str, headers: &[(&str, &str)]) -> String {
    let mut req = h.get(path);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.send().await.ok()["mode"]
        .as_str()
        .expect("mode")
        .to_owned()
}

#[tokio::test]
async fn mode_follows_the_calling_origin() {
    let h = Harness::start().await;
    assert_eq!(mode_for(&h, MODE, &[]).await, "test");
    for live in [
        LIVE_ORIGIN,
        "https://app.example.com",
        "https://deep.app.example.com:8443",
        "https://EXAMPLE.com/some/page",
    ] {
        assert_eq!(
            mode_for(&h, MODE, &[("x-origin", live)]).await,
            "live",
            "{live}"
        );
    }
    for test in [
        "http://example.com",
        "http://app.example.com",
        "https://localhost:3000",
        "https://127.0.0.1",
        "https://10.0.0.5",
        "https://172.20.1.1",
        "https://192.168.1.10",
        "https://notexample.com",
        "https://example.com.evil.io",
        "https://other.org",
        "file:///index.html",
        "null",
    ] {
        assert_eq!(
            mode_for(&h, MODE, &[("x-origin", test)]).await,
            "test",
            "{test}"
        );
    }
    // Header precedence: x-origin, then Origin, then x-application-id.
    assert_eq!(mode_for(&h, MODE, &[("origin", LIVE_ORIGIN)]).await, "live");
    assert_eq!(
        mode_for(&h, MODE, &[("x-application-id", LIVE_ORIGIN)]).await,
        "live"
    );
    assert_eq!(
        mode_for(
            &h,
            MODE,
            &[
                ("x-origin", "http://localhost:3000"),
                ("origin", LIVE_ORIGIN)
            ]
        )
        .await,
        "test"
    );
    assert_eq!(
        mode_for(
            &h,
            MODE,
            &[
                ("origin", "http://localhost:3000"),
                ("x-application-id", LIVE_ORIGIN)
            ]
        )
        .await,
        "test"
    );
    // The other workspace has not activated live mode.
    assert_eq!(
        mode_for(
            &h,
            &format!("/v0/tenants/{OTHER_TENANT}/mode"),
            &[("x-origin", LIVE_ORIGIN)]
        )
        .await,
        "test"
    );
    h.get("/v0/tenants/nope0000/mode")
        .send()
        .await
        .err(404, "Not Found");
}

#[tokio::test]
async fn live_domains_and_activation_come_from_the_settings() {
    let h = Harness::start().await;
    h.settings(DEMO_TENANT, json!({ "liveDomains": ["sub.example.com"] }))
        .await;
    assert_eq!(
        mode_for(&h, MODE, &[("x-origin", "https://sub.example.com")]).await,
        "live"
    );
    assert_eq!(
        mode_for(&h, MODE, &[("x-origin", "https://a.sub.example.com")]).await,
        "live"
    );
    assert_eq!(
        mode_for(&h, MODE, &[("x-origin", LIVE_ORIGIN)]).await,
        "test"
    );
    h.settings(DEMO_TENANT, json!({ "hasActivatedLiveMode": false }))
        .await;
    assert_eq!(
        mode_for(&h, MODE, &[("x-origin", "https://sub.example.com")]).await,
        "test"
    );
}

#[tokio::test]
async fn mode_and_default_flow_report_the_flow_of_that_mode() {
    let h = Harness::start().await;
    let default_flow = json!({
        "firstFactors": [ { "channel": "email", "strategy": "password" },
                          { "channel": "email", "strategy": "link" } ],
        "secondFactors": []
    });
    let body = h.get(MODE).send().await.ok();
    assert_eq!(
        body,
        json!({ "mode": "test", "authentication": default_flow })
    );
    let custom = json!({
        "firstFactors": [ { "channel": "sms", "strategy": "verificationCode" } ],
        "secondFactors": [ { "channel": "authenticator", "strategy": "totp" } ]
    });
    h.settings(
        DEMO_TENANT,
        json!({ "mode": "test", "authentication": custom }),
    )
    .await;
    assert_eq!(h.get(MODE).send().await.ok()["authentication"], custom);
    let flow = h
        .get("/v0/tenants/demo1234/flows/default")
        .send()
        .await
        .ok();
    assert_eq!(flow, custom);
    // Live keeps its own flow.
    let live = h.get(MODE).origin(LIVE_ORIGIN).send().await.ok();
    assert_eq!(
        live,
        json!({ "mode": "live", "authentication": default_flow })
    );
    let flow = h
        .get("/v0/tenants/demo1234/flows/default")
        .origin(LIVE_ORIGIN)
        .send()
        .await
        .ok();
    assert_eq!(flow, default_flow);
    h.get("/v0/tenants/nope0000/flows/default")
        .send()
        .await
        .err(404, "Not Found");
}

#[tokio::test]
async fn mods_need_a_role_in_the_tenant() {
    let h = Harness::start().await;
    let admin = h.access_token("admin@example.com").await;
    let path = "/v0/tenants/demo1234/mods";
    let body = h.get_as(&admin, path).await;
    assert_eq!(body["totalCount"], 4);
    assert_eq!(body["totalPages"], 1);
    let titles: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["displayTitle"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Signup form",
            "Login form",
            "Password reset form",
            "Logout button"
        ]
    );
    for m in body["results"].as_array().unwrap() {
        let eid = m["eid"].as_str().unwrap();
        assert!(
            eid.len() == 6 && eid.bytes().all(|b| b.is_ascii_lowercase()),
            "{eid}"
        );
    }
    // Stable from call to call, for any role holder.
    let member = h.access_token("member@example.com").await;
    assert_eq!(h.get_as(&member, path).await, body);
    let none = h.access_token("unconfirmed@example.com").await;
    h.get_refused(&none, path, 403, "Forbidden").await;
    h.get(path).send().await.err(401, "Missing authentication");
    h.get_refused(
        &admin,
        &format!("/v0/tenants/{OTHER_TENANT}/mods"),
        403,
        "Forbidden",
    )
    .await;
    h.get_refused(&admin, "/v0/tenants/nope0000/mods", 404, "Not Found")
        .await;
}

fn kid_of(state: &Value, mode: &str) -> Value {
    state["workspaces"][0]["modes"][mode]["kid"].clone()
}

#[tokio::test]
async fn public_jwt_keys_default_to_live() {
    let h = Harness::start().await;
    let state = h.get("/__mock/state").send().await.ok();
    let live = h.get("/v0/tenants/demo1234/keys/jwt").send().await.ok();
    assert_eq!(live["totalCount"], 1);
    let key = &live["results"][0];
    assert_eq!(key["mode"], "live");
    assert_eq!(key["isActive"], true);
    assert_eq!(key["kid"], kid_of(&state, "live"));
    assert!(key["createdAt"].is_string());
    let pem = key["publicKey"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN RSA PUBLIC KEY-----\n"));
    assert!(pem.trim_end().ends_with("-----END RSA PUBLIC KEY-----"));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(key["publicKeyBase64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, pem.as_bytes());
    let test = h
        .get("/v0/tenants/demo1234/keys/jwt?test=true")
        .send()
        .await
        .ok();
    assert_eq!(test["results"][0]["mode"], "test");
    assert_eq!(test["results"][0]["kid"], kid_of(&state, "test"));
    h.get("/v0/tenants/nope0000/keys/jwt")
        .send()
        .await
        .err(404, "Not Found");
}

#[tokio::test]
async fn the_key_listing_by_api_key_uses_the_keys_mode() {
    let h = Harness::start().await;
    let state = h.get("/__mock/state").send().await.ok();
    for (mode, key_type, expected) in [
        (Mode::Test, KeyType::Admin, "test"),
        (Mode::Test, KeyType::Readonly, "test"),
        (Mode::Live, KeyType::Admin, "live"),
    ] {
        let body = h.get_as(&h.key(mode, key_type), "/v0/keys/jwt").await;
        assert_eq!(body["results"][0]["mode"], expected);
        assert_eq!(body["results"][0]["kid"], kid_of(&state, expected));
    }
    h.get("/v0/keys/jwt")
        .send()
        .await
        .err(401, "Missing authentication");
    h.get_refused(
        "uf_test_admin_demo1234_00000000000000000000000000000000",
        "/v0/keys/jwt",
        401,
        "Unauthorized",
    )
    .await;
    h.get_refused(
        &h.key(Mode::Test, KeyType::Webhook),
        "/v0/keys/jwt",
        403,
        "Forbidden",
    )
    .await;
}

#[tokio::test]
async fn jwks_publish_the_signing_keys() {
    let h = Harness::start().await;
    let state = h.get("/__mock/state").send().await.ok();
    for (path, mode) in [
        ("/v0/tenants/demo1234/jwks", "live"),
        ("/v0/tenants/demo1234/jwks?test=true", "test"),
        ("/v0/tenants/demo1234/jwks/live", "live"),
        ("/v0/tenants/demo1234/jwks/test", "test"),
    ] {
        let body = h.get(path).send().await.ok();
        let keys = body["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{path}");
        let key = &keys[0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["e"], "AQAB");
        assert!(key["n"].as_str().unwrap().len() > 300, "2048-bit modulus");
        assert_eq!(key["kid"], kid_of(&state, mode), "{path}");
    }
    // No other mode, and no unknown workspace.
    h.refusals(Method::GET, &jwks_refusals()).await;
}
