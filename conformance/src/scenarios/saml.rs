//! Userfront as a SAML identity provider (client-to-server CS-31 … CS-33; conventions C-14.4).

use serde_json::json;

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::Need;
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "saml.login_and_logout_post_to_the_sp",
            Group::Saml,
            round_trip,
        )
        .checks(&["C-14.4"])
        .tags(&["mode"])
        .needs(&[Need::MockControls, Need::Live]),
        Scenario::new("saml.test_mode_refused", Group::Saml, test_mode),
    ]
}

const ACS: &str = "https://sp.example.org/saml/acs";
const SLO: &str = "https://sp.example.org/saml/logout";

async fn saml_token(cx: &Cx, access: &str) -> Outcome<String> {
    let body = cx
        .get("/v0/auth/saml/idp/token")
        .bearer(access)
        .send()
        .await?
        .ok()?;
    ensure!(
        body["token"]
            .as_str()
            .is_some_and(|t| uuid::Uuid::parse_str(t).is_ok()),
        "a SAML token is a UUID (C-5): {body}"
    );
    Ok(body["token"].as_str().unwrap_or("").to_owned())
}

/// CS-31 … CS-33: a single-use SAML token opens an auto-submitting form to the SP's ACS (or
/// logout) URL; SAML logout leaves the Userfront session alone.
async fn round_trip(cx: Cx) -> Outcome {
    let origin = cx.live_origin()?.to_owned();
    let settings = format!("/__mock/tenants/{}/settings", cx.tenant());
    cx.put(settings.clone())
        .json(json!({ "mode": "live", "samlServiceProviders": [
            { "entityId": "https://sp.example.org", "acsUrl": ACS, "logoutUrl": SLO }
        ] }))
        .send()
        .await?
        .ok()?;
    let result = async {
        let (signed, tokens) = flows::signup_with(
            &cx,
            json!({ "email": cx.email("saml"), "password": PASSWORD, "options": { "noSignupEmail": true } }),
            Some(&origin),
        )
        .await?;
        let uuid = signed["userUuid"].as_str().unwrap_or("").to_owned();
        let t = cx.tenant().to_owned();
        let token = saml_token(&cx, &tokens.access).await?;
        let login = format!("/v0/auth/saml/idp/login?tenant_id={t}&token={token}&uuid={uuid}");
        let page = cx.get(login.clone()).send().await?.ok()?;
        let html = page.as_str().unwrap_or("");
        ensure!(
            html.contains(&format!("action=\"{ACS}\"")) && html.contains("SAMLResponse"),
            "the login page posts a SAMLResponse to the ACS URL: {}",
            &html[..html.len().min(300)]
        );
        cx.get(login).send().await?.err(400, "Invalid token")?;
        let token = saml_token(&cx, &tokens.access).await?;
        let page = cx
            .get(format!("/v0/auth/saml/idp/logout?tenant_id={t}&token={token}&uuid={uuid}"))
            .send()
            .await?
            .ok()?;
        ensure!(
            page.as_str().unwrap_or("").contains(&format!("action=\"{SLO}\"")),
            "the logout page posts to the SP's logout URL"
        );
        // CS-31's older form: `POST /v0/auth/saml/idp/token` answers the same kind of token.
        let legacy = cx
            .post("/v0/auth/saml/idp/token")
            .bearer(&tokens.access)
            .send()
            .await?
            .ok()?;
        let token = legacy["token"].as_str().unwrap_or("").to_owned();
        let page = cx
            .get(format!("/v0/auth/saml/idp/login?tenant_id={t}&token={token}&uuid={uuid}"))
            .send()
            .await?
            .ok()?;
        ensure!(
            page.as_str().unwrap_or("").contains(&format!("action=\"{ACS}\"")),
            "the legacy POST's token opens the login page too"
        );
        cx.get("/v0/auth/refresh")
            .bearer(&tokens.refresh)
            .send()
            .await?
            .ok()?;
        ensure_eq!(signed["mode"], "live", "a live user");
        Ok(())
    }
    .await;
    cx.put(settings)
        .json(json!({ "mode": "live", "samlServiceProviders": [] }))
        .send()
        .await?
        .ok()?;
    result
}

/// CS-31: SAML is live only.
async fn test_mode(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup_quiet(&cx, &cx.email("samltest"), PASSWORD).await?;
    cx.get("/v0/auth/saml/idp/token")
        .bearer(&tokens.access)
        .send()
        .await?
        .err(400, "SAML is only available in live mode")?;
    Ok(())
}
