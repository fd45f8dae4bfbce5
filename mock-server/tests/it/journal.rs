//! The request journal `/__mock/requests`: what was called, with which credential, in which
//! tenant and mode, and what came back — secrets redacted, bounded, filterable, clearable.

use crate::common;

use common::{Harness, LIVE_ORIGIN, iso_millis};
use serde_json::{Value, json};
use userfront_mock::{MockUserfront, TEST_PASSWORD};

const LOGIN: &str = "/v0/tenants/demo1234/auth/basic";

/// The journal's entries for a query string (may be empty).
async fn journal(h: &Harness, query: &str) -> Vec<Value> {
    let body = h
        .get(&format!("/__mock/requests?{query}"))
        .send()
        .await
        .ok();
    assert_eq!(
        body["totalCount"],
        body["results"].as_array().unwrap().len()
    );
    body["results"].as_array().cloned().unwrap_or_default()
}

fn paths(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_login_is_recorded_with_its_secrets_redacted() {
    let h = Harness::start().await;
    let before = h.now_millis().await;
    h.post(LOGIN)
        .header("user-agent", "my-app/1.0")
        .json(json!({"emailOrUsername": "admin", "password": TEST_PASSWORD}))
        .send()
        .await
        .ok();
    let entries = journal(&h, "").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e["method"], "POST");
    assert_eq!(e["path"], LOGIN);
    assert_eq!(e["status"], 200);
    assert_eq!(e["tenantId"], "demo1234");
    assert_eq!(e["mode"], "test");
    assert_eq!(e["credential"], Value::Null);
    assert!(iso_millis(&e["at"]) >= before);
    assert!(e["durationMs"].as_f64().unwrap() >= 0.0);
    assert!(e["id"].as_u64().unwrap() >= 1);
    assert_eq!(e["request"]["headers"]["user-agent"], "my-app/1.0");
    let body = &e["request"]["body"];
    assert_eq!(body["emailOrUsername"], "admin");
    assert_eq!(body["password"], "[redacted]");
    let answer = &e["response"]["body"];
    assert_eq!(answer["userId"], 1);
    for token in ["access", "id", "refresh"] {
        assert_eq!(answer["tokens"][token]["value"], "[redacted]", "{token}");
    }
    assert_eq!(
        answer["tokens"]["access"]["cookieOptions"]["sameSite"],
        "Lax"
    );
    let text = e.to_string();
    assert!(
        !text.contains(TEST_PASSWORD),
        "no password anywhere: {text}"
    );
    assert!(!text.contains("eyJ"), "no token anywhere: {text}");
}

#[tokio::test]
async fn errors_are_recorded_with_their_answer() {
    let h = Harness::start().await;
    h.post(LOGIN)
        .json(json!({"emailOrUsername": "admin", "password": "wrong-password-1"}))
        .send()
        .await
        .err(400, "Incorrect email or password");
    h.get("/v0/no-such-route?token=secret-thing&page=2")
        .send()
        .await
        .err(404, "Not Found");
    h.post(LOGIN)
        .raw("{not json")
        .send()
        .await
        .err(400, "Invalid request payload JSON format");
    let entries = journal(&h, "").await;
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["status"], 400);
    assert_eq!(
        entries[0]["response"]["body"]["message"],
        "Incorrect email or password"
    );
    assert_eq!(entries[1]["status"], 404);
    assert_eq!(entries[1]["tenantId"], Value::Null);
    assert_eq!(entries[1]["mode"], Value::Null);
    assert_eq!(
        entries[1]["query"],
        json!({"token": "[redacted]", "page": "2"})
    );
    assert_eq!(entries[2]["request"]["body"], "{not json");
    assert!(entries[0]["id"].as_u64() < entries[1]["id"].as_u64());
}

