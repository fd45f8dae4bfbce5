//! The mock control surface `/__mock/*` (conventions C-18): not part of Userfront.
//!
//! Tests use it to reset state, move the clock, read captured messages and webhook deliveries,
//! and change what the real product keeps in its dashboard (live domains, flows, MFA, SSO,
//! SAML, passthrough). It needs no credentials; never expose a mock to the internet.
//!
//! This folder holds all of it, so that `api/` holds only the Userfront API: the handlers
//! below (reset, state, clock, outbox, webhooks, settings, rate limits), the request journal
//! ([`journal`]), state export ([`persist`]), who may call `/__mock` at all ([`guard`]), the fake
//! SSO providers ([`sso`]) and the passthrough call log ([`passthrough`]).

pub mod forge;
pub mod guard;
pub mod journal;
pub mod passthrough;
pub mod persist;
pub mod sso;
pub mod ui;
pub mod users;
pub mod wait;
pub mod webhook_filter;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::api::{App, Body, Ctx, json_response, ok};
use crate::error::{Error, Result, msg};
use crate::state::clock::{EARLIEST, LATEST, SECOND, format_iso, parse_iso};
use crate::state::model::{Flow, Mode, TenantSettings};
use crate::state::seed;
use crate::state::views::list;

/// `POST /__mock/reset`: back to the seed data and real time, with an empty request journal.
pub(crate) async fn reset(State(app): State<App>) -> Response {
    app.store.write().reset();
    app.journal.clear();
    ok()
}

/// `GET /__mock/state`: seeded workspaces, keys, users and the current mock time.
pub(crate) async fn state(State(app): State<App>) -> Response {
    let world = app.store.read();
    let mut body = seed::summary(&world);
    body["now"] = json!(format_iso(world.now()));
    body["memory"] = world.memory();
    json_response(body)
}

/// `GET /__mock/clock`.
pub(crate) async fn read_clock(State(app): State<App>) -> Response {
    json_response(json!({ "now": format_iso(app.store.read().now()) }))
}

/// `POST /__mock/clock` with `{advanceSeconds}` or `{now}`. Mock time stays between 1970 and
/// the end of year 9999 (`clock::EARLIEST`..=`clock::LATEST`): a date that does not exist or a
/// move outside that range is refused with 400 and the clock is left as it was.
pub(crate) async fn set_clock(State(app): State<App>, body: Body) -> Result<Response> {
    let mut world = app.store.write();
    match (body.get("advanceSeconds"), body.str("now")?) {
        (Some(v), None) => {
            let seconds = v
                .as_f64()
                .filter(|s| s.is_finite())
                .ok_or_else(|| Error::bad_request(msg::CLOCK_ADVANCE_NUMBER))?;
            // Beyond ±1e15 s the product is past any representable time anyway.
            if seconds.abs() > 1e15 {
                return Err(Error::bad_request(msg::CLOCK_OUT_OF_RANGE));
            }
            world
                .clock
                .try_advance((seconds * SECOND as f64) as i64)
                .ok_or_else(|| Error::bad_request(msg::CLOCK_OUT_OF_RANGE))?;
        }
        (None, Some(now)) => {
            let at = parse_iso(now).ok_or_else(|| Error::bad_request(msg::CLOCK_NOW_DATE))?;
            if !(EARLIEST..=LATEST).contains(&at) {
                return Err(Error::bad_request(msg::CLOCK_OUT_OF_RANGE));
            }
            world.clock.set(at);
        }
        _ => return Err(Error::bad_request(msg::CLOCK_ONE_OF)),
    }
    Ok(json_response(json!({ "now": format_iso(world.now()) })))
}

/// `GET /__mock/outbox`, filtered by `tenantId`, `mode`, `to`, `type`, `channel`, and `since`
/// (only messages after that `messageId`); with `wait`, a long-poll for the first matching
/// message ([`super::wait`]).
pub(crate) async fn outbox(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    let wait = wait::requested(&ctx)?;
    let since = wait::since_id(&ctx)?;
    let q = &ctx.query;
    let matches = |key: &str, value: &str| {
        q.get(key)
            .is_none_or(|want| want.eq_ignore_ascii_case(value))
    };
    let look = || {
        let world = app.store.read();
        let seen = wait::seen(world.outbox.iter().map(|e| e.message_id), since);
        let entries: Vec<Value> = world
            .outbox
            .iter()
            .skip(seen)
            .filter(|e| {
                matches("tenantId", &e.tenant_id)
                    && matches("mode", e.mode.as_str())
                    && matches("to", &e.to)
                    && matches("type", &e.message_type)
                    && matches("channel", e.channel.as_str())
            })
            .map(|e| json!(e))
            .collect();
        Ok((!entries.is_empty(), entries))
    };
    let entries = wait::until(&app.waits, wait, app.store.subscribe(), look).await?;
    Ok(json_response(list(entries)))
}

