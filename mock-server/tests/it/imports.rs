//! User imports (server-to-server SS-28 … SS-32).

use crate::common;

use common::{Harness, Resp};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, TEST_PASSWORD};

async fn create(h: &Harness, users: Value) -> Value {
    h.post("/v0/user-import")
        .bearer(&h.admin())
        .json(json!({ "users": users }))
        .send()
        .await
        .ok()
}

async fn process(h: &Harness, import: &Value) -> Resp {
    h.post(&format!(
        "/v0/user-import/{}/process",
        import["uuid"].as_str().unwrap()
    ))
    .bearer(&h.admin())
    .send()
    .await
}

async fn try_login(h: &Harness, email: &str, password: &str) -> Resp {
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
        .json(json!({ "emailOrUsername": email, "password": password }))
        .send()
        .await
}

#[tokio::test]
async fn a_new_import_is_idle_and_masks_passwords() {
    let h = Harness::start().await;
    let import = create(
        &h,
        json!([
            { "email": "b@example.org", "plan": "pro", "password": "importedpass1", "Password": "x" },
            { "email": "c@example.org", "password": null }
        ]),
    )
    .await;
    assert_eq!(import["importUuid"], import["uuid"]);
    assert_eq!(import["tenantId"], DEMO_TENANT);
    assert_eq!(import["mode"], "test");
    assert_eq!(
        import["users"],
        json!([
            { "email": "b@example.org", "plan": "pro", "password": "********", "Password": "********" },
            { "email": "c@example.org", "password": null }
        ])
    );
    assert_eq!(import["userCount"], 2);
    assert_eq!(import["successCount"], 0);
    assert_eq!(import["failureCount"], 0);
    assert_eq!(import["failures"], json!([]));
    assert_eq!(import["completedAt"], Value::Null);
    assert_eq!(import["createdAt"], import["updatedAt"]);
    // Nothing happens until it is processed.
    try_login(&h, "b@example.org", "importedpass1")
        .await
        .err(400, "Incorrect email or password");
    assert!(h.events("user", "create").await.is_empty());
    // The tenant form acts on the same tenant.
    let tenant_form = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/user-import"))
        .bearer(&h.admin())
        .json(json!({ "users": [{ "email": "d@example.org" }] }))
        .send()
        .await
        .ok();
    assert_eq!(tenant_form["tenantId"], DEMO_TENANT);
}

#[tokio::test]
async fn create_refuses_malformed_imports() {
    let h = Harness::start().await;
    let admin = h.admin();
    let send = |key: String, body: Value| {
        let h = &h;
        async move {
            h.post("/v0/user-import")
                .bearer(&key)
                .json(body)
                .send()
                .await
        }
    };
    send(admin.clone(), json!({}))
        .await
        .err(400, "\"users\" is required");
    send(admin.clone(), json!({ "users": [] }))
        .await
        .err(400, "\"users\" is required");
    send(admin.clone(), json!({ "users": {} }))
        .await
        .err(400, "\"users\" must be an array");
    send(admin.clone(), json!({ "users": ["a@example.org"] }))
        .await
        .err(400, "\"users\" must be an array of objects");
    for row in [json!({ "name": "No Email" }), json!({ "email": " " })] {
        send(
            admin.clone(),
            json!({ "users": [{ "email": "ok@example.org" }, row] }),
        )
        .await
        .err(400, "\"email\" is required");
    }
    send(
        admin.clone(),
        json!({ "users": [{ "email": "a@example.org", "password": 12345678 }] }),
    )
    .await
    .err(400, "\"password\" must be a string");
    send(
        h.key(Mode::Test, KeyType::Readonly),
        json!({ "users": [{ "email": "a@example.org" }] }),
    )
    .await
    .err(403, "Forbidden");
    let other = h.other_key(Mode::Test, KeyType::Admin);
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/user-import"))
        .bearer(&other)
        .json(json!({ "users": [{ "email": "a@example.org" }] }))
        .send()
        .await
        .err(403, "Forbidden");
    // Nothing was stored.
    let listed = h.get_as(&admin, "/v0/user-import").await;
    assert_eq!(listed["totalCount"], 0);
}

