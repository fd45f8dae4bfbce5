//! Sign-up, sign-on with password and links, password changes and resets (client-to-server
//! CS-1 … CS-7, CS-15, CS-16); address verification is in [`super::verify`].
//!
//! What every sign-on endpoint shares is in [`super::signon`]. Message-sending handlers ask [`crate::state::Realm::check_rate_limit`] before they
//! create or change anything, so a 429 leaves no trace (conventions C-7).

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::signon::{
    LinkEmail, check_sign_on, complete, redirect_option, requested_redirect, send_link,
    send_link_to, sent, token_scope,
};
use super::{App, Body, Ctx, PathTenant, Scope, UserAuth, ok, sign_on_response};
use crate::error::{Error, ErrorKind, Result, msg};
use crate::state::clock::Millis;
use crate::state::model::{Channel, Factor, LinkCredential, LinkType};
use crate::state::password::check_rules;
use crate::state::signon::Outcome;
use crate::state::users::{UserFields, normalise_email};
use crate::state::webhooks::Action;
use crate::state::{Realm, World};
use crate::webhooks::emit_user;

/// Link types `PUT /v0/auth/link` accepts (conventions C-8.2).
const LOGIN_LINKS: [LinkType; 4] = [
    LinkType::Login,
    LinkType::Welcome,
    LinkType::Verify,
    LinkType::Sso,
];
/// Link types `PUT /v0/auth/reset` accepts (conventions C-8.2).
const RESET_LINKS: [LinkType; 4] = [
    LinkType::Reset,
    LinkType::Invite,
    LinkType::Login,
    LinkType::Welcome,
];

// ---------------------------------------------------------------------------------------------
// Password sign-up and sign-on

