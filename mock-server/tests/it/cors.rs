//! Cross-origin access: a browser app on another origin (a dev server on localhost:3000) must
//! be able to call the mock, read its answers and its errors, as with the real API.

use crate::common;

use common::Harness;
use userfront_mock::TEST_PASSWORD;

const APP: &str = "http://localhost:3000";

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn preflight_allows_the_clients_method_and_headers() {
    let h = Harness::start().await;
    let resp = h
        .preflight(
            "/v0/tenants/demo1234/auth/basic",
            APP,
            "POST",
            Some("authorization,content-type,x-userfront-source"),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers();
    assert_eq!(header(headers, "access-control-allow-origin"), APP);
    assert_eq!(header(headers, "access-control-allow-credentials"), "true");
    assert_eq!(header(headers, "access-control-allow-methods"), "POST");
    assert_eq!(
        header(headers, "access-control-allow-headers"),
        "authorization,content-type,x-userfront-source"
    );
    assert_eq!(header(headers, "access-control-max-age"), "86400");
}

#[tokio::test]
async fn answers_and_errors_are_readable_cross_origin() {
    let h = Harness::start().await;
    let ok = h
        .post("/v0/tenants/demo1234/auth/basic")
        .header("origin", APP)
        .json(serde_json::json!({"emailOrUsername": "admin", "password": TEST_PASSWORD}))
        .send()
        .await;
    assert_eq!(header(&ok.headers, "access-control-allow-origin"), APP);
    ok.ok();

    // The client shows the API's message, so errors must be readable too.
    let refused = h
        .post("/v0/tenants/demo1234/auth/basic")
        .header("origin", APP)
        .json(serde_json::json!({"emailOrUsername": "admin", "password": "wrong-password-1"}))
        .send()
        .await;
    refused.err(400, "Incorrect email or password");
    assert_eq!(header(&refused.headers, "access-control-allow-origin"), APP);

    let unknown = h.get("/v0/nothing-here").header("origin", APP).send().await;
    unknown.err(404, "Not Found");
    assert_eq!(header(&unknown.headers, "access-control-allow-origin"), APP);
}

#[tokio::test]
async fn a_request_without_origin_gets_no_cors_headers() {
    let h = Harness::start().await;
    let resp = h.get("/v0/tenants/demo1234/mode").send().await;
    assert!(resp.headers.get("access-control-allow-origin").is_none());
}
