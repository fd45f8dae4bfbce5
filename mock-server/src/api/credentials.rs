//! Who is calling: [`Admin`] / [`Reader`] (server-to-server credentials, conventions C-5,
//! checked in the documented order) and [`UserAuth`] (a user's access token, verified against its
//! realm's key, session and user).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use parking_lot::Mutex;
use serde_json::Value;
use uuid::Uuid;

use super::App;
use super::extract::{PathTenant, Scope, bearer, parse_query};
use crate::error::{Error, Result, msg};
use crate::state::Scoped;
use crate::state::World;
use crate::state::model::{KeyType, Mode};
use crate::state::tenants::Reach;
use crate::state::tokens::token_digest;

// ---------------------------------------------------------------------------------------------
// User tokens

/// How a user token is being used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    /// An access token on a JWT-authenticated endpoint.
    Access,
    /// A refresh token on `GET /v0/auth/refresh`.
    Refresh,
    /// Logout: access or refresh token, expired allowed, ended session allowed.
    Logout,
}

/// A verified user token.
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    pub mode: Mode,
    /// The tenant of the token's `tenantId` claim.
    pub tenant_id: String,
    pub user_id: Option<u64>,
    pub session_id: Option<Uuid>,
    /// A custom JWT (`POST /v0/auth/jwt`): its claims were written by the key that minted it,
    /// not by the API, so its `authorization` proves nothing beyond that key's reach.
    pub custom: bool,
    pub claims: Arc<Value>,
}

/// Verifies a user token: signature with the key of its realm, type, expiry on the mock clock,
/// live session and existing, unlocked user. Every refusal is a 401 (`Invalid token` for refresh
/// tokens, `Unauthorized` otherwise).
pub fn verify_user_token(world: &World, token: &str, usage: TokenUse) -> Result<VerifiedToken> {
    let refuse = || match usage {
        TokenUse::Refresh => Error::new(401, msg::INVALID_TOKEN),
        _ => Error::unauthorized(),
    };
    let digest = token_digest(token);
    let known = known_realm(&digest);
    let (tenant_id, mode) = match known.clone() {
        Some(realm) => realm,
        None => peek_realm(token).ok_or_else(refuse)?,
    };
    let realm = world.realm_of(&tenant_id, mode).map_err(|_| refuse())?;
    let claims = realm
        .signing
        .verify_digest(token, digest)
        .map_err(|_| refuse())?;
    if known.is_none() {
        remember_realm(digest, &tenant_id, mode);
    }
    let is_refresh = claims.get("type").and_then(Value::as_str) == Some("refresh");
    let has_type = claims.get("type").is_some();
    match usage {
        TokenUse::Refresh if !is_refresh => return Err(refuse()),
        TokenUse::Access if has_type => return Err(refuse()),
        TokenUse::Logout if has_type && !is_refresh => return Err(refuse()),
        _ => {}
    }
    let now = world.now();
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(refuse)?;
    if usage != TokenUse::Logout && crate::state::jwt::unix(now) >= exp {
        return Err(refuse());
    }
    // The mock never sets `nbf`; a token that does is refused before its time (the forge's
    // `not-yet-valid`).
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    if usage != TokenUse::Logout && nbf.is_some_and(|nbf| crate::state::jwt::unix(now) < nbf) {
        return Err(refuse());
    }
    let session_id = claims
        .get("sessionId")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok());
    let user_id = claims.get("userId").and_then(Value::as_u64);
    if usage == TokenUse::Logout {
        // An ID token verifies too, but is not a credential: only access tokens of a normal
        // sign-on carry `authorization` (custom-JWT sessions carry their own payload).
        let is_id_token = !is_refresh
            && claims.get("authorization").is_none()
            && session_id
                .and_then(|id| realm.sessions.get(&id))
                .is_some_and(|s| s.custom.is_none());
        if is_id_token {
            return Err(refuse());
        }
        return Ok(VerifiedToken {
            mode,
            tenant_id,
            user_id,
            session_id,
            custom: session_id
                .and_then(|id| realm.sessions.get(&id))
                .is_some_and(|s| s.custom.is_some()),
            claims,
        });
    }
    let session = session_id
        .and_then(|id| realm.sessions.get(&id))
        .ok_or_else(refuse)?;
    if !session.is_active(now) {
        return Err(refuse());
    }
    if session.custom.is_none() {
        // Tokens of a normal sign-on name the session's user and carry `authorization`
        // (ID tokens do not, and are not credentials).
        if session.user_id.is_none() || session.user_id != user_id {
            return Err(refuse());
        }
        if usage == TokenUse::Access && claims.get("authorization").is_none() {
            return Err(refuse());
        }
    }
    if let Some(id) = session.user_id {
        let user = realm.users.get(&id).ok_or_else(refuse)?;
        if user.locked && usage == TokenUse::Access {
            return Err(refuse());
        }
    }
    Ok(VerifiedToken {
        mode,
        tenant_id,
        user_id: session.user_id,
        session_id,
        custom: session.custom.is_some(),
        claims,
    })
}

