//! Public tenant lookups and legacy documents (client-to-server CS-27, CS-28, CS-34).

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::{App, Ctx, UserAuth, detect_mode, json_response};
use crate::error::{Error, Result};
use crate::state::views::list;

/// The legacy toolkit forms listed by CS-34.
const LEGACY_MODS: [&str; 4] = [
    "Signup form",
    "Login form",
    "Password reset form",
    "Logout button",
];

/// CS-27 `GET /v0/tenants/{tenantId}/mode`: the mode of the calling origin and the flow.
pub(crate) async fn mode(
    State(app): State<App>,
    Path(tenant_id): Path<String>,
    ctx: Ctx,
) -> Result<Response> {
    let world = app.store.read();
    let mode = detect_mode(&world, &tenant_id, ctx.origin.as_deref())?;
    let realm = world.realm_of(&tenant_id, mode)?;
    Ok(json_response(json!({
        "mode": mode.as_str(),
        "authentication": realm.config.flow,
    })))
}

/// CS-28 `GET /v0/tenants/{tenantId}/flows/default` (legacy): the flow alone.
pub(crate) async fn default_flow(
    State(app): State<App>,
    Path(tenant_id): Path<String>,
    ctx: Ctx,
) -> Result<Response> {
    let world = app.store.read();
    let mode = detect_mode(&world, &tenant_id, ctx.origin.as_deref())?;
    let realm = world.realm_of(&tenant_id, mode)?;
    Ok(json_response(json!(realm.config.flow)))
}

/// CS-34 `GET /v0/tenants/{tenantId}/mods` (legacy dashboard): the four legacy toolkit forms,
/// for a signed-in user holding a role in that tenant. Their `eid`s are six letters derived
/// from the tenant's UUID, so they look random but stay the same from call to call.
pub(crate) async fn mods(
    State(app): State<App>,
    auth: UserAuth,
    Path(tenant_id): Path<String>,
) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm_of(&tenant_id, auth.mode)?;
    let home = world.realm(&auth)?;
    let has_role = realm.workspace_id == home.workspace_id
        && home
            .user(auth.user_id)?
            .roles
            .get(tenant_id.as_str())
            .is_some_and(|roles| !roles.is_empty());
    if !has_role {
        return Err(Error::forbidden());
    }
    let seed = realm.tenant(&tenant_id)?.uuid.into_bytes();
    let results: Vec<Value> = LEGACY_MODS
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let eid: String = (0..6)
                .map(|j| char::from(b'a' + seed[(i * 6 + j) % 16].wrapping_add(j as u8) % 26))
                .collect();
            json!({ "eid": eid, "displayTitle": title })
        })
        .collect();
    Ok(json_response(list(results)))
}
