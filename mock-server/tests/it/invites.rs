//! Invitations: invite a user (SS-7) and invite a user to roles at workspace and tenant level
//! (SS-21, SS-26). The link is only in the outbox; the response is the User.

use crate::common;

use common::{Harness, link_credentials, query_param};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode};

async fn invite(h: &Harness, path: &str, body: Value) -> common::Resp {
    h.post(path).bearer(&h.admin()).json(body).send().await
}

#[tokio::test]
async fn invite_creates_the_user_and_emails_a_welcome_link() {
    let h = Harness::start().await;
    let user = invite(
        &h,
        "/v0/users/invite",
        json!({"email": "New@Example.com", "name": "New"}),
    )
    .await
    .ok();
    assert_eq!(user["email"], "new@example.com");
    assert_eq!(user["name"], "New");
    assert_eq!(user["isEmailConfirmed"], false);
    assert!(user["lastMessagedAt"].is_string());
    assert!(
        user.get("result").is_none() && user.get("link").is_none(),
        "no link in the response"
    );
    let mail = h.outbox("to=new@example.com").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["type"], "welcome");
    assert_eq!(mail[0]["suppressed"], true);
    let link = mail[0]["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:3000/login?uuid="),
        "{link}"
    );
    assert_eq!(
        query_param(link, "uuid").as_deref(),
        user["userUuid"].as_str()
    );
    assert_eq!(query_param(link, "type").as_deref(), Some("welcome"));
    assert!(query_param(link, "token").is_some());
    let events = h.events("user", "create").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["record"]["email"], "new@example.com");
}

#[tokio::test]
async fn reset_style_invitations_and_durations() {
    let h = Harness::start().await;
    invite(
        &h,
        &format!("/v0/tenants/{DEMO_TENANT}/users/invite"),
        json!({"email": "r@example.com", "options": {"type": "reset", "duration": "2 days"}}),
    )
    .await
    .ok();
    let mail = h.outbox("to=r@example.com").await;
    assert_eq!(mail[0]["type"], "invite");
    let link = mail[0]["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:3000/reset?uuid="),
        "{link}"
    );
    assert_eq!(query_param(link, "type").as_deref(), Some("invite"));
    // The calling origin is the base of the link.
    h.post("/v0/users/invite")
        .bearer(&h.admin())
        .origin("https://app.example.com")
        .json(json!({"email": "o@example.com", "options": {"duration": "10 seconds"}}))
        .send()
        .await
        .ok();
    let link = h.outbox("to=o@example.com").await[0]["link"].clone();
    assert!(
        link.as_str()
            .unwrap()
            .starts_with("https://app.example.com/login?")
    );
    for (options, message) in [
        (json!({"duration": "9 seconds"}), "Invalid duration"),
        (json!({"duration": "31 days"}), "Invalid duration"),
        (json!({"duration": "1 year"}), "Invalid duration"),
        (json!({"duration": "soon"}), "Invalid duration"),
        (
            json!({"duration": 3}),
            "\"options.duration\" must be a string",
        ),
        (json!({"type": "magic"}), "Invalid link type"),
    ] {
        invite(
            &h,
            "/v0/users/invite",
            json!({"email": "bad@example.com", "options": options}),
        )
        .await
        .err(400, message);
    }
    // Refusals leave nothing behind.
    assert!(h.outbox("to=bad@example.com").await.is_empty());
    let found = h
        .post("/v0/users/find")
        .bearer(&h.admin())
        .json(json!({"filters": {"conjunction": "and", "filterGroups": [{"conjunction": "and",
            "filters": [{"attr": "email", "type": "string", "comparison": "is", "value": "bad@example.com"}]}]}}))
        .send()
        .await
        .ok();
    assert_eq!(found["totalCount"], 0);
}

