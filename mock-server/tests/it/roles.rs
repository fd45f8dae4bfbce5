//! Roles at application and tenant level (server-to-server SS-18 … SS-20, SS-22 … SS-25, SS-27).

use crate::common;

use common::{Harness, Method, Resp};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, TEST_PASSWORD};

fn names(list: &Value) -> Vec<String> {
    list["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

/// `PUT path` of `{"roles": roles}` with `key`: sets the roles of the user at `path`
/// (`/v0/users/{id}/roles` or the tenant form).
async fn set_roles(h: &Harness, key: &str, path: &str, roles: Value) -> Resp {
    h.call(Method::PUT, path, key, json!({ "roles": roles }))
        .await
}

/// `POST path` of `{"name": name}` with `key`: creates a role (`/v0/roles` or the tenant form).
async fn create_role(h: &Harness, key: &str, path: &str, name: &str) -> Resp {
    h.call(Method::POST, path, key, json!({ "name": name }))
        .await
}

/// `DELETE path` with `key`: deletes the role at `path`.
async fn delete_role(h: &Harness, key: &str, path: &str) -> Resp {
    h.delete(path).bearer(key).send().await
}

/// The verified claims of the access token that a refresh with `refresh` issues.
async fn refreshed_claims(h: &Harness, refresh: &str) -> Value {
    let refreshed = h.get_as(refresh, "/v0/auth/refresh").await;
    h.verified_claims(common::access(&refreshed).as_str(), Mode::Test)
        .await
}

#[tokio::test]
async fn roles_are_created_listed_and_deleted_in_both_path_forms() {
    let h = Harness::start().await;
    let admin = h.admin();
    let role = create_role(&h, &admin, "/v0/roles", "tier-3").await.ok();
    assert_eq!(role["name"], "tier-3");
    assert_eq!(role["tenantId"], DEMO_TENANT);
    assert!(role["createdAt"].as_str().unwrap().ends_with('Z'));
    let tenant_level = create_role(
        &h,
        &admin,
        &format!("/v0/tenants/{DEMO_TENANT}/roles"),
        "dev_access-write 1",
    )
    .await
    .ok();
    assert_eq!(tenant_level["tenantId"], DEMO_TENANT);

    // The list envelope holds the seeded defaults and both new roles, oldest first.
    let listed = h
        .get_as(&h.key(Mode::Test, KeyType::Readonly), "/v0/roles")
        .await;
    assert_eq!(listed["totalCount"], 11);
    assert_eq!(listed["totalPages"], 1);
    let all = names(&listed);
    assert_eq!(all[0], "subscriber");
    assert_eq!(&all[9..], ["tier-3", "dev_access-write 1"]);
    assert_eq!(listed["results"][9], role);
    let same = h
        .get_as(&admin, &format!("/v0/tenants/{DEMO_TENANT}/roles"))
        .await;
    assert_eq!(same, listed);

    // Delete answers with the deleted role; names are URL-encoded in the path.
    let deleted = delete_role(&h, &admin, "/v0/roles/tier-3").await.ok();
    assert_eq!(deleted, role);
    delete_role(
        &h,
        &admin,
        &format!("/v0/tenants/{DEMO_TENANT}/roles/dev_access-write%201"),
    )
    .await
    .ok();
    let listed = h.get_as(&admin, "/v0/roles").await;
    assert_eq!(listed["totalCount"], 9);
    assert!(!names(&listed).contains(&"tier-3".to_owned()));
    delete_role(&h, &admin, "/v0/roles/tier-3")
        .await
        .err(404, "Role \"tier-3\" not found");
}

#[tokio::test]
async fn role_names_follow_the_rules() {
    let h = Harness::start().await;
    let admin = h.admin();
    let create = |body: Value| h.post("/v0/roles").bearer(&admin).json(body).send();
    create(json!({})).await.err(400, "\"name\" is required");
    create(json!({ "name": 3 }))
        .await
        .err(400, "\"name\" must be a string");
    for bad in ["", " padded", "padded ", "\ttab"] {
        create(json!({ "name": bad }))
            .await
            .err(400, "Invalid role name");
    }
    create(json!({ "name": "admin" }))
        .await
        .err(400, "Role exists");
    // Any case, digits and punctuation are fine, and names are case-sensitive.
    for ok in ["ResourceOwner", "Admin", "tier-3"] {
        assert_eq!(create(json!({ "name": ok })).await.ok()["name"], ok);
    }
}

#[tokio::test]
async fn role_endpoints_check_the_credential() {
    let h = Harness::start().await;
    let readonly = h.key(Mode::Test, KeyType::Readonly);
    let webhook = h.key(Mode::Test, KeyType::Webhook);
    let other = h.other_key(Mode::Test, KeyType::Admin);
    let body = json!({ "name": "tier-3" });
    h.post("/v0/roles")
        .json(body.clone())
        .send()
        .await
        .err(401, "Missing authentication");
    h.post("/v0/roles")
        .bearer("uf_test_admin_demo1234_00000000000000000000000000000000")
        .json(body.clone())
        .send()
        .await
        .err(401, "Unauthorized");
    h.post("/v0/roles")
        .bearer(&readonly)
        .json(body.clone())
        .send()
        .await
        .err(403, "Forbidden");
    delete_role(&h, &readonly, "/v0/roles/member")
        .await
        .err(403, "Forbidden");
    set_roles(&h, &readonly, "/v0/users/2/roles", json!([]))
        .await
        .err(403, "Forbidden");
    h.get_refused(&webhook, "/v0/roles", 403, "Forbidden").await;
    for (method, path) in [
        (Method::GET, format!("/v0/tenants/{DEMO_TENANT}/roles")),
        (Method::POST, format!("/v0/tenants/{DEMO_TENANT}/roles")),
        (
            Method::DELETE,
            format!("/v0/tenants/{DEMO_TENANT}/roles/member"),
        ),
        (
            Method::PUT,
            format!("/v0/tenants/{DEMO_TENANT}/users/2/roles"),
        ),
    ] {
        h.call(method, &path, &other, json!({ "name": "x", "roles": [] }))
            .await
            .err(403, "Forbidden");
    }
    // Nothing changed for the demo workspace.
    let listed = h.get_as(&h.admin(), "/v0/roles").await;
    assert_eq!(listed["totalCount"], 9);
}

#[tokio::test]
async fn roles_are_kept_apart_per_mode() {
    let h = Harness::start().await;
    let live = h.key(Mode::Live, KeyType::Admin);
    create_role(&h, &h.admin(), "/v0/roles", "test-only")
        .await
        .ok();
    let listed = h.get_as(&live, "/v0/roles").await;
    assert!(!names(&listed).contains(&"test-only".to_owned()));
    delete_role(&h, &live, "/v0/roles/test-only")
        .await
        .err(404, "Role \"test-only\" not found");
    // The seeded test users do not exist in live mode.
    set_roles(&h, &live, "/v0/users/2/roles", json!(["member"]))
        .await
        .err(404, "User not found");
    // A live-only role is not assignable with a test key.
    create_role(&h, &live, "/v0/roles", "live-only").await.ok();
    set_roles(&h, &h.admin(), "/v0/users/2/roles", json!(["live-only"]))
        .await
        .err(400, "Role \"live-only\" not found");
}

#[tokio::test]
async fn set_user_roles_replaces_the_tenant_roles() {
    let h = Harness::start().await;
    let admin = h.admin();
    let user = set_roles(
        &h,
        &admin,
        "/v0/users/2/roles",
        json!(["editor", "member", "editor"]),
    )
    .await
    .ok();
    assert_eq!(user["userId"], 2);
    assert_eq!(
        user["authorization"],
        json!({ DEMO_TENANT: { "roles": ["editor", "member"] } })
    );
    // POST works like PUT, on both path forms, and the user may be named by UUID.
    let uuid = user["userUuid"].as_str().unwrap().to_owned();
    for (method, path, roles) in [
        (
            Method::POST,
            format!("/v0/tenants/{DEMO_TENANT}/users/{uuid}/roles"),
            json!(["author"]),
        ),
        (
            Method::PUT,
            format!("/v0/tenants/{DEMO_TENANT}/users/2/roles"),
            json!(["owner"]),
        ),
    ] {
        let body = json!({ "roles": roles });
        let user = h.call(method, &path, &admin, body).await.ok();
        assert_eq!(user["authorization"][DEMO_TENANT]["roles"], roles);
    }
    let user = h
        .call(
            Method::POST,
            "/v0/users/2/roles",
            &admin,
            json!({ "roles": [] }),
        )
        .await
        .ok();
    assert_eq!(user["authorization"], json!({}));
}

#[tokio::test]
async fn set_user_roles_refuses_bad_input_without_changing_anything() {
    let h = Harness::start().await;
    let admin = h.admin();
    let set = |path: &str, body: Value| h.put(path).bearer(&admin).json(body).send();
    set("/v0/users/2/roles", json!({ "roles": ["editor", "ghost"] }))
        .await
        .err(400, "Role \"ghost\" not found");
    set("/v0/users/2/roles", json!({}))
        .await
        .err(400, "\"roles\" is required");
    set("/v0/users/2/roles", json!({ "roles": "editor" }))
        .await
        .err(400, "\"roles\" must be an array");
    set("/v0/users/2/roles", json!({ "roles": [1] }))
        .await
        .err(400, "\"roles\" must be an array of strings");
    set("/v0/users/999/roles", json!({ "roles": [] }))
        .await
        .err(404, "User not found");
    set(
        "/v0/users/6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68/roles",
        json!({ "roles": [] }),
    )
    .await
    .err(404, "User not found");
    // The member kept its role.
    let token = h.access_token("member@example.com").await;
    let claims = h.verified_claims(&token, Mode::Test).await;
    assert_eq!(
        claims["authorization"][DEMO_TENANT]["roles"],
        json!(["member"])
    );
    assert!(
        h.events("user", "update").await.is_empty(),
        "no webhook for refused changes"
    );
}

#[tokio::test]
async fn role_changes_send_one_user_update_webhook_each() {
    let h = Harness::start().await;
    let admin = h.admin();
    for _ in 0..2 {
        set_roles(&h, &admin, "/v0/users/3/roles", json!(["editor"]))
            .await
            .ok();
    }
    let updates = h.events("user", "update").await;
    assert_eq!(updates.len(), 1, "unchanged roles: no event");
    assert_eq!(updates[0]["record"]["userId"], 3);
    let hooks = h.webhooks().await;
    let event = hooks
        .iter()
        .find(|d| d["body"]["record"]["userId"] == 3)
        .unwrap();
    assert_eq!(event["body"]["mode"], "test");
    assert_eq!(
        event["body"]["record"]["authorization"][DEMO_TENANT]["roles"],
        json!(["editor"])
    );
    assert_eq!(
        event["headers"]["authorization"],
        format!("Bearer {}", h.key(Mode::Test, KeyType::Webhook))
    );
}

#[tokio::test]
async fn an_assigned_role_cannot_be_deleted() {
    let h = Harness::start().await;
    let admin = h.admin();
    delete_role(&h, &admin, "/v0/roles/member")
        .await
        .err(400, "Role is assigned to one or more users");
    set_roles(&h, &admin, "/v0/users/2/roles", json!([]))
        .await
        .ok();
    let deleted = delete_role(
        &h,
        &admin,
        &format!("/v0/tenants/{DEMO_TENANT}/roles/member"),
    )
    .await
    .ok();
    assert_eq!(deleted["name"], "member");
    set_roles(&h, &admin, "/v0/users/2/roles", json!(["member"]))
        .await
        .err(400, "Role \"member\" not found");
}

#[tokio::test]
async fn roles_show_in_tokens_issued_or_refreshed_afterwards() {
    let h = Harness::start().await;
    let before = h.login("member@example.com", TEST_PASSWORD).await;
    let old_access = before["tokens"]["access"]["value"].as_str().unwrap();
    let refresh = before["tokens"]["refresh"]["value"].as_str().unwrap();
    set_roles(
        &h,
        &h.admin(),
        "/v0/users/2/roles",
        json!(["editor", "author"]),
    )
    .await
    .ok();

    // A refresh re-reads the roles.
    let claims = refreshed_claims(&h, refresh).await;
    assert_eq!(
        claims["authorization"],
        json!({ DEMO_TENANT: { "roles": ["editor", "author"] } })
    );
    // So does a new login.
    let token = h.access_token("member@example.com").await;
    let claims = h.verified_claims(&token, Mode::Test).await;
    assert_eq!(
        claims["authorization"][DEMO_TENANT]["roles"],
        json!(["editor", "author"])
    );
    // The token issued before keeps what it was signed with.
    let old = h.verified_claims(old_access, Mode::Test).await;
    assert_eq!(
        old["authorization"][DEMO_TENANT]["roles"],
        json!(["member"])
    );

    // Removing every role leaves an empty authorization claim.
    set_roles(&h, &h.admin(), "/v0/users/2/roles", json!([]))
        .await
        .ok();
    let claims = refreshed_claims(&h, refresh).await;
    assert_eq!(claims["authorization"], json!({}));
}

#[tokio::test]
async fn tenant_level_roles_belong_to_the_child_tenant() {
    let h = Harness::start().await;
    let admin = h.admin();
    let child = h.create_tenant(&admin, DEMO_TENANT, "Acme").await;
    let role = create_role(&h, &admin, &format!("/v0/tenants/{child}/roles"), "tier-3")
        .await
        .ok();
    assert_eq!(role["tenantId"], child.as_str());
    let listed = h
        .get_as(
            &h.key(Mode::Test, KeyType::Readonly),
            &format!("/v0/tenants/{child}/roles"),
        )
        .await;
    assert_eq!(listed["totalCount"], 10);
    assert!(
        listed["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["tenantId"] == child.as_str())
    );
    let workspace = h.get_as(&admin, "/v0/roles").await;
    assert!(!names(&workspace).contains(&"tier-3".to_owned()));
    set_roles(&h, &admin, "/v0/users/2/roles", json!(["tier-3"]))
        .await
        .err(400, "Role \"tier-3\" not found");

    // The user lives in the workspace pool; the roles are stored under the child.
    let user = set_roles(
        &h,
        &admin,
        &format!("/v0/tenants/{child}/users/2/roles"),
        json!(["tier-3", "admin"]),
    )
    .await
    .ok();
    assert_eq!(
        user["authorization"],
        json!({ DEMO_TENANT: { "roles": ["member"] }, child.as_str(): { "roles": ["tier-3", "admin"] } })
    );
    let claims = h
        .verified_claims(&h.access_token("member@example.com").await, Mode::Test)
        .await;
    assert_eq!(
        claims["authorization"][child.as_str()]["roles"],
        json!(["tier-3", "admin"])
    );
    let update = h.events("user", "update").await;
    assert_eq!(update.len(), 1);
    assert_eq!(update[0]["record"]["userId"], 2);
    delete_role(&h, &admin, &format!("/v0/tenants/{child}/roles/tier-3"))
        .await
        .err(400, "Role is assigned to one or more users");
    // The same name in the workspace is a different role.
    delete_role(&h, &admin, "/v0/roles/admin")
        .await
        .err(400, "Role is assigned to one or more users");
    set_roles(
        &h,
        &admin,
        &format!("/v0/tenants/{child}/users/2/roles"),
        json!([]),
    )
    .await
    .ok();
    delete_role(&h, &admin, &format!("/v0/tenants/{child}/roles/tier-3"))
        .await
        .ok();
}

#[tokio::test]
async fn a_child_tenants_key_reaches_down_not_up() {
    let h = Harness::start().await;
    let chain = h.generations(&h.admin()).await;
    let child_key = h.create_key(&chain[0], "admin").await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    // The bare form acts on the key's own tenant.
    let role = create_role(&h, &child_key, "/v0/roles", "child-role")
        .await
        .ok();
    assert_eq!(role["tenantId"], chain[0].as_str());
    // Its children and grandchildren are in reach; its parent and great-grandchildren are not.
    let deepest = h.create_tenant(&child_key, &chain[2], "deepest").await;
    for tenant in [&chain[1], &chain[2]] {
        create_role(
            &h,
            &child_key,
            &format!("/v0/tenants/{tenant}/roles"),
            "below",
        )
        .await
        .ok();
    }
    for tenant in [DEMO_TENANT, deepest.as_str()] {
        h.get_refused(
            &child_key,
            &format!("/v0/tenants/{tenant}/roles"),
            403,
            "Forbidden",
        )
        .await;
    }
    // The workspace key reaches two levels down as well.
    h.get_as(&h.admin(), &format!("/v0/tenants/{}/roles", chain[1]))
        .await;
    h.get_refused(
        &h.admin(),
        &format!("/v0/tenants/{}/roles", chain[2]),
        403,
        "Forbidden",
    )
    .await;
}
