//! The JSON Schemas of `schemas/` and the contract checks built on them: every schema compiles
//! and its examples pass; the mock refuses request bodies that break their schema with the API's
//! wording; `schema::validate_response` tells a conforming answer from a departing one.

use crate::common;

use std::collections::BTreeMap;

use common::{Harness, Method};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD, schema};

const BASE: &str = "https://example.invalid/userfront-mock/schemas/";

/// Every JSON Schema of `schemas/`, as the contract crate embeds them (its build script is the
/// one place that tells schemas from the folder's other JSON files).
fn schema_files() -> BTreeMap<String, Value> {
    userfront_contract::SCHEMA_FILES
        .iter()
        .map(|(name, text)| {
            (
                (*name).to_owned(),
                serde_json::from_str(text).expect("JSON"),
            )
        })
        .collect()
}

#[test]
fn every_schema_is_draft_2020_12_compiles_and_accepts_its_examples() {
    let files = schema_files();
    assert!(files.len() > 100, "{} schema files", files.len());
    let registry = jsonschema::Registry::new()
        .extend(
            files
                .iter()
                .map(|(name, s)| (format!("{BASE}{name}.json"), s.clone())),
        )
        .expect("registry")
        .prepare()
        .expect("every $ref resolves");
    for (name, schema) in &files {
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(schema["$id"], format!("{BASE}{name}.json"), "{name}");
        assert!(schema["title"].is_string(), "{name} has no title");
        let validator = jsonschema::options()
            .with_registry(&registry)
            .should_validate_formats(true)
            .build(schema)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for example in schema["examples"].as_array().into_iter().flatten() {
            let errors: Vec<String> = validator
                .iter_errors(example)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{name} refuses its example {example}: {errors:?}"
            );
        }
    }
}

#[test]
fn error_bodies_have_exactly_the_documented_members() {
    let good = json!({"statusCode": 400, "message": "Email exists", "error": {"type": "bad_request_error"}});
    assert!(schema::validate_component("Error", &good).is_ok());
    for bad in [
        json!({"statusCode": 400, "message": "x", "error": {"type": "bad_request_error"}, "extra": 1}),
        json!({"statusCode": 400, "message": "x", "error": "Bad Request"}),
        json!({"statusCode": 400, "message": "x", "error": {"type": "oops"}}),
        json!({"statusCode": 200, "message": "x", "error": {"type": "bad_request_error"}}),
        json!({"message": "x", "error": {"type": "bad_request_error"}}),
    ] {
        assert!(schema::validate_component("Error", &bad).is_err(), "{bad}");
    }
    // The documented extra member of API key verification.
    let verify = json!({"statusCode": 400, "message": "Invalid API key", "error": {"type": "bad_request_error"},
                        "result": {"mode": "test", "type": "readonly", "tenantId": "demo1234", "isActive": false}});
    assert!(schema::validate_response("POST", "/v0/keys/verify", 400, &verify).is_ok());
    assert!(schema::validate_response("POST", "/v0/users", 400, &verify).is_err());
}

