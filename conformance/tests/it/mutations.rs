//! The runner's own mutation score: for every documented rule of the spec (C-n, CS-n, SS-n),
//! at least one planted defect (through the tampering proxy of `proxy/`), each run against the
//! scenarios the coverage report credits with that rule. The score is `caught/planted`; the
//! test keeps it at 100 %. A clean run through the same proxy must pass (`defects.rs`,
//! `a_transparent_proxy_changes_nothing`), so a catch is never a false alarm.
//!
//! The endpoint rules CS-n and SS-n get a generated defect: every successful answer of the
//! route the rule documents (its `section` in `operations.json`) comes back with each string
//! and number in it changed (a redirect to another place, an HTML page emptied). The
//! conventions C-n get a hand-written defect each, of the kind a real implementation gets wrong.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use userfront_conformance::coverage::{self, Coverage};
use userfront_conformance::{Config, Credentials, Status, run, select};
use userfront_mock::{DEMO_TENANT, KeyType, MockUserfront, Mode};

use crate::defects::{frozen_clock, is_sign_on, replay_second_use, run_against, swap_key};
use crate::proxy::{Defect, Proxy, Req, Resp, map_tokens};

/// Generated cases per property in these short runs.
const CASES: u32 = 4;

/// A rule's defect runs against every scenario declaring the rule, and against the first of
/// those that only judged its routes up to this many in all.
const SCENARIOS_PER_RULE: usize = 6;

/// The hand-written defects of the conventions: rule and a short name.
const CONVENTIONS: &[(&str, &str)] = &[
    ("C-1", "errors without Access-Control-Allow-Origin"),
    ("C-2", "docs form accepted without a tenant"),
    ("C-3", "email stored as typed"),
    ("C-4", "mode not taken from the origin"),
    ("C-5", "read-only key allowed to write"),
    ("C-6", "another error message"),
    ("C-7", "no rate limit"),
    ("C-8", "login link usable twice"),
    ("C-9", "password rule not enforced"),
    ("C-10", "pages of 23"),
    ("C-11", "x-origin ignored"),
    ("C-12", "token signatures broken"),
    ("C-13", "no refresh token"),
    ("C-14", "code_challenge ignored"),
    ("C-15", "webhooks without the webhook key"),
    ("C-16", "updatedAt not moved by updates"),
    ("C-17", "JWKS kid changed"),
    ("C-18", "clock control ignored"),
];

/// Further defects of some conventions, beyond the first.
const EXTRA: &[(&str, &str)] = &[
    ("C-6", "a body that is not JSON read as {}"),
    ("C-16", "a User leaks its password hash"),
    ("C-3", "username stored as typed"),
    ("C-10", "string filters compare case"),
    ("C-8", "credentials expire two seconds early"),
    ("C-5", "a webhook key refused as unknown"),
    ("C-16", "a Session or Tenant leaks a secret"),
];

