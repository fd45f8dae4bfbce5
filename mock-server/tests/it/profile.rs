//! The signed-in user's own record (CS-25 `GET /v0/self`, CS-26 `PUT /v0/self`).

use crate::common;

use common::{Harness, access};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD};

#[tokio::test]
async fn self_is_the_full_user_object() {
    let h = Harness::start().await;
    let token = h.access_token("admin@example.com").await;
    let me = h.get_as(&token, "/v0/self").await;
    let mut keys: Vec<&str> = me.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = vec![
        "mode",
        "userId",
        "userUuid",
        "uuid",
        "tenantId",
        "username",
        "email",
        "name",
        "image",
        "phoneNumber",
        "data",
        "locked",
        "isMfaRequired",
        "preferredFirstFactor",
        "preferredSecondFactor",
        "isEmailConfirmed",
        "isPhoneNumberConfirmed",
        "isConfirmed",
        "confirmedAt",
        "confirmedEmailAt",
        "confirmedPhoneNumberAt",
        "lastActiveAt",
        "lastMessagedAt",
        "createdAt",
        "updatedAt",
        "tenant",
        "authorization",
        "authentication",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(me["mode"], "test");
    assert_eq!(me["userId"], 1);
    assert_eq!(me["uuid"], me["userUuid"]);
    assert_eq!(me["tenantId"], DEMO_TENANT);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["email"], "admin@example.com");
    assert_eq!(me["name"], "Admin User");
    assert!(
        me["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("https://"))
    );
    assert_eq!(me["phoneNumber"], Value::Null);
    assert_eq!(me["data"], json!({}));
    assert_eq!(me["locked"], false);
    assert_eq!(me["isEmailConfirmed"], true);
    assert_eq!(me["isConfirmed"], true);
    assert!(me["lastActiveAt"].is_string(), "set by the login");
    assert_eq!(
        me["tenant"],
        json!({ "tenantId": DEMO_TENANT, "aliasId": null, "name": "Demo Workspace",
                "image": me["tenant"]["image"], "loginRedirectPath": "/dashboard",
                "logoutRedirectPath": "/login" })
    );
    assert_eq!(
        me["authorization"],
        json!({ DEMO_TENANT: { "roles": ["admin"] } })
    );
    assert_eq!(
        me["authentication"],
        json!({ "firstFactors": [ { "channel": "email", "strategy": "password" },
                                  { "channel": "email", "strategy": "link" } ],
                "secondFactors": [] })
    );
    h.get("/v0/self")
        .send()
        .await
        .err(401, "Missing authentication");
}

#[tokio::test]
async fn update_changes_the_editable_fields_only() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    h.put("/v0/self")
        .bearer(&token)
        .json(json!({ "data": { "plan": "free", "theme": "dark" } }))
        .send()
        .await
        .ok();
    h.advance(5).await;
    let before = h.get_as(&token, "/v0/self").await;
    let updated = h
        .put("/v0/self")
        .bearer(&token)
        .json(json!({
            "name": "New Name", "username": "NewHandle", "image": "https://img.example.org/me.png",
            "data": { "plan": "pro" },
            "email": "hijack@example.com", "userId": 99, "locked": true, "isMfaRequired": true,
            "isEmailConfirmed": false, "phoneNumber": "+15558675309"
        }))
        .send()
        .await
        .ok();
    assert_eq!(updated["name"], "New Name");
    assert_eq!(updated["username"], "newhandle");
    assert_eq!(updated["image"], "https://img.example.org/me.png");
    assert_eq!(updated["data"], json!({ "plan": "pro", "theme": "dark" }));
    assert_eq!(updated["email"], "member@example.com");
    assert_eq!(updated["userId"], 2);
    assert_eq!(updated["locked"], false);
    assert_eq!(updated["isMfaRequired"], false);
    assert_eq!(updated["isEmailConfirmed"], true);
    assert_eq!(updated["phoneNumber"], Value::Null);
    assert_ne!(updated["updatedAt"], before["updatedAt"]);
    assert_eq!(h.get_as(&token, "/v0/self").await, updated);
    let events = h.webhooks().await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["body"]["action"], "update");
    assert_eq!(events[1]["body"]["record"]["username"], "newhandle");
    // The new username signs in.
    assert_eq!(h.login("newhandle", TEST_PASSWORD).await["userId"], 2);
}

#[tokio::test]
async fn an_update_that_changes_nothing_emits_nothing() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let before = h.get_as(&token, "/v0/self").await;
    for body in [
        json!({}),
        json!({ "name": "Member User", "username": "MEMBER" }),
        json!({ "email": "ignored@example.com" }),
    ] {
        let after = h
            .put("/v0/self")
            .bearer(&token)
            .json(body)
            .send()
            .await
            .ok();
        assert_eq!(after, before);
    }
    assert!(h.webhooks().await.is_empty());
}

#[tokio::test]
async fn update_refusals_change_nothing() {
    let h = Harness::start().await;
    let login = h.login("member@example.com", TEST_PASSWORD).await;
    let token = access(&login);
    h.put("/v0/self")
        .bearer(&token)
        .json(json!({ "name": "Changed", "username": "Viewer" }))
        .send()
        .await
        .err(400, "Username exists");
    h.put("/v0/self")
        .bearer(&token)
        .json(json!({ "name": 5 }))
        .send()
        .await
        .err(400, "\"name\" must be a string");
    h.put("/v0/self")
        .bearer(&token)
        .json(json!({ "data": ["x"] }))
        .send()
        .await
        .err(400, "\"data\" must be of type object");
    h.put("/v0/self")
        .json(json!({ "name": "Changed" }))
        .send()
        .await
        .err(401, "Missing authentication");
    assert_eq!(h.get_as(&token, "/v0/self").await["name"], "Member User");
    assert!(h.webhooks().await.is_empty());
    // An ended session cannot edit.
    h.get_as(&token, "/v0/auth/logout").await;
    h.put("/v0/self")
        .bearer(&token)
        .json(json!({ "name": "Changed" }))
        .send()
        .await
        .err(401, "Unauthorized");
}

#[tokio::test]
async fn live_tokens_read_and_edit_the_live_user() {
    let h = Harness::start().await;
    let live = h.live_signup("ana@example.org", "live-password-1").await;
    let updated = h
        .put("/v0/self")
        .bearer(&access(&live))
        .json(json!({ "name": "Ana" }))
        .send()
        .await
        .ok();
    assert_eq!(updated["mode"], "live");
    assert_eq!(updated["name"], "Ana");
    let events = h.webhooks().await;
    assert_eq!(events.last().unwrap()["body"]["mode"], "live");
    // The test user with id 1 is untouched.
    let admin = h.access_token("admin@example.com").await;
    assert_eq!(h.get_as(&admin, "/v0/self").await["name"], "Admin User");
}