#[tokio::test]
async fn invite_refuses_taken_and_invalid_emails() {
    let h = Harness::start().await;
    for (body, message) in [
        (json!({"email": "MEMBER@example.com"}), "Email exists"),
        (json!({}), "\"email\" is required"),
        (json!({"email": "nope"}), "Email format is invalid"),
        (
            json!({"email": "x@example.com", "username": "admin"}),
            "Username exists",
        ),
    ] {
        invite(&h, "/v0/users/invite", body).await.err(400, message);
    }
    assert!(h.outbox("").await.is_empty());
    assert!(h.webhooks().await.is_empty());
}

#[tokio::test]
async fn invitations_are_rate_limited_per_address() {
    let h = Harness::start().await;
    let body = json!({"email": "rl@example.com", "roles": ["member"]});
    invite(&h, "/v0/roles/invite", body.clone()).await.ok();
    // A second message to the same address within 2 seconds.
    invite(&h, "/v0/roles/invite", body.clone()).await.err_type(
        429,
        "Rate limited",
        "rate_limit_error",
    );
    let id = h.outbox("to=rl@example.com").await[0]["uuid"].clone();
    h.delete(&format!("/v0/users/{}", id.as_str().unwrap()))
        .bearer(&h.admin())
        .send()
        .await
        .ok();
    // A new invitation to that address is refused too, and creates nobody.
    invite(&h, "/v0/users/invite", json!({"email": "rl@example.com"}))
        .await
        .err(429, "Rate limited");
    assert_eq!(h.events("user", "create").await.len(), 1);
    h.advance(3).await;
    invite(&h, "/v0/users/invite", json!({"email": "rl@example.com"}))
        .await
        .ok();
    assert_eq!(h.outbox("to=rl@example.com").await.len(), 2);
}

#[tokio::test]
async fn live_invitations_are_sent() {
    let h = Harness::start().await;
    let user = h
        .post("/v0/users/invite")
        .bearer(&h.key(Mode::Live, KeyType::Admin))
        .json(json!({"email": "live@example.com"}))
        .send()
        .await
        .ok();
    assert_eq!(user["mode"], "live");
    let mail = h.outbox("to=live@example.com").await;
    assert_eq!(mail[0]["suppressed"], false);
    assert_eq!(mail[0]["mode"], "live");
    assert!(
        mail[0]["link"]
            .as_str()
            .unwrap()
            .starts_with("https://example.com/login?")
    );
}

#[tokio::test]
async fn role_invitation_creates_or_extends_users() {
    let h = Harness::start().await;
    // A new user gets the roles in the key's tenant and a welcome email.
    let user = invite(
        &h,
        "/v0/roles/invite",
        json!({"email": "ed@example.com", "name": "Ed", "roles": ["editor", "author"]}),
    )
    .await
    .ok();
    assert_eq!(user["name"], "Ed");
    assert_eq!(
        user["authorization"],
        json!({DEMO_TENANT: {"roles": ["editor", "author"]}})
    );
    assert_eq!(h.outbox("to=ed@example.com&type=welcome").await.len(), 1);
    let created = h.events("user", "create").await;
    assert_eq!(
        created[0]["record"]["authorization"][DEMO_TENANT]["roles"][0],
        "editor"
    );
    // An existing user keeps its record, gets the roles added, and is invited again.
    let member = invite(
        &h,
        "/v0/roles/invite",
        json!({"email": "Member@Example.com", "name": "Ignored", "roles": ["editor", "member"],
            "options": {"type": "reset"}}),
    )
    .await
    .ok();
    assert_eq!(member["userId"], 2);
    assert_eq!(member["name"], "Member User");
    assert_eq!(
        member["authorization"][DEMO_TENANT]["roles"],
        json!(["member", "editor"])
    );
    let mail = h.outbox("to=member@example.com").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["type"], "invite");
    let updates = h.events("user", "update").await;
    assert_eq!(updates.len(), 1);
    // Roles it already has: the invitation goes out, but nothing changed.
    invite(
        &h,
        "/v0/roles/invite",
        json!({"email": "viewer@example.com", "roles": ["viewer"]}),
    )
    .await
    .ok();
    assert_eq!(h.outbox("to=viewer@example.com").await.len(), 1);
    assert_eq!(h.events("user", "update").await.len(), 1);
    // The role shows in tokens issued afterwards.
    let token = h
        .login("member@example.com", userfront_mock::TEST_PASSWORD)
        .await;
    let payload = token["tokens"]["access"]["value"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["authorization"][DEMO_TENANT]["roles"],
        json!(["member", "editor"])
    );
}

