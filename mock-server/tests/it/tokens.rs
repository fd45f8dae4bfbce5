//! Tokens issued by the mock verify with a standard JWT library against the mock's JWKS.

use crate::common;

use common::{Harness, Method, jwks_refusals};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde_json::Value;
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD};

async fn jwks(h: &Harness, test: bool) -> JwkSet {
    let q = if test { "?test=true" } else { "" };
    let body = h
        .get(&format!("/v0/tenants/{DEMO_TENANT}/jwks{q}"))
        .send()
        .await
        .ok();
    serde_json::from_value(body).expect("a JWKS")
}

fn verify(token: &str, set: &JwkSet) -> Result<Value, jsonwebtoken::errors::Error> {
    let kid = decode_header(token)?.kid.expect("kid header");
    let jwk = set
        .find(&kid)
        .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    decode::<Value>(token, &key, &validation).map(|d| d.claims)
}

#[tokio::test]
async fn access_id_and_refresh_tokens_verify_against_the_test_jwks() {
    let h = Harness::start().await;
    let body = h.login("member@example.com", TEST_PASSWORD).await;
    let set = jwks(&h, true).await;
    let access = verify(body["tokens"]["access"]["value"].as_str().unwrap(), &set).unwrap();
    assert_eq!(access["mode"], "test");
    assert_eq!(access["tenantId"], DEMO_TENANT);
    assert_eq!(access["userId"], 2);
    assert_eq!(access["authorization"][DEMO_TENANT]["roles"][0], "member");
    assert_eq!(access["sessionId"], body["sessionId"]);
    assert_eq!(
        access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(),
        604_800
    );
    let id = verify(body["tokens"]["id"]["value"].as_str().unwrap(), &set).unwrap();
    assert_eq!(id["email"], "member@example.com");
    let refresh = verify(body["tokens"]["refresh"]["value"].as_str().unwrap(), &set).unwrap();
    assert_eq!(refresh["type"], "refresh");
    assert_eq!(
        refresh["exp"].as_i64().unwrap() - refresh["iat"].as_i64().unwrap(),
        2_592_000
    );
}

#[tokio::test]
async fn test_tokens_do_not_verify_against_the_live_keys() {
    let h = Harness::start().await;
    let token = h.access_token("admin@example.com").await;
    let live = jwks(&h, false).await;
    assert!(
        verify(&token, &live).is_err(),
        "live JWKS must not hold the test key"
    );
}

