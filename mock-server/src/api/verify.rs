//! Address verification (client-to-server CS-17 … CS-19): `POST /v0/auth/verify/email` (also
//! at `/v0/auth/verify/link`) and `POST /v0/auth/verify/phone`. Message-sending handlers ask
//! [`crate::state::Realm::check_rate_limit`] before they create or change anything, so a 429
//! leaves no trace (conventions C-7).

use axum::extract::State;
use axum::response::Response;

use super::signon::{LinkEmail, redirect_option, scope_and_token_user, send_link, sent};
use super::{App, Body, Ctx, PathTenant};
use crate::error::{Error, Result, msg};
use crate::state::Realm;
use crate::state::messages::Message;
use crate::state::model::{Channel, LinkType};
use crate::state::users::{check_phone, normalise_email};

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

/// CS-17 `POST /v0/auth/verify/email` and CS-18 `POST /v0/auth/verify/link` (legacy): emails a
/// verify link. A new address (a change of email) needs the user's access token, must be free,
/// and replaces the old one only when the link is used.
pub(crate) async fn verify_email(
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
    let realm = world.realm_mut(&scope)?;
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
pub(crate) async fn verify_phone(
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
    let realm = world.realm_mut(&scope)?;
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
