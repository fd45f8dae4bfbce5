//! Shared test harness: an in-process mock per test, and a small typed client over real HTTP.
//!
//! Every test starts its own mock (start-up takes milliseconds), so tests never share state.
//! All requests go through [`Harness::send`], the one place where every response can be checked
//! against the contract.

#![allow(dead_code)]

pub mod binary;
pub mod tempdir;

pub use reqwest::Method;
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, MockUserfront, Mode, TEST_PASSWORD, schema};

/// A response: status, JSON body (or `Value::String` of a non-JSON body), headers.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// Asserts a 200 and returns the body.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.body
        );
        self.body
    }

    /// Asserts a documented error: status, message, and the three-member shape.
    #[track_caller]
    pub fn err(&self, status: u16, message: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["statusCode"], status, "body: {}", self.body);
        assert_eq!(self.body["message"], message, "body: {}", self.body);
        assert!(
            self.body["error"]["type"].is_string(),
            "body: {}",
            self.body
        );
    }

    /// Asserts an error with a specific `error.type`.
    #[track_caller]
    pub fn err_type(&self, status: u16, message: &str, kind: &str) {
        self.err(status, message);
        assert_eq!(self.body["error"]["type"], kind, "body: {}", self.body);
    }
}

/// A request being built.
pub struct Req<'a> {
    h: &'a Harness,
    method: Method,
    path: String,
    body: Option<Value>,
    raw: Option<Vec<u8>>,
    headers: Vec<(String, String)>,
}

impl<'a> Req<'a> {
    /// JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Raw body bytes (sent with `content-type: application/json`).
    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.raw = Some(bytes.into());
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Any header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `x-origin`, as the JS client sends it.
    pub fn origin(self, origin: &str) -> Self {
        self.header("x-origin", origin)
    }

    /// Sends and reads the answer.
    pub async fn send(self) -> Resp {
        self.h.send(self).await
    }
}

/// One mock and a client for it.
pub struct Harness {
    pub mock: MockUserfront,
    pub http: reqwest::Client,
}

impl Harness {
    /// A fresh mock with the embedded fixtures.
    pub async fn start() -> Self {
        Harness::with_mock(MockUserfront::start().await.expect("mock starts"))
    }

