//! Users from the server side: CRUD, invitations, sessions, locks, and the boundaries
//! of keys, tenants and modes (server-to-server SS-1 … SS-11, SS-21; search is in
//! `users_search`).

use serde_json::{Value, json};

use super::flows::{self, PASSWORD};
use super::links::link_parts;
use super::users_search::{filters, pages, prefix_filter};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario, fail};
use crate::target::{Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("users.crud.create_read_update_delete", Group::Users, crud)
            .checks(&["C-3", "C-5", "C-16.1"])
            .tags(&["permissions"])
            .needs(&[Need::Readonly]),
        Scenario::new("users.search.pages_of_24", Group::Users, pages).checks(&["C-10", "C-16.11"]),
        Scenario::new("users.property.search_filters", Group::Users, filters)
            .checks(&["C-10.3"])
            .tags(&["property"]),
        Scenario::new("users.invite.sends_a_link", Group::Users, invite)
            .needs(&[Need::MockControls]),
        Scenario::new(
            "users.create_or_update.by_uuid",
            Group::Users,
            create_or_update,
        ),
        Scenario::new("users.sessions.read_and_end", Group::Users, sessions),
        Scenario::new("users.locked.cannot_sign_in", Group::Users, locked),
        Scenario::new("users.modes.are_isolated", Group::Users, modes)
            .checks(&["C-4.1"])
            .tags(&["mode"])
            .needs(&[Need::Live]),
        Scenario::new(
            "users.tenants.pools_are_isolated",
            Group::Users,
            cross_tenant,
        )
        .checks(&["C-2.2", "C-5"])
        .tags(&["permissions"])
        .needs(&[Need::OtherTenant]),
        Scenario::new("roles.invite.adds_roles", Group::Roles, role_invite)
            .needs(&[Need::MockControls]),
    ]
}

/// `POST /v0/users` with the test admin key; registers the user for clean-up.
pub async fn create_user(cx: &Cx, body: Value) -> Outcome<Value> {
    let resp = cx
        .post("/v0/users")
        .bearer(cx.admin())
        .json(body)
        .send()
        .await?;
    cx.created_user(Mode::Test, resp.body());
    resp.ok()
}

