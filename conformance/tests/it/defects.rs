//! Proof of power: the runner against the mock, with one deliberately injected defect at a
//! time (a tampering reverse proxy between runner and mock), must report the defect; against
//! the unmodified mock it must report nothing.

use crate::proxy;

use std::collections::BTreeSet;

use jsonwebtoken::{EncodingKey, Header, encode};
use proxy::{Defect, Proxy, Req, Resp, map_tokens};
use serde_json::{Value, json};
use userfront_conformance::{Config, Credentials, Report, Status, run};
use userfront_mock::{DEMO_TENANT, KeyType, MockUserfront, Mode, OTHER_TENANT};

/// Generated cases per property in these runs (fewer than the default: there are many runs).
const CASES: u32 = 8;

pub(crate) async fn run_against(url: Option<String>, cases: u32) -> Report {
    let config = Config {
        target: url,
        credentials: Credentials::default(),
        seed: Some(20_240_515),
        cases,
        ..Config::default()
    };
    run(config, &mut |_, _, _| {})
        .await
        .expect("the run starts")
}

pub(crate) fn failed(report: &Report) -> BTreeSet<String> {
    report
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .map(|r| r.name.clone())
        .collect()
}

/// Runs the whole suite through a proxy injecting `defect`; asserts every scenario of
/// `expected` failed.
async fn assert_caught(defect: Defect, expected: &[&str]) -> Report {
    assert_caught_with(defect, expected, CASES).await
}

async fn assert_caught_with(defect: Defect, expected: &[&str], cases: u32) -> Report {
    let mock = MockUserfront::start().await.expect("mock starts");
    let proxy = Proxy::start(mock.base_url(), defect).await;
    let report = run_against(Some(proxy.url.clone()), cases).await;
    let failed = failed(&report);
    assert!(!failed.is_empty(), "the defect went unnoticed");
    for name in expected {
        assert!(
            failed.contains(*name),
            "{name} did not catch the defect; failed: {failed:?}"
        );
    }
    report
}

/// The mock never learns that time moved: clock changes are answered but not forwarded.
pub(crate) fn frozen_clock() -> Defect {
    Defect::request(|req| {
        req.is("POST", "/__mock/clock")
            .then(|| Resp::json(200, json!({ "now": "2030-01-01T00:00:00.000Z" })))
    })
}

