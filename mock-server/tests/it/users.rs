//! Users from the server side (SS-1 … SS-4, SS-8, SS-9): create, read, update, delete,
//! createOrUpdate, mark active; credentials, modes and both path forms.

use crate::common;

use common::{Harness, Method};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, TEST_PASSWORD};

const USERS: &str = "/v0/users";

fn tenant_form(path: &str) -> String {
    format!(
        "/v0/tenants/{DEMO_TENANT}{}",
        path.trim_start_matches("/v0")
    )
}

#[tokio::test]
async fn create_read_update_delete_round_trip() {
    let h = Harness::start().await;
    let admin = h.admin();
    let user = h
        .post(USERS)
        .bearer(&admin)
        .json(json!({"email": "Jane@Example.com", "name": "Jane", "data": {"plan": "pro"}}))
        .send()
        .await
        .ok();
    assert_eq!(user["email"], "jane@example.com", "stored lowercase");
    assert_eq!(user["userId"], 5, "next id after the four seeded users");
    assert_eq!(user["mode"], "test");
    assert_eq!(user["tenantId"], DEMO_TENANT);
    assert_eq!(user["uuid"], user["userUuid"]);
    assert_eq!(user["data"], json!({"plan": "pro"}));
    assert_eq!(user["isEmailConfirmed"], false);
    assert_eq!(user["phoneNumber"], Value::Null);
    assert!(
        user["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("https://"))
    );
    let username = user["username"].as_str().unwrap();
    assert_eq!(
        username.split('-').count(),
        3,
        "generated username {username}"
    );
    assert!(
        h.outbox("to=jane@example.com").await.is_empty(),
        "no email on create"
    );

    // Read by id (both path forms) and by UUID.
    let uuid = user["userUuid"].as_str().unwrap();
    for path in [
        "/v0/users/5".to_owned(),
        tenant_form("/v0/users/5"),
        format!("/v0/users/{uuid}"),
    ] {
        let read = h.get_as(&admin, &path).await;
        assert_eq!(read["email"], "jane@example.com", "{path}");
    }

    // Update through the tenant form: partial, data merged.
    let updated = h
        .put(&tenant_form("/v0/users/5"))
        .bearer(&admin)
        .json(json!({"name": "Jane Doe", "data": {"seats": 3}}))
        .send()
        .await
        .ok();
    assert_eq!(updated["name"], "Jane Doe");
    assert_eq!(updated["email"], "jane@example.com", "untouched");
    assert_eq!(updated["data"], json!({"plan": "pro", "seats": 3}));

    // Delete answers with the record as it was, then the user is gone.
    let deleted = h.delete("/v0/users/5").bearer(&admin).send().await.ok();
    assert_eq!(deleted["name"], "Jane Doe");
    assert_eq!(deleted["userId"], 5);
    h.get_refused(&admin, "/v0/users/5", 404, "User not found")
        .await;
    h.delete(&tenant_form("/v0/users/5"))
        .bearer(&admin)
        .send()
        .await
        .err(404, "User not found");

    // One webhook event per change, with the documented exclusions.
    let events: Vec<Value> = h
        .events("user", "create")
        .await
        .into_iter()
        .chain(h.events("user", "update").await)
        .chain(h.events("user", "delete").await)
        .collect();
    assert_eq!(events.len(), 3);
    for event in &events {
        assert_eq!(event["mode"], "test");
        assert_eq!(event["record"]["userId"], 5);
        for excluded in ["lastActiveAt", "lastMessagedAt", "tenant", "updatedAt"] {
            assert!(event["record"].get(excluded).is_none(), "{excluded}");
        }
    }
    assert_eq!(events[1]["record"]["name"], "Jane Doe");
    let deliveries = h.webhooks().await;
    assert_eq!(
        deliveries[0]["headers"]["authorization"],
        format!("Bearer {}", h.key(Mode::Test, KeyType::Webhook))
    );
}

#[tokio::test]
async fn create_accepts_the_common_fields() {
    let h = Harness::start().await;
    let user = h
        .create_user(json!({
            "email": "full@example.com", "username": "Full.User", "phoneNumber": "+15558675309",
            "password": "abcdefgh1", "isMfaRequired": true, "locked": false,
            "isEmailConfirmed": true, "isPhoneNumberConfirmed": true, "image": "https://img/x.png",
            "preferredFirstFactor": {"channel": "email", "strategy": "password"}, "userId": 40,
        }))
        .await;
    assert_eq!(user["userId"], 40);
    assert_eq!(user["username"], "full.user");
    assert_eq!(user["phoneNumber"], "+15558675309");
    assert_eq!(user["isMfaRequired"], true);
    assert_eq!(user["isEmailConfirmed"], true);
    assert_eq!(user["isPhoneNumberConfirmed"], true);
    assert!(user["confirmedEmailAt"].is_string());
    assert_eq!(user["image"], "https://img/x.png");
    assert_eq!(user["preferredFirstFactor"]["strategy"], "password");
    assert!(user.get("password").is_none() && user.get("passwordHash").is_none());
    // The password works for a login.
    let login = h.login("full@example.com", "abcdefgh1").await;
    assert!(login["tokens"]["access"]["value"].is_string());
    // Ids keep counting after the explicit one.
    let next = h.create_user(json!({"email": "next@example.com"})).await;
    assert_eq!(next["userId"], 41);
}

#[tokio::test]
async fn create_refuses_invalid_and_taken_values() {
    let h = Harness::start().await;
    let admin = h.admin();
    let cases = [
        (json!({}), "\"email\" is required"),
        (json!({"email": "  "}), "\"email\" is required"),
        (json!({"email": "nope"}), "Email format is invalid"),
        (json!({"email": "ADMIN@example.com"}), "Email exists"),
        (
            json!({"email": "a@example.com", "username": "Member"}),
            "Username exists",
        ),
        (
            json!({"email": "a@example.com", "userId": 2}),
            "User ID exists",
        ),
        (
            json!({"email": "a@example.com", "phoneNumber": "555-1234"}),
            "Phone number must be in E.164 format.",
        ),
        (
            json!({"email": "a@example.com", "password": "short"}),
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        ),
        (
            json!({"email": "a@example.com", "name": 3}),
            "\"name\" must be a string",
        ),
        (
            json!({"email": "a@example.com", "data": []}),
            "\"data\" must be of type object",
        ),
        (
            json!({"email": "a@example.com", "locked": "yes"}),
            "\"locked\" must be a boolean",
        ),
    ];
    for (body, message) in cases {
        h.post(USERS)
            .bearer(&admin)
            .json(body.clone())
            .send()
            .await
            .err(400, message);
    }
    // A taken phone number (numbers are unique by default).
    h.create_user(json!({"email": "p1@example.com", "phoneNumber": "+15550001111"}))
        .await;
    h.post(USERS)
        .bearer(&admin)
        .json(json!({"email": "p2@example.com", "phoneNumber": "+15550001111"}))
        .send()
        .await
        .err(400, "Phone number exists");
    // Nothing half-made: only the one user was created, one create event.
    assert_eq!(h.events("user", "create").await.len(), 1);
    h.post(USERS)
        .bearer(&admin)
        .raw("{not json")
        .send()
        .await
        .err(400, "Invalid request payload JSON format");
}

#[tokio::test]
async fn reads_refuse_unknown_users_and_garbage_ids() {
    let h = Harness::start().await;
    let reader = h.key(Mode::Test, KeyType::Readonly);
    let user = h.get_as(&reader, "/v0/users/2").await;
    assert_eq!(user["email"], "member@example.com");
    assert_eq!(
        user["authorization"][DEMO_TENANT]["roles"],
        json!(["member"])
    );
    for path in [
        "/v0/users/99",
        "/v0/users/0",
        "/v0/users/not-a-uuid",
        "/v0/users/00000000-0000-4000-8000-000000000000",
    ] {
        h.get_refused(&reader, path, 404, "User not found").await;
    }
}

#[tokio::test]
async fn update_rules_for_email_phone_and_ids() {
    let h = Harness::start().await;
    let admin = h.admin();
    // Member's email is confirmed; changing it resets the flag...
    let user = h
        .put("/v0/users/2")
        .bearer(&admin)
        .json(json!({"email": "New.Member@example.com"}))
        .send()
        .await
        .ok();
    assert_eq!(user["email"], "new.member@example.com");
    assert_eq!(user["isEmailConfirmed"], false);
    assert_eq!(user["confirmedEmailAt"], Value::Null);
    // ...unless the flag is given with it.
    let user = h
        .put("/v0/users/2")
        .bearer(&admin)
        .json(json!({"email": "member2@example.com", "isEmailConfirmed": true}))
        .send()
        .await
        .ok();
    assert_eq!(user["isEmailConfirmed"], true);
    // Same for the phone number.
    let user = h
        .put("/v0/users/2")
        .bearer(&admin)
        .json(json!({"phoneNumber": "+15551112222", "isPhoneNumberConfirmed": true}))
        .send()
        .await
        .ok();
    assert_eq!(user["isPhoneNumberConfirmed"], true);
    let user = h
        .put("/v0/users/2")
        .bearer(&admin)
        .json(json!({"phoneNumber": "+15553334444"}))
        .send()
        .await
        .ok();
    assert_eq!(user["isPhoneNumberConfirmed"], false);
    // userId renumbers the user (must be free).
    h.put("/v0/users/2")
        .bearer(&admin)
        .json(json!({"userId": 3}))
        .send()
        .await
        .err(400, "User ID exists");
    let user = h
        .put("/v0/users/2")
        .bearer(&admin)
        .json(json!({"userId": 20}))
        .send()
        .await
        .ok();
    assert_eq!(user["userId"], 20);
    h.get_refused(&admin, "/v0/users/2", 404, "User not found")
        .await;
    assert_eq!(
        h.get_as(&admin, "/v0/users/20").await["email"],
        "member2@example.com"
    );
    // Taken values and unknown users.
    h.put("/v0/users/20")
        .bearer(&admin)
        .json(json!({"email": "admin@example.com"}))
        .send()
        .await
        .err(400, "Email exists");
    h.put("/v0/users/20")
        .bearer(&admin)
        .json(json!({"username": "VIEWER"}))
        .send()
        .await
        .err(400, "Username exists");
    h.put("/v0/users/99")
        .bearer(&admin)
        .json(json!({"name": "x"}))
        .send()
        .await
        .err(404, "User not found");
    h.put("/v0/users/20")
        .bearer(&admin)
        .json(json!({"email": "bad"}))
        .send()
        .await
        .err(400, "Email format is invalid");
    assert_eq!(h.events("user", "update").await.len(), 5);
}

#[tokio::test]
async fn update_password_and_lock() {
    let h = Harness::start().await;
    let admin = h.admin();
    h.put("/v0/users/3")
        .bearer(&admin)
        .json(json!({"password": "short"}))
        .send()
        .await
        .err(
            400,
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        );
    h.put("/v0/users/3")
        .bearer(&admin)
        .json(json!({"password": "a-new-password-1"}))
        .send()
        .await
        .ok();
    h.login("viewer@example.com", "a-new-password-1").await;
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
        .json(json!({"emailOrUsername": "viewer@example.com", "password": TEST_PASSWORD}))
        .send()
        .await
        .err(400, "Incorrect email or password");

    // Locking ends every session: the access token stops working.
    let token = h.access_token("member@example.com").await;
    h.get_as(&token, "/v0/self").await;
    let user = h
        .put("/v0/users/2")
        .bearer(&admin)
        .json(json!({"locked": true}))
        .send()
        .await
        .ok();
    assert_eq!(user["locked"], true);
    h.get_refused(&token, "/v0/self", 401, "Unauthorized").await;
    let sessions = h.get_as(&admin, "/v0/users/2/sessions").await;
    assert_eq!(sessions["totalCount"], 0);
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
        .json(json!({"emailOrUsername": "member@example.com", "password": TEST_PASSWORD}))
        .send()
        .await
        .err(403, "User is locked");
}

#[tokio::test]
async fn delete_ends_sessions_and_frees_the_email() {
    let h = Harness::start().await;
    let admin = h.admin();
    let token = h.access_token("viewer@example.com").await;
    let deleted = h
        .delete(&tenant_form("/v0/users/3"))
        .bearer(&admin)
        .send()
        .await
        .ok();
    assert_eq!(deleted["email"], "viewer@example.com");
    assert_eq!(
        deleted["authorization"][DEMO_TENANT]["roles"],
        json!(["viewer"])
    );
    h.get_refused(&token, "/v0/self", 401, "Unauthorized").await;
    let again = h.create_user(json!({"email": "viewer@example.com"})).await;
    assert_eq!(again["userId"], 5);
    let events = h.events("user", "delete").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["record"]["email"], "viewer@example.com");
}

