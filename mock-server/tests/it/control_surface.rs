//! The control surface (`/__mock/*`) answers the developer, not any web page: no `Origin` or a
//! loopback one (or a `--control-origin`), and a loopback `Host` when bound to loopback. The
//! Userfront API keeps answering every origin, as the real service does.

use crate::common;
use crate::connections::exchange;

use common::Harness;
use userfront_mock::MockUserfront;

const EVIL: &str = "http://evil.example";
const REFUSED: &str = "The control surface answers only local pages and --control-origin origins";
const HOST_REFUSED: &str =
    "The control surface answers only a loopback Host when bound to a loopback address";

fn allow_origin(headers: &reqwest::header::HeaderMap) -> Option<&str> {
    headers
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn other_origins_are_refused_without_cors_headers() {
    let h = Harness::start().await;
    let before = h.now_millis().await;
    for origin in [
        EVIL,
        "null",
        "http://localhost.evil.example",
        "https://127.0.0.1.nip.io",
    ] {
        for (method, path) in [
            (reqwest::Method::GET, "/__mock/state"),
            (reqwest::Method::GET, "/__mock/export"),
            (reqwest::Method::POST, "/__mock/reset"),
            (reqwest::Method::POST, "/__mock/clock"),
        ] {
            let resp = h
                .req(method.clone(), path)
                .header("origin", origin)
                .json(serde_json::json!({ "advanceSeconds": 86_400 }))
                .send()
                .await;
            resp.err(403, REFUSED);
            assert_eq!(
                resp.headers["content-type"],
                "application/json; charset=utf-8"
            );
            assert_eq!(allow_origin(&resp.headers), None, "{origin} {path}");
        }
        // The preflight is refused too, so a browser never sends the request.
        let pre = h
            .preflight("/__mock/reset", origin, "POST", Some("content-type"))
            .await;
        assert_eq!(pre.status(), 403);
        assert_eq!(allow_origin(pre.headers()), None);
        let body: serde_json::Value = pre.json().await.unwrap();
        assert_eq!(body["message"], REFUSED);
    }
    // Nothing moved.
    assert!(h.now_millis().await - before < 60_000);
}

#[tokio::test]
async fn loopback_and_configured_origins_and_no_origin_may_use_it() {
    let h = Harness::with_mock(
        MockUserfront::builder()
            .control_origin("https://Dev.Example.test:8443/")
            .start()
            .await
            .unwrap(),
    );
    h.get("/__mock/state").send().await.ok();
    for origin in [
        "http://localhost:3000",
        "https://localhost",
        "http://app.localhost:5173",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
        "https://dev.example.test:8443",
    ] {
        let resp = h.get("/__mock/state").header("origin", origin).send().await;
        assert_eq!(resp.status, 200, "{origin}: {}", resp.body);
        assert_eq!(allow_origin(&resp.headers), Some(origin));
        let pre = h.preflight("/__mock/reset", origin, "POST", None).await;
        assert_eq!(pre.status(), 200, "{origin}");
        assert_eq!(allow_origin(pre.headers()), Some(origin));
    }
    // A configured origin is that origin only.
    h.get("/__mock/state")
        .header("origin", "https://dev.example.test")
        .send()
        .await
        .err(403, REFUSED);
}

#[tokio::test]
async fn the_api_keeps_answering_any_origin() {
    let h = Harness::start().await;
    for path in ["/v0/tenants/demo1234/mode", "/v0/openapi.json"] {
        let resp = h.get(path).header("origin", EVIL).send().await;
        assert_eq!(resp.status, 200, "{path}");
        assert_eq!(allow_origin(&resp.headers), Some(EVIL));
    }
    let pre = h
        .preflight("/v0/tenants/demo1234/auth/basic", EVIL, "POST", None)
        .await;
    assert_eq!(pre.status(), 200);
}

/// DNS rebinding: a page whose name re-resolves to 127.0.0.1 is same-origin with the mock and
/// sends no `Origin` on a GET, but its `Host` is its own name.
#[tokio::test]
async fn a_rebound_host_is_refused_on_the_control_surface_only() {
    let h = Harness::start().await;
    let addr = h.mock.addr();
    let get = |path: &str, host: &str| format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n\r\n");
    let port = addr.port();
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        "192.168.1.20".to_owned(),
    ] {
        exchange(addr, get("/__mock/state", &host).as_bytes())
            .await
            .assert_error(403, HOST_REFUSED);
        let api = exchange(addr, get("/v0/tenants/demo1234/mode", &host).as_bytes()).await;
        assert_eq!(api.status, 200, "{host}");
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "app.localhost".to_owned(),
    ] {
        let ok = exchange(addr, get("/__mock/state", &host).as_bytes()).await;
        assert_eq!(ok.status, 200, "{host}: {:?}", ok.body);
    }
}

/// Bound to a non-loopback address the mock is reached by name (a container, a LAN): `Host`
/// is not checked. (Requests still go to 127.0.0.1.)
#[tokio::test]
async fn bound_to_all_interfaces_any_host_is_answered() {
    let mock = MockUserfront::builder()
        .host("0.0.0.0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], mock.addr().port()));
    let ok = exchange(
        addr,
        b"GET /__mock/state HTTP/1.1\r\nhost: userfront-mock:4780\r\n\r\n",
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    // The origin rule still holds.
    exchange(
        addr,
        b"GET /__mock/state HTTP/1.1\r\nhost: userfront-mock:4780\r\norigin: http://evil.example\r\n\r\n",
    )
    .await
    .assert_error(403, REFUSED);
}