/// The realms of tokens whose signature verified, by the token's SHA-256: reading them again
/// from the token (Base64 and JSON) was a fifth of the token check on every authenticated
/// request. Only verified tokens are kept, so an attacker's tokens take no room; the memo is a
/// pure function of the token's bytes, so it is shared by every mock in the process and never
/// goes stale (the signature is still checked by the realm's key, whose own cache is cleared
/// with the key).
static KNOWN_REALMS: LazyLock<Mutex<RealmMemo>> = LazyLock::new(Mutex::default);
/// Token digest to the token's (`tenantId`, `mode`).
type RealmMemo = HashMap<[u8; 32], (String, Mode)>;
/// How many token realms the memo keeps before it starts over (about 100 bytes each).
const KNOWN_REALMS_LIMIT: usize = 4096;

fn known_realm(digest: &[u8; 32]) -> Option<(String, Mode)> {
    KNOWN_REALMS.lock().get(digest).cloned()
}

fn remember_realm(digest: [u8; 32], tenant_id: &str, mode: Mode) {
    let mut known = KNOWN_REALMS.lock();
    if known.len() >= KNOWN_REALMS_LIMIT {
        known.clear();
    }
    known.insert(digest, (tenant_id.to_owned(), mode));
}

/// The `tenantId` and `mode` claims of a token, read without checking anything, to find the key
/// that must verify it. Only these two members are deserialised (borrowed where possible): this
/// runs on every authenticated request, and parsing the whole payload into a JSON tree cost
/// more than the rest of the token check.
fn peek_realm(token: &str) -> Option<(String, Mode)> {
    use base64::Engine;
    use std::borrow::Cow;
    #[derive(serde::Deserialize)]
    struct Peek<'a> {
        #[serde(rename = "tenantId", borrow)]
        tenant_id: Option<Cow<'a, str>>,
        #[serde(borrow)]
        mode: Option<Cow<'a, str>>,
    }
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let peek: Peek = serde_json::from_slice(&bytes).ok()?;
    let mode = Mode::parse(peek.mode.as_deref()?)?;
    Some((peek.tenant_id?.into_owned(), mode))
}

/// A request authenticated by a user's access token.
#[derive(Clone, Debug)]
pub struct UserAuth {
    pub mode: Mode,
    pub tenant_id: String,
    pub user_id: u64,
    pub session_id: Uuid,
}

