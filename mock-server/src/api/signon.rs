//! What every sign-on endpoint shares (conventions C-14.1): [`check_sign_on`] and [`complete`]
//! (first factor, or second factor with a firstFactorToken), the redirect a request asks for,
//! the scope of a request that may carry a user's token, and [`send_link`] (link credentials,
//! URL, outbox) with the answer of message-sending endpoints ([`sent`]).
//!
//! Used by the password and link endpoints of [`super::auth`], and by MFA, users, JWT and
//! passthrough handlers.

use axum::response::Response;
use serde_json::{Value, json};

use super::{Body, Ctx, PathTenant, Scope, TokenUse, UserAuth, json_response, verify_user_token};
use crate::error::{Error, Result, msg};
use crate::state::World;
use crate::state::clock::Millis;
use crate::state::messages::{Message, default_link_lifetime, link_path, link_url};
use crate::state::model::{Channel, Factor, LinkType};
use crate::state::signon::{Outcome, SignOn, check_redirect_path};

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
    let realm = world.realm(&scope)?;
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
    let realm = world.realm_mut(&scope)?;
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
pub fn send_link_to(
    world: &mut World,
    scope: &Scope,
    base: &str,
    email: LinkEmail,
    is_new_user: bool,
) -> Result<Value> {
    let now = world.now();
    let realm = world.realm_mut(&scope)?;
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

/// The tenant a request names, by path (which wins) or body `tenantId`.
fn named_tenant<'a>(path: &'a PathTenant, body: &'a Body) -> Result<Option<&'a str>> {
    match &path.0 {
        Some(tenant) => Ok(Some(tenant)),
        None => Ok(body.str("tenantId")?.map(str::trim)),
    }
}

/// The scope of a request authenticated by an access token: the token's tenant and mode. A path
/// or body tenant naming another tenant is refused with 403 (CS-6).
pub fn token_scope(auth: &UserAuth, path: &PathTenant, body: &Body) -> Result<Scope> {
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
