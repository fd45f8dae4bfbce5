//! Tokens and credentials issued to servers (server-to-server SS-39 … SS-46): the JWT public
//! keys and JWKS a verifier needs, custom JWTs, the JWT format of a realm, and link credentials
//! generated without sending anything.
//!
//! A custom JWT gets its own session, so it can be refreshed (the refresh re-issues the same
//! custom payload) and ended like any other. A JWT format applies to tokens signed after it is
//! set, at the next login or refresh; tokens already issued keep their claims.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Admin, App, Body, Ctx, authenticate_key, bearer, json_response};
use crate::error::{Error, Result, msg};
use crate::state::clock::{SECOND, format_iso};
use crate::state::jwt::{available_claims, validate_format};
use crate::state::messages::{
    default_link_lifetime, link_path, link_url, parse_link_duration, parse_token_duration,
};
use crate::state::model::{CustomJwt, LinkType, Mode};
use crate::state::views::list;

/// Claims the server sets on every custom JWT; a payload may not bring its own.
const RESERVED_CLAIMS: [&str; 5] = ["tenantId", "sessionId", "mode", "exp", "iat"];

/// `?test=true` selects test keys; live is the default (conventions C-4.3).
fn requested_mode(ctx: &Ctx) -> Mode {
    match ctx.query.get("test").map(String::as_str) {
        Some("true") => Mode::Test,
        _ => Mode::Live,
    }
}

fn keys_body(app: &App, tenant_id: &str, mode: Mode) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm_of(tenant_id, mode)?;
    Ok(json_response(list(vec![realm.signing.public_key_json()])))
}

fn jwks_body(app: &App, tenant_id: &str, mode: Mode) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm_of(tenant_id, mode)?;
    Ok(json_response(json!({ "keys": [realm.signing.jwk()] })))
}

/// SS-39 `GET /v0/tenants/{tenantId}/keys/jwt`.
pub(crate) async fn public_keys(
    State(app): State<App>,
    Path(tenant_id): Path<String>,
    ctx: Ctx,
) -> Result<Response> {
    keys_body(&app, &tenant_id, requested_mode(&ctx))
}

/// SS-39 alias `GET /v0/keys/jwt`: the tenant and mode of the API key.
pub(crate) async fn public_keys_of_key(
    State(app): State<App>,
    headers: HeaderMap,
    ctx: Ctx,
) -> Result<Response> {
    let auth = {
        let world = app.store.read();
        authenticate_key(&world, bearer(&headers).as_deref(), None, &ctx.query, false)?
    };
    keys_body(&app, &auth.tenant_id, auth.mode)
}

/// SS-40 `GET /v0/tenants/{tenantId}/jwks`.
pub(crate) async fn jwks(
    State(app): State<App>,
    Path(tenant_id): Path<String>,
    ctx: Ctx,
) -> Result<Response> {
    jwks_body(&app, &tenant_id, requested_mode(&ctx))
}

/// SS-41 `GET /v0/tenants/{tenantId}/jwks/{mode}` (legacy).
pub(crate) async fn jwks_by_mode(
    State(app): State<App>,
    Path((tenant_id, mode)): Path<(String, String)>,
) -> Result<Response> {
    let mode = Mode::parse(&mode).ok_or_else(Error::not_found)?;
    jwks_body(&app, &tenant_id, mode)
}

/// `options.<key>` as a token duration in seconds, if given.
fn token_seconds(options: &Body, key: &str) -> Result<Option<i64>> {
    options
        .str(key)?
        .map(|text| parse_token_duration(text).map(|ms| ms / SECOND))
        .transpose()
}

/// `options.userAttributes`: names of User attributes to copy into the payload.
fn user_attributes(options: &Body) -> Result<Vec<String>> {
    let invalid = || Error::bad_request("\"userAttributes\" must be an array of strings");
    match options.get("userAttributes") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(invalid))
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// SS-42 `POST /v0/auth/jwt`: a session whose tokens carry the caller's payload, the
/// requested user attributes and the server claims.
pub(crate) async fn custom_jwt(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let payload = body.object("payload")?.cloned().unwrap_or_default();
    if RESERVED_CLAIMS.iter().any(|k| payload.contains_key(*k)) {
        return Err(Error::bad_request(msg::RESERVED_PAYLOAD));
    }
    let options = body.options()?;
    let attributes = user_attributes(&options)?;
    let access = token_seconds(&options, "accessTokenDuration")?;
    let refresh = token_seconds(&options, "refreshTokenDuration")?;
    let user_id = body.u64("userId")?;
    let user_uuid = body.str("userUuid")?;
    if !attributes.is_empty() && user_id.is_none() && user_uuid.is_none() {
        return Err(Error::bad_request(msg::USER_ID_OR_UUID_REQUIRED));
    }
    let prepared = {
        let mut world = app.store.write();
        let now = world.now();
        let reach = auth.reach(&world)?;
        let realm = world.realm_mut(&auth)?;
        // The session belongs to the named user (or to the user the payload names, if any),
        // so locking or deleting that user ends the token like any other.
        let owner = match (user_id, user_uuid) {
            (Some(id), _) => Some(realm.user(id)?.user_id),
            (None, Some(uuid)) => Some(
                uuid::Uuid::parse_str(uuid.trim())
                    .ok()
                    .and_then(|u| realm.user_id_by_uuid(&u))
                    .ok_or_else(Error::user_not_found)?,
            ),
            (None, None) => payload
                .get("userId")
                .and_then(Value::as_u64)
                .filter(|id| realm.users.contains_key(id)),
        };
        // The token signs in as its owner: only a user the key may act on (no way up the
        // tenant tree through a workspace admin's session).
        if let Some(id) = owner {
            realm.check_reach(&reach, id)?;
        }
        let mut claims = payload;
        if let (Some(id), false) = (owner, attributes.is_empty()) {
            let user = realm.user_json(realm.user(id)?);
            for name in attributes {
                if let Some(value) = user.get(&name) {
                    claims.insert(name, value.clone());
                }
            }
        }
        let settings = &realm.tenant(&auth.tenant_id)?.settings;
        let (access_seconds, refresh_seconds) = match (access, refresh) {
            (Some(a), Some(r)) => (a, r),
            (Some(d), None) | (None, Some(d)) => (d, d),
            (None, None) => (
                settings.access_token_duration,
                settings.refresh_token_duration,
            ),
        };
        let custom = CustomJwt {
            payload: claims,
            access_seconds,
            refresh_seconds,
        };
        realm.custom_jwt_session(&auth.tenant_id, owner, custom, now)
    };
    Ok(json_response(prepared.sign()))
}