#[tokio::test]
async fn credentials_are_described_not_shown() {
    let h = Harness::start().await;
    let admin = h.admin();
    h.get_as(&admin, "/v0/tenants/demo1234/roles").await;
    let live_key = h.key(
        userfront_mock::Mode::Live,
        userfront_mock::KeyType::Readonly,
    );
    h.get("/v0/tenants/demo1234/roles")
        .bearer(&live_key)
        .send()
        .await;
    let token = h.access_token("member@example.com").await;
    h.get_as(&token, "/v0/self").await;

    let entries = journal(&h, "path=/v0/tenants/demo1234/roles").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0]["credential"],
        json!({"kind": "apiKey", "type": "admin", "mode": "test", "tenantId": "demo1234"})
    );
    assert_eq!(entries[0]["mode"], "test");
    assert_eq!(
        entries[0]["request"]["headers"]["authorization"],
        "Bearer [redacted]"
    );
    assert_eq!(entries[1]["credential"]["type"], "readonly");
    assert_eq!(entries[1]["mode"], "live");

    let me = journal(&h, "path=/v0/self").await;
    assert_eq!(me.len(), 1);
    let credential = &me[0]["credential"];
    assert_eq!(credential["kind"], "jwt");
    assert_eq!(credential["type"], "access");
    assert_eq!(credential["userId"], 2);
    assert!(credential["sessionId"].is_string());
    assert_eq!(me[0]["tenantId"], "demo1234", "from the token's claims");
    assert_eq!(me[0]["mode"], "test");
    assert_eq!(me[0]["response"]["body"]["email"], "member@example.com");
    assert!(!me[0].to_string().contains(&admin));
    assert!(!me[0].to_string().contains(&token));
}

#[tokio::test]
async fn tenant_and_mode_come_from_body_and_origin() {
    let h = Harness::start().await;
    // The docs form: tenant in the body; a page on the live domain is live mode.
    h.post("/v0/auth/basic")
        .origin(LIVE_ORIGIN)
        .json(json!({"tenantId": "demo1234", "emailOrUsername": "admin", "password": "x"}))
        .send()
        .await;
    h.post("/v0/tenants/abcd9876/auth/basic")
        .header("origin", "http://localhost:3000")
        .json(json!({"emailOrUsername": "a", "password": "b"}))
        .send()
        .await;
    let entries = journal(&h, "").await;
    assert_eq!(entries[0]["tenantId"], "demo1234");
    assert_eq!(entries[0]["mode"], "live");
    assert_eq!(entries[1]["tenantId"], "abcd9876");
    assert_eq!(entries[1]["mode"], "test");

    assert_eq!(paths(&journal(&h, "mode=live").await), ["/v0/auth/basic"]);
    assert_eq!(
        paths(&journal(&h, "tenantId=abcd9876").await),
        ["/v0/tenants/abcd9876/auth/basic"]
    );
}

#[tokio::test]
async fn links_and_new_keys_are_redacted_in_answers() {
    let h = Harness::start().await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/link")
        .json(json!({"email": "member@example.com"}))
        .send()
        .await
        .ok();
    let link = sent["result"]["link"].as_str().unwrap().to_owned();
    let token = common::query_param(&link, "token").unwrap();
    let created = h
        .post("/v0/keys")
        .bearer(&h.admin())
        .json(json!({"type": "readonly"}))
        .send()
        .await
        .ok();

    let entries = journal(&h, "method=post").await;
    assert_eq!(entries.len(), 2);
    let logged = entries[0]["response"]["body"]["result"]["link"]
        .as_str()
        .unwrap();
    assert!(logged.contains("token=[redacted]"), "{logged}");
    assert!(logged.contains("uuid="), "{logged}");
    assert!(!entries[0].to_string().contains(&token));
    let key = created.to_string();
    let new_key = key
        .split('"')
        .find(|s| s.starts_with("uf_test_readonly_"))
        .unwrap();
    assert!(!entries[1].to_string().contains(new_key), "{}", entries[1]);
}

