//! The hostile-token forge, `POST /__mock/tokens`: tokens with one chosen defect, so that a
//! back end can prove it refuses each of them (what the OpenID conformance suite does for
//! clients). The mock itself refuses every defect (`tests/it/forge.rs`).
//!
//! Each token is made from a real sign-on: the forge opens a session for the user, as a login
//! would, and prepares the access token the mock would issue; the defect is then the only thing
//! wrong with it. `none` is that token, valid.

use axum::extract::State;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::api::{App, Body, json_response};
use crate::error::{Error, Result, msg};
use crate::state::clock::SECOND;
use crate::state::ids;
use crate::state::model::{Factor, Mode, Session};
use crate::state::tokens::SigningKey;

/// The defects, and what each one is.
const DEFECTS: [(&str, &str); 10] = [
    ("none", "a valid access token"),
    ("alg-none", "header alg \"none\" and no signature"),
    (
        "hs256-public-key",
        "HS256, with the realm's public key (PEM text) as the HMAC secret",
    ),
    (
        "unknown-kid",
        "signed with the realm's key but naming a kid that is not in the JWKS",
    ),
    (
        "bad-signature",
        "a valid token with one bit of its signature flipped",
    ),
    (
        "expired",
        "validly signed, exp an hour before the mock's now",
    ),
    (
        "not-yet-valid",
        "validly signed, nbf and iat an hour after the mock's now",
    ),
    (
        "other-tenant",
        "the claims of this tenant signed with another workspace's key (its own kid)",
    ),
    (
        "test-for-live",
        "live claims signed with the same tenant's test-mode key",
    ),
    (
        "refresh-as-access",
        "the session's refresh token (type \"refresh\"), offered as an access token",
    ),
];

/// `POST /__mock/tokens` with `{tenantId, mode?, userId? | userUuid?, defect?}` (mode `test`,
/// defect `none` and the realm's first user when not given).
pub(crate) async fn forge(State(app): State<App>, body: Body) -> Result<Response> {
    let tenant_id = body.required_str("tenantId")?.to_owned();
    let mode = Mode::parse(body.str("mode")?.unwrap_or("test"))
        .ok_or_else(|| Error::bad_request(msg::MODE_TEST_OR_LIVE))?;
    let defect = body.str("defect")?.unwrap_or("none");
    let (defect, description) = DEFECTS
        .into_iter()
        .find(|(name, _)| *name == defect)
        .ok_or_else(|| Error::bad_request(msg::TOKEN_DEFECT))?;
    if defect == "test-for-live" && mode != Mode::Live {
        return Err(Error::bad_request(msg::TEST_FOR_LIVE_MODE));
    }
    let user_uuid = match body.str("userUuid")? {
        Some(text) => Some(Uuid::parse_str(text).map_err(|_| Error::user_not_found())?),
        None => None,
    };
    let user_id = body.u64("userId")?;
    if user_id.is_some() && user_uuid.is_some() {
        return Err(Error::bad_request(msg::USER_ID_OR_UUID));
    }

    let (prepared, session_id, user_id, other_key) = {
        let mut world = app.store.write();
        let now = world.now();
        let other_key = match defect {
            "other-tenant" => other_workspace_key(&world, &tenant_id, mode),
            "test-for-live" => Some(world.realm_of(&tenant_id, Mode::Test)?.signing.clone()),
            _ => None,
        };
        let realm = world.realm_of_mut(&tenant_id, mode)?;
        let user_id = match (user_id, user_uuid) {
            (Some(id), _) => realm.user(id)?.user_id,
            (None, Some(uuid)) => realm
                .users
                .values()
                .find(|u| u.user_uuid == uuid)
                .map(|u| u.user_id)
                .ok_or_else(Error::user_not_found)?,
            (None, None) => *realm
                .users
                .keys()
                .next()
                .ok_or_else(Error::user_not_found)?,
        };
        let refresh_seconds = realm
            .tenants
            .get(tenant_id.as_str())
            .unwrap_or_else(|| realm.root())
            .settings
            .refresh_token_duration;
        let session_id = ids::uuid();
        realm.sessions.insert(
            session_id,
            Box::new(Session {
                session_id,
                tenant_id: tenant_id.as_str().into(),
                user_id: Some(user_id),
                created_at: now,
                last_active_at: now,
                expires_at: now + refresh_seconds * SECOND,
                ended_at: None,
                ip_address: None,
                user_agent: None,
                first_factor: Factor::new("api", "mock"),
                second_factor: None,
                custom: None,
            }),
        );
        let user = realm.user(user_id)?;
        let prepared = realm.prepare_tokens(user, &tenant_id, session_id, Map::new(), now, true);
        (prepared, session_id, user_id, other_key)
    };

    let key = &prepared.key;
    let access = &prepared.access;
    let now = access["iat"].as_i64().unwrap_or_default();
    let shifted = |iat: i64, nbf: Option<i64>, exp: i64| {
        let mut claims = access.clone();
        claims["iat"] = json!(iat);
        claims["exp"] = json!(exp);
        if let Some(nbf) = nbf {
            claims["nbf"] = json!(nbf);
        }
        claims
    };
    let token = match defect {
        "alg-none" => format!(
            "{}.{}.",
            encode(&json!({"alg": "none", "typ": "JWT"})),
            encode(access)
        ),
        "hs256-public-key" => {
            use aws_lc_rs::hmac;
            let header = json!({"alg": "HS256", "typ": "JWT", "kid": key.kid()});
            let input = format!("{}.{}", encode(&header), encode(access));
            let secret = hmac::Key::new(hmac::HMAC_SHA256, key.public_pem().as_bytes());
            let tag = hmac::sign(&secret, input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
        }
        "unknown-kid" => {
            let kid = format!("unknown-{}", ids::uuid());
            signed(
                key,
                &json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
                access,
            )
        }
        "bad-signature" => {
            let token = key.sign(access);
            let (input, signature) = token.rsplit_once('.').unwrap_or((&token, ""));
            let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
            if let Some(last) = bytes.last_mut() {
                *last ^= 1;
            }
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
        }
        "expired" => key.sign(&shifted(now - 7_200, None, now - 3_600)),
        "not-yet-valid" => key.sign(&shifted(now + 3_600, Some(now + 3_600), now + 7_200)),
        "other-tenant" | "test-for-live" => match &other_key {
            Some(other) => other.sign(access),
            // A world with one workspace: a key nobody else has.
            None => SigningKey::generate("other-tenant", mode, 0).sign(access),
        },
        "refresh-as-access" => key.sign(prepared.refresh.as_ref().unwrap_or(access)),
        _ => key.sign(access),
    };
    Ok(json_response(json!({
        "token": token,
        "defect": defect,
        "description": description,
        "tenantId": tenant_id,
        "mode": mode.as_str(),
        "userId": user_id,
        "sessionId": session_id,
    })))
}

/// The signing key of the first other workspace, in `mode`.
fn other_workspace_key(
    world: &crate::state::World,
    tenant_id: &str,
    mode: Mode,
) -> Option<std::sync::Arc<SigningKey>> {
    let home = world.home(tenant_id).ok()?.workspace.clone();
    let other = world
        .workspaces
        .keys()
        .find(|w| w.as_ref() != home.as_ref())?;
    Some(world.realm_of(other, mode).ok()?.signing.clone())
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `header.claims.signature` with an RS256 signature by `key` under any header.
fn signed(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", encode(header), encode(claims));
    let signature = key.sign_rsa_sha256(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
