//! The OpenAPI document `schemas/openapi.json`: built from its sources, valid, and served.
//!
//! The sources are the JSON Schemas in `schemas/*.json` (one per shared piece and per request or
//! response body) and the operation table `schemas/operations.json`. [`build`] turns them into
//! the OpenAPI 3.1 document; the committed `schemas/openapi.json` must equal its output, so the
//! two can never drift. After changing a source, regenerate with
//!
//! ```sh
//! UPDATE_OPENAPI=1 cargo test -p userfront-mock --test openapi
//! ```

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::Harness;
use serde_json::{Map, Value, json};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of `schemas/` that are not JSON Schemas.
const NOT_SCHEMAS: [&str; 2] = ["operations.json", "openapi.json"];

/// Every JSON Schema of `schemas/`, by name (file name without `.json`).
fn json_schemas() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(schemas_dir()).expect("schemas/ exists") {
        let path = entry.expect("dir entry").path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        if !file.ends_with(".json") || NOT_SCHEMAS.contains(&file) {
            continue;
        }
        out.insert(file.trim_end_matches(".json").to_owned(), read_json(&path));
    }
    out
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
            "The credential lacks permission (key type, tenant, locked user).",
        ),
        (
            "NotFound",
            404,
            "Unknown tenant, user, import, role or route.",
        ),
        ("PayloadTooLarge", 413, "The body is over 1 MiB."),
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

fn error_response_name(status: u64) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        413 => "PayloadTooLarge",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        other => panic!("no error response for {other}"),
    }
}

/// The `security` of an operation from its `auth` kind (conventions C-5).
fn security(auth: &str) -> Value {
    let any = json!({});
    let scheme = |name: &str| json!({ name: [] });
    Value::Array(match auth {
        "public" | "none" => vec![],
        "firstFactor" => vec![any, scheme("firstFactorToken")],
        "firstFactorOrUser" => vec![any, scheme("firstFactorToken"), scheme("userToken")],
        "userOptional" => vec![any, scheme("userToken")],
        "user" => vec![scheme("userToken")],
        "userOrFirstFactor" => vec![scheme("userToken"), scheme("firstFactorToken")],
        "refresh" => vec![scheme("refreshToken")],
        "logout" => vec![scheme("userToken"), scheme("refreshToken")],
        "admin" | "reader" => vec![scheme("apiKey"), scheme("userToken")],
        other => panic!("unknown auth kind {other}"),
    })
}

/// Path parameter names of a template, in order.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// One operation of one path form.
fn operation(op: &Value, path: &str, docs_form: bool, schemas: &BTreeMap<String, Value>) -> Value {
    let id = op["operationId"].as_str().expect("operationId");
    let auth = op["auth"].as_str().expect("auth");
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
        let q = q.as_str().expect("query parameter name");
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
            .unwrap_or_else(|| panic!("no schema {request}"));
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
    let response = op["response"].as_str().expect("response");
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
            assert!(schemas.contains_key(name), "no schema {name}");
            let title = schemas[name]["title"].as_str().unwrap_or(name).to_owned();
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
                    && has_tenant_form(target)
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
    errors.sort_unstable();
    errors.dedup();
    for status in errors {
        let value = match (status, op["errorBody"].as_str()) {
            (400, Some(schema)) => json!({
                "description": "Validation failure or refusal; may carry the documented extra members.",
                "content": { "application/json": { "schema": schema_ref(schema) } },
            }),
            _ => {
                json!({ "$ref": format!("#/components/responses/{}", error_response_name(status)) })
            }
        };
        responses.insert(status.to_string(), value);
    }
    out.insert("responses".into(), Value::Object(responses));
    out.insert("security".into(), security(auth));
    Value::Object(out)
}

/// Operations that also exist in the tenant form (`...ForTenant`).
fn has_tenant_form(operation_id: &str) -> bool {
    let ops = read_json(&schemas_dir().join("operations.json"));
    ops["operations"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| o["operationId"] == operation_id && o.get("alias").is_some())
}

