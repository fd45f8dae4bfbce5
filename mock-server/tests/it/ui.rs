//! The mock's web page (`/__mock/`, embedded files with a strict CSP), the pointer to it from
//! `/`, and `GET /__mock/users`, the read-only listing behind its Users section. The page
//! itself is driven in Chromium by `clients/browser` (`scripts/browser-test`).

use crate::common;

use common::{Harness, Method, url_encode};
use serde_json::json;
use userfront_mock::msg;

#[tokio::test]
async fn the_page_and_its_files_are_served_with_a_strict_policy() {
    let h = Harness::start().await;
    for (path, kind) in [
        ("/__mock/", "text/html"),
        ("/__mock/ui/app.js", "text/javascript"),
        ("/__mock/ui/app.css", "text/css"),
    ] {
        let resp = h.get(path).send().await;
        assert_eq!(resp.status, 200, "{path}");
        let header = |name: &str| {
            resp.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(header("content-type").starts_with(kind), "{path}");
        let csp = header("content-security-policy");
        assert!(csp.starts_with("default-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(header("x-content-type-options"), "nosniff");
    }
    // No inline script: every <script> has a src on this origin, and nothing comes from elsewhere.
    let html = h.get("/__mock/").send().await.body;
    let html = html.as_str().expect("HTML text");
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/__mock/ui/").count()
    );
    assert!(!html.contains("http://") && !html.contains("https://"));
    // `/__mock` without the slash goes to the page.
    let resp = page_get(&h, "/__mock", "text/html").await;
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.headers()["location"], "/__mock/");
}

/// A browser's GET of a page that is no API operation (so not checked against the contract).
async fn page_get(h: &Harness, path: &str, accept: &str) -> reqwest::Response {
    h.http
        .get(h.url(path))
        .header("accept", accept)
        .send()
        .await
        .expect("request reaches the mock")
}

#[tokio::test]
async fn root_points_a_browser_to_the_page_and_stays_404_for_api_clients() {
    let h = Harness::start().await;
    let page = page_get(&h, "/", "text/html,application/xhtml+xml,*/*;q=0.8").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("text")
            .contains("href=\"/__mock/\"")
    );
    h.get("/").send().await.err(404, msg::NOT_FOUND);
    h.get("/")
        .header("accept", "application/json")
        .send()
        .await
        .err(404, msg::NOT_FOUND);
    h.req(Method::POST, "/")
        .header("accept", "text/html")
        .send()
        .await
        .err(404, msg::NOT_FOUND);
}

#[tokio::test]
async fn the_page_is_behind_the_control_guard() {
    let h = Harness::start().await;
    for path in [
        "/__mock/",
        "/__mock/ui/app.js",
        "/__mock/users?tenantId=demo1234&mode=test",
    ] {
        h.get(path)
            .header("origin", "http://evil.example")
            .send()
            .await
            .err(403, msg::CONTROL_ORIGIN);
        // The page's own (same-origin) calls carry a loopback origin, or none on a GET.
        let resp = h.get(path).header("origin", h.mock.base_url()).send().await;
        assert_eq!(resp.status, 200, "{path}");
    }
}

#[tokio::test]
async fn users_lists_the_pool_with_roles_totp_and_sessions_but_no_secrets() {
    let h = Harness::start().await;
    h.signup("listed@example.com", "listed-password-1234").await;
    let all = h
        .get("/__mock/users?tenantId=demo1234&mode=test")
        .send()
        .await
        .ok();
    assert_eq!(all["totalCount"], 5);
    assert_eq!(all["tenantId"], "demo1234");
    let ids: Vec<_> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5], "lowest id first");
    assert_eq!(all["results"][0]["roles"], json!({ "demo1234": ["admin"] }));
    let text = all.to_string();
    for secret in ["passwordHash", "$argon2", "backupCodes", "secret"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }

    let one = h
        .get(&format!(
            "/__mock/users?tenantId=demo1234&mode=test&q={}",
            url_encode("LISTED@")
        ))
        .send()
        .await
        .ok();
    assert_eq!(one["totalCount"], 1);
    let user = &one["results"][0];
    assert_eq!(user["email"], "listed@example.com");
    assert_eq!(user["totp"], false);
    assert_eq!(user["hasPassword"], true);
    assert_eq!(user["roles"], json!({}));
    assert_eq!(user["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(user["sessions"][0]["active"], true);
    assert_eq!(user["sessions"][0]["firstFactor"]["strategy"], "password");

    // By id, exactly; the live pool is another pool.
    let by_id = h
        .get("/__mock/users?tenantId=demo1234&mode=test&q=2")
        .send()
        .await
        .ok();
    assert_eq!(by_id["results"][0]["username"], "member");
    let live = h
        .get("/__mock/users?tenantId=demo1234&mode=live&q=listed")
        .send()
        .await
        .ok();
    assert_eq!(live["totalCount"], 0);
}

#[tokio::test]
async fn users_refuses_a_missing_scope_and_an_unknown_tenant() {
    let h = Harness::start().await;
    for query in [
        "",
        "?tenantId=demo1234",
        "?mode=test",
        "?tenantId=demo1234&mode=staging",
    ] {
        h.get(&format!("/__mock/users{query}"))
            .send()
            .await
            .err(400, msg::MOCK_USERS_SCOPE);
    }
    h.get("/__mock/users?tenantId=nope0000&mode=test")
        .send()
        .await
        .err(404, msg::NOT_FOUND);
}
