//! API keys and the credential rules of server endpoints (server-to-server SS-33 … SS-38;
//! conventions C-5).

use reqwest::Method;
use serde_json::{Value, json};

use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Resp, Scenario};
use crate::target::{Created, Mode, Need};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "keys.lifecycle.create_list_verify_invalidate_delete",
            Group::Keys,
            lifecycle,
        )
        .checks(&["C-16.6", "C-5"]),
        Scenario::new("keys.last_active_key_is_kept", Group::Keys, last_key)
            .needs(&[Need::OtherTenant]),
        Scenario::new(
            "keys.credentials.checked_in_documented_order",
            Group::Keys,
            credentials,
        )
        .checks(&["C-5"])
        .tags(&["permissions"])
        .needs(&[Need::Readonly, Need::Webhook, Need::OtherTenant]),
        Scenario::new("keys.modes.live_keys_see_live_keys", Group::Keys, modes)
            .checks(&["C-4.1"])
            .tags(&["mode"])
            .needs(&[Need::Live]),
    ]
}

async fn create(cx: &Cx, key_type: &str) -> Outcome<Value> {
    let resp = cx
        .post("/v0/keys")
        .bearer(cx.admin())
        .json(json!({ "type": key_type }))
        .send()
        .await?;
    if let Some(key) = resp.body()["key"].as_str() {
        cx.created(Created::ApiKey {
            mode: Mode::Test,
            key: key.to_owned(),
        });
    }
    resp.ok()
}

/// `{method} {path}` with the body `{"key": key}`, authorised by `credential`, answer unjudged:
/// the one shape of every key operation (verify, invalidate, delete).
async fn on_key(cx: &Cx, method: Method, path: &str, credential: &str, key: &str) -> Outcome<Resp> {
    cx.req(method, path)
        .bearer(credential)
        .json(json!({ "key": key }))
        .send()
        .await
}

/// `GET /v0/keys/readonly` with the admin key, and the entry of `key` in it (if listed).
async fn listed_readonly(cx: &Cx, key: &str) -> Outcome<(Value, Option<Value>)> {
    let listed = cx
        .get("/v0/keys/readonly")
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    // The listing's `results` are what the callers' assertions on the entry judge.
    crate::coverage::note_members(&["results"]);
    let entry = listed["results"]
        .as_array()
        .and_then(|r| r.iter().find(|k| k["key"] == key))
        .cloned();
    Ok((listed, entry))
}

/// SS-33 … SS-37 on a new read-only key.
async fn lifecycle(cx: Cx) -> Outcome {
    let created = create(&cx, "readonly").await?;
    let key = created["key"].as_str().unwrap_or("").to_owned();
    ensure!(
        key.starts_with(&format!("uf_test_readonly_{}_", cx.tenant())),
        "key format (C-5): {key}"
    );
    ensure_eq!(created["type"], "readonly", "type");
    ensure_eq!(created["mode"], "test", "mode");
    ensure_eq!(created["isActive"], true, "isActive");
    ensure_eq!(created["tenantId"], cx.tenant(), "the key's workspace");
    // Times on the target's clock (C-16.6), and an invalidation moves updatedAt.
    let now = super::flows::now(&cx).await?;
    let created_at = super::flows::member_seconds(&created, "createdAt")?;
    ensure!(
        (created_at - now).abs() <= 5,
        "createdAt {created_at} is the target's now ({now})"
    );
    ensure_eq!(
        super::flows::member_seconds(&created, "updatedAt")?,
        created_at,
        "a new key's updatedAt is its createdAt"
    );
    // The new key works for reads.
    cx.get("/v0/keys/jwt").bearer(&key).send().await?.ok()?;
    let (listed, entry) = listed_readonly(&cx, &key).await?;
    ensure!(entry.is_some(), "the new key is listed");
    let tenant_listing = cx
        .get(format!("/v0/tenants/{}/keys/readonly", cx.tenant()))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        tenant_listing["totalCount"],
        listed["totalCount"],
        "tenant-level listing"
    );
    let verified = on_key(&cx, Method::POST, "/v0/keys/verify", cx.admin(), &key)
        .await?
        .ok()?;
    crate::scenario::member_eq(
        &verified,
        &["result"],
        &json!({ "mode": "test", "type": "readonly", "tenantId": cx.tenant(), "isActive": true }),
        "verify result",
    )?;
    on_key(&cx, Method::POST, "/v0/keys/verify", cx.admin(), cx.admin())
        .await?
        .err(400, "An API key cannot be used to verify itself")?;
    if cx.target.mock_controls {
        cx.advance(60).await?;
    }
    let invalidated = on_key(&cx, Method::PUT, "/v0/keys/invalidate", cx.admin(), &key)
        .await?
        .ok()?;
    ensure_eq!(invalidated["isActive"], false, "invalidated key");
    let moved = super::flows::member_seconds(&invalidated, "updatedAt")?;
    ensure!(
        moved > created_at || !cx.target.mock_controls,
        "invalidating a key moves updatedAt past {created_at}: {moved}"
    );
    cx.get("/v0/keys/jwt")
        .bearer(&key)
        .send()
        .await?
        .err(401, "Unauthorized")?;
    let resp = on_key(&cx, Method::POST, "/v0/keys/verify", cx.admin(), &key).await?;
    resp.err(400, "Invalid API key")?;
    ensure_eq!(
        resp.body()["result"]["isActive"],
        false,
        "verify of an invalidated key"
    );
    let (_, entry) = listed_readonly(&cx, &key).await?;
    ensure!(
        entry.is_some_and(|k| k["isActive"] == false),
        "an invalidated key is still listed, inactive"
    );
    let deleted = on_key(&cx, Method::DELETE, "/v0/keys", cx.admin(), &key)
        .await?
        .ok()?;
    ensure_eq!(deleted["key"], key, "deleted key");
    on_key(&cx, Method::DELETE, "/v0/keys", cx.admin(), &key)
        .await?
        .err(400, "Invalid API key")?;
    cx.post("/v0/keys")
        .bearer(cx.admin())
        .json(json!({ "type": "superuser" }))
        .send()
        .await?
        .err(400, "Invalid key type")?;
    cx.get("/v0/keys/superuser")
        .bearer(cx.admin())
        .send()
        .await?
        .err(400, "Invalid key type")?;
    Ok(())
}

