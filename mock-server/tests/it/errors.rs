//! Error plumbing shared by every endpoint (conventions C-1, C-5, C-6): body parsing, size
//! limit, unknown routes, wrong methods, credentials, and the documented error shape.

use crate::common;

use common::Harness;
use serde_json::{Value, json};
use userfront_mock::TEST_PASSWORD;

const BASIC: &str = "/v0/tenants/demo1234/auth/basic";

/// Asserts the documented three-member body and the JSON content type.
#[track_caller]
fn assert_error_shape(resp: &common::Resp, status: u16, message: &str) {
    resp.err(status, message);
    let members: Vec<&String> = resp.body.as_object().unwrap().keys().collect();
    assert_eq!(members, ["statusCode", "message", "error"], "{}", resp.body);
    assert_eq!(resp.body["error"], json!({ "type": "bad_request_error" }));
    assert_eq!(
        resp.headers["content-type"],
        "application/json; charset=utf-8"
    );
}

#[tokio::test]
async fn malformed_and_non_object_bodies_are_refused() {
    let h = Harness::start().await;
    for raw in ["{\"emailOrUsername\": ", "not json", "{'a': 1}"] {
        let resp = h.post(BASIC).raw(raw).send().await;
        assert_error_shape(&resp, 400, "Invalid request payload JSON format");
    }
    for raw in ["[1, 2]", "\"text\"", "42", "true"] {
        let resp = h.post(BASIC).raw(raw).send().await;
        assert_error_shape(&resp, 400, "\"value\" must be of type object");
    }
    // An empty body reads as `{}`.
    h.post(BASIC)
        .raw("")
        .send()
        .await
        .err(400, "\"emailOrUsername\" is required");
    // Members of the wrong type name the member.
    h.post(BASIC)
        .json(json!({ "emailOrUsername": ["admin"], "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "\"emailOrUsername\" must be a string");
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD, "options": 1 }))
        .send()
        .await
        .err(400, "\"options\" must be of type object");
    // Unknown members are ignored.
    let body = h
        .post(BASIC)
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD, "extra": { "x": 1 } }))
        .send()
        .await
        .ok();
    assert_eq!(body["userId"], 1);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused() {
    let h = Harness::start().await;
    let padding = "x".repeat(1024 * 1024);
    let resp = h
        .post(BASIC)
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD, "pad": padding }))
        .send()
        .await;
    assert_error_shape(
        &resp,
        413,
        "Payload content length greater than maximum allowed: 1048576",
    );
    // Just under the limit is fine.
    let padding = "x".repeat(1024 * 1024 - 200);
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD, "pad": padding }))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let h = Harness::start().await;
    for path in [
        "/",
        "/v0",
        "/v0/nope",
        "/v0/tenants/demo1234/nope",
        "/__mock/nope",
        "/v1/self",
    ] {
        let resp = h.get(path).send().await;
        assert_error_shape(&resp, 404, "Not Found");
    }
    for (method, path) in [
        (reqwest::Method::DELETE, BASIC),
        (reqwest::Method::GET, "/v0/auth/link"),
        (reqwest::Method::POST, "/v0/self"),
        (reqwest::Method::PUT, "/v0/auth/refresh"),
        (reqwest::Method::GET, "/v0/tenants/demo1234/auth/reset"),
        (reqwest::Method::PATCH, "/__mock/reset"),
    ] {
        let resp = h.req(method.clone(), path).send().await;
        assert_error_shape(&resp, 405, "Method Not Allowed");
    }
}

#[tokio::test]
async fn credentials_are_checked_in_the_documented_order() {
    let h = Harness::start().await;
    let token = h.access_token("admin@example.com").await;
    let resp = h.get("/v0/self").send().await;
    assert_error_shape(&resp, 401, "Missing authentication");
    // A non-bearer scheme is no credential at all.
    let resp = h
        .get("/v0/self")
        .header("authorization", &format!("Basic {token}"))
        .send()
        .await;
    assert_error_shape(&resp, 401, "Missing authentication");
    let resp = h
        .get("/v0/self")
        .bearer("eyJhbGciOi.bad.token")
        .send()
        .await;
    assert_error_shape(&resp, 401, "Unauthorized");
    // An API key is not a user token.
    let resp = h.get("/v0/self").bearer(&h.admin()).send().await;
    assert_error_shape(&resp, 401, "Unauthorized");
    // The scheme is case-insensitive, as is the header name.
    let me = h
        .get("/v0/self")
        .header("Authorization", &format!("bearer {token}"))
        .send()
        .await
        .ok();
    assert_eq!(me["userId"], 1);
}

#[tokio::test]
async fn success_responses_are_json() {
    let h = Harness::start().await;
    let resp = h.get("/v0/tenants/demo1234/mode").send().await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert!(matches!(resp.body, Value::Object(_)));
}

/// Requests hyper refuses before any route runs (it has no hook for their answers) still get
/// the documented body and a JSON content type, over a raw socket since no HTTP client sends
/// them.
#[tokio::test]
async fn requests_the_http_library_refuses_get_the_documented_body() {
    use crate::connections::exchange;
    let h = Harness::start().await;
    let addr = h.mock.addr();
    let long_query = format!(
        "GET /v0/tenants/demo1234/mode?q={} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
        "a".repeat(70_000)
    );
    let huge_header = format!(
        "GET /v0/tenants/demo1234/mode HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: {}\r\n\r\n",
        "a".repeat(500_000)
    );
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("long URI", long_query.into_bytes(), 414, "URI too long"),
        ("huge header", huge_header.into_bytes(), 431, "Request header fields too large"),
        (
            "invalid UTF-8 in the path",
            b"GET /v0/\xff\xfe HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".to_vec(),
            400,
            "Malformed HTTP request",
        ),
        (
            "NUL in a header",
            b"GET /v0/tenants/demo1234/mode HTTP/1.1\r\nhost: 127.0.0.1\r\nx-a: a\0b\r\n\r\n"
                .to_vec(),
            400,
            "Malformed HTTP request",
        ),
        (
            "bad content-length",
            b"POST /v0/tenants/demo1234/auth/basic HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: abc\r\n\r\n"
                .to_vec(),
            400,
            "Malformed HTTP request",
        ),
        (
            "two content-lengths",
            b"POST /v0/tenants/demo1234/auth/basic HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n{}"
                .to_vec(),
            400,
            "Malformed HTTP request",
        ),
        (
            "a garbage request line",
            b"garbage\r\n\r\n".to_vec(),
            400,
            "Malformed HTTP request",
        ),
        (
            "an unknown HTTP version",
            b"GET /v0/tenants/demo1234/mode HTTP/9.9\r\nhost: 127.0.0.1\r\n\r\n".to_vec(),
            400,
            "Malformed HTTP request",
        ),
        (
            "a space in the header name",
            b"GET /v0/tenants/demo1234/mode HTTP/1.1\r\nhost: 127.0.0.1\r\nbad name: x\r\n\r\n"
                .to_vec(),
            400,
            "Malformed HTTP request",
        ),
    ];
    for (what, request, status, message) in cases {
        let answer = exchange(addr, &request).await;
        eprintln!("{what}");
        answer.assert_error(status, message);
        assert_eq!(answer.header("connection"), "close", "{what}");
    }
    // The mock still answers normally afterwards.
    h.get("/v0/tenants/demo1234/mode").send().await.ok();
}
