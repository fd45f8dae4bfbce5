//! Schema loading and validation: the OpenAPI document of `schemas/openapi.json`, and validators
//! for the request and response bodies it describes.
//!
//! The document is embedded in the binary. Validators are compiled per operation and status on
//! first use and cached for the life of the process, so start-up pays nothing and a route pays
//! once. The mock refuses request bodies that break their schema before a handler runs (see
//! [`validate_request`] for the wording); its tests and the conformance runner check any
//! target's answers with [`validate_response`].
//!
//! ```
//! use serde_json::json;
//! use userfront_contract::schema;
//!
//! let errors = schema::validate_request("POST", "/v0/tenants/{tenantId}/auth/create", &json!({
//!     "email": 42, "password": "correct-horse-1"
//! })).unwrap_err();
//! assert_eq!(errors[0], "\"email\" must be a string");
//!
//! let body = json!({"statusCode": 404, "message": "Not Found", "error": {"type": "bad_request_error"}});
//! assert!(schema::validate_response("GET", "/v0/users/99", 404, &body).is_ok());
//! assert!(schema::validate_response("GET", "/v0/users/99", 418, &body).is_err());
//! ```

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, ValidationError, Validator};
use parking_lot::RwLock;
use serde_json::{Value, json};

pub use crate::OPENAPI_JSON;
pub use crate::routes::route_template;

/// The base URI the document is compiled under (it only names locations in error reports).
const BASE_URI: &str = "https://example.invalid/userfront-mock/openapi.json";
/// Where each validator's root (a `$ref` into the document) sits.
const ROOT_URI: &str = "https://example.invalid/userfront-mock/validator.json";

/// The parsed OpenAPI document.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(OPENAPI_JSON).expect("schemas/openapi.json is JSON"))
}

/// Checks a request body against the schema of `method` + `route` (a template of the document,
/// as axum's `MatchedPath` gives it). `Ok` when the operation is unknown or takes no body.
///
/// Errors come as the API words them, most relevant first: fields in the order the schema lists
/// them, `"<field>" is required` for a missing or blank required field, `"<field>" must be a
/// string` (or another type) for a wrong type, and the documented message of a field where the
/// spec names one (`Email format is invalid`, `Invalid channel`, ...).
pub fn validate_request(method: &str, route: &str, body: &Value) -> Result<(), Vec<String>> {
    let messages: Vec<String> = request_errors(method, route, body)
        .into_iter()
        .map(|e| e.message)
        .collect();
    if messages.is_empty() {
        Ok(())
    } else {
        Err(messages)
    }
}

/// The first problem of a request body that is not a missing field, worded for the API.
///
/// The mock refuses such bodies before a handler runs. Missing (and blank) required fields are
/// left to the handlers, which check presence in the documented order (the tenant first, then
/// the identifier, then the secret ...) and know when a token makes a field optional.
pub fn request_refusal(method: &str, route: &str, body: &Value) -> Option<String> {
    request_errors(method, route, body)
        .into_iter()
        .find(|e| !e.missing)
        .map(|e| e.message)
}

/// One problem of a request body.
struct RequestError {
    /// Position of its top-level field in the schema.
    rank: usize,
    message: String,
    /// A missing or blank required field (`"<field>" is required`).
    missing: bool,
    /// The field, as named in messages.
    field: String,
}

/// Every problem of a request body, most relevant first, without repeats.
fn request_errors(method: &str, route: &str, body: &Value) -> Vec<RequestError> {
    let Some(compiled) = compiled(method, route, Target::Request) else {
        return Vec::new();
    };
    let mut errors: Vec<RequestError> = compiled
        .validator
        .iter_errors(body)
        .map(|e| request_message(&compiled, &e))
        .collect();
    // Whatever else is wrong with a field that is missing (a blank email is no address either)
    // is the handler's to word as a missing field.
    let missing: Vec<String> = errors
        .iter()
        .filter(|e| e.missing)
        .map(|e| e.field.clone())
        .collect();
    for error in &mut errors {
        error.missing |= missing.contains(&error.field);
    }
    errors.sort_by_key(|e| e.rank);
    let mut out: Vec<RequestError> = Vec::with_capacity(errors.len());
    for error in errors {
        if !out.iter().any(|e| e.message == error.message) {
            out.push(error);
        }
    }
    out
}

