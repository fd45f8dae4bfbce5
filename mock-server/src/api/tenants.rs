//! Tenants: create, create child, read, update, delete, search (server-to-server SS-12 … SS-17).
//!
//! The tenant acted on is the path `{tenantId}` or, for `POST /v0/tenants`, the key's own
//! tenant; the [`Admin`] / [`Reader`] extractors have already applied the "same tenant, parent
//! or grandparent" rule. Tenant events are announced with the webhook settings of the tenant's
//! parent (SS-12), user events with those of the workspace.

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::{Admin, App, Body, Reader, json_response};
use crate::error::{Error, Result};
use crate::state::World;
use crate::state::model::{Mode, Tenant};
use crate::state::search::{Params, Search};
use crate::state::tenants::TenantFields;
use crate::state::views::page;
use crate::state::webhooks::{Action, Model};

/// `name`, `image` and `data` of a body.
fn tenant_fields(body: &Body) -> Result<TenantFields> {
    Ok(TenantFields {
        name: body.str("name")?.map(str::to_owned),
        image: body.str("image")?.map(str::to_owned),
        data: body.object("data")?.cloned(),
    })
}

/// Records a tenant event with the webhook settings of the tenant's parent.
fn emit_tenant(world: &mut World, tenant_id: &str, mode: Mode, action: Action, record: Value) {
    let owner = world.tenant_webhook_owner(tenant_id, mode);
    world.emit(&owner, mode, Model::Tenant, action, record);
}

/// SS-12 `POST /v0/tenants` (child of the key's tenant) and SS-13
/// `POST /v0/tenants/{tenantId}/tenants` (child of `{tenantId}`).
pub(crate) async fn create(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let fields = tenant_fields(&body)?;
    let mut world = app.store.write();
    let now = world.now();
    let tenant_id = world.create_tenant(&auth.tenant_id, auth.mode, fields, now)?;
    let record = world.tenant_view(&tenant_id, auth.mode)?;
    emit_tenant(
        &mut world,
        &tenant_id,
        auth.mode,
        Action::Create,
        record.clone(),
    );
    Ok(json_response(record))
}

/// SS-14 `GET /v0/tenants/{tenantId}`.
pub(crate) async fn read(State(app): State<App>, Reader(auth): Reader) -> Result<Response> {
    let world = app.store.read();
    Ok(json_response(
        world.tenant_view(&auth.tenant_id, auth.mode)?,
    ))
}

/// SS-15 `PUT /v0/tenants/{tenantId}`: `name`, `image`, `data` (shallow merge); other settings
/// are the dashboard's (the mock's control surface) and are ignored here.
pub(crate) async fn update(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let fields = tenant_fields(&body)?;
    let mut world = app.store.write();
    let now = world.now();
    world.update_tenant(&auth.tenant_id, auth.mode, fields, now)?;
    let record = world.tenant_view(&auth.tenant_id, auth.mode)?;
    emit_tenant(
        &mut world,
        &auth.tenant_id,
        auth.mode,
        Action::Update,
        record.clone(),
    );
    Ok(json_response(record))
}

/// SS-16 `DELETE /v0/tenants/{tenantId}`: the tenant and its subtree go; one `tenant delete`
/// event each, one `user update` event per user who lost roles. Answers with the tenant as it
/// was.
pub(crate) async fn remove(State(app): State<App>, Admin(auth): Admin) -> Result<Response> {
    let mut world = app.store.write();
    let now = world.now();
    let removal = world.delete_tenant(&auth.tenant_id, auth.mode, now)?;
    for record in &removal.tenants {
        world.emit(
            &removal.parent,
            auth.mode,
            Model::Tenant,
            Action::Delete,
            record.clone(),
        );
    }
    let realm = world.realm_of(&removal.parent, auth.mode)?;
    let root = realm.workspace_id.clone();
    let users: Vec<Value> = removal
        .users
        .iter()
        .map(|&id| realm.user_json_by_id(id))
        .collect();
    for record in users {
        world.emit(&root, auth.mode, Model::User, Action::Update, record);
    }
    removal
        .tenants
        .into_iter()
        .next()
        .map(json_response)
        .ok_or_else(Error::internal)
}

/// SS-17 `POST /v0/tenants/{tenantId}/tenants/find`: direct children, or the whole subtree with
/// `deep: true`, through the search grammar of C-10.
pub(crate) async fn search(
    State(app): State<App>,
    Reader(auth): Reader,
    body: Body,
) -> Result<Response> {
    let deep = body.bool("deep")?.unwrap_or(false);
    let world = app.store.read();
    let search = Search::<Tenant>::parse(
        Params {
            filters: body.get("filters"),
            order: body.get("order"),
            page: body.get("page"),
        },
        world.now(),
    )?;
    let activated = world.workspace_of(&auth.tenant_id)?.has_activated_live_mode;
    let realm = world.realm(&auth)?;
    let candidates = realm
        .descendants(&auth.tenant_id)
        .into_iter()
        .filter(|t| deep || t.parent_id.as_deref() == Some(auth.tenant_id.as_str()));
    let found = search.run(candidates, realm);
    let results = found
        .results
        .iter()
        .map(|t| realm.tenant_json(t, activated))
        .collect();
    Ok(json_response(page(found.total, results)))
}