#[tokio::test]
async fn create_or_update_matches_by_id_then_uuid() {
    let h = Harness::start().await;
    let admin = h.admin();
    let path = "/v0/users/createOrUpdate";
    // No match: created with the given identifiers.
    let uuid = "5b9e1c64-7d1f-4e0a-9f44-0c1d2e3f4a5b";
    let created = h
        .post(path)
        .bearer(&admin)
        .json(json!({"userId": 77, "userUuid": uuid, "email": "cu@example.com", "name": "C"}))
        .send()
        .await
        .ok();
    assert_eq!(created["userId"], 77);
    assert_eq!(created["userUuid"], uuid);
    // Match by userId.
    let updated = h
        .post(&tenant_form(path))
        .bearer(&admin)
        .json(json!({"userId": 77, "name": "By id"}))
        .send()
        .await
        .ok();
    assert_eq!(updated["name"], "By id");
    assert_eq!(updated["email"], "cu@example.com");
    // Match by userUuid.
    let updated = h
        .post(path)
        .bearer(&admin)
        .json(json!({"userUuid": uuid, "data": {"k": 1}}))
        .send()
        .await
        .ok();
    assert_eq!(updated["userId"], 77);
    assert_eq!(updated["data"], json!({"k": 1}));
    // Identifiers pick the user; a different userUuid next to a matching userId is not a change.
    let same = h
        .post(path)
        .bearer(&admin)
        .json(json!({"userId": 77, "userUuid": "0f0e0d0c-0b0a-4908-8706-050403020100"}))
        .send()
        .await
        .ok();
    assert_eq!(same["userUuid"], uuid);
    // No identifiers but an email: create.
    let other = h
        .post(path)
        .bearer(&admin)
        .json(json!({"email": "fresh@example.com"}))
        .send()
        .await
        .ok();
    assert_eq!(other["userId"], 78);
    // No match and no email.
    h.post(path)
        .bearer(&admin)
        .json(json!({"userId": 500, "name": "ghost"}))
        .send()
        .await
        .err(400, "\"email\" is required");
    h.post(path)
        .bearer(&admin)
        .json(json!({"userUuid": "nope"}))
        .send()
        .await
        .err(400, "\"userUuid\" must be a valid GUID");
    assert_eq!(h.events("user", "create").await.len(), 2);
    assert_eq!(h.events("user", "update").await.len(), 3);
}

