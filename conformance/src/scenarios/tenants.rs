//! Tenants: the tree under a workspace, its search, role scopes and the key rule of "same
//! tenant, parent or grandparent" (server-to-server SS-12 … SS-17, SS-23 … SS-27; C-2.2).

use serde_json::{Value, json};

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::{Created, Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "tenants.tree.create_read_update_search_delete",
            Group::Tenants,
            tree,
        )
        .checks(&["C-16.2", "C-10"]),
        Scenario::new(
            "tenants.roles.scoped_to_a_child",
            Group::Tenants,
            child_roles,
        ),
        Scenario::new(
            "tenants.access.other_workspace_refused",
            Group::Tenants,
            access,
        )
        .checks(&["C-5"])
        .tags(&["permissions"])
        .needs(&[Need::OtherTenant, Need::Readonly]),
    ]
}

pub(super) async fn create(cx: &Cx, path: &str, name: &str) -> Outcome<Value> {
    let resp = cx
        .post(path)
        .bearer(cx.admin())
        .json(json!({ "name": name, "data": { "kind": "conformance" } }))
        .send()
        .await?;
    if let Some(id) = resp.body()["tenantId"].as_str() {
        cx.created(Created::Tenant {
            mode: Mode::Test,
            tenant_id: id.to_owned(),
        });
    }
    resp.ok()
}

/// SS-12 … SS-17: a child and a grandchild, read, update (data merged), search direct
/// children or the whole subtree, delete with cascade; a workspace cannot be deleted.
async fn tree(cx: Cx) -> Outcome {
    let child_name = cx.unique("child");
    let child = create(&cx, "/v0/tenants", &child_name).await?;
    let child_id = child["tenantId"].as_str().unwrap_or("").to_owned();
    ensure_eq!(
        child["parent"]["tenantId"],
        cx.tenant(),
        "parent of a tenant made with the key"
    );
    ensure_eq!(child["mode"], "test", "mode");
    ensure!(
        child["roles"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["name"] == "admin")),
        "a new tenant has the default roles: {}",
        child["roles"]
    );
    let grandchild = create(
        &cx,
        &format!("/v0/tenants/{child_id}/tenants"),
        &cx.unique("grand"),
    )
    .await?;
    let grand_id = grandchild["tenantId"].as_str().unwrap_or("").to_owned();
    ensure_eq!(
        grandchild["parent"]["tenantId"],
        child_id,
        "parent of the grandchild"
    );
    let read = cx
        .get(format!("/v0/tenants/{child_id}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(read["children"]["totalCount"], 1, "children of the child");
    let updated = cx
        .put(format!("/v0/tenants/{child_id}"))
        .bearer(cx.admin())
        .json(json!({ "name": format!("{child_name} renamed"), "data": { "plan": "team" } }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        updated["data"],
        json!({ "kind": "conformance", "plan": "team" }),
        "tenant data merged"
    );
    let find = |deep: bool| {
        let prefix = format!("cf-{}-", cx.target.run_id);
        cx.post(format!("/v0/tenants/{}/tenants/find", cx.tenant()))
            .bearer(cx.admin())
            .json(json!({ "deep": deep, "filters": { "conjunction": "and", "filterGroups": [ { "conjunction": "and", "filters": [
                { "attr": "name", "type": "string", "comparison": "starts with", "value": prefix }
            ] } ] } }))
            .send()
    };
    let ids = |body: &Value| -> Vec<String> {
        // The callers assert on these ids: the search's `results` are judged through them.
        crate::coverage::note_members(&["results", "tenantId"]);
        body["results"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|t| t["tenantId"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let direct = ids(&find(false).await?.ok()?);
    ensure!(
        direct.contains(&child_id) && !direct.contains(&grand_id),
        "direct children only: {direct:?}"
    );
    let deep = ids(&find(true).await?.ok()?);
    ensure!(
        deep.contains(&child_id) && deep.contains(&grand_id),
        "the whole subtree: {deep:?}"
    );
    let deleted = cx
        .delete(format!("/v0/tenants/{child_id}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(deleted["tenantId"], child_id, "the deleted tenant");
    cx.get(format!("/v0/tenants/{grand_id}"))
        .bearer(cx.admin())
        .send()
        .await?
        .expect_status(404)?;
    cx.delete(format!("/v0/tenants/{}", cx.tenant()))
        .bearer(cx.admin())
        .send()
        .await?
        .err(400, "Cannot delete a workspace")?;
    Ok(())
}

/// SS-25: roles in a child tenant show under the child's id in `authorization`, and go away
/// with the tenant (SS-16).
async fn child_roles(cx: Cx) -> Outcome {
    let child = create(&cx, "/v0/tenants", &cx.unique("scope")).await?;
    let child_id = child["tenantId"].as_str().unwrap_or("").to_owned();
    let (signed, tokens) = flows::signup_quiet(&cx, &cx.email("scoped"), PASSWORD).await?;
    let base = format!("/v0/tenants/{child_id}");
    let user = flows::set_roles(&cx, &base, &signed["userId"], json!(["member"]))
        .await?
        .ok()?;
    ensure_eq!(
        user["authorization"][&child_id]["roles"],
        json!(["member"]),
        "child-scoped role"
    );
    let claims = flows::refreshed_claims(&cx, &tokens.refresh).await?;
    ensure_eq!(
        claims["authorization"][&child_id]["roles"],
        json!(["member"]),
        "role claim"
    );
    cx.delete(format!("/v0/tenants/{child_id}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    let after = cx
        .get(format!("/v0/users/{}", signed["userId"]))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure!(
        after["authorization"].get(&child_id).is_none(),
        "a deleted tenant leaves no role assignment: {}",
        after["authorization"]
    );
    Ok(())
}

/// C-2.2, C-5: another workspace's key cannot read, change or extend our tree; a read-only key
/// reads but does not create.
async fn access(cx: Cx) -> Outcome {
    let other = cx.other_admin()?.to_owned();
    let readonly = cx.readonly()?.to_owned();
    let child = create(&cx, "/v0/tenants", &cx.unique("guarded")).await?;
    let child_id = child["tenantId"].as_str().unwrap_or("").to_owned();
    cx.get(format!("/v0/tenants/{child_id}"))
        .bearer(&other)
        .send()
        .await?
        .err(403, "Forbidden")?;
    cx.post(format!("/v0/tenants/{child_id}/tenants"))
        .bearer(&other)
        .json(json!({ "name": cx.unique("intruder") }))
        .send()
        .await?
        .err(403, "Forbidden")?;
    cx.delete(format!("/v0/tenants/{child_id}"))
        .bearer(&other)
        .send()
        .await?
        .err(403, "Forbidden")?;
    cx.get(format!("/v0/tenants/{child_id}"))
        .bearer(&readonly)
        .send()
        .await?
        .ok()?;
    cx.post("/v0/tenants")
        .bearer(&readonly)
        .json(json!({ "name": cx.unique("ro") }))
        .send()
        .await?
        .err(403, "Forbidden")?;
    Ok(())
}
