//! The signed-in user's own record (client-to-server CS-25, CS-26).

use axum::extract::State;
use axum::response::Response;

use super::{App, Body, Scope, UserAuth, json_body, json_response};
use crate::error::Result;
use crate::state::model::User;
use crate::state::users::UserFields;
use crate::state::webhooks::Action;
use crate::webhooks::emit_user;

/// CS-25 `GET /v0/self`.
pub(crate) async fn read(State(app): State<App>, auth: UserAuth) -> Result<Response> {
    let world = app.store.read();
    let realm = world.realm(&auth)?;
    let user = realm.user(auth.user_id)?;
    Ok(json_body(&realm.user_view(user)))
}

/// CS-26 `PUT /v0/self`: `name`, `username`, `image` and `data` (shallow merge) are editable;
/// anything else is ignored. A request that changes nothing answers the user as it is, without
/// a `user update` event.
pub(crate) async fn update(State(app): State<App>, auth: UserAuth, body: Body) -> Result<Response> {
    let fields = UserFields {
        name: body.str("name")?.map(str::to_owned),
        username: body.str("username")?.map(str::to_owned),
        image: body.str("image")?.map(str::to_owned),
        data: body.object("data")?.cloned(),
        ..UserFields::default()
    };
    let mut world = app.store.write();
    let now = world.now();
    let realm = world.realm_mut(&auth)?;
    if !changes_anything(realm.user(auth.user_id)?, &fields) {
        return Ok(json_response(realm.user_json_by_id(auth.user_id)));
    }
    let user_id = realm.update_user(auth.user_id, fields, now)?;
    let body = realm.user_json_by_id(user_id);
    let scope = Scope {
        tenant_id: auth.tenant_id.clone(),
        mode: auth.mode,
    };
    emit_user(&mut world, &scope, Action::Update, user_id);
    Ok(json_response(body))
}

/// Whether applying the self-editable `fields` would change the stored user.
fn changes_anything(user: &User, fields: &UserFields) -> bool {
    let username = fields
        .username
        .as_deref()
        .map(|u| u.trim().to_lowercase())
        .filter(|u| !u.is_empty());
    fields.name.as_deref().is_some_and(|n| n != &*user.name)
        || username.is_some_and(|u| u != *user.username)
        || fields
            .image
            .as_deref()
            .is_some_and(|i| user.image.as_deref() != Some(i))
        || fields
            .data
            .as_ref()
            .is_some_and(|data| data.iter().any(|(k, v)| user.data.get(k) != Some(v)))
}
