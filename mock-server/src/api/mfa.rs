//! Verification codes, TOTP and legacy MFA (client-to-server CS-8 … CS-12, CS-29, CS-30).
//!
//! Every sign-on here follows the pattern of [`super::auth`]: find and check the factor without
//! changing anything, check the sign-on can complete ([`check_sign_on`]: locked user, pending
//! second factor), then apply what the factor proves (a confirmed address, a confirmed
//! authenticator), use the credential up, and finish with [`complete`].

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::signon::{check_sign_on, complete, requested_redirect, scope_and_token_user, sent};
use super::{
    App, Body, Ctx, PathTenant, Scope, TokenUse, first_factor_mode, json_response, ok,
    sign_on_response, verify_user_token,
};
use crate::error::{Error, Result, msg};
use crate::state::clock::Millis;
use crate::state::codes::{CODE_STRATEGY, CodePlan, CodeRequest, Recipient, parse_channel};
use crate::state::messages::Message;
use crate::state::model::{Channel, Factor, Mode, VerificationCode};
use crate::state::totp::{otpauth_uri, qr_data_url};
use crate::state::users::{UserFields, check_phone, normalise_email};
use crate::state::webhooks::Action;
use crate::state::{Realm, World};
use crate::webhooks::emit_user;

/// The factor of a verification code sent on `channel`.
fn code_factor(channel: Channel) -> Factor {
    Factor::new(channel.as_str(), CODE_STRATEGY)
}

/// The factor of a TOTP authenticator.
fn totp_factor() -> Factor {
    Factor::new("authenticator", "totp")
}

/// A trimmed, non-empty string member.
fn given<'a>(body: &'a Body, key: &str) -> Result<Option<&'a str>> {
    Ok(body.str(key)?.map(str::trim).filter(|s| !s.is_empty()))
}

/// The user of the pending sign-on the request's firstFactorToken names, or `None` without
/// one; 401 `Invalid token` when it is unknown or expired. The code and TOTP endpoints read it
/// the same way to tell a second factor (and whose it is) from a first.
fn pending_user(realm: &Realm, ctx: &Ctx, now: Millis) -> Result<Option<u64>> {
    ctx.first_factor_token()
        .map(|token| Ok(realm.pending_sign_on(token, now)?.signon.user_id))
        .transpose()
}

/// Issues a planned code and captures the SMS or email (rate limit already checked). Returns
/// the `result` member of the answer.
fn send_planned(
    world: &mut World,
    scope: &Scope,
    plan: CodePlan,
    message_type: &'static str,
) -> Result<serde_json::Value> {
    let now = world.now();
    let (channel, address) = (plan.channel, plan.address.clone());
    let realm = world.realm_mut(&scope)?;
    let (user_id, code, created) = realm.issue_planned_code(plan, now)?;
    let uuid = realm.user(user_id)?.user_uuid;
    if created {
        emit_user(world, scope, Action::Create, user_id);
    }
    world.deliver(
        &scope.tenant_id,
        scope.mode,
        Message {
            channel,
            to: address,
            message_type,
            link: None,
            uuid: Some(uuid),
            token: None,
            verification_code: Some(code),
            user_id: Some(user_id),
        },
    )
}

