//! Sign-up, sign-on with password and links, password reset and address verification
//! (client-to-server CS-1 … CS-7, CS-15 … CS-19).
//!
//! Also home of what every sign-on endpoint shares: [`complete`] (first factor, or second factor
//! with a firstFactorToken) and [`send_link`] (credentials, URL, outbox, rate limits).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde_json::Value;

use super::{App, Body, Ctx, PathTenant, Scope, dual, sign_on_response};
use crate::error::{Error, ErrorKind, Result, msg};
use crate::password::check_rules;
use crate::state::World;
use crate::state::clock::Millis;
use crate::state::messages::{Message, default_link_lifetime, link_url};
use crate::state::model::{Channel, Factor, LinkType};
use crate::state::signon::{Outcome, SignOn};
use crate::state::users::{UserFields, normalise_email};
use crate::state::webhooks::{Action, Model};

/// Routes of this module.
pub fn routes() -> Router<App> {
    let r = Router::new();
    let r = dual(r, "/v0/auth/create", post(create));
    dual(r, "/v0/auth/basic", post(login))
}

/// Completes a sign-on whose factor succeeded. With a firstFactorToken in the request this is the
/// second factor of a pending sign-on (which must be the same user's); otherwise it is a first
/// factor and [`crate::state::Realm::finish_sign_on`] decides between tokens, MFA and PKCE.
pub fn complete(
    world: &mut World,
    scope: &Scope,
    ctx: &Ctx,
    user_id: u64,
    factor: Factor,
    is_new_user: bool,
    redirect: Option<String>,
) -> Result<Outcome> {
    let now = world.now();
    let base = ctx.base_url(world, &scope.tenant_id, scope.mode)?;
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
    if let Some(token) = ctx.first_factor_token() {
        if realm.pending_sign_on(token, now)?.signon.user_id != user_id {
            return Err(Error::bad_request(msg::INVALID_TOKEN));
        }
        return realm.complete_second_factor(token, factor, now);
    }
    realm.finish_sign_on(
        SignOn {
            user_id,
            tenant_id: scope.tenant_id.as_str().into(),
            first_factor: factor,
            second_factor: None,
            is_new_user,
            redirect,
            base,
            ip_address: ctx.ip.clone(),
            user_agent: ctx.user_agent.clone(),
            code_challenge: ctx.code_challenge(),
        },
        now,
    )
}

/// A link email to send.
#[derive(Clone, Debug)]
pub struct LinkEmail {
    pub user_id: u64,
    pub link_type: LinkType,
    /// `None` = the default lifetime of the type.
    pub lifetime: Option<Millis>,
    /// For verify links that change the address.
    pub new_email: Option<String>,
    /// `options.redirect`, appended to the URL.
    pub redirect: Option<String>,
    /// Whether the URL carries `&type=` (reset links of CS-15 do not).
    pub with_type: bool,
}

/// Issues link credentials, builds the URL (conventions C-8.2) and captures the email. The
/// caller has already passed [`crate::state::Realm::check_rate_limit`]. Returns the `result`
/// member of the response (the link in test mode, a receipt in live mode).
pub fn send_link(world: &mut World, scope: &Scope, base: &str, email: LinkEmail) -> Result<Value> {
    let now = world.now();
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
    let lifetime = email
        .lifetime
        .unwrap_or_else(|| default_link_lifetime(email.link_type));
    let to = email.new_email.clone().unwrap_or_else(|| {
        realm
            .users
            .get(&email.user_id)
            .map(|u| u.email.to_string())
            .unwrap_or_default()
    });
    let link = realm.issue_link(
        email.user_id,
        email.link_type,
        lifetime,
        email.new_email,
        now,
    );
    let uuid = realm.user(email.user_id)?.user_uuid;
    let settings = &realm.tenant(&scope.tenant_id)?.settings;
    let path = match email.link_type {
        LinkType::Reset | LinkType::Invite => &settings.password_reset_path,
        _ => &settings.logout_redirect_path,
    };
    let url = link_url(
        base,
        path,
        &uuid,
        &link.token,
        email.with_type.then_some(email.link_type.as_str()),
        email.redirect.as_deref(),
    );
    world.deliver(
        &scope.tenant_id,
        scope.mode,
        Message {
            channel: Channel::Email,
            to,
            message_type: email.link_type.as_str(),
            link: Some(url),
            uuid: Some(uuid),
            token: Some(link.token),
            verification_code: None,
            user_id: Some(email.user_id),
        },
    )
}

/// Records a `user create` or `user update` webhook event for a user of a scope.
pub fn emit_user(world: &mut World, scope: &Scope, action: Action, user_id: u64) {
    let Ok(realm) = world.realm_of(&scope.tenant_id, scope.mode) else {
        return;
    };
    let record = realm.user_json_by_id(user_id);
    let root = realm.workspace_id.to_string();
    world.emit(&root, scope.mode, Model::User, action, record);
}

