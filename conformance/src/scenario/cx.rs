//! The context ([`Cx`]) a scenario runs in: credentials, unique names, sending (each exchange
//! recorded and checked against the contract), warnings, clean-up, token verification and the
//! mock controls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Failure, Outcome, Req, Resp, fail};
use crate::ensure;
use crate::http::{self, Exchange, Request};
use crate::target::{Created, Mode, Target};

#[derive(Default)]
struct Journal {
    exchanges: Vec<Exchange>,
    violations: Vec<String>,
    warnings: Vec<String>,
}

/// By default, an answer slower than this is worth a warning (`--slow SECS`): nothing
/// documents a latency, but a conforming implementation answering this slowly on a test
/// workspace usually has a problem (a lock held, a retry loop, a forgotten index). Generous, so
/// a loaded CI machine does not warn.
pub const SLOW_ANSWER: std::time::Duration = std::time::Duration::from_secs(5);

/// Words that give away an internal trace in an error message (a panic, a stack trace, an
/// exception class): never documented, always worth a look.
const TRACE_WORDS: &[&str] = &[
    "panicked at",
    "stack backtrace",
    "Traceback (most recent call last)",
    "Exception:",
    "    at ",
    "RUST_BACKTRACE",
];

/// What undocumented but suspicious thing an answer shows, if any (a warning, not a failure).
pub fn suspicious(
    elapsed: std::time::Duration,
    slow: std::time::Duration,
    status: u16,
    body: &Value,
) -> Option<String> {
    if elapsed >= slow {
        return Some(format!(
            "answered in {} ms (slower than {} ms)",
            elapsed.as_millis(),
            slow.as_millis()
        ));
    }
    let message = body["message"].as_str().unwrap_or("");
    if status >= 400
        && let Some(word) = TRACE_WORDS.iter().find(|w| message.contains(**w))
    {
        return Some(format!(
            "the {status} error message looks like an internal trace ({word:?})"
        ));
    }
    None
}

/// The context of one scenario run.
#[derive(Clone)]
pub struct Cx {
    pub target: Arc<Target>,
    journal: Arc<Mutex<Journal>>,
    jwks: Arc<Mutex<HashMap<(String, Mode), JwkSet>>>,
    /// Snapshot options of the run.
    pub snapshots: Arc<crate::snapshot::Options>,
}

impl Cx {
    /// A fresh context on `target`.
    pub fn new(target: Arc<Target>, snapshots: Arc<crate::snapshot::Options>) -> Self {
        Cx {
            target,
            journal: Arc::default(),
            jwks: Arc::default(),
            snapshots,
        }
    }

    /// The workspace the scenarios act in.
    pub fn tenant(&self) -> &str {
        &self.target.tenant_id
    }

    /// The test-mode admin key.
    pub fn admin(&self) -> &str {
        &self.target.admin_key
    }

    /// The test-mode read-only key (declare [`Need::Readonly`]).
    pub fn readonly(&self) -> Outcome<&str> {
        self.cred(self.target.creds.readonly_key.as_deref(), "--readonly-key")
    }

    /// The test-mode webhook key (declare [`Need::Webhook`]).
    pub fn webhook_key(&self) -> Outcome<&str> {
        self.cred(self.target.creds.webhook_key.as_deref(), "--webhook-key")
    }

    /// The live admin key (declare [`Need::Live`]).
    pub fn live_admin(&self) -> Outcome<&str> {
        self.cred(
            self.target.creds.live_admin_key.as_deref(),
            "--live-admin-key",
        )
    }

    /// The live read-only key, when given.
    pub fn live_readonly(&self) -> Outcome<&str> {
        self.cred(
            self.target.creds.live_readonly_key.as_deref(),
            "--live-readonly-key",
        )
    }

    /// An origin on a live domain (declare [`Need::Live`]).
    pub fn live_origin(&self) -> Outcome<&str> {
        self.cred(self.target.creds.live_origin.as_deref(), "--live-origin")
    }

