//! Effects an answer does not show by itself: webhooks (conventions C-15), `updatedAt` moving on
//! every update (C-16.1), times and token claims agreeing with the target's clock (C-12), and
//! both sides of a link's time window (C-8.3).

use serde_json::{Value, json};

use super::flows::{self, PASSWORD};
use super::links::link_parts;
use super::users::create_user;
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::Need;
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "users.webhooks.sent_with_the_webhook_key",
            Group::Users,
            webhooks,
        )
        .checks(&["C-15", "SS-1", "SS-3", "SS-4"])
        .needs(&[Need::MockControls, Need::Webhook]),
        Scenario::new(
            "users.updated_at.moves_on_every_update",
            Group::Users,
            updated_at,
        )
        .checks(&["C-16.1", "SS-3", "CS-26"])
        .needs(&[Need::MockControls]),
        Scenario::new(
            "session.tokens.claims_follow_the_target_clock",
            Group::Session,
            token_clock,
        )
        .checks(&["C-12.2", "C-12.5", "C-18"])
        .needs(&[Need::MockControls]),
        Scenario::new(
            "auth.link.valid_just_inside_the_hour",
            Group::Auth,
            link_window,
        )
        .checks(&["C-8.3", "CS-3"])
        .needs(&[Need::MockControls]),
    ]
}

/// Most seconds a time the target reports may differ from its clock (one request apart).
const SLACK: i64 = 5;

/// The recorded webhook deliveries about the user `uuid`, oldest first.
async fn deliveries_for(cx: &Cx, uuid: &str) -> Outcome<Vec<Value>> {
    let body = cx.get("/__mock/webhooks").send().await?.ok()?;
    Ok(body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d["body"]["record"]["userUuid"] == uuid)
        .collect())
}

