//! The route table (`schemas/operations.json`) and the matching of a request path to the
//! route it exercises.
//!
//! `operations.json` is the one hand-edited list of routes: the OpenAPI paths
//! ([`crate::openapi::build`]), the conformance runner's table and coverage, and the mock's
//! "every documented route is routed" test all derive from it. Matching lives here once:
//! literal segments win over parameters (conventions C-2.3), so `/v0/users/find` is not
//! `/v0/users/{userId}`.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The endpoint groups of the spec (the `tag` of an operation), used to organise scenarios
/// and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Auth,
    Session,
    #[serde(rename = "self")]
    SelfUser,
    Misc,
    Mfa,
    Sso,
    Saml,
    Users,
    Tenants,
    Roles,
    Imports,
    Keys,
    Jwt,
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 13] = [
        Group::Auth,
        Group::Session,
        Group::SelfUser,
        Group::Misc,
        Group::Mfa,
        Group::Sso,
        Group::Saml,
        Group::Users,
        Group::Tenants,
        Group::Roles,
        Group::Imports,
        Group::Keys,
        Group::Jwt,
    ];

    /// The name used in `operations.json` (`tag`), `endpoints.tsv`, scenario names and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Auth => "auth",
            Group::Session => "session",
            Group::SelfUser => "self",
            Group::Misc => "misc",
            Group::Mfa => "mfa",
            Group::Sso => "sso",
            Group::Saml => "saml",
            Group::Users => "users",
            Group::Tenants => "tenants",
            Group::Roles => "roles",
            Group::Imports => "imports",
            Group::Keys => "keys",
            Group::Jwt => "jwt",
        }
    }

    /// The group named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// Who calls a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Browsers and apps (`@userfront/core`), with user tokens or none.
    Client,
    /// Servers, with an API key.
    Server,
    /// The mock's own control surface (`/__mock`), not part of Userfront.
    Mock,
}

impl Side {
    /// `client`, `server` or `mock`, as `operations.json` and `endpoints.tsv` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
            Side::Mock => "mock",
        }
    }
}

/// One operation of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub operation_id: &'static str,
    /// Upper case: `GET`, `POST`, ...
    pub method: &'static str,
    /// The docs form of the path (`/v0/auth/basic`).
    pub path: &'static str,
    /// The tenant form of the same operation (`/v0/tenants/{tenantId}/auth/basic`), if any.
    pub alias: Option<&'static str>,
    pub side: Side,
    /// The spec's endpoint group; `None` only for the mock's control surface.
    pub group: Option<Group>,
    /// The credential kind (`public`, `user`, `admin`, `reader`, ...; conventions C-5).
    pub auth: &'static str,
    /// What a success is: a schema name, or `redirect`, `html`, `htmlOrRedirect`, `object`.
    pub response: &'static str,
}

impl Route {
    /// `METHOD /path`, as reports print it.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path forms of the route: the docs form, then the tenant form.
    pub fn forms(&self) -> impl Iterator<Item = &'static str> + use<> {
        [Some(self.path), self.alias].into_iter().flatten()
    }

    /// A success answers an HTML page (the SAML pages).
    pub fn answers_html(&self) -> bool {
        matches!(self.response, "html" | "htmlOrRedirect")
    }

    /// Part of the Userfront API (not the mock's control surface).
    pub fn is_userfront(&self) -> bool {
        self.side != Side::Mock
    }
}

/// Every operation of `schemas/operations.json`, in file order.
///
/// The fields borrow from the embedded text: no JSON tree of the table is kept (it was most of
/// the mock's heap at idle), and the `document` and `parameters` sections are skipped unread.
pub fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        // A broken table is caught by this crate's tests before it can ship.
        parse(crate::OPERATIONS_JSON).unwrap_or_else(|e| panic!("schemas/operations.json: {e}"))
    })
}

/// One operation as `operations.json` writes it (the members a route needs).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Op<'a> {
    operation_id: &'a str,
    method: &'a str,
    path: &'a str,
    #[serde(default)]
    alias: Option<&'a str>,
    #[serde(default)]
    side: Option<&'a str>,
    tag: &'a str,
    auth: &'a str,
    response: &'a str,
}

/// The routes of an `operations.json` text.
pub fn parse(text: &'static str) -> Result<Vec<Route>, String> {
    #[derive(Deserialize)]
    struct Table<'a> {
        #[serde(borrow)]
        operations: Vec<Op<'a>>,
    }
    let table: Table<'static> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    table.operations.into_iter().map(parse_one).collect()
}