#[tokio::test]
async fn filters_select_by_method_path_status_and_limit() {
    let h = Harness::start().await;
    h.get("/v0/tenants/demo1234/mode").send().await.ok();
    h.post(LOGIN)
        .json(json!({"emailOrUsername": "admin", "password": TEST_PASSWORD}))
        .send()
        .await
        .ok();
    h.post(LOGIN)
        .json(json!({"emailOrUsername": "admin", "password": "nope"}))
        .send()
        .await;
    h.get("/v0/self")
        .send()
        .await
        .err(401, "Missing authentication");

    assert_eq!(journal(&h, "").await.len(), 4);
    assert_eq!(journal(&h, "method=GET").await.len(), 2);
    assert_eq!(journal(&h, "method=post").await.len(), 2);
    assert_eq!(journal(&h, "path=/v0/tenants/").await.len(), 3);
    assert_eq!(journal(&h, "status=200").await.len(), 2);
    assert_eq!(journal(&h, "status=4xx").await.len(), 2);
    assert_eq!(paths(&journal(&h, "status=401").await), ["/v0/self"]);
    assert_eq!(journal(&h, "status=5xx").await.len(), 0);
    assert_eq!(journal(&h, "method=POST&status=2xx").await.len(), 1);
    let last_two = journal(&h, "limit=2").await;
    assert_eq!(last_two.len(), 2);
    assert_eq!(
        last_two[1]["path"], "/v0/self",
        "limit keeps the most recent"
    );
    assert_eq!(last_two[0]["status"], 400);

    for (query, message) in [
        (
            "status=abc",
            "\"status\" must be a status code (404) or a class (4xx)",
        ),
        (
            "status=9xx",
            "\"status\" must be a status code (404) or a class (4xx)",
        ),
        ("mode=staging", "\"mode\" must be one of [test, live]"),
        ("limit=0", "\"limit\" must be a positive integer"),
        ("limit=many", "\"limit\" must be a positive integer"),
    ] {
        h.get(&format!("/__mock/requests?{query}"))
            .send()
            .await
            .err(400, message);
    }
}

#[tokio::test]
async fn control_calls_and_preflights_are_not_recorded() {
    let h = Harness::start().await;
    h.get("/__mock/state").send().await.ok();
    h.get("/__mock/outbox").send().await.ok();
    h.post("/__mock/clock")
        .json(json!({"advanceSeconds": 1}))
        .send()
        .await
        .ok();
    let preflight = h
        .preflight(LOGIN, "http://localhost:3000", "POST", None)
        .await;
    assert_eq!(preflight.status(), 200);
    let body = h.get("/__mock/requests").send().await.ok();
    assert_eq!(body["results"], json!([]));
    assert_eq!(body["capacity"], 1000);
    assert_eq!(body["dropped"], 0);
}

#[tokio::test]
async fn delete_and_reset_clear_the_journal() {
    let h = Harness::start().await;
    h.get("/v0/tenants/demo1234/mode").send().await.ok();
    assert_eq!(journal(&h, "").await.len(), 1);
    h.delete("/__mock/requests").send().await.ok();
    assert_eq!(journal(&h, "").await.len(), 0);

    h.get("/v0/tenants/demo1234/mode").send().await.ok();
    let id = journal(&h, "").await[0]["id"].as_u64().unwrap();
    assert!(id >= 2, "ids keep increasing after a clear");
    h.post("/__mock/reset").send().await.ok();
    assert_eq!(journal(&h, "").await.len(), 0);
}

#[tokio::test]
async fn the_journal_is_bounded_and_can_be_turned_off() {
    let small = Harness::with_mock(
        MockUserfront::builder()
            .journal_size(3)
            .start()
            .await
            .unwrap(),
    );
    for i in 0..5 {
        small
            .get(&format!("/v0/tenants/demo1234/mode?n={i}"))
            .send()
            .await
            .ok();
    }
    let body = small.get("/__mock/requests").send().await.ok();
    let kept: Vec<&Value> = body["results"].as_array().unwrap().iter().collect();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0]["query"]["n"], "2", "the oldest went first");
    assert_eq!(kept[2]["query"]["n"], "4");
    assert_eq!(body["capacity"], 3);
    assert_eq!(body["dropped"], 2);

    let off = Harness::with_mock(
        MockUserfront::builder()
            .journal_size(0)
            .start()
            .await
            .unwrap(),
    );
    off.get("/v0/tenants/demo1234/mode").send().await.ok();
    let body = off.get("/__mock/requests").send().await.ok();
    assert_eq!(body["results"], json!([]));
    assert_eq!(body["capacity"], 0);
}

