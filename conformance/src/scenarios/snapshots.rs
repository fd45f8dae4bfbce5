//! Canonical flows kept as contract snapshots (see [`crate::snapshot`]): what a client sees,
//! request by request, with run-dependent values redacted.

use serde_json::json;

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::snapshot;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("snapshot.password_flow", Group::Auth, password_flow)
            .checks(&["C-13.1", "C-16.1"]),
        Scenario::new("snapshot.public_keys", Group::Jwt, public_keys).checks(&["C-17", "C-16.7"]),
        Scenario::new("snapshot.error_catalogue", Group::Auth, errors).checks(&["C-6.4"]),
    ]
    .into_iter()
    .map(|s| s.tags(&["snapshot"]))
    .collect()
}

/// Sign up, log in, read and update self, read sessions, refresh, log out, refresh refused.
async fn password_flow(cx: Cx) -> Outcome {
    let t = cx.tenant().to_owned();
    let email = format!("cf-{}-snapshot@example.com", cx.target.run_id);
    let signed = cx
        .post(format!("/v0/tenants/{t}/auth/create"))
        .json(json!({ "email": email, "password": PASSWORD, "name": "Snapshot Person", "username": format!("cf-{}-snapshot", cx.target.run_id), "data": { "plan": "pro" } }))
        .send()
        .await?;
    cx.created_user(crate::target::Mode::Test, signed.body());
    signed.ok()?;
    let login = cx
        .post(format!("/v0/tenants/{t}/auth/basic"))
        .json(json!({ "emailOrUsername": email, "password": PASSWORD }))
        .send()
        .await?
        .ok()?;
    let access = flows::token(&login, "access")?;
    let refresh = flows::token(&login, "refresh")?;
    // What a signed-in client does next, each step answered 200.
    let steps = [
        cx.get("/v0/self").bearer(access),
        cx.put("/v0/self")
            .bearer(access)
            .json(json!({ "name": "Renamed Person", "data": { "theme": "dark" } })),
        cx.get("/v0/auth/session").bearer(access),
        cx.get("/v0/auth/refresh").bearer(refresh),
        cx.get("/v0/auth/logout").bearer(access),
    ];
    for step in steps {
        step.send().await?.ok()?;
    }
    flows::refresh_refused(&cx, refresh).await?;
    snapshot::check(&cx, "password_flow")
}

/// The mode lookup, the JWKS and the PEM listing of test mode.
async fn public_keys(cx: Cx) -> Outcome {
    let t = cx.tenant().to_owned();
    for what in ["mode", "jwks?test=true", "keys/jwt?test=true"] {
        cx.get(format!("/v0/tenants/{t}/{what}"))
            .send()
            .await?
            .ok()?;
    }
    snapshot::check(&cx, "public_keys")
}

/// One answer per documented error of the areas above (conventions C-6).
async fn errors(cx: Cx) -> Outcome {
    let t = cx.tenant().to_owned();
    let email = format!("cf-{}-errors@example.com", cx.target.run_id);
    let calls = [
        (
            "/v0/auth/create".to_owned(),
            json!({ "email": email, "password": PASSWORD }),
        ),
        (
            format!("/v0/tenants/{t}/auth/create"),
            json!({ "password": PASSWORD }),
        ),
        (
            format!("/v0/tenants/{t}/auth/create"),
            json!({ "email": "nope", "password": PASSWORD }),
        ),
        (
            format!("/v0/tenants/{t}/auth/create"),
            json!({ "email": email, "password": "short" }),
        ),
        (
            format!("/v0/tenants/{t}/auth/basic"),
            json!({ "emailOrUsername": email, "password": PASSWORD }),
        ),
        (
            "/v0/tenants/zz000000/auth/basic".to_owned(),
            json!({ "emailOrUsername": email, "password": PASSWORD }),
        ),
    ];
    for (path, body) in calls {
        let resp = cx.post(path).json(body).send().await?;
        resp.expect_status(resp.status().max(400))?;
    }
    for (req, status) in [
        (cx.get("/v0/self"), 401),
        (cx.get("/v0/self").bearer("nonsense"), 401),
        (cx.get("/v0/auth/refresh").bearer("nonsense"), 401),
        (cx.get("/v0/nothing/here"), 404),
    ] {
        req.send().await?.expect_status(status)?;
    }
    snapshot::check(&cx, "error_catalogue")
}