#[tokio::test]
async fn passwords_are_imported_in_test_mode_only() {
    let h = Harness::start().await;
    let live = h.key(Mode::Live, KeyType::Admin);
    for row in [
        json!({ "email": "a@example.org", "password": "importedpass1" }),
        json!({ "email": "a@example.org", "PASSWORD": "importedpass1" }),
    ] {
        h.post("/v0/user-import")
            .bearer(&live)
            .json(json!({ "users": [row] }))
            .send()
            .await
            .err(400, "Passwords can only be imported in test mode");
    }
    // Without a password, live imports work and stay in live mode.
    let import = h
        .post("/v0/user-import")
        .bearer(&live)
        .json(json!({ "users": [{ "email": "live@example.org", "password": "" }] }))
        .send()
        .await
        .ok();
    assert_eq!(import["mode"], "live");
    let test_list = h.get_as(&h.admin(), "/v0/user-import").await;
    assert_eq!(test_list["totalCount"], 0);
    let path = format!("/v0/user-import/{}", import["uuid"].as_str().unwrap());
    h.get_refused(&h.admin(), &path, 404, "Not Found").await;
    let processed = h
        .post(&format!("{path}/process"))
        .bearer(&live)
        .send()
        .await
        .ok();
    assert_eq!(processed["successCount"], 1);
    // The live user is not a test user.
    try_login(&h, "live@example.org", "anything1")
        .await
        .err(400, "Incorrect email or password");
}

#[tokio::test]
async fn processing_maps_attributes_creates_updates_and_records_failures() {
    let h = Harness::start().await;
    let import = create(
        &h,
        json!([
            { "email": "Ana@Example.ORG", "username": "AnaR", "name": "Ana Ruiz",
              "userId": 20, "id": 7, "uuid": "legacy-7",
              "userUuid": "6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68",
              "plan": "pro", "data": { "tier": 2 }, "Password": "dropped",
              "isEmailConfirmed": true, "phoneNumber": "+15558675309",
              "password": "importedpass1" },
            { "email": "bad", "name": "Bad Email" },
            { "email": "admin@example.com", "name": "Duplicate" },
            { "email": "viewer@example.com", "id": 3, "name": "Renamed Viewer", "team": "blue" },
            { "email": "zed@example.org", "uuid": "0c6f1d2a-5b7e-4c9a-8d3f-1e2a4b6c8d0e", "locked": "yes" },
            { "email": "nopass@example.org" }
        ]),
    )
    .await;
    let done = process(&h, &import).await.ok();
    assert_eq!(done["uuid"], import["uuid"]);
    assert_eq!(done["userCount"], 6);
    assert_eq!(done["successCount"], 3);
    assert_eq!(done["failureCount"], 3);
    assert_eq!(
        done["failures"],
        json!([
            { "index": 1, "email": "bad", "message": "Email format is invalid" },
            { "index": 2, "email": "admin@example.com", "message": "Email exists" },
            { "index": 4, "email": "zed@example.org", "message": "\"locked\" must be a boolean" }
        ])
    );
    assert!(done["completedAt"].is_string());
    assert_eq!(done["users"], import["users"], "the echo stays masked");

    // The imported password logs in (test mode), with everything mapped.
    let ana = try_login(&h, "ana@example.org", "importedpass1").await.ok();
    assert_eq!(ana["userId"], 20);
    assert_eq!(ana["userUuid"], "6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68");
    assert_eq!(ana["email"], "ana@example.org");
    assert_eq!(ana["username"], "anar");
    assert_eq!(ana["name"], "Ana Ruiz");
    assert_eq!(ana["phoneNumber"], "+15558675309");
    assert_eq!(ana["isEmailConfirmed"], true);
    assert_eq!(
        ana["data"],
        json!({ "id": 7, "uuid": "legacy-7", "plan": "pro", "tier": 2 })
    );
    // `id` alone is the user id: the existing user 3 was updated, not duplicated.
    let viewer = try_login(&h, "viewer@example.com", TEST_PASSWORD)
        .await
        .ok();
    assert_eq!(viewer["userId"], 3);
    assert_eq!(viewer["name"], "Renamed Viewer");
    assert_eq!(viewer["data"]["team"], "blue");
    // A row without a password gives a user without one.
    try_login(&h, "nopass@example.org", "importedpass1")
        .await
        .err(400, "Incorrect email or password");

    let created: Vec<Value> = h
        .events("user", "create")
        .await
        .iter()
        .map(|e| e["record"]["email"].clone())
        .collect();
    assert_eq!(
        created,
        [json!("ana@example.org"), json!("nopass@example.org")]
    );
    let updated = h.events("user", "update").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["record"]["userId"], 3);

    // Once is enough.
    process(&h, &import)
        .await
        .err(400, "Import already processed");
}