fn extra_defect(name: &str) -> Defect {
    match name {
        // The request body could not be read as JSON (the proxy saw text): forward `{}`.
        "a body that is not JSON read as {}" => Defect::request(|req| {
            if matches!(req.method.as_str(), "POST" | "PUT")
                && req.body.is_none()
                && req
                    .header("content-type")
                    .is_some_and(|c| c.starts_with("application/json"))
            {
                req.body = Some(json!({}));
            }
            None
        }),
        "a User leaks its password hash" => Defect::response(|_, resp| {
            if resp.body["userUuid"].is_string() && resp.body["email"].is_string() {
                resp.body["passwordHash"] = json!("$argon2id$v=19$m=19456,t=2,p=1$planted");
            }
        }),
        // Sign-up answers with the username as it was typed, not lowercased.
        "username stored as typed" => Defect::response(|req, resp| {
            if req.is("POST", "/auth/create")
                && resp.status == 200
                && let Some(name) = req.body.as_ref().and_then(|b| b["username"].as_str())
            {
                resp.body["username"] = json!(name);
            }
        }),
        // A case-sensitive string comparison: stored values are lowercase, so a value with a
        // capital letter matches nothing (made so by a suffix no value has).
        "string filters compare case" => Defect::request(|req| {
            if req.method == "POST"
                && req.route().ends_with("/users/find")
                && let Some(groups) = req
                    .body
                    .as_mut()
                    .and_then(|b| b["filters"]["filterGroups"].as_array_mut())
            {
                for filter in groups
                    .iter_mut()
                    .filter_map(|g| g["filters"].as_array_mut())
                    .flatten()
                {
                    if filter["type"] == "string"
                        && let Some(v) = filter["value"].as_str()
                        && v != v.to_lowercase()
                    {
                        filter["value"] = json!(format!("{v}#case-sensitive"));
                    }
                }
            }
            None
        }),
        // Every lifetime two seconds short: each move of the clock goes two seconds further
        // (an advance, or the instant it is set to), which only a check just inside a window
        // notices.
        "credentials expire two seconds early" => Defect::request(|req| {
            if req.is("POST", "/__mock/clock")
                && let Some(body) = req.body.as_mut()
            {
                if let Some(n) = body["advanceSeconds"].as_i64()
                    && n > 2
                {
                    body["advanceSeconds"] = json!(n + 2);
                }
                if let Some(at) = body["now"]
                    .as_str()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                {
                    body["now"] = json!((at + jiff::SignedDuration::from_secs(2)).to_string());
                }
            }
            None
        }),
        // C-5 key check 3 answered as check 2: the webhook key is refused, but as an unknown
        // key (401) rather than a key of the wrong type (403).
        "a webhook key refused as unknown" => Defect::response(|req, resp| {
            if resp.status == 403 && req.bearer().is_some_and(|k| k.contains("_webhook_")) {
                *resp = Resp::json(
                    401,
                    json!({ "statusCode": 401, "message": "Unauthorized", "error": { "type": "bad_request_error" } }),
                );
            }
        }),
        // The leak rule beyond User (SecretFreeName.json): a session carries its refresh
        // token's hash, a tenant its webhook signing secret.
        "a Session or Tenant leaks a secret" => Defect::response(|_, resp| {
            if resp.body["sessionId"].is_string() && resp.body["expiresAt"].is_string() {
                resp.body["refreshTokenHash"] = json!("sha256:planted");
            }
            if resp.body["tenantId"].is_string() && resp.body["cookieOptionsPath"].is_string() {
                resp.body["webhookSecret"] = json!("whsec_planted");
            }
        }),
        other => panic!("no defect written for {other}"),
    }
}

