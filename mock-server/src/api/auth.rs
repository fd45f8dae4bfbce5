//! Sign-up, sign-on with password and links, password changes and resets, and address
//! verification (client-to-server CS-1 … CS-7, CS-15 … CS-19).
//!
//! Also home of what every sign-on endpoint shares: [`check_sign_on`] and [`complete`] (first
//! factor, or second factor with a firstFactorToken) and [`send_link`] (credentials, URL,
//! outbox). Message-sending handlers ask [`crate::state::Realm::check_rate_limit`] before they
//! create or change anything, so a 429 leaves no trace (conventions C-7).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{post, put};
use serde_json::{Value, json};

use super::{
    App, Body, Ctx, PathTenant, Scope, TokenUse, UserAuth, dual, json_response, ok,
    sign_on_response, verify_user_token,
};
use crate::error::{Error, ErrorKind, Result, msg};
use crate::password::check_rules;
use crate::state::clock::Millis;
use crate::state::messages::{Message, default_link_lifetime, link_path, link_url};
use crate::state::model::{Channel, Factor, LinkCredential, LinkType};
use crate::state::signon::{Outcome, SignOn, check_redirect_path};
use crate::state::users::{UserFields, check_phone, normalise_email};
use crate::state::webhooks::{Action, Model};
use crate::state::{Realm, World};

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

/// Routes of this module.
pub fn routes() -> Router<App> {
    let r = Router::new();
    let r = dual(r, "/v0/auth/create", post(create));
    let r = dual(r, "/v0/auth/basic", post(login).put(update_password));
    let r = dual(r, "/v0/auth/link", post(send_login_link).put(link_login));
    let r = dual(r, "/v0/auth/reset/link", post(send_reset_link));
    let r = dual(r, "/v0/auth/reset", put(reset_password));
    let r = dual(r, "/v0/auth/verify/email", post(verify_email));
    let r = dual(r, "/v0/auth/verify/link", post(verify_email));
    let r = dual(r, "/v0/auth/verify/phone", post(verify_phone));
    r.route(
        "/v0/tenants/{tenantId}/auth/password",
        put(set_password_legacy),
    )
}

// ---------------------------------------------------------------------------------------------
// Shared by the sign-on endpoints