#[test]
fn responses_are_checked_for_status_and_shape() {
    let not_found = json!({"statusCode": 404, "message": "User not found", "error": {"type": "bad_request_error"}});
    assert!(schema::validate_response("GET", "/v0/users/7", 404, &not_found).is_ok());
    // The status code inside the body must be the HTTP status.
    let errors = schema::validate_response("GET", "/v0/users/7", 400, &not_found).unwrap_err();
    assert!(errors[0].contains("/statusCode"), "{errors:?}");
    // 429 bodies are rate-limit errors.
    let limited = json!({"statusCode": 429, "message": "Rate limited", "error": {"type": "bad_request_error"}});
    assert!(schema::validate_response("POST", "/v0/auth/link", 429, &limited).is_err());
    // Undocumented statuses, methods and paths.
    assert!(schema::validate_response("GET", "/v0/users/7", 418, &not_found).is_err());
    assert!(schema::validate_response("PATCH", "/v0/users/7", 200, &json!({})).is_err());
    assert!(schema::validate_response("GET", "/v0/nowhere", 200, &json!({})).is_err());
    // A success body missing a required member names it.
    let errors = schema::validate_response(
        "GET",
        "/v0/tenants/demo1234/mode",
        200,
        &json!({"mode": "test"}),
    )
    .unwrap_err();
    assert!(
        errors.iter().any(|e| e.contains("authentication")),
        "{errors:?}"
    );
    assert!(schema::validate_response(
        "GET",
        "/v0/tenants/demo1234/mode",
        200,
        &json!({"mode": "test", "authentication": {"firstFactors": [], "secondFactors": []}, "extra": true})
    )
    .is_ok(), "success bodies may carry more members");
    // Redirects have no body to check.
    assert!(schema::validate_response("GET", "/v0/auth/google/login", 302, &Value::Null).is_ok());
}

#[test]
fn request_errors_are_worded_as_the_api_words_them() {
    let route = "/v0/tenants/{tenantId}/auth/create";
    let first = |body: Value| {
        schema::validate_request("POST", route, &body)
            .unwrap_err()
            .remove(0)
    };
    // With a firstFactorToken the email may be left out, so only a blank one is refused here.
    assert!(schema::validate_request("POST", route, &json!({"password": TEST_PASSWORD})).is_ok());
    assert_eq!(
        first(json!({"email": "  ", "password": TEST_PASSWORD})),
        "\"email\" is required"
    );
    assert_eq!(
        first(json!({"email": 5, "password": TEST_PASSWORD})),
        "\"email\" must be a string"
    );
    assert_eq!(
        first(json!({"email": "nope", "password": TEST_PASSWORD})),
        "Email format is invalid"
    );
    assert_eq!(
        first(json!({"email": "a@b.co", "password": "short1"})),
        "Password must be at least 16 characters OR at least 8 characters including a number and a letter"
    );
    // Fields are reported in the order the schema lists them.
    assert_eq!(
        first(json!({"email": 1, "password": 1})),
        "\"email\" must be a string"
    );
    assert_eq!(
        first(
            json!({"email": "a@b.co", "password": TEST_PASSWORD, "options": {"noSignupEmail": "yes"}})
        ),
        "\"options.noSignupEmail\" must be a boolean"
    );
    assert_eq!(
        first(json!({"email": "a@b.co", "password": TEST_PASSWORD, "data": []})),
        "\"data\" must be of type object"
    );
    // The docs form needs the tenant first of all.
    let docs =
        schema::validate_request("POST", "/v0/auth/create", &json!({"password": 1})).unwrap_err();
    assert_eq!(docs[0], "\"tenantId\" is required");
    // Unknown members and null optional members are fine (C-1).
    assert!(schema::validate_request(
        "POST",
        route,
        &json!({"email": "Jane@Example.com", "password": TEST_PASSWORD, "name": null, "whatever": [1]})
    )
    .is_ok());
    // C-9: no whitespace in an address.
    assert_eq!(
        first(json!({"email": " jane@example.com", "password": TEST_PASSWORD})),
        "Email format is invalid"
    );
    // Routes without a documented body accept anything.
    assert!(schema::validate_request("GET", "/v0/self", &json!({"x": 1})).is_ok());
    assert!(schema::validate_request("POST", "/__mock/nowhere", &json!(1)).is_ok());
}