fn parse_one(op: Op<'static>) -> Result<Route, String> {
    let operation_id = op.operation_id;
    let method = match op.method {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "patch" => "PATCH",
        "delete" => "DELETE",
        other => return Err(format!("{operation_id}: unknown method {other:?}")),
    };
    let side = match op.side {
        None | Some("client") => Side::Client,
        Some("server") => Side::Server,
        Some("mock") => Side::Mock,
        Some(other) => return Err(format!("{operation_id}: unknown side {other:?}")),
    };
    let group = Group::parse(op.tag);
    if group.is_none() && side != Side::Mock {
        return Err(format!("{operation_id}: unknown group {:?}", op.tag));
    }
    Ok(Route {
        operation_id,
        method,
        path: op.path,
        alias: op.alias,
        side,
        group,
        auth: op.auth,
        response: op.response,
    })
}

/// The operation of every row of the spec's checklist (`endpoints.tsv`), in its order: what
/// the spec requires an implementation to serve, and a full conformance run to exercise. (The
/// table has more: operations the seeds document beyond the checklist, and the mock's own.)
pub fn checklist() -> impl Iterator<Item = &'static Route> {
    crate::ENDPOINTS_TSV.lines().skip(1).filter_map(|line| {
        let mut cols = line.split('\t');
        let (method, path) = (cols.next()?, cols.next()?);
        routes()
            .iter()
            .find(|r| r.method == method && r.path == path)
    })
}

/// How well `template` matches `path`: `None` if not at all, else which segments are literal
/// (compared as a sequence, so a literal earlier in the path weighs more: conventions C-2.3).
pub fn score(template: &str, path: &str) -> Option<Vec<bool>> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let t = template.split('/');
    let p = path.split('/');
    if t.clone().count() != p.clone().count() {
        return None;
    }
    t.zip(p)
        .map(|(ts, ps)| {
            if ts.starts_with('{') && ts.ends_with('}') {
                (!ps.is_empty()).then_some(false)
            } else {
                (ts == ps).then_some(true)
            }
        })
        .collect()
}

/// The route among `routes` that a request exercises (query string ignored), if any.
pub fn find_in<'a>(
    routes: impl IntoIterator<Item = &'a Route>,
    method: &str,
    path: &str,
) -> Option<&'a Route> {
    routes
        .into_iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .filter_map(|r| Some((r.forms().filter_map(|t| score(t, path)).max()?, r)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r)
}

/// The route of the table that a request exercises (query string ignored), if any.
pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    find_in(routes(), method, path)
}

/// The path template of the table (either form, any method) that serves `path`
/// (`/v0/users/7` → `/v0/users/{userId}`). These are the paths of the OpenAPI document.
pub fn route_template(path: &str) -> Option<&'static str> {
    routes()
        .iter()
        .flat_map(Route::forms)
        .filter_map(|t| Some((score(t, path)?, t)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_every_group() {
        let routes = routes();
        assert!(routes.len() > 82, "{} routes", routes.len());
        for group in Group::ALL {
            assert!(routes.iter().any(|r| r.group == Some(group)), "{group:?}");
        }
        assert!(
            routes
                .iter()
                .all(|r| r.group.is_some() || r.side == Side::Mock)
        );
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        // (method, request path, the route it must be matched to)
        for (method, path, route) in [
            (
                "GET",
                "/v0/tenants/demo1234/keys/jwt?test=true",
                "/v0/tenants/{tenantId}/keys/jwt",
            ),
            (
                "GET",
                "/v0/tenants/demo1234/keys/admin",
                "/v0/tenants/{tenantId}/keys/{type}",
            ),
            ("POST", "/v0/users/find", "/v0/users/find"),
            ("GET", "/v0/users/7", "/v0/users/{userId}"),
            ("GET", "/v0/auth/saml/idp/login", "/v0/auth/saml/idp/login"),
            ("POST", "/v0/tenants/demo1234/auth/basic", "/v0/auth/basic"),
            ("GET", "/__mock/state", "/__mock/state"),
        ] {
            assert_eq!(
                find(method, path).map(|r| r.path),
                Some(route),
                "{method} {path}"
            );
        }
        assert!(find("GET", "/v0/nowhere").is_none());
        assert!(find("PATCH", "/v0/users/7").is_none());
    }

    #[test]
    fn templates_prefer_literal_segments() {
        for (path, template) in [
            (
                "/v0/tenants/demo1234/keys/jwt",
                "/v0/tenants/{tenantId}/keys/jwt",
            ),
            (
                "/v0/tenants/demo1234/keys/admin",
                "/v0/tenants/{tenantId}/keys/{type}",
            ),
            ("/v0/users/find", "/v0/users/find"),
            ("/v0/users/7?x=1", "/v0/users/{userId}"),
            ("/v0/auth/logout/all", "/v0/auth/logout/all"),
            ("/v0/auth/saml/idp/login", "/v0/auth/saml/idp/login"),
        ] {
            assert_eq!(route_template(path), Some(template), "{path}");
        }
        assert_eq!(route_template("/v0/nowhere"), None);
        assert_eq!(route_template("/v0/users/"), None, "an empty parameter");
    }
}
