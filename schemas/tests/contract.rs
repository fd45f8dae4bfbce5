//! The contract's sources agree with each other: the committed OpenAPI document is the build of
//! the route table and the schemas, the spec's checklist is in the table, and the table is
//! unambiguous.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Value, json};
use userfront_contract::{ENDPOINTS_TSV, Side, openapi, routes};

fn committed_openapi() -> Value {
    serde_json::from_str(userfront_contract::OPENAPI_JSON).expect("openapi.json is JSON")
}

/// Also the regeneration command: `UPDATE_OPENAPI=1 cargo test -p userfront-contract`.
#[test]
fn committed_document_is_built_from_the_sources() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if let Err(e) = openapi::check_committed(&path) {
        panic!("{e}");
    }
}

#[test]
fn the_document_has_exactly_the_paths_of_the_table() {
    let doc = committed_openapi();
    let from_table: Vec<String> = routes::routes()
        .iter()
        .flat_map(|r| {
            r.forms()
                .map(move |p| format!("{} {p}", r.method.to_lowercase()))
        })
        .collect();
    let documented: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |m| format!("{m} {path}"))
        })
        .collect();
    let only_table: Vec<&String> = from_table
        .iter()
        .filter(|r| !documented.contains(r))
        .collect();
    let only_doc: Vec<&String> = documented
        .iter()
        .filter(|r| !from_table.contains(r))
        .collect();
    assert!(
        only_table.is_empty() && only_doc.is_empty(),
        "in the table only: {only_table:?}; in openapi.json only: {only_doc:?} (regenerate it)"
    );
    assert_eq!(
        from_table.len(),
        documented.len(),
        "a route is declared twice"
    );
}

/// The spec's checklist (`endpoints.tsv`, copied from the spec) is in the table: every row is
/// an operation with the same method, side and group, and its tenant form is served too.
#[test]
fn every_row_of_the_checklist_is_in_the_table() {
    let mut rows = 0;
    for line in ENDPOINTS_TSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (method, path, alias, side, group) = (cols[0], cols[1], cols[2], cols[3], cols[5]);
        let route = routes::routes()
            .iter()
            .find(|r| r.method == method && r.path == path)
            .unwrap_or_else(|| {
                panic!("{method} {path} of endpoints.tsv is not in operations.json")
            });
        assert_eq!(route.side.as_str(), side, "{method} {path}");
        assert_eq!(
            route.group.map(|g| g.as_str()),
            Some(group),
            "{method} {path}"
        );
        if alias != "-" {
            // The tenant form is the route's alias, or (GET /v0/keys/jwt) an operation of its own.
            let served = route.alias == Some(alias)
                || routes::routes()
                    .iter()
                    .any(|r| r.method == method && r.forms().any(|f| f == alias));
            assert!(
                served,
                "{method} {alias} of endpoints.tsv is not in operations.json"
            );
        }
        rows += 1;
    }
    assert_eq!(rows, 82, "the checklist has 82 rows");
    assert_eq!(routes::checklist().count(), 82);
}

/// No two templates of one method have the same shape, so matching never has to pick between
/// equals.
#[test]
fn the_table_is_unambiguous() {
    let mut shapes = HashSet::new();
    let mut ids = HashSet::new();
    for route in routes::routes() {
        assert!(
            ids.insert(route.operation_id),
            "{} twice",
            route.operation_id
        );
        for form in route.forms() {
            let shape: Vec<&str> = form
                .split('/')
                .map(|s| if s.starts_with('{') { "{}" } else { s })
                .collect();
            assert!(
                shapes.insert((route.method, shape)),
                "{} {form} has the shape of another route",
                route.method
            );
        }
    }
    assert!(routes::routes().iter().any(|r| r.side == Side::Mock));
}

#[test]
fn operations_have_unique_ids_and_declare_their_errors() {
    let doc = committed_openapi();
    let mut ids = HashSet::new();
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

#[test]
fn a_broken_source_is_named_not_panicked_on() {
    let schemas = Default::default();
    let no_ops = openapi::build_from(&json!({}), &schemas).unwrap_err();
    assert!(no_ops.contains("operations"), "{no_ops}");
    let table = json!({"operations": [{"operationId": "x", "method": "get", "path": "/v0/x",
        "auth": "public", "response": "Nope"}]});
    let missing = openapi::build_from(&table, &schemas).unwrap_err();
    assert!(missing.contains("no schema Nope"), "{missing}");
    let table = json!({"operations": [{"operationId": "x", "method": "get", "path": "/v0/x",
        "auth": "sometimes", "response": "object"}]});
    let auth = openapi::build_from(&table, &schemas).unwrap_err();
    assert!(auth.contains("unknown auth kind"), "{auth}");
}