/// Uses a checked code: applies what it proves, consumes it, and records a `user update` when
/// the user changed. Nothing changes when applying fails.
fn use_code(world: &mut World, scope: &Scope, code: &VerificationCode) -> Result<()> {
    let now = world.now();
    let realm = world.realm_mut(&scope)?;
    let changed = realm.apply_code(code, now)?;
    realm.consume_code(code.channel, &code.address, &code.code, now)?;
    if changed {
        emit_user(world, scope, Action::Update, code.user_id);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Verification codes

/// CS-8 `POST /v0/auth/code`: texts or emails a 6-digit code. An unknown phone number or email
/// signs a new user up (a phone number alone is enough). With a firstFactorToken the code is
/// for the pending user's second factor, to their own address (or to a number being set up).
pub(crate) async fn send_code(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let mut world = app.store.write();
    let scope = path.client_scope(&world, &body, &ctx)?;
    let channel = parse_channel(given(&body, "channel")?.unwrap_or("sms"))?;
    let request = CodeRequest {
        phone_number: given(&body, "phoneNumber")?.map(str::to_owned),
        email: given(&body, "email")?.map(str::to_owned),
        new_user: UserFields {
            name: body.str("name")?.map(str::to_owned),
            username: body.str("username")?.map(str::to_owned),
            data: body.object("data")?.cloned(),
            ..UserFields::default()
        },
    };
    let now = world.now();
    let realm = world.realm_mut(&scope)?;
    let pending_user = pending_user(realm, &ctx, now)?;
    let plan = realm.plan_code(channel, request, pending_user)?;
    realm.check_rate_limit(channel, &plan.address, plan.confirmed, plan.user_id(), now)?;
    send_planned(&mut world, &scope, plan, "verificationCode").map(sent)
}

/// The address a code login names: the body's, else (with a firstFactorToken) the pending
/// user's: the number their newest SMS code went to, or their own number or email.
fn code_address(
    realm: &Realm,
    body: &Body,
    channel: Channel,
    pending_user: Option<u64>,
    now: i64,
) -> Result<String> {
    let (key, missing) = match channel {
        Channel::Sms => ("phoneNumber", msg::SMS_NEEDS_PHONE),
        Channel::Email => ("email", msg::EMAIL_NEEDS_EMAIL),
    };
    if let Some(address) = given(body, key)? {
        return match channel {
            Channel::Sms => check_phone(address).map(|()| address.to_owned()),
            Channel::Email => normalise_email(address),
        };
    }
    let user = pending_user
        .map(|id| realm.user(id))
        .transpose()?
        .ok_or_else(|| Error::bad_request(missing))?;
    let fallback = match channel {
        Channel::Sms => realm
            .latest_sms_address(user.user_id, now)
            .or_else(|| user.phone_number.as_deref().map(str::to_owned)),
        Channel::Email => Some(user.email.to_string()).filter(|e| !e.is_empty()),
    };
    fallback.ok_or_else(|| Error::bad_request(missing))
}

/// CS-9 `PUT /v0/auth/code`: signs in with a code, confirming the address it went to. A number
/// verified through `POST /v0/auth/verify/phone` (or set up as a second factor) becomes the
/// user's number.
pub(crate) async fn code_login(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let redirect = requested_redirect(&body, &ctx)?;
    let mut world = app.store.write();
    let scope = path.client_scope(&world, &body, &ctx)?;
    let channel = parse_channel(body.required_str("channel")?.trim())?;
    let code = body
        .code("verificationCode")?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::required("verificationCode"))?;
    let now = world.now();
    let realm = world.realm(&scope)?;
    let pending_user = pending_user(realm, &ctx, now)?;
    let address = code_address(realm, &body, channel, pending_user, now)?;
    let has_code = realm
        .codes
        .iter()
        .any(|c| c.channel == channel && c.address == address);
    if channel == Channel::Sms && realm.user_id_by_phone(&address).is_none() && !has_code {
        return Err(Error::bad_request(msg::PHONE_NOT_FOUND));
    }
    let record = realm
        .check_code(channel, &address, &code, pending_user, now)?
        .clone();
    let factor = code_factor(channel);
    check_sign_on(&world, &scope, &ctx, record.user_id, &factor)?;
    use_code(&mut world, &scope, &record)?;
    let outcome = complete(
        &mut world,
        &scope,
        &ctx,
        record.user_id,
        factor,
        record.signup,
        redirect,
    )?;
    Ok(sign_on_response(outcome))
}

// ---------------------------------------------------------------------------------------------
// TOTP

/// The user a token-only TOTP request is about: an access token's user, or the pending user of
/// a firstFactorToken (`setup_only`: it proves the first factor only).
struct TokenUser {
    scope: Scope,
    user_id: u64,
    setup_only: bool,
}

/// Authenticates `GET /v0/auth/totp`: a user's access token, or a firstFactorToken (conventions
/// C-14.1 rule 5), whose tenant is that of its pending sign-on.
fn token_user(world: &World, ctx: &Ctx) -> Result<TokenUser> {
    let token = ctx.bearer.as_deref().ok_or_else(Error::missing_auth)?;
    if let Some(mode) = first_factor_mode(token) {
        let now = world.now();
        return world
            .workspaces
            .values()
            .find_map(|ws| {
                let pending = ws.realm(mode).pending_sign_on(token, now).ok()?;
                Some(TokenUser {
                    scope: Scope {
                        tenant_id: pending.signon.tenant_id.to_string(),
                        mode,
                    },
                    user_id: pending.signon.user_id,
                    setup_only: true,
                })
            })
            .ok_or_else(Error::unauthorized);
    }
    let verified = verify_user_token(world, token, TokenUse::Access)?;
    Ok(TokenUser {
        user_id: verified.user_id.ok_or_else(Error::unauthorized)?,
        scope: Scope {
            tenant_id: verified.tenant_id,
            mode: verified.mode,
        },
        setup_only: false,
    })
}

/// CS-10 `GET /v0/auth/totp`: the authenticator secret, its QR code and the unused backup codes;
/// creates a pending pairing when the user has none (or has used every backup code).
pub(crate) async fn read_totp(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    let (totp, issuer, account) = {
        let mut world = app.store.write();
        let who = token_user(&world, &ctx)?;
        let now = world.now();
        let realm = world.realm_mut(&who.scope)?;
        let totp = realm.totp_for_setup(who.user_id, who.setup_only, now)?;
        let user = realm.user(who.user_id)?;
        let account = [
            &*user.email,
            user.phone_number.as_deref().unwrap_or(""),
            &*user.username,
        ]
        .into_iter()
        .find(|a| !a.is_empty())
        .unwrap_or_default()
        .to_owned();
        let issuer = realm.tenant(&who.scope.tenant_id)?.name.clone();
        (totp, issuer, account)
    };
    // The PNG is built outside the lock.
    let qr_code = qr_data_url(&otpauth_uri(&issuer, &account, &totp.secret));
    Ok(json_response(json!({
        "totpSecret": totp.secret,
        "qrCode": qr_code,
        "backupCodes": totp.backup_codes,
    })))
}

/// The user a TOTP login names by one of its identifier fields: `None` when it names none,
/// `Some(None)` when nobody matches.
fn identified_user(realm: &Realm, body: &Body) -> Result<Option<Option<u64>>> {
    if let Some(id) = body.u64("userId")? {
        return Ok(Some(realm.users.contains_key(&id).then_some(id)));
    }
    if let Some(uuid) = given(body, "userUuid")? {
        let uuid = uuid::Uuid::parse_str(uuid).ok();
        return Ok(Some(uuid.and_then(|u| realm.user_id_by_uuid(&u))));
    }
    for key in ["emailOrUsername", "email", "username"] {
        if let Some(value) = given(body, key)? {
            return Ok(Some(realm.user_id_by_email_or_username(value)));
        }
    }
    if let Some(phone) = given(body, "phoneNumber")? {
        return Ok(Some(realm.user_id_by_phone(phone)));
    }
    Ok(None)
}

/// CS-11 `POST /v0/auth/totp`: signs in with an authenticator code or a backup code. The first
/// valid code sent with the user's access token or firstFactorToken confirms a pending pairing.
pub(crate) async fn totp_login(
    State(app): State<App>,
    ctx: Ctx,
    path: PathTenant,
    body: Body,
) -> Result<Response> {
    let redirect = requested_redirect(&body, &ctx)?;
    let totp_code = body.code("totpCode")?.filter(|c| !c.is_empty());
    let backup_code = given(&body, "backupCode")?.map(str::to_owned);
    let mut world = app.store.write();
    let (scope, access_user) = scope_and_token_user(&world, &path, &body, &ctx)?;
    if totp_code.is_none() && backup_code.is_none() {
        return Err(Error::required("totpCode"));
    }
    let now = world.now();
    let realm = world.realm(&scope)?;
    let pending_user = pending_user(realm, &ctx, now)?;
    let token_user = pending_user.or(access_user);
    let user_id = match (token_user, identified_user(realm, &body)?) {
        (Some(user), Some(named)) if named != Some(user) => {
            return Err(Error::bad_request(msg::INVALID_TOKEN));
        }
        (Some(user), _) | (None, Some(Some(user))) => user,
        (None, Some(None)) => return Err(Error::bad_request(msg::INVALID_TOTP_CODE)),
        (None, None) => return Err(Error::required("emailOrUsername")),
    };
    let used = realm.check_totp(
        user_id,
        totp_code.as_deref(),
        backup_code.as_deref(),
        token_user.is_some(),
        now,
    )?;
    let factor = totp_factor();
    check_sign_on(&world, &scope, &ctx, user_id, &factor)?;
    let realm = world.realm_mut(&scope)?;
    if realm.apply_totp(user_id, &used, now)? {
        emit_user(&mut world, &scope, Action::Update, user_id);
    }
    let outcome = complete(&mut world, &scope, &ctx, user_id, factor, false, redirect)?;
    Ok(sign_on_response(outcome))
}

/// CS-12 `DELETE /v0/auth/totp`: removes the user's authenticator and backup codes.
pub(crate) async fn remove_totp(State(app): State<App>, ctx: Ctx) -> Result<Response> {
    let mut world = app.store.write();
    let who = token_user(&world, &ctx)?;
    if who.setup_only {
        return Err(Error::unauthorized());
    }
    let now = world.now();
    world.realm_mut(&who.scope)?.remove_totp(who.user_id, now)?;
    emit_user(&mut world, &who.scope, Action::Update, who.user_id);
    Ok(ok())
}

// ---------------------------------------------------------------------------------------------
// Legacy MFA

/// The pending sign-on a legacy `firstFactorCode` names: its scope and firstFactorToken. The code
/// carries its own mode, as a token would (conventions C-4.2 rule 1).
fn legacy_sign_on(world: &World, tenant_id: &str, code: &str) -> Result<(Scope, String)> {
    let now = world.now();
    Mode::ALL
        .into_iter()
        .find_map(|mode| {
            let token = world
                .realm_of(tenant_id, mode)
                .ok()?
                .token_of_first_factor_code(code, now)
                .ok()?;
            let scope = Scope {
                tenant_id: tenant_id.to_owned(),
                mode,
            };
            Some((scope, token))
        })
        .ok_or_else(|| {
            // An unknown tenant is a 404, as everywhere (C-2.1 rule 5).
            world
                .home(tenant_id)
                .err()
                .unwrap_or_else(|| Error::bad_request(msg::INVALID_TOKEN))
        })
}

/// CS-29 `POST /v0/auth/mfa` (legacy): texts a code to `to` for the pending sign-on of a
/// `firstFactorCode`.
pub(crate) async fn legacy_send(State(app): State<App>, body: Body) -> Result<Response> {
    let tenant_id = body.required_str("tenantId")?.trim().to_owned();
    let first_factor_code = body.required_str("firstFactorCode")?;
    let strategy = body.required_str("strategy")?.trim();
    let channel = body.required_str("channel")?.trim();
    let to = body.required_str("to")?.trim().to_owned();
    if !matches!(strategy, "verificationCode" | "securityCode") {
        return Err(Error::bad_request(
            "\"strategy\" must be one of [verificationCode, securityCode]",
        ));
    }
    if parse_channel(channel)? != Channel::Sms {
        return Err(Error::bad_request(msg::INVALID_CHANNEL));
    }
    check_phone(&to)?;
    let mut world = app.store.write();
    let (scope, token) = legacy_sign_on(&world, &tenant_id, first_factor_code)?;
    let now = world.now();
    let realm = world.realm_mut(&scope)?;
    let user_id = realm.check_second_factor(&token, None, &code_factor(Channel::Sms), now)?;
    let plan = CodePlan {
        channel: Channel::Sms,
        new_phone: realm.new_phone_for(user_id, &to)?,
        confirmed: realm.phone_confirmed_for(Some(user_id), &to),
        address: to,
        recipient: Recipient::Existing(user_id),
    };
    realm.check_rate_limit(
        Channel::Sms,
        &plan.address,
        plan.confirmed,
        Some(user_id),
        now,
    )?;
    send_planned(&mut world, &scope, plan, "mfa").map(sent)
}

/// CS-30 `PUT /v0/auth/mfa` (legacy): completes the pending sign-on of a `firstFactorCode` with
/// the code texted by CS-29; the number becomes the user's confirmed number.
pub(crate) async fn legacy_login(State(app): State<App>, body: Body) -> Result<Response> {
    let tenant_id = body.required_str("tenantId")?.trim().to_owned();
    let (Some(first_factor_code), Some(code)) = (
        given(&body, "firstFactorCode")?,
        body.code("verificationCode")?.filter(|c| !c.is_empty()),
    ) else {
        return Err(Error::bad_request(msg::MISSING_INFORMATION));
    };
    let mut world = app.store.write();
    let (scope, token) = legacy_sign_on(&world, &tenant_id, first_factor_code)?;
    let now = world.now();
    let factor = code_factor(Channel::Sms);
    let realm = world.realm(&scope)?;
    let user_id = realm.check_second_factor(&token, None, &factor, now)?;
    let address = realm
        .latest_sms_address(user_id, now)
        .ok_or_else(|| Error::bad_request(msg::INVALID_VERIFICATION_CODE))?;
    let record = realm
        .check_code(Channel::Sms, &address, &code, Some(user_id), now)?
        .clone();
    use_code(&mut world, &scope, &record)?;
    let outcome = world
        .realm_mut(&scope)?
        .complete_second_factor(&token, factor, None, now)?;
    Ok(sign_on_response(outcome))
}