    /// A client for a mock started with other options (`MockUserfront::builder()`).
    pub fn with_mock(mock: MockUserfront) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Harness { mock, http }
    }

    /// Absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.mock.base_url(), path)
    }

    /// Starts a request.
    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            h: self,
            method,
            path: path.to_owned(),
            body: None,
            raw: None,
            headers: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.req(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Req<'_> {
        self.req(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.req(Method::DELETE, path)
    }

    async fn send(&self, req: Req<'_>) -> Resp {
        let mut builder = self.http.request(req.method.clone(), self.url(&req.path));
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &req.body {
            builder = builder.json(body);
        } else if let Some(raw) = req.raw {
            builder = builder.header("content-type", "application/json").body(raw);
        }
        let response = builder.send().await.expect("request reaches the mock");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        check_contract(&req.method, &req.path, status, &body);
        Resp {
            status,
            body,
            headers,
        }
    }

    /// An API key of the demo workspace.
    pub fn key(&self, mode: Mode, key_type: KeyType) -> String {
        self.mock
            .api_key(DEMO_TENANT, mode, key_type)
            .expect("seeded key")
    }

    /// An API key of the other seeded workspace (for cross-workspace refusals).
    pub fn other_key(&self, mode: Mode, key_type: KeyType) -> String {
        self.mock
            .api_key(userfront_mock::OTHER_TENANT, mode, key_type)
            .expect("seeded key")
    }

    /// The test-mode admin key of the demo workspace.
    pub fn admin(&self) -> String {
        self.key(Mode::Test, KeyType::Admin)
    }

    /// Logs in a demo user (test mode) and returns the whole sign-on body.
    pub async fn login(&self, email_or_username: &str, password: &str) -> Value {
        self.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
            .json(json!({ "emailOrUsername": email_or_username, "password": password }))
            .send()
            .await
            .ok()
    }

    /// Logs in a seeded user with the test password; returns the access token.
    pub async fn access_token(&self, email: &str) -> String {
        let body = self.login(email, TEST_PASSWORD).await;
        body["tokens"]["access"]["value"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Signs up a new test-mode user with a password; returns the sign-on body.
    pub async fn signup(&self, email: &str, password: &str) -> Value {
        self.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/create"))
            .json(json!({ "email": email, "password": password }))
            .send()
            .await
            .ok()
    }

    /// Outbox entries matching a query string such as `to=a@b.co&type=login`.
    pub async fn outbox(&self, query: &str) -> Vec<Value> {
        let body = self
            .get(&format!("/__mock/outbox?{query}"))
            .send()
            .await
            .ok();
        body["results"].as_array().cloned().unwrap_or_default()
    }

    /// Moves the mock clock forward.
    pub async fn advance(&self, seconds: i64) {
        self.post("/__mock/clock")
            .json(json!({ "advanceSeconds": seconds }))
            .send()
            .await
            .ok();
    }

    /// Recorded webhook deliveries.
    pub async fn webhooks(&self) -> Vec<Value> {
        let body = self.get("/__mock/webhooks").send().await.ok();
        body["results"].as_array().cloned().unwrap_or_default()
    }
}

/// Fails the test when a response departs from `schemas/openapi.json`: an undocumented status,
/// or a body that does not match its schema. Errors of routes the document does not have (404,
/// 405) must still be documented error bodies; the mock-only `/__mock` routes the document
/// leaves out are not checked.
#[track_caller]
pub fn check_contract(method: &Method, path: &str, status: u16, body: &Value) {
    let path = path.split('?').next().unwrap_or(path);
    let method_name = method.as_str().to_ascii_lowercase();
    let documented = schema::route_template(path)
        .is_some_and(|t| schema::document()["paths"][t].get(&method_name).is_some());
    let result = if documented {
        schema::validate_response(method.as_str(), path, status, body)
    } else if status >= 400 {
        schema::validate_component("Error", body)
    } else if path.starts_with("/__mock/") {
        Ok(())
    } else {
        Err(vec![
            "a success from a route the document does not have".to_owned(),
        ])
    };
    if let Err(errors) = result {
        panic!(
            "{method} {path} answered {status}, which departs from schemas/openapi.json:\n  {}\nbody: {body}",
            errors.join("\n  ")
        );
    }
}

impl Harness {
    /// A CORS preflight from `origin` for `method` (and `headers`), as a browser sends it before
    /// a cross-origin call. Not an API call, so the contract check does not apply.
    pub async fn preflight(
        &self,
        path: &str,
        origin: &str,
        method: &str,
        headers: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(Method::OPTIONS, self.url(path))
            .header("origin", origin)
            .header("access-control-request-method", method);
        if let Some(headers) = headers {
            req = req.header("access-control-request-headers", headers);
        }
        req.send().await.expect("request reaches the mock")
    }
}

/// Percent-encodes `text` for a query string (RFC 3986 unreserved characters kept).
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The query value `name` of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

impl Harness {
    /// The JWKS of the demo workspace for a mode.
    pub async fn jwks(&self, mode: Mode) -> jsonwebtoken::jwk::JwkSet {
        let q = if mode == Mode::Test { "?test=true" } else { "" };
        let body = self
            .get(&format!("/v0/tenants/{DEMO_TENANT}/jwks{q}"))
            .send()
            .await
            .ok();
        serde_json::from_value(body).expect("a JWKS")
    }

    /// Verifies a demo-workspace token with a standard JWT library (RS256, key chosen by `kid`
    /// from the JWKS of `mode`) and returns its claims; panics when it does not verify.
    pub async fn verified_claims(&self, token: &str, mode: Mode) -> Value {
        use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
        let set = self.jwks(mode).await;
        let kid = decode_header(token)
            .expect("a JWT header")
            .kid
            .expect("kid");
        let key = DecodingKey::from_jwk(set.find(&kid).expect("kid in the JWKS")).expect("key");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        decode::<Value>(token, &key, &validation)
            .expect("token verifies")
            .claims
    }

    /// The mock clock, in milliseconds since the epoch.
    pub async fn now_millis(&self) -> i64 {
        let body = self.get("/__mock/clock").send().await.ok();
        iso_millis(&body["now"])
    }
}

/// An ISO timestamp of the API, in milliseconds since the epoch.
#[track_caller]
pub fn iso_millis(value: &Value) -> i64 {
    value
        .as_str()
        .and_then(userfront_mock::state::clock::parse_iso)
        .unwrap_or_else(|| panic!("not an ISO timestamp: {value}"))
}

/// An origin on the demo workspace's live domain: requests carrying it run in live mode
/// (conventions C-4.2).
pub const LIVE_ORIGIN: &str = "https://example.com";

impl Harness {
    /// Signs up a live-mode user (live mode has no seeded users); returns the sign-on body.
    pub async fn live_signup(&self, email: &str, password: &str) -> Value {
        self.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/create"))
            .origin(LIVE_ORIGIN)
            .json(json!({ "email": email, "password": password }))
            .send()
            .await
            .ok()
    }

    /// Signs up a test-mode user without a password (`POST /v0/auth/link`) and signs them in
    /// with the welcome link; returns the sign-on body.
    pub async fn passwordless(&self, email: &str) -> Value {
        let sent = self
            .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
            .json(json!({ "email": email }))
            .send()
            .await
            .ok();
        let link = sent["result"]["link"].as_str().expect("test-mode link");
        self.put(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
            .json(link_credentials(link))
            .send()
            .await
            .ok()
    }

    /// Changes tenant settings through the control surface; returns its answer.
    pub async fn settings(&self, tenant_id: &str, body: Value) -> Value {
        self.put(&format!("/__mock/tenants/{tenant_id}/settings"))
            .json(body)
            .send()
            .await
            .ok()
    }
}

/// The JWKS routes that do not exist (`GET`, no body): an unknown mode and an unknown
/// workspace, both 404.
pub fn jwks_refusals() -> [(&'static str, Value, u16, &'static str); 2] {
    [
        (
            "/v0/tenants/demo1234/jwks/staging",
            Value::Null,
            404,
            "Not Found",
        ),
        ("/v0/tenants/nope0000/jwks", Value::Null, 404, "Not Found"),
    ]
}

/// The `{uuid, token}` body that uses the credentials of a link URL.
pub fn link_credentials(url: &str) -> Value {
    json!({
        "uuid": query_param(url, "uuid").expect("uuid in link"),
        "token": query_param(url, "token").expect("token in link"),
    })
}

/// The access token of a sign-on body.
pub fn access(body: &Value) -> String {
    body["tokens"]["access"]["value"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// The refresh token of a sign-on body.
pub fn refresh(body: &Value) -> String {
    body["tokens"]["refresh"]["value"]
        .as_str()
        .expect("refresh token")
        .to_owned()
}

impl Harness {
    /// A fresh mock seeded from `seed` (the shape of `fixtures/seed.json`; workspaces without a
    /// `signingKey` get generated keys), for states the API cannot reach directly.
    pub async fn start_with_seed(seed: Value) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "userfront-mock-seed-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("seed.json"), seed.to_string()).expect("seed file");
        let mock = MockUserfront::builder()
            .fixtures(&dir)
            .start()
            .await
            .expect("mock starts");
        let _ = std::fs::remove_dir_all(&dir);
        Harness::with_mock(mock)
    }
}

/// A seed like the embedded one for `demo1234` (same signing keys, live domain `example.com`)
/// whose test pool holds `users` (fixture users: `userId`, `username`, `email`, `password`,
/// `phoneNumber`, `locked`, `isEmailConfirmed`, ...).
pub fn demo_seed_with_users(users: Value) -> Value {
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/keys");
    json!({ "workspaces": [{
        "tenantId": DEMO_TENANT, "name": "Demo Workspace",
        "hasActivatedLiveMode": true, "liveDomains": ["example.com"],
        "test": {
            "signingKey": { "kid": "b1c89e3b-3fb4-4297-a283-0ba905a0cedb",
                            "file": format!("{keys}/demo1234-test.pem") },
            "users": users
        },
        "live": {
            "signingKey": { "kid": "e956cefa-3534-40e9-9c04-2184d69d2076",
                            "file": format!("{keys}/demo1234-live.pem") }
        }
    }]})
}

/// A request a [`Receiver`] got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// A tiny HTTP server on `127.0.0.1:0` standing in for a webhook receiver or a passthrough
/// upstream: it records every request and answers with a fixed status and JSON body.
pub struct Receiver {
    pub url: String,
    received: std::sync::Arc<tokio::sync::Mutex<Vec<Received>>>,
    notify: std::sync::Arc<tokio::sync::Notify>,
}

impl Receiver {
    /// Starts a receiver answering every request with `status` and `body`.
    pub async fn start(status: u16, body: Value) -> Self {
        use axum::http::StatusCode;
        let received = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        let (log, bell) = (received.clone(), notify.clone());
        let handler = move |uri: axum::http::Uri,
                            headers: axum::http::HeaderMap,
                            bytes: axum::body::Bytes| {
            let (log, bell, body) = (log.clone(), bell.clone(), body.clone());
            async move {
                log.lock().await.push(Received {
                    path: uri.path().to_owned(),
                    headers,
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                });
                bell.notify_waiters();
                (
                    StatusCode::from_u16(status).expect("a status"),
                    axum::Json(body),
                )
            }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url,
            received,
            notify,
        }
    }

    /// Waits (at most 5 seconds) until `count` requests arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let notified = self.notify.notified();
            {
                let got = self.received.lock().await;
                if got.len() >= count {
                    return got.clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let got = self.received.lock().await;
                panic!("expected {count} requests, got {}", got.len());
            }
        }
    }

    /// What arrived so far.
    pub async fn received(&self) -> Vec<Received> {
        self.received.lock().await.clone()
    }
}

/// A URL on `127.0.0.1` where nothing listens (a port that was just free).
pub async fn unreachable_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/hook")
}

impl Harness {
    /// Creates a test-mode user with the demo admin key; returns the User.
    pub async fn create_user(&self, body: Value) -> Value {
        self.post("/v0/users")
            .bearer(&self.admin())
            .json(body)
            .send()
            .await
            .ok()
    }

    /// Creates a child tenant of `parent` with `key`; returns the new tenant id.
    pub async fn create_tenant(&self, key: &str, parent: &str, name: &str) -> String {
        let body = self
            .post(&format!("/v0/tenants/{parent}/tenants"))
            .bearer(key)
            .json(json!({ "name": name }))
            .send()
            .await
            .ok();
        body["tenantId"].as_str().expect("tenantId").to_owned()
    }

    /// Creates a chain of test-mode tenants below the demo workspace, each the child of the one
    /// before (child, grandchild, ...); returns their ids in that order.
    pub async fn tenant_chain<const N: usize>(&self, key: &str, names: [&str; N]) -> [String; N] {
        let mut chain: Vec<String> = Vec::new();
        for name in names {
            let parent = chain.last().map_or(DEMO_TENANT, String::as_str);
            let id = self.create_tenant(key, parent, name).await;
            chain.push(id);
        }
        chain.try_into().expect("one id a name")
    }

    /// A child, grandchild and great-grandchild of the demo workspace (test mode), created with
    /// `key`: the chain the tests of a key's reach use.
    pub async fn generations(&self, key: &str) -> [String; 3] {
        self.tenant_chain(key, ["Child", "Grandchild", "Great"])
            .await
    }

    /// Bodies of recorded webhook events of one model and action, oldest first.
    pub async fn events(&self, model: &str, action: &str) -> Vec<Value> {
        self.webhooks()
            .await
            .into_iter()
            .map(|d| d["body"].clone())
            .filter(|b| b["model"] == model && b["action"] == action)
            .collect()
    }
}

impl Harness {
    /// Sends `body` to `method path` with `Authorization: Bearer <token>`: the shape of most
    /// API calls, for the per-route helpers of the test files.
    pub async fn call(&self, method: Method, path: &str, token: &str, body: Value) -> Resp {
        self.req(method, path).bearer(token).json(body).send().await
    }
}

impl Harness {
    /// A table of refusals: sends each `(path, body)` with `method` and no credentials (and no
    /// body where it is `Value::Null`), and checks that it answers the documented error
    /// `(status, message)`.
    pub async fn refusals(&self, method: Method, cases: &[(&str, Value, u16, &str)]) {
        for (path, body, status, message) in cases {
            let req = self.req(method.clone(), path);
            let req = if body.is_null() {
                req
            } else {
                req.json(body.clone())
            };
            let resp = req.send().await;
            assert_eq!(
                resp.status, *status,
                "{method} {path} {body}: {}",
                resp.body
            );
            resp.err(*status, message);
        }
    }
}

impl Harness {
    /// `GET path` with `Authorization: Bearer <token>`; asserts a 200 and returns the body.
    pub async fn get_as(&self, token: &str, path: &str) -> Value {
        let resp = self.get(path).bearer(token).send().await;
        assert_eq!(resp.status, 200, "GET {path}: {}", resp.body);
        resp.ok()
    }

    /// `GET path` with `Authorization: Bearer <token>`; asserts the documented error
    /// `(status, message)`.
    pub async fn get_refused(&self, token: &str, path: &str, status: u16, message: &str) {
        let resp = self.get(path).bearer(token).send().await;
        assert_eq!(resp.status, status, "GET {path}: {}", resp.body);
        resp.err(status, message);
    }
}

impl Harness {
    /// Sends `{}` to `method path`, with `Authorization: Bearer <key>` when a key is given: one
    /// probe of the credential tables (which key reaches which route).
    pub async fn probe(&self, method: &Method, path: &str, key: Option<&str>) -> Resp {
        let req = self.req(method.clone(), path).json(json!({}));
        match key {
            Some(k) => req.bearer(k),
            None => req,
        }
        .send()
        .await
    }
}

impl Harness {
    /// The refusals every request that emails a link shares (login links, reset links,
    /// verification emails): `POST path` without `email`, and with the `malformed` address,
    /// answer 400.
    pub async fn refuses_bad_emails(&self, path: &str, malformed: &str) {
        self.refusals(
            Method::POST,
            &[
                (path, json!({}), 400, "\"email\" is required"),
                (
                    path,
                    json!({ "email": malformed }),
                    400,
                    "Email format is invalid",
                ),
            ],
        )
        .await;
    }

    /// The refusals of a workspace-scoped auth route `/v0/tenants/{id}/{rest}` sent `body`
    /// (without credentials): the docs form `/v0/{rest}` without a `tenantId` answers 400, and an
    /// unknown workspace in the path 404.
    pub async fn refuses_missing_or_unknown_tenant(&self, method: Method, rest: &str, body: Value) {
        self.refusals(
            method,
            &[
                (
                    &format!("/v0/{rest}"),
                    body.clone(),
                    400,
                    "\"tenantId\" is required",
                ),
                (
                    &format!("/v0/tenants/nope0000/{rest}"),
                    body,
                    404,
                    "Not Found",
                ),
            ],
        )
        .await;
    }
}

impl Harness {
    /// Makes sign-on to the demo workspace (test mode) two-step for every user: `first` is the
    /// only first factor and `second` the only second factor (each `{channel, strategy}`).
    pub async fn require_second_factor(&self, first: Value, second: Value) {
        self.settings(
            DEMO_TENANT,
            json!({
                "mode": "test",
                "isMfaRequired": true,
                "authentication": { "firstFactors": [first], "secondFactors": [second] }
            }),
        )
        .await;
    }
}

impl Harness {
    /// Creates a user import of `users` with `key` and processes it; returns the processing
    /// answer (`successCount`, `failureCount`, `failures`).
    pub async fn import_and_process(&self, key: &str, users: Value) -> Value {
        let import = self
            .post("/v0/user-import")
            .bearer(key)
            .json(json!({ "users": users }))
            .send()
            .await
            .ok();
        let uuid = import["uuid"].as_str().expect("import uuid");
        self.post(&format!("/v0/user-import/{uuid}/process"))
            .bearer(key)
            .send()
            .await
            .ok()
    }

    /// Creates an API key of `key_type` (`admin`, `readonly`, ...) for `tenant` (a workspace or
    /// one of its tenants) with the demo admin key; returns the created key.
    pub async fn create_key(&self, tenant: &str, key_type: &str) -> Value {
        self.post(&format!("/v0/tenants/{tenant}/keys"))
            .bearer(&self.admin())
            .json(json!({ "type": key_type }))
            .send()
            .await
            .ok()
    }
}
