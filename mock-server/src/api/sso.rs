//! SSO sign-on with fake providers (client-to-server CS-13; conventions C-14.3). The fake
//! providers themselves (`/__mock/sso/...`, conventions C-18) are in [`crate::control::sso`].
//!
//! The browser opens `GET /v0/auth/{provider}/login?tenant_id=&origin=`; the mock sends it to
//! its fake provider page, which sends it straight back to the same path with `code` and
//! `state`; the callback signs the user up or finds them, and sends the browser to the tenant's
//! login page with one-time `uuid`/`token`/`type=sso` credentials for `PUT /v0/auth/link`.
//! Every refusal is a JSON error (C-6), never a redirect.
//!
//! Redirects go only where the tenant allows, and every target is checked before anything is
//! used up: the `origin` must be an allowed origin of the tenant
//! ([`crate::state::signon::allowed_origin`]), `redirect` a path, and the fake provider sends
//! the browser back only to the mock's own callback. Every `Location` is built with the `url`
//! crate, so parameters land in the query (never after a `#fragment`) and nothing can split a
//! header.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{App, Ctx, Scope, detect_mode};
use crate::error::{Error, Result, msg};
use crate::state::messages::base_url;
use crate::state::signon::{allowed_origin, check_redirect_path};
use crate::state::sso::{PendingSso, STATE_LIFETIME, check_provider, provider_enabled};
use crate::state::webhooks::Action;
use crate::webhooks::emit_user;

/// A `302 Found` to `location`.
pub(crate) fn found(location: &url::Url) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.as_str())]).into_response()
}

/// A URL the mock is about to send a browser to; 400 `message` when it does not parse.
pub(crate) fn parse_target(text: &str, message: &'static str) -> Result<url::Url> {
    if text.chars().any(char::is_control) {
        return Err(Error::bad_request(message));
    }
    url::Url::parse(text).map_err(|_| Error::bad_request(message))
}

/// The mock's own base URL, as the browser reached it.
pub(crate) fn own_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// A required query parameter, named with its underscore spelling in the message.
pub(crate) fn required<'a>(ctx: &'a Ctx, name: &str) -> Result<&'a str> {
    ctx.query
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::required(name))
}

/// CS-13 `GET /v0/auth/{provider}/login`: the start of an SSO sign-on, or (with `state`) the
/// provider's callback.
pub(crate) async fn login(
    State(app): State<App>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    ctx: Ctx,
) -> Result<Response> {
    if ctx.query.contains_key("state") {
        return callback(&app, &provider, &ctx);
    }
    let tenant_id = required(&ctx, "tenant_id")?;
    let origin = required(&ctx, "origin")?;
    check_provider(&provider)?;
    let provider_id = match provider.as_str() {
        "custom" => Some(required(&ctx, "provider_id")?),
        _ => None,
    };
    let data = match ctx.query.get("data").filter(|d| !d.is_empty()) {
        None => None,
        // Deep `data` is refused as deep bodies are: it is stored with the user.
        Some(text) => match super::parse_json(text.as_bytes()) {
            Ok(Value::Object(data)) => Some(data),
            Err(e) if e.message == crate::error::msg::JSON_TOO_DEEP => return Err(e),
            _ => return Err(Error::bad_request("\"data\" must be of type object")),
        },
    };
    let redirect = ctx.query.get("redirect").filter(|r| !r.is_empty()).cloned();
    redirect.as_deref().map(check_redirect_path).transpose()?;
    let mut world = app.store.write();
    let mode = detect_mode(&world, tenant_id, Some(origin))?;
    // One-time credentials go back to this origin: only to one the tenant owns.
    let origin = allowed_origin(origin, &world.workspace_of(tenant_id)?.live_domains, mode)?;
    let realm = world.realm_of(tenant_id, mode)?;
    if !provider_enabled(&realm.config.sso_providers, &provider, provider_id) {
        return Err(Error::bad_request(crate::error::msg::INVALID_PROVIDER));
    }
    let now = world.now();
    let state = world.sso.start(
        PendingSso {
            tenant_id: tenant_id.to_owned(),
            mode,
            provider: provider.clone(),
            origin,
            redirect,
            data,
            expires_at: now + STATE_LIFETIME,
        },
        now,
    );
    let base = own_base(&headers);
    let callback = parse_target(
        &format!("{base}/v0/auth/{provider}/login"),
        msg::INVALID_REDIRECT_URI,
    )?;
    let mut authorize = callback
        .join(&format!("/__mock/sso/{provider}/authorize"))
        .map_err(|_| Error::bad_request(msg::INVALID_REDIRECT_URI))?;
    authorize
        .query_pairs_mut()
        .append_pair("state", &state.to_string())
        .append_pair("redirect_uri", callback.as_str());
    Ok(found(&authorize))
}

/// The provider's callback: signs the person in as the user of their email and hands the login
/// page one-time SSO credentials.
fn callback(app: &App, provider: &str, ctx: &Ctx) -> Result<Response> {
    check_provider(provider)?;
    let state = required(ctx, "state")?;
    let code = required(ctx, "code")?;
    let mut world = app.store.write();
    let now = world.now();
    // Everything that can fail is checked before the state is used up: the sign-on, the
    // identity, and the landing page the credentials go to.
    let pending = world.sso.peek(state, provider, now)?;
    let identity = world
        .sso
        .identity(provider, Some(code))
        .cloned()
        .ok_or_else(|| Error::bad_request(msg::INVALID_TOKEN))?;
    let scope = Scope {
        tenant_id: pending.tenant_id.clone(),
        mode: pending.mode,
    };
    let path = &world
        .realm(&scope)?
        .tenant(&scope.tenant_id)?
        .settings
        .logout_redirect_path;
    let base = base_url(
        Some(&pending.origin),
        world.workspace_of(&scope.tenant_id)?,
        scope.mode,
    );
    let mut landing = parse_target(&format!("{base}{path}"), msg::INVALID_REDIRECT)?;
    landing.set_fragment(None);
    let pending = world.sso.finish(state, provider, now)?;
    let realm = world.realm_mut(&scope)?;
    let user = realm.sso_user(&identity, pending.data, now)?;
    let link = realm.issue_sso_link(user.user_id, provider, user.created, now);
    let uuid = realm.user(user.user_id)?.user_uuid;
    if user.created {
        emit_user(&mut world, &scope, Action::Create, user.user_id);
    } else if user.updated {
        emit_user(&mut world, &scope, Action::Update, user.user_id);
    }
    {
        let mut query = landing.query_pairs_mut();
        query
            .append_pair("uuid", &uuid.to_string())
            .append_pair("token", &link.token.to_string())
            .append_pair("type", "sso");
        if let Some(redirect) = &pending.redirect {
            query.append_pair("redirect", redirect);
        }
    }
    Ok(found(&landing))
}