impl FromRequestParts<App> for UserAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        let token = bearer(&parts.headers).ok_or_else(Error::missing_auth)?;
        let world = app.store.read();
        let verified = verify_user_token(&world, &token, TokenUse::Access)?;
        match (verified.user_id, verified.session_id) {
            (Some(user_id), Some(session_id)) => Ok(UserAuth {
                mode: verified.mode,
                tenant_id: verified.tenant_id,
                user_id,
                session_id,
            }),
            _ => Err(Error::unauthorized()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// API keys

/// A server-to-server caller that passed the checks of conventions C-5.
#[derive(Clone, Debug)]
pub struct KeyAuth {
    pub mode: Mode,
    /// The tenant that owns the credential.
    pub key_tenant: String,
    /// The tenant acted on: the path `{tenantId}`, else the key's tenant.
    pub tenant_id: String,
    /// The API key itself (`None` for a user access token standing in for a key).
    pub key: Option<String>,
}

impl KeyAuth {
    /// The tenant and mode the call acts on.
    pub fn scope(&self) -> Scope {
        Scope {
            tenant_id: self.tenant_id.clone(),
            mode: self.mode,
        }
    }

    /// The users of the shared pool this credential may change or sign in as: all of them for
    /// a workspace credential, only those without a role outside its subtree for a child
    /// tenant's (see [`Reach`]).
    pub fn reach(&self, world: &World) -> Result<Reach> {
        Ok(world
            .realm_of(&self.key_tenant, self.mode)?
            .reach_of(&self.key_tenant))
    }

    /// 403 unless this credential may change or sign in as `user_id` (404: no such user).
    pub fn check_user(&self, world: &World, user_id: u64) -> Result<()> {
        let reach = self.reach(world)?;
        world.realm(self)?.check_reach(&reach, user_id)
    }
}

/// Checks a server credential (C-5 order: missing 401, unknown 401, type 403, tenant 403).
pub fn authenticate_key(
    world: &World,
    credential: Option<&str>,
    path_tenant: Option<&str>,
    query: &HashMap<String, String>,
    need_admin: bool,
) -> Result<KeyAuth> {
    let credential = credential.ok_or_else(Error::missing_auth)?;
    let (mode, key_tenant, admin, key) = if credential.starts_with("uf_") {
        let key = world
            .api_keys
            .get(credential)
            .filter(|k| k.is_active)
            .filter(|k| {
                credential.starts_with(&format!("uf_{}_{}_", k.mode.as_str(), k.key_type.as_str()))
            })
            .ok_or_else(Error::unauthorized)?;
        let admin = match key.key_type {
            KeyType::Admin => true,
            KeyType::Readonly => false,
            KeyType::Webhook => return Err(Error::forbidden()),
        };
        (
            key.mode,
            key.tenant_id.to_string(),
            admin,
            Some(credential.to_owned()),
        )
    } else {
        // A user access token standing in for a key (C-5, last paragraph).
        let token = verify_user_token(world, credential, TokenUse::Access)?;
        let target = path_tenant.unwrap_or(&token.tenant_id).to_owned();
        // A token speaks only for tenants of its own workspace, whatever its `authorization`
        // claims (a custom JWT's payload is chosen by the caller).
        if let (Ok(home), Ok(own)) = (world.home(&target), world.home(&token.tenant_id))
            && home.workspace != own.workspace
        {
            return Err(Error::forbidden());
        }
        let roles: Vec<&str> = token.claims["authorization"][target.as_str()]["roles"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if roles.is_empty() {
            return Err(Error::forbidden());
        }
        let mode = if query.get("test").map(String::as_str) == Some("true") {
            Mode::Test
        } else {
            token.mode
        };
        // A token signed in through the API holds the rights of its roles in `target`. A custom
        // JWT's `authorization` was chosen by the key that minted it, so it holds them only as
        // far as that key could reach: it stands for the tenant it was minted for (its
        // `tenantId`), and the tenant rule below keeps `target` in that tenant's subtree.
        let holder = if token.custom {
            token.tenant_id
        } else {
            target
        };
        (mode, holder, roles.contains(&"admin"), None)
    };
    if need_admin && !admin {
        return Err(Error::forbidden());
    }
    let tenant_id = path_tenant.unwrap_or(&key_tenant).to_owned();
    let realm = world.realm_of(&tenant_id, mode).map_err(|e| {
        // A tenant of another workspace exists but is not the caller's business.
        if world.home(&tenant_id).is_ok()
            && world.workspace_of(&tenant_id).ok().map(|w| &*w.tenant_id)
                != world.workspace_of(&key_tenant).ok().map(|w| &*w.tenant_id)
        {
            Error::forbidden()
        } else {
            e
        }
    })?;
    if tenant_id != key_tenant {
        let ancestors = realm.ancestors(&tenant_id);
        let allowed = ancestors.iter().take(2).any(|a| **a == *key_tenant);
        if !allowed {
            return Err(Error::forbidden());
        }
    }
    Ok(KeyAuth {
        mode,
        key_tenant,
        tenant_id,
        key,
    })
}

async fn key_auth(parts: &mut Parts, app: &App, need_admin: bool) -> Result<KeyAuth> {
    let PathTenant(path_tenant) = PathTenant::from_request_parts(parts, app).await?;
    let credential = bearer(&parts.headers);
    let query = parse_query(parts.uri.query());
    let world = app.store.read();
    authenticate_key(
        &world,
        credential.as_deref(),
        path_tenant.as_deref(),
        &query,
        need_admin,
    )
}

/// An admin credential (admin API key, or an access token with the `admin` role).
#[derive(Clone, Debug)]
pub struct Admin(pub KeyAuth);

impl FromRequestParts<App> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        key_auth(parts, app, true).await.map(Admin)
    }
}

/// An admin or read-only credential.
#[derive(Clone, Debug)]
pub struct Reader(pub KeyAuth);

impl FromRequestParts<App> for Reader {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        key_auth(parts, app, false).await.map(Reader)
    }
}

impl Scoped for UserAuth {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    fn mode(&self) -> Mode {
        self.mode
    }
}

impl Scoped for KeyAuth {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    fn mode(&self) -> Mode {
        self.mode
    }
}

impl Scoped for VerifiedToken {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    fn mode(&self) -> Mode {
        self.mode
    }
}