/// Builds the OpenAPI document from `schemas/operations.json` and the JSON Schemas.
fn build() -> Value {
    let schemas = json_schemas();
    let source = read_json(&schemas_dir().join("operations.json"));
    let document = &source["document"];
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for op in source["operations"].as_array().expect("operations") {
        let method = op["method"].as_str().expect("method");
        let path = op["path"].as_str().expect("path");
        let mut forms = vec![(path, true)];
        if let Some(alias) = op["alias"].as_str() {
            forms.push((alias, false));
        }
        for (path, docs_form) in forms {
            let item = paths.entry(path.to_owned()).or_default();
            assert!(
                !item.contains_key(method),
                "{method} {path} is declared twice"
            );
            item.insert(method.to_owned(), operation(op, path, docs_form, &schemas));
        }
    }
    let components: Map<String, Value> = schemas
        .iter()
        .map(|(name, schema)| (name.clone(), to_component(schema)))
        .collect();
    json!({
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
    })
}

#[test]
fn committed_document_is_built_from_the_sources() {
    let built = serde_json::to_string_pretty(&build()).expect("serialises") + "\n";
    let path = schemas_dir().join("openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &built).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == built,
        "schemas/openapi.json is stale: regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p userfront-mock --test openapi`"
    );
}

/// A Python interpreter that can import `module`: `$USERFRONT_MOCK_PYTHON`, the repository's
/// `.venv` (made by `scripts/test`), or `python3`.
fn python_with(module: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates: Vec<PathBuf> = std::env::var_os("USERFRONT_MOCK_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([root.join(".venv/bin/python"), PathBuf::from("python3")])
        .collect();
    candidates
        .into_iter()
        .find(|python| {
            std::process::Command::new(python)
                .args(["-c", &format!("import {module}")])
                .output()
                .is_ok_and(|out| out.status.success())
        })
        .unwrap_or_else(|| {
            panic!(
                "no Python with `{module}` found: run scripts/test (it installs the tools into \
                 .venv), or `pip install openapi-spec-validator`, or set USERFRONT_MOCK_PYTHON"
            )
        })
}

/// Runs openapi-spec-validator (OpenAPI 3.1 and Swagger 2.0) on a file.
fn spec_validator(file: &Path) -> (bool, String) {
    let python = python_with("openapi_spec_validator");
    let out = std::process::Command::new(python)
        .args(["-m", "openapi_spec_validator"])
        .arg(file)
        .output()
        .expect("python runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn document_passes_the_openapi_spec_validator() {
    let (ok, report) = spec_validator(&schemas_dir().join("openapi.json"));
    assert!(
        ok,
        "openapi-spec-validator refused schemas/openapi.json:\n{report}"
    );
    assert_eq!(
        read_json(&schemas_dir().join("openapi.json"))["openapi"],
        "3.1.0"
    );
}

#[test]
fn every_endpoint_of_the_checklist_is_documented_in_both_path_forms() {
    let doc = read_json(&schemas_dir().join("openapi.json"));
    let tsv = std::fs::read_to_string(schemas_dir().join("endpoints.tsv")).expect("endpoints.tsv");
    let mut rows = 0;
    for line in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let method = cols[0].to_ascii_lowercase();
        for path in [cols[1], cols[2]].into_iter().filter(|p| *p != "-") {
            let op = &doc["paths"][path][&method];
            assert!(op.is_object(), "{method} {path} is not documented");
            let side = if cols[3] == "client" {
                "client"
            } else {
                "server"
            };
            assert_eq!(op["x-side"], side, "{method} {path}");
            assert!(op["responses"]["200"].is_object() || op["responses"]["302"].is_object());
        }
        rows += 1;
    }
    assert_eq!(rows, 82, "the checklist has 82 rows");
}

#[test]
fn operations_have_unique_ids_and_declare_their_errors() {
    let doc = read_json(&schemas_dir().join("openapi.json"));
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "{id} is used twice");
            let responses = op["responses"].as_object().expect("responses");
            if path.contains('{') || op.get("requestBody").is_some() {
                assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            }
            if op["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty() && !s.contains(&json!({})))
            {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
        }
    }
}