/// SS-36, SS-37: the only active key of a type can be neither invalidated nor deleted. Shown
/// on the second workspace's webhook key, after making sure it is the only one.
async fn last_key(cx: Cx) -> Outcome {
    let other = cx.other_admin()?.to_owned();
    let listed = cx
        .get("/v0/keys/webhook")
        .bearer(&other)
        .send()
        .await?
        .ok()?;
    let active: Vec<String> = listed["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|k| k["isActive"] == true)
                .filter_map(|k| k["key"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if active.len() != 1 {
        return Err(crate::scenario::Failure::Skip(
            "the second workspace has more than one active webhook key".into(),
        ));
    }
    on_key(&cx, Method::PUT, "/v0/keys/invalidate", &other, &active[0])
        .await?
        .err(
            400,
            &userfront_contract::msg::last_key_invalidate("webhook"),
        )?;
    on_key(&cx, Method::DELETE, "/v0/keys", &other, &active[0])
        .await?
        .err(400, &userfront_contract::msg::last_key_delete("webhook"))?;
    Ok(())
}

/// C-5: missing 401, unknown 401, wrong type 403, wrong tenant 403; a read-only key reads but
/// does not write; a webhook key does nothing.
async fn credentials(cx: Cx) -> Outcome {
    let readonly = cx.readonly()?.to_owned();
    let webhook = cx.webhook_key()?.to_owned();
    let other_admin = cx.other_admin()?.to_owned();
    let roles = "/v0/roles";
    let tenant = format!("/v0/tenants/{}", cx.tenant());
    let unknown = format!("uf_test_admin_{}_{}", cx.tenant(), "0".repeat(32));
    cx.get(roles).bearer(&readonly).send().await?.ok()?;
    // Each refusal is a request and the documented error it must get.
    let refusals = [
        (cx.get(roles), 401, "Missing authentication"),
        (cx.get(roles).bearer(&unknown), 401, "Unauthorized"),
        (cx.get(roles).bearer("uf_nonsense"), 401, "Unauthorized"),
        // A read-only key does not write, nor list keys.
        (
            cx.post(roles)
                .bearer(&readonly)
                .json(json!({ "name": cx.unique("ro") })),
            403,
            "Forbidden",
        ),
        (
            cx.post("/v0/keys")
                .bearer(&readonly)
                .json(json!({ "type": "readonly" })),
            403,
            "Forbidden",
        ),
        (cx.get("/v0/keys/admin").bearer(&readonly), 403, "Forbidden"),
        // A webhook key does nothing.
        (cx.get(roles).bearer(&webhook), 403, "Forbidden"),
        // Another workspace's admin key on this workspace's tenant path.
        (
            cx.get(format!("{tenant}/roles")).bearer(&other_admin),
            403,
            "Forbidden",
        ),
        (
            cx.get(format!("{tenant}/keys/admin")).bearer(&other_admin),
            403,
            "Forbidden",
        ),
        // Keys outside the caller's subtree do not verify.
        (
            cx.post("/v0/keys/verify")
                .bearer(&other_admin)
                .json(json!({ "key": readonly })),
            400,
            "Invalid API key",
        ),
    ];
    for (req, status, message) in refusals {
        req.send().await?.err(status, message)?;
    }
    Ok(())
}

/// C-4.1: a live key acts on live data; its keys are live keys.
async fn modes(cx: Cx) -> Outcome {
    let live = cx.live_admin()?.to_owned();
    let listed = cx.get("/v0/keys/admin").bearer(&live).send().await?.ok()?;
    let results = listed["results"].as_array().cloned().unwrap_or_default();
    ensure!(!results.is_empty(), "live admin keys listed");
    ensure!(
        results.iter().all(|k| k["mode"] == "live"),
        "a live key lists live keys only: {listed}"
    );
    ensure!(
        results.iter().all(|k| k["key"] != cx.admin()),
        "the test admin key is not a live key"
    );
    Ok(())
}
