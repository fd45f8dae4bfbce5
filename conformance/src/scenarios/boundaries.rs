//! Every documented credential kind on every boundary (conventions C-5, C-6): for each route of
//! the contract's route table (`userfront_contract::routes`, the `auth` column of
//! `endpoints.tsv`) that takes a header credential, every kind the route must not accept is
//! presented and refused as documented (status, message, `error.type`), and every kind it
//! accepts is shown accepted on at least one route of that kind.
//!
//! Kinds: none (no header), the admin, read-only and webhook API keys, a user JWT (a user
//! without roles), a refresh token, a firstFactorToken (when the target has the mock controls,
//! which set up the MFA step) and link credentials' token presented as a bearer. The SAML
//! token is a query parameter of the SAML pages only (test mode refuses SAML), so it has no
//! header boundary to cross.

use serde_json::json;
use userfront_contract::msg;

use super::flows::{self, PASSWORD};
use super::mfa::{pair, with_second_factors};
use crate::ensure;
use crate::routes::{self, Route};
use crate::scenario::{Cx, Outcome, Scenario, fail};
use crate::target::Need;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "keys.credentials.every_kind_on_every_boundary",
            crate::routes::Group::Keys,
            every_boundary,
        )
        .checks(&["C-5", "C-6"])
        .needs(&[Need::Readonly, Need::Webhook]),
    ]
}

/// A credential kind of C-5 presented in the `Authorization` header.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    None,
    Admin,
    Readonly,
    Webhook,
    Jwt,
    Refresh,
    FirstFactor,
    Link,
}

/// How a route must answer a credential: accept it, or refuse it with this status and message.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Accept,
    Refuse(u16, &'static str),
}

/// The documented answer of a route whose `auth` is `auth` to a credential of `kind`; `None`
/// where the route's auth is not a header credential the table covers.
fn expected(auth: &str, kind: Kind) -> Option<Expect> {
    use Expect::{Accept, Refuse};
    let missing = Refuse(401, msg::MISSING_AUTHENTICATION);
    let unauthorized = Refuse(401, msg::UNAUTHORIZED);
    // C-5 key check 3: a key type the route does not allow, or a user token without the
    // roles that stand in for a key (C-6.2: "key or token lacks permission").
    let forbidden = Refuse(403, msg::FORBIDDEN);
    Some(match (auth, kind) {
        ("admin" | "reader" | "user" | "refresh" | "logout" | "userOrFirstFactor", Kind::None) => {
            missing
        }
        ("admin", Kind::Admin) => Accept,
        ("admin", Kind::Readonly | Kind::Webhook | Kind::Jwt) => forbidden,
        ("reader", Kind::Admin | Kind::Readonly) => Accept,
        ("reader", Kind::Webhook | Kind::Jwt) => forbidden,
        ("admin" | "reader", _) => unauthorized,
        ("user", Kind::Jwt) => Accept,
        ("user", _) => unauthorized,
        // C-5: a refresh token is taken only by the refresh route (and logout); anything else
        // there is not a refresh token (C-6.4: `Invalid token`, 401 for header tokens).
        ("refresh", Kind::Refresh) => Accept,
        ("refresh", _) => Refuse(401, msg::INVALID_TOKEN),
        // C-5: logout takes the user's token (expired too, CS-21) or its refresh token.
        ("logout", Kind::Jwt | Kind::Refresh) => Accept,
        ("logout", _) => unauthorized,
        // The TOTP routes take a user token or a firstFactorToken (CS-10, CS-11, C-14.1).
        ("userOrFirstFactor" | "firstFactorOrUser", Kind::Jwt | Kind::FirstFactor) => Accept,
        ("firstFactorOrUser", Kind::None) => return None,
        ("userOrFirstFactor" | "firstFactorOrUser", _) => unauthorized,
        _ => return None,
    })
}

/// Fills the path parameters of a route's docs form.
fn concrete(route: &Route, cx: &Cx, user: &str) -> String {
    route
        .path
        .replace("{tenantId}", cx.tenant())
        .replace("{userId}", user)
        .replace("{importUuid}", "00000000-0000-4000-8000-000000000000")
        .replace("{name}", "no-such-role")
        .replace("{type}", "admin")
        .replace("{provider}", "google")
        .replace("{mode}", "test")
}