#[tokio::test]
async fn the_mock_serves_the_openapi_document_as_committed() {
    let h = Harness::start().await;
    let served = h.get("/v0/openapi.json").send().await;
    assert_eq!(served.status, 200);
    assert!(
        served.body == read_json(&schemas_dir().join("openapi.json")),
        "the served document differs from schemas/openapi.json (rebuild after regenerating)"
    );
    assert!(
        served.headers["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("application/json"))
    );
}

#[tokio::test]
async fn docs_json_describes_the_server_side_as_valid_swagger_2() {
    let h = Harness::start().await;
    let docs = h.get("/v0/docs.json").send().await.ok();
    assert_eq!(docs["swagger"], "2.0");
    assert!(docs["paths"]["/v0/users"]["post"].is_object());
    assert!(docs["paths"]["/v0/tenants/{tenantId}/keys/jwt"]["get"].is_object());
    assert!(
        docs["paths"].get("/v0/auth/basic").is_none(),
        "client route in docs.json"
    );
    let create = &docs["paths"]["/v0/users"]["post"];
    let body = create["parameters"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["in"] == "body"))
        .expect("body parameter");
    assert_eq!(body["schema"]["$ref"], "#/definitions/CreateUserRequest");
    assert_eq!(
        body["x-examples"]["application/json"]["email"],
        "jane@example.com"
    );
    assert_eq!(
        create["responses"]["200"]["schema"]["$ref"],
        "#/definitions/User"
    );
    assert!(docs["definitions"]["User"]["properties"]["userId"].is_object());
    let file = std::env::temp_dir().join(format!("userfront-docs-{}.json", std::process::id()));
    std::fs::write(&file, docs.to_string()).expect("write");
    let (ok, report) = spec_validator(&file);
    let _ = std::fs::remove_file(&file);
    assert!(ok, "docs.json is not valid Swagger 2.0:\n{report}");
}

#[tokio::test]
async fn docs_client_json_describes_the_client_side_as_valid_swagger_2() {
    let h = Harness::start().await;
    let docs = h.get("/v0/docs-client.json").send().await.ok();
    assert_eq!(docs["swagger"], "2.0");
    assert!(
        docs["paths"].get("/v0/users").is_none(),
        "server route in docs-client.json"
    );
    let login = &docs["paths"]["/v0/tenants/{tenantId}/auth/basic"]["post"];
    let params = login["parameters"].as_array().expect("parameters");
    let tenant = params
        .iter()
        .find(|p| p["name"] == "tenantId")
        .expect("tenantId");
    assert_eq!(tenant["in"], "path");
    assert_eq!(tenant["required"], true);
    assert_eq!(tenant["type"], "string");
    assert_eq!(tenant["x-example"], "demo1234");
    assert!(params.iter().any(|p| p["in"] == "body"));
    assert!(docs["paths"]["/v0/auth/basic"]["post"].is_object());
    let file =
        std::env::temp_dir().join(format!("userfront-docs-client-{}.json", std::process::id()));
    std::fs::write(&file, docs.to_string()).expect("write");
    let (ok, report) = spec_validator(&file);
    let _ = std::fs::remove_file(&file);
    assert!(ok, "docs-client.json is not valid Swagger 2.0:\n{report}");
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    // Seeded values for the path parameters (C-17).
    const VALUES: [(&str, &str); 7] = [
        ("tenantId", "demo1234"),
        ("userId", "1"),
        ("importUuid", "2d7f0c4e-5b1a-4e8f-9c3d-7a6b5e4d3c2b"),
        ("name", "member"),
        ("type", "admin"),
        ("mode", "test"),
        ("provider", "google"),
    ];
    let h = Harness::start().await;
    let doc = read_json(&schemas_dir().join("openapi.json"));
    let mut unrouted = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = VALUES.iter().fold(path.clone(), |p, (name, value)| {
            p.replace(&format!("{{{name}}}"), value)
        });
        // An undocumented method on a routed path is 405 with the path's methods in `Allow`.
        let resp = h.req(reqwest::Method::PATCH, &concrete).send().await;
        let allow = resp
            .headers
            .get("allow")
            .and_then(|a| a.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        for method in item.as_object().expect("path item").keys() {
            if resp.status != 405 || !allow.split(',').any(|m| m.trim() == method) {
                unrouted.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(
        unrouted.is_empty(),
        "documented but not served: {unrouted:#?}"
    );
}