#[tokio::test]
async fn large_bodies_are_refused_as_before_and_not_kept() {
    let h = Harness::start().await;
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let resp = h.post(LOGIN).raw(big.clone()).send().await;
    assert_eq!(resp.status, 413);
    // Over the journal's 64 KiB but under the 1 MiB limit: served, size kept, body not.
    let medium = json!({"emailOrUsername": "admin", "password": "p".repeat(70_000)});
    h.post(LOGIN)
        .json(medium)
        .send()
        .await
        .err(400, "Incorrect email or password");
    let entries = journal(&h, "").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["status"], 413);
    assert_eq!(entries[0]["request"]["body"]["omitted"], true);
    assert_eq!(entries[0]["request"]["body"]["size"], big.len());
    assert_eq!(entries[1]["request"]["body"]["omitted"], true);
    assert_eq!(entries[1]["status"], 400);
}

/// Issue 11 item 8: `X-Api-Key`, `Proxy-Authorization` and cookies are redacted like
/// `Authorization`.
#[tokio::test]
async fn api_key_proxy_credentials_and_cookies_are_redacted() {
    let h = Harness::start().await;
    h.get("/v0/tenants/demo1234/mode")
        .header("x-api-key", "uf_test_admin_demo1234_secret")
        .header("proxy-authorization", "Basic dXNlcjpwYXNz")
        .header("cookie", "access.demo1234=eyJ.secret.sig")
        .header("set-cookie", "session=secret")
        .header("x-userfront-source", "kept")
        .send()
        .await
        .ok();
    let entry = journal(&h, "").await.remove(0);
    let headers = &entry["request"]["headers"];
    assert_eq!(headers["x-api-key"], "[redacted]");
    assert_eq!(headers["proxy-authorization"], "Basic [redacted]");
    assert_eq!(headers["cookie"], "[redacted]");
    assert_eq!(headers["set-cookie"], "[redacted]");
    assert_eq!(headers["x-userfront-source"], "kept");
    assert!(!entry.to_string().contains("secret"), "{entry}");
    assert!(!entry.to_string().contains("dXNlcjpwYXNz"), "{entry}");
}

/// Issue 11 item 3: the journal is capped by bytes, not only by entries, and keeps long
/// headers cut with a marker (1,000 requests with a 400 KB header cost +384 MiB before).
#[tokio::test]
async fn the_journal_is_capped_by_bytes_and_cuts_long_headers() {
    let h = Harness::start().await;
    let big_header = "h".repeat(200_000);
    h.get("/v0/tenants/demo1234/mode")
        .header("x-big", &big_header)
        .send()
        .await
        .ok();
    let entry = journal(&h, "").await.remove(0);
    let kept = entry["request"]["headers"]["x-big"].as_str().unwrap();
    assert!(kept.len() < 5_000, "{} bytes kept", kept.len());
    assert!(kept.ends_with("...[truncated, 200000 bytes]"), "{kept}");

    // 600 requests with a 60 KB body (kept whole: under 64 KiB) pass the byte cap long
    // before the 1,000-entry cap.
    let body = json!({ "filler": "f".repeat(60_000) }).to_string();
    for _ in 0..600 {
        let resp = h.post("/v0/nothing-here").raw(body.clone()).send().await;
        assert_eq!(resp.status, 404);
    }
    let answer = h.get("/__mock/requests").send().await.ok();
    let (bytes, max) = (
        answer["bytes"].as_u64().unwrap(),
        answer["maxBytes"].as_u64().unwrap(),
    );
    let kept = answer["results"].as_array().unwrap().len();
    assert!(bytes <= max, "{bytes} > {max}");
    assert!(bytes > max / 2, "the figure counts the bodies: {bytes}");
    assert!(kept < 600, "{kept} entries of 60 KB kept");
    assert_eq!(answer["capacity"], 1_000);
    assert_eq!(answer["dropped"].as_u64().unwrap() as usize, 601 - kept);
}
