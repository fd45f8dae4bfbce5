//! Tenants (SS-12 … SS-17): create, create child, read, update, delete a subtree, search.

use crate::common;

use common::{Harness, Method};
use serde_json::{Value, json};
use userfront_mock::state::model::DEFAULT_ROLES;
use userfront_mock::{DEMO_TENANT, KeyType, Mode};

fn role_names(tenant: &Value) -> Vec<&str> {
    tenant["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn create_a_tenant_under_the_key_tenant() {
    let h = Harness::start().await;
    let tenant = h
        .post("/v0/tenants")
        .bearer(&h.admin())
        .json(json!({"name": "Acme Team", "image": "https://img/acme.png", "data": {"subdomain": "acme"}}))
        .send()
        .await
        .ok();
    let id = tenant["tenantId"].as_str().unwrap();
    assert_eq!(id.len(), 8);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(tenant["name"], "Acme Team");
    assert_eq!(tenant["image"], "https://img/acme.png");
    assert_eq!(tenant["data"], json!({"subdomain": "acme"}));
    assert_eq!(tenant["mode"], "test");
    assert_eq!(tenant["type"], "basic");
    assert_eq!(tenant["parent"]["tenantId"], DEMO_TENANT);
    assert_eq!(tenant["parent"]["name"], "Demo Workspace");
    assert_eq!(tenant["parent"]["mode"], "test");
    assert_eq!(role_names(&tenant), DEFAULT_ROLES);
    assert_eq!(
        tenant["children"],
        json!({"totalCount": 0, "totalPages": 0, "results": []})
    );
    assert_eq!(tenant["loginRedirectPath"], "/dashboard");
    assert_eq!(tenant["accessTokenDuration"], 604_800);
    assert!(tenant["uuid"].is_string() && tenant["createdAt"].is_string());
    // The parent lists it.
    let workspace = h
        .get_as(&h.admin(), &format!("/v0/tenants/{DEMO_TENANT}"))
        .await;
    assert_eq!(workspace["children"]["totalCount"], 1);
    assert_eq!(workspace["children"]["results"][0]["tenantId"], id);
    assert_eq!(workspace["descendantCount"]["descendants"], 1);
    assert_eq!(workspace["parent"], Value::Null);
    // Defaults when nothing is given.
    let bare = h.post("/v0/tenants").bearer(&h.admin()).send().await.ok();
    assert_eq!(bare["name"], "");
    assert!(bare["image"].as_str().unwrap().starts_with("https://"));
    assert_eq!(bare["data"], json!({}));
    // One create event each, with the webhook key and without testTenantId.
    let events = h.events("tenant", "create").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["record"]["tenantId"], id);
    assert_eq!(events[0]["mode"], "test");
    assert!(events[0]["record"].get("testTenantId").is_none());
    assert_eq!(
        h.webhooks().await[0]["headers"]["authorization"],
        format!("Bearer {}", h.key(Mode::Test, KeyType::Webhook))
    );
    for bad in [
        json!({"name": 1}),
        json!({"data": "x"}),
        json!({"image": false}),
    ] {
        let resp = h
            .post("/v0/tenants")
            .bearer(&h.admin())
            .json(bad.clone())
            .send()
            .await;
        assert_eq!(resp.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn children_grandchildren_and_the_reach_of_keys() {
    let h = Harness::start().await;
    let admin = h.admin();
    let [child, grandchild, great] = &h.generations(&admin).await;
    let read = h.get_as(&admin, &format!("/v0/tenants/{grandchild}")).await;
    assert_eq!(read["parent"]["tenantId"], child.as_str());
    // A key of a grandparent reaches the grandchild but not one level further.
    h.get_refused(&admin, &format!("/v0/tenants/{great}"), 403, "Forbidden")
        .await;
    h.post(&format!("/v0/tenants/{great}/tenants"))
        .bearer(&admin)
        .send()
        .await
        .err(403, "Forbidden");
    h.post("/v0/tenants/zzzz9999/tenants")
        .bearer(&admin)
        .send()
        .await
        .err(404, "Not Found");
    let workspace = h
        .get_as(
            &h.key(Mode::Test, KeyType::Readonly),
            &format!("/v0/tenants/{DEMO_TENANT}"),
        )
        .await;
    assert_eq!(workspace["descendantCount"]["descendants"], 3);
    assert_eq!(workspace["descendantCount"]["children"], 1);
}

#[tokio::test]
async fn credentials_and_modes() {
    let h = Harness::start().await;
    let admin = h.admin();
    let child = h.create_tenant(&admin, DEMO_TENANT, "Child").await;
    let readonly = h.key(Mode::Test, KeyType::Readonly);
    let webhook = h.key(Mode::Test, KeyType::Webhook);
    let other = h.other_key(Mode::Test, KeyType::Admin);
    let live = h.key(Mode::Live, KeyType::Admin);
    let calls = [
        (Method::POST, "/v0/tenants".to_owned(), true),
        (Method::POST, format!("/v0/tenants/{child}/tenants"), true),
        (Method::GET, format!("/v0/tenants/{child}"), false),
        (Method::PUT, format!("/v0/tenants/{child}"), true),
        (
            Method::POST,
            format!("/v0/tenants/{child}/tenants/find"),
            false,
        ),
        (Method::DELETE, format!("/v0/tenants/{child}"), true),
    ];
    for (method, path, admin_only) in &calls {
        let send = |key| h.probe(method, path, key);
        send(None).await.err(401, "Missing authentication");
        send(Some(
            "uf_test_admin_demo1234_ffffffffffffffffffffffffffffffff",
        ))
        .await
        .err(401, "Unauthorized");
        send(Some(&webhook)).await.err(403, "Forbidden");
        let resp = send(Some(&readonly)).await;
        if *admin_only {
            resp.err(403, "Forbidden");
        } else {
            assert_eq!(resp.status, 200, "{method} {path}");
        }
        if path != "/v0/tenants" {
            send(Some(&other)).await.err(403, "Forbidden");
            // The child lives in test mode: live keys do not find it.
            send(Some(&live)).await.err(404, "Not Found");
        }
    }
    // A live tenant is invisible to test keys, and lists only live children.
    let live_child = h.create_tenant(&live, DEMO_TENANT, "Live child").await;
    h.get_refused(
        &admin,
        &format!("/v0/tenants/{live_child}"),
        404,
        "Not Found",
    )
    .await;
    let live_ws = h.get_as(&live, &format!("/v0/tenants/{DEMO_TENANT}")).await;
    assert_eq!(live_ws["mode"], "live");
    assert_eq!(live_ws["children"]["totalCount"], 1);
    assert_eq!(
        live_ws["children"]["results"][0]["tenantId"],
        live_child.as_str()
    );
    let events = h.events("tenant", "create").await;
    assert_eq!(events.last().unwrap()["mode"], "live");
}

#[tokio::test]
async fn update_name_image_and_merged_data() {
    let h = Harness::start().await;
    let admin = h.admin();
    let child = h
        .post("/v0/tenants")
        .bearer(&admin)
        .json(json!({"name": "Old", "data": {"a": 1, "b": 2}}))
        .send()
        .await
        .ok();
    let id = child["tenantId"].as_str().unwrap();
    let updated = h
        .put(&format!("/v0/tenants/{id}"))
        .bearer(&admin)
        .json(
            json!({"name": "New", "image": "https://img/new.png", "data": {"b": 3, "c": 4},
            "loginRedirectPath": "/elsewhere"}),
        )
        .send()
        .await
        .ok();
    assert_eq!(updated["name"], "New");
    assert_eq!(updated["image"], "https://img/new.png");
    assert_eq!(updated["data"], json!({"a": 1, "b": 3, "c": 4}));
    assert_eq!(
        updated["loginRedirectPath"], "/dashboard",
        "not writable through the API"
    );
    assert_eq!(updated["createdAt"], child["createdAt"]);
    // The workspace itself can be renamed; only the key's mode changes.
    let ws = h
        .put(&format!("/v0/tenants/{DEMO_TENANT}"))
        .bearer(&admin)
        .json(json!({"name": "Renamed"}))
        .send()
        .await
        .ok();
    assert_eq!(ws["name"], "Renamed");
    let live = h
        .get_as(
            &h.key(Mode::Live, KeyType::Readonly),
            &format!("/v0/tenants/{DEMO_TENANT}"),
        )
        .await;
    assert_eq!(live["name"], "Demo Workspace");
    let events = h.events("tenant", "update").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["record"]["name"], "New");
    h.put(&format!("/v0/tenants/{id}"))
        .bearer(&admin)
        .json(json!({"data": [1]}))
        .send()
        .await
        .err(400, "\"data\" must be of type object");
    h.put("/v0/tenants/zzzz9999")
        .bearer(&admin)
        .json(json!({"name": "x"}))
        .send()
        .await
        .err(404, "Not Found");
}

#[tokio::test]
async fn delete_removes_the_subtree_and_its_role_assignments() {
    let h = Harness::start().await;
    let admin = h.admin();
    let [a, b, c] = &h.tenant_chain(&admin, ["A", "B", "C"]).await;
    let keep = h.create_tenant(&admin, DEMO_TENANT, "Keep").await;
    for (tenant, email) in [
        (a, "member@example.com"),
        (b, "viewer@example.com"),
        (&keep, "viewer@example.com"),
    ] {
        h.post(&format!("/v0/tenants/{tenant}/roles/invite"))
            .bearer(&admin)
            .json(json!({"email": email, "roles": ["editor"], "options": {"noInviteEmail": true}}))
            .send()
            .await
            .ok();
    }
    h.delete(&format!("/v0/tenants/{DEMO_TENANT}"))
        .bearer(&admin)
        .send()
        .await
        .err(400, "Cannot delete a workspace");
    let before_events = h.webhooks().await.len();
    let deleted = h
        .delete(&format!("/v0/tenants/{a}"))
        .bearer(&admin)
        .send()
        .await
        .ok();
    assert_eq!(deleted["tenantId"], a.as_str());
    assert_eq!(deleted["children"]["totalCount"], 1, "as it was");
    for gone in [&a, &b, &c] {
        h.get_refused(&admin, &format!("/v0/tenants/{gone}"), 404, "Not Found")
            .await;
    }
    h.get_as(&admin, &format!("/v0/tenants/{keep}")).await;
    // Users stay; only the deleted tenants leave their authorization.
    let member = h.get_as(&admin, "/v0/users/2").await;
    assert_eq!(
        member["authorization"],
        json!({DEMO_TENANT: {"roles": ["member"]}})
    );
    let viewer = h.get_as(&admin, "/v0/users/3").await;
    assert_eq!(
        viewer["authorization"],
        json!({DEMO_TENANT: {"roles": ["viewer"]}, keep.as_str(): {"roles": ["editor"]}})
    );
    // One tenant delete per tenant, one user update per user who lost roles.
    let deliveries = h.webhooks().await;
    let new: Vec<&Value> = deliveries[before_events..]
        .iter()
        .map(|d| &d["body"])
        .collect();
    let deletes: Vec<&str> = new
        .iter()
        .filter(|b| b["model"] == "tenant" && b["action"] == "delete")
        .map(|b| b["record"]["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(deletes, [a.as_str(), b.as_str(), c.as_str()]);
    let mut updated: Vec<u64> = new
        .iter()
        .filter(|b| b["model"] == "user" && b["action"] == "update")
        .map(|b| b["record"]["userId"].as_u64().unwrap())
        .collect();
    updated.sort_unstable();
    assert_eq!(updated, [2, 3]);
    assert_eq!(new.len(), 5);
    // The ids are free of the index: the deleted tenant's paths are unknown now.
    h.post(&format!("/v0/tenants/{b}/tenants"))
        .bearer(&admin)
        .send()
        .await
        .err(404, "Not Found");
}

#[tokio::test]
async fn search_children_or_the_whole_subtree() {
    let h = Harness::start().await;
    let admin = h.admin();
    let find = |path: String, body: Value| {
        let h = &h;
        async move {
            h.post(&path)
                .bearer(&h.key(Mode::Test, KeyType::Readonly))
                .json(body)
                .send()
                .await
                .ok()
        }
    };
    let names = |found: &Value| -> Vec<String> {
        found["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut made = Vec::new();
    for (name, data) in [
        ("Acme Corp", json!({"subdomain": "acme", "activated": true})),
        (
            "acme labs",
            json!({"subdomain": "acme-labs", "activated": false}),
        ),
        ("Beta", json!({"subdomain": "beta", "activated": true})),
    ] {
        let t = h
            .post("/v0/tenants")
            .bearer(&admin)
            .json(json!({"name": name, "data": data}))
            .send()
            .await
            .ok();
        made.push(t["tenantId"].as_str().unwrap().to_owned());
    }
    let nested = h
        .post(&format!("/v0/tenants/{}/tenants", made[2]))
        .bearer(&admin)
        .json(json!({"name": "Acme Inside Beta", "data": {"subdomain": "acme-in", "activated": true}}))
        .send()
        .await
        .ok();
    let path = format!("/v0/tenants/{DEMO_TENANT}/tenants/find");
    let direct = find(path.clone(), json!({"order": "name_ASC"})).await;
    assert_eq!(names(&direct), ["Acme Corp", "acme labs", "Beta"]);
    assert_eq!(direct["totalCount"], 3);
    let deep = find(path.clone(), json!({"order": "name_ASC", "deep": true})).await;
    assert_eq!(deep["totalCount"], 4);
    assert_eq!(deep["results"][1]["tenantId"], nested["tenantId"]);
    // The docs' examples: a name filter, and two custom data attributes.
    let by_name = json!({"conjunction": "and", "filterGroups": [{"conjunction": "and", "filters": [
        {"attr": "name", "type": "string", "comparison": "contains", "value": "ACME"}]}]});
    assert_eq!(
        names(
            &find(
                path.clone(),
                json!({"filters": by_name, "deep": true, "order": "name_DESC"})
            )
            .await
        ),
        ["acme labs", "Acme Inside Beta", "Acme Corp"]
    );
    let by_data = json!({"conjunction": "and", "filterGroups": [{"conjunction": "and", "filters": [
        {"attr": "data.subdomain", "type": "string", "comparison": "contains", "value": "acme"},
        {"attr": "data.activated", "type": "boolean", "comparison": "is", "value": true}]}]});
    assert_eq!(
        names(
            &find(
                path.clone(),
                json!({"filters": by_data, "deep": true, "order": "name_ASC"})
            )
            .await
        ),
        ["Acme Corp", "Acme Inside Beta"]
    );
    // Search from a child: its own children only.
    let under_beta = find(format!("/v0/tenants/{}/tenants/find", made[2]), json!({})).await;
    assert_eq!(names(&under_beta), ["Acme Inside Beta"]);
    // Default order is lastActiveAt (never set), so ties go by tenantId.
    let default = find(path.clone(), json!({})).await;
    let mut ids: Vec<String> = made.clone();
    ids.sort();
    let got: Vec<&str> = default["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids);
    for (body, message) in [
        (json!({"order": "username_ASC"}), "Invalid order"),
        (
            json!({"filters": {"conjunction": "maybe"}}),
            "Invalid filters",
        ),
        (
            json!({"filters": by_name, "page": 0}),
            "\"page\" must be a positive integer",
        ),
        (json!({"deep": "yes"}), "\"deep\" must be a boolean"),
        (
            json!({"filters": {"filterGroups": [{"filters": [
                {"attr": "role", "type": "string", "comparison": "is", "value": "x"}]}]}}),
            "Invalid filters",
        ),
    ] {
        h.post(&path)
            .bearer(&admin)
            .json(body)
            .send()
            .await
            .err(400, message);
    }
}

#[tokio::test]
async fn tenant_search_pages() {
    let h = Harness::start().await;
    let admin = h.admin();
    for i in 0..30 {
        h.post("/v0/tenants")
            .bearer(&admin)
            .json(json!({"name": format!("T{i:02}")}))
            .send()
            .await
            .ok();
    }
    let path = format!("/v0/tenants/{DEMO_TENANT}/tenants/find");
    let mut seen = Vec::new();
    for page in 1..=3 {
        let found = h
            .post(&path)
            .bearer(&admin)
            .json(json!({"page": page, "order": "name_ASC"}))
            .send()
            .await
            .ok();
        assert_eq!(found["totalCount"], 30);
        assert_eq!(found["totalPages"], 2);
        for t in found["results"].as_array().unwrap() {
            seen.push(t["name"].as_str().unwrap().to_owned());
        }
    }
    let expected: Vec<String> = (0..30).map(|i| format!("T{i:02}")).collect();
    assert_eq!(seen, expected, "page 3 is empty");
    let workspace = h
        .get_as(&admin, &format!("/v0/tenants/{DEMO_TENANT}"))
        .await;
    assert_eq!(workspace["children"]["totalCount"], 30);
    assert_eq!(workspace["children"]["totalPages"], 2);
}