/// Checks, without changing anything, that a sign-on of `user_id` with `factor` can complete:
/// the user exists and is not locked, and with a firstFactorToken in the request, the token is
/// pending for that same user and `factor` is one of the tenant's second factors, different
/// from the first (conventions C-14.1 rule 4). Handlers call it before they consume credentials
/// or change the user, so a refused sign-on leaves everything as it was.
pub fn check_sign_on(
    world: &World,
    scope: &Scope,
    ctx: &Ctx,
    user_id: u64,
    factor: &Factor,
) -> Result<()> {
    let realm = world.realm_of(&scope.tenant_id, scope.mode)?;
    if let Some(token) = ctx.first_factor_token() {
        realm.check_second_factor(token, Some(user_id), factor, world.now())?;
    }
    if realm.user(user_id)?.locked {
        return Err(Error::new(403, msg::USER_LOCKED));
    }
    Ok(())
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
    check_sign_on(world, scope, ctx, user_id, &factor)?;
    let now = world.now();
    let base = ctx.base_url(world, &scope.tenant_id, scope.mode)?;
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
    if let Some(token) = ctx.first_factor_token() {
        return realm.complete_second_factor(token, factor, ctx.code_challenge(), now);
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

/// The redirect path a sign-on request asked for: body `options.redirect`, else query `redirect`
/// (conventions C-13.1).
/// Only a path is accepted ([`check_redirect_path`]), checked before anything is used up.
pub fn requested_redirect(body: &Body, ctx: &Ctx) -> Result<Option<String>> {
    let redirect = body
        .options()?
        .str("redirect")?
        .map(str::to_owned)
        .or_else(|| ctx.query.get("redirect").cloned())
        .filter(|r| !r.is_empty());
    redirect.as_deref().map(check_redirect_path).transpose()?;
    Ok(redirect)
}

/// `options.redirect` of a request that sends or generates a link: a path, like
/// [`requested_redirect`].
pub fn redirect_option(options: &Body) -> Result<Option<String>> {
    let redirect = options.str("redirect")?.filter(|r| !r.is_empty());
    redirect.map(check_redirect_path).transpose()?;
    Ok(redirect.map(str::to_owned))
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

impl LinkEmail {
    /// The plain link email most senders start from: the type's default lifetime, no change of
    /// address, no redirect, and `&type=` in the URL. Callers override only what differs.
    pub fn new(user_id: u64, link_type: LinkType) -> Self {
        LinkEmail {
            user_id,
            link_type,
            lifetime: None,
            new_email: None,
            redirect: None,
            with_type: true,
        }
    }
}

/// Issues link credentials, builds the URL (conventions C-8.2) and captures the email. The
/// caller has already passed [`crate::state::Realm::check_rate_limit`]. Returns the `result`
/// member of the response (the link in test mode, a receipt in live mode).
pub fn send_link(world: &mut World, scope: &Scope, base: &str, email: LinkEmail) -> Result<Value> {
    send_link_to(world, scope, base, email, false)
}

/// [`send_link`], marking the credentials as handed to a user this request created, so that
/// using them lands on the After-signup path.
fn send_link_to(
    world: &mut World,
    scope: &Scope,
    base: &str,
    email: LinkEmail,
    is_new_user: bool,
) -> Result<Value> {
    let now = world.now();
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
    let lifetime = email
        .lifetime
        .unwrap_or_else(|| default_link_lifetime(email.link_type));
    let user = realm.user(email.user_id)?;
    let (uuid, to) = (
        user.user_uuid,
        email
            .new_email
            .clone()
            .unwrap_or_else(|| user.email.to_string()),
    );
    let link = realm.issue_link(
        email.user_id,
        email.link_type,
        lifetime,
        email.new_email,
        now,
    );
    if is_new_user && let Some(stored) = realm.links.get_mut(&link.token) {
        stored.is_new_user = true;
    }
    let url = link_url(
        base,
        link_path(&realm.tenant(&scope.tenant_id)?.settings, email.link_type),
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

/// The answer of a message-sending endpoint (conventions C-8.4).
pub fn sent(result: Value) -> Response {
    json_response(json!({ "message": "OK", "result": result }))
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

/// The tenant a request names, by path (which wins) or body `tenantId`.
fn named_tenant<'a>(path: &'a PathTenant, body: &'a Body) -> Result<Option<&'a str>> {
    match &path.0 {
        Some(tenant) => Ok(Some(tenant)),
        None => Ok(body.str("tenantId")?.map(str::trim)),
    }
}

/// The scope of a request authenticated by an access token: the token's tenant and mode. A path
/// or body tenant naming another tenant is refused with 403 (CS-6).
fn token_scope(auth: &UserAuth, path: &PathTenant, body: &Body) -> Result<Scope> {
    if named_tenant(path, body)?.is_some_and(|t| t != auth.tenant_id) {
        return Err(Error::forbidden());
    }
    Ok(Scope {
        tenant_id: auth.tenant_id.clone(),
        mode: auth.mode,
    })
}

/// The scope of a client request that may carry a user's access token, and that user. With a
/// token, its tenant and mode apply (another named tenant → 403) and a bad token is a 401;
/// without one (or with a firstFactorToken), conventions C-2.1 and C-4.2 apply.
pub fn scope_and_token_user(
    world: &World,
    path: &PathTenant,
    body: &Body,
    ctx: &Ctx,
) -> Result<(Scope, Option<u64>)> {
    let token = ctx
        .bearer
        .as_deref()
        .filter(|_| ctx.first_factor_token().is_none());
    let Some(token) = token else {
        return Ok((path.client_scope(world, body, ctx)?, None));
    };
    let verified = verify_user_token(world, token, TokenUse::Access)?;
    let user_id = verified.user_id.ok_or_else(Error::unauthorized)?;
    let scope = Scope {
        tenant_id: verified.tenant_id,
        mode: verified.mode,
    };
    if named_tenant(path, body)?.is_some_and(|t| t != scope.tenant_id) {
        return Err(Error::forbidden());
    }
    Ok((scope, Some(user_id)))
}

/// The user a verification request is about (CS-17, CS-19): the token's user, else the user
/// named by `userId` or `userUuid`, else the user holding the address (`by_address`). `None`
/// from `by_address` means the request named no address at all.
fn verification_user(
    realm: &Realm,
    token_user: Option<u64>,
    body: &Body,
    address_field: &str,
    by_address: Option<Option<u64>>,
) -> Result<u64> {
    if let Some(user_id) = token_user {
        return Ok(user_id);
    }
    if let Some(user_id) = body.u64("userId")? {
        return realm.user(user_id).map(|u| u.user_id);
    }
    if let Some(uuid) = body.str("userUuid")? {
        return uuid::Uuid::parse_str(uuid.trim())
            .ok()
            .and_then(|uuid| realm.user_id_by_uuid(&uuid))
            .ok_or_else(Error::user_not_found);
    }
    match by_address {
        Some(found) => found.ok_or_else(Error::user_not_found),
        None => Err(Error::required(address_field)),
    }
}

// ---------------------------------------------------------------------------------------------
// Password sign-up and sign-on

/// CS-1 `POST /v0/auth/create`: sign up with a password. With a firstFactorToken the request is
/// the password second factor of that pending sign-on instead (conventions C-14.1 rule 4).
async fn create(
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
async fn login(State(app): State<App>, ctx: Ctx, path: PathTenant, body: Body) -> Result<Response> {
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
        let realm = world.realm_of(&scope.tenant_id, scope.mode)?;
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
            let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
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
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
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
async fn update_password(
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
async fn set_password_legacy(
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
    let realm = world.realm_of(&scope.tenant_id, scope.mode)?;
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
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
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
async fn send_login_link(
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
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
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
        let realm = world.realm_of(&self.scope.tenant_id, self.scope.mode)?;
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
        let realm = world.realm_of_mut(&self.scope.tenant_id, self.scope.mode)?;
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
async fn link_login(
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
async fn send_reset_link(
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
        let realm = world.realm_of(&scope.tenant_id, scope.mode)?;
        let user_id = realm
            .user_id_by_email(&email)
            .ok_or_else(Error::user_not_found)?;
        (scope, user_id)
    };
    send_reset_email(&app, &ctx, &scope, user_id, redirect).map(sent)
}

/// CS-16 `PUT /v0/auth/reset`: sets the password with reset, invite, login or welcome
/// credentials, confirms the email and signs the user in.
async fn reset_password(
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

// ---------------------------------------------------------------------------------------------
// Address verification

/// CS-17 `POST /v0/auth/verify/email` and CS-18 `POST /v0/auth/verify/link` (legacy): emails a
/// verify link. A new address (a change of email) needs the user's access token, must be free,
/// and replaces the old one only when the link is used.
async fn verify_email(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let redirect = redirect_option(&body.options()?)?;
    let mut world = app.store.write();
    let (scope, token_user) = scope_and_token_user(&world, &path, &body, &ctx)?;
    let requested = body.str("email")?.map(normalise_email).transpose()?;
    let now = world.now();
    let base = ctx.base_url(&world, &scope.tenant_id, scope.mode)?;
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
    let by_email = requested.as_deref().map(|e| realm.user_id_by_email(e));
    let user_id = verification_user(realm, token_user, &body, "email", by_email)?;
    let current = realm.user(user_id)?.email.to_string();
    let new_email = match requested {
        Some(email) if email != current => {
            if token_user != Some(user_id) {
                return Err(Error::unauthorized());
            }
            if realm.user_id_by_email(&email).is_some() {
                return Err(Error::bad_request(msg::EMAIL_EXISTS));
            }
            Some(email)
        }
        _ => None,
    };
    let to = new_email.clone().unwrap_or(current);
    let confirmed = realm.email_confirmed_for(Some(user_id), &to);
    realm.check_rate_limit(Channel::Email, &to, confirmed, Some(user_id), now)?;
    send_link(
        &mut world,
        &scope,
        &base,
        LinkEmail {
            new_email,
            redirect,
            ..LinkEmail::new(user_id, LinkType::Verify)
        },
    )
    .map(sent)
}

/// CS-19 `POST /v0/auth/verify/phone`: texts a 6-digit code. A number the user does not have yet
/// needs their access token and must be free when the tenant's `isPhoneNumberUnique` is set; it
/// becomes the user's number when the code is used (`PUT /v0/auth/code`).
async fn verify_phone(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let mut world = app.store.write();
    let (scope, token_user) = scope_and_token_user(&world, &path, &body, &ctx)?;
    let phone = body.required_str("phoneNumber")?.trim().to_owned();
    check_phone(&phone)?;
    let now = world.now();
    let realm = world.realm_of_mut(&scope.tenant_id, scope.mode)?;
    let by_phone = Some(realm.user_id_by_phone(&phone));
    let user_id = verification_user(realm, token_user, &body, "phoneNumber", by_phone)?;
    let user = realm.user(user_id)?;
    let uuid = user.user_uuid;
    let is_new_number = user.phone_number.as_deref() != Some(phone.as_str());
    if is_new_number {
        if token_user != Some(user_id) {
            return Err(Error::unauthorized());
        }
        if realm.phone_taken(&phone, Some(user_id)) {
            return Err(Error::bad_request(msg::PHONE_EXISTS));
        }
    }
    let confirmed = realm.phone_confirmed_for(Some(user_id), &phone);
    realm.check_rate_limit(Channel::Sms, &phone, confirmed, Some(user_id), now)?;
    let code = realm.issue_phone_verification_code(&phone, user_id, is_new_number, now);
    world
        .deliver(
            &scope.tenant_id,
            scope.mode,
            Message {
                channel: Channel::Sms,
                to: phone,
                message_type: "verificationCode",
                link: None,
                uuid: Some(uuid),
                token: None,
                verification_code: Some(code),
                user_id: Some(user_id),
            },
        )
        .map(sent)
}
