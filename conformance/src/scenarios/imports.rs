//! User imports (server-to-server SS-28 … SS-32).

use serde_json::{Value, json};

use super::flows;
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::{Created, Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "imports.create_process_read_delete",
            Group::Imports,
            lifecycle,
        )
        .checks(&["C-16.5"]),
        Scenario::new(
            "imports.live_passwords_refused",
            Group::Imports,
            live_passwords,
        )
        .tags(&["mode"])
        .needs(&[Need::Live]),
    ]
}

/// SS-28 … SS-32: attributes are mapped (lower case, `userId` over `id`, the rest into data),
/// bad rows fail alone, test-mode passwords work, an import is processed once.
async fn lifecycle(cx: Cx) -> Outcome {
    let good = cx.email("Imported").replace("cf-", "CF-");
    let bad_email = "not-an-email";
    let password = "imported-Passw0rd";
    let user_uuid = uuid::Uuid::new_v4().to_string();
    let spilled = uuid::Uuid::new_v4().to_string();
    let created = cx
        .post("/v0/user-import")
        .bearer(cx.admin())
        .json(json!({ "users": [
            { "email": good, "name": "Imported Person", "password": password,
              "userUuid": user_uuid, "uuid": spilled, "plan": "gold" },
            { "email": bad_email },
        ] }))
        .send()
        .await?
        .ok()?;
    let uuid = created["uuid"].as_str().unwrap_or("").to_owned();
    cx.created(Created::Import {
        mode: Mode::Test,
        uuid: uuid.clone(),
    });
    ensure_eq!(created["completedAt"], Value::Null, "an unprocessed import");
    ensure_eq!(
        created["importUuid"],
        created["uuid"],
        "importUuid names the import"
    );
    // Times on the target's clock (C-16.5); processing moves updatedAt.
    let now = flows::now(&cx).await?;
    let created_at = flows::member_seconds(&created, "createdAt")?;
    ensure!(
        (created_at - now).abs() <= 5,
        "an import's createdAt ({created_at}) is the target's now ({now})"
    );
    ensure_eq!(
        flows::member_seconds(&created, "updatedAt")?,
        created_at,
        "a new import's updatedAt is its createdAt"
    );
    if cx.target.mock_controls {
        cx.advance(60).await?;
    }
    ensure_eq!(created["userCount"], 2, "userCount");
    ensure_eq!(
        created["users"][0]["password"],
        "********",
        "passwords are masked in the import"
    );
    let processed = cx
        .post(format!("/v0/user-import/{uuid}/process"))
        .bearer(cx.admin())
        .json(json!({}))
        .send()
        .await?
        .ok()?;
    ensure_eq!(processed["successCount"], 1, "successCount");
    ensure_eq!(processed["failureCount"], 1, "failureCount");
    ensure_eq!(processed["failures"][0]["index"], 1, "the failing row");
    ensure!(processed["completedAt"].is_string(), "completedAt set");
    let updated_at = flows::member_seconds(&processed, "updatedAt")?;
    ensure!(
        updated_at >= created_at + 60 || !cx.target.mock_controls,
        "processing moves updatedAt a minute on: {created_at} -> {updated_at}"
    );
    let (body, _) = flows::login(&cx, &good, password).await?;
    cx.created_user(Mode::Test, &body);
    ensure_eq!(
        body["email"],
        good.to_lowercase(),
        "imported email is lower-cased"
    );
    ensure_eq!(
        body["data"]["plan"],
        "gold",
        "unknown attributes go to data"
    );
    ensure_eq!(body["userUuid"], user_uuid, "the given userUuid is kept");
    ensure_eq!(
        body["data"]["uuid"],
        spilled,
        "`uuid` beside `userUuid` goes to data.uuid"
    );
    cx.post(format!("/v0/user-import/{uuid}/process"))
        .bearer(cx.admin())
        .json(json!({}))
        .send()
        .await?
        .err(400, "Import already processed")?;
    let read = cx
        .get(format!("/v0/user-import/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(read["successCount"], 1, "read import");
    let list = cx
        .get("/v0/user-import")
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure!(
        list["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|i| i["uuid"] == uuid.as_str())),
        "the import is listed"
    );
    cx.delete(format!("/v0/user-import/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    cx.get(format!("/v0/user-import/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .expect_status(404)?;
    // Users created by a deleted import stay.
    flows::login(&cx, &good, password).await?;
    cx.post("/v0/user-import")
        .bearer(cx.admin())
        .json(json!({ "users": [] }))
        .send()
        .await?
        .expect_status(400)?;
    Ok(())
}

/// SS-28: a live import with a password is refused (README choice 66).
async fn live_passwords(cx: Cx) -> Outcome {
    let live = cx.live_admin()?.to_owned();
    cx.post("/v0/user-import")
        .bearer(&live)
        .json(json!({ "users": [ { "email": cx.email("liveimport"), "password": "imported-Passw0rd" } ] }))
        .send()
        .await?
        .err(400, "Passwords can only be imported in test mode")?;
    Ok(())
}
