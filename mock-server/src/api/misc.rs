//! Public tenant lookups and legacy documents (client-to-server CS-27, CS-28, CS-34, CS-35).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::{App, Ctx, detect_mode, json_response};
use crate::error::Result;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/v0/tenants/{tenantId}/mode", get(mode))
        .route("/v0/tenants/{tenantId}/flows/default", get(default_flow))
}

/// CS-27 `GET /v0/tenants/{tenantId}/mode`: the mode of the calling origin and the flow.
async fn mode(State(app): State<App>, Path(tenant_id): Path<String>, ctx: Ctx) -> Result<Response> {
    let world = app.store.read();
    let mode = detect_mode(&world, &tenant_id, ctx.origin.as_deref())?;
    let realm = world.realm_of(&tenant_id, mode)?;
    Ok(json_response(json!({
        "mode": mode.as_str(),
        "authentication": realm.config.flow,
    })))
}

/// CS-28 `GET /v0/tenants/{tenantId}/flows/default` (legacy): the flow alone.
async fn default_flow(
    State(app): State<App>,
    Path(tenant_id): Path<String>,
    ctx: Ctx,
) -> Result<Response> {
    let world = app.store.read();
    let mode = detect_mode(&world, &tenant_id, ctx.origin.as_deref())?;
    let realm = world.realm_of(&tenant_id, mode)?;
    Ok(json_response(json!(realm.config.flow)))
}
