//! Passwords by link and by hand (client-to-server CS-5 … CS-7, CS-15, CS-16): reset links,
//! changing and setting one, and migration through an upstream (conventions C-14.5).

use serde_json::{Value, json};

use super::flows::{self, PASSWORD, TEST_BASE};
use super::links::{link_parts, path, use_link};
use crate::scenario::{Cx, Outcome};
use crate::target::Mode;
use crate::{ensure, ensure_eq};

/// CS-15, CS-16: a reset link sets a new password once; the old one stops working.
pub(super) async fn reset(cx: Cx) -> Outcome {
    let email = cx.email("reset");
    let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let body = cx
        .post(path(&cx, "auth/reset/link"))
        .json(json!({ "email": email.to_uppercase() }))
        .send()
        .await?
        .ok()?;
    let link = body["result"]["link"].as_str().unwrap_or("").to_owned();
    ensure!(
        link.starts_with(&format!("{TEST_BASE}/reset?")),
        "a reset link goes to the password reset path: {link}"
    );
    let (uuid, token, _) = link_parts(&link)?;
    let new_password = "another-Passw0rd-2";
    let put = |password: &str| {
        cx.put(path(&cx, "auth/reset"))
            .json(json!({ "uuid": uuid, "token": token, "password": password }))
            .send()
    };
    put("weak")
        .await?
        .err(400, userfront_contract::msg::PASSWORD_RULES)?;
    let body = put(new_password).await?.ok()?;
    flows::check_sign_on(&cx, &body, Mode::Test).await?;
    ensure_eq!(body["userId"], signed["userId"], "reset user");
    put(new_password).await?.err(400, "Invalid token")?;
    flows::login(&cx, &email, new_password).await?;
    cx.post(path(&cx, "auth/basic"))
        .json(json!({ "emailOrUsername": email, "password": PASSWORD }))
        .send()
        .await?
        .err(400, "Incorrect email or password")?;
    cx.post(path(&cx, "auth/reset/link"))
        .json(json!({ "email": cx.email("ghost") }))
        .send()
        .await?
        .err(404, "User not found")?;
    Ok(())
}

/// CS-6: the existing password must be right; the new one must follow the rules.
pub(super) async fn update_password(cx: Cx) -> Outcome {
    let email = cx.email("newpw");
    let (_, tokens) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let new_password = "changed-Passw0rd-3";
    let put = |body: Value| {
        cx.put(path(&cx, "auth/basic"))
            .bearer(&tokens.access)
            .json(body)
            .send()
    };
    put(json!({ "password": new_password, "existingPassword": "wrong-Passw0rd" }))
        .await?
        .err(400, "Incorrect password")?;
    put(json!({ "password": "short", "existingPassword": PASSWORD }))
        .await?
        .err(400, userfront_contract::msg::PASSWORD_RULES)?;
    let body = put(json!({ "password": new_password, "existingPassword": PASSWORD }))
        .await?
        .ok()?;
    ensure_eq!(body["message"], "OK", "message");
    flows::login(&cx, &email, new_password).await?;
    cx.put(path(&cx, "auth/basic"))
        .json(json!({ "password": new_password }))
        .send()
        .await?
        .err(401, "Missing authentication")?;
    Ok(())
}