async fn every_boundary(cx: Cx) -> Outcome {
    let cx = &cx;
    let email = cx.email("boundary");
    let (signed, tokens) = flows::signup_quiet(cx, &email, PASSWORD).await?;
    let user = signed["userUuid"].as_str().unwrap_or("").to_owned();
    let link = flows::generate_link(cx, &email).await?;
    let mut kinds: Vec<(Kind, String)> = vec![
        (Kind::None, String::new()),
        (Kind::Admin, cx.admin().to_owned()),
        (Kind::Readonly, cx.readonly()?.to_owned()),
        (Kind::Webhook, cx.webhook_key()?.to_owned()),
        (Kind::Jwt, tokens.access.clone()),
        (Kind::Refresh, tokens.refresh.clone()),
        (
            Kind::Link,
            link["result"]["token"].as_str().unwrap_or("").to_owned(),
        ),
    ];
    if cx.target.mock_controls {
        kinds.push((Kind::FirstFactor, first_factor_token(cx, &email).await?));
    }
    let mut wrong = Vec::new();
    for route in routes::all() {
        for (kind, credential) in &kinds {
            let Some(expect) = expected(route.auth, *kind) else {
                continue;
            };
            if expect == Expect::Accept {
                continue;
            }
            let path = concrete(route, cx, &user);
            let method = reqwest::Method::from_bytes(route.method.as_bytes())
                .map_err(|e| fail(format!("{}: {e}", route.method)))?;
            let mut req = cx.req(method, path.clone());
            if !matches!(route.method, "GET" | "DELETE") {
                req = req.json(json!({}));
            }
            if *kind != Kind::None {
                req = req.bearer(credential);
            }
            let resp = req.send().await?;
            resp.judge();
            let Expect::Refuse(status, message) = expect else {
                continue;
            };
            let body = resp.body();
            if resp.status() != status
                || body["message"] != message
                || body["error"]["type"] != "bad_request_error"
            {
                wrong.push(format!(
                    "{} {path} ({} route) with {kind:?}: expected {status} {message:?}, got {} {}",
                    route.method,
                    route.auth,
                    resp.status(),
                    crate::http::short(body, 160)
                ));
            }
        }
    }
    crate::coverage::note_members(&["statusCode", "message", "error", "type"]);
    // The accepted kinds, each once on a route that reads without changing anything.
    let (keys, jwt) = (&kinds, &tokens.access);
    let admin_path = format!("/v0/tenants/{}/keys/admin", cx.tenant());
    let reader_path = format!("/v0/tenants/{}", cx.tenant());
    let accepts: [(&str, &str, Kind, String); 5] = [
        (
            "admin",
            admin_path.as_str(),
            Kind::Admin,
            cx.admin().to_owned(),
        ),
        (
            "reader",
            reader_path.as_str(),
            Kind::Admin,
            cx.admin().to_owned(),
        ),
        (
            "reader",
            reader_path.as_str(),
            Kind::Readonly,
            keys[2].1.clone(),
        ),
        ("user", "/v0/self", Kind::Jwt, jwt.clone()),
        (
            "refresh",
            "/v0/auth/refresh",
            Kind::Refresh,
            tokens.refresh.clone(),
        ),
    ];
    for (auth, path, kind, credential) in accepts {
        let route =
            routes::find("GET", path).ok_or_else(|| fail(format!("no route GET {path}")))?;
        ensure!(
            route.auth == auth && expected(auth, kind) == Some(Expect::Accept),
            "GET {path} is a {} route, not {auth}",
            route.auth
        );
        let resp = cx.get(path).bearer(&credential).send().await?;
        if resp.status() != 200 {
            wrong.push(format!(
                "GET {path} ({auth} route) with {kind:?}: expected 200, got {} {}",
                resp.status(),
                crate::http::short(resp.body(), 160)
            ));
        }
        resp.judge();
    }
    ensure!(
        wrong.is_empty(),
        "{} credential boundaries answered otherwise than documented:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
    Ok(())
}

/// A firstFactorToken: the password step of a sign-on with TOTP as a second factor.
async fn first_factor_token(cx: &Cx, email: &str) -> Outcome<String> {
    let (_, tokens) = flows::login(cx, email, PASSWORD).await?;
    pair(cx, &tokens.access).await?;
    let factors = json!([{ "channel": "authenticator", "strategy": "totp" }]);
    let mut token = String::new();
    let token_ref = &mut token;
    with_second_factors(cx, factors, false, || async move {
        let body = cx
            .post(format!("/v0/tenants/{}/auth/basic", cx.tenant()))
            .json(json!({ "emailOrUsername": email, "password": PASSWORD }))
            .send()
            .await?
            .ok()?;
        *token_ref = body["firstFactorToken"].as_str().unwrap_or("").to_owned();
        Ok(())
    })
    .await?;
    ensure!(
        !token.is_empty(),
        "the password step answered a firstFactorToken"
    );
    Ok(token)
}