/// A fixture API key of the mock: workspace, mode and type.
pub(crate) type FixtureKey = (&'static str, Mode, KeyType);

/// Requests made with the fixture key `from` (and selected by `only`) are sent with the fixture
/// key `to` instead. The keys are read from a fresh mock: fixtures are the same in every one.
pub(crate) async fn swap_key(from: FixtureKey, to: FixtureKey, only: fn(&Req) -> bool) -> Defect {
    let mock = MockUserfront::start().await.expect("mock");
    let key =
        |(tenant, mode, kind): FixtureKey| mock.api_key(tenant, mode, kind).expect("seeded key");
    let (from, to) = (key(from), key(to));
    Defect::request(move |req| {
        if req.bearer() == Some(from.as_str()) && only(req) {
            req.set_header("authorization", format!("Bearer {to}"));
        }
        None
    })
}

/// Credentials that work twice: the first successful answer to a request selected by `key` is
/// remembered and replayed for the same key instead of asking the mock again.
pub(crate) fn replay_second_use(key: fn(&Req) -> Option<String>) -> Defect {
    let seen: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Resp>>> =
        std::sync::Arc::default();
    let remember = seen.clone();
    Defect::request(move |req| {
        let k = key(req)?;
        seen.lock().ok()?.get(&k).cloned()
    })
    .and_response(move |req, resp| {
        if resp.status == 200
            && let Some(k) = key(req)
            && let Ok(mut map) = remember.lock()
        {
            map.insert(k, resp.clone());
        }
    })
}

pub(crate) fn is_sign_on(req: &Req) -> bool {
    req.method == "POST"
        && (req.route().ends_with("/auth/create") || req.route().ends_with("/auth/basic"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unmodified_mock_passes_everything() {
    let report = run_against(None, userfront_conformance::DEFAULT_CASES).await;
    let failures: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .map(|r| format!("{}: {}", r.name, r.message.clone().unwrap_or_default()))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        report.count(Status::Skipped),
        0,
        "the mock offers everything"
    );
    assert!(
        report.uncovered_routes.is_empty(),
        "every row of endpoints.tsv is exercised; not: {:?}",
        report.uncovered_routes
    );
    assert!(
        report.cleanup_leftovers.is_empty(),
        "{:?}",
        report.cleanup_leftovers
    );
    assert!(report.count(Status::Passed) > 30);
    assert!(report.summary().starts_with(&format!(
        "{} passed, 0 failed",
        report.count(Status::Passed)
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transparent_proxy_changes_nothing() {
    let mock = MockUserfront::start().await.expect("mock starts");
    let proxy = Proxy::start(mock.base_url(), Defect::none()).await;
    let report = run_against(Some(proxy.url.clone()), CASES).await;
    assert!(report.success(), "{:#?}", failed(&report));
    assert!(report.mock_controls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_refresh_token_is_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if is_sign_on(req)
                && let Some(tokens) = resp.body["tokens"].as_object_mut()
            {
                tokens.remove("refresh");
            }
        }),
        &[
            "auth.create.signs_up_and_lowercases_email",
            "auth.basic.logs_in_by_email_or_username",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_201_for_a_creation_is_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if req.is("POST", "/auth/create") && resp.status == 200 {
                resp.status = 201;
            }
        }),
        &["auth.create.signs_up_and_lowercases_email"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlowered_email_is_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if req.is("POST", "/auth/create")
                && resp.status == 200
                && let Some(email) = req.body.as_ref().and_then(|b| b["email"].as_str())
            {
                resp.body["email"] = json!(email);
            }
        }),
        &[
            "auth.create.signs_up_and_lowercases_email",
            "auth.property.email_case",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_signature_is_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            map_tokens(&mut resp.body, &|t| {
                let mut s = t.to_owned();
                let last = if s.ends_with('A') { 'B' } else { 'A' };
                s.pop();
                s.push(last);
                s
            });
        }),
        &[
            "auth.create.signs_up_and_lowercases_email",
            "session.refresh.issues_new_access_and_id_tokens",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_token_is_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            map_tokens(&mut resp.body, &|t| {
                let payload = t.split('.').nth(1).unwrap_or("");
                format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")
            });
        }),
        &["auth.create.signs_up_and_lowercases_email"],
    )
    .await;
}

/// Re-signs access tokens with the real key of the mode, but with a wrong `mode` claim: the
/// signature is valid, the claim is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_mode_claim_is_caught() {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/keys/demo1234-test.pem"
    ))
    .expect("fixture key");
    let key = EncodingKey::from_rsa_pem(&pem).expect("RSA key");
    assert_caught(
        Defect::response(move |req, resp| {
            if !is_sign_on(req) {
                return;
            }
            let Some(access) = resp.body["tokens"]["access"]["value"].as_str() else {
                return;
            };
            let header = jsonwebtoken::decode_header(access).expect("header");
            let mut claims: Value =
                serde_json::from_slice(&base64_decode(access.split('.').nth(1).unwrap_or("")))
                    .expect("claims");
            if claims["mode"] != "test" {
                return;
            }
            claims["mode"] = json!("live");
            let mut new_header = Header::new(jsonwebtoken::Algorithm::RS256);
            new_header.kid = header.kid;
            resp.body["tokens"]["access"]["value"] =
                json!(encode(&new_header, &claims, &key).expect("sign"));
        }),
        &[
            "auth.create.signs_up_and_lowercases_email",
            "auth.basic.logs_in_by_email_or_username",
        ],
    )
    .await;
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_error_message_is_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            if resp.body["message"] == "Incorrect email or password" {
                resp.body["message"] = json!("Invalid credentials");
            }
        }),
        &[
            "auth.basic.refusals",
            "auth.basic.pools_do_not_cross_tenants",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_error_type_is_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            if resp.status >= 400
                && let Some(error) = resp.body["error"].as_object_mut()
            {
                error.remove("type");
            }
        }),
        &[
            "auth.basic.refusals",
            "auth.create.validation_errors",
            "self.auth.refuses_bad_tokens",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_status_code_mismatch_is_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            if resp.status == 404 {
                resp.body["statusCode"] = json!(400);
            }
        }),
        &["auth.create.unknown_tenant"],
    )
    .await;
}