/// `DELETE /__mock/outbox`.
pub(crate) async fn clear_outbox(State(app): State<App>) -> Response {
    app.store.write().outbox.clear();
    ok()
}

/// `GET /__mock/webhooks`: recorded deliveries, oldest first, filtered by the delivered event
/// ([`webhook_filter`]) and `since` (only deliveries after that `id`); with `wait`, a long-poll
/// for the first matching delivery ([`super::wait`]).
pub(crate) async fn webhooks(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    let wait = wait::requested(&ctx)?;
    let since = wait::since_id(&ctx)?;
    let filter = webhook_filter::WebhookFilter::parse(&ctx)?;
    let look = || {
        let world = app.store.read();
        let seen = wait::seen(world.webhooks.iter().map(|d| d.id), since);
        let entries: Vec<Value> = world
            .webhooks
            .iter()
            .skip(seen)
            .filter(|d| filter.matches(d))
            .map(|d| json!(d))
            .collect();
        Ok((!entries.is_empty(), entries))
    };
    let entries = wait::until(&app.waits, wait, app.store.subscribe(), look).await?;
    Ok(json_response(list(entries)))
}

/// `DELETE /__mock/webhooks`.
pub(crate) async fn clear_webhooks(State(app): State<App>) -> Response {
    app.store.write().webhooks.clear();
    ok()
}

/// Members of the settings body that are not tenant settings fields, besides the
/// [`WORKSPACE_SETTINGS`].
const EXTRA_SETTINGS: [&str; 3] = ["mode", "name", "image"];

/// Members of the settings body that only a workspace has.
const WORKSPACE_SETTINGS: [&str; 7] = [
    "liveDomains",
    "hasActivatedLiveMode",
    "authentication",
    "isMfaRequired",
    "ssoProviders",
    "samlServiceProviders",
    "passthrough",
];

