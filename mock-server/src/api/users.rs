//! Users from the server side: create, read, update, delete, search, invite, createOrUpdate,
//! mark active, read and end sessions (server-to-server SS-1 … SS-11), and the role
//! invitations SS-21 / SS-26, which share the invitation logic ([`invite`]).
//!
//! Every handler follows the house pattern: credentials first (the [`Admin`] / [`Reader`]
//! extractors), then the body is validated and any password hashed outside the lock, then one
//! write section applies the change, records the webhook event and builds the answer.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;
use uuid::Uuid;

use super::signon::{LinkEmail, send_link};
use super::{Admin, App, Body, Ctx, KeyAuth, Reader, Scope, json_response, ok, path_param};
use crate::error::{Error, Result, msg};
use crate::state::World;
use crate::state::clock::Millis;
use crate::state::messages::parse_link_duration;
use crate::state::model::{Channel, LinkType, Mode, User};
use crate::state::password::check_rules;
use crate::state::roles::roles_from_json;
use crate::state::search::{Params, Search};
use crate::state::users::{UserFields, check_phone, fields_from_json, normalise_email};
use crate::state::views::{list, page};
use crate::state::webhooks::Action;
use crate::webhooks::emit_user;

/// The `{userId}` path segment: an integer id or a UUID (conventions C-2.4).
fn user_ref(params: &HashMap<String, String>) -> Result<&str> {
    path_param(params, "userId")
}

/// The User object of a user of the scope's pool.
fn user_view(world: &World, scope: &Scope, user_id: u64) -> Result<Value> {
    let realm = world.realm(&scope)?;
    Ok(realm.user_json(realm.user(user_id)?))
}

/// The common user fields of a body, checked (types, email and phone shape, password rules),
/// with the password hashed outside any lock.
async fn user_fields(app: &App, body: &Body, mode: Mode) -> Result<UserFields> {
    let mut fields = fields_from_json(&body.0)?;
    if let Some(email) = &fields.email {
        fields.email = Some(normalise_email(email)?);
    }
    if let Some(Some(phone)) = &fields.phone_number {
        check_phone(phone)?;
    }
    if let Some(password) = body.str("password")? {
        check_rules(password, mode)?;
        fields.password_hash = Some(app.hasher.hash(password).await?);
    }
    Ok(fields)
}

/// Applies an update like SS-3 and records the event; `locked: true` ends the user's sessions.
/// `userUuid` identifies a user and is never changed by an update. Returns the (possibly
/// renumbered) id.
fn apply_update(world: &mut World, scope: &Scope, user_id: u64, fields: UserFields) -> Result<u64> {
    let fields = UserFields {
        user_uuid: None,
        ..fields
    };
    let now = world.now();
    let lock = fields.locked == Some(true);
    let realm = world.realm_mut(&scope)?;
    let user_id = realm.update_user(user_id, fields, now)?;
    if lock {
        realm.end_sessions_of(user_id, now);
    }
    emit_user(world, scope, Action::Update, user_id);
    Ok(user_id)
}

/// Creates a user like SS-1 and records the event.
fn apply_create(world: &mut World, scope: &Scope, fields: UserFields) -> Result<u64> {
    let now = world.now();
    let user_id = world.realm_mut(&scope)?.create_user(fields, now)?;
    emit_user(world, scope, Action::Create, user_id);
    Ok(user_id)
}

/// SS-1 `POST /v0/users`.
pub(crate) async fn create(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let scope = auth.scope();
    body.required_str("email")?;
    let fields = user_fields(&app, &body, scope.mode).await?;
    let mut world = app.store.write();
    let user_id = apply_create(&mut world, &scope, fields)?;
    Ok(json_response(user_view(&world, &scope, user_id)?))
}

/// SS-2 `GET /v0/users/{userId}`.
pub(crate) async fn read(
    State(app): State<App>,
    Reader(auth): Reader,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm(&auth)?;
    Ok(json_response(
        realm.user_json(realm.user_by_ref(user_ref(&params)?)?),
    ))
}