/// CS-1 `POST /v0/auth/create`: sign up with a password.
async fn create(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let (scope, fields) = {
        let world = app.store.read();
        let scope = path.client_scope(&world, &body, &ctx)?;
        let email = normalise_email(body.required_str("email")?)?;
        let password = body.required_str("password")?;
        check_rules(password, scope.mode)?;
        let fields = UserFields {
            email: Some(email),
            username: body.str("username")?.map(str::to_owned),
            name: body.str("name")?.map(str::to_owned),
            data: body.object("data")?.cloned(),
            ..UserFields::default()
        };
        (scope, fields)
    };
    let no_email = body.option_flag("noSignupEmail")?;
    let redirect = body.options()?.str("redirect")?.map(str::to_owned);
    let hash = app.hasher.hash(body.required_str("password")?).await?;
    let outcome = {
        let mut world = app.store.write();
        let now = world.now();
        let base = ctx.base_url(&world, &scope.tenant_id, scope.mode)?;
        let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
        let email = fields.email.clone().unwrap_or_default();
        if realm.user_id_by_email(&email).is_some() {
            return Err(Error::bad_request(msg::EMAIL_EXISTS));
        }
        if !no_email {
            realm.check_rate_limit(Channel::Email, &email, false, None, now)?;
        }
        let user_id = realm.create_user(
            UserFields {
                password_hash: Some(hash),
                ..fields
            },
            now,
        )?;
        if !no_email {
            send_link(
                &mut world,
                &scope,
                &base,
                LinkEmail {
                    user_id,
                    link_type: LinkType::Welcome,
                    lifetime: None,
                    new_email: None,
                    redirect: None,
                    with_type: true,
                },
            )?;
        }
        emit_user(&mut world, &scope, Action::Create, user_id);
        complete(
            &mut world,
            &scope,
            &ctx,
            user_id,
            Factor::new("email", "password"),
            true,
            redirect,
        )?
    };
    Ok(sign_on_response(outcome))
}

/// CS-4 `POST /v0/auth/basic`: log in with a password.
async fn login(State(app): State<App>, ctx: Ctx, path: PathTenant, body: Body) -> Result<Response> {
    let (scope, user, hash) = {
        let world = app.store.read();
        let scope = path.client_scope(&world, &body, &ctx)?;
        let identifier = match body.str("emailOrUsername")? {
            Some(v) if !v.trim().is_empty() => v.to_owned(),
            _ => match (body.str("email")?, body.str("username")?) {
                (Some(e), _) if !e.trim().is_empty() => e.to_owned(),
                (_, Some(u)) if !u.trim().is_empty() => u.to_owned(),
                _ => return Err(Error::required("emailOrUsername")),
            },
        };
        body.required_str("password")?;
        let realm = world.realm_of(&scope.tenant_id, scope.mode)?;
        let user = realm
            .user_id_by_email_or_username(&identifier)
            .ok_or_else(|| Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD))?;
        let hash = realm.user(user)?.password_hash.clone();
        (scope, user, hash)
    };
    let password = body.required_str("password")?;
    let Some(hash) = hash else {
        return no_password(&app, &ctx, &scope, user, &body);
    };
    if !app.hasher.verify(password, &hash).await? {
        return Err(Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD));
    }
    let redirect = body.options()?.str("redirect")?.map(str::to_owned);
    let outcome = {
        let mut world = app.store.write();
        complete(
            &mut world,
            &scope,
            &ctx,
            user,
            Factor::new("email", "password"),
            false,
            redirect,
        )?
    };
    Ok(sign_on_response(outcome))
}

/// Password login for a user without a password: `intended_error` with `options.noResetEmail`,
/// otherwise a reset email and a plain refusal (CS-4 case 2).
fn no_password(app: &App, ctx: &Ctx, scope: &Scope, user_id: u64, body: &Body) -> Result<Response> {
    let refusal = Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD);
    if body.option_flag("noResetEmail")? {
        return Err(refusal.with_kind(ErrorKind::Intended));
    }
    let mut world = app.store.write();
    let now = world.now();
    let base = ctx.base_url(&world, &scope.tenant_id, scope.mode)?;
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
    let email = realm.user(user_id)?.email.to_string();
    let confirmed = realm.email_confirmed_for(Some(user_id), &email);
    realm.check_rate_limit(Channel::Email, &email, confirmed, Some(user_id), now)?;
    send_link(
        &mut world,
        scope,
        &base,
        LinkEmail {
            user_id,
            link_type: LinkType::Reset,
            lifetime: None,
            new_email: None,
            redirect: None,
            with_type: false,
        },
    )?;
    Err(refusal)
}
