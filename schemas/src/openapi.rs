//! The OpenAPI generator: builds `schemas/openapi.json` from its sources.
//!
//! The sources are the JSON Schemas of `schemas/*.json` (one per shared piece and per request or
//! response body) and the route table `schemas/operations.json`. [`build`] turns them into the
//! OpenAPI 3.1 document, with every operation in both path forms (docs and tenant); the
//! committed `schemas/openapi.json` must equal its output ([`check_committed`]), so the two can
//! never drift. After changing a source, regenerate with one command:
//!
//! ```sh
//! UPDATE_OPENAPI=1 cargo test -p userfront-contract
//! ```
//!
//! (`UPDATE_OPENAPI=1 cargo test -p userfront-mock --test it openapi` does the same.)

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

/// A source that cannot be built, named for the developer who edits it.
type Result<T> = std::result::Result<T, String>;

/// Every JSON Schema of `schemas/`, parsed, by name.
fn json_schemas() -> Result<BTreeMap<String, Value>> {
    crate::SCHEMA_FILES
        .iter()
        .map(|(name, text)| {
            serde_json::from_str(text)
                .map(|v| ((*name).to_owned(), v))
                .map_err(|e| format!("schemas/{name}.json: {e}"))
        })
        .collect()
}

/// Rewrites file references (`"User.json"`) to component references
/// (`"#/components/schemas/User"`), and drops `$schema`/`$id`, which would change the base URI
/// of the references inside a component.
fn to_component(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "$schema" && *k != "$id")
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => {
                            let name = r.strip_suffix(".json").unwrap_or(r);
                            Value::String(format!("#/components/schemas/{name}"))
                        }
                        _ => to_component(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(to_component).collect()),
        other => other.clone(),
    }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The error responses, one per status, each pinning `statusCode` (and `error.type` for 429).
fn error_responses() -> Map<String, Value> {
    let mut out = Map::new();
    for (name, status, description) in [
        (
            "BadRequest",
            400,
            "Validation failure, wrong credentials in the body, or a business-rule refusal.",
        ),
        (
            "Unauthorized",
            401,
            "Missing or invalid API key or user token.",
        ),
        (
            "Forbidden",
            403,
            "The credential lacks permission (key type, tenant, locked user); on `/__mock/*`, a page of a non-local origin or a non-loopback Host.",
        ),
        (
            "NotFound",
            404,
            "Unknown tenant, user, import, role or route.",
        ),
        (
            "RequestTimeout",
            408,
            "The body did not arrive within the body timeout (`--body-timeout`, 10 s).",
        ),
        ("PayloadTooLarge", 413, "The body is over 1 MiB."),
        ("UriTooLong", 414, "The request target is over 64 KiB."),
        (
            "HeaderFieldsTooLarge",
            431,
            "The request head is over the HTTP library's buffer (about 400 KiB).",
        ),
        ("TooManyRequests", 429, "Rate limited (C-7)."),
        (
            "InternalServerError",
            500,
            "The mock could not do it: for `/__mock/export`, a state that could not be written or would not load again, with the reason.",
        ),
    ] {
        let mut pin = json!({ "statusCode": { "const": status } });
        if status == 429 {
            pin["error"] = json!({ "properties": { "type": { "const": "rate_limit_error" } } });
        }
        out.insert(
            name.to_owned(),
            json!({
                "description": description,
                "content": { "application/json": { "schema": {
                    "allOf": [schema_ref("Error")],
                    "properties": pin,
                } } },
            }),
        );
    }
    out
}

fn error_response_name(status: u64) -> Result<&'static str> {
    Ok(match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        408 => "RequestTimeout",
        413 => "PayloadTooLarge",
        414 => "UriTooLong",
        431 => "HeaderFieldsTooLarge",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        other => return Err(format!("no error response for status {other}")),
    })
}

/// The `security` of an operation from its `auth` kind (conventions C-5).
fn security(auth: &str) -> Result<Value> {
    let any = json!({});
    let scheme = |name: &str| json!({ name: [] });
    Ok(Value::Array(match auth {
        "public" | "none" => vec![],
        "firstFactor" => vec![any, scheme("firstFactorToken")],
        "firstFactorOrUser" => vec![any, scheme("firstFactorToken"), scheme("userToken")],
        "userOptional" => vec![any, scheme("userToken")],
        "user" => vec![scheme("userToken")],
        "userOrFirstFactor" => vec![scheme("userToken"), scheme("firstFactorToken")],
        "refresh" => vec![scheme("refreshToken")],
        "logout" => vec![scheme("userToken"), scheme("refreshToken")],
        "admin" | "reader" => vec![scheme("apiKey"), scheme("userToken")],
        other => return Err(format!("unknown auth kind {other:?}")),
    }))
}