/// Checks a response against the document: the status must be documented for the operation
/// that serves `method` + `path` (a concrete path such as `/v0/users/7`), and a JSON body must
/// match that status's schema. Non-JSON answers (redirects, HTML pages) are checked for their
/// status only; pass their body as a JSON string (or `null` when empty).
///
/// Errors name the body location and the schema location, for a developer to read.
pub fn validate_response(
    method: &str,
    path: &str,
    status: u16,
    body: &Value,
) -> Result<(), Vec<String>> {
    let method = method.to_ascii_lowercase();
    let Some(template) = route_template(path) else {
        return Err(vec![format!("no documented path matches {path}")]);
    };
    let Some(op) = document()["paths"][template].get(&method) else {
        return Err(vec![format!(
            "{} {template} is not documented",
            method.to_uppercase()
        )]);
    };
    let Some(response) = response_of(op, status) else {
        let documented: Vec<&String> = op["responses"]
            .as_object()
            .map(|r| r.keys().collect())
            .unwrap_or_default();
        return Err(vec![format!(
            "status {status} is not documented for {} {template} (documented: {documented:?})",
            method.to_uppercase()
        )]);
    };
    let json_schema = response["content"]["application/json"].get("schema");
    if json_schema.is_none() {
        return Ok(());
    }
    let compiled = compiled(&method, template, Target::Response(status))
        .ok_or_else(|| vec![format!("no schema for status {status} of {template}")])?;
    report(&compiled, body)
}

/// Checks a value against one shared schema of the document (`#/components/schemas/<name>`),
/// for bodies that are not a response of their own: webhook records, outbox entries, errors of
/// unknown routes. Errors are worded as in [`validate_response`].
pub fn validate_component(name: &str, value: &Value) -> Result<(), Vec<String>> {
    let compiled = compiled("", name, Target::Component)
        .ok_or_else(|| vec![format!("no schema named {name}")])?;
    report(&compiled, value)
}

/// Developer-facing messages of every error of `value`.
fn report(compiled: &Compiled, value: &Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> = compiled
        .validator
        .iter_errors(value)
        .map(|e| {
            let at = e.instance_path().as_str();
            let at = if at.is_empty() { "/" } else { at };
            let schema_at = e
                .absolute_keyword_location()
                .and_then(|uri| uri.as_str().split_once('#').map(|(_, f)| percent_decode(f)))
                .unwrap_or_else(|| e.schema_path().as_str().to_owned());
            format!("{at}: {e} (schema #{schema_at})")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The response object of `status` (following a `$ref` to `#/components/responses/...`).
fn response_of(op: &'static Value, status: u16) -> Option<&'static Value> {
    let key = response_key(op, status)?;
    let response = &op["responses"][&key];
    match response.get("$ref").and_then(Value::as_str) {
        Some(r) => document().pointer(r.strip_prefix('#')?),
        None => Some(response),
    }
}

/// The key of `op.responses` that covers `status`: exact, then `4XX`, then `default`.
fn response_key(op: &Value, status: u16) -> Option<String> {
    [
        status.to_string(),
        format!("{}XX", status / 100),
        "default".into(),
    ]
    .into_iter()
    .find(|k| op["responses"].get(k).is_some())
}

/// What a validator checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Target {
    Request,
    Response(u16),
    /// `#/components/schemas/<route>`.
    Component,
}

/// A compiled schema and, for request bodies, the order of its top-level fields.
struct Compiled {
    validator: Validator,
    fields: Vec<String>,
}

type Cache = RwLock<HashMap<(String, String, Target), Option<Arc<Compiled>>>>;

/// The validator of one operation's request body or response, compiled on first use.
fn compiled(method: &str, route: &str, target: Target) -> Option<Arc<Compiled>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let key = (method.to_ascii_lowercase(), route.to_owned(), target);
    if let Some(hit) = cache.read().get(&key) {
        return hit.clone();
    }
    let built = compile(&key.0, route, target).map(Arc::new);
    cache.write().insert(key, built.clone());
    built
}

/// The document as a schema resource at [`BASE_URI`], prepared once and shared by every
/// validator.
fn registry() -> Option<&'static jsonschema::Registry<'static>> {
    static REGISTRY: OnceLock<Option<jsonschema::Registry<'static>>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            jsonschema::Registry::new()
                .draft(Draft::Draft202012)
                .add(BASE_URI, document())
                .ok()?
                .prepare()
                .ok()
        })
        .as_ref()
}