/// `PUT /__mock/tenants/{tenantId}/settings`: what the real product sets in its dashboard. All
/// members are checked before anything changes.
pub(crate) async fn settings(
    State(app): State<App>,
    Path(tenant_id): Path<String>,
    body: Body,
) -> Result<Response> {
    let mut world = app.store.write();
    let home = world.home(&tenant_id)?.clone();
    let modes: Vec<Mode> = match body.str("mode")? {
        Some(m) => vec![
            Mode::parse(m)
                .ok_or_else(|| Error::bad_request("\"mode\" must be one of [test, live]"))?,
        ],
        None => home.mode.map_or(Mode::ALL.to_vec(), |m| vec![m]),
    };
    if home.mode.is_some_and(|m| modes != [m]) {
        return Err(Error::not_found());
    }
    let is_workspace = home.mode.is_none();
    let known_settings = serde_json::to_value(TenantSettings::default())
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    for key in body.0.keys() {
        let extra =
            EXTRA_SETTINGS.contains(&key.as_str()) || WORKSPACE_SETTINGS.contains(&key.as_str());
        if !known_settings.contains_key(key) && !extra {
            return Err(Error::bad_request(format!("\"{key}\" is not allowed")));
        }
    }
    for (key, value) in body.0.iter().filter(|(k, _)| k.ends_with("WebhookUrl")) {
        if let Some(url) = value.as_str() {
            check_webhook_url(key, url, modes.contains(&Mode::Live))?;
        }
    }
    // The pool-wide settings live on the workspace: a child tenant has no flow, MFA, SSO, SAML
    // or passthrough of its own (its users sign in against the workspace pool).
    if !is_workspace && let Some(key) = WORKSPACE_SETTINGS.iter().find(|k| body.get(k).is_some()) {
        return Err(Error::bad_request(format!(
            "\"{key}\" can only be set on a workspace"
        )));
    }
    let live_domains: Option<Vec<String>> = body
        .get("liveDomains")
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|_| Error::bad_request("\"liveDomains\" must be an array of strings"))?;
    let activated = body.bool("hasActivatedLiveMode")?;
    let flow: Option<Flow> = body
        .get("authentication")
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|_| {
            Error::bad_request("\"authentication\" must be {firstFactors, secondFactors}")
        })?;
    let mfa_all = body.bool("isMfaRequired")?;
    let sso = body.object("ssoProviders")?.cloned();
    let saml: Option<Vec<Value>> = match body.get("samlServiceProviders") {
        None => None,
        Some(Value::Array(sps))
            if sps
                .iter()
                .all(|sp| sp.get("acsUrl").and_then(Value::as_str).is_some()) =>
        {
            Some(sps.clone())
        }
        Some(_) => {
            return Err(Error::bad_request(
                "\"samlServiceProviders\" must be an array of {entityId, acsUrl, logoutUrl}",
            ));
        }
    };
    let passthrough = body.get("passthrough").cloned();
    if let Some(p) = &passthrough {
        crate::state::passthrough::parse(p)?;
    }
    let name = body.str("name")?.map(str::to_owned);
    let image = body.str("image")?.map(str::to_owned);

    // Compute every new settings record first, so a bad value changes nothing.
    let mut new_settings = Vec::new();
    for &mode in &modes {
        let realm = world.realm_of(&tenant_id, mode)?;
        let mut current = serde_json::to_value(&realm.tenant(&tenant_id)?.settings)
            .map_err(|_| Error::internal())?;
        for (key, value) in &body.0 {
            if known_settings.contains_key(key) {
                current[key] = value.clone();
            }
        }
        let parsed: TenantSettings = serde_json::from_value(current)
            .map_err(|e| Error::bad_request(format!("Invalid settings: {e}")))?;
        new_settings.push((mode, parsed));
    }
    let now = world.now();
    let mut result = Map::new();
    for (mode, parsed) in new_settings {
        let realm = world.realm_of_mut(&tenant_id, mode)?;
        let is_root = *realm.workspace_id == *tenant_id;
        let tenant = realm
            .tenants
            .get_mut(tenant_id.as_str())
            .ok_or_else(Error::not_found)?;
        tenant.settings = parsed;
        if let Some(name) = &name {
            tenant.name = name.clone();
        }
        if let Some(image) = &image {
            tenant.image = Some(image.clone());
        }
        tenant.updated_at = now;
        if is_root {
            if let Some(flow) = &flow {
                realm.config.flow = flow.clone();
            }
            if let Some(v) = mfa_all {
                realm.config.mfa_required_all = v;
            }
            if let Some(sso) = &sso {
                for (k, v) in sso {
                    realm.config.sso_providers.insert(k.clone(), v.clone());
                }
            }
            if let Some(saml) = &saml {
                realm.config.saml_service_providers = saml.clone();
            }
            if let Some(p) = &passthrough {
                realm.config.passthrough = (!p.is_null()).then(|| p.clone());
            }
        }
        let config = &realm.config;
        result.insert(
            mode.as_str().to_owned(),
            json!({
                "settings": realm.tenant(&tenant_id)?.settings,
                "authentication": config.flow,
                "isMfaRequired": config.mfa_required_all,
                "ssoProviders": config.sso_providers,
                "samlServiceProviders": config.saml_service_providers,
                "passthrough": config.passthrough,
            }),
        );
    }
    if let Some(workspace) = world.workspaces.get_mut(tenant_id.as_str()) {
        if let Some(domains) = live_domains {
            workspace.live_domains = domains;
        }
        if let Some(v) = activated {
            workspace.has_activated_live_mode = v;
        }
        result.insert("liveDomains".into(), json!(workspace.live_domains));
        result.insert(
            "hasActivatedLiveMode".into(),
            json!(workspace.has_activated_live_mode),
        );
    }
    Ok(json_response(Value::Object(result)))
}

/// A webhook URL must be http(s); in live mode it must be https (conventions C-15), except on
/// the loopback interface, so that a test can still receive live events on a local server.
fn check_webhook_url(key: &str, url: &str, live: bool) -> Result<()> {
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| Error::bad_request(format!("\"{key}\" must be an http or https URL")))?;
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if live && parsed.scheme() != "https" && !loopback {
        return Err(Error::bad_request(format!(
            "\"{key}\" must use https in live mode"
        )));
    }
    Ok(())
}

/// `POST /__mock/rate-limit/opt-out` with `{tenantId, mode, userId}`.
pub(crate) async fn opt_out(State(app): State<App>, body: Body) -> Result<Response> {
    let tenant_id = body.required_str("tenantId")?.to_owned();
    let mode = Mode::parse(body.str("mode")?.unwrap_or("test"))
        .ok_or_else(|| Error::bad_request("\"mode\" must be one of [test, live]"))?;
    let user_id = body
        .u64("userId")?
        .ok_or_else(|| Error::required("userId"))?;
    let mut world = app.store.write();
    let realm = world.realm_of_mut(&tenant_id, mode)?;
    realm.user(user_id)?;
    realm.rate_limit_opt_outs.insert(user_id);
    Ok(ok())
}