/// CS-6 for a user who has no password (seeds 000, 001 "If no password exists"): both fields
/// are ignored and a reset link is sent; test mode answers `{message: "OK", result: {link}}`.
pub(super) async fn update_password_without_one(cx: Cx) -> Outcome {
    let email = cx.email("nopw");
    // A user without a password, created without any email so the reset email is the first.
    let created = cx
        .post(path(&cx, "auth/link"))
        .json(json!({ "email": email, "options": { "noSignupEmail": true } }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(created["message"], "OK", "message");
    let generated = flows::generate_link(&cx, &email).await?;
    let (uuid, token) = (
        generated["result"]["uuid"].as_str().unwrap_or(""),
        generated["result"]["token"].as_str().unwrap_or(""),
    );
    let resp = use_link(&cx, uuid, token).await?;
    cx.created_user(Mode::Test, resp.body());
    let tokens = flows::check_sign_on(&cx, &resp.ok()?, Mode::Test).await?;
    let ignored = "ignored-Passw0rd-6";
    let body = cx
        .put(path(&cx, "auth/basic"))
        .bearer(&tokens.access)
        .json(json!({ "password": ignored, "existingPassword": "whatever" }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(body["message"], "OK", "message");
    let link = body["result"]["link"].as_str().unwrap_or("").to_owned();
    ensure!(
        link.starts_with(&format!("{TEST_BASE}/reset?")),
        "a reset link to the password reset path: {body}"
    );
    ensure_eq!(
        body.as_object().map(|o| o.len()),
        Some(2),
        "only message and result: {body}"
    );
    cx.post(path(&cx, "auth/basic"))
        .json(json!({ "emailOrUsername": email, "password": ignored,
                      "options": { "noResetEmail": true } }))
        .send()
        .await?
        .err(400, "Incorrect email or password")?;
    let (uuid, token, _) = link_parts(&link)?;
    let chosen = "chosen-Passw0rd-7";
    cx.put(path(&cx, "auth/reset"))
        .json(json!({ "uuid": uuid, "token": token, "password": chosen }))
        .send()
        .await?
        .ok()?;
    flows::login(&cx, &email, chosen).await?;
    Ok(())
}

/// CS-5 without a passthrough upstream: the same as a password login.
pub(super) async fn migrate(cx: Cx) -> Outcome {
    let email = cx.email("migrate");
    let (signed, _) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let body = cx
        .post(path(&cx, "auth/password/migrate"))
        .json(json!({ "emailOrUsername": email, "password": PASSWORD }))
        .send()
        .await?
        .ok()?;
    flows::check_sign_on(&cx, &body, Mode::Test).await?;
    ensure_eq!(body["userId"], signed["userId"], "migrated login");
    cx.post(path(&cx, "auth/password/migrate"))
        .json(json!({ "emailOrUsername": email, "password": "wrong-Passw0rd" }))
        .send()
        .await?
        .err(400, "Incorrect email or password")?;
    Ok(())
}

/// C-14.5: a user without a password is checked against the upstream once; its password is
/// then Userfront's.
pub(super) async fn passthrough(cx: Cx) -> Outcome {
    let email = cx.email("upstream");
    let resp = cx
        .post("/v0/users")
        .bearer(cx.admin())
        .json(json!({ "email": email }))
        .send()
        .await?;
    cx.created_user(Mode::Test, resp.body());
    resp.ok()?;
    let old = "old-system-Passw0rd";
    let passback = uuid::Uuid::new_v4().to_string();
    let settings = format!("/__mock/tenants/{}/settings", cx.tenant());
    cx.put(settings.clone())
        .json(json!({ "mode": "test", "passthrough": { "rules": [
            { "emailOrUsername": email, "password": old, "body": { "passbackCode": passback } }
        ] } }))
        .send()
        .await?
        .ok()?;
    let result = async {
        let body = cx
            .post(path(&cx, "auth/password/migrate"))
            .json(json!({ "emailOrUsername": email, "password": old }))
            .send()
            .await?
            .ok()?;
        flows::check_sign_on(&cx, &body, Mode::Test).await?;
        ensure_eq!(
            body["upstreamResponse"],
            json!({ "passbackCode": passback }),
            "upstreamResponse"
        );
        flows::login(&cx, &email, old).await?;
        Ok(())
    }
    .await;
    cx.put(settings)
        .json(json!({ "mode": "test", "passthrough": null }))
        .send()
        .await?
        .ok()?;
    result
}

/// CS-7: the legacy route changes a password like CS-6.
pub(super) async fn legacy_password(cx: Cx) -> Outcome {
    let email = cx.email("legacypw");
    let (_, tokens) = flows::signup_quiet(&cx, &email, PASSWORD).await?;
    let new_password = "legacy-Passw0rd-4";
    cx.put(path(&cx, "auth/password"))
        .bearer(&tokens.access)
        .json(json!({ "password": new_password, "existingPassword": "wrong-Passw0rd" }))
        .send()
        .await?
        .err(400, "Incorrect password")?;
    cx.put(path(&cx, "auth/password"))
        .bearer(&tokens.access)
        .json(json!({ "password": new_password, "existingPassword": PASSWORD }))
        .send()
        .await?
        .ok()?;
    flows::login(&cx, &email, new_password).await?;
    Ok(())
}
