//! API description documents: the OpenAPI 3.1 document of the whole API, and the two legacy
//! Swagger 2.0 documents the Userfront docs site renders from (client-to-server CS-35,
//! server-to-server SS-47).
//!
//! All three come from the one embedded `schemas/openapi.json` ([`crate::schema`]); the Swagger
//! documents are derived from it on first request, never maintained by hand.

use std::sync::OnceLock;

use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::schema;

fn json_text(text: &'static str) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// `GET /v0/openapi.json`: the committed document, byte for byte.
pub(crate) async fn openapi() -> Response {
    json_text(schema::OPENAPI_JSON)
}

/// SS-47 `GET /v0/docs.json`: the server-to-server endpoints as Swagger 2.0.
pub(crate) async fn server_docs() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    json_text(DOC.get_or_init(|| swagger("server").to_string()))
}

/// CS-35 `GET /v0/docs-client.json`: the client-to-server endpoints as Swagger 2.0.
pub(crate) async fn client_docs() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    json_text(DOC.get_or_init(|| swagger("client").to_string()))
}

/// A minimal Swagger 2.0 rendering of the operations of one side (`x-side`) of the OpenAPI
/// document: parameters with `name`, `in`, `required`, `type` and an example; a body parameter
/// pointing at `definitions`; the 200 response with its schema and an example body when the
/// document has one.
pub fn swagger(side: &str) -> Value {
    let doc = schema::document();
    let mut paths = Map::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let mut out_item = Map::new();
        for (method, op) in item.as_object().into_iter().flatten() {
            if op["x-side"] != side {
                continue;
            }
            out_item.insert(method.clone(), swagger_operation(doc, op));
        }
        if !out_item.is_empty() {
            paths.insert(path.clone(), Value::Object(out_item));
        }
    }
    let definitions: Map<String, Value> = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| (name.clone(), swagger_schema(s)))
        .collect();
    let title = match side {
        "client" => "Userfront client-to-server API",
        _ => "Userfront server-to-server API",
    };
    json!({
        "swagger": "2.0",
        "info": { "title": title, "version": doc["info"]["version"] },
        "basePath": "/",
        "schemes": ["http", "https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {
            "bearer": { "type": "apiKey", "in": "header", "name": "Authorization",
                        "description": "`Bearer <API key or token>`" },
        },
        "paths": paths,
        "definitions": definitions,
    })
}

fn swagger_operation(doc: &Value, op: &Value) -> Value {
    let resolve = |v: &Value| -> Value {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(p))
            .cloned()
            .unwrap_or_else(|| v.clone())
    };
    let mut parameters: Vec<Value> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let p = resolve(p);
            let mut out = json!({
                "name": p["name"],
                "in": p["in"],
                "required": p["required"].as_bool().unwrap_or(false),
                "description": p["description"],
                "type": first_type(&p["schema"]).unwrap_or("string"),
            });
            if let Some(example) = p.get("example") {
                out["x-example"] = example.clone();
            }
            out
        })
        .collect();
    let media = &op["requestBody"]["content"]["application/json"];
    if let Some(schema) = media.get("schema") {
        let mut body = json!({
            "name": "body",
            "in": "body",
            "required": op["requestBody"]["required"].as_bool().unwrap_or(false),
            "schema": swagger_schema(schema),
        });
        if let Some(example) = media.get("example") {
            body["x-examples"] = json!({ "application/json": example });
        }
        parameters.push(body);
    }
    let mut responses = Map::new();
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        let response = resolve(response);
        let mut out = json!({ "description": response["description"] });
        if let Some(schema) = response["content"]["application/json"].get("schema") {
            out["schema"] = swagger_schema(schema);
            if let Some(example) = example_of(doc, schema) {
                out["examples"] = json!({ "application/json": example });
            }
        }
        responses.insert(status.clone(), out);
    }
    json!({
        "operationId": op["operationId"],
        "summary": op["summary"],
        "description": op["description"],
        "tags": op["tags"],
        "parameters": parameters,
        "responses": responses,
    })
}

/// The first example of a schema, following one `$ref`.
fn example_of(doc: &Value, schema: &Value) -> Option<Value> {
    let target = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.strip_prefix('#')?)?,
        None => schema,
    };
    target["examples"].as_array()?.first().cloned()
}

/// The first non-null type of a schema.
fn first_type(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// The keywords of a Swagger 2.0 Schema Object.
const SWAGGER_KEYWORDS: [&str; 25] = [
    "$ref",
    "format",
    "title",
    "description",
    "default",
    "multipleOf",
    "maximum",
    "minimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "additionalProperties",
    "type",
    "items",
    "allOf",
    "properties",
    "readOnly",
    "example",
];

/// A JSON Schema 2020-12 fragment in the Swagger 2.0 dialect: references into `definitions`,
/// one `type` (`x-nullable` for a nullable one), `const` as a one-value `enum`, other keywords
/// as `x-` extensions.
fn swagger_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => {
                        out.insert(
                            key.clone(),
                            json!(r.replace("#/components/schemas/", "#/definitions/")),
                        );
                    }
                    ("type", Value::Array(types)) => {
                        if let Some(t) = types.iter().find(|t| t.as_str() != Some("null")) {
                            out.insert(key.clone(), t.clone());
                        }
                        if types.iter().any(|t| t.as_str() == Some("null")) {
                            out.insert("x-nullable".into(), json!(true));
                        }
                    }
                    ("const", v) => {
                        out.insert("enum".into(), json!([v]));
                    }
                    ("exclusiveMinimum", v) => {
                        out.insert("minimum".into(), v.clone());
                        out.insert(key.clone(), json!(true));
                    }
                    ("exclusiveMaximum", v) => {
                        out.insert("maximum".into(), v.clone());
                        out.insert(key.clone(), json!(true));
                    }
                    ("examples", Value::Array(examples)) => {
                        if let Some(first) = examples.first() {
                            out.insert("example".into(), first.clone());
                        }
                    }
                    // Keys of a `properties` map are names, not keywords.
                    ("properties", Value::Object(props)) => {
                        let props: Map<String, Value> = props
                            .iter()
                            .map(|(k, v)| (k.clone(), swagger_schema(v)))
                            .collect();
                        out.insert(key.clone(), Value::Object(props));
                    }
                    // JSON Schema keywords Swagger 2.0 lacks are kept as extensions.
                    (k, v) if !SWAGGER_KEYWORDS.contains(&k) && !k.starts_with("x-") => {
                        out.insert(format!("x-{k}"), swagger_schema(v));
                    }
                    _ => {
                        out.insert(key.clone(), swagger_schema(value));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(swagger_schema).collect()),
        other => other.clone(),
    }
}