/// The mock never learns that time moved: an expired token keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_accepted_is_caught() {
    assert_caught(frozen_clock(), &["session.tokens.expire_on_the_clock"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_tenant_access_is_caught() {
    assert_caught(
        Defect::request(|req| {
            let from = format!("/v0/tenants/{OTHER_TENANT}/");
            if req.path.starts_with(&from) {
                req.path = req
                    .path
                    .replacen(&from, &format!("/v0/tenants/{DEMO_TENANT}/"), 1);
            }
            None
        }),
        &["auth.basic.pools_do_not_cross_tenants"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_that_ends_nothing_is_caught() {
    assert_caught(
        Defect::request(|req| {
            req.is("GET", "/v0/auth/logout").then(|| {
                Resp::json(
                    200,
                    json!({ "message": "OK", "redirectTo": "http://localhost:3000/login" }),
                )
            })
        }),
        &["session.logout.ends_the_session"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_all_ending_one_session_is_caught() {
    assert_caught(
        Defect::request(|req| {
            if req.is("GET", "/v0/auth/logout/all") {
                req.path = "/v0/auth/logout".into();
            }
            None
        }),
        &["session.logout_all.ends_every_session"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_the_origin_is_caught() {
    assert_caught(
        Defect::request(|req| {
            for h in ["x-origin", "origin", "x-application-id"] {
                req.remove_header(h);
            }
            None
        }),
        &[
            "misc.mode.detects_live_origins",
            "auth.create.live_mode_from_origin",
        ],
    )
    .await;
}

/// A live key reads with the test key: test data leaks into live answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_key_reading_test_data_is_caught() {
    assert_caught(
        swap_key(
            (DEMO_TENANT, Mode::Live, KeyType::Admin),
            (DEMO_TENANT, Mode::Test, KeyType::Admin),
            |_| true,
        )
        .await,
        &["jwt.keys.key_alias_uses_the_key_mode"],
    )
    .await;
}

/// A length-only password rule: every password of 8+ characters is swapped for a strong one
/// before it reaches the mock, so sign-up accepts them; the property shrinks to a minimal one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lax_password_rule_is_caught_and_shrunk() {
    let report = assert_caught(
        Defect::request(|req| {
            if req.is("POST", "/auth/create")
                && let Some(body) = req.body.as_mut()
                && let Some(pw) = body["password"].as_str()
                && pw.chars().count() >= 8
            {
                body["password"] = json!("a-much-Str0nger-password");
            }
            None
        }),
        &["auth.property.password_rules"],
    )
    .await;
    let result = report
        .results
        .iter()
        .find(|r| r.name == "auth.property.password_rules")
        .expect("ran");
    let message = result.message.as_deref().unwrap_or("");
    assert!(message.contains("minimal input"), "{message}");
    // The replay is the minimal case only: a sign-up and the login that shows the defect.
    assert!(
        !result.exchanges.is_empty() && result.exchanges.len() <= 3,
        "{:#?}",
        result.exchanges
    );
    // The replay is a script; its first request is the sign-up.
    let replay = result.replay();
    assert!(
        replay
            .lines()
            .find(|l| l.starts_with("curl "))
            .is_some_and(|l| l.contains(" -X POST ")),
        "{replay}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_sensitive_login_is_caught() {
    assert_caught(
        Defect::request(|req| {
            let upper = req
                .body
                .as_ref()
                .and_then(|b| b["emailOrUsername"].as_str())
                .is_some_and(|s| s.chars().any(|c| c.is_ascii_uppercase()));
            (req.is("POST", "/auth/basic") && upper).then(|| {
                Resp::json(400, json!({ "statusCode": 400, "message": "Incorrect email or password", "error": { "type": "bad_request_error" } }))
            })
        }),
        &["auth.basic.logs_in_by_email_or_username", "auth.property.email_case"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_in_test_mode_are_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            if resp.body["mode"] == "test"
                && let Some(tokens) = resp.body["tokens"].as_object_mut()
            {
                for token in tokens.values_mut() {
                    token["cookieOptions"]["secure"] = json!(true);
                }
            }
        }),
        &["auth.create.signs_up_and_lowercases_email"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_refresh_token_is_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if req.is("GET", "/v0/auth/refresh") && resp.status == 200 {
                let access = resp.body["tokens"]["access"].clone();
                resp.body["tokens"]["refresh"] = access;
            }
        }),
        &["session.refresh.issues_new_access_and_id_tokens"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_with_the_wrong_mode_keys_is_caught() {
    assert_caught(
        Defect::request(|req| {
            if req.route().ends_with("/jwks") {
                req.path = req.route().to_owned();
            }
            None
        }),
        &[
            "auth.create.signs_up_and_lowercases_email",
            "jwt.keys.listing_matches_jwks",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_out_of_order_are_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if req.is("GET", "/v0/auth/sessions")
                && let Some(results) = resp.body["results"].as_array_mut()
            {
                results.reverse();
            }
        }),
        &["session.read.current_and_list"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docs_form_without_tenant_accepted_is_caught() {
    assert_caught(
        Defect::request(|req| {
            if req.path.starts_with("/v0/auth/")
                && let Some(body) = req.body.as_mut()
                && body.get("tenantId").is_none()
            {
                body["tenantId"] = json!(DEMO_TENANT);
            }
            None
        }),
        &["auth.create.docs_form_and_path_precedence"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_public_key_listing_is_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if req.route().ends_with("/keys/jwt") {
                resp.body["results"][0]["publicKeyBase64"] = json!("bm90IHRoZSBrZXk=");
            }
        }),
        &["jwt.keys.listing_matches_jwks"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_route_answered_200_is_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            if resp.status == 404 && resp.body["message"] == "Not Found" {
                *resp = Resp::json(200, json!({}));
            }
        }),
        &[
            "auth.create.unknown_tenant",
            "misc.mode.test_without_live_origin",
        ],
    )
    .await;
}

/// `PUT /v0/self` answers as if `data` were replaced instead of merged; the stateful sequence
/// shrinks to the shortest series of operations that shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_instead_of_merged_data_is_caught_as_a_short_sequence() {
    let report = assert_caught_with(
        Defect::response(|req, resp| {
            if req.is("PUT", "/v0/self")
                && resp.status == 200
                && let Some(data) = req.body.as_ref().and_then(|b| b.get("data"))
            {
                resp.body["data"] = data.clone();
            }
        }),
        &[
            "self.update.edits_only_editable_fields",
            "auth.property.sequences",
        ],
        userfront_conformance::DEFAULT_CASES,
    )
    .await;
    let result = report
        .results
        .iter()
        .find(|r| r.name == "auth.property.sequences")
        .expect("ran");
    let message = result.message.as_deref().unwrap_or("");
    // Shortest failing series: sign up, merge one key, merge another.
    assert_eq!(message.matches("Merge {\n").count(), 2, "{message}");
    assert_eq!(message.matches("Signup {\n").count(), 1, "{message}");
    // The replay: the scenario's set-up (its role) and the three requests of the minimal case.
    assert_eq!(result.exchanges.len(), 4, "{}", result.replay());
    assert!(
        result.exchanges[0].url.ends_with("/v0/roles"),
        "{}",
        result.replay()
    );
}

/// A link that can be used twice: the proxy remembers the first successful answer to
/// `PUT /auth/link` for a token and replays it on the second use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reusable_link_is_caught() {
    assert_caught(
        replay_second_use(|req| {
            let token = req.body.as_ref()?.get("token")?.as_str()?;
            (req.method == "PUT" && req.route().ends_with("/auth/link")).then(|| token.to_owned())
        }),
        &[
            "auth.link.passwordless_signup_is_single_use",
            "auth.link.generated_credentials",
        ],
    )
    .await;
}

/// The mock never learns that time moved: an expired link is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_accepted_is_caught() {
    assert_caught(frozen_clock(), &["auth.link.expires_after_an_hour"]).await;
}

/// A read-only key allowed to write: the proxy swaps it for the admin key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readonly_key_allowed_to_write_is_caught() {
    assert_caught(
        swap_key(
            (DEMO_TENANT, Mode::Test, KeyType::Readonly),
            (DEMO_TENANT, Mode::Test, KeyType::Admin),
            |_| true,
        )
        .await,
        &[
            "keys.credentials.checked_in_documented_order",
            "auth.link.generated_credentials",
        ],
    )
    .await;
}

/// No rate limit: a 429 is turned into the answer a sent message would get.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_rate_limit_is_caught() {
    assert_caught(
        Defect::response(|_, resp| {
            if resp.status == 429 {
                *resp = Resp::json(200, json!({ "message": "OK", "result": { "link": "http://localhost:3000/login?uuid=x&token=y" } }));
            }
        }),
        &["auth.rate_limit.duplicate_within_two_seconds", "auth.rate_limit.spam_limit_for_unconfirmed"],
    )
    .await;
}

/// Roles set but not reflected in refreshed tokens: the proxy re-signs nothing, it just
/// answers a role change without forwarding it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_that_is_not_stored_is_caught() {
    assert_caught(
        Defect::request(|req| {
            (req.method == "PUT" && req.route().ends_with("/roles") && req.route().contains("/users/"))
                .then(|| Resp::json(400, json!({ "statusCode": 400, "message": "Role \"x\" not found", "error": { "type": "bad_request_error" } })))
        }),
        &["roles.assignments_show_in_tokens"],
    )
    .await;
}

/// An import whose password is not masked in the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmasked_import_password_is_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if req.is("POST", "/v0/user-import")
                && let (Some(users), Some(sent)) = (
                    resp.body["users"].as_array_mut(),
                    req.body.as_ref().and_then(|b| b["users"].as_array()),
                )
            {
                for (u, s) in users.iter_mut().zip(sent) {
                    if let Some(pw) = s.get("password") {
                        u["password"] = pw.clone();
                    }
                }
            }
        }),
        &["imports.create_process_read_delete"],
    )
    .await;
}

/// PKCE ignored: the proxy drops `code_challenge`, so tokens come back at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_code_challenge_is_caught() {
    assert_caught(
        Defect::request(|req| {
            if let Some((route, _)) = req.path.split_once("?code_challenge=") {
                req.path = route.to_owned();
            }
            None
        }),
        &["mfa.pkce.exchange_with_verifier"],
    )
    .await;
}

