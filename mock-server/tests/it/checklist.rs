//! The "adding an endpoint" checklist of `CONTRIBUTING.md`, enforced: for every operation of the
//! route table (`schemas/operations.json`), each piece the checklist asks for exists, and the
//! failure names the operation and the missing piece.
//!
//! - **handler**: the operation has a row in the router's table (`handlers()` in
//!   `mock-server/src/api/mod.rs`, read through `userfront_mock::handled_operations`), and every
//!   row there names an operation of the route table;
//! - **schemas**: the `request` and `response` schemas the row names exist in `schemas/`; a JSON
//!   answer names a schema; a `POST`/`PUT`/`PATCH` names a request schema unless it is in
//!   [`BODYLESS`];
//! - **scenario**: a conformance scenario (`conformance/src/scenarios/**/*.rs`) sends it (for
//!   operations of the Userfront API; the `/__mock` control surface is the mock's own, and the
//!   runner checks implementations of Userfront);
//! - **test**: a mock integration test (`mock-server/tests/it/**/*.rs`) calls it.
//!
//! "Sends" and "calls" are found in the sources, not by running them: every string literal
//! holding a path (`"/v0/..."`, `"/__mock/..."`, also after a `format!` prefix such as
//! `"{base}/v0/..."`), query cut off, is matched against the operation's path forms segment by
//! segment (a `{parameter}` of the template matches any segment; a `{placeholder}` of a
//! `format!` string matches only a parameter), and the operation's method must be named near
//! it (within [`WINDOW`] bytes: `.post(`, `Method::POST`, `"POST"`, ...). Running the suites
//! instead would be exact but would need a full conformance run and a journal of every mock
//! test inside one test, which a test binary cannot order; the scan is instant, deterministic,
//! and its one blind spot (a path assembled from pieces with no literal of its own) fails
//! loudly rather than passing silently. It proves a test or scenario names the operation, not
//! what it asserts: that is for review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// How far (in bytes, each side) from a path literal its method may be named.
const WINDOW: usize = 240;

/// `POST`/`PUT`/`PATCH` operations that take no body, so have no request schema.
const BODYLESS: [&str; 5] = [
    "createSamlTokenLegacy",
    "markUserActive",
    "processUserImport",
    "mockReset",
    "mockSaveExport",
];

/// Pieces the scan does not find, each with the reason: `(operationId, "scenario" or "test",
/// why)`. Either the piece is there but out of the scan's sight (a method or path passed in a
/// variable; where it is, is said), or it is missing today and listed so that the checklist is
/// enforced for everything else. A listed piece that the scan finds fails the test: remove the
/// line.
const EXEMPT: [(&str, &str, &str); 8] = [
    (
        "sendMfaCodeLegacy",
        "test",
        "blind: mfa.rs `legacy(h, Method::POST, ..)` passes the method",
    ),
    (
        "logInWithMfaCodeLegacy",
        "test",
        "blind: mfa.rs `legacy(h, Method::PUT, ..)` passes the method",
    ),
    (
        "sendVerificationLinkLegacy",
        "scenario",
        "blind: links.rs loops over [\"auth/verify/email\", \"auth/verify/link\"]",
    ),
    (
        "createTenantRole",
        "scenario",
        "blind: roles.rs and flows.rs take the tenant-form base in a variable",
    ),
    (
        "listTenantRoles",
        "scenario",
        "blind: roles.rs and flows.rs take the tenant-form base in a variable",
    ),
    (
        "setTenantUserRoles",
        "scenario",
        "blind: flows::set_roles takes the tenant-form base in a variable",
    ),
    (
        "setTenantUserRolesPost",
        "scenario",
        "blind: flows::set_roles takes the tenant-form base in a variable",
    ),
    (
        "deleteTenantRole",
        "scenario",
        "blind: roles.rs takes the tenant-form base in a variable",
    ),
];

fn exempt(id: &str, piece: &str) -> bool {
    EXEMPT.iter().any(|(i, p, _)| *i == id && *p == piece)
}

