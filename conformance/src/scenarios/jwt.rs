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
        Scenario::new("jwt.keys.listing_matches_jwks", Group::Jwt, listing)
            .checks(&["C-16.7", "C-16.8", "C-12.1"]),
        Scenario::new(
            "jwt.keys.modes_have_separate_keys",
            Group::Jwt,
            separate_modes,
        )
        .checks(&["C-4.3"])
        .tags(&["mode"]),
        Scenario::new(
            "jwt.keys.key_alias_uses_the_key_mode",
            Group::Jwt,
            key_alias,
        )
        .tags(&["mode"])
        .needs(&[Need::Live]),
        Scenario::new("jwt.jwks.legacy_mode_path_and_unknowns", Group::Jwt, legacy)
            .checks(&["C-4.3"]),
        Scenario::new(
            "jwt.custom.token_with_user_attributes",
            Group::Jwt,
            custom_token,
        ),
        Scenario::new("jwt.format.applies_to_new_tokens", Group::Jwt, format).checks(&["C-16.9"]),
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
    let now = flows::now(&cx).await?;
    let created_at = flows::member_seconds(key, "createdAt")?;
    ensure!(
        created_at <= now + 5,
        "a listed key was created before now: createdAt {created_at}, now {now}"
    );
    // Both forms are asserted below through these variables (decoded, compared, used).
    crate::coverage::note_members(&["publicKey", "publicKeyBase64"]);
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

/// SS-42: payload + looked-up attributes + server claims, signed with the workspace key; a
/// session is created; reserved claims and bad durations are refused.
async fn custom_token(cx: Cx) -> Outcome {
    let email = cx.email("custom");
    let (signed, _) = flows::signup(&cx, &email, PASSWORD).await?;
    let body = cx
        .post("/v0/auth/jwt")
        .bearer(cx.admin())
        .json(serde_json::json!({
            "userId": signed["userId"],
            "payload": { "plan": "pro" },
            "options": { "userAttributes": ["email"], "accessTokenDuration": "1 hour" }
        }))
        .send()
        .await?
        .ok()?;
    let access = body["tokens"]["access"]["value"].as_str().unwrap_or("");
    let claims = cx.verify_token(access, Mode::Test).await?;
    ensure_eq!(claims["plan"], "pro", "payload claim");
    ensure_eq!(claims["email"], email, "looked-up attribute");
    ensure_eq!(claims["tenantId"], cx.tenant(), "server claim tenantId");
    ensure_eq!(claims["mode"], "test", "server claim mode");
    ensure_eq!(
        claims["sessionId"],
        body["sessionId"],
        "server claim sessionId"
    );
    let span = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    ensure_eq!(span, 3_600, "accessTokenDuration");
    for reserved in ["tenantId", "sessionId", "mode", "exp", "iat"] {
        cx.post("/v0/auth/jwt")
            .bearer(cx.admin())
            .json(serde_json::json!({ "payload": { reserved: 1 } }))
            .send()
            .await?
            .err(400, userfront_contract::msg::RESERVED_PAYLOAD)?;
    }
    cx.post("/v0/auth/jwt")
        .bearer(cx.admin())
        .json(serde_json::json!({ "payload": {}, "options": { "accessTokenDuration": "soon" } }))
        .send()
        .await?
        .err(400, "Invalid duration")?;
    cx.post("/v0/auth/jwt")
        .bearer(cx.admin())
        .json(serde_json::json!({ "payload": {}, "options": { "userAttributes": ["email"] } }))
        .send()
        .await?
        .err(400, "\"userId\" or \"userUuid\" is required")?;
    Ok(())
}

/// SS-43 … SS-45: a custom format changes the claims of tokens issued afterwards only. The
/// workspace's format is restored at the end (it is shared by every user).
async fn format(cx: Cx) -> Outcome {
    let before = cx
        .get("/v0/jwt-format")
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure!(
        before["claims"]["userId"]["type"] == "required",
        "the format lists the required claims: {before}"
    );
    let available = cx
        .get("/v0/jwt-format/available-claims")
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure!(
        available["claims"].as_object().is_some_and(|c| c
            .values()
            .all(|v| v["type"] == "optional" || v["type"] == "OIDC")),
        "available claims are optional or OIDC: {available}"
    );
    let email = cx.email("format");
    let (_, old_tokens) = flows::signup(&cx, &email, PASSWORD).await?;
    // The claims set so far (minus the required ones), plus two of ours.
    let restore: serde_json::Map<String, Value> = before["claims"]
        .as_object()
        .map(|c| {
            c.iter()
                .filter(|(_, v)| v["type"] != "required")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut custom = restore.clone();
    custom.insert(
        "email".into(),
        serde_json::json!({ "type": "optional", "source": "user.email" }),
    );
    custom.insert(
        "tier".into(),
        serde_json::json!({ "type": "custom", "source": "literal:gold" }),
    );
    let result = async {
        let stored = cx
            .put("/v0/jwt-format")
            .bearer(cx.admin())
            .json(serde_json::json!({ "claims": custom }))
            .send()
            .await?
            .ok()?;
        ensure_eq!(
            stored["claims"]["tier"]["type"],
            "custom",
            "stored custom claim"
        );
        ensure_eq!(
            stored["claims"]["tier"]["source"],
            "literal:gold",
            "a stored claim keeps its source (C-16.9)"
        );
        ensure_eq!(
            stored["claims"]["userId"]["source"],
            "user.userId",
            "the required userId claim comes from user.userId (C-16.9)"
        );
        ensure_eq!(
            stored["claims"]["userId"]["type"],
            "required",
            "required claims are kept"
        );
        let (_, tokens) = flows::login(&cx, &email, PASSWORD).await?;
        ensure_eq!(tokens.claims["tier"], "gold", "custom claim in a new token");
        ensure_eq!(
            tokens.claims["email"],
            email,
            "optional claim in a new token"
        );
        ensure!(
            old_tokens.claims.get("tier").is_none(),
            "older tokens keep their payload"
        );
        cx.put("/v0/jwt-format")
            .bearer(cx.admin())
            .json(serde_json::json!({ "claims": { "x": { "type": "bogus", "source": "mode" } } }))
            .send()
            .await?
            .err(400, "Invalid claim \"x\"")?;
        cx.put("/v0/jwt-format")
            .bearer(cx.admin())
            .json(serde_json::json!({}))
            .send()
            .await?
            .err(400, "\"claims\" is required")
    }
    .await;
    cx.put("/v0/jwt-format")
        .bearer(cx.admin())
        .json(serde_json::json!({ "claims": restore }))
        .send()
        .await?
        .ok()?;
    result
}