/// SS-3 `PUT /v0/users/{userId}`: only given fields change (see [`crate::state::Realm::update_user`]).
pub(crate) async fn update(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
    body: Body,
) -> Result<Response> {
    let scope = auth.scope();
    // A missing user is reported before the body is looked at.
    {
        let world = app.store.read();
        let user_id = world.realm(&scope)?.user_id_by_ref(user_ref(&params)?)?;
        auth.check_user(&world, user_id)?;
    }
    let fields = user_fields(&app, &body, scope.mode).await?;
    let mut world = app.store.write();
    let user_id = world.realm(&scope)?.user_id_by_ref(user_ref(&params)?)?;
    auth.check_user(&world, user_id)?;
    let user_id = apply_update(&mut world, &scope, user_id, fields)?;
    Ok(json_response(user_view(&world, &scope, user_id)?))
}

/// SS-4 `DELETE /v0/users/{userId}`: answers with the record as it was.
pub(crate) async fn remove(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let scope = auth.scope();
    let mut world = app.store.write();
    let now = world.now();
    let user_id = world.realm(&scope)?.user_id_by_ref(user_ref(&params)?)?;
    auth.check_user(&world, user_id)?;
    let realm = world.realm_mut(&scope)?;
    let record = realm.user_json(realm.user(user_id)?);
    realm.delete_user(user_id, now)?;
    let root = realm.workspace_id.to_string();
    world.emit(
        &root,
        scope.mode,
        crate::state::webhooks::Model::User,
        Action::Delete,
        record.clone(),
    );
    Ok(json_response(record))
}

/// SS-8 `POST /v0/users/createOrUpdate`: the user matching `userId`, else `userUuid`, is
/// updated; otherwise a user is created with the given identifiers.
pub(crate) async fn create_or_update(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let scope = auth.scope();
    let fields = user_fields(&app, &body, scope.mode).await?;
    let mut world = app.store.write();
    let realm = world.realm(&scope)?;
    let existing = fields
        .user_id
        .filter(|id| realm.users.contains_key(id))
        .or_else(|| {
            fields
                .user_uuid
                .and_then(|uuid| realm.user_id_by_uuid(&uuid))
        });
    let user_id = match existing {
        Some(id) => {
            auth.check_user(&world, id)?;
            apply_update(&mut world, &scope, id, fields)?
        }
        None => apply_create(&mut world, &scope, fields)?,
    };
    Ok(json_response(user_view(&world, &scope, user_id)?))
}

/// SS-9 `POST /v0/users/{userId}/active`: `lastActiveAt` = now, no webhook (C-15).
pub(crate) async fn mark_active(
    State(app): State<App>,
    Admin(auth): Admin,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let mut world = app.store.write();
    let now = world.now();
    let user_id = world.realm(&auth)?.user_id_by_ref(user_ref(&params)?)?;
    auth.check_user(&world, user_id)?;
    let realm = world.realm_mut(&auth)?;
    realm.user_mut(user_id)?.last_active_at = Some(now);
    Ok(json_response(realm.user_json(realm.user(user_id)?)))
}

/// SS-10 `GET /v0/users/{userId}/sessions`: newest first; `?includeEnded=true` adds ended and
/// expired sessions.
pub(crate) async fn sessions(
    State(app): State<App>,
    Reader(auth): Reader,
    Path(params): Path<HashMap<String, String>>,
    ctx: Ctx,
) -> Result<Response> {
    let include_ended = ctx
        .query
        .get("includeEnded")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let world = app.store.read();
    let now = world.now();
    let realm = world.realm(&auth)?;
    let user_id = realm.user_id_by_ref(user_ref(&params)?)?;
    let sessions = realm
        .sessions_of(user_id, include_ended, now)
        .into_iter()
        .map(|s| realm.session_json(s, now))
        .collect();
    Ok(json_response(list(sessions)))
}