async fn convention_defect(rule: &str) -> Defect {
    match rule {
        "C-1" => Defect::response(|_, resp| {
            if resp.status >= 400 {
                resp.headers
                    .retain(|(n, _)| !n.eq_ignore_ascii_case("access-control-allow-origin"));
            }
        }),
        "C-2" => Defect::request(|req| {
            if req.path.starts_with("/v0/auth/")
                && let Some(body) = req.body.as_mut()
                && body.get("tenantId").is_none()
            {
                body["tenantId"] = json!(DEMO_TENANT);
            }
            None
        }),
        "C-3" => Defect::response(|req, resp| {
            if req.is("POST", "/auth/create")
                && resp.status == 200
                && let Some(email) = req.body.as_ref().and_then(|b| b["email"].as_str())
            {
                resp.body["email"] = json!(email);
            }
        }),
        "C-4" => Defect::request(|req| {
            for h in ["x-origin", "origin", "x-application-id"] {
                req.remove_header(h);
            }
            None
        }),
        "C-5" => {
            swap_key(
                (DEMO_TENANT, Mode::Test, KeyType::Readonly),
                (DEMO_TENANT, Mode::Test, KeyType::Admin),
                |_| true,
            )
            .await
        }
        "C-6" => Defect::response(|_, resp| {
            if resp.body["message"] == "Incorrect email or password" {
                resp.body["message"] = json!("Invalid credentials");
            }
        }),
        "C-7" => Defect::response(|_, resp| {
            if resp.status == 429 {
                *resp = Resp::json(200, json!({ "message": "OK" }));
            }
        }),
        "C-8" => replay_second_use(|req| {
            let token = req.body.as_ref()?.get("token")?.as_str()?;
            (req.method == "PUT" && req.route().ends_with("/auth/link")).then(|| token.to_owned())
        }),
        "C-9" => Defect::request(|req| {
            if req.is("POST", "/auth/create")
                && let Some(body) = req.body.as_mut()
                && let Some(pw) = body["password"].as_str()
                && pw.chars().count() >= 8
            {
                body["password"] = json!("a-much-Str0nger-password");
            }
            None
        }),
        "C-10" => Defect::response(|req, resp| {
            if req.route().ends_with("/users/find")
                && let Some(results) = resp.body["results"].as_array_mut()
            {
                results.truncate(23);
            }
        }),
        "C-11" => Defect::request(|req| {
            req.remove_header("x-origin");
            None
        }),
        "C-12" => Defect::response(|_, resp| {
            map_tokens(&mut resp.body, &|t| {
                let mut s = t.to_owned();
                let last = if s.ends_with('A') { 'B' } else { 'A' };
                s.pop();
                s.push(last);
                s
            });
        }),
        "C-13" => Defect::response(|req, resp| {
            if is_sign_on(req)
                && let Some(tokens) = resp.body["tokens"].as_object_mut()
            {
                tokens.remove("refresh");
            }
        }),
        "C-14" => Defect::request(|req| {
            if let Some((route, _)) = req.path.split_once("?code_challenge=") {
                req.path = route.to_owned();
            }
            None
        }),
        "C-15" => Defect::response(|req, resp| {
            if req.is("GET", "/__mock/webhooks")
                && let Some(results) = resp.body["results"].as_array_mut()
            {
                for d in results {
                    if let Some(h) = d["headers"].as_object_mut() {
                        h.retain(|k, _| !k.eq_ignore_ascii_case("authorization"));
                    }
                }
            }
        }),
        "C-16" => Defect::response(|req, resp| {
            let update = req.method == "PUT"
                && (req.route() == "/v0/self" || req.route().starts_with("/v0/users/"));
            if update && resp.status == 200 && resp.body["createdAt"].is_string() {
                resp.body["updatedAt"] = resp.body["createdAt"].clone();
            }
        }),
        "C-17" => Defect::response(|req, resp| {
            if req.route().ends_with("/jwks")
                && let Some(keys) = resp.body["keys"].as_array_mut()
            {
                for k in keys {
                    k["kid"] = json!("planted-kid");
                }
            }
        }),
        "C-18" => frozen_clock(),
        other => panic!("no defect written for {other}"),
    }
}

/// Changes every string and number of a success body (two levels deep), so that any
/// assertion of a value of it fails.
fn mangle(value: &mut Value, depth: usize) -> bool {
    let mut changed = false;
    match value {
        Value::String(s) => {
            s.push_str("-planted");
            changed = true;
        }
        Value::Number(n) => {
            *value = json!(n.as_i64().unwrap_or(0) + 7);
            changed = true;
        }
        Value::Bool(b) => {
            *b = !*b;
            changed = true;
        }
        Value::Object(map) if depth > 0 => {
            for v in map.values_mut() {
                changed |= mangle(v, depth - 1);
            }
        }
        Value::Array(items) if depth > 0 => {
            for v in items.iter_mut().take(3) {
                changed |= mangle(v, depth - 1);
            }
        }
        _ => {}
    }
    changed
}

/// The generated defect of an endpoint rule: the successes of its routes are mangled.
fn endpoint_defect(labels: Vec<String>) -> Defect {
    Defect::response(move |req: &Req, resp: &mut Resp| {
        let Some(route) = userfront_conformance::routes::find(&req.method, req.route()) else {
            return;
        };
        if !labels.contains(&route.label()) {
            return;
        }
        match resp.status {
            // An HTML page (the SAML pages) loses its form.
            200 if resp.body.is_string() => {
                resp.body = json!("<html><body>planted</body></html>");
            }
            // A body with nothing to change is replaced.
            200 if !mangle(&mut resp.body, 3) => {
                *resp = Resp::json(200, json!({ "planted": true }));
            }
            302 => {
                for (n, v) in resp.headers.iter_mut() {
                    if n.eq_ignore_ascii_case("location") {
                        *v = "https://planted.invalid/".into();
                    }
                }
            }
            _ => {}
        }
    })
}

