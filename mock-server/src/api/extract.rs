//! The extractors every handler uses: [`Body`] (the JSON body as an object, checked against the
//! route's request schema ([`crate::schema`]) and with typed accessors that refuse wrong types
//! with a message naming the field), [`Ctx`] (what a browser request says about itself: origin,
//! bearer, query, address), [`PathTenant`] (the `{tenantId}` of the tenant form of a path) and
//! the [`Scope`] a client request acts on.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};

use crate::error::{Error, Result, msg};
use crate::state::World;
use crate::state::model::Mode;

// ---------------------------------------------------------------------------------------------
// Body

/// A JSON request body; an absent body reads as `{}`; one nested deeper than
/// [`MAX_JSON_DEPTH`] levels is refused with 400 ([`parse_json`]). Before a handler sees it, it is checked
/// against the request schema of the route (`schemas/openapi.json`): a body that does not match
/// is refused with 400 and the API's wording of the first problem (`"email" must be a string`,
/// `Email format is invalid`, ...). Missing fields are left to the handler, which checks them in
/// the documented order. The schemas allow members they do not list (C-1).
#[derive(Clone, Debug, Default)]
pub struct Body(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        // The route template and method pick the request schema (`schemas/openapi.json`).
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        let method = req.method().clone();
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::new(413, msg::PAYLOAD_TOO_LARGE)
            } else {
                Error::bad_request(msg::INVALID_JSON)
            }
        })?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            match parse_json(&bytes)? {
                body @ Value::Object(_) => body,
                _ => return Err(Error::bad_request("\"value\" must be of type object")),
            }
        };
        if let Some(message) =
            route.and_then(|route| crate::schema::request_refusal(method.as_str(), &route, &body))
        {
            return Err(Error::bad_request(message));
        }
        match body {
            Value::Object(map) => Ok(Body(map)),
            _ => Ok(Body::default()),
        }
    }
}

/// Nesting limit of JSON from outside (bodies, the SSO `data` parameter); see
/// [`crate::state::bounded::MAX_JSON_DEPTH`].
pub use crate::state::bounded::MAX_JSON_DEPTH;

/// Parses JSON from outside: 400 `Invalid request payload JSON format` when it is not JSON,
/// 400 [`msg::JSON_TOO_DEEP`] when it nests deeper than [`MAX_JSON_DEPTH`] levels. Deeper
/// documents are refused here, at the edge, because what is stored must still load when the
/// state file wraps it in a few more levels (the JSON parser stops at 128).
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) if crate::state::bounded::json_depth(&value) > MAX_JSON_DEPTH => {
            Err(Error::bad_request(msg::JSON_TOO_DEEP))
        }
        Ok(value) => Ok(value),
        // The parser's own limit (128 levels) is the same refusal, said the same way.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            Err(Error::bad_request(msg::JSON_TOO_DEEP))
        }
        Err(_) => Err(Error::bad_request(msg::INVALID_JSON)),
    }
}

fn type_error(key: &str, kind: &str) -> Error {
    Error::bad_request(format!("\"{key}\" must be {kind}"))
}

impl Body {
    /// The raw value of a member (`null` counts as absent).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// An optional string member.
    pub fn str(&self, key: &str) -> Result<Option<&str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(type_error(key, "a string")),
        }
    }

    /// A required, non-empty string member.
    pub fn required_str(&self, key: &str) -> Result<&str> {
        match self.str(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(Error::required(key)),
        }
    }

    /// An optional boolean member.
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(type_error(key, "a boolean")),
        }
    }

    /// An optional positive integer member (numbers and numeric strings).
    pub fn u64(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            // `3.0` is an integer too (JSON Schema counts numbers by value, not spelling).
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < 9.0e15)
                        .map(|f| f as u64)
                })
                .filter(|&n| n > 0)
                .map(Some)
                .ok_or_else(|| type_error(key, "a positive integer")),
            // A blank string is no value, as `null` is.
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .map(Some)
                .ok_or_else(|| type_error(key, "a positive integer")),
            Some(_) => Err(type_error(key, "a positive integer")),
        }
    }

    /// An optional object member.
    pub fn object(&self, key: &str) -> Result<Option<&Map<String, Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(type_error(key, "of type object")),
        }
    }

    /// A code member that may be sent as a string or a number (verification and TOTP codes).
    pub fn code(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) if n.is_u64() => {
                Ok(Some(format!("{:06}", n.as_u64().unwrap_or(0))))
            }
            Some(_) => Err(type_error(key, "a string")),
        }
    }

    /// The `options` object (empty when absent).
    pub fn options(&self) -> Result<Body> {
        Ok(Body(self.object("options")?.cloned().unwrap_or_default()))
    }

    /// `options.<key>` as a boolean, false when absent.
    pub fn option_flag(&self, key: &str) -> Result<bool> {
        Ok(self.options()?.bool(key)?.unwrap_or(false))
    }
}

// ---------------------------------------------------------------------------------------------
// Request context

/// What a client request says about itself.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// The calling page origin: `x-origin`, else `Origin`, else `x-application-id` (C-4.2).
    pub origin: Option<String>,
    /// The bearer credential of the `Authorization` header.
    pub bearer: Option<String>,
    /// Query parameters.
    pub query: HashMap<String, String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The credential of `Authorization: Bearer <credential>` (scheme case-insensitive). Read on
