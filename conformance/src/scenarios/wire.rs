//! The wire itself: bodies that are not JSON (conventions C-1, C-6) and CORS for browser
//! clients (C-1, C-11.1).

use reqwest::Method;
use serde_json::json;

use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Resp, Scenario};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("misc.body.not_json_is_refused", Group::Misc, not_json)
            .checks(&["C-1", "C-6.1", "C-6.2", "CS-4", "SS-1", "CS-26"]),
        Scenario::new("misc.cors.preflight_and_allowed_origin", Group::Misc, cors)
            .checks(&["C-1", "C-11.1", "CS-27"]),
    ]
}

/// Bodies that are not JSON: a truncated object, a bare word, half an array.
const NOT_JSON: &[&str] = &[r#"{"emailOrUsername": "a"#, "email=x", "[1,", "{,}"];

/// C-1, C-6: a body that is not JSON gets the documented 400, on a public, a user and an admin
/// route alike; nothing is created.
async fn not_json(cx: Cx) -> Outcome {
    let (_, tokens) =
        super::flows::signup(&cx, &cx.email("notjson"), super::flows::PASSWORD).await?;
    let tenant = cx.tenant().to_owned();
    let routes = [
        (
            Method::POST,
            format!("/v0/tenants/{tenant}/auth/basic"),
            None,
        ),
        (
            Method::POST,
            "/v0/users".to_owned(),
            Some(cx.admin().to_owned()),
        ),
        (
            Method::PUT,
            "/v0/self".to_owned(),
            Some(tokens.access.clone()),
        ),
    ];
    for body in NOT_JSON {
        for (method, path, bearer) in &routes {
            let mut req = cx.req(method.clone(), path.clone()).raw(body);
            if let Some(bearer) = bearer {
                req = req.bearer(bearer);
            }
            req.send().await?.err_type(
                400,
                userfront_contract::msg::INVALID_JSON,
                "bad_request_error",
            )?;
        }
    }
    Ok(())
}

/// A response header, or "".
fn header<'a>(resp: &'a Resp, name: &str) -> &'a str {
    resp.inner.header(name).unwrap_or("")
}

/// C-1: `/v0/*` answers a CORS preflight from any origin, mirroring it with credentials and
/// allowing the method and headers asked for; real answers (also errors) carry the same
/// `Access-Control-Allow-Origin`.
async fn cors(cx: Cx) -> Outcome {
    let tenant = cx.tenant().to_owned();
    for origin in ["http://localhost:3000", "https://app.example.org"] {
        let preflight = cx
            .req(Method::OPTIONS, format!("/v0/tenants/{tenant}/auth/basic"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,x-origin",
            )
            .send()
            .await?;
        ensure!(
            (200..300).contains(&preflight.status()),
            "a preflight is answered 2xx, got {}",
            preflight.status()
        );
        preflight.judge();
        ensure_eq!(
            header(&preflight, "access-control-allow-origin"),
            origin,
            "preflight Access-Control-Allow-Origin mirrors the origin"
        );
        ensure_eq!(
            header(&preflight, "access-control-allow-credentials"),
            "true",
            "preflight Access-Control-Allow-Credentials"
        );
        let methods = header(&preflight, "access-control-allow-methods").to_uppercase();
        ensure!(
            methods.contains("POST") || methods.contains('*'),
            "preflight allows POST: {methods:?}"
        );
        let headers = header(&preflight, "access-control-allow-headers").to_lowercase();
        for asked in ["authorization", "content-type", "x-origin"] {
            ensure!(
                headers.contains(asked) || headers.contains('*'),
                "preflight allows the {asked} header: {headers:?}"
            );
        }
        // A real answer, a success and an error, carries the same allow-origin.
        let ok = cx
            .get(format!("/v0/tenants/{tenant}/mode"))
            .header("origin", origin)
            .send()
            .await?;
        ok.expect_status(200)?;
        ensure_eq!(
            header(&ok, "access-control-allow-origin"),
            origin,
            "a 200 carries Access-Control-Allow-Origin"
        );
        let refused = cx
            .post(format!("/v0/tenants/{tenant}/auth/basic"))
            .header("origin", origin)
            .json(json!({ "emailOrUsername": cx.email("nobody"), "password": "wrong-Passw0rd" }))
            .send()
            .await?;
        refused.expect_status(400)?;
        ensure_eq!(
            header(&refused, "access-control-allow-origin"),
            origin,
            "an error answer carries Access-Control-Allow-Origin (a browser must read it)"
        );
        ensure_eq!(
            header(&refused, "access-control-allow-credentials"),
            "true",
            "an error answer carries Access-Control-Allow-Credentials"
        );
    }
    Ok(())
}