#[test]
fn documented_messages_of_specific_fields() {
    let first = |method: &str, route: &str, body: Value| {
        schema::validate_request(method, route, &body)
            .unwrap_err()
            .remove(0)
    };
    assert_eq!(
        first(
            "PUT",
            "/v0/auth/code",
            json!({"tenantId": "demo1234", "channel": "fax", "verificationCode": "123456"})
        ),
        "Invalid channel"
    );
    assert_eq!(
        first(
            "POST",
            "/v0/auth/verify/phone",
            json!({"tenantId": "demo1234", "phoneNumber": "555-1234"})
        ),
        "Phone number must be in E.164 format."
    );
    assert_eq!(
        first("POST", "/v0/keys", json!({"type": "root"})),
        "Invalid key type"
    );
    assert_eq!(first("POST", "/v0/keys", json!({})), "\"type\" is required");
    assert_eq!(
        first("PUT", "/v0/users/{userId}", json!({"userId": 0})),
        "\"userId\" must be a positive integer"
    );
    assert_eq!(
        first("PUT", "/v0/users/{userId}", json!({"userUuid": "nope"})),
        "\"userUuid\" must be a valid GUID"
    );
    assert_eq!(
        first("POST", "/v0/user-import", json!({"users": []})),
        "\"users\" is required"
    );
    assert_eq!(
        first("POST", "/v0/user-import", json!({"users": [{"name": "x"}]})),
        "\"email\" is required"
    );
    assert_eq!(
        first(
            "POST",
            "/v0/auth/basic",
            json!({"tenantId": "demo1234", "emailOrUsername": "admin"})
        ),
        "\"password\" is required"
    );
    assert!(
        schema::validate_request(
            "POST",
            "/v0/auth/basic",
            &json!({"tenantId": "demo1234", "username": "admin", "password": "x"})
        )
        .is_ok()
    );
    // Clearing a phone number is allowed; a malformed one is not.
    assert!(
        schema::validate_request("PUT", "/v0/users/{userId}", &json!({"phoneNumber": ""})).is_ok()
    );
    assert!(
        schema::validate_request("PUT", "/v0/users/{userId}", &json!({"phoneNumber": null}))
            .is_ok()
    );
    assert_eq!(
        first("PUT", "/v0/users/{userId}", json!({"phoneNumber": "12"})),
        "Phone number must be in E.164 format."
    );
}

#[tokio::test]
async fn the_mock_refuses_bodies_that_break_their_schema() {
    let h = Harness::start().await;
    let signup = format!("/v0/tenants/{DEMO_TENANT}/auth/create");
    h.refusals(
        Method::POST,
        &[
            (
                &signup,
                json!({"email": ["a@b.co"], "password": TEST_PASSWORD}),
                400,
                "\"email\" must be a string",
            ),
            (
                &signup,
                json!({"email": "new@example.com", "password": TEST_PASSWORD, "username": 7}),
                400,
                "\"username\" must be a string",
            ),
            (
                "/v0/auth/create",
                json!({"email": "new@example.com", "password": TEST_PASSWORD}),
                400,
                "\"tenantId\" is required",
            ),
            (
                &format!("/v0/tenants/{DEMO_TENANT}/auth/basic"),
                json!({"emailOrUsername": "admin@example.com", "password": false}),
                400,
                "\"password\" must be a string",
            ),
        ],
    )
    .await;
    // Nothing was created by the refused sign-ups.
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
        .json(json!({"emailOrUsername": "new@example.com", "password": TEST_PASSWORD}))
        .send()
        .await
        .err(400, "Incorrect email or password");
    // The control surface is checked too.
    h.post("/__mock/clock")
        .json(json!({"advanceSeconds": "soon"}))
        .send()
        .await
        .err(400, "\"advanceSeconds\" must be a number");
}

#[tokio::test]
async fn unknown_members_and_null_optionals_are_accepted() {
    let h = Harness::start().await;
    let body = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/create"))
        .json(json!({
            "email": "Fresh@Example.com", "password": TEST_PASSWORD,
            "name": null, "data": null, "favouriteColour": "teal",
            "options": {"noSignupEmail": true, "somethingNew": 1},
        }))
        .send()
        .await
        .ok();
    assert_eq!(body["email"], "fresh@example.com");
    assert_eq!(body["message"], "OK");
    assert!(body.get("favouriteColour").is_none());
}