#[tokio::test]
async fn public_key_listing_matches_the_jwks() {
    let h = Harness::start().await;
    let listing = h
        .get(&format!("/v0/tenants/{DEMO_TENANT}/keys/jwt?test=true"))
        .send()
        .await
        .ok();
    let key = &listing["results"][0];
    assert_eq!(listing["totalCount"], 1);
    assert_eq!(key["mode"], "test");
    let pem = key["publicKey"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN RSA PUBLIC KEY-----\n"));
    // The PEM verifies tokens just like the JWKS entry.
    let token = h.access_token("admin@example.com").await;
    let decoding = DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    assert!(decode::<Value>(&token, &decoding, &validation).is_ok());
    let set = jwks(&h, true).await;
    assert_eq!(set.keys[0].common.key_id.as_deref(), key["kid"].as_str());
    // Legacy per-mode path and unknown tenants.
    h.get(&format!("/v0/tenants/{DEMO_TENANT}/jwks/test"))
        .send()
        .await
        .ok();
    h.refusals(Method::GET, &jwks_refusals()).await;
}

#[tokio::test]
async fn forged_and_foreign_tokens_are_refused() {
    let h = Harness::start().await;
    let token = h.access_token("viewer@example.com").await;
    // Swap the payload for one claiming another user: the signature no longer matches.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    claims["userId"] = 1.into();
    parts[1] = engine.encode(claims.to_string());
    let forged = parts.join(".");
    h.get_refused(&forged, "/v0/self", 401, "Unauthorized")
        .await;
    h.get_refused("not-a-token", "/v0/self", 401, "Unauthorized")
        .await;
    h.get("/v0/self")
        .send()
        .await
        .err(401, "Missing authentication");
    // An ID token is not a credential.
    let body = h.login("viewer@example.com", TEST_PASSWORD).await;
    let id = body["tokens"]["id"]["value"].as_str().unwrap();
    h.get_refused(id, "/v0/self", 401, "Unauthorized").await;
    // The genuine token still works.
    assert_eq!(h.get_as(&token, "/v0/self").await["userId"], 3);
}

/// Issue 11 item 3: the verified-token cache kept whole tokens (a user with 512 KB of `data`
/// cost 1.25 MiB per login). It now keeps hashes and small claims only, within a byte cap.
#[tokio::test]
async fn the_verified_token_cache_stays_small_for_large_tokens() {
    // Its own signing keys (the embedded seed's are shared by every mock in this process, so
    // their caches hold other tests' tokens too).
    let mock = userfront_mock::MockUserfront::builder()
        .empty(true)
        .start()
        .await
        .unwrap();
    let h = Harness::with_mock(mock);
    let data = serde_json::json!({ "blob": "b".repeat(400_000) });
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/create"))
        .json(serde_json::json!({
            "email": "large@example.com",
            "password": "large-password-1",
            "data": data,
        }))
        .send()
        .await
        .ok();
    let mut tokens = Vec::new();
    for _ in 0..5 {
        let login = h.login("large@example.com", "large-password-1").await;
        tokens.push(common::access(&login));
    }
    // Every token still verifies (by RSA, uncached) and reaches its user.
    for token in &tokens {
        let me = h.get("/v0/self").bearer(token).send().await.ok();
        assert_eq!(me["email"], "large@example.com");
    }
    let state = h.get("/__mock/state").send().await.ok();
    let cache = &state["memory"]["verifiedTokens"];
    let bytes = cache["bytes"].as_u64().unwrap();
    // Five logins with 400 KB of data held more than 4 MB before.
    assert!(bytes < 256 * 1024, "{cache}");
    assert!(cache["maxBytesPerKey"].as_u64().unwrap() <= 8 * 1024 * 1024);
}

/// The demo workspace's signing key of `mode` in the state export: `{kid, privateKey, ...}`.
async fn exported_key(h: &Harness, mode: &str) -> Value {
    let state = h.get("/__mock/export").send().await.ok();
    let workspaces = state["workspaces"].as_array().expect("workspaces");
    let demo = workspaces
        .iter()
        .find(|w| w["tenantId"] == DEMO_TENANT)
        .expect("the demo workspace");
    demo[mode]["signingKey"].clone()
}

/// `claims` signed with the demo workspace's test-mode private key (from the state export),
/// with `kid` in the header (none when `None`).
async fn signed_with_realm_key(h: &Harness, claims: &Value, kid: Option<&str>) -> String {
    let key = exported_key(h, "test").await;
    let pem = key["privateKey"]
        .as_str()
        .expect("private key in the export");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("PEM");
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).expect("signs")
}

/// The claims of a compact JWT, unverified.
fn payload(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

#[tokio::test]
async fn a_token_whose_kid_names_no_key_of_its_realm_is_refused() {
    let h = Harness::start().await;
    let body = h.login("admin@example.com", TEST_PASSWORD).await;
    let access = common::access(&body);
    let refresh = common::refresh(&body);
    let kid = exported_key(&h, "test").await["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    // Re-signed with the realm's own key and its own kid, the token still works: what follows
    // is refused for the kid alone.
    let same = signed_with_realm_key(&h, &payload(&access), Some(&kid)).await;
    h.get_as(&same, "/v0/self").await;
    let live_kid = exported_key(&h, "live").await["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    for wrong in [Some("no-such-key"), Some(live_kid.as_str()), None] {
        let token = signed_with_realm_key(&h, &payload(&access), wrong).await;
        h.get_refused(&token, "/v0/self", 401, "Unauthorized").await;
        // Standing in for an API key.
        h.get_refused(
            &token,
            &format!("/v0/tenants/{DEMO_TENANT}/keys/admin"),
            401,
            "Unauthorized",
        )
        .await;
        let token = signed_with_realm_key(&h, &payload(&refresh), wrong).await;
        h.get_refused(&token, "/v0/auth/refresh", 401, "Invalid token")
            .await;
        h.get_refused(&token, "/v0/auth/logout", 401, "Unauthorized")
            .await;
    }
}
