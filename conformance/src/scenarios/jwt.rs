//! JWT public keys and JWKS (server-to-server SS-39 … SS-41; conventions C-12.1, C-16.7,
//! C-16.8): what a verifier needs to check tokens.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario, fail};
use crate::target::{Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("jwt.keys.listing_matches_jwks", Group::Jwt, listing),
        Scenario::new(
            "jwt.keys.modes_have_separate_keys",
            Group::Jwt,
            separate_modes,
        )
        .tags(&["mode"]),
        Scenario::new(
            "jwt.keys.key_alias_uses_the_key_mode",
            Group::Jwt,
            key_alias,
        )
        .tags(&["mode"])
        .needs(&[Need::Live]),
        Scenario::new("jwt.jwks.legacy_mode_path_and_unknowns", Group::Jwt, legacy),
    ]
}

fn list_path(cx: &Cx, mode: Mode) -> String {
    let q = if mode == Mode::Test { "?test=true" } else { "" };
    format!("/v0/tenants/{}/keys/jwt{q}", cx.tenant())
}

/// SS-39/SS-40: the PEM listing and the JWKS publish the same key, and it verifies tokens.
async fn listing(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("jwks"), PASSWORD).await?;
    let listing = cx.get(list_path(&cx, Mode::Test)).send().await?.ok()?;
    let key = &listing["results"][0];
    ensure_eq!(key["mode"], "test", "listed key mode");
    ensure_eq!(key["isActive"], true, "listed key active");
    let pem = key["publicKey"].as_str().unwrap_or("");
    let b64 = key["publicKeyBase64"].as_str().unwrap_or("");
    ensure_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default(),
        pem,
        "publicKeyBase64 is the Base64 of publicKey (C-16.7)"
    );
    let decoding = DecodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|e| fail(format!("publicKey is not an RSA PEM: {e}")))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    ensure!(
        decode::<Value>(&tokens.access, &decoding, &validation).is_ok(),
        "the listed PEM verifies a test access token"
    );
    let jwks = cx.jwks(cx.tenant(), Mode::Test).await?;
    ensure!(
        jwks.keys
            .iter()
            .any(|k| k.common.key_id.as_deref() == key["kid"].as_str()),
        "the listed kid {} is in the JWKS",
        key["kid"]
    );
    Ok(())
}

/// C-3, C-4.3: live is the default; test and live keys differ; a test token does not verify
/// against the live keys.
async fn separate_modes(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("modekeys"), PASSWORD).await?;
    let live = cx.get(list_path(&cx, Mode::Live)).send().await?.ok()?;
    let test = cx.get(list_path(&cx, Mode::Test)).send().await?.ok()?;
    ensure_eq!(
        live["results"][0]["mode"],
        "live",
        "default listing is live"
    );
    ensure!(
        live["results"][0]["kid"] != test["results"][0]["kid"],
        "test and live keys differ"
    );
    ensure!(
        cx.verify_token(&tokens.access, Mode::Live).await.is_err(),
        "a test token must not verify against the live JWKS"
    );
    Ok(())
}

/// SS-39 alias: `/v0/keys/jwt` lists the keys of the API key's tenant and mode.
async fn key_alias(cx: Cx) -> Outcome {
    let live_key = cx.live_admin()?.to_owned();
    for (key, mode) in [(cx.admin().to_owned(), Mode::Test), (live_key, Mode::Live)] {
        let listing = cx.get("/v0/keys/jwt").bearer(&key).send().await?.ok()?;
        let expected = cx.get(list_path(&cx, mode)).send().await?.ok()?;
        ensure_eq!(
            listing["results"][0]["kid"],
            expected["results"][0]["kid"],
            "/v0/keys/jwt with a {} key",
            mode.as_str()
        );
    }
    cx.get("/v0/keys/jwt")
        .send()
        .await?
        .err(401, "Missing authentication")?;
    Ok(())
}

/// SS-41 and C-2.1: `/jwks/{mode}` for test and live; anything else and unknown tenants 404.
async fn legacy(cx: Cx) -> Outcome {
    for mode in [Mode::Test, Mode::Live] {
        let legacy = cx
            .get(format!(
                "/v0/tenants/{}/jwks/{}",
                cx.tenant(),
                mode.as_str()
            ))
            .send()
            .await?
            .ok()?;
        let current = cx.jwks(cx.tenant(), mode).await?;
        ensure_eq!(
            legacy["keys"][0]["kid"].as_str(),
            current.keys[0].common.key_id.as_deref(),
            "jwks/{} kid",
            mode.as_str()
        );
    }
    cx.get(format!("/v0/tenants/{}/jwks/staging", cx.tenant()))
        .send()
        .await?
        .err(404, "Not Found")?;
    cx.get("/v0/tenants/zz000000/jwks")
        .send()
        .await?
        .err(404, "Not Found")?;
    cx.get("/v0/tenants/zz000000/keys/jwt")
        .send()
        .await?
        .err(404, "Not Found")?;
    Ok(())
}