#[tokio::test]
async fn mark_active_sets_last_active_without_webhook() {
    let h = Harness::start().await;
    let admin = h.admin();
    let before = h.get_as(&admin, "/v0/users/4").await;
    assert_eq!(before["lastActiveAt"], Value::Null);
    h.post("/__mock/clock")
        .json(json!({"now": "2030-01-02T03:04:05.000Z"}))
        .send()
        .await
        .ok();
    let user = h
        .post(&tenant_form("/v0/users/4/active"))
        .bearer(&admin)
        .send()
        .await
        .ok();
    let at = user["lastActiveAt"].as_str().unwrap();
    assert!(at.starts_with("2030-01-02T03:04:0"), "{at}");
    assert_eq!(user["updatedAt"], before["updatedAt"]);
    assert!(h.webhooks().await.is_empty());
    h.post("/v0/users/404/active")
        .bearer(&admin)
        .send()
        .await
        .err(404, "User not found");
}

/// Every endpoint of this file, with the credential kind it needs.
fn endpoints() -> Vec<(Method, String, bool)> {
    vec![
        (Method::POST, "/v0/users".into(), true),
        (Method::GET, "/v0/users/1".into(), false),
        (Method::PUT, "/v0/users/1".into(), true),
        (Method::DELETE, "/v0/users/1".into(), true),
        (Method::POST, "/v0/users/find".into(), false),
        (Method::GET, "/v0/users".into(), false),
        (Method::POST, "/v0/users/invite".into(), true),
        (Method::POST, "/v0/users/createOrUpdate".into(), true),
        (Method::POST, "/v0/users/1/active".into(), true),
        (Method::GET, "/v0/users/1/sessions".into(), false),
        (Method::POST, "/v0/auth/logout".into(), true),
    ]
}

