//! API keys: create, list, verify, invalidate, delete (server-to-server SS-33 … SS-38).
//!
//! Every call acts in the caller's mode on the tenant it names (path tenant, else the key's
//! tenant). `GET /v0/keys/jwt` and `GET /v0/tenants/{tenantId}/keys/jwt` are the public JWT key
//! lists of [`super::jwt`]: literal segments win over `{type}` (conventions C-2.3).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::{Admin, App, Body, json_response, path_param};
use crate::error::{Error, Result, msg};
use crate::state::keys::KnownKey;
use crate::state::model::{ApiKey, KeyType};
use crate::state::views::{api_key_json, list};

/// A key type by its wire name; 400 `Invalid key type` otherwise.
fn key_type(value: Option<&str>) -> Result<KeyType> {
    value
        .and_then(KeyType::parse)
        .ok_or_else(|| Error::bad_request(msg::INVALID_KEY_TYPE))
}

/// SS-33 `POST /v0/keys`: a new active key of the tenant, in the caller's mode.
pub(crate) async fn create(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    if body.get("type").is_none() {
        return Err(Error::required("type"));
    }
    let key_type = key_type(body.get("type").and_then(|t| t.as_str()))?;
    let mut world = app.store.write();
    let now = world.now();
    let key = world.create_api_key(&auth.tenant_id, auth.mode, key_type, now);
    Ok(json_response(api_key_json(&key)))
}

/// SS-34 / SS-38 `GET /v0/keys/{type}`: the tenant's keys of a type, active and invalidated.
pub(crate) async fn list_keys(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let key_type = key_type(Some(path_param(&params, "type")?))?;
    let world = app.store.read();
    world.realm(&auth)?;
    let keys = world.api_keys_of(&auth.tenant_id, auth.mode, key_type);
    Ok(json_response(list(
        keys.into_iter().map(api_key_json).collect(),
    )))
}

/// `{mode, type, tenantId, isActive}` of a key, as verification reports it.
fn verification(key: &ApiKey, is_active: bool) -> serde_json::Value {
    json!({
        "mode": key.mode.as_str(),
        "type": key.key_type.as_str(),
        "tenantId": key.tenant_id,
        "isActive": is_active,
    })
}

/// SS-35 `POST /v0/keys/verify`: whether a key of the caller's subtree is valid. Keys the
/// caller cannot see (another workspace, another mode, outside its subtree) read as unknown.
pub(crate) async fn verify(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let key = body.required_str("key")?.trim();
    if auth.key.as_deref() == Some(key) {
        return Err(Error::bad_request(msg::KEY_VERIFY_ITSELF));
    }
    let world = app.store.read();
    let invalid = Error::bad_request(msg::INVALID_API_KEY);
    match world.known_api_key(key, &auth.tenant_id, auth.mode) {
        Some(KnownKey { key, exists: true }) if key.is_active => Ok(json_response(json!({
            "message": "OK",
            "result": verification(&key, true),
        }))),
        Some(KnownKey { key, .. }) => Err(invalid.with_extra("result", verification(&key, false))),
        None => Err(invalid),
    }
}

/// SS-36 `PUT /v0/keys/invalidate`: the key stops authenticating and stays listed.
pub(crate) async fn invalidate(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let key = body.required_str("key")?.trim();
    let mut world = app.store.write();
    let now = world.now();
    let key = world.invalidate_api_key(key, &auth.tenant_id, auth.mode, now)?;
    Ok(json_response(api_key_json(&key)))
}

/// SS-37 `DELETE /v0/keys` (JSON body): the key is gone; answers with it as it was.
pub(crate) async fn remove(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let key = body.required_str("key")?.trim();
    let mut world = app.store.write();
    let now = world.now();
    let key = world.delete_api_key(key, &auth.tenant_id, auth.mode, now)?;
    Ok(json_response(api_key_json(&key)))
}
