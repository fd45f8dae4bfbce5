//! User imports: create, process, list, read, delete (server-to-server SS-28 … SS-32).
//!
//! Passwords (test mode only) are hashed when the import is created, before the write lock is
//! taken; processing then runs synchronously under one lock and announces every created or
//! updated user by webhook.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;

use super::{Admin, App, Body, Reader, json_response, path_param};
use crate::error::Result;
use crate::state::imports::check_import;
use crate::state::views::list;
use crate::webhooks::emit_user;

fn import_uuid(params: &HashMap<String, String>) -> Result<&str> {
    path_param(params, "importUuid")
}

/// SS-28 `POST /v0/user-import`: store an idle import.
pub(crate) async fn create(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let request = check_import(body.get("users"), auth.mode)?;
    let mut hashes = Vec::with_capacity(request.passwords.len());
    for password in &request.passwords {
        hashes.push(match password {
            Some(p) => Some(app.hasher.hash(p).await?),
            None => None,
        });
    }
    let mut world = app.store.write();
    let now = world.now();
    let realm = world.realm_mut(&auth)?;
    let import = realm
        .create_import(&auth.tenant_id, request.rows, hashes, now)
        .clone();
    Ok(json_response(realm.import_json(&import)))
}

/// SS-29 `POST /v0/user-import/{importUuid}/process`: create or update every row's user.
pub(crate) async fn process(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let mut world = app.store.write();
    let now = world.now();
    let reach = auth.reach(&world)?;
    let realm = world.realm_mut(&auth)?;
    let events = realm.process_import(import_uuid(&params)?, &auth.tenant_id, &reach, now)?;
    let scope = auth.scope();
    for (action, user_id) in events {
        emit_user(&mut world, &scope, action, user_id);
    }
    let realm = world.realm(&auth)?;
    Ok(json_response(realm.import_json(
        realm.import(import_uuid(&params)?, &auth.tenant_id)?,
    )))
}

/// SS-30 `GET /v0/user-import`: the tenant's imports, oldest first.
pub(crate) async fn list_imports(State(app): State<App>, Reader(auth): Reader) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm(&auth)?;
    Ok(json_response(list(
        realm
            .imports_of(&auth.tenant_id)
            .into_iter()
            .map(|i| realm.import_json(i))
            .collect(),
    )))
}

/// SS-31 `GET /v0/user-import/{importUuid}`.
pub(crate) async fn read(
    State(app): State<App>,
    Reader(auth): Reader,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm(&auth)?;
    Ok(json_response(realm.import_json(
        realm.import(import_uuid(&params)?, &auth.tenant_id)?,
    )))
}

/// SS-32 `DELETE /v0/user-import/{importUuid}`: users it created stay.
pub(crate) async fn remove(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let mut world = app.store.write();
    let realm = world.realm_mut(&auth)?;
    let import = realm.delete_import(import_uuid(&params)?, &auth.tenant_id)?;
    Ok(json_response(realm.import_json(&import)))
}
