//! JWT public keys and JWKS (server-to-server SS-39 … SS-41): what a verifier needs to check
//! the mock's tokens.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::{App, Ctx, authenticate_key, bearer, json_response};
use crate::error::{Error, Result};
use crate::state::model::Mode;
use crate::state::views::list;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/v0/tenants/{tenantId}/keys/jwt", get(public_keys))
        .route("/v0/keys/jwt", get(public_keys_of_key))
        .route("/v0/tenants/{tenantId}/jwks", get(jwks))
        .route("/v0/tenants/{tenantId}/jwks/{mode}", get(jwks_by_mode))
}

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
async fn public_keys(
    State(app): State<App>,
    Path(tenant_id): Path<String>,
    ctx: Ctx,
) -> Result<Response> {
    keys_body(&app, &tenant_id, requested_mode(&ctx))
}

/// SS-39 alias `GET /v0/keys/jwt`: the tenant and mode of the API key.
async fn public_keys_of_key(
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
async fn jwks(State(app): State<App>, Path(tenant_id): Path<String>, ctx: Ctx) -> Result<Response> {
    jwks_body(&app, &tenant_id, requested_mode(&ctx))
}

/// SS-41 `GET /v0/tenants/{tenantId}/jwks/{mode}` (legacy).
async fn jwks_by_mode(
    State(app): State<App>,
    Path((tenant_id, mode)): Path<(String, String)>,
) -> Result<Response> {
    let mode = Mode::parse(&mode).ok_or_else(Error::not_found)?;
    jwks_body(&app, &tenant_id, mode)
}