/// SS-43 `PUT /v0/jwt-format`: the format of tokens issued from now on. The format belongs to
/// the workspace (one per mode, conventions C-3), so only a workspace credential may set it;
/// a child tenant's key must not change the tokens of the whole workspace.
pub(crate) async fn set_format(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let mut world = app.store.write();
    // Only a workspace root has no mode of its own.
    if world.home(&auth.key_tenant)?.mode.is_some() {
        return Err(Error::forbidden());
    }
    let format = validate_format(&Value::Object(body.0))?;
    world.realm_mut(&auth)?.jwt_format = Some(format.clone());
    Ok(json_response(format))
}

/// SS-44 `GET /v0/jwt-format`: the format in force (the default one until set).
pub(crate) async fn read_format(State(app): State<App>, Admin(auth): Admin) -> Result<Response> {
    let world = app.store.read();
    Ok(json_response(world.realm(&auth)?.jwt_format()))
}

/// SS-45 `GET /v0/jwt-format/available-claims`.
pub(crate) async fn claims(Admin(_): Admin) -> Response {
    json_response(available_claims())
}

/// The link types a server may generate.
fn generated_link_type(options: &Body) -> Result<LinkType> {
    match options.get("type") {
        None => Ok(LinkType::Login),
        Some(value) => value
            .as_str()
            .and_then(LinkType::parse)
            .filter(|t| {
                matches!(
                    t,
                    LinkType::Login | LinkType::Welcome | LinkType::Verify | LinkType::Reset
                )
            })
            .ok_or_else(|| Error::bad_request(msg::INVALID_LINK_TYPE)),
    }
}

/// SS-46 `POST /v0/auth/link/generate`: single-use link credentials for an existing user,
/// returned to the caller; nothing is sent and no rate limit applies.
pub(crate) async fn generate_link(
    State(app): State<App>,
    Admin(auth): Admin,
    ctx: Ctx,
    body: Body,
) -> Result<Response> {
    let options = body.options()?;
    let link_type = generated_link_type(&options)?;
    let lifetime = match options.str("duration")? {
        Some(text) => parse_link_duration(text)?,
        None => default_link_lifetime(link_type),
    };
    let redirect = super::signon::redirect_option(&options)?;
    let user_id = body.u64("userId")?;
    let email = body.str("email")?.filter(|e| !e.trim().is_empty());
    if user_id.is_none() && email.is_none() {
        return Err(Error::required("email"));
    }
    let mut world = app.store.write();
    let now = world.now();
    let base = ctx.base_url(&world, &auth.tenant_id, auth.mode)?;
    let reach = auth.reach(&world)?;
    let realm = world.realm_mut(&auth)?;
    let user_id = match (user_id, email) {
        (Some(id), _) => realm.user(id)?.user_id,
        (None, Some(email)) => realm
            .user_id_by_email(email)
            .ok_or_else(Error::user_not_found)?,
        (None, None) => return Err(Error::required("email")),
    };
    // The link signs in as the user: only a user the key may act on.
    realm.check_reach(&reach, user_id)?;
    let link = realm.issue_link(user_id, link_type, lifetime, None, now);
    let uuid = realm.user(user_id)?.user_uuid;
    let settings = &realm.tenant(&auth.tenant_id)?.settings;
    let url = link_url(
        &base,
        link_path(settings, link_type),
        &uuid,
        &link.token,
        Some(link_type.as_str()),
        redirect.as_deref(),
    );
    Ok(json_response(json!({
        "message": "OK",
        "result": {
            "uuid": uuid,
            "token": link.token,
            "type": link_type.as_str(),
            "expiresAt": format_iso(link.expires_at),
            "link": url,
        },
    })))
}
