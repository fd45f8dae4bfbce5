//! Redirects go only where the tenant allows (issue 11, item 6): SSO hands its one-time
//! credentials only to an origin of the tenant, `redirect` is a path, the fake provider sends the
//! browser back only to the mock's own callback, and a bad target is refused with a 400 in the
//! error format before anything (SSO state, link credentials, outbox) is used up.

use crate::common;

use common::{Harness, Resp, link_credentials, query_param};
use serde_json::json;
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD};

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn location(resp: &Resp) -> String {
    assert_eq!(resp.status, 302, "body: {}", resp.body);
    resp.headers["location"].to_str().unwrap().to_owned()
}

/// The path and query of a `Location` on the mock.
fn on_mock(h: &Harness, location: &str) -> String {
    location
        .strip_prefix(h.mock.base_url())
        .unwrap_or_else(|| panic!("{location} is not on the mock"))
        .to_owned()
}

async fn google(h: &Harness) {
    h.settings(
        DEMO_TENANT,
        json!({"ssoProviders": {"google": {"enabled": true}}}),
    )
    .await;
    h.post("/__mock/sso/identities")
        .json(json!({"provider": "google", "code": "ada", "email": "ada@example.com"}))
        .send()
        .await
        .ok();
}

/// `GET /v0/auth/google/login` for the demo workspace from `origin` (with `extra` query).
async fn start(h: &Harness, origin: &str, extra: &str) -> Resp {
    h.get(&format!(
        "/v0/auth/google/login?tenant_id={DEMO_TENANT}&origin={}{extra}",
        enc(origin)
    ))
    .send()
    .await
}

#[tokio::test]
async fn sso_hands_credentials_only_to_an_origin_of_the_tenant() {
    let h = Harness::start().await;
    google(&h).await;
    for origin in [
        "https://evil.example.net",
        "http://attacker.test",
        "http://localhost@evil.example.net",
        "http://10.0.0.5:3000",
        "javascript:alert(1)",
        "data:text/html,hi",
        "http://localhost:3000\r\nSet-Cookie: x=1",
        "localhost:3000",
        "not a url",
    ] {
        let resp = start(&h, origin, "").await;
        assert_eq!(resp.status, 400, "{origin}: {}", resp.body);
        resp.err(400, "Invalid origin");
    }
    // Loopback pages and the workspace's own domain (test mode over http) are fine, and the
    // credentials land on exactly that origin.
    for (origin, landing) in [
        ("http://localhost:3000", "http://localhost:3000/login?"),
        (
            "http://127.0.0.1:5173/app/page",
            "http://127.0.0.1:5173/login?",
        ),
        ("http://[::1]:8080", "http://[::1]:8080/login?"),
        ("http://app.localhost", "http://app.localhost/login?"),
        ("http://app.example.com", "http://app.example.com/login?"),
        ("https://example.com", "https://example.com/login?"),
    ] {
        let to_provider = location(&start(&h, origin, "").await);
        let back = location(&h.get(&on_mock(&h, &to_provider)).send().await);
        let landed = location(&h.get(&on_mock(&h, &back)).send().await);
        assert!(landed.starts_with(landing), "{origin} → {landed}");
        assert_eq!(query_param(&landed, "type").as_deref(), Some("sso"));
    }
}

