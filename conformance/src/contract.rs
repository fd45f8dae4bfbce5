//! Schema checks of every response against the documented contract.
//!
//! The runner passes every answer through a [`Contract`] before the scenario sees it, so a
//! missing field, a wrong type, a `201` where `200` is documented or an error body without
//! `error.type` is reported even by scenarios that test something else.
//!
//! [`Builtin`] is the contract shipped with the runner: the response shapes of conventions
//! C-6, C-12, C-13 and C-16 as JSON Schemas (`contract.json`), looked up through the route
//! table of [`crate::routes`].

use std::collections::HashMap;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

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

const SCHEMAS: &str = include_str!("contract.json");

/// The contract shipped with the runner.
pub struct Builtin {
    validators: HashMap<String, jsonschema::Validator>,
}

impl Builtin {
    /// Compiles the shipped schemas.
    pub fn new() -> Self {
        let doc: Value = serde_json::from_str(SCHEMAS).expect("contract.json is JSON");
        let defs = doc["$defs"].as_object().cloned().unwrap_or_default();
        let validators = defs
            .keys()
            .map(|name| {
                let schema = json!({ "$defs": defs, "$ref": format!("#/$defs/{name}") });
                let validator = jsonschema::validator_for(&schema)
                    .unwrap_or_else(|e| panic!("schema {name} compiles: {e}"));
                (name.clone(), validator)
            })
            .collect();
        Builtin { validators }
    }

    /// Violations of the named schema (`$defs` member), each with the JSON pointer it is at.
    pub fn violations(&self, schema: &str, body: &Value) -> Vec<String> {
        match self.validators.get(schema) {
            Some(v) => v
                .iter_errors(body)
                .map(|e| {
                    let at = e.instance_path.to_string();
                    let at = if at.is_empty() { "/".to_owned() } else { at };
                    format!("{schema} at {at}: {e}")
                })
                .collect(),
            None => vec![format!("the contract has no schema {schema}")],
        }
    }
}

impl Default for Builtin {
    fn default() -> Self {
        Self::new()
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

impl Contract for Builtin {
    fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        body: &Value,
    ) -> Vec<String> {
        let route = routes::find(method, path);
        let mut problems = Vec::new();
        if status >= 400 {
            if !is_json(headers) {
                problems.push(format!("a {status} answer must be application/json"));
            }
            problems.extend(self.violations("Error", body));
            if body.get("statusCode").and_then(Value::as_u64) != Some(u64::from(status)) {
                problems.push(format!(
                    "error body statusCode {} differs from the HTTP status {status}",
                    body["statusCode"]
                ));
            }
            if status == 429 && body["error"]["type"] != "rate_limit_error" {
                problems.push("a 429 must have error.type rate_limit_error".into());
            }
            return problems;
        }
        let Some(route) = route else {
            return problems;
        };
        match route.response {
            "Redirect" => {
                if status != 302 {
                    problems.push(format!("{} must answer 302, got {status}", route.label()));
                } else if headers.get("location").is_none() {
                    problems.push("a 302 needs a Location header".into());
                }
            }
            "Html" => {
                let html = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("text/html"));
                if status != 200 && status != 302 {
                    problems.push(format!("{} must answer 200, got {status}", route.label()));
                } else if status == 200 && !html {
                    problems.push("the SAML page must be text/html".into());
                }
            }
            schema => {
                if status != 200 {
                    problems.push(format!(
                        "success must be 200 (conventions C-1), got {status} from {}",
                        route.label()
                    ));
                }
                if !is_json(headers) {
                    problems.push("a JSON answer must be application/json".into());
                }
                problems.extend(self.violations(schema, body));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            "application/json; charset=utf-8".parse().unwrap(),
        );
        h
    }

    #[test]
    fn every_schema_named_by_a_route_exists() {
        let c = Builtin::new();
        for r in routes::ROUTES {
            if !["Redirect", "Html"].contains(&r.response) {
                assert!(c.validators.contains_key(r.response), "{}", r.response);
            }
        }
    }

    #[test]
    fn error_bodies_need_all_three_members() {
        let c = Builtin::new();
        let good =
            json!({"statusCode": 400, "message": "x", "error": {"type": "bad_request_error"}});
        assert!(
            c.check("POST", "/v0/auth/basic", 400, &json_headers(), &good)
                .is_empty()
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
    }

    #[test]
    fn success_must_be_200() {
        let c = Builtin::new();
        let body =
            json!({"mode": "test", "authentication": {"firstFactors": [], "secondFactors": []}});
        let path = "/v0/tenants/demo1234/mode";
        assert!(c.check("GET", path, 200, &json_headers(), &body).is_empty());
        assert!(!c.check("GET", path, 201, &json_headers(), &body).is_empty());
    }
}
