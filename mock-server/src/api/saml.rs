//! Userfront as SAML identity provider (client-to-server CS-31 … CS-33; conventions C-14.4).
//!
//! `GET /v0/auth/saml/idp/login` without a token is the SP-initiated entry: the mock remembers
//! the SP's AuthnRequest in a browser cookie (as a real IdP keeps it in its session) and sends
//! the browser to the tenant's login page; once signed in, the page trades its access token for
//! a SAML token and comes back with it, and the answer is an auto-submitting form that POSTs a
//! signed SAML response to the SP. SAML is live-mode only.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{App, Ctx, UserAuth, json_response};
use crate::error::{Error, Result, msg};
use crate::state::messages::url_encode;
use crate::state::model::Mode;
use crate::state::saml::{
    Assertion, SpRequest, login_response, logout_response, parse_sp_request, post_form,
};

/// The cookie that carries an SP request from the SP-initiated entry to the sign-in.
const REQUEST_COOKIE: &str = "uf_saml_request";

fn live_only() -> Error {
    Error::bad_request(msg::SAML_LIVE_ONLY)
}

/// CS-31 `GET /v0/auth/saml/idp/token` (and the older `POST`): a single-use SAML token for the
/// signed-in user, valid 5 minutes.
pub(crate) async fn token(State(app): State<App>, auth: UserAuth) -> Result<Response> {
    if auth.mode != Mode::Live {
        return Err(live_only());
    }
    let mut world = app.store.write();
    let now = world.now();
    let token = world
        .realm_mut(&auth)?
        .issue_saml_token(auth.user_id, auth.session_id, now);
    Ok(json_response(json!({ "token": token })))
}

/// The IdP entity id of a tenant: stable per mock address and tenant.
fn idp_entity_id(headers: &HeaderMap, tenant_id: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/v0/auth/saml/idp/{tenant_id}")
}

/// A browser cookie's value.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// Login or logout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Login,
    Logout,
}

/// CS-32 `GET /v0/auth/saml/idp/login`.
pub(crate) async fn login(
    State(app): State<App>,
    headers: HeaderMap,
    ctx: Ctx,
) -> Result<Response> {
    saml(&app, &headers, &ctx, Flow::Login)
}

/// CS-33 `GET /v0/auth/saml/idp/logout`: the same, answering with a signed LogoutResponse to
/// the SP's logout URL; the Userfront session is not ended.
pub(crate) async fn logout(
    State(app): State<App>,
    headers: HeaderMap,
    ctx: Ctx,
) -> Result<Response> {
    saml(&app, &headers, &ctx, Flow::Logout)
}

fn saml(app: &App, headers: &HeaderMap, ctx: &Ctx, flow: Flow) -> Result<Response> {
    let query = |k: &str| ctx.query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let tenant_id = query("tenant_id")
        .or_else(|| query("tenantId"))
        .ok_or_else(|| Error::required("tenant_id"))?
        .to_owned();
    let relay_state = query("RelayState").map(str::to_owned);
    let request = query("SAMLRequest").map(parse_sp_request).transpose()?;
    let mut world = app.store.write();
    let workspace = world.workspace_of(&tenant_id)?;
    if !workspace.has_activated_live_mode {
        return Err(live_only());
    }
    let live_domain = workspace.live_domains.first().cloned();
    let now = world.now();
    let realm = world.realm_of_mut(&tenant_id, Mode::Live)?;
    let Some(token) = query("token") else {
        // The SP-initiated entry: remember the request, send the browser to the login page.
        let domain = live_domain.ok_or_else(live_only)?;
        let request = request.unwrap_or_default();
        realm.service_provider(&request)?;
        let path = realm
            .tenant(&tenant_id)?
            .settings
            .logout_redirect_path
            .clone();
        let remembered = realm.remember_sp_request(request, now);
        let mut location = format!(
            "https://{domain}{path}?tenant_id={}",
            url_encode(&tenant_id)
        );
        for key in ["SAMLRequest", "RelayState"] {
            if let Some(value) = query(key) {
                location.push_str(&format!("&{key}={}", url_encode(value)));
            }
        }
        let cookie = format!(
            "{REQUEST_COOKIE}={remembered}; Path=/v0/auth/saml/idp; Max-Age=300; HttpOnly; SameSite=Lax"
        );
        return Ok((
            StatusCode::FOUND,
            [(header::LOCATION, location), (header::SET_COOKIE, cookie)],
        )
            .into_response());
    };
    let uuid = query("uuid").ok_or_else(|| Error::required("uuid"))?;
    let used = realm.use_saml_token(token, uuid, now)?;
    let request: SpRequest = match request {
        Some(request) => request,
        None => cookie(headers, REQUEST_COOKIE)
            .and_then(|id| realm.take_sp_request(&id, now))
            .unwrap_or_default(),
    };
    let sp = realm.service_provider(&request)?;
    let idp = idp_entity_id(headers, &tenant_id);
    let user = realm.user(used.user_id)?;
    let (action, xml) = match flow {
        Flow::Login => {
            let assertion = Assertion {
                idp_entity_id: &idp,
                sp: &sp,
                in_response_to: request.id.as_deref(),
                now,
                session_id: used.session_id,
                name_id: &user.email,
                attributes: vec![
                    ("userUuid", user.user_uuid.to_string()),
                    ("userId", user.user_id.to_string()),
                    ("email", user.email.to_string()),
                    ("name", user.name.to_string()),
                ],
            };
            (
                sp.acs_url.clone(),
                login_response(&assertion, &realm.signing),
            )
        }
        Flow::Logout => {
            let destination = sp.logout_url.clone().unwrap_or_else(|| sp.acs_url.clone());
            let xml = logout_response(
                &idp,
                &destination,
                request.id.as_deref(),
                now,
                &realm.signing,
            );
            (destination, xml)
        }
    };
    let page = post_form(&action, &xml, relay_state.as_deref());
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response())
}