/// Path parameter names of a template, in order.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// One operation of one path form.
fn operation(
    op: &Value,
    path: &str,
    docs_form: bool,
    schemas: &BTreeMap<String, Value>,
    tenant_forms: &[&str],
    edge_errors: &Value,
) -> Result<Value> {
    let id = op["operationId"]
        .as_str()
        .ok_or_else(|| format!("an operation of {path} lacks operationId"))?;
    let auth = op["auth"]
        .as_str()
        .ok_or_else(|| format!("{id} lacks auth"))?;
    let side = op["side"].as_str().unwrap_or("client");
    let mut out = Map::new();
    out.insert(
        "operationId".into(),
        json!(if docs_form {
            id.to_owned()
        } else {
            format!("{id}ForTenant")
        }),
    );
    out.insert("summary".into(), op["summary"].clone());
    let section = op["section"].as_str().unwrap_or_default();
    let mut description = format!("Spec section {section}.");
    if let Some(d) = op["description"].as_str() {
        description = format!("{d} {description}");
    }
    if !docs_form {
        description.push_str(" Tenant form: the path names the tenant (C-2).");
    } else if op["tenantInBody"] == true {
        description.push_str(" Docs form: the body's `tenantId` names the tenant (C-2.1).");
    }
    out.insert("description".into(), json!(description));
    out.insert("tags".into(), json!([op["tag"]]));
    if op["deprecated"] == true {
        out.insert("deprecated".into(), json!(true));
    }
    out.insert("x-spec-section".into(), json!(section));
    out.insert("x-side".into(), json!(side));

    let mut parameters: Vec<Value> = path_params(path)
        .iter()
        .map(|p| json!({ "$ref": format!("#/components/parameters/{p}") }))
        .collect();
    for q in op["query"].as_array().into_iter().flatten() {
        let q = q
            .as_str()
            .ok_or_else(|| format!("{id}: a query parameter is not a name"))?;
        parameters.push(json!({ "$ref": format!("#/components/parameters/{q}") }));
    }
    let has_params = !parameters.is_empty();
    if has_params {
        out.insert("parameters".into(), Value::Array(parameters));
    }

    let tenant_in_body = docs_form && op["tenantInBody"] == true;
    if let Some(request) = op["request"].as_str() {
        let source = schemas
            .get(request)
            .ok_or_else(|| format!("{id}: no schema {request}"))?;
        let schema = if tenant_in_body {
            json!({
                "allOf": [schema_ref(request)],
                "properties": { "tenantId": schema_ref("NonBlank") },
                "required": ["tenantId"],
            })
        } else {
            schema_ref(request)
        };
        let mut media = json!({ "schema": schema });
        if let Some(Value::Array(examples)) = source.get("examples")
            && let Some(example) = examples.first()
        {
            let mut example = example.clone();
            if tenant_in_body {
                example["tenantId"] = json!("demo1234");
            }
            media["example"] = example;
        }
        let required = tenant_in_body || source.get("required").is_some();
        out.insert(
            "requestBody".into(),
            json!({ "required": required, "content": { "application/json": media } }),
        );
    }

    let mut responses = Map::new();
    let response = op["response"]
        .as_str()
        .ok_or_else(|| format!("{id} lacks response"))?;
    let success = match response {
        "redirect" => (
            "302",
            json!({
                "description": "Redirect.",
                "headers": { "Location": { "description": "Where the browser goes next.", "schema": { "type": "string" } } },
            }),
        ),
        "html" | "htmlOrRedirect" => (
            "200",
            json!({
                "description": "An HTML page whose form submits itself.",
                "content": { "text/html": { "schema": { "type": "string" } } },
            }),
        ),
        "object" => (
            "200",
            json!({ "description": "OK.", "content": { "application/json": { "schema": { "type": "object" } } } }),
        ),
        name => {
            let schema = schemas
                .get(name)
                .ok_or_else(|| format!("{id}: no schema {name}"))?;
            let title = schema["title"].as_str().unwrap_or(name).to_owned();
            (
                "200",
                json!({ "description": title, "content": { "application/json": { "schema": schema_ref(name) } } }),
            )
        }
    };
    let (status, mut body) = success;
    if let Some(links) = op["links"].as_object() {
        let mut links = links.clone();
        if !docs_form {
            // Links name the operation of the same path form.
            for link in links.values_mut() {
                if let Some(target) = link["operationId"].as_str()
                    && tenant_forms.contains(&target)
                {
                    link["operationId"] = json!(format!("{target}ForTenant"));
                    link["parameters"]["tenantId"] = json!("$request.path.tenantId");
                }
            }
        }
        body["links"] = Value::Object(links);
    }
    responses.insert(status.into(), body);
    if response == "htmlOrRedirect" {
        // SAML's SP-initiated entry redirects to the login page (C-14.4 step 1).
        responses.insert(
            "302".into(),
            json!({
                "description": "Redirect.",
                "headers": { "Location": { "description": "Where the browser goes next.", "schema": { "type": "string" } } },
            }),
        );
    }

    let mut errors: Vec<u64> = Vec::new();
    let mock = side == "mock";
    if op.get("request").is_some() || has_params || tenant_in_body {
        errors.push(400);
    }
    if !matches!(auth, "public" | "none") {
        errors.push(401);
    }
    if !mock && !matches!(auth, "public" | "none") || response == "SignOnResponse" {
        errors.push(403);
    }
    // Unknown tenants, users, sessions and links are 404 on every Userfront route.
    if !mock || !path_params(path).is_empty() {
        errors.push(404);
    }
    if op.get("request").is_some() {
        errors.push(413);
    }
    errors.extend(
        op["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64),
    );
    // Refusals at the connection edge (`document.edgeErrors`): every route, routes with a body,
    // and the control surface.
    let statuses = |key: &str| edge_errors[key].as_array().cloned().unwrap_or_default();
    let mut extra = statuses("every");
    if op.get("request").is_some() {
        extra.extend(statuses("withBody"));
    }
    if path.starts_with("/__mock/") {
        extra.extend(statuses("control"));
    }
    errors.extend(extra.iter().filter_map(Value::as_u64));
    errors.sort_unstable();
    errors.dedup();
    for status in errors {
        let value = match (status, op["errorBody"].as_str()) {
            (400, Some(schema)) => json!({
                "description": "Validation failure or refusal; may carry the documented extra members.",
                "content": { "application/json": { "schema": schema_ref(schema) } },
            }),
            _ => {
                json!({ "$ref": format!("#/components/responses/{}", error_response_name(status)?) })
            }
        };
        responses.insert(status.to_string(), value);
    }
    out.insert("responses".into(), Value::Object(responses));
    out.insert("security".into(), security(auth)?);
    Ok(Value::Object(out))
}

/// Builds the OpenAPI document from the embedded `schemas/operations.json` and JSON Schemas.
pub fn build() -> Result<Value> {
    let source: Value = serde_json::from_str(crate::OPERATIONS_JSON)
        .map_err(|e| format!("schemas/operations.json: {e}"))?;
    build_from(&source, &json_schemas()?)
}

/// Builds the OpenAPI document from an operation table and the JSON Schemas by name.
pub fn build_from(source: &Value, schemas: &BTreeMap<String, Value>) -> Result<Value> {
    let document = &source["document"];
    let ops = source["operations"]
        .as_array()
        .ok_or("schemas/operations.json has no \"operations\" array")?;
    // Operations that also exist in the tenant form (`...ForTenant`), for links.
    let tenant_forms: Vec<&str> = ops
        .iter()
        .filter(|o| o.get("alias").is_some())
        .filter_map(|o| o["operationId"].as_str())
        .collect();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for op in ops {
        let method = op["method"]
            .as_str()
            .ok_or_else(|| format!("an operation lacks method: {op}"))?;
        let path = op["path"]
            .as_str()
            .ok_or_else(|| format!("an operation lacks path: {op}"))?;
        let mut forms = vec![(path, true)];
        if let Some(alias) = op["alias"].as_str() {
            forms.push((alias, false));
        }
        for (path, docs_form) in forms {
            let item = paths.entry(path.to_owned()).or_default();
            if item.contains_key(method) {
                return Err(format!("{method} {path} is declared twice"));
            }
            let built = operation(
                op,
                path,
                docs_form,
                schemas,
                &tenant_forms,
                &document["edgeErrors"],
            )?;
            item.insert(method.to_owned(), built);
        }
    }
    let components: Map<String, Value> = schemas
        .iter()
        .map(|(name, schema)| (name.clone(), to_component(schema)))
        .collect();
    Ok(json!({
        "openapi": document["openapi"],
        "info": document["info"],
        "servers": document["servers"],
        "tags": document["tags"],
        "paths": paths,
        "components": {
            "schemas": components,
            "parameters": source["parameters"],
            "responses": error_responses(),
            "securitySchemes": document["securitySchemes"],
        },
    }))
}

/// Whether the committed `openapi.json` at `path` is the build of the sources. With
/// `UPDATE_OPENAPI` set in the environment, writes the build there first, so regenerating is
/// running the check once.
pub fn check_committed(path: &Path) -> Result<()> {
    let built = serde_json::to_string_pretty(&build()?).map_err(|e| e.to_string())? + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &built).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == built {
        Ok(())
    } else {
        Err(format!(
            "{} is stale: regenerate it with `UPDATE_OPENAPI=1 cargo test -p userfront-contract`",
            path.display()
        ))
    }
}