/// CS-1 `POST /v0/auth/create`: sign up with a password. With a firstFactorToken the request is
/// the password second factor of that pending sign-on instead (conventions C-14.1 rule 4).
pub(crate) async fn create(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    if ctx.first_factor_token().is_some() {
        return password_sign_on(&app, &ctx, &path, &body, true).await;
    }
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
    let redirect = requested_redirect(&body, &ctx)?;
    let hash = app.hasher.hash(body.required_str("password")?).await?;
    let outcome = {
        let mut world = app.store.write();
        let now = world.now();
        let base = ctx.base_url(&world, &scope.tenant_id, scope.mode)?;
        let realm = world.realm_mut(&scope)?;
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
                LinkEmail::new(user_id, LinkType::Welcome),
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
pub(crate) async fn login(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    password_sign_on(&app, &ctx, &path, &body, false).await
}

/// The identifier of a password login: `emailOrUsername`, else `email`, else `username`. An
/// `email` must follow the email rule (400 `Email format is invalid`); `emailOrUsername` is
/// matched as given, since usernames are free text.
pub fn login_identifier(body: &Body) -> Result<Option<String>> {
    for key in ["emailOrUsername", "email", "username"] {
        if let Some(value) = body.str(key)?.filter(|v| !v.trim().is_empty()) {
            if key == "email" {
                return normalise_email(value).map(Some);
            }
            return Ok(Some(value.to_owned()));
        }
    }
    Ok(None)
}

/// A password factor. Without a firstFactorToken the body identifies the user; with one, the
/// pending sign-on does, and a body identifier must name the same user. `set_if_missing` (the
/// password second factor of CS-1) stores the password of a user who has none.
pub async fn password_sign_on(
    app: &App,
    ctx: &Ctx,
    path: &PathTenant,
    body: &Body,
    set_if_missing: bool,
) -> Result<Response> {
    let factor = Factor::new("email", "password");
    let (scope, user, hash) = {
        let world = app.store.read();
        let scope = path.client_scope(&world, body, ctx)?;
        let identifier = login_identifier(body)?;
        let realm = world.realm(&scope)?;
        let user = match ctx.first_factor_token() {
            Some(token) => {
                let pending = realm.pending_sign_on(token, world.now())?.signon.user_id;
                if identifier
                    .is_some_and(|i| realm.user_id_by_email_or_username(&i) != Some(pending))
                {
                    return Err(Error::bad_request(msg::INVALID_TOKEN));
                }
                body.required_str("password")?;
                pending
            }
            None => {
                let identifier = identifier.ok_or_else(|| Error::required("emailOrUsername"))?;
                body.required_str("password")?;
                realm
                    .user_id_by_email_or_username(&identifier)
                    .ok_or_else(|| Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD))?
            }
        };
        let hash = realm.user(user)?.password_hash.clone();
        (scope, user, hash)
    };
    let password = body.required_str("password")?;
    let new_hash = match &hash {
        Some(hash) => {
            if !app.hasher.verify(password, hash).await? {
                return Err(Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD));
            }
            None
        }
        None if set_if_missing => {
            check_rules(password, scope.mode)?;
            Some(app.hasher.hash(password).await?)
        }
        None => return no_password(app, ctx, &scope, user, body),
    };
    let redirect = requested_redirect(body, ctx)?;
    let outcome = {
        let mut world = app.store.write();
        check_sign_on(&world, &scope, ctx, user, &factor)?;
        if let Some(new_hash) = new_hash {
            let now = world.now();
            let realm = world.realm_mut(&scope)?;
            if realm.user(user)?.password_hash.is_some() {
                // Set by another request meanwhile: this one did not prove it.
                return Err(Error::bad_request(msg::INCORRECT_EMAIL_OR_PASSWORD));
            }
            set_password_hash(realm, user, new_hash, false, now)?;
            emit_user(&mut world, &scope, Action::Update, user);
        }
        complete(&mut world, &scope, ctx, user, factor, false, redirect)?
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
    send_reset_email(app, ctx, scope, user_id, None)?;
    Err(refusal)
}

/// Rate-checks and sends a `reset` link (no `&type=`, as in the docs' example) to a user.
fn send_reset_email(
    app: &App,
    ctx: &Ctx,
    scope: &Scope,
    user_id: u64,
    redirect: Option<String>,
) -> Result<Value> {
    let mut world = app.store.write();
    let now = world.now();
    let base = ctx.base_url(&world, &scope.tenant_id, scope.mode)?;
    let realm = world.realm_mut(&scope)?;
    let email = realm.user(user_id)?.email.to_string();
    let confirmed = realm.email_confirmed_for(Some(user_id), &email);
    realm.check_rate_limit(Channel::Email, &email, confirmed, Some(user_id), now)?;
    send_link(
        &mut world,
        scope,
        &base,
        LinkEmail {
            redirect,
            with_type: false,
            ..LinkEmail::new(user_id, LinkType::Reset)
        },
    )
}

/// Stores a new password hash; `confirm_email` also confirms the address (a reset link proved
/// it).
fn set_password_hash(
    realm: &mut Realm,
    user_id: u64,
    hash: String,
    confirm_email: bool,
    now: Millis,
) -> Result<()> {
    realm.update_user(
        user_id,
        UserFields {
            password_hash: Some(hash),
            is_email_confirmed: confirm_email.then_some(true),
            ..UserFields::default()
        },
        now,
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Password changes

/// CS-6 `PUT /v0/auth/basic`: the signed-in user changes their password, or is sent a reset
/// link when they have none.
pub(crate) async fn update_password(
    State(app): State<App>,
    auth: UserAuth,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let scope = token_scope(&auth, &path, &body)?;
    set_or_reset_password(&app, &ctx, &scope, auth.user_id, &body).await
}

/// CS-7 `PUT /v0/tenants/{tenantId}/auth/password` (legacy): the same as CS-6.
pub(crate) async fn set_password_legacy(
    State(app): State<App>,
    auth: UserAuth,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let scope = token_scope(&auth, &path, &body)?;
    set_or_reset_password(&app, &ctx, &scope, auth.user_id, &body).await
}

/// CS-6/CS-7: a user with a password changes it (`existingPassword` must match) and gets
/// `{"message": "OK"}`; a user without one (SSO, link or code sign-ups) gets a reset link
/// instead and both fields are ignored, as seeds 000 and 001 say ("If no password exists"): the
/// link itself in test mode, a delivery receipt in live mode.
async fn set_or_reset_password(
    app: &App,
    ctx: &Ctx,
    scope: &Scope,
    user_id: u64,
    body: &Body,
) -> Result<Response> {
    match current_password_hash(app, scope, user_id)? {
        Some(hash) => {
            change_password(app, scope, user_id, hash, body).await?;
            Ok(ok())
        }
        None => send_reset_email(app, ctx, scope, user_id, None).map(sent),
    }
}

fn current_password_hash(app: &App, scope: &Scope, user_id: u64) -> Result<Option<Box<str>>> {
    let world = app.store.read();
    let realm = world.realm(&scope)?;
    Ok(realm.user(user_id)?.password_hash.clone())
}

/// Replaces a user's password: `existingPassword` must match the current one.
/// Other sessions stay active.
async fn change_password(
    app: &App,
    scope: &Scope,
    user_id: u64,
    current: Box<str>,
    body: &Body,
) -> Result<()> {
    let password = body.required_str("password")?;
    let existing = body.required_str("existingPassword")?;
    check_rules(password, scope.mode)?;
    if !app.hasher.verify(existing, &current).await? {
        return Err(Error::bad_request(msg::INCORRECT_PASSWORD));
    }
    let new_hash = app.hasher.hash(password).await?;
    let mut world = app.store.write();
    let now = world.now();
    let realm = world.realm_mut(&scope)?;
    if realm.user(user_id)?.password_hash.as_deref() != Some(&*current) {
        // Changed by another request since it was checked.
        return Err(Error::bad_request(msg::INCORRECT_PASSWORD));
    }
    set_password_hash(realm, user_id, new_hash, false, now)?;
    emit_user(&mut world, scope, Action::Update, user_id);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Links

/// CS-2 `POST /v0/auth/link`: a login link for a known email; an unknown email signs up a new
/// user (no password) and gets a welcome link, or nothing with `options.noSignupEmail`.
/// `name`, `username` and `data` are used only when the user is created.
pub(crate) async fn send_login_link(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let options = body.options()?;
    let redirect = redirect_option(&options)?;
    let no_signup_email = options.bool("noSignupEmail")?.unwrap_or(false);
    let mut world = app.store.write();
    let scope = path.client_scope(&world, &body, &ctx)?;
    let email = normalise_email(body.required_str("email")?)?;
    let fields = UserFields {
        email: Some(email.clone()),
        username: body.str("username")?.map(str::to_owned),
        name: body.str("name")?.map(str::to_owned),
        data: body.object("data")?.cloned(),
        ..UserFields::default()
    };
    let now = world.now();
    let base = ctx.base_url(&world, &scope.tenant_id, scope.mode)?;
    let realm = world.realm_mut(&scope)?;
    let mut link = LinkEmail {
        redirect,
        ..LinkEmail::new(0, LinkType::Login)
    };
    if let Some(user_id) = realm.user_id_by_email(&email) {
        let confirmed = realm.email_confirmed_for(Some(user_id), &email);
        realm.check_rate_limit(Channel::Email, &email, confirmed, Some(user_id), now)?;
        link.user_id = user_id;
        return send_link(&mut world, &scope, &base, link).map(sent);
    }
    if !no_signup_email {
        realm.check_rate_limit(Channel::Email, &email, false, None, now)?;
    }
    let user_id = realm.create_user(fields, now)?;
    emit_user(&mut world, &scope, Action::Create, user_id);
    if no_signup_email {
        return Ok(ok());
    }
    link.user_id = user_id;
    link.link_type = LinkType::Welcome;
    send_link_to(&mut world, &scope, &base, link, true).map(sent)
}

/// A sign-on with link credentials (`uuid` and `token` in the body) of the `allowed` types.
struct LinkSignOn<'a> {
    scope: &'a Scope,
    ctx: &'a Ctx,
    body: &'a Body,
    allowed: &'a [LinkType],
}

impl LinkSignOn<'_> {
    /// Validates the credentials without using them: the link itself, the user (not locked; the
    /// pending user when a firstFactorToken is sent), and for a verify link that changes the
    /// address, that the new address is still free.
    fn check(&self, world: &World) -> Result<LinkCredential> {
        let token = self.body.required_str("token")?;
        let uuid = self.body.required_str("uuid")?;
        let realm = world.realm(&self.scope)?;
        let link = realm
            .check_link(uuid, token, self.allowed, world.now())?
            .clone();
        check_sign_on(
            world,
            self.scope,
            self.ctx,
            link.user_id,
            &link_factor(&link),
        )?;
        if let Some(new_email) = &link.new_email
            && realm
                .user_id_by_email(new_email)
                .is_some_and(|id| id != link.user_id)
        {
            return Err(Error::bad_request(msg::EMAIL_EXISTS));
        }
        Ok(link)
    }

    /// Checks the credentials, lets `apply` change the user (`true` = changed, which records a
    /// `user update` event), uses the credentials up and completes the sign-on. `apply` may
    /// only fail before it changed anything.
    fn complete(
        &self,
        world: &mut World,
        redirect: Option<String>,
        apply: impl FnOnce(&mut Realm, &LinkCredential, Millis) -> Result<bool>,
    ) -> Result<Outcome> {
        let link = self.check(world)?;
        let now = world.now();
        let realm = world.realm_mut(&self.scope)?;
        let changed = apply(realm, &link, now)?;
        realm.consume_link(
            self.body.required_str("uuid")?,
            self.body.required_str("token")?,
            self.allowed,
            now,
        )?;
        if changed {
            emit_user(world, self.scope, Action::Update, link.user_id);
        }
        complete(
            world,
            self.scope,
            self.ctx,
            link.user_id,
            link_factor(&link),
            link.is_new_user,
            redirect,
        )
    }
}

/// The factor of a link-based sign-on: the email link, or for SSO hand-off credentials the
/// provider that signed the user in (conventions C-14.1 factor table).
fn link_factor(link: &LinkCredential) -> Factor {
    match &link.sso_provider {
        Some(provider) => Factor::new("email", provider),
        None => Factor::new("email", "link"),
    }
}

/// CS-3 `PUT /v0/auth/link`: log in with login, welcome, verify or SSO credentials. Using them
/// confirms the email and applies a pending change of address.
pub(crate) async fn link_login(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let outcome = {
        let mut world = app.store.write();
        let scope = path.client_scope(&world, &body, &ctx)?;
        body.str("linkType")?;
        let redirect = requested_redirect(&body, &ctx)?;
        let apply = |realm: &mut Realm, link: &LinkCredential, now: Millis| match &link.new_email {
            Some(new_email) if *realm.user(link.user_id)?.email != **new_email => {
                realm.change_email(link.user_id, new_email, now)?;
                Ok(true)
            }
            _ => realm.confirm_email(link.user_id, now),
        };
        let link = LinkSignOn {
            scope: &scope,
            ctx: &ctx,
            body: &body,
            allowed: &LOGIN_LINKS,
        };
        link.complete(&mut world, redirect, apply)?
    };
    Ok(sign_on_response(outcome))
}

/// CS-15 `POST /v0/auth/reset/link`: emails a reset link to an existing user.
pub(crate) async fn send_reset_link(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let redirect = redirect_option(&body.options()?)?;
    let (scope, user_id) = {
        let world = app.store.read();
        let scope = path.client_scope(&world, &body, &ctx)?;
        let email = normalise_email(body.required_str("email")?)?;
        let realm = world.realm(&scope)?;
        let user_id = realm
            .user_id_by_email(&email)
            .ok_or_else(Error::user_not_found)?;
        (scope, user_id)
    };
    send_reset_email(&app, &ctx, &scope, user_id, redirect).map(sent)
}

/// CS-16 `PUT /v0/auth/reset`: sets the password with reset, invite, login or welcome
/// credentials, confirms the email and signs the user in.
pub(crate) async fn reset_password(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let scope = path.client_scope(&app.store.read(), &body, &ctx)?;
    let link = LinkSignOn {
        scope: &scope,
        ctx: &ctx,
        body: &body,
        allowed: &RESET_LINKS,
    };
    body.required_str("uuid")?;
    body.required_str("token")?;
    let password = body.required_str("password")?;
    check_rules(password, scope.mode)?;
    link.check(&app.store.read())?;
    let redirect = requested_redirect(&body, &ctx)?;
    let hash = app.hasher.hash(password).await?;
    let outcome = link.complete(&mut app.store.write(), redirect, |realm, link, now| {
        set_password_hash(realm, link.user_id, hash, true, now).map(|()| true)
    })?;
    Ok(sign_on_response(outcome))
}