#[tokio::test]
async fn role_invitation_refusals() {
    let h = Harness::start().await;
    for (body, message) in [
        (
            json!({"email": "a@example.com", "roles": ["editor", "nope"]}),
            "Role \"nope\" not found",
        ),
        (json!({"email": "a@example.com"}), "\"roles\" is required"),
        (
            json!({"email": "a@example.com", "roles": "admin"}),
            "\"roles\" must be an array",
        ),
        (
            json!({"email": "a@example.com", "roles": [1]}),
            "\"roles\" must be an array of strings",
        ),
        (json!({"roles": ["admin"]}), "\"email\" is required"),
        (
            json!({"email": "bad", "roles": ["admin"]}),
            "Email format is invalid",
        ),
        (
            json!({"email": "a@example.com", "roles": ["admin"], "options": {"duration": "1 second"}}),
            "Invalid duration",
        ),
    ] {
        invite(&h, "/v0/roles/invite", body).await.err(400, message);
    }
    assert!(h.outbox("").await.is_empty());
    assert!(h.webhooks().await.is_empty());
    // Without an email the roles are still added.
    let user = invite(
        &h,
        "/v0/roles/invite",
        json!({"email": "quiet@example.com", "roles": [], "options": {"noInviteEmail": true}}),
    )
    .await
    .ok();
    assert_eq!(user["authorization"], json!({}));
    assert_eq!(user["lastMessagedAt"], Value::Null);
    assert!(h.outbox("").await.is_empty());
    for key in [
        h.key(Mode::Test, KeyType::Readonly),
        h.key(Mode::Test, KeyType::Webhook),
    ] {
        for path in ["/v0/roles/invite", "/v0/users/invite"] {
            h.post(path)
                .bearer(&key)
                .json(json!({"email": "z@example.com", "roles": ["admin"]}))
                .send()
                .await
                .err(403, "Forbidden");
        }
    }
    h.post("/v0/roles/invite")
        .json(json!({"email": "z@example.com", "roles": ["admin"]}))
        .send()
        .await
        .err(401, "Missing authentication");
}

#[tokio::test]
async fn tenant_level_role_invitations() {
    let h = Harness::start().await;
    let admin = h.admin();
    let [team, sub, deep] = &h.tenant_chain(&admin, ["Team", "Sub", "Deep"]).await;
    let user = h
        .post(&format!("/v0/tenants/{team}/roles/invite"))
        .bearer(&admin)
        .json(json!({"email": "member@example.com", "roles": ["owner"]}))
        .send()
        .await
        .ok();
    assert_eq!(
        user["authorization"],
        json!({DEMO_TENANT: {"roles": ["member"]}, team.as_str(): {"roles": ["owner"]}})
    );
    assert_eq!(
        user["tenantId"], DEMO_TENANT,
        "the user lives in the workspace pool"
    );
    // The grandparent's key reaches the grandchild, not the level below.
    h.post(&format!("/v0/tenants/{sub}/roles/invite"))
        .bearer(&admin)
        .json(json!({"email": "fresh@example.com", "roles": ["viewer"]}))
        .send()
        .await
        .ok();
    h.post(&format!("/v0/tenants/{deep}/roles/invite"))
        .bearer(&admin)
        .json(json!({"email": "fresh@example.com", "roles": ["viewer"]}))
        .send()
        .await
        .err(403, "Forbidden");
    // Roles are those of the path tenant.
    h.post(&format!("/v0/tenants/{team}/roles/invite"))
        .bearer(&admin)
        .json(json!({"email": "x@example.com", "roles": ["admin", "ghost"]}))
        .send()
        .await
        .err(400, "Role \"ghost\" not found");
    h.post("/v0/tenants/zzzz9999/roles/invite")
        .bearer(&admin)
        .json(json!({"email": "x@example.com", "roles": ["admin"]}))
        .send()
        .await
        .err(404, "Not Found");
    h.post(&format!("/v0/tenants/{team}/roles/invite"))
        .bearer(&h.other_key(Mode::Test, KeyType::Admin))
        .json(json!({"email": "x@example.com", "roles": ["admin"]}))
        .send()
        .await
        .err(403, "Forbidden");
    let found = h
        .post("/v0/users/find")
        .bearer(&admin)
        .json(
            json!({"filters": {"conjunction": "and", "filterGroups": [{"conjunction": "and",
            "filters": [{"attr": "role", "type": "string", "comparison": "is", "value": team}]}]}}),
        )
        .send()
        .await
        .ok();
    assert_eq!(found["totalCount"], 1);
    assert_eq!(found["results"][0]["userId"], 2);
}

