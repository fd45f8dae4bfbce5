//! SSO with a (fake) provider (client-to-server CS-13; conventions C-14.3, C-18).

use serde_json::json;

use super::flows;
use super::links::link_parts;
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario, fail};
use crate::target::{Mode, Need, encode};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "sso.login.signs_up_then_in_through_the_provider",
            Group::Sso,
            round_trip,
        )
        .checks(&["C-14.3"])
        .needs(&[Need::MockControls]),
        Scenario::new("sso.login.refusals", Group::Sso, refusals),
    ]
}

/// The path and query of a `Location`, whatever host it names.
fn location_path(location: &str) -> String {
    match location.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map_or("/".to_owned(), |i| rest[i..].to_owned()),
        None => location.to_owned(),
    }
}

/// Follows one redirect step: the answer must be a 302; returns its Location.
async fn step(cx: &Cx, path: &str) -> Outcome<String> {
    let resp = cx.get(path).send().await?;
    resp.expect_status(302)?;
    resp.inner
        .header("location")
        .map(str::to_owned)
        .ok_or_else(|| fail(format!("GET {path}: a 302 without Location")))
}

/// Start → provider → callback → login page → `PUT /auth/link`; returns the sign-on body.
async fn sso_sign_on(cx: &Cx, origin: &str, data: &str) -> Outcome<serde_json::Value> {
    let start = format!(
        "/v0/auth/google/login?tenant_id={}&origin={}&data={}",
        cx.tenant(),
        encode(origin),
        encode(data)
    );
    let provider = step(cx, &start).await?;
    let callback = step(cx, &location_path(&provider)).await?;
    let landing = step(cx, &location_path(&callback)).await?;
    ensure!(
        landing.starts_with(&format!("{origin}/login?")),
        "the hand-off lands on the After-logout path of the origin: {landing}"
    );
    let (uuid, token, kind) = link_parts(&landing)?;
    ensure_eq!(kind.as_deref(), Some("sso"), "hand-off type");
    let resp = cx
        .put(format!("/v0/tenants/{}/auth/link", cx.tenant()))
        .json(json!({ "uuid": uuid, "token": token }))
        .send()
        .await?;
    cx.created_user(Mode::Test, resp.body());
    let body = resp.ok()?;
    flows::check_sign_on(cx, &body, Mode::Test).await?;
    cx.put(format!("/v0/tenants/{}/auth/link", cx.tenant()))
        .json(json!({ "uuid": uuid, "token": token }))
        .send()
        .await?
        .err(400, "Invalid token")?;
    Ok(body)
}

/// C-14.3: the first sign-on creates the user (email confirmed, custom data), the second finds
/// the same user and leaves its data alone.
async fn round_trip(cx: Cx) -> Outcome {
    let email = cx.email("sso");
    let settings = format!("/__mock/tenants/{}/settings", cx.tenant());
    cx.post("/__mock/sso/identities")
        .json(json!({ "provider": "google", "email": email, "name": "Sso Person", "emailVerified": true }))
        .send()
        .await?
        .ok()?;
    cx.put(settings.clone())
        .json(json!({ "mode": "test", "ssoProviders": { "google": { "enabled": true } } }))
        .send()
        .await?
        .ok()?;
    let result = async {
        let origin = "http://localhost:3000";
        let first = sso_sign_on(&cx, origin, r#"{"plan":"sso"}"#).await?;
        ensure_eq!(first["email"], email, "the provider's email");
        ensure_eq!(
            first["isEmailConfirmed"],
            true,
            "a verified provider email is confirmed"
        );
        ensure_eq!(
            first["data"],
            json!({ "plan": "sso" }),
            "custom data on creation"
        );
        let second = sso_sign_on(&cx, origin, r#"{"plan":"changed"}"#).await?;
        ensure_eq!(
            second["userId"],
            first["userId"],
            "the same user signs in again"
        );
        ensure_eq!(
            second["data"],
            json!({ "plan": "sso" }),
            "data only on creation"
        );
        Ok(())
    }
    .await;
    cx.put(settings)
        .json(json!({ "mode": "test", "ssoProviders": { "google": { "enabled": false } } }))
        .send()
        .await?
        .ok()?;
    result
}

/// CS-13 errors, as JSON in the error format.
async fn refusals(cx: Cx) -> Outcome {
    let t = cx.tenant().to_owned();
    let origin = encode("http://localhost:3000");
    for (path, message) in [
        (
            format!("/v0/auth/myspace/login?tenant_id={t}&origin={origin}"),
            "Invalid provider",
        ),
        (
            format!("/v0/auth/google/login?origin={origin}"),
            "\"tenant_id\" is required",
        ),
        (
            format!("/v0/auth/google/login?tenant_id={t}"),
            "\"origin\" is required",
        ),
        (
            format!("/v0/auth/custom/login?tenant_id={t}&origin={origin}"),
            "\"provider_id\" is required",
        ),
        (
            "/v0/auth/google/login?state=not-a-state&code=x".to_owned(),
            "Invalid token",
        ),
    ] {
        cx.get(path).send().await?.err(400, message)?;
    }
    Ok(())
}
