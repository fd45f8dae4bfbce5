//! A new tenant's documented defaults (conventions C-16.2, server-to-server SS-12 … SS-15),
//! read back, and its times on the target's clock.

use serde_json::{Value, json};

use super::flows;
use super::tenants::create;
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario, member_eq};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "tenants.create.documented_defaults",
            Group::Tenants,
            defaults,
        )
        .checks(&["C-16.2", "C-16.11", "SS-12", "SS-13", "SS-14", "SS-15"]),
    ]
}

/// The settings a new tenant starts with (C-16.2, defaults in brackets there).
fn documented_defaults() -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("aliasId", Value::Null),
        ("type", json!("basic")),
        ("signupRedirectPath", Value::Null),
        ("loginRedirectPath", json!("/dashboard")),
        ("logoutRedirectPath", json!("/login")),
        ("passwordResetPath", json!("/reset")),
        ("pkceLoginRedirectUri", Value::Null),
        ("details", json!({})),
        ("brand", json!({})),
        ("providerOrder", json!([])),
        ("isPhoneNumberUnique", json!(true)),
        ("cookieOptionsSameSite", json!("Lax")),
        ("cookieOptionsPath", json!("/")),
        ("cookieOptionsSetDomain", json!(false)),
        ("allowNonHttpOnlyRefresh", json!(true)),
        ("accessTokenDuration", json!(604_800)),
        ("refreshTokenDuration", json!(2_592_000)),
        ("dataRetentionMonths", json!(24)),
        ("dataForParent", json!({})),
        ("dataForParentSchema", json!([])),
        ("previousAuthService", Value::Null),
        ("lastActiveAt", Value::Null),
        ("mode", json!("test")),
    ];
    // The nine webhook URLs of C-15 are off.
    for hook in [
        "userCreatedWebhookUrl",
        "userUpdatedWebhookUrl",
        "userDeletedWebhookUrl",
        "tenantCreatedWebhookUrl",
        "tenantUpdatedWebhookUrl",
        "tenantDeletedWebhookUrl",
        "verificationCodeSmsWebhookUrl",
        "verificationCodeEmailWebhookUrl",
        "linkEmailWebhookUrl",
    ] {
        out.push((hook, Value::Null));
    }
    out
}

/// C-16.2: a new tenant (and its read-back) has the documented defaults, a uuid, the generic
/// image, its parent, an empty children envelope and zero descendants; a grandchild shows in
/// both; `createdAt` is the target's now and an update moves `updatedAt`.
async fn defaults(cx: Cx) -> Outcome {
    let name = cx.unique("defaults");
    let created = create(&cx, "/v0/tenants", &name).await?;
    let id = created["tenantId"].as_str().unwrap_or("").to_owned();
    let now = flows::now(&cx).await?;
    let read = |cx: Cx, id: String| async move {
        cx.get(format!("/v0/tenants/{id}"))
            .bearer(cx.admin())
            .send()
            .await?
            .ok()
    };
    let parent = read(cx.clone(), cx.tenant().to_owned()).await?;
    let first = read(cx.clone(), id.clone()).await?;
    for (what, body) in [("created", &created), ("read", &first)] {
        for (member, expected) in documented_defaults() {
            member_eq(body, &[member], &expected, what)?;
        }
        member_eq(body, &["name"], &json!(name), what)?;
        member_eq(body, &["creator"], &Value::Null, what)?;
        crate::coverage::note_members(&["uuid"]);
        let uuid = body["uuid"].as_str().unwrap_or("");
        ensure!(
            uuid.len() == 36 && uuid.chars().filter(|c| *c == '-').count() == 4,
            "{what}: tenant uuid is a UUID: {uuid:?}"
        );
        ensure!(
            body["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("https://")),
            "{what}: a new tenant has the generic image: {}",
            body["image"]
        );
        member_eq(body, &["parent", "tenantId"], &json!(cx.tenant()), what)?;
        member_eq(body, &["parent", "name"], &parent["name"], what)?;
        member_eq(body, &["parent", "image"], &parent["image"], what)?;
        member_eq(body, &["parent", "mode"], &json!("test"), what)?;
        member_eq(
            body,
            &["hasActivatedLiveMode"],
            &parent["hasActivatedLiveMode"],
            what,
        )?;
        member_eq(
            body,
            &["children"],
            &json!({ "totalCount": 0, "totalPages": 0, "results": [] }),
            what,
        )?;
        for count in [
            "descendants",
            "children",
            "basic",
            "multiuser",
            "enterprise",
        ] {
            member_eq(body, &["descendantCount", count], &json!(0), what)?;
        }
    }
    let created_at = flows::member_seconds(&first, "createdAt")?;
    ensure!(
        (created_at - now).abs() <= 5,
        "createdAt is {} s from the target's clock",
        created_at - now
    );
    ensure_eq!(
        first["updatedAt"],
        first["createdAt"],
        "a new tenant was updated when it was created"
    );
    // A grandchild: the child lists it and counts it.
    let grand_name = cx.unique("grand");
    let grand = create(&cx, &format!("/v0/tenants/{id}/tenants"), &grand_name).await?;
    let with_child = read(cx.clone(), id.clone()).await?;
    member_eq(
        &with_child,
        &["children"],
        &json!({
            "totalCount": 1,
            "totalPages": 1,
            "results": [{ "tenantId": grand["tenantId"], "name": grand_name, "image": grand["image"] }]
        }),
        "a child's children envelope",
    )?;
    for (count, n) in [("descendants", 1), ("children", 1), ("basic", 1)] {
        member_eq(
            &with_child,
            &["descendantCount", count],
            &json!(n),
            "after a grandchild",
        )?;
    }
    // An update moves updatedAt to the target's now and keeps createdAt.
    if cx.target.mock_controls {
        cx.advance(120).await?;
    } else {
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    }
    let updated = cx
        .put(format!("/v0/tenants/{id}"))
        .bearer(cx.admin())
        .json(json!({ "name": format!("{name}-renamed") }))
        .send()
        .await?
        .ok()?;
    let now = flows::now(&cx).await?;
    let moved = flows::member_seconds(&updated, "updatedAt")?;
    ensure!(
        moved > created_at && (moved - now).abs() <= 5,
        "an update moves a tenant's updatedAt to the target's now ({now}); it went from {created_at} to {moved}"
    );
    ensure_eq!(
        flows::member_seconds(&updated, "createdAt")?,
        created_at,
        "an update keeps createdAt"
    );
    Ok(())
}