/// SS-11 `POST /v0/auth/logout`: ends one session (`sessionId`) and/or every session of a user
/// (`userUuid`). Both are looked up before anything ends.
pub(crate) async fn end_sessions(
    State(app): State<App>,
    Admin(auth): Admin,
    body: Body,
) -> Result<Response> {
    let session_id = body.str("sessionId")?;
    let user_uuid = body.str("userUuid")?;
    if session_id.is_none() && user_uuid.is_none() {
        return Err(Error::bad_request(msg::SESSION_OR_USER_REQUIRED));
    }
    let mut world = app.store.write();
    let now = world.now();
    let reach = auth.reach(&world)?;
    let realm = world.realm_mut(&auth)?;
    let session_id = session_id
        .map(|s| {
            Uuid::parse_str(s.trim())
                .ok()
                .filter(|id| realm.sessions.contains_key(id))
                .ok_or_else(|| Error::new(404, msg::SESSION_NOT_FOUND))
        })
        .transpose()?;
    let user_id = user_uuid
        .map(|u| {
            Uuid::parse_str(u.trim())
                .ok()
                .and_then(|uuid| realm.user_id_by_uuid(&uuid))
                .ok_or_else(Error::user_not_found)
        })
        .transpose()?;
    // Sessions of users beyond the credential's reach are not its to end.
    for owner in session_id
        .and_then(|id| realm.sessions.get(&id))
        .and_then(|s| s.user_id)
        .into_iter()
        .chain(user_id)
    {
        realm.check_reach(&reach, owner)?;
    }
    if let Some(session) = session_id.and_then(|id| realm.sessions.get_mut(&id))
        && session.ended_at.is_none()
    {
        session.ended_at = Some(now);
    }
    if let Some(user_id) = user_id {
        realm.end_sessions_of(user_id, now);
    }
    Ok(ok())
}

// ---------------------------------------------------------------------------------------------
// Search

/// Runs a user search over the pool of the caller's workspace and mode.
fn search(app: &App, auth: &KeyAuth, params: Params<'_>) -> Result<Response> {
    let world = app.store.read();
    let search = Search::<User>::parse(params, world.now())?;
    let realm = world.realm(&auth)?;
    let found = search.run(realm.users.values(), realm);
    let results = found.results.iter().map(|u| realm.user_json(u)).collect();
    Ok(json_response(page(found.total, results)))
}

/// SS-5 `POST /v0/users/find` with `{page, order, filters}`.
pub(crate) async fn search_by_body(
    State(app): State<App>,
    Reader(auth): Reader,
    body: Body,
) -> Result<Response> {
    search(
        &app,
        &auth,
        Params {
            filters: body.get("filters"),
            order: body.get("order"),
            page: body.get("page"),
        },
    )
}

