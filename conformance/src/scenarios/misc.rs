//! Public tenant lookups (client-to-server CS-27, CS-28) and mode detection (conventions C-4.2).

use serde_json::Value;

use serde_json::json;

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::target::Need;
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "misc.mode.detects_live_origins",
            Group::Misc,
            mode_detection,
        )
        .checks(&["C-4.2", "C-11.1"])
        .tags(&["mode"])
        .needs(&[Need::Live]),
        Scenario::new("misc.mode.test_without_live_origin", Group::Misc, mode_test)
            .checks(&["C-4.2"]),
        Scenario::new(
            "misc.flows_default.returns_the_flow",
            Group::Misc,
            default_flow,
        )
        .checks(&["C-16.10"]),
        Scenario::new("misc.mods.need_a_role", Group::Misc, mods).tags(&["permissions"]),
        Scenario::new("misc.documents.describe_the_api", Group::Misc, documents),
    ]
}

async fn mode_with(cx: &Cx, header: Option<(&str, &str)>) -> Outcome<Value> {
    let mut req = cx.get(format!("/v0/tenants/{}/mode", cx.tenant()));
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    req.send().await?.ok()
}

/// C-4.2: live only for an https origin on a live domain (or a subdomain), whatever header
/// carries it; `x-origin` wins over `Origin`.
async fn mode_detection(cx: Cx) -> Outcome {
    let origin = cx.live_origin()?.to_owned();
    let host = origin.trim_start_matches("https://").to_owned();
    let cases = [
        (Some(("x-origin", origin.clone())), "live"),
        (Some(("origin", origin.clone())), "live"),
        (Some(("x-application-id", origin.clone())), "live"),
        (Some(("x-origin", format!("https://app.{host}"))), "live"),
        (Some(("x-origin", format!("http://{host}"))), "test"),
        (
            Some(("x-origin", format!("https://{host}.attacker.io"))),
            "test",
        ),
        (Some(("x-origin", format!("https://not{host}"))), "test"),
        (Some(("x-origin", "https://localhost".to_owned())), "test"),
        (
            Some(("x-origin", "https://192.168.1.10".to_owned())),
            "test",
        ),
        (None, "test"),
    ];
    for (header, expected) in cases {
        let body = mode_with(&cx, header.as_ref().map(|(n, v)| (*n, v.as_str()))).await?;
        ensure_eq!(body["mode"], expected, "mode for {header:?}");
    }
    // x-origin wins over Origin.
    let body = cx
        .get(format!("/v0/tenants/{}/mode", cx.tenant()))
        .header("x-origin", "http://localhost:3000")
        .header("origin", &origin)
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        body["mode"],
        "test",
        "x-origin takes precedence over Origin"
    );
    Ok(())
}

/// CS-27: no origin is test mode; the flow lists factors; unknown tenants are 404.
async fn mode_test(cx: Cx) -> Outcome {
    let body = mode_with(&cx, None).await?;
    ensure_eq!(body["mode"], "test", "mode without an origin");
    ensure!(
        body["authentication"]["firstFactors"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "a flow with first factors: {}",
        body["authentication"]
    );
    cx.get("/v0/tenants/zz000000/mode")
        .send()
        .await?
        .err(404, "Not Found")?;
    Ok(())
}

/// CS-28: the legacy route returns the flow alone, the same as `/mode` reports.
async fn default_flow(cx: Cx) -> Outcome {
    let mode = mode_with(&cx, None).await?;
    let flow = cx
        .get(format!("/v0/tenants/{}/flows/default", cx.tenant()))
        .send()
        .await?
        .ok()?;
    ensure_eq!(
        flow,
        mode["authentication"],
        "flows/default equals /mode's flow"
    );
    Ok(())
}

/// CS-34: the legacy mods listing needs a role in the tenant.
async fn mods(cx: Cx) -> Outcome {
    let (signed, tokens) = flows::signup(&cx, &cx.email("mods"), PASSWORD).await?;
    let path = format!("/v0/tenants/{}/mods", cx.tenant());
    cx.get(path.clone())
        .bearer(&tokens.access)
        .send()
        .await?
        .err(403, "Forbidden")?;
    cx.get(path.clone())
        .send()
        .await?
        .err(401, "Missing authentication")?;
    let role = cx.unique("modrole");
    flows::create_role(&cx, "/v0", &role).await?;
    flows::set_roles(&cx, "/v0", &signed["userId"], json!([role]))
        .await?
        .ok()?;
    let listed = cx.get(path).bearer(&tokens.access).send().await?.ok()?;
    let titles: Vec<&str> = listed["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|m| m["displayTitle"].as_str())
                .collect()
        })
        .unwrap_or_default();
    crate::coverage::note_members(&["results", "displayTitle"]);
    ensure_eq!(
        titles,
        vec![
            "Signup form",
            "Login form",
            "Password reset form",
            "Logout button"
        ],
        "the legacy mods"
    );
    // CS-34: each mod has a 6-letter `eid`, distinct from the others.
    let eids: std::collections::BTreeSet<&str> = listed["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["eid"].as_str())
        .filter(|e| e.len() == 6 && e.bytes().all(|b| b.is_ascii_lowercase()))
        .collect();
    crate::coverage::note_members(&["eid"]);
    ensure_eq!(
        eids.len(),
        4,
        "four mods with distinct 6-letter eids: {}",
        listed["results"]
    );
    flows::set_roles(&cx, "/v0", &signed["userId"], json!([]))
        .await?
        .ok()?;
    Ok(())
}

/// CS-35, SS-47: the API description documents list paths.
async fn documents(cx: Cx) -> Outcome {
    // CS-35, SS-47: Swagger 2.0 documents, each naming itself and listing its side's paths.
    for (path, sample) in [
        ("/v0/docs.json", "/v0/users/find"),
        ("/v0/docs-client.json", "/v0/auth/basic"),
    ] {
        let doc = cx.get(path).send().await?.ok()?;
        ensure_eq!(doc["swagger"], "2.0", "{path}: swagger version");
        ensure!(
            doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty())
                && doc["info"]["version"]
                    .as_str()
                    .is_some_and(|v| !v.is_empty()),
            "{path}: info names a title and a version: {}",
            doc["info"]
        );
        ensure!(
            doc["paths"]
                .as_object()
                .is_some_and(|p| p.contains_key(sample)),
            "{path} lists {sample}"
        );
    }
    // The OpenAPI 3.1 description (the mock's own route, C-1): paths of both sides and the
    // shared schemas.
    let doc = cx.get("/v0/openapi.json").send().await?.ok()?;
    ensure!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "an OpenAPI 3 document: openapi is {}",
        doc["openapi"]
    );
    ensure!(
        doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()),
        "the OpenAPI info names a title: {}",
        doc["info"]
    );
    ensure!(
        doc["paths"].get("/v0/auth/basic").is_some()
            && doc["paths"].get("/v0/users/find").is_some(),
        "the OpenAPI paths hold both sides' routes"
    );
    ensure!(
        doc["components"]["schemas"].get("User").is_some(),
        "the OpenAPI components hold the User schema"
    );
    Ok(())
}