/// The outbox link of the latest message to `to`.
async fn latest_link(h: &Harness, to: &str) -> String {
    let mail = h.outbox(&format!("to={to}")).await;
    mail.last().expect("a message")["link"]
        .as_str()
        .expect("a link")
        .to_owned()
}

#[tokio::test]
async fn invitation_links_sign_the_user_in_until_they_expire() {
    let h = Harness::start().await;
    let link_path = format!("/v0/tenants/{DEMO_TENANT}/auth/link");
    let reset_path = format!("/v0/tenants/{DEMO_TENANT}/auth/reset");
    // A welcome invitation (3 days by default) logs in once and confirms the email.
    invite(&h, "/v0/users/invite", json!({"email": "w@example.com"}))
        .await
        .ok();
    let credentials = link_credentials(&latest_link(&h, "w@example.com").await);
    h.advance(2 * 86_400).await;
    let signed = h
        .put(&link_path)
        .json(credentials.clone())
        .send()
        .await
        .ok();
    assert!(signed["tokens"]["access"]["value"].is_string());
    h.put(&link_path)
        .json(credentials)
        .send()
        .await
        .err(400, "Invalid token");
    let user = h
        .post("/v0/users/find")
        .bearer(&h.admin())
        .json(json!({"filters": {"conjunction": "and",
        "filterGroups": [{"conjunction": "and", "filters": [{"attr": "email", "type": "string",
        "comparison": "is", "value": "w@example.com"}]}]}}))
        .send()
        .await
        .ok();
    assert_eq!(user["results"][0]["isEmailConfirmed"], true);
    // A reset-style invitation sets the password on the reset form (1 hour by default).
    invite(
        &h,
        "/v0/users/invite",
        json!({"email": "r@example.com", "options": {"type": "reset"}}),
    )
    .await
    .ok();
    let mut credentials = link_credentials(&latest_link(&h, "r@example.com").await);
    credentials["password"] = json!("chosen-password-1");
    h.advance(59 * 60).await;
    h.put(&reset_path).json(credentials).send().await.ok();
    h.login("r@example.com", "chosen-password-1").await;
    // Expired: after the default hour, and after a custom duration.
    invite(
        &h,
        "/v0/users/invite",
        json!({"email": "late@example.com", "options": {"type": "reset"}}),
    )
    .await
    .ok();
    let mut late = link_credentials(&latest_link(&h, "late@example.com").await);
    late["password"] = json!("chosen-password-1");
    invite(
        &h,
        "/v0/users/invite",
        json!({"email": "short@example.com", "options": {"duration": "10 seconds"}}),
    )
    .await
    .ok();
    let short = link_credentials(&latest_link(&h, "short@example.com").await);
    h.advance(11).await;
    h.put(&link_path)
        .json(short)
        .send()
        .await
        .err(400, "Token expired");
    h.advance(3600).await;
    h.put(&reset_path)
        .json(late)
        .send()
        .await
        .err(400, "Token expired");
}