/// The routes each endpoint rule documents (`section` of `operations.json`), by label.
fn routes_by_rule() -> BTreeMap<String, Vec<String>> {
    let ops: Value =
        serde_json::from_str(userfront_contract::OPERATIONS_JSON).expect("operations.json");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for op in ops["operations"].as_array().expect("operations") {
        if let (Some(m), Some(p), Some(s)) = (
            op["method"].as_str(),
            op["path"].as_str(),
            op["section"].as_str(),
        ) {
            out.entry(s.to_owned())
                .or_default()
                .push(format!("{} {p}", m.to_uppercase()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_has_a_planted_defect_and_all_are_caught() {
    let clean = run_against(None, CASES).await;
    assert!(
        clean.success(),
        "the clean run fails: {:?}: {:#?}",
        clean.summary(),
        clean
            .results
            .iter()
            .filter(|r| r.status == Status::Failed)
            .map(|r| (&r.name, &r.message))
            .collect::<Vec<_>>()
    );
    let coverage = Coverage::compute(&clean.observed);
    let checking: BTreeMap<String, Vec<String>> = coverage
        .rules
        .iter()
        .map(|l| {
            let id = l.item.split(' ').next().unwrap_or("").to_owned();
            (id, l.by.clone())
        })
        .collect();
    let endpoints = routes_by_rule();
    let declaring: BTreeMap<String, Vec<String>> = select(&Config::default())
        .into_iter()
        .map(|s| {
            let rules = s
                .checks
                .iter()
                .map(|c| coverage::rule_of(c).to_owned())
                .collect();
            (s.name.to_owned(), rules)
        })
        .collect();
    let mut planted = 0;
    let mut missed = Vec::new();
    let mut jobs = tokio::task::JoinSet::new();
    for rule in coverage::rules() {
        let mut defects: Vec<(String, Defect)> = Vec::new();
        if rule.id.starts_with("C-") {
            let name = CONVENTIONS
                .iter()
                .find(|(r, _)| *r == rule.id)
                .map(|(_, n)| n.to_string())
                .unwrap_or_else(|| panic!("no planted defect for {}", rule.id));
            defects.push((name, convention_defect(&rule.id).await));
            for (_, name) in EXTRA.iter().filter(|(r, _)| *r == rule.id) {
                defects.push((name.to_string(), extra_defect(name)));
            }
        } else {
            let labels = endpoints
                .get(&rule.id)
                .cloned()
                .unwrap_or_else(|| panic!("{} documents no route", rule.id));
            defects.push((
                format!("answers of {} changed", labels.join(", ")),
                endpoint_defect(labels),
            ));
        }
        for (name, defect) in defects {
            planted += 1;
            // Every declaring scenario runs; the others fill up to SCENARIOS_PER_RULE.
            let (mut scenarios, others): (Vec<String>, Vec<String>) = checking
                .get(&rule.id)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .partition(|name| declaring.get(name).is_some_and(|c| c.contains(&rule.id)));
            let room = SCENARIOS_PER_RULE.saturating_sub(scenarios.len());
            scenarios.extend(others.into_iter().take(room));
            if scenarios.is_empty() {
                missed.push(format!("{} ({name}): no scenario checks the rule", rule.id));
                continue;
            }
            // Up to four defects at once, each against its own mock.
            while jobs.len() >= 4 {
                if let Some(done) = jobs.join_next().await
                    && let Some(miss) = done.expect("a defect run panicked")
                {
                    missed.push(miss);
                }
            }
            let label = format!("{} ({name})", rule.id);
            jobs.spawn(async move {
                let mock = MockUserfront::start().await.expect("mock starts");
                let proxy = Proxy::start(mock.base_url(), defect).await;
                let config = Config {
                    target: Some(proxy.url.clone()),
                    credentials: Credentials::default(),
                    seed: Some(20_240_515),
                    cases: CASES,
                    filters: scenarios.clone(),
                    ..Config::default()
                };
                let report = run(config, &mut |_, _, _| {})
                    .await
                    .expect("the run starts");
                (!report.results.iter().any(|r| r.status == Status::Failed))
                    .then(|| format!("{label}: not caught by {}", scenarios.join(", ")))
            });
        }
    }
    while let Some(done) = jobs.join_next().await {
        if let Some(miss) = done.expect("a defect run panicked") {
            missed.push(miss);
        }
    }
    let caught = planted - missed.len();
    println!("mutation score: {caught}/{planted} planted defects caught");
    assert_eq!(
        planted,
        coverage::rules().len() + EXTRA.len(),
        "one defect per rule, plus the extras"
    );
    assert!(
        missed.is_empty(),
        "score {caught}/{planted}; missed:\n{}",
        missed.join("\n")
    );
}