/// A verification code that works twice: the proxy replays the first success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reusable_verification_code_is_caught() {
    assert_caught(
        replay_second_use(|req| {
            let body = req.body.as_ref()?;
            (req.method == "PUT" && req.route().ends_with("/auth/code"))
                .then(|| format!("{}{}", body["phoneNumber"], body["verificationCode"]))
        }),
        &["mfa.code.sms_signup_and_login"],
    )
    .await;
}

/// A wrong page size: search pages are cut to 23 results.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_23_is_caught() {
    assert_caught(
        Defect::response(|req, resp| {
            if req.route().ends_with("/users/find")
                && let Some(results) = resp.body["results"].as_array_mut()
            {
                results.truncate(23);
            }
        }),
        &["users.search.pages_of_24"],
    )
    .await;
}

/// A leaked live record: a live-key read of a user is answered with the test data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_live_user_read_is_caught() {
    assert_caught(
        swap_key(
            (DEMO_TENANT, Mode::Live, KeyType::Admin),
            (DEMO_TENANT, Mode::Test, KeyType::Admin),
            |req| req.method == "GET" && req.route().starts_with("/v0/users/"),
        )
        .await,
        &["users.modes.are_isolated"],
    )
    .await;
}

/// Search treats "does not contain" as "contains"; the filter property shrinks to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_filter_comparison_is_caught() {
    assert_caught(
        Defect::request(|req| {
            if req.route().ends_with("/users/find")
                && let Some(body) = req.body.as_mut()
            {
                let text = body
                    .to_string()
                    .replace("\"does not contain\"", "\"contains\"");
                *body = serde_json::from_str(&text).expect("JSON");
            }
            None
        }),
        &["users.property.search_filters"],
    )
    .await;
}

/// A delete that deletes nothing: the user keeps signing in and shows up in searches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_keeps_the_user_is_caught() {
    assert_caught_with(
        Defect::request(|req| {
            if req.method == "DELETE" && req.route().starts_with("/v0/users/") {
                req.method = "GET".into();
            }
            None
        }),
        &[
            "users.crud.create_read_update_delete",
            "auth.property.sequences",
        ],
        userfront_conformance::DEFAULT_CASES,
    )
    .await;
}

/// Another workspace's key reads our users: the proxy swaps it for our admin key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_tenant_user_access_is_caught() {
    assert_caught(
        swap_key(
            (OTHER_TENANT, Mode::Test, KeyType::Admin),
            (DEMO_TENANT, Mode::Test, KeyType::Admin),
            |req| req.route().contains("/users"),
        )
        .await,
        &["users.tenants.pools_are_isolated"],
    )
    .await;
}