    /// The second workspace (declare [`Need::OtherTenant`]).
    pub fn other_tenant(&self) -> Outcome<&str> {
        self.cred(
            self.target.creds.other_tenant_id.as_deref(),
            "--other-tenant-id",
        )
    }

    /// The second workspace's test admin key (declare [`Need::OtherTenant`]).
    pub fn other_admin(&self) -> Outcome<&str> {
        self.cred(
            self.target.creds.other_admin_key.as_deref(),
            "--other-admin-key",
        )
    }

    fn cred<'a>(&self, value: Option<&'a str>, flag: &str) -> Outcome<&'a str> {
        value.ok_or_else(|| Failure::Skip(format!("needs {flag}")))
    }

    /// A unique lowercase label under the run prefix: `cf-<run>-<label><n>`.
    pub fn unique(&self, label: &str) -> String {
        format!("cf-{}-{label}{}", self.target.run_id, self.target.next())
    }

    /// A unique email address under the run prefix.
    pub fn email(&self, label: &str) -> String {
        format!("{}@example.com", self.unique(label))
    }

    /// Starts a request.
    pub fn req(&self, method: Method, path: impl Into<String>) -> Req {
        Req {
            cx: self.clone(),
            request: Request::new(method, path),
        }
    }

    pub fn get(&self, path: impl Into<String>) -> Req {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: impl Into<String>) -> Req {
        self.req(Method::POST, path)
    }

    pub fn put(&self, path: impl Into<String>) -> Req {
        self.req(Method::PUT, path)
    }

    pub fn delete(&self, path: impl Into<String>) -> Req {
        self.req(Method::DELETE, path)
    }

    /// Sends a request: records it, checks the answer against the contract.
    pub async fn send(&self, request: Request) -> Outcome<Resp> {
        let t = &self.target;
        let started = std::time::Instant::now();
        let (exchange, answer) = http::send(&t.http, &t.base, &request).await;
        let elapsed = started.elapsed();
        let described = format!("{} {}", exchange.method, request.path);
        let mut journal = self.journal.lock().map_err(|_| fail("journal poisoned"))?;
        journal.exchanges.push(exchange);
        let response = answer.map_err(|e| fail(format!("{described}: no answer: {e}")))?;
        crate::coverage::sent(
            request.method.as_str(),
            request.route_path(),
            response.status,
        );
        if !request.path.starts_with("/__mock") {
            if let Some(why) = suspicious(elapsed, t.slow, response.status, &response.body) {
                let warning = format!("{described} -> {}: {why}", response.status);
                if !journal.warnings.contains(&warning) {
                    journal.warnings.push(warning);
                }
            }
            for problem in t.contract.check(
                request.method.as_str(),
                request.route_path(),
                response.status,
                &response.headers,
                &response.body,
            ) {
                journal
                    .violations
                    .push(format!("{described} -> {}: {problem}", response.status));
            }
        }
        Ok(Resp {
            described,
            method: request.method.as_str().to_owned(),
            route: request.route_path().to_owned(),
            inner: response,
        })
    }

    /// Records an exchange made outside [`Cx::send`] (the raw requests of `raw.rs`), so that a
    /// failure's replay still shows it.
    pub(super) fn record(&self, exchange: Exchange) {
        if let Ok(mut j) = self.journal.lock() {
            j.exchanges.push(exchange);
        }
    }

    /// The exchanges so far, and forgets them (a property starts every case afresh).
    pub fn take_exchanges(&self) -> Vec<Exchange> {
        self.journal
            .lock()
            .map(|mut j| std::mem::take(&mut j.exchanges))
            .unwrap_or_default()
    }

    /// The exchanges so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.journal
            .lock()
            .map(|j| j.exchanges.clone())
            .unwrap_or_default()
    }

    /// Puts exchanges made before the current ones back in front (a property keeps its
    /// set-up requests in the replay of its minimal case).
    pub fn prepend_exchanges(&self, mut earlier: Vec<Exchange>) {
        if let Ok(mut j) = self.journal.lock() {
            earlier.append(&mut j.exchanges);
            j.exchanges = earlier;
        }
    }

    /// Records a warning: something undocumented but suspicious, or a documented SHOULD the
    /// target does not do. The scenario still passes, with the verdict WARNING.
    pub fn warn(&self, message: impl Into<String>) {
        let message = message.into();
        if let Ok(mut j) = self.journal.lock()
            && !j.warnings.contains(&message)
        {
            j.warnings.push(message);
        }
    }

    /// Warnings so far, and forgets them.
    pub fn take_warnings(&self) -> Vec<String> {
        self.journal
            .lock()
            .map(|mut j| std::mem::take(&mut j.warnings))
            .unwrap_or_default()
    }

    /// Contract violations so far, and forgets them.
    pub fn take_violations(&self) -> Vec<String> {
        self.journal
            .lock()
            .map(|mut j| std::mem::take(&mut j.violations))
            .unwrap_or_default()
    }

    /// Registers a created record for clean-up.
    pub fn created(&self, record: Created) {
        self.target.created(record);
    }

    /// Registers the user of a sign-on or User body for clean-up.
    pub fn created_user(&self, mode: Mode, body: &Value) {
        if let Some(uuid) = body["userUuid"].as_str() {
            self.created(Created::User {
                mode,
                user_uuid: uuid.to_owned(),
            });
        }
    }

    // -----------------------------------------------------------------------------------------
    // Tokens

    /// The JWKS of a tenant and mode (fetched once per scenario, through the target).
    pub async fn jwks(&self, tenant: &str, mode: Mode) -> Outcome<JwkSet> {
        let key = (tenant.to_owned(), mode);
        if let Some(set) = self.jwks.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(set);
        }
        let query = if mode == Mode::Test { "?test=true" } else { "" };
        let body = self
            .get(format!("/v0/tenants/{tenant}/jwks{query}"))
            .send()
            .await?
            .ok()?;
        let set: JwkSet = serde_json::from_value(body)
            .map_err(|e| fail(format!("the {} JWKS is not a JWK set: {e}", mode.as_str())))?;
        if let Ok(mut m) = self.jwks.lock() {
            m.insert(key, set.clone());
        }
        Ok(set)
    }

    /// Verifies a token's RS256 signature against the JWKS of the workspace and mode, and
    /// returns its claims. Expiry is not judged here (the mock clock may differ from ours).
    pub async fn verify_token(&self, token: &str, mode: Mode) -> Outcome<Value> {
        let tenant = self.tenant().to_owned();
        self.verify_token_of(token, &tenant, mode).await
    }

    /// [`Cx::verify_token`] for another workspace.
    pub async fn verify_token_of(&self, token: &str, tenant: &str, mode: Mode) -> Outcome<Value> {
        let header =
            decode_header(token).map_err(|e| fail(format!("token header unreadable: {e}")))?;
        ensure!(
            header.alg == Algorithm::RS256,
            "token signed with {:?}, not RS256",
            header.alg
        );
        let kid = header.kid.ok_or_else(|| fail("token header has no kid"))?;
        let set = self.jwks(tenant, mode).await?;
        let jwk = set.find(&kid).ok_or_else(|| {
            fail(format!(
                "token kid {kid} is not in the {} JWKS of {tenant}",
                mode.as_str()
            ))
        })?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| fail(format!("bad JWK: {e}")))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        decode::<Value>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|e| {
                fail(format!(
                    "token does not verify against the {} JWKS: {e}",
                    mode.as_str()
                ))
            })
    }

    // -----------------------------------------------------------------------------------------
    // Mock controls (declare Need::MockControls)

    /// Moves the mock clock forward.
    pub async fn advance(&self, seconds: i64) -> Outcome {
        self.post("/__mock/clock")
            .json(json!({ "advanceSeconds": seconds }))
            .send()
            .await?
            .ok()
            .map(drop)
    }

    /// Outbox entries matching a query string such as `to=a@b.co&type=login`.
    pub async fn outbox(&self, query: &str) -> Outcome<Vec<Value>> {
        let body = self
            .get(format!("/__mock/outbox?{query}"))
            .send()
            .await?
            .ok()?;
        Ok(body["results"].as_array().cloned().unwrap_or_default())
    }
}
