//! Schema checks of every response against the documented contract.
//!
//! The runner passes every answer through a [`Contract`] before the scenario sees it, so a
//! missing field, a wrong type, a `201` where `200` is documented or an error body without
//! `error.type` is reported even by scenarios that test something else.
//!
//! [`OpenApi`] is the contract shipped with the runner: the OpenAPI document of the repository
//! (`schemas/openapi.json`, through [`userfront_contract::schema`]) for statuses and bodies, plus
//! the rules of conventions C-1 and C-6 that a schema cannot say (content type, `statusCode`
//! equal to the HTTP status, `rate_limit_error` on every 429, the error shape also on routes
//! the document does not know).

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::routes;

/// Judges an answer against the documented contract of the route it came from.
pub trait Contract: Send + Sync {
    /// What is wrong with the answer; empty when it conforms.
    fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        body: &Value,
    ) -> Vec<String>;
}

/// The contract of `schemas/openapi.json`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenApi;

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The error body of conventions C-6.1: exactly `statusCode`, `message`, `error: {type}` (plus
/// the documented extras `result` and `upstreamResponse`).
fn error_shape(status: u16, body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(obj) = body.as_object() else {
        return vec![format!("a {status} body must be a JSON object")];
    };
    if obj.get("statusCode").and_then(Value::as_u64) != Some(u64::from(status)) {
        problems.push(format!(
            "error body statusCode {} differs from the HTTP status {status}",
            body["statusCode"]
        ));
    }
    if body["message"].as_str().is_none_or(str::is_empty) {
        problems.push("error body needs a non-empty message".into());
    }
    match body["error"]["type"].as_str() {
        Some("bad_request_error" | "intended_error" | "rate_limit_error") => {}
        other => problems.push(format!(
            "error.type must be a documented type, got {other:?}"
        )),
    }
    if status == 429 && body["error"]["type"] != "rate_limit_error" {
        problems.push("a 429 must have error.type rate_limit_error".into());
    }
    for key in obj.keys() {
        if ![
            "statusCode",
            "message",
            "error",
            "result",
            "upstreamResponse",
        ]
        .contains(&key.as_str())
        {
            problems.push(format!("error body has an undocumented member {key:?}"));
        }
    }
    problems
}

impl Contract for OpenApi {
    fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        body: &Value,
    ) -> Vec<String> {
        // A CORS preflight answers headers and no body (conventions C-1); the CORS scenario
        // judges it.
        if method == "OPTIONS" && status < 300 {
            return Vec::new();
        }
        let route = routes::find(method, path);
        let mut problems = Vec::new();
        let html = route.is_some_and(|r| r.answers_html()) && status == 200;
        let redirect = status == 302;
        if html {
            if !content_type(headers).starts_with("text/html") {
                problems.push("the SAML page must be text/html".into());
            }
        } else if !redirect && !content_type(headers).starts_with("application/json") {
            problems.push(format!("a {status} answer must be application/json"));
        }
        if status >= 400 {
            problems.extend(error_shape(status, body));
        }
        if redirect && headers.get("location").is_none() {
            problems.push("a 302 needs a Location header".into());
        }
        // Routes outside the documented API (unknown paths answered 404) have no operation.
        let documented = route.is_some() || status < 400;
        if let (true, Err(errors)) = (
            documented,
            userfront_contract::schema::validate_response(method, path, status, body),
        ) {
            problems.extend(errors);
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            "application/json; charset=utf-8".parse().unwrap(),
        );
        h
    }

    #[test]
    fn error_bodies_need_all_three_members() {
        let c = OpenApi;
        let good =
            json!({"statusCode": 400, "message": "x", "error": {"type": "bad_request_error"}});
        assert_eq!(
            c.check("POST", "/v0/auth/basic", 400, &json_headers(), &good),
            Vec::<String>::new()
        );
        let bad = json!({"statusCode": 400, "message": "x", "error": {}});
        assert!(
            !c.check("POST", "/v0/auth/basic", 400, &json_headers(), &bad)
                .is_empty()
        );
        assert!(
            !c.check("POST", "/v0/auth/basic", 401, &json_headers(), &good)
                .is_empty()
        );
        let unknown = json!({"statusCode": 404, "message": "Not Found", "error": {"type": "bad_request_error"}});
        assert!(
            c.check("GET", "/v0/no/such", 404, &json_headers(), &unknown)
                .is_empty()
        );
    }

    #[test]
    fn success_must_be_200() {
        let c = OpenApi;
        let body =
            json!({"mode": "test", "authentication": {"firstFactors": [], "secondFactors": []}});
        let path = "/v0/tenants/demo1234/mode";
        assert_eq!(
            c.check("GET", path, 200, &json_headers(), &body),
            Vec::<String>::new()
        );
        assert!(!c.check("GET", path, 201, &json_headers(), &body).is_empty());
    }
}
