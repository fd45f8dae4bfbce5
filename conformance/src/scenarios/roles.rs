//! Roles: definitions, assignments and what tokens say about them (server-to-server SS-18 …
//! SS-27; conventions C-9, C-12.2).

use serde_json::{Value, json};

use super::flows::{self, PASSWORD, create_role, set_roles};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::Need;
use crate::target::encode;
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("roles.define_list_and_delete", Group::Roles, define).checks(&["C-16.3"]),
        Scenario::new("roles.assignments_show_in_tokens", Group::Roles, assign).checks(&["C-12.2"]),
        Scenario::new("roles.tenant_level_paths", Group::Roles, tenant_level)
            .needs(&[Need::OtherTenant]),
    ]
}

fn names(list: &Value) -> Vec<String> {
    // Callers assert on these names: the list's `results` are judged through them.
    crate::coverage::note_members(&["results", "name"]);
    list["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// SS-18, SS-19, SS-22: names with spaces and symbols are fine; duplicates and blank names
/// are refused; a deleted role is gone.
async fn define(cx: Cx) -> Outcome {
    let name = format!("{} Tier-3_x", cx.unique("role"));
    let role = create_role(&cx, "/v0", &name).await?;
    ensure_eq!(role["name"], name, "role name");
    ensure_eq!(role["tenantId"], cx.tenant(), "role tenant");
    let now = super::flows::now(&cx).await?;
    let created_at = super::flows::member_seconds(&role, "createdAt")?;
    ensure!(
        (created_at - now).abs() <= 5,
        "a role's createdAt ({created_at}) is the target's now ({now})"
    );
    let list = cx.get("/v0/roles").bearer(cx.admin()).send().await?.ok()?;
    ensure!(names(&list).contains(&name), "the role is listed: {list}");
    cx.post("/v0/roles")
        .bearer(cx.admin())
        .json(json!({ "name": name }))
        .send()
        .await?
        .err(400, "Role exists")?;
    for bad in ["", " padded", "padded "] {
        cx.post("/v0/roles")
            .bearer(cx.admin())
            .json(json!({ "name": bad }))
            .send()
            .await?
            .err(400, "Invalid role name")?;
    }
    let deleted = cx
        .delete(format!("/v0/roles/{}", encode(&name)))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(deleted["name"], name, "deleted role");
    let list = cx.get("/v0/roles").bearer(cx.admin()).send().await?.ok()?;
    ensure!(
        !names(&list).contains(&name),
        "a deleted role is not listed"
    );
    cx.delete(format!("/v0/roles/{}", encode(&name)))
        .bearer(cx.admin())
        .send()
        .await?
        .expect_status(404)?;
    Ok(())
}

/// SS-20: roles are replaced, must exist, show in `authorization` after a refresh, and an
/// assigned role cannot be deleted.
async fn assign(cx: Cx) -> Outcome {
    let role = cx.unique("editor");
    create_role(&cx, "/v0", &role).await?;
    let (signed, tokens) = flows::signup(&cx, &cx.email("roles"), PASSWORD).await?;
    let user = signed["userId"].to_string();
    let set = |roles: Value| set_roles(&cx, "/v0", &user, roles);
    let updated = set(json!([role])).await?.ok()?;
    ensure_eq!(
        updated["authorization"][cx.tenant()]["roles"],
        json!([role]),
        "authorization after setting roles"
    );
    let claims = flows::refreshed_claims(&cx, &tokens.refresh).await?;
    ensure_eq!(
        claims["authorization"][cx.tenant()]["roles"],
        json!([role]),
        "authorization claim after a refresh"
    );
    let missing = cx.unique("ghost");
    set(json!([missing]))
        .await?
        .err(400, &userfront_contract::msg::role_not_found(&missing))?;
    cx.delete(format!("/v0/roles/{}", encode(&role)))
        .bearer(cx.admin())
        .send()
        .await?
        .err(400, "Role is assigned to one or more users")?;
    // POST works like PUT (README choice 4); [] removes every role.
    let cleared = cx
        .post(format!("/v0/users/{user}/roles"))
        .bearer(cx.admin())
        .json(json!({ "roles": [] }))
        .send()
        .await?
        .ok()?;
    ensure!(
        cleared["authorization"].get(cx.tenant()).is_none(),
        "no roles left: {}",
        cleared["authorization"]
    );
    cx.delete(format!("/v0/roles/{}", encode(&role)))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    Ok(())
}

/// SS-23 … SS-27 on the workspace's own tenant path; another workspace's key is refused.
async fn tenant_level(cx: Cx) -> Outcome {
    let base = format!("/v0/tenants/{}", cx.tenant());
    let role = cx.unique("tl");
    create_role(&cx, &base, &role).await?;
    let list = cx
        .get(format!("{base}/roles"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure!(names(&list).contains(&role), "tenant-level listing");
    let (signed, _) = flows::signup(&cx, &cx.email("tlroles"), PASSWORD).await?;
    let updated = set_roles(&cx, &base, &signed["userId"], json!([role]))
        .await?
        .ok()?;
    ensure_eq!(
        updated["authorization"][cx.tenant()]["roles"],
        json!([role]),
        "tenant-level assignment"
    );
    let other = cx.other_admin()?.to_owned();
    cx.post(format!("{base}/roles"))
        .bearer(&other)
        .json(json!({ "name": cx.unique("intruder") }))
        .send()
        .await?
        .err(403, "Forbidden")?;
    set_roles(&cx, &base, &signed["userId"], json!([]))
        .await?
        .ok()?;
    cx.delete(format!("{base}/roles/{}", encode(&role)))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    Ok(())
}
