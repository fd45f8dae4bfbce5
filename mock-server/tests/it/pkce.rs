//! PKCE (C-13.3, C-14.2, CS-20): a `code_challenge` on a sign-on withholds the tokens; the
//! authorization code is exchanged once, within 5 minutes, with the right verifier.

use crate::common;

use common::{Harness, LIVE_ORIGIN, Method, access};
use serde_json::{Value, json};
use userfront_mock::state::signon::s256_challenge;
use userfront_mock::{DEMO_TENANT, Mode, TEST_PASSWORD};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const EXCHANGE: &str = "/v0/tenants/demo1234/auth/pkce";

/// Logs the member in with a code challenge; returns the "PKCE required" body.
async fn pkce_login(h: &Harness, query: &str) -> Value {
    h.post(&format!("/v0/tenants/demo1234/auth/basic?{query}"))
        .json(json!({"emailOrUsername": "member@example.com", "password": TEST_PASSWORD}))
        .send()
        .await
        .ok()
}

fn s256_query() -> String {
    format!("code_challenge={}", s256_challenge(VERIFIER))
}

#[tokio::test]
async fn a_challenge_withholds_the_tokens_until_the_exchange() {
    let h = Harness::start().await;
    let pending = pkce_login(&h, &s256_query()).await;
    assert_eq!(pending["message"], "PKCE required");
    assert_eq!(pending["mode"], "test");
    assert_eq!(pending["redirectTo"], "http://localhost:3000/dashboard");
    assert!(pending.get("tokens").is_none());
    let code = pending["authorizationCode"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&code).is_ok());

    let done = h
        .post(EXCHANGE)
        .json(json!({"authorizationCode": code, "codeVerifier": VERIFIER}))
        .send()
        .await
        .ok();
    assert_eq!(done["message"], "OK");
    assert_eq!(done["userId"], 2);
    let claims = h.verified_claims(&access(&done), Mode::Test).await;
    assert_eq!(claims["sessionId"], done["sessionId"]);
    h.get_as(&access(&done), "/v0/self").await;

    // Replaying the authorization code is refused.
    h.post(EXCHANGE)
        .json(json!({"authorizationCode": code, "codeVerifier": VERIFIER}))
        .send()
        .await
        .err(400, "Invalid token");
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_without_using_the_code() {
    let h = Harness::start().await;
    let code = pkce_login(&h, &s256_query()).await["authorizationCode"].clone();
    h.post(EXCHANGE)
        .json(json!({"authorizationCode": code, "codeVerifier": "not-the-verifier"}))
        .send()
        .await
        .err(400, "Invalid code verifier");
    // The challenge itself is not the verifier.
    h.post(EXCHANGE)
        .json(json!({"authorizationCode": code, "codeVerifier": s256_challenge(VERIFIER)}))
        .send()
        .await
        .err(400, "Invalid code verifier");
    // The snake_case spellings work too.
    h.post(EXCHANGE)
        .json(json!({"authorization_code": code, "code_verifier": VERIFIER}))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn codes_expire_after_five_minutes() {
    let h = Harness::start().await;
    let code = pkce_login(&h, &s256_query()).await["authorizationCode"].clone();
    h.advance(299).await;
    let code2 = pkce_login(&h, &s256_query()).await["authorizationCode"].clone();
    h.post(EXCHANGE)
        .json(json!({"authorizationCode": code, "codeVerifier": VERIFIER}))
        .send()
        .await
        .ok();
    h.advance(301).await;
    h.post(EXCHANGE)
        .json(json!({"authorizationCode": code2, "codeVerifier": VERIFIER}))
        .send()
        .await
        .err(400, "Token expired");
}

#[tokio::test]
async fn plain_challenges_compare_directly() {
    let h = Harness::start().await;
    let pending = pkce_login(
        &h,
        "code_challenge=plain-verifier&code_challenge_method=plain",
    )
    .await;
    let code = &pending["authorizationCode"];
    h.post(EXCHANGE)
        .json(json!({"authorizationCode": code, "codeVerifier": s256_challenge("plain-verifier")}))
        .send()
        .await
        .err(400, "Invalid code verifier");
    h.post(EXCHANGE)
        .json(json!({"authorizationCode": code, "codeVerifier": "plain-verifier"}))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn the_tenants_pkce_redirect_uri_is_used() {
    let h = Harness::start().await;
    h.settings(
        DEMO_TENANT,
        json!({"pkceLoginRedirectUri": "my-app:/login"}),
    )
    .await;
    let pending = pkce_login(&h, &s256_query()).await;
    assert_eq!(pending["redirectTo"], "my-app:/login");
}

#[tokio::test]
async fn every_sign_on_endpoint_honours_the_challenge() {
    let h = Harness::start().await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/code")
        .json(json!({"channel": "email", "email": "viewer@example.com"}))
        .send()
        .await
        .ok();
    let pending = h
        .put(&format!("/v0/tenants/demo1234/auth/code?{}", s256_query()))
        .json(json!({"channel": "email", "email": "viewer@example.com",
                     "verificationCode": sent["result"]["verificationCode"]}))
        .send()
        .await
        .ok();
    assert_eq!(pending["message"], "PKCE required");
    let done = h
        .post("/v0/auth/pkce")
        .json(
            json!({"tenantId": DEMO_TENANT, "authorizationCode": pending["authorizationCode"],
                     "codeVerifier": VERIFIER}),
        )
        .send()
        .await
        .ok();
    assert_eq!(done["userId"], 3);
}

#[tokio::test]
async fn a_live_code_is_exchanged_without_an_origin() {
    let h = Harness::start().await;
    h.live_signup("native@example.com", "correct-horse-battery-9")
        .await;
    let pending = h
        .post(&format!("/v0/tenants/demo1234/auth/basic?{}", s256_query()))
        .origin(LIVE_ORIGIN)
        .json(
            json!({"emailOrUsername": "native@example.com", "password": "correct-horse-battery-9"}),
        )
        .send()
        .await
        .ok();
    assert_eq!(pending["mode"], "live");
    let done = h
        .post(EXCHANGE)
        .json(json!({"authorizationCode": pending["authorizationCode"], "codeVerifier": VERIFIER}))
        .send()
        .await
        .ok();
    assert_eq!(done["mode"], "live");
    assert_eq!(done["email"], "native@example.com");
}

#[tokio::test]
async fn exchange_refusals() {
    let h = Harness::start().await;
    h.refusals(
        Method::POST,
        &[
            (
                EXCHANGE,
                json!({"codeVerifier": VERIFIER}),
                400,
                "\"authorizationCode\" is required",
            ),
            (
                EXCHANGE,
                json!({"authorizationCode": "x"}),
                400,
                "\"codeVerifier\" is required",
            ),
            (
                EXCHANGE,
                json!({"authorizationCode": "not-a-code", "codeVerifier": VERIFIER}),
                400,
                "Invalid token",
            ),
            (
                "/v0/auth/pkce",
                json!({"authorizationCode": "x", "codeVerifier": VERIFIER}),
                400,
                "\"tenantId\" is required",
            ),
        ],
    )
    .await;
    // A code of one workspace is unknown to another.
    let code = pkce_login(&h, &s256_query()).await["authorizationCode"].clone();
    h.post("/v0/tenants/abcd9876/auth/pkce")
        .json(json!({"authorizationCode": code, "codeVerifier": VERIFIER}))
        .send()
        .await
        .err(400, "Invalid token");
}
