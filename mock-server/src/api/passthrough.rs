//! Password migration through a passthrough upstream (client-to-server CS-5; conventions C-14.5).
//! The mock's log of upstream calls (`/__mock/passthrough/calls`) is in
//! [`crate::control::passthrough`].
//!
//! Only a known user without a password (imported without one) is sent to the upstream; every
//! other login is exactly `POST /v0/auth/basic`. The upstream is consulted outside the lock:
//! a real HTTP call can take up to its 5-second timeout.

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value};

use super::auth::{login_identifier, password_sign_on};
use super::signon::{complete, requested_redirect};
use super::{App, Body, Ctx, PathTenant, sign_on_response};
use crate::error::{Error, Result, msg};
use crate::state::ids;
use crate::state::model::Factor;
use crate::state::passthrough::{Call, Upstream, Verdict, parse, verdict};
use crate::state::signon::Outcome;
use crate::state::users::UserFields;
use crate::state::webhooks::Action;
use crate::webhooks::emit_user;

/// How long an upstream gets to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A user the upstream must vouch for: known, without a password, in a tenant with a
/// passthrough upstream.
struct Migration {
    scope: super::Scope,
    user_id: u64,
    /// The identifier as typed, and the user's email and username, for rule matching.
    names: Vec<String>,
    upstream: Upstream,
}

/// CS-5 `POST /v0/auth/password/migrate`: `POST /v0/auth/basic`, except that a user without a
/// password is checked against the tenant's upstream. Upstream 2xx → the password is stored, the
/// user signed in and `upstreamResponse` added; 4xx → 400 with the upstream's message and
/// `upstreamResponse`; no usable answer → 400 `Incorrect email or password`.
pub(crate) async fn migrate(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let Some(migration) = migration(&app, &ctx, &path, &body)? else {
        return password_sign_on(&app, &ctx, &path, &body, false).await;
    };
    let password = body.required_str("password")?;
    let passthrough_code = ids::uuid().to_string();
    let (status, response, error) = consult(&app, &migration, password, &passthrough_code).await;
    app.store.write().record_passthrough_call(Call {
        tenant_id: migration.scope.tenant_id.clone(),
        mode: migration.scope.mode.as_str(),
        url: migration.upstream.url.clone(),
        email_or_username: migration.names[0].clone(),
        passthrough_code,
        status,
        response: response.clone(),
        error,
    });
    let upstream_response = match verdict(status, response) {
        Verdict::Accepted(body) => body,
        Verdict::Refused(message, body) => {
            return Err(Error::bad_request(message).with_extra("upstreamResponse", body));
        }
        Verdict::Unavailable => {
            return Err(Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD));
        }
    };
    let hash = app.hasher.hash(password).await?;
    let redirect = requested_redirect(&body, &ctx)?;
    let outcome = {
        let mut world = app.store.write();
        let (scope, user_id) = (&migration.scope, migration.user_id);
        let now = world.now();
        let realm = world.realm_mut(&scope)?;
        if realm.user(user_id)?.password_hash.is_some() {
            // Set by another request meanwhile: this one's password was not checked against it.
            return Err(Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD));
        }
        super::signon::check_sign_on(
            &world,
            scope,
            &ctx,
            user_id,
            &Factor::new("email", "password"),
        )?;
        world.realm_mut(&scope)?.update_user(
            user_id,
            UserFields {
                password_hash: Some(hash),
                ..UserFields::default()
            },
            now,
        )?;
        emit_user(&mut world, scope, Action::Update, user_id);
        complete(
            &mut world,
            scope,
            &ctx,
            user_id,
            Factor::new("email", "password"),
            false,
            redirect,
        )?
    };
    Ok(with_upstream_response(outcome, upstream_response))
}

/// Decides whether this login goes to the upstream; `None` = an ordinary password login.
fn migration(app: &App, ctx: &Ctx, path: &PathTenant, body: &Body) -> Result<Option<Migration>> {
    if ctx.first_factor_token().is_some() {
        return Ok(None);
    }
    let world = app.store.read();
    let scope = path.client_scope(&world, body, ctx)?;
    let Some(identifier) = login_identifier(body)? else {
        return Ok(None);
    };
    let realm = world.realm(&scope)?;
    let Some(upstream) = realm
        .config
        .passthrough
        .as_ref()
        .map(parse)
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    let Some(user_id) = realm.user_id_by_email_or_username(&identifier) else {
        return Ok(None);
    };
    let user = realm.user(user_id)?;
    if user.password_hash.is_some() {
        return Ok(None);
    }
    let names = vec![
        identifier.trim().to_owned(),
        user.email.to_string(),
        user.username.to_string(),
    ];
    Ok(Some(Migration {
        scope,
        user_id,
        names,
        upstream,
    }))
}

/// Asks the upstream: the canned rules, or a real POST of
/// `{emailOrUsername, email, password, passthroughCode}`. Returns the status (`None` when no
/// answer came), the JSON body (`null` when none) and the transport error, if any.
async fn consult(
    app: &App,
    migration: &Migration,
    password: &str,
    passthrough_code: &str,
) -> (Option<u16>, Value, Option<String>) {
    let Some(url) = &migration.upstream.url else {
        let names: Vec<&str> = migration.names.iter().map(String::as_str).collect();
        let (status, body) = migration.upstream.answer(&names, password);
        return (Some(status), body, None);
    };
    let mut request = Map::new();
    request.insert("emailOrUsername".into(), migration.names[0].clone().into());
    if !migration.names[1].is_empty() {
        request.insert("email".into(), migration.names[1].clone().into());
    }
    request.insert("password".into(), password.into());
    request.insert("passthroughCode".into(), passthrough_code.into());
    match app
        .http()
        .post(url)
        .timeout(TIMEOUT)
        .json(&request)
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.json::<Value>().await.unwrap_or(Value::Null);
            (Some(status), body, None)
        }
        Err(e) => (None, Value::Null, Some(e.to_string())),
    }
}

/// Adds `upstreamResponse` to whichever answer the sign-on gives (tokens, MFA or PKCE).
fn with_upstream_response(outcome: Outcome, upstream: Value) -> Response {
    match outcome {
        Outcome::Tokens(mut prepared) => {
            prepared.body.insert("upstreamResponse".into(), upstream);
            sign_on_response(Outcome::Tokens(prepared))
        }
        Outcome::Pending(mut body) => {
            if let Some(obj) = body.as_object_mut() {
                obj.insert("upstreamResponse".into(), upstream);
            }
            sign_on_response(Outcome::Pending(body))
        }
    }
}
