//! Differential mode (`--reference URL`): the same scenarios, with the same seed, against the
//! target and a reference implementation; every place their answers differ is reported.
//!
//! The two runs create different records (each run has its own prefix), so answers are compared
//! by what does not depend on the data: the n-th request of a scenario goes to the same route
//! on both sides; it must get the same status and a body of the same shape (the same members
//! with the same JSON types, recursively; an array by its first item; a member whose name holds
//! a digit, such as a tenant id, by its shape only); and the scenario must
//! reach the same verdict. Once two runs of a scenario send different requests, the rest of it
//! is not compared (it would only repeat the first divergence). A property keeps the requests
//! of its set-up and of its minimal failing case only, so properties are compared by verdict.

use serde_json::Value;

use crate::http::Exchange;
use crate::report::{Difference, ScenarioResult};
use crate::routes;

/// The JSON type structure of a value: member names and types, not values.
pub fn shape(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(items) => match items.first() {
            Some(first) => format!("[{}]", shape(first)),
            None => "[]".into(),
        },
        Value::Object(map) => {
            // A member named by data (a tenant id in `authorization`) is a value, not a name.
            let name = |k: &str| {
                if k.chars().any(|c| c.is_ascii_digit()) {
                    "{id}".to_owned()
                } else {
                    k.to_owned()
                }
            };
            let mut members: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", name(k), shape(v)))
                .collect();
            members.sort_unstable();
            format!("{{{}}}", members.join(", "))
        }
    }
}

/// `METHOD route` of an exchange: the documented route it exercised, or its path with the
/// run-specific segments (anything with a digit) blanked out.
fn request(e: &Exchange) -> String {
    let after = e.url.find("://").map_or(0, |i| i + 3);
    let path = e.url[after..]
        .find('/')
        .map_or("/", |i| &e.url[after + i..]);
    let path = path.split('?').next().unwrap_or(path);
    match routes::find(&e.method, path) {
        Some(route) => route.label(),
        None => {
            let blanked: Vec<&str> = path
                .split('/')
                .map(|s| {
                    if s.chars().any(|c| c.is_ascii_digit()) {
                        "{id}"
                    } else {
                        s
                    }
                })
                .collect();
            format!("{} {}", e.method, blanked.join("/"))
        }
    }
}

/// The differences between the results of the same scenarios on the target and the reference.
pub fn compare(target: &[ScenarioResult], reference: &[ScenarioResult]) -> Vec<Difference> {
    let mut out = Vec::new();
    for t in target {
        let Some(r) = reference.iter().find(|r| r.name == t.name) else {
            continue;
        };
        let diff = |at: String, kind: &str, target: String, reference: String| Difference {
            scenario: t.name.clone(),
            at,
            kind: kind.into(),
            target,
            reference,
        };
        if t.status != r.status {
            out.push(diff(
                "verdict".into(),
                "behaviour",
                format!("{} {}", t.status.verdict(), t.headline()),
                format!("{} {}", r.status.verdict(), r.headline()),
            ));
        }
        for (n, (a, b)) in t.exchanges.iter().zip(&r.exchanges).enumerate() {
            let (ra, rb) = (request(a), request(b));
            let at = format!("request {} {ra}", n + 1);
            if ra != rb {
                out.push(diff(
                    at,
                    "behaviour",
                    format!("sent {ra}"),
                    format!("sent {rb}"),
                ));
                break;
            }
            if a.status != b.status {
                let status = |e: &Exchange| match e.status {
                    Some(s) => format!("{s} {}", crate::http::short(&e.response, 120)),
                    None => "no answer".into(),
                };
                out.push(diff(at, "status", status(a), status(b)));
                continue;
            }
            let (sa, sb) = (shape(&a.response), shape(&b.response));
            if sa != sb {
                out.push(diff(at, "shape", sa, sb));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_ignore_values_but_not_members_or_types() {
        assert_eq!(
            shape(&json!({"b": [1, 2], "a": "x"})),
            shape(&json!({"a": "y", "b": [3]}))
        );
        assert_ne!(shape(&json!({"a": "x"})), shape(&json!({"a": 1})));
        assert_ne!(
            shape(&json!({"a": "x"})),
            shape(&json!({"a": "x", "hash": "h"}))
        );
        // Members named by ids (a tenant in `authorization`) compare by their shape only.
        assert_eq!(
            shape(&json!({"authorization": {"er76cbtm": {"roles": ["admin"]}}})),
            shape(&json!({"authorization": {"dtro4giq": {"roles": ["viewer"]}}}))
        );
    }
}