/// SS-6 `GET /v0/users?page=&order=&filters=<URL-encoded JSON>` (legacy).
pub(crate) async fn search_by_query(
    State(app): State<App>,
    Reader(auth): Reader,
    ctx: Ctx,
) -> Result<Response> {
    let query = |key: &str| ctx.query.get(key).cloned().map(Value::String);
    let (filters, order, page) = (query("filters"), query("order"), query("page"));
    search(
        &app,
        &auth,
        Params {
            filters: filters.as_ref(),
            order: order.as_ref(),
            page: page.as_ref(),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Invitations

/// An invitation to send (SS-7, SS-21, SS-26).
#[derive(Clone, Debug)]
pub struct Invitation {
    /// The invited user's fields; `email` is required and already normalised.
    pub fields: UserFields,
    /// Roles to add in a tenant (role invitations). With roles, an existing user of that email
    /// is invited again and gets the roles; without, an existing email is refused.
    pub roles: Option<(String, Vec<String>)>,
    /// `welcome` (default) or `invite` (a reset-style link, `options.type: "reset"`).
    pub link_type: LinkType,
    /// `options.duration`; `None` = the type's default.
    pub lifetime: Option<Millis>,
    /// False with `options.noInviteEmail`.
    pub send_email: bool,
}

impl Invitation {
    /// Reads `options.type`, `options.duration` and `options.noInviteEmail`.
    pub fn from_options(body: &Body, fields: UserFields) -> Result<Self> {
        let options = body.options()?;
        let link_type = match options.str("type")? {
            None | Some("welcome") => LinkType::Welcome,
            Some("reset") => LinkType::Invite,
            Some(_) => return Err(Error::bad_request(msg::INVALID_LINK_TYPE)),
        };
        let lifetime = options
            .str("duration")?
            .map(parse_link_duration)
            .transpose()?;
        Ok(Invitation {
            fields,
            roles: None,
            link_type,
            lifetime,
            send_email: !options.bool("noInviteEmail")?.unwrap_or(false),
        })
    }
}

/// Invites a user: checks everything (email free or roles defined, rate limit), creates the
/// user or finds the existing one, adds the roles, sends the link email (captured in the
/// outbox; the response carries no link, README point 34) and records the webhook event.
/// Returns the user's id.
pub fn invite(world: &mut World, scope: &Scope, base: &str, invitation: Invitation) -> Result<u64> {
    let now = world.now();
    let realm = world.realm_mut(&scope)?;
    let email = invitation
        .fields
        .email
        .clone()
        .ok_or_else(|| Error::required("email"))?;
    let existing = realm.user_id_by_email(&email);
    match &invitation.roles {
        None if existing.is_some() => return Err(Error::bad_request(msg::EMAIL_EXISTS)),
        None => {}
        Some((tenant_id, names)) => {
            realm.check_roles(tenant_id, names)?;
        }
    }
    if invitation.send_email {
        let confirmed = realm.email_confirmed_for(existing, &email);
        realm.check_rate_limit(Channel::Email, &email, confirmed, existing, now)?;
    }
    let (user_id, mut action) = match existing {
        Some(id) => (id, None),
        None => (
            realm.create_user(invitation.fields, now)?,
            Some(Action::Create),
        ),
    };
    if let Some((tenant_id, names)) = &invitation.roles
        && realm.add_user_roles(user_id, tenant_id, names, now)?
    {
        action.get_or_insert(Action::Update);
    }
    if invitation.send_email {
        send_link(
            world,
            scope,
            base,
            LinkEmail {
                lifetime: invitation.lifetime,
                ..LinkEmail::new(user_id, invitation.link_type)
            },
        )?;
    }
    if let Some(action) = action {
        emit_user(world, scope, action, user_id);
    }
    Ok(user_id)
}

/// Sends an invitation and answers with the User.
fn answer_invitation(
    app: &App,
    ctx: &Ctx,
    scope: &Scope,
    invitation: Invitation,
) -> Result<Response> {
    let mut world = app.store.write();
    let base = ctx.base_url(&world, &scope.tenant_id, scope.mode)?;
    let user_id = invite(&mut world, scope, &base, invitation)?;
    Ok(json_response(user_view(&world, scope, user_id)?))
}

/// SS-7 `POST /v0/users/invite`: a new user and a welcome (or reset-style) link email.
pub(crate) async fn invite_user(
    State(app): State<App>,
    Admin(auth): Admin,
    ctx: Ctx,
    body: Body,
) -> Result<Response> {
    let scope = auth.scope();
    body.required_str("email")?;
    let fields = user_fields(&app, &body, scope.mode).await?;
    let invitation = Invitation::from_options(&body, fields)?;
    answer_invitation(&app, &ctx, &scope, invitation)
}

/// SS-21 `POST /v0/roles/invite` and SS-26 `POST /v0/tenants/{tenantId}/roles/invite`: roles of
/// the acted-on tenant for a new or existing user, and the invitation email unless
/// `options.noInviteEmail`.
pub(crate) async fn invite_to_roles(
    State(app): State<App>,
    Admin(auth): Admin,
    ctx: Ctx,
    body: Body,
) -> Result<Response> {
    let scope = auth.scope();
    let email = normalise_email(body.required_str("email")?)?;
    let roles = roles_from_json(body.get("roles"))?;
    let fields = UserFields {
        email: Some(email),
        name: body.str("name")?.map(str::to_owned),
        ..UserFields::default()
    };
    let invitation = Invitation {
        roles: Some((scope.tenant_id.clone(), roles)),
        ..Invitation::from_options(&body, fields)?
    };
    answer_invitation(&app, &ctx, &scope, invitation)
}