/// JSON Pointer escaping of one segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn compile(method: &str, route: &str, target: Target) -> Option<Compiled> {
    let doc = document();
    let pointer = match target {
        Target::Component => format!("/components/schemas/{}", escape(route)),
        Target::Request => {
            let op = doc["paths"].get(route)?.get(method)?;
            op["requestBody"]["content"]["application/json"].get("schema")?;
            format!(
                "/paths/{}/{method}/requestBody/content/application~1json/schema",
                escape(route)
            )
        }
        Target::Response(status) => {
            let op = doc["paths"].get(route)?.get(method)?;
            let key = response_key(op, status)?;
            let response = &op["responses"][&key];
            match response.get("$ref").and_then(Value::as_str) {
                Some(r) => format!("{}/content/application~1json/schema", r.strip_prefix('#')?),
                None => format!(
                    "/paths/{}/{method}/responses/{key}/content/application~1json/schema",
                    escape(route)
                ),
            }
        }
    };
    doc.pointer(&pointer)?;
    // The root is only a `$ref` into the document, which the registry holds (borrowed, once
    // per process), so every `#/components/...` reference resolves. Not the document itself
    // with a `$ref` added: the validator kept a copy of its other keywords (`paths`,
    // `components`), ~1.3 MiB per compiled operation.
    let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    let root = json!({"$ref": format!("{BASE_URI}#{fragment}")});
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(registry()?)
        // Not the document's URI, which would name this root instead of the document.
        .with_base_uri(ROOT_URI)
        .should_validate_formats(true)
        .build(&root)
        .ok()?;
    let mut fields = Vec::new();
    if target == Target::Request {
        collect_fields(doc.pointer(&pointer)?, &mut fields, 0);
    }
    Some(Compiled { validator, fields })
}

/// The top-level property names of a schema, in order, through `$ref` and `allOf`.
fn collect_fields(schema: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| document().pointer(p))
    {
        collect_fields(target, out, depth + 1);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        collect_fields(part, out, depth + 1);
    }
    for name in schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
}

/// The pointer (into the document) of the schema object that holds the keyword an error
/// comes from.
fn keyword_parent(error: &ValidationError<'_>) -> Option<String> {
    let uri = error.absolute_keyword_location()?;
    let (_, fragment) = uri.as_str().split_once('#')?;
    let fragment = percent_decode(fragment);
    let (parent, _keyword) = fragment.rsplit_once('/')?;
    Some(parent.to_owned())
}

