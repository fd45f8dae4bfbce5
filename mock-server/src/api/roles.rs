//! Roles at application and tenant level: create, list, set user roles, delete (server-to-server
//! SS-18 … SS-20, SS-22 … SS-25, SS-27).
//!
//! The bare form acts on the key's tenant ("application-wide" roles), the tenant form on the
//! path tenant; both are the same handlers, registered for both path forms of the route table. Users always live in the
//! workspace pool; their roles are stored under the tenant acted on (conventions C-3). Role
//! invitations (SS-21, SS-26) belong to the users module and reuse the assignment rules of
//! [`crate::state::roles`].

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;

use super::{Admin, App, Body, Reader, json_response, path_param};
use crate::error::{Error, Result};
use crate::state::roles::roles_from_json;
use crate::state::views::{list, role_json};
use crate::state::webhooks::Action;
use crate::webhooks::emit_user;

/// SS-18 / SS-23 `POST /v0/roles`: define a role.
pub(crate) async fn create(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let name = match body.get("name") {
        None => return Err(Error::required("name")),
        Some(value) => value
            .as_str()
            .ok_or_else(|| Error::bad_request("\"name\" must be a string"))?,
    };
    let mut world = app.store.write();
    let now = world.now();
    let realm = world.realm_mut(&auth)?;
    let role = realm.create_role(&auth.tenant_id, name, now)?;
    Ok(json_response(role_json(&auth.tenant_id, &role)))
}

/// SS-19 / SS-24 `GET /v0/roles`: the tenant's roles.
pub(crate) async fn list_roles(State(app): State<App>, Reader(auth): Reader) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm(&auth)?;
    let roles = realm.roles_of(&auth.tenant_id)?;
    Ok(json_response(list(
        roles
            .iter()
            .map(|r| role_json(&auth.tenant_id, r))
            .collect(),
    )))
}

/// SS-22 / SS-27 `DELETE /v0/roles/{name}`: remove an unassigned role.
pub(crate) async fn remove(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let name = path_param(&params, "name")?;
    let mut world = app.store.write();
    let now = world.now();
    let realm = world.realm_mut(&auth)?;
    let role = realm.delete_role(&auth.tenant_id, name, now)?;
    Ok(json_response(role_json(&auth.tenant_id, &role)))
}

/// SS-20 / SS-25 `PUT` (or `POST`) `/v0/users/{userId}/roles`: replace the user's roles in the
/// tenant; answers with the updated User.
pub(crate) async fn set_roles(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
    body: Body,
) -> Result<Response> {
    let roles = roles_from_json(body.get("roles"))?;
    let mut world = app.store.write();
    let now = world.now();
    let realm = world.realm_mut(&auth)?;
    let user_id = realm.user_id_by_ref(path_param(&params, "userId")?)?;
    if realm.set_user_roles(user_id, &auth.tenant_id, &roles, now)? {
        emit_user(&mut world, &auth.scope(), Action::Update, user_id);
    }
    let realm = world.realm(&auth)?;
    Ok(json_response(realm.user_json_by_id(user_id)))
}