#[tokio::test]
async fn credentials_are_checked_in_the_documented_order() {
    let h = Harness::start().await;
    let readonly = h.key(Mode::Test, KeyType::Readonly);
    let webhook = h.key(Mode::Test, KeyType::Webhook);
    let other = h.other_key(Mode::Test, KeyType::Admin);
    for (method, path, admin_only) in endpoints() {
        for path in [path.clone(), tenant_form(&path)] {
            h.probe(&method, &path, None)
                .await
                .err(401, "Missing authentication");
            h.probe(
                &method,
                &path,
                Some("uf_test_admin_demo1234_00000000000000000000000000000000"),
            )
            .await
            .err(401, "Unauthorized");
            h.probe(&method, &path, Some("garbage"))
                .await
                .err(401, "Unauthorized");
            h.probe(&method, &path, Some(&webhook))
                .await
                .err(403, "Forbidden");
            let as_reader = h.probe(&method, &path, Some(&readonly)).await;
            if admin_only {
                as_reader.err(403, "Forbidden");
            } else {
                assert_eq!(as_reader.status, 200, "{method} {path}: {}", as_reader.body);
            }
        }
        // Another workspace's key on this workspace's path.
        h.probe(&method, &tenant_form(&path), Some(&other))
            .await
            .err(403, "Forbidden");
    }
    // Nothing was changed by the refused calls.
    assert!(h.webhooks().await.is_empty());
}