/// The nearest `key` annotation (`x-message`, `x-type-message`) on the schema at `pointer` or
/// on the schemas enclosing it in the same component, so that a component can word every
/// problem inside it at once (a malformed filter is `Invalid filters`, wherever it is).
fn inherited(pointer: &str, key: &str) -> Option<&'static str> {
    let mut at = pointer;
    loop {
        if let Some(text) = document()
            .pointer(at)
            .and_then(|n| n.get(key))
            .and_then(Value::as_str)
        {
            return Some(text);
        }
        // Stop at the component (or path item) itself.
        if at.matches('/').count() <= 3 {
            return None;
        }
        at = at.rsplit_once('/')?.0;
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// JSON Pointer segments of an instance location.
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The API wording of one request error, and its rank.
fn request_message(compiled: &Compiled, error: &ValidationError<'_>) -> RequestError {
    let mut path = segments(error.instance_path().as_str());
    let parent_at = keyword_parent(error);
    let parent = parent_at.as_deref().and_then(|p| document().pointer(p));
    let x_message = match error.kind() {
        ValidationErrorKind::Required { .. } => parent
            .and_then(|p| p.get("x-message"))
            .and_then(Value::as_str),
        _ => parent_at.as_deref().and_then(|p| inherited(p, "x-message")),
    };
    if let ValidationErrorKind::Required { property } = error.kind() {
        path.push(property.as_str().unwrap_or_default().to_owned());
    }
    let rank = path
        .first()
        .and_then(|top| compiled.fields.iter().position(|f| f == top))
        .unwrap_or(if path.is_empty() { 0 } else { usize::MAX });
    let label = if path.is_empty() {
        "\"value\"".to_owned()
    } else {
        format!("\"{}\"", path.join("."))
    };
    let fill = |template: &str| template.replace("{field}", &label);
    let message = match error.kind() {
        ValidationErrorKind::Required { .. } => match x_message {
            Some(m) => fill(m),
            None => format!("{label} is required"),
        },
        ValidationErrorKind::Type { kind } => {
            let full = parent_at
                .as_deref()
                .and_then(|p| inherited(p, "x-type-message"));
            if error.instance().is_null() {
                format!("{label} is required")
            } else if let Some(full) = full {
                fill(full)
            } else {
                let wanted = parent
                    .and_then(|p| p.get("x-type"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| type_words(kind));
                format!("{label} must be {wanted}")
            }
        }
        _ if x_message.is_some() => fill(x_message.unwrap_or_default()),
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .filter(|o| !o.is_null())
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                .collect();
            format!("{label} must be one of [{}]", options.join(", "))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{label} must be [{expected_value}]")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{label} must be greater than or equal to {limit}")
        }
        ValidationErrorKind::MinItems { limit } => {
            format!("{label} must contain at least {limit} items")
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("{label} length must be at least {limit} characters long")
        }
        ValidationErrorKind::Format { format } => format!("{label} must be a valid {format}"),
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let name = unexpected.first().cloned().unwrap_or_default();
            let full: Vec<String> = path.iter().cloned().chain([name]).collect();
            format!("\"{}\" is not allowed", full.join("."))
        }
        _ => format!("{label} is invalid"),
    };
    // A blank string is no value to the handlers, whatever else the schema says of it.
    let blank = error
        .instance()
        .as_str()
        .is_some_and(|s| s.trim().is_empty());
    RequestError {
        rank,
        missing: blank || message.ends_with(" is required"),
        message,
        field: label,
    }
}

/// How the API names a JSON type in `"<field>" must be ...`.
fn type_words(kind: &TypeKind) -> String {
    let name = match kind {
        TypeKind::Single(t) => t.to_string(),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| t.to_string())
            .find(|t| t != "null")
            .unwrap_or_else(|| "null".to_owned()),
    };
    match name.as_str() {
        "string" => "a string".into(),
        "boolean" => "a boolean".into(),
        "integer" => "an integer".into(),
        "number" => "a number".into(),
        "array" => "an array".into(),
        "object" => "of type object".into(),
        other => format!("of type {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A validator that does not build is `None`, which [`validate_request`] reads as "no body
    /// to check": every request schema (and every JSON response schema) of the document must
    /// build, or the mock would stop checking bodies without a word.
    #[test]
    fn every_request_and_response_schema_compiles() {
        let (mut requests, mut responses) = (0, 0);
        for (route, item) in document()["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("a path item") {
                if op["requestBody"]["content"]["application/json"]
                    .get("schema")
                    .is_some()
                {
                    assert!(
                        compiled(method, route, Target::Request).is_some(),
                        "the request schema of {method} {route} does not build"
                    );
                    requests += 1;
                }
                for key in op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    let Ok(status) = key.parse::<u16>() else {
                        continue;
                    };
                    let has_schema = response_of(op, status)
                        .is_some_and(|r| r["content"]["application/json"].get("schema").is_some());
                    if has_schema {
                        assert!(
                            compiled(method, route, Target::Response(status)).is_some(),
                            "the {status} schema of {method} {route} does not build"
                        );
                        responses += 1;
                    }
                }
            }
        }
        assert!(
            requests > 50 && responses > 200,
            "{requests} requests, {responses} responses"
        );
        // Each validator once kept a copy of the whole document: compiling them all peaked at
        // 3.4 GB. With the shared registry the whole test process stays near 70 MiB.
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let peak_kib: u64 = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .expect("VmHWM in /proc/self/status");
            assert!(
                peak_kib < 512 * 1024,
                "compiling every schema peaked at {peak_kib} KiB"
            );
        }
    }
}
