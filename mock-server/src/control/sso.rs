//! The fake SSO providers (`/__mock/sso/...`, conventions C-18): the provider page the sign-on
//! of [`crate::api::sso`] passes through, and the identities it answers with.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::api::sso::{found, own_base, parse_target, required};
use crate::api::{App, Body, Ctx, json_response};
use crate::error::{Error, Result, msg};
use crate::state::sso::{Identity, check_provider};

/// `GET /__mock/sso/{provider}/authorize`: the fake provider page. Sends the browser back to
/// `redirect_uri` with `state` and the `code` of an identity: the one asked for with `code`,
/// else the latest registered for the provider.
///
/// Like a real provider with one registered callback, it sends the browser back only to the
/// mock's own SSO callback for the provider (same scheme, host and port as the request, path
/// `/v0/auth/{provider}/login`); any other `redirect_uri` is 400 `Invalid redirect_uri`.
pub(crate) async fn authorize(
    State(app): State<App>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    ctx: Ctx,
) -> Result<Response> {
    check_provider(&provider)?;
    let state = required(&ctx, "state")?;
    let redirect_uri = required(&ctx, "redirect_uri")?;
    let mut target = parse_target(redirect_uri, msg::INVALID_REDIRECT_URI)?;
    let own = parse_target(&own_base(&headers), msg::INVALID_REDIRECT_URI)?;
    if target.origin() != own.origin() || target.path() != format!("/v0/auth/{provider}/login") {
        return Err(Error::bad_request(msg::INVALID_REDIRECT_URI));
    }
    let world = app.store.read();
    let identity = world
        .sso
        .identity(&provider, ctx.query.get("code").map(String::as_str))
        .ok_or_else(|| {
            Error::bad_request(format!(
                "No identity registered for \"{provider}\" (POST /__mock/sso/identities)"
            ))
        })?;
    target
        .query_pairs_mut()
        .append_pair("state", state)
        .append_pair("code", identity.code.as_deref().unwrap_or_default());
    Ok(found(&target))
}

/// `POST /__mock/sso/identities`: `{provider, code?, email, name?, image?, emailVerified?}`
/// registers what the fake provider answers for `code` (generated when not given).
pub(crate) async fn register(State(app): State<App>, body: Body) -> Result<Response> {
    body.required_str("provider")?;
    body.required_str("email")?;
    let identity: Identity = serde_json::from_value(Value::Object(Map::from_iter(body.0)))
        .map_err(|e| Error::bad_request(format!("Invalid identity: {e}")))?;
    let stored = app.store.write().sso.register(identity)?;
    Ok(json_response(stored.to_json()))
}
