//! The OpenAPI document `schemas/openapi.json`: built from its sources, valid, and served.
//!
//! The generator is `userfront_contract::openapi::build` (the contract crate is the folder
//! `schemas/`); the contract crate's own tests keep the committed document equal to its build.
//! After changing a schema or `schemas/operations.json`, regenerate with
//!
//! ```sh
//! UPDATE_OPENAPI=1 cargo test -p userfront-contract
//! ```
//!
//! (`UPDATE_OPENAPI=1 cargo test -p userfront-mock --test it openapi` does the same.)

use crate::common;

use std::path::{Path, PathBuf};

use common::Harness;
use serde_json::Value;

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_document_is_built_from_the_sources() {
    let path = schemas_dir().join("openapi.json");
    if let Err(e) = userfront_contract::openapi::check_committed(&path) {
        panic!("{e}");
    }
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

/// Every route of the table (`schemas/operations.json`), in both path forms, is served by the
/// mock's router.
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
    let mut unrouted = Vec::new();
    let mut checked = 0;
    for route in userfront_contract::routes::routes() {
        for path in route.forms() {
            let concrete = VALUES.iter().fold(path.to_owned(), |p, (name, value)| {
                p.replace(&format!("{{{name}}}"), value)
            });
            // An undocumented method on a routed path is 405 with the path's methods in `Allow`.
            let resp = h.req(reqwest::Method::PATCH, &concrete).send().await;
            let allow = resp
                .headers
                .get("allow")
                .and_then(|a| a.to_str().ok())
                .unwrap_or_default()
                .to_ascii_uppercase();
            if resp.status != 405 || !allow.split(',').any(|m| m.trim() == route.method) {
                unrouted.push(format!("{} {path}", route.method));
            }
            checked += 1;
        }
    }
    assert!(
        unrouted.is_empty(),
        "documented but not served: {unrouted:#?}"
    );
    assert!(checked > 120, "only {checked} routes checked");
}