#[tokio::test]
async fn a_fresh_mock_answers_its_first_request_quickly() {
    let started = std::time::Instant::now();
    let h = Harness::start().await;
    let mode = h
        .get(&format!("/v0/tenants/{DEMO_TENANT}/mode"))
        .send()
        .await
        .ok();
    let elapsed = started.elapsed();
    assert_eq!(mode["mode"], "test");
    // Generous for a debug build on a busy machine; the release binary answers in a few ms.
    assert!(elapsed.as_millis() < 1000, "first answer after {elapsed:?}");
}

#[test]
fn malformed_search_filters_are_invalid_filters_wherever_the_fault_is() {
    let first = |body: Value| {
        schema::validate_request("POST", "/v0/users/find", &body)
            .unwrap_err()
            .remove(0)
    };
    let group = |filter: Value| json!({"filters": {"conjunction": "and", "filterGroups": [{"conjunction": "or", "filters": [filter]}]}});
    for bad in [
        json!({"filters": "role is admin"}),
        json!({"filters": {"conjunction": "xor", "filterGroups": []}}),
        json!({"filters": {"conjunction": "and", "filterGroups": {}}}),
        group(json!({"attr": "email", "type": "colour", "comparison": "is", "value": "x"})),
        group(json!({"attr": "email", "type": "string", "comparison": "before", "value": "x"})),
        group(json!({"attr": "locked", "type": "boolean", "comparison": "is", "value": "yes"})),
        group(
            json!({"attr": "createdAt", "type": "date", "comparison": "between", "value": ["2024-01-01"]}),
        ),
    ] {
        assert_eq!(first(bad.clone()), "Invalid filters", "{bad}");
    }
    assert_eq!(first(json!({"order": "email_ASC"})), "Invalid order");
    assert_eq!(
        first(json!({"page": 0})),
        "\"page\" must be a positive integer"
    );
    for good in [
        group(
            json!({"attr": "role", "type": "string", "comparison": "is", "value": "demo1234:admin"}),
        ),
        group(json!({"attr": "phoneNumber", "type": "string", "comparison": "is unknown"})),
        group(json!({"attr": "createdAt", "type": "date", "comparison": "less than", "value": 7})),
        group(
            json!({"attr": "data.tags", "type": "array", "comparison": "any", "value": ["a", "b"]}),
        ),
        json!({"page": 2.0, "order": "createdAt_ASC"}),
    ] {
        assert!(
            schema::validate_request("POST", "/v0/users/find", &good).is_ok(),
            "{good}"
        );
    }
}

#[test]
fn blank_contact_fields_of_a_code_request_mean_none() {
    let route = "/v0/tenants/{tenantId}/auth/code";
    let body = |phone: &str| json!({"channel": "email", "email": "admin@example.com", "phoneNumber": phone});
    assert!(schema::validate_request("POST", route, &body("")).is_ok());
    assert_eq!(
        schema::validate_request("POST", route, &body("12")),
        Err(vec!["Phone number must be in E.164 format.".to_owned()])
    );
}

#[test]
fn every_documented_body_schema_compiles() {
    let doc = schema::document();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if op.get("requestBody").is_some() {
                // A number is never a valid body, so a compiled validator always refuses it.
                let refused = schema::validate_request(method, path, &json!(42));
                assert!(
                    refused.is_err(),
                    "{method} {path}: request schema does not compile"
                );
                checked += 1;
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                let Ok(status) = status.parse::<u16>() else {
                    continue;
                };
                let concrete = path.replace('{', "x").replace('}', "");
                if let Err(errors) =
                    schema::validate_response(method, &concrete, status, &json!(42))
                {
                    assert!(
                        !errors.iter().any(|e| e.starts_with("no schema")),
                        "{method} {path} {status}: {errors:?}"
                    );
                } else {
                    assert!(
                        response
                            .get("content")
                            .is_none_or(|c| c.get("application/json").is_none()),
                        "{method} {path} {status} accepted a number"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked} schemas checked");
}