/// every authenticated request, so it copies the credential once and nothing else.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, credential) = value.split_once(' ')?;
    let credential = credential.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty()).then(|| credential.to_owned())
}

/// The calling page origin: `x-origin`, else `Origin`, else `x-application-id` (C-4.2).
pub fn origin(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "x-origin")
        .or_else(|| header_str(headers, "origin"))
        .or_else(|| header_str(headers, "x-application-id"))
}

/// Parses a query string into a map (later duplicates win).
pub fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    query
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let headers = &parts.headers;
        let query = parse_query(parts.uri.query());
        let origin = origin(headers);
        let ip = header_str(headers, "x-forwarded-for")
            .and_then(|v| v.split(',').next().map(|s| s.trim().to_owned()))
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip().to_string())
            });
        Ok(Ctx {
            origin,
            bearer: bearer(headers),
            query,
            ip,
            user_agent: header_str(headers, "user-agent"),
        })
    }
}

/// Whether `host` is `localhost` or a private IPv4 address (never live, C-4.2).
fn is_local_host(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let octets: Vec<u8> = host.split('.').filter_map(|p| p.parse().ok()).collect();
    if octets.len() != 4 || host.split('.').count() != 4 {
        return false;
    }
    matches!(octets[..], [127, ..] | [10, ..] | [192, 168, ..])
        || (octets[0] == 172 && (16..=31).contains(&octets[1]))
}

/// The mode of a client request to `tenant_id` (conventions C-4.2 steps 2–4): live only for an
/// `https` origin on a live domain of a workspace that activated live mode.
pub fn detect_mode(world: &World, tenant_id: &str, origin: Option<&str>) -> Result<Mode> {
    let workspace = world.workspace_of(tenant_id)?;
    let Some(origin) = origin else {
        return Ok(Mode::Test);
    };
    let Some(rest) = origin.strip_prefix("https://") else {
        return Ok(Mode::Test);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(authority, |(h, _)| h)
        .to_lowercase();
    let live = workspace.has_activated_live_mode
        && !is_local_host(&host)
        && workspace.live_domains.iter().any(|domain| {
            let domain = domain.to_lowercase();
            host == domain || host.ends_with(&format!(".{domain}"))
        });
    Ok(if live { Mode::Live } else { Mode::Test })
}

/// The mode a firstFactorToken belongs to.
pub fn first_factor_mode(token: &str) -> Option<Mode> {
    if token.starts_with("uf_test_first_factor_") {
        Some(Mode::Test)
    } else if token.starts_with("uf_live_first_factor_") {
        Some(Mode::Live)
    } else {
        None
    }
}

impl Ctx {
    /// The firstFactorToken of the request, if the bearer is one.
    pub fn first_factor_token(&self) -> Option<&str> {
        self.bearer
            .as_deref()
            .filter(|t| first_factor_mode(t).is_some())
    }

    /// The base of links and redirects for a workspace and mode (conventions C-8.2).
    pub fn base_url(&self, world: &World, tenant_id: &str, mode: Mode) -> Result<String> {
        let workspace = world.workspace_of(tenant_id)?;
        Ok(crate::state::messages::base_url(
            self.origin.as_deref(),
            workspace,
            mode,
        ))
    }

    /// `code_challenge` and its method when the sign-on asked for PKCE.
    pub fn code_challenge(&self) -> Option<(String, String)> {
        self.query
            .get("code_challenge")
            .filter(|c| !c.is_empty())
            .map(|c| {
                let method = self
                    .query
                    .get("code_challenge_method")
                    .cloned()
                    .unwrap_or_else(|| "S256".to_owned());
                (c.clone(), method)
            })
    }
}

/// The tenant and mode a client endpoint acts on: a model type, re-exported for the handlers.
pub use crate::state::Scope;

/// The `{tenantId}` path segment of the tenant form, if the route has one.
#[derive(Clone, Debug, Default)]
pub struct PathTenant(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for PathTenant {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::bad_request("Invalid path"))?;
        Ok(PathTenant(
            params
                .iter()
                .find(|(name, _)| *name == "tenantId")
                .map(|(_, value)| value.to_owned()),
        ))
    }
}

impl PathTenant {
    /// The tenant and mode of a client request: the path tenant wins over the body's
    /// `tenantId` (C-2.1); the mode comes from a firstFactorToken, else from the origin (C-4.2).
    pub fn client_scope(&self, world: &World, body: &Body, ctx: &Ctx) -> Result<Scope> {
        let tenant_id = match &self.0 {
            Some(t) => t.clone(),
            None => body.required_str("tenantId")?.trim().to_owned(),
        };
        let mode = match ctx.first_factor_token().and_then(first_factor_mode) {
            Some(mode) => mode,
            None => detect_mode(world, &tenant_id, ctx.origin.as_deref())?,
        };
        world.realm_of(&tenant_id, mode)?;
        Ok(Scope { tenant_id, mode })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts_are_never_live() {
        for host in [
            "localhost",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.9.9",
            "192.168.1.1",
        ] {
            assert!(is_local_host(host), "{host}");
        }
        for host in ["example.com", "172.32.0.1", "8.8.8.8", "10.example.com"] {
            assert!(!is_local_host(host), "{host}");
        }
    }
}