#[tokio::test]
async fn test_and_live_pools_never_mix() {
    let h = Harness::start().await;
    let live = h.key(Mode::Live, KeyType::Admin);
    let test = h.admin();
    // Live starts empty: the seeded test users do not exist there.
    h.get_refused(&live, "/v0/users/1", 404, "User not found")
        .await;
    let found = h.post("/v0/users/find").bearer(&live).send().await.ok();
    assert_eq!(found["totalCount"], 0);
    // A live user gets id 1 in its own pool, and the test admin (id 1) is untouched.
    let user = h
        .post(USERS)
        .bearer(&live)
        .json(json!({"email": "live@example.com"}))
        .send()
        .await
        .ok();
    assert_eq!(user["mode"], "live");
    assert_eq!(user["userId"], 1);
    assert_eq!(
        h.get_as(&test, "/v0/users/1").await["email"],
        "admin@example.com"
    );
    let uuid = user["userUuid"].as_str().unwrap();
    h.get_refused(&test, &format!("/v0/users/{uuid}"), 404, "User not found")
        .await;
    // Live passwords follow the live rules.
    h.post(USERS)
        .bearer(&live)
        .json(json!({"email": "l2@example.com", "password": "password"}))
        .send()
        .await
        .err(
            400,
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        );
    let events = h.events("user", "create").await;
    assert_eq!(events[0]["mode"], "live");
}

#[tokio::test]
async fn child_tenant_paths_act_on_the_workspace_pool() {
    let h = Harness::start().await;
    let admin = h.admin();
    let [child, grandchild, great] = &h.generations(&admin).await;
    // The workspace key reaches its grandchild...
    let user = h
        .get_as(&admin, &format!("/v0/tenants/{grandchild}/users/2"))
        .await;
    assert_eq!(user["email"], "member@example.com");
    assert_eq!(user["tenantId"], DEMO_TENANT);
    // ...but not a great-grandchild.
    h.get_refused(
        &admin,
        &format!("/v0/tenants/{great}/users/2"),
        403,
        "Forbidden",
    )
    .await;
    // A user created through a child path lands in the workspace pool.
    let created = h
        .post(&format!("/v0/tenants/{child}/users"))
        .bearer(&admin)
        .json(json!({"email": "child-made@example.com"}))
        .send()
        .await
        .ok();
    assert_eq!(created["tenantId"], DEMO_TENANT);
    assert_eq!(
        h.get_as(&admin, &format!("/v0/users/{}", created["userId"]))
            .await["email"],
        "child-made@example.com"
    );
    // A test-mode child does not exist for live keys.
    h.get_refused(
        &h.key(Mode::Live, KeyType::Admin),
        &format!("/v0/tenants/{child}/users/2"),
        404,
        "Not Found",
    )
    .await;
}