/// What a success of an operation is when it is not a JSON body with a schema.
const NON_SCHEMA_RESPONSES: [&str; 4] = ["redirect", "html", "htmlOrRedirect", "object"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `.rs` files under `dir`, recursively, with their text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// Every path literal of `text` (query cut off) with the text around it. Comments, character
/// literals and raw strings are stepped over, so a quote in them does not throw the reading of
/// the rest of the file out of step.
fn path_literals(text: &str) -> Vec<(String, &str)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(rest) = text.get(i..) else {
            i += 1;
            continue;
        };
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if bytes[i] == b'\'' {
            // `'"'`, `'\''`, `'\\'`; a lifetime has no closing quote two or three bytes on.
            i += match (bytes.get(i + 1), bytes.get(i + 2), bytes.get(i + 3)) {
                (Some(b'\\'), _, Some(b'\'')) => 4,
                (Some(_), Some(b'\''), _) => 3,
                _ => 1,
            };
            continue;
        }
        let (open, close) = if rest.starts_with("r#\"") {
            (3, "\"#")
        } else if bytes[i] == b'"' {
            (1, "")
        } else {
            i += 1;
            continue;
        };
        let start = i + open;
        let mut end = start;
        if close.is_empty() {
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
        } else {
            end += text[start..].find(close).unwrap_or(text.len() - start);
        }
        let end = end.min(text.len());
        let literal = text.get(start..end).unwrap_or_default();
        if let Some(path) = written_path(literal, &text[..i]) {
            let mut from = start.saturating_sub(WINDOW);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let mut to = (end + WINDOW).min(text.len());
            while !text.is_char_boundary(to) {
                to += 1;
            }
            found.push((path, &text[from..to]));
        }
        i = end + close.len().max(1);
    }
    found
}

/// The path a string literal stands for, if it is one: `"/v0/..."` or `"/__mock/..."` (after a
/// `format!` prefix such as `{base}`), or the tenant-relative `"auth/code"` of the scenarios'
/// `path(cx, ...)` helpers (`/v0/tenants/{tenant}/...`). The query is cut off.
fn written_path(literal: &str, before: &str) -> Option<String> {
    let rest = match literal.strip_prefix('{') {
        Some(r) => r.split_once('}').map_or("", |(_, after)| after),
        None => literal,
    };
    let path = if rest.starts_with("/v0/") || rest.starts_with("/__mock/") {
        rest.to_owned()
    } else if before.ends_with("path(cx, ") || before.ends_with("path(&cx, ") {
        format!("/v0/tenants/{{}}/{rest}")
    } else {
        return None;
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    // A placeholder glued to the last segment (`"/v0/auth/sessions{query}"`) is a query.
    let (head, last) = path.rsplit_once('/')?;
    let last = match last.find('{') {
        Some(at) if at > 0 => &last[..at],
        _ => last,
    };
    Some(format!("{head}/{last}"))
}

/// Whether a path as written in a source matches a route template.
fn matches_template(template: &str, written: &str) -> bool {
    let (t, w): (Vec<_>, Vec<_>) = (template.split('/').collect(), written.split('/').collect());
    t.len() == w.len()
        && t.iter().zip(&w).all(|(t, w)| {
            let param = t.starts_with('{');
            if w.contains('{') {
                param
            } else {
                param && !w.is_empty() || t == w
            }
        })
}

/// Whether `window` names `method` as a call or a constant.
fn names_method(window: &str, method: &str) -> bool {
    let lower = method.to_ascii_lowercase();
    [
        format!(".{lower}("),
        format!("Method::{method}"),
        format!("\"{method}\""),
        format!("{lower}_as("),
        format!("{lower}_refused("),
        format!(" {lower}("),
    ]
    .iter()
    .any(|needle| window.contains(needle.as_str()))
}

/// The operations some source of `files` sends: operation id → one file that does.
fn operations_named(files: &[(PathBuf, String)]) -> BTreeMap<&'static str, PathBuf> {
    let mut named = BTreeMap::new();
    for (file, text) in files {
        for (path, window) in path_literals(text) {
            for route in userfront_contract::routes::routes() {
                if route.forms().any(|f| matches_template(f, &path))
                    && names_method(window, route.method)
                {
                    named.entry(route.operation_id).or_insert(file.clone());
                }
            }
        }
    }
    named
}