/// SS-1 … SS-4 and their errors; a read-only key reads but does not write.
async fn crud(cx: Cx) -> Outcome {
    let email = cx.email("Crud").replace("cf-", "CF-");
    let created = create_user(
        &cx,
        json!({ "email": email, "name": "Crud Person", "data": { "a": 1, "b": 2 } }),
    )
    .await?;
    ensure_eq!(
        created["email"],
        email.to_lowercase(),
        "stored email is lower-case"
    );
    ensure_eq!(
        created["isEmailConfirmed"],
        false,
        "a created user is unconfirmed"
    );
    ensure_eq!(created["mode"], "test", "mode");
    let id = created["userId"].to_string();
    let uuid = created["userUuid"].as_str().unwrap_or("").to_owned();
    let readonly = cx.readonly()?.to_owned();
    for key in [cx.admin().to_owned(), readonly.clone()] {
        for handle in [&id, &uuid] {
            let read = cx
                .get(format!("/v0/users/{handle}"))
                .bearer(&key)
                .send()
                .await?
                .ok()?;
            ensure_eq!(read["userUuid"], created["userUuid"], "read by {handle}");
        }
    }
    let tenant_form = cx
        .get(format!("/v0/tenants/{}/users/{id}", cx.tenant()))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(tenant_form["userId"], created["userId"], "tenant-form read");
    let new_email = cx.email("crudnew");
    let updated = cx
        .put(format!("/v0/users/{id}"))
        .bearer(cx.admin())
        .json(json!({ "name": "Renamed", "data": { "b": 3, "c": 4 }, "email": new_email, "isEmailConfirmed": true }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(updated["name"], "Renamed", "name");
    ensure_eq!(
        updated["data"],
        json!({ "a": 1, "b": 3, "c": 4 }),
        "data is shallow-merged"
    );
    ensure_eq!(updated["email"], new_email, "email");
    ensure_eq!(
        updated["isEmailConfirmed"],
        true,
        "isEmailConfirmed given with the email"
    );
    cx.put(format!("/v0/users/{id}"))
        .bearer(&readonly)
        .json(json!({ "name": "x" }))
        .send()
        .await?
        .err(403, "Forbidden")?;
    cx.post("/v0/users")
        .bearer(&readonly)
        .json(json!({ "email": cx.email("ro") }))
        .send()
        .await?
        .err(403, "Forbidden")?;
    for (body, message) in [
        (json!({ "name": "x" }), "\"email\" is required"),
        (json!({ "email": "bad" }), "Email format is invalid"),
        (json!({ "email": new_email.to_uppercase() }), "Email exists"),
        (
            json!({ "email": cx.email("u"), "username": updated["username"] }),
            "Username exists",
        ),
        (
            json!({ "email": cx.email("p"), "phoneNumber": "12" }),
            "Phone number must be in E.164 format.",
        ),
    ] {
        cx.post("/v0/users")
            .bearer(cx.admin())
            .json(body)
            .send()
            .await?
            .err(400, message)?;
    }
    let deleted = cx
        .delete(format!("/v0/users/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        deleted["userUuid"],
        created["userUuid"],
        "the deleted record"
    );
    cx.get(format!("/v0/users/{id}"))
        .bearer(cx.admin())
        .send()
        .await?
        .err(404, "User not found")?;
    cx.delete(format!("/v0/users/{id}"))
        .bearer(cx.admin())
        .send()
        .await?
        .err(404, "User not found")?;
    Ok(())
}

/// SS-7: an invitation creates the user and emails a link (the outbox shows it); a reset-type
/// invitation links to the reset path; an existing email and a bad duration are refused.
async fn invite(cx: Cx) -> Outcome {
    let email = cx.email("invited");
    let resp = cx
        .post("/v0/users/invite")
        .bearer(cx.admin())
        .json(json!({ "email": email, "name": "Invited Person" }))
        .send()
        .await?;
    cx.created_user(Mode::Test, resp.body());
    let user = resp.ok()?;
    ensure_eq!(user["email"], email, "invited email");
    let sent = cx.outbox(&format!("to={email}")).await?;
    ensure_eq!(sent.len(), 1, "one invitation");
    ensure_eq!(
        sent[0]["type"],
        "welcome",
        "a default invitation is a welcome link"
    );
    let (uuid, token, _) = link_parts(sent[0]["link"].as_str().unwrap_or(""))?;
    let body = cx
        .put(format!("/v0/tenants/{}/auth/link", cx.tenant()))
        .json(json!({ "uuid": uuid, "token": token }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        body["userId"],
        user["userId"],
        "the invitation signs the user in"
    );
    cx.post("/v0/users/invite")
        .bearer(cx.admin())
        .json(json!({ "email": email }))
        .send()
        .await?
        .err(400, "Email exists")?;
    let reset = cx.email("invreset");
    let resp = cx
        .post("/v0/users/invite")
        .bearer(cx.admin())
        .json(json!({ "email": reset, "options": { "type": "reset", "duration": "2 hours" } }))
        .send()
        .await?;
    cx.created_user(Mode::Test, resp.body());
    resp.ok()?;
    let sent = cx.outbox(&format!("to={reset}")).await?;
    let link = sent.first().and_then(|e| e["link"].as_str()).unwrap_or("");
    ensure!(
        link.contains("/reset?") && link.contains("type=invite"),
        "a reset invitation links to the reset path with type=invite: {link}"
    );
    cx.post("/v0/users/invite")
        .bearer(cx.admin())
        .json(json!({ "email": cx.email("invdur"), "options": { "duration": "1 year" } }))
        .send()
        .await?
        .err(400, "Invalid duration")?;
    Ok(())
}

/// SS-8: no match creates (keeping the given uuid), a match updates.
async fn create_or_update(cx: Cx) -> Outcome {
    let uuid = uuid::Uuid::new_v4().to_string();
    let email = cx.email("cou");
    let resp = cx
        .post("/v0/users/createOrUpdate")
        .bearer(cx.admin())
        .json(json!({ "userUuid": uuid, "email": email, "name": "First" }))
        .send()
        .await?;
    cx.created_user(Mode::Test, resp.body());
    let created = resp.ok()?;
    ensure_eq!(created["userUuid"], uuid, "the given userUuid");
    let updated = cx
        .post("/v0/users/createOrUpdate")
        .bearer(cx.admin())
        .json(json!({ "userUuid": uuid, "name": "Second" }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(updated["userId"], created["userId"], "the same user");
    ensure_eq!(updated["name"], "Second", "updated name");
    cx.post("/v0/users/createOrUpdate")
        .bearer(cx.admin())
        .json(json!({ "userUuid": uuid::Uuid::new_v4().to_string() }))
        .send()
        .await?
        .err(400, "\"email\" is required")?;
    let active = cx
        .post(format!("/v0/users/{}/active", created["userId"]))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure!(
        active["lastActiveAt"].is_string(),
        "marked active: {}",
        active["lastActiveAt"]
    );
    Ok(())
}

/// SS-10, SS-11: sessions are listed; ending one (or all of a user's) stops its tokens.
async fn sessions(cx: Cx) -> Outcome {
    let email = cx.email("srvsess");
    let (signed, first) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let (_, second) = flows::login(&cx, &email, PASSWORD).await?;
    let listed = cx
        .get(format!("/v0/users/{}/sessions", signed["userId"]))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(listed["totalCount"], 2, "active sessions");
    // SS-10: the user's two sessions, newest first, both of this user.
    let listed_ids: Vec<&Value> = listed["results"]
        .as_array()
        .map(|r| r.iter().map(|s| &s["sessionId"]).collect())
        .unwrap_or_default();
    crate::coverage::note_members(&["results", "sessionId"]);
    ensure!(
        listed_ids.len() == 2
            && listed_ids[0] == &second.claims["sessionId"]
            && listed_ids[1] == &signed["sessionId"],
        "the user's sessions, newest first: {}",
        listed["results"]
    );
    cx.post("/v0/auth/logout")
        .bearer(cx.admin())
        .json(json!({ "sessionId": signed["sessionId"] }))
        .send()
        .await?
        .ok()?;
    flows::refresh_refused(&cx, &first.refresh).await?;
    flows::refresh(&cx, &second.refresh).await?.ok()?;
    cx.post("/v0/auth/logout")
        .bearer(cx.admin())
        .json(json!({ "userUuid": signed["userUuid"] }))
        .send()
        .await?
        .ok()?;
    flows::refresh_refused(&cx, &second.refresh).await?;
    cx.post("/v0/auth/logout")
        .bearer(cx.admin())
        .json(json!({}))
        .send()
        .await?
        .err(400, "\"sessionId\" or \"userUuid\" is required")?;
    cx.get("/v0/users/999999999/sessions")
        .bearer(cx.admin())
        .send()
        .await?
        .err(404, "User not found")?;
    Ok(())
}

/// SS-3 `locked`: a locked user cannot sign in (403 after the right password) and loses its
/// sessions.
async fn locked(cx: Cx) -> Outcome {
    let email = cx.email("locked");
    let (signed, tokens) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    cx.put(format!("/v0/users/{}", signed["userId"]))
        .bearer(cx.admin())
        .json(json!({ "locked": true }))
        .send()
        .await?
        .ok()?;
    let login = |password: &str| {
        cx.post(format!("/v0/tenants/{}/auth/basic", cx.tenant()))
            .json(json!({ "emailOrUsername": email, "password": password }))
            .send()
    };
    login(PASSWORD).await?.err(403, "User is locked")?;
    login("wrong-Passw0rd")
        .await?
        .err(400, "Incorrect email or password")?;
    flows::self_refused(&cx, &tokens.access).await?;
    cx.put(format!("/v0/users/{}", signed["userId"]))
        .bearer(cx.admin())
        .json(json!({ "locked": false }))
        .send()
        .await?
        .ok()?;
    flows::login(&cx, &email, PASSWORD).await?;
    Ok(())
}

/// C-3, C-4.1: a live key neither sees nor finds test users; a live user is not a test one.
async fn modes(cx: Cx) -> Outcome {
    let live = cx.live_admin()?.to_owned();
    let email = cx.email("modeuser");
    let test_user = create_user(&cx, json!({ "email": email })).await?;
    cx.get(format!(
        "/v0/users/{}",
        test_user["userUuid"].as_str().unwrap_or("")
    ))
    .bearer(&live)
    .send()
    .await?
    .err(404, "User not found")?;
    let found = cx
        .post("/v0/users/find")
        .bearer(&live)
        .json(json!({ "filters": prefix_filter(&email, vec![]) }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(found["totalCount"], 0, "test users found with a live key");
    let resp = cx
        .post("/v0/users")
        .bearer(&live)
        .json(json!({ "email": email }))
        .send()
        .await?;
    cx.created_user(Mode::Live, resp.body());
    let live_user = resp.ok()?;
    ensure_eq!(live_user["mode"], "live", "a user created with a live key");
    cx.get(format!(
        "/v0/users/{}",
        live_user["userUuid"].as_str().unwrap_or("")
    ))
    .bearer(cx.admin())
    .send()
    .await?
    .err(404, "User not found")?;
    Ok(())
}

/// C-2.2, C-3: another workspace's key finds nothing of ours and may not use our tenant path.
async fn cross_tenant(cx: Cx) -> Outcome {
    let other = cx.other_admin()?.to_owned();
    let user = create_user(&cx, json!({ "email": cx.email("mine") })).await?;
    let uuid = user["userUuid"].as_str().unwrap_or("").to_owned();
    cx.get(format!("/v0/users/{uuid}"))
        .bearer(&other)
        .send()
        .await?
        .err(404, "User not found")?;
    cx.delete(format!("/v0/users/{uuid}"))
        .bearer(&other)
        .send()
        .await?
        .err(404, "User not found")?;
    cx.get(format!("/v0/tenants/{}/users/{uuid}", cx.tenant()))
        .bearer(&other)
        .send()
        .await?
        .err(403, "Forbidden")?;
    cx.get(format!("/v0/users/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    Ok(())
}

/// SS-21: a role invitation creates the user with the roles, or adds them to an existing one,
/// and sends the invitation either way.
async fn role_invite(cx: Cx) -> Outcome {
    let role = cx.unique("invrole");
    flows::create_role(&cx, "/v0", &role).await?;
    let email = cx.email("roleinv");
    let resp = cx
        .post("/v0/roles/invite")
        .bearer(cx.admin())
        .json(json!({ "email": email, "roles": [role] }))
        .send()
        .await?;
    cx.created_user(Mode::Test, resp.body());
    let user = resp.ok()?;
    ensure_eq!(
        user["authorization"][cx.tenant()]["roles"],
        json!([role]),
        "invited roles"
    );
    ensure_eq!(
        cx.outbox(&format!("to={email}")).await?.len(),
        1,
        "the invitation is sent"
    );
    // The tenant form adds roles to the existing user (and invites again).
    cx.advance(3).await?;
    let again = cx
        .post(format!("/v0/tenants/{}/roles/invite", cx.tenant()))
        .bearer(cx.admin())
        .json(json!({ "email": email, "roles": [role, "member"] }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(again["userId"], user["userId"], "the existing user");
    let mut roles: Vec<String> =
        serde_json::from_value(again["authorization"][cx.tenant()]["roles"].clone())
            .unwrap_or_default();
    roles.sort();
    let mut expected = vec![role.clone(), "member".to_owned()];
    expected.sort();
    ensure_eq!(roles, expected, "roles added to the existing user");
    cx.post("/v0/roles/invite")
        .bearer(cx.admin())
        .json(json!({ "email": email, "roles": ["no-such-role-here"] }))
        .send()
        .await?
        .err(
            400,
            &userfront_contract::msg::role_not_found("no-such-role-here"),
        )?;
    cx.put(format!("/v0/users/{}/roles", user["userId"]))
        .bearer(cx.admin())
        .json(json!({ "roles": [] }))
        .send()
        .await?
        .ok()
        .map(drop)
        .map_err(|e| match e {
            crate::scenario::Failure::Fail(m) => fail(format!("clearing roles: {m}")),
            other => other,
        })
}