#[tokio::test]
async fn imports_are_listed_read_and_deleted() {
    let h = Harness::start().await;
    let admin = h.admin();
    let readonly = h.key(Mode::Test, KeyType::Readonly);
    let first = create(
        &h,
        json!([{ "email": "one@example.org", "password": "importedpass1" }]),
    )
    .await;
    let second = create(&h, json!([{ "email": "two@example.org" }])).await;
    let first = process(&h, &first).await.ok();

    let listed = h.get_as(&readonly, "/v0/user-import").await;
    assert_eq!(listed["totalCount"], 2);
    assert_eq!(listed["totalPages"], 1);
    assert_eq!(listed["results"], json!([first, second]));
    let tenant_form = h
        .get_as(&admin, &format!("/v0/tenants/{DEMO_TENANT}/user-import"))
        .await;
    assert_eq!(tenant_form, listed);

    let path = format!("/v0/user-import/{}", first["uuid"].as_str().unwrap());
    assert_eq!(h.get_as(&readonly, &path).await, first);
    let tenant_path = format!(
        "/v0/tenants/{DEMO_TENANT}/user-import/{}",
        second["uuid"].as_str().unwrap()
    );
    assert_eq!(h.get_as(&admin, &tenant_path).await, second);

    h.delete(&path)
        .bearer(&readonly)
        .send()
        .await
        .err(403, "Forbidden");
    let deleted = h.delete(&path).bearer(&admin).send().await.ok();
    assert_eq!(deleted, first);
    h.get_refused(&admin, &path, 404, "Not Found").await;
    h.delete(&path)
        .bearer(&admin)
        .send()
        .await
        .err(404, "Not Found");
    h.post(&format!("{path}/process"))
        .bearer(&admin)
        .send()
        .await
        .err(404, "Not Found");
    // Users the import created stay.
    try_login(&h, "one@example.org", "importedpass1").await.ok();
    // The tenant form processes and deletes too.
    let processed = h
        .post(&format!("{tenant_path}/process"))
        .bearer(&admin)
        .send()
        .await
        .ok();
    assert_eq!(processed["successCount"], 1);
    h.delete(&tenant_path).bearer(&admin).send().await.ok();
    let listed = h.get_as(&admin, "/v0/user-import").await;
    assert_eq!(listed["totalCount"], 0);

    h.get_refused(&admin, "/v0/user-import/not-a-uuid", 404, "Not Found")
        .await;
    h.get_refused(
        &h.key(Mode::Test, KeyType::Webhook),
        "/v0/user-import",
        403,
        "Forbidden",
    )
    .await;
}

#[tokio::test]
async fn processing_needs_an_admin_key_of_the_imports_mode() {
    let h = Harness::start().await;
    let import = create(&h, json!([{ "email": "p@example.org" }])).await;
    let path = format!(
        "/v0/user-import/{}/process",
        import["uuid"].as_str().unwrap()
    );
    h.post(&path)
        .bearer(&h.key(Mode::Test, KeyType::Readonly))
        .send()
        .await
        .err(403, "Forbidden");
    h.post(&path)
        .bearer(&h.key(Mode::Live, KeyType::Admin))
        .send()
        .await
        .err(404, "Not Found");
    let other = h.other_key(Mode::Test, KeyType::Admin);
    h.post(&path)
        .bearer(&other)
        .send()
        .await
        .err(404, "Not Found");
    assert_eq!(process(&h, &import).await.ok()["successCount"], 1);
}

#[tokio::test]
async fn a_child_tenants_imports_are_its_own_and_fill_the_workspace_pool() {
    let h = Harness::start().await;
    let child = h.create_tenant(&h.admin(), DEMO_TENANT, "Acme").await;
    let import = h
        .post(&format!("/v0/tenants/{child}/user-import"))
        .bearer(&h.admin())
        .json(json!({ "users": [{ "email": "acme@example.org", "password": "importedpass1" }] }))
        .send()
        .await
        .ok();
    assert_eq!(import["tenantId"], child.as_str());
    let workspace = h.get_as(&h.admin(), "/v0/user-import").await;
    assert_eq!(workspace["totalCount"], 0);
    let uuid = import["uuid"].as_str().unwrap();
    h.post(&format!("/v0/user-import/{uuid}/process"))
        .bearer(&h.admin())
        .send()
        .await
        .err(404, "Not Found");
    h.post(&format!("/v0/tenants/{child}/user-import/{uuid}/process"))
        .bearer(&h.admin())
        .send()
        .await
        .ok();
    let user = try_login(&h, "acme@example.org", "importedpass1")
        .await
        .ok();
    assert_eq!(user["tenantId"], DEMO_TENANT);
}