#[tokio::test]
async fn a_redirect_must_be_a_path() {
    let h = Harness::start().await;
    google(&h).await;
    let bad = [
        "https://evil.example.net/x",
        "//evil.example.net",
        "/\\evil.example.net",
        "javascript:alert(1)",
        "my-app:/login",
        "dashboard",
        "/a\r\nSet-Cookie: x=1",
        "/a\tb",
    ];
    for redirect in bad {
        // SSO start: refused before any state exists.
        let resp = start(
            &h,
            "http://localhost:3000",
            &format!("&redirect={}", enc(redirect)),
        )
        .await;
        assert_eq!(resp.status, 400, "SSO {redirect:?}: {}", resp.body);
        resp.err(400, "Invalid redirect");
        // Password sign-on: refused, whether in the body or in the query.
        let login = json!({ "emailOrUsername": "member", "password": TEST_PASSWORD,
                            "options": { "redirect": redirect } });
        h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
            .json(login)
            .send()
            .await
            .err(400, "Invalid redirect");
        h.post(&format!(
            "/v0/tenants/{DEMO_TENANT}/auth/basic?redirect={}",
            enc(redirect)
        ))
        .json(json!({ "emailOrUsername": "member", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "Invalid redirect");
        // Link emails and generated links: refused, nothing sent.
        h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
            .json(json!({ "email": "member@example.com", "options": { "redirect": redirect } }))
            .send()
            .await
            .err(400, "Invalid redirect");
        h.post("/v0/auth/link/generate")
            .bearer(&h.admin())
            .json(json!({ "userId": 2, "options": { "redirect": redirect } }))
            .send()
            .await
            .err(400, "Invalid redirect");
    }
    assert!(h.outbox("to=member@example.com").await.is_empty());
    // A path is kept, and `redirectTo` stays on the page's origin.
    let login = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
        .origin("http://localhost:3000")
        .json(
            json!({ "emailOrUsername": "member", "password": TEST_PASSWORD,
                      "options": { "redirect": "/next?tab=1" } }),
        )
        .send()
        .await
        .ok();
    assert_eq!(login["redirectTo"], "http://localhost:3000/next?tab=1");
}

#[tokio::test]
async fn a_refused_redirect_uses_up_no_link_credentials() {
    let h = Harness::start().await;
    let link = h
        .post("/v0/auth/link/generate")
        .bearer(&h.admin())
        .json(json!({ "userId": 2 }))
        .send()
        .await
        .ok()["result"]["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = link_credentials(&link);
    body["options"] = json!({ "redirect": "https://evil.example.net" });
    h.put(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
        .json(body.clone())
        .send()
        .await
        .err(400, "Invalid redirect");
    body["options"] = json!({ "redirect": "/ok" });
    let login = h
        .put(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
        .json(body)
        .send()
        .await
        .ok();
    assert_eq!(login["userId"], 2);
}

#[tokio::test]
async fn the_fake_provider_returns_only_to_the_mock_callback() {
    let h = Harness::start().await;
    google(&h).await;
    let to_provider = location(&start(&h, "http://localhost:3000", "").await);
    let state = query_param(&to_provider, "state").unwrap();
    let own = format!("{}/v0/auth/google/login", h.mock.base_url());
    for uri in [
        "https://evil.example.net/cb".to_owned(),
        format!("{}/v0/auth/github/login", h.mock.base_url()),
        format!("{}/elsewhere", h.mock.base_url()),
        "http://localhost:1/v0/auth/google/login".to_owned(),
        "javascript:alert(1)".to_owned(),
        format!("{own}\r\nSet-Cookie: x=1"),
    ] {
        let resp = h
            .get(&format!(
                "/__mock/sso/google/authorize?state={state}&redirect_uri={}",
                enc(&uri)
            ))
            .send()
            .await;
        assert_eq!(resp.status, 400, "{uri:?}: {}", resp.body);
        resp.err(400, "Invalid redirect_uri");
    }
    // A fragment stays a fragment: `state` and `code` go into the query, before it.
    let back = location(
        &h.get(&format!(
            "/__mock/sso/google/authorize?state={state}&redirect_uri={}",
            enc(&format!("{own}?keep=1#frag"))
        ))
        .send()
        .await,
    );
    let (before, fragment) = back.split_once('#').expect("the fragment is kept");
    assert_eq!(fragment, "frag");
    assert_eq!(query_param(before, "keep").as_deref(), Some("1"));
    assert_eq!(
        query_param(before, "state").as_deref(),
        Some(state.as_str())
    );
    assert_eq!(query_param(before, "code").as_deref(), Some("ada"));
    // The refusals used nothing up: the sign-on completes.
    let landed = location(&h.get(&on_mock(&h, before)).send().await);
    assert!(
        landed.starts_with("http://localhost:3000/login?"),
        "{landed}"
    );
}

#[tokio::test]
async fn a_failed_callback_leaves_the_sign_on_usable() {
    let h = Harness::start().await;
    google(&h).await;
    let to_provider = location(&start(&h, "http://localhost:3000", "").await);
    let state = query_param(&to_provider, "state").unwrap();
    // An unknown code is refused, and does not use up the state...
    h.get(&format!("/v0/auth/google/login?state={state}&code=nobody"))
        .send()
        .await
        .err(400, "Invalid token");
    // ...which the right code then completes, once.
    let callback = format!("/v0/auth/google/login?state={state}&code=ada");
    let landed = location(&h.get(&callback).send().await);
    assert!(
        landed.starts_with("http://localhost:3000/login?"),
        "{landed}"
    );
    h.get(&callback).send().await.err(400, "Invalid token");
}