/// A header of a recorded delivery, whatever its spelling.
fn delivery_header<'a>(delivery: &'a Value, name: &str) -> Option<&'a str> {
    delivery["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// C-15: create, update and delete each send one `user` event carrying the webhook key; a
/// refused request and a read send none; the record leaves out what the docs leave out.
async fn webhooks(cx: Cx) -> Outcome {
    let key = cx.webhook_key()?.to_owned();
    let bearer = format!("Bearer {key}");
    let email = cx.email("hooked");
    let created = create_user(&cx, json!({ "email": email, "name": "Hooked" })).await?;
    let uuid = created["userUuid"].as_str().unwrap_or("").to_owned();
    // A refused duplicate and a read change nothing: no event.
    cx.post("/v0/users")
        .bearer(cx.admin())
        .json(json!({ "email": email }))
        .send()
        .await?
        .err(400, "Email exists")?;
    cx.get(format!("/v0/users/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    let after_create = deliveries_for(&cx, &uuid).await?;
    ensure_eq!(
        after_create.len(),
        1,
        "webhook deliveries after a create, a refused duplicate and a read"
    );
    let first = &after_create[0];
    ensure_eq!(first["body"]["action"], "create", "webhook action");
    ensure_eq!(first["body"]["model"], "user", "webhook model");
    ensure_eq!(first["body"]["mode"], "test", "webhook mode");
    ensure_eq!(
        delivery_header(first, "authorization"),
        Some(bearer.as_str()),
        "a webhook carries the tenant's webhook key"
    );
    ensure!(
        delivery_header(first, "content-type").is_some_and(|v| v.starts_with("application/json")),
        "a webhook is JSON: {first}"
    );
    let record = &first["body"]["record"];
    ensure_eq!(record["email"], created["email"], "webhook record email");
    for absent in ["updatedAt", "lastActiveAt", "lastMessagedAt", "tenant"] {
        ensure!(
            record.get(absent).is_none(),
            "a user webhook record has no {absent}: {record}"
        );
    }
    cx.put(format!("/v0/users/{uuid}"))
        .bearer(cx.admin())
        .json(json!({ "name": "Hooked Again" }))
        .send()
        .await?
        .ok()?;
    cx.delete(format!("/v0/users/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    let all = deliveries_for(&cx, &uuid).await?;
    let actions: Vec<&Value> = all.iter().map(|d| &d["body"]["action"]).collect();
    let expected = [json!("create"), json!("update"), json!("delete")];
    ensure_eq!(
        actions,
        expected.iter().collect::<Vec<_>>(),
        "webhook actions of create, update, delete"
    );
    ensure_eq!(
        all[1]["body"]["record"]["name"],
        "Hooked Again",
        "the update event carries the new record"
    );
    for d in &all {
        ensure_eq!(
            delivery_header(d, "authorization"),
            Some(bearer.as_str()),
            "every webhook carries the webhook key"
        );
    }
    Ok(())
}

/// C-16.1: `createdAt`/`updatedAt` agree with the target's clock, and every update (SS-3 from
/// the server, CS-26 by the user) moves `updatedAt` to the time of the update.
async fn updated_at(cx: Cx) -> Outcome {
    let (signed, tokens) = flows::signup(&cx, &cx.email("moving"), PASSWORD).await?;
    let uuid = signed["userUuid"].as_str().unwrap_or("").to_owned();
    let read = |cx: Cx, uuid: String| async move {
        cx.get(format!("/v0/users/{uuid}"))
            .bearer(cx.admin())
            .send()
            .await?
            .ok()
    };
    let first = read(cx.clone(), uuid.clone()).await?;
    let now = flows::now(&cx).await?;
    let created = flows::member_seconds(&first, "createdAt")?;
    ensure!(
        (created - now).abs() <= SLACK,
        "createdAt is {} s from the target's clock",
        created - now
    );
    let mut last = flows::member_seconds(&first, "updatedAt")?;
    ensure!(
        last >= created,
        "updatedAt {} is before createdAt {}",
        first["updatedAt"],
        first["createdAt"]
    );
    // Server-side update, then the user's own update, each an hour later on the target clock.
    for step in ["server", "self"] {
        cx.advance(3_600).await?;
        let body = if step == "server" {
            cx.put(format!("/v0/users/{uuid}"))
                .bearer(cx.admin())
                .json(json!({ "name": "Moved By Server" }))
                .send()
                .await?
                .ok()?
        } else {
            cx.put("/v0/self")
                .bearer(&tokens.access)
                .json(json!({ "name": "Moved By Self" }))
                .send()
                .await?
                .ok()?
        };
        let now = flows::now(&cx).await?;
        let moved = flows::member_seconds(&body, "updatedAt")?;
        ensure!(
            moved > last && (moved - now).abs() <= SLACK,
            "a {step} update moves updatedAt to the target's now ({now}); it went from {last} to {moved}"
        );
        ensure_eq!(
            flows::member_seconds(&body, "createdAt")?,
            created,
            "an update keeps createdAt"
        );
        let stored = read(cx.clone(), uuid.clone()).await?;
        ensure_eq!(
            stored["updatedAt"],
            body["updatedAt"],
            "the moved updatedAt is stored"
        );
        last = moved;
    }
    Ok(())
}

/// C-12: `iat` of every token is the target's now, also after its clock moved a day; `exp` is
/// `iat` plus the lifetime, on the same clock.
async fn token_clock(cx: Cx) -> Outcome {
    let email = cx.email("clocked");
    let (_, before) = flows::signup(&cx, &email, PASSWORD).await?;
    let now = flows::now(&cx).await?;
    let iat = before.claims["iat"].as_i64().unwrap_or(0);
    ensure!(
        (iat - now).abs() <= SLACK,
        "access iat {iat} is {} s from the target's clock",
        iat - now
    );
    cx.advance(86_400).await?;
    let (_, after) = flows::login(&cx, &email, PASSWORD).await?;
    let now = flows::now(&cx).await?;
    let iat_after = after.claims["iat"].as_i64().unwrap_or(0);
    ensure!(
        (iat_after - now).abs() <= SLACK && iat_after - iat >= 86_400,
        "after a day on the target's clock, iat moved from {iat} to {iat_after} (now {now})"
    );
    let exp = after.claims["exp"].as_i64().unwrap_or(0);
    let lifetime = before.claims["exp"].as_i64().unwrap_or(0) - iat;
    ensure!(lifetime > 0, "access tokens expire after iat");
    ensure_eq!(
        exp - iat_after,
        lifetime,
        "exp - iat is the same lifetime on the moved clock"
    );
    Ok(())
}

/// C-8.3: a login link (1 hour) still works a second before its hour is up (its sibling
/// scenario checks a second after).
async fn link_window(cx: Cx) -> Outcome {
    let email = cx.email("window");
    let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let user = signed["userUuid"].as_str().unwrap_or("").to_owned();
    // C-16.1: lastMessagedAt is null until a message goes out, then the time it went.
    let before = read_user(&cx, &user).await?;
    ensure_eq!(before["lastMessagedAt"], Value::Null, "no message sent yet");
    // The hour counts from the target's clock read before the link is made (see
    // `windows::move_to`).
    let issued_from = flows::now(&cx).await?;
    let body = cx
        .post(format!("/v0/tenants/{}/auth/link", cx.tenant()))
        .json(json!({ "email": email }))
        .send()
        .await?
        .ok()?;
    let link = body["result"]["link"].as_str().unwrap_or("").to_owned();
    let (uuid, token, _) = link_parts(&link)?;
    let now = flows::now(&cx).await?;
    let after = read_user(&cx, &user).await?;
    let messaged = flows::member_seconds(&after, "lastMessagedAt")?;
    ensure!(
        (messaged - now).abs() <= SLACK,
        "a login link sets lastMessagedAt to the target's now ({now}): {messaged}"
    );
    super::windows::move_to(&cx, issued_from + 3_599).await?;
    let signed = cx
        .put(format!("/v0/tenants/{}/auth/link", cx.tenant()))
        .json(json!({ "uuid": uuid, "token": token }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        signed["userUuid"].as_str(),
        Some(uuid.as_str()),
        "a link used just inside its hour signs its user in"
    );
    Ok(())
}

/// `GET /v0/users/{uuid}` with the admin key.
async fn read_user(cx: &Cx, uuid: &str) -> Outcome<Value> {
    cx.get(format!("/v0/users/{uuid}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()
}