/// Every piece of the checklist for every operation; the missing ones, named.
fn missing_pieces() -> Vec<String> {
    let root = repo();
    let table: Value = serde_json::from_str(userfront_contract::OPERATIONS_JSON).expect("table");
    let rows: BTreeMap<&str, &Value> = table["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter_map(|op| Some((op["operationId"].as_str()?, op)))
        .collect();
    let handled: BTreeSet<&str> = userfront_mock::handled_operations().into_iter().collect();
    let scenarios = operations_named(&sources(&root.join("conformance/src/scenarios")));
    let tests = operations_named(&sources(&root.join("mock-server/tests/it")));
    let schema_exists = |name: &str| root.join(format!("schemas/{name}.json")).is_file();
    let mut missing = Vec::new();
    for route in userfront_contract::routes::routes() {
        let id = route.operation_id;
        let row = rows[id];
        let mut lacks = Vec::new();
        if !handled.contains(id) {
            lacks.push("no handler (a row in `handlers()` of mock-server/src/api/mod.rs)".into());
        }
        match row["request"].as_str() {
            Some(name) if !schema_exists(name) => {
                lacks.push(format!("no request schema schemas/{name}.json"));
            }
            None if matches!(route.method, "POST" | "PUT" | "PATCH") && !BODYLESS.contains(&id) => {
                lacks.push("no request schema (\"request\" in operations.json)".into());
            }
            _ => {}
        }
        if !NON_SCHEMA_RESPONSES.contains(&route.response) && !schema_exists(route.response) {
            lacks.push(format!(
                "no response schema schemas/{}.json",
                route.response
            ));
        }
        // The runner checks the Userfront API of any implementation; the mock's own control
        // surface is not part of it.
        if route.is_userfront() && !scenarios.contains_key(id) && !exempt(id, "scenario") {
            lacks.push("no conformance scenario sends it (conformance/src/scenarios/)".into());
        }
        if !tests.contains_key(id) && !exempt(id, "test") {
            lacks.push("no mock integration test calls it (mock-server/tests/it/)".into());
        }
        for lack in lacks {
            missing.push(format!("{id} ({}): {lack}", route.label()));
        }
    }
    for id in &handled {
        if !rows.contains_key(id) {
            missing.push(format!(
                "{id}: a handler for an operation the route table does not have"
            ));
        }
    }
    for (id, piece, _) in &EXEMPT {
        let found = match *piece {
            "scenario" => scenarios.contains_key(id),
            _ => tests.contains_key(id),
        };
        if found || !rows.contains_key(id) {
            missing.push(format!(
                "{id}: its {piece} is listed in EXEMPT but the scan finds it \
                 (or the operation is gone): remove the line"
            ));
        }
    }
    for id in BODYLESS {
        if rows.get(id).is_none_or(|row| row["request"].is_string()) {
            missing.push(format!(
                "{id}: listed in BODYLESS but has a request schema or is gone"
            ));
        }
    }
    missing
}

#[test]
fn every_operation_has_every_piece_of_the_checklist() {
    let missing = missing_pieces();
    assert!(
        missing.is_empty(),
        "CONTRIBUTING.md, \"Adding an endpoint\": {} missing piece(s):\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn the_scan_reads_paths_as_templates() {
    assert!(matches_template("/v0/users/{userId}", "/v0/users/{id}"));
    assert!(matches_template("/v0/users/{userId}", "/v0/users/5"));
    assert!(matches_template("/v0/keys/jwt", "/v0/keys/jwt"));
    assert!(!matches_template("/v0/keys/jwt", "/v0/keys/{kind}"));
    assert!(!matches_template("/v0/users/{userId}", "/v0/users"));
    let text = r#"h.post(&format!("{base}/v0/tenants/{}/auth/basic?x=1", t)).send()"#;
    let found = path_literals(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "/v0/tenants/{}/auth/basic");
    assert!(names_method(found[0].1, "POST"));
    assert!(!names_method(found[0].1, "PUT"));
    // A quote in a comment or a character literal does not shift the reading.
    let text = "// a \" quote\nlet q = '\"'; cx.put(path(&cx, \"auth/code\"))";
    let found = path_literals(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "/v0/tenants/{}/auth/code");
    assert!(names_method(found[0].1, "PUT"));
    let found = path_literals(r#"cx.get(format!("/v0/auth/sessions{query}"))"#);
    assert_eq!(found[0].0, "/v0/auth/sessions");
}
