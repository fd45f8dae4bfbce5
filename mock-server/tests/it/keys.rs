//! API keys: create, list, verify, invalidate, delete (server-to-server SS-33 … SS-38).

use crate::common;

use common::{Harness, Method, Resp};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, OTHER_TENANT};

/// Whether `key` has the documented shape for a type, mode and tenant.
fn well_formed(key: &str, mode: &str, kind: &str, tenant: &str) -> bool {
    key.strip_prefix(&format!("uf_{mode}_{kind}_{tenant}_"))
        .is_some_and(|hex| {
            hex.len() == 32
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

async fn create(h: &Harness, caller: &str, kind: &str) -> Value {
    h.post("/v0/keys")
        .bearer(caller)
        .json(json!({ "type": kind }))
        .send()
        .await
        .ok()
}

/// `POST /v0/keys/verify` with `body`, as `caller`.
async fn verify(h: &Harness, caller: &str, body: Value) -> Resp {
    h.call(Method::POST, "/v0/keys/verify", caller, body).await
}

/// `PUT /v0/keys/invalidate` with `body`, as `caller`.
async fn invalidate(h: &Harness, caller: &str, body: Value) -> Resp {
    h.call(Method::PUT, "/v0/keys/invalidate", caller, body)
        .await
}

/// `DELETE /v0/keys` with `body`, as `caller`.
async fn delete(h: &Harness, caller: &str, body: Value) -> Resp {
    h.call(Method::DELETE, "/v0/keys", caller, body).await
}

/// The refusal to invalidate or delete the last active key of a type.
fn only_active(action: &str, kind: &str) -> String {
    format!(
        "Cannot {action} the only active {kind} API key. Please create another {kind} API key, then try again."
    )
}

fn keys_of(list: &Value) -> Vec<(String, bool)> {
    list["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|k| (k["key"].as_str().unwrap().to_owned(), k["isActive"] == true))
        .collect()
}

#[tokio::test]
async fn created_keys_have_the_documented_shape_and_work() {
    let h = Harness::start().await;
    for kind in ["admin", "readonly", "webhook"] {
        let key = create(&h, &h.admin(), kind).await;
        assert!(
            well_formed(key["key"].as_str().unwrap(), "test", kind, DEMO_TENANT),
            "{key}"
        );
        assert_eq!(key["type"], kind);
        assert_eq!(key["mode"], "test");
        assert_eq!(key["tenantId"], DEMO_TENANT);
        assert_eq!(key["isActive"], true);
        assert_eq!(key["createdAt"], key["updatedAt"]);
    }
    // The caller's mode decides the key's mode; the tenant form names the tenant.
    let live = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/keys"))
        .bearer(&h.key(Mode::Live, KeyType::Admin))
        .json(json!({ "type": "readonly" }))
        .send()
        .await
        .ok();
    let live_key = live["key"].as_str().unwrap();
    assert!(well_formed(live_key, "live", "readonly", DEMO_TENANT));
    // A new readonly key reads, but does not write, in its own mode only.
    assert_eq!(h.get_as(live_key, "/v0/roles").await["totalCount"], 9);
    h.post("/v0/roles")
        .bearer(live_key)
        .json(json!({ "name": "x" }))
        .send()
        .await
        .err(403, "Forbidden");
    h.post("/v0/users/2/roles")
        .bearer(live_key)
        .json(json!({ "roles": [] }))
        .send()
        .await
        .err(403, "Forbidden");
}

#[tokio::test]
async fn create_refuses_bad_types_and_non_admin_callers() {
    let h = Harness::start().await;
    let h = &h;
    let send = |caller: String, body: Value| async move {
        h.post("/v0/keys").bearer(&caller).json(body).send().await
    };
    send(h.admin(), json!({}))
        .await
        .err(400, "\"type\" is required");
    for bad in [json!("root"), json!("ADMIN"), json!(1)] {
        send(h.admin(), json!({ "type": bad }))
            .await
            .err(400, "Invalid key type");
    }
    send(
        h.key(Mode::Test, KeyType::Readonly),
        json!({ "type": "admin" }),
    )
    .await
    .err(403, "Forbidden");
    send(
        h.key(Mode::Test, KeyType::Webhook),
        json!({ "type": "admin" }),
    )
    .await
    .err(403, "Forbidden");
    let other = h.other_key(Mode::Test, KeyType::Admin);
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/keys"))
        .bearer(&other)
        .json(json!({ "type": "admin" }))
        .send()
        .await
        .err(403, "Forbidden");
    h.post("/v0/keys")
        .json(json!({ "type": "admin" }))
        .send()
        .await
        .err(401, "Missing authentication");
}

#[tokio::test]
async fn keys_are_listed_by_type_and_mode() {
    let h = Harness::start().await;
    let admin = h.admin();
    let extra = create(&h, &admin, "readonly").await;
    let listed = h.get_as(&admin, "/v0/keys/readonly").await;
    assert_eq!(listed["totalCount"], 2);
    assert_eq!(listed["totalPages"], 1);
    assert_eq!(
        keys_of(&listed),
        [
            (h.key(Mode::Test, KeyType::Readonly), true),
            (extra["key"].as_str().unwrap().to_owned(), true)
        ]
    );
    assert_eq!(listed["results"][1], extra);
    let tenant_form = h
        .get_as(&admin, &format!("/v0/tenants/{DEMO_TENANT}/keys/readonly"))
        .await;
    assert_eq!(tenant_form, listed);
    let admins = h.get_as(&admin, "/v0/keys/admin").await;
    assert_eq!(keys_of(&admins), [(admin.clone(), true)]);
    let live = h
        .get_as(&h.key(Mode::Live, KeyType::Admin), "/v0/keys/readonly")
        .await;
    assert_eq!(
        keys_of(&live),
        [(h.key(Mode::Live, KeyType::Readonly), true)]
    );

    h.get_refused(&admin, "/v0/keys/root", 400, "Invalid key type")
        .await;
    h.get_refused(
        &h.key(Mode::Test, KeyType::Readonly),
        "/v0/keys/admin",
        403,
        "Forbidden",
    )
    .await;
    let other = h.other_key(Mode::Test, KeyType::Admin);
    h.get_refused(
        &other,
        &format!("/v0/tenants/{DEMO_TENANT}/keys/admin"),
        403,
        "Forbidden",
    )
    .await;
}

#[tokio::test]
async fn the_jwt_key_list_wins_over_the_type_parameter() {
    let h = Harness::start().await;
    let with_key = h.get_as(&h.admin(), "/v0/keys/jwt").await;
    assert!(
        with_key["results"][0]["publicKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN RSA PUBLIC KEY-----")
    );
    assert_eq!(with_key["results"][0]["mode"], "test");
    let public = h
        .get(&format!("/v0/tenants/{DEMO_TENANT}/keys/jwt"))
        .send()
        .await
        .ok();
    assert_eq!(public["results"][0]["mode"], "live");
}

#[tokio::test]
async fn verify_reports_active_keys_of_the_callers_subtree() {
    let h = Harness::start().await;
    let admin = h.admin();
    let readonly = h.key(Mode::Test, KeyType::Readonly);
    let ok = verify(&h, &admin, json!({ "key": readonly })).await.ok();
    assert_eq!(
        ok,
        json!({ "message": "OK", "result": {
            "mode": "test", "type": "readonly", "tenantId": DEMO_TENANT, "isActive": true } })
    );
    let tenant_form = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/keys/verify"))
        .bearer(&admin)
        .json(json!({ "key": h.key(Mode::Test, KeyType::Webhook) }))
        .send()
        .await
        .ok();
    assert_eq!(tenant_form["result"]["type"], "webhook");

    verify(&h, &admin, json!({ "key": admin }))
        .await
        .err(400, "An API key cannot be used to verify itself");
    verify(&h, &admin, json!({}))
        .await
        .err(400, "\"key\" is required");
    verify(&h, &readonly, json!({ "key": admin }))
        .await
        .err(403, "Forbidden");
    // Unknown keys, keys of another workspace and keys of the other mode: no `result`.
    let other = h.other_key(Mode::Test, KeyType::Readonly);
    for key in [
        "uf_test_admin_demo1234_00000000000000000000000000000000".to_owned(),
        "not a key".to_owned(),
        other,
        h.key(Mode::Live, KeyType::Readonly),
    ] {
        let resp = verify(&h, &admin, json!({ "key": key })).await;
        resp.err(400, "Invalid API key");
        assert!(resp.body.get("result").is_none(), "{}", resp.body);
    }
}

#[tokio::test]
async fn invalidated_keys_stop_working_and_stay_listed() {
    let h = Harness::start().await;
    let admin = h.admin();
    let seeded = h.key(Mode::Test, KeyType::Readonly);
    invalidate(&h, &admin, json!({ "key": seeded }))
        .await
        .err(400, &only_active("invalidate", "readonly"));
    invalidate(&h, &admin, json!({ "key": admin }))
        .await
        .err(400, &only_active("invalidate", "admin"));
    let fresh = create(&h, &admin, "readonly").await;
    h.advance(60).await;
    let invalidated = h
        .put(&format!("/v0/tenants/{DEMO_TENANT}/keys/invalidate"))
        .bearer(&admin)
        .json(json!({ "key": seeded }))
        .send()
        .await
        .ok();
    assert_eq!(invalidated["key"], seeded);
    assert_eq!(invalidated["isActive"], false);
    assert_ne!(invalidated["updatedAt"], invalidated["createdAt"]);
    // It no longer authenticates, and is listed as inactive.
    h.get_refused(&seeded, "/v0/roles", 401, "Unauthorized")
        .await;
    let listed = h.get_as(&admin, "/v0/keys/readonly").await;
    assert_eq!(
        keys_of(&listed),
        [
            (seeded.clone(), false),
            (fresh["key"].as_str().unwrap().to_owned(), true)
        ]
    );
    // Verification knows it and says so.
    let resp = verify(&h, &admin, json!({ "key": seeded })).await;
    resp.err(400, "Invalid API key");
    assert_eq!(
        resp.body["result"],
        json!({ "mode": "test", "type": "readonly", "tenantId": DEMO_TENANT, "isActive": false })
    );
    // Invalidating again changes nothing; the fresh key is now the only active one.
    let again = invalidate(&h, &admin, json!({ "key": seeded })).await.ok();
    assert_eq!(again, invalidated);
    invalidate(&h, &admin, json!({ "key": fresh["key"] }))
        .await
        .err(400, &only_active("invalidate", "readonly"));
    invalidate(
        &h,
        &admin,
        json!({ "key": "uf_test_readonly_demo1234_00000000000000000000000000000000" }),
    )
    .await
    .err(400, "Invalid API key");
    invalidate(
        &h,
        &h.key(Mode::Live, KeyType::Admin),
        json!({ "key": fresh["key"] }),
    )
    .await
    .err(400, "Invalid API key");
    invalidate(&h, fresh["key"].as_str().unwrap(), json!({ "key": seeded }))
        .await
        .err(403, "Forbidden");
}

#[tokio::test]
async fn deleted_keys_are_gone_but_still_recognised() {
    let h = Harness::start().await;
    let admin = h.admin();
    delete(&h, &admin, json!({ "key": admin }))
        .await
        .err(400, &only_active("delete", "admin"));
    let second = create(&h, &admin, "admin").await;
    let second = second["key"].as_str().unwrap().to_owned();
    // A caller may delete its own key once another one is active.
    let deleted = h
        .delete(&format!("/v0/tenants/{DEMO_TENANT}/keys"))
        .bearer(&admin)
        .json(json!({ "key": admin }))
        .send()
        .await
        .ok();
    assert_eq!(deleted["key"], admin);
    assert_eq!(deleted["isActive"], true, "answered as it was");
    h.get_refused(&admin, "/v0/roles", 401, "Unauthorized")
        .await;
    let listed = h.get_as(&second, "/v0/keys/admin").await;
    assert_eq!(keys_of(&listed), [(second.clone(), true)]);
    let resp = verify(&h, &second, json!({ "key": admin })).await;
    resp.err(400, "Invalid API key");
    assert_eq!(resp.body["result"]["isActive"], false);
    assert_eq!(resp.body["result"]["type"], "admin");
    delete(&h, &second, json!({ "key": admin }))
        .await
        .err(400, "Invalid API key");

    // An invalidated key may be deleted even when only one key of its type is active.
    let readonly = h.key(Mode::Test, KeyType::Readonly);
    create(&h, &second, "readonly").await;
    invalidate(&h, &second, json!({ "key": readonly }))
        .await
        .ok();
    let gone = delete(&h, &second, json!({ "key": readonly })).await.ok();
    assert_eq!(gone["isActive"], false);
    let listed = h.get_as(&second, "/v0/keys/readonly").await;
    assert_eq!(listed["totalCount"], 1);

    delete(
        &h,
        &h.key(Mode::Test, KeyType::Webhook),
        json!({ "key": second }),
    )
    .await
    .err(403, "Forbidden");
    delete(&h, &second, json!({}))
        .await
        .err(400, "\"key\" is required");
}

#[tokio::test]
async fn a_users_access_token_lists_the_keys_of_a_tenant_it_administers() {
    let h = Harness::start().await;
    let token = h.access_token("admin@example.com").await;
    let listed = h
        .get_as(
            &token,
            &format!("/v0/tenants/{DEMO_TENANT}/keys/admin?test=true"),
        )
        .await;
    assert_eq!(listed["results"][0]["key"], h.admin());
    assert_eq!(
        h.get_as(&token, "/v0/keys/readonly").await["results"][0]["key"],
        h.key(Mode::Test, KeyType::Readonly)
    );
    // Other roles give read-only rights, which do not reach the key list.
    let viewer = h.access_token("viewer@example.com").await;
    h.get_refused(
        &viewer,
        &format!("/v0/tenants/{DEMO_TENANT}/keys/admin?test=true"),
        403,
        "Forbidden",
    )
    .await;
    assert_eq!(h.get_as(&viewer, "/v0/roles").await["totalCount"], 9);
    // No role at all, or another workspace: refused.
    let unconfirmed = h.access_token("unconfirmed@example.com").await;
    h.get_refused(&unconfirmed, "/v0/roles", 403, "Forbidden")
        .await;
    h.get_refused(
        &token,
        &format!("/v0/tenants/{OTHER_TENANT}/keys/admin?test=true"),
        403,
        "Forbidden",
    )
    .await;
}

#[tokio::test]
async fn child_tenants_have_their_own_keys() {
    let h = Harness::start().await;
    let admin = h.admin();
    let child = h.create_tenant(&admin, DEMO_TENANT, "Acme").await;
    let empty = h
        .get_as(&admin, &format!("/v0/tenants/{child}/keys/admin"))
        .await;
    assert_eq!(
        empty,
        json!({ "totalCount": 0, "totalPages": 0, "results": [] })
    );
    let key = h.create_key(&child, "admin").await;
    let child_key = key["key"].as_str().unwrap().to_owned();
    assert!(well_formed(&child_key, "test", "admin", &child));
    assert_eq!(key["tenantId"], child.as_str());
    let listed = h
        .get_as(&admin, &format!("/v0/tenants/{child}/keys/admin"))
        .await;
    assert_eq!(keys_of(&listed), [(child_key.clone(), true)]);
    let workspace = h.get_as(&admin, "/v0/keys/admin").await;
    assert_eq!(keys_of(&workspace), [(admin.clone(), true)]);

    // The workspace sees the child's key; the child does not see the workspace's.
    let verified = verify(&h, &admin, json!({ "key": child_key })).await.ok();
    assert_eq!(verified["result"]["tenantId"], child.as_str());
    let resp = verify(
        &h,
        &child_key,
        json!({ "key": h.key(Mode::Test, KeyType::Readonly) }),
    )
    .await;
    resp.err(400, "Invalid API key");
    assert!(resp.body.get("result").is_none());
    invalidate(
        &h,
        &child_key,
        json!({ "key": h.key(Mode::Test, KeyType::Readonly) }),
    )
    .await
    .err(400, "Invalid API key");
    // The child's only admin key is protected like any other.
    h.delete(&format!("/v0/tenants/{child}/keys"))
        .bearer(&admin)
        .json(json!({ "key": child_key }))
        .send()
        .await
        .err(400, &only_active("delete", "admin"));
}

#[tokio::test]
async fn a_role_in_a_child_tenant_opens_that_tenants_keys_only() {
    let h = Harness::start().await;
    let child = h.create_tenant(&h.admin(), DEMO_TENANT, "Acme").await;
    let created = h.create_key(&child, "readonly").await;
    for (user, role) in [(2, "admin"), (3, "viewer")] {
        h.put(&format!("/v0/tenants/{child}/users/{user}/roles"))
            .bearer(&h.admin())
            .json(json!({ "roles": [role] }))
            .send()
            .await
            .ok();
    }
    let member = h.access_token("member@example.com").await;
    let listed = h
        .get_as(
            &member,
            &format!("/v0/tenants/{child}/keys/readonly?test=true"),
        )
        .await;
    assert_eq!(listed["results"][0], created);
    // An admin of the child is only a member of the workspace.
    h.get_refused(
        &member,
        &format!("/v0/tenants/{DEMO_TENANT}/keys/readonly?test=true"),
        403,
        "Forbidden",
    )
    .await;
    let viewer = h.access_token("viewer@example.com").await;
    h.get_refused(
        &viewer,
        &format!("/v0/tenants/{child}/keys/readonly?test=true"),
        403,
        "Forbidden",
    )
    .await;
}
