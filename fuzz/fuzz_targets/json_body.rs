//! The JSON request-body path of every documented operation (`api::Body`: parse, then the
//! route's request schema): any bytes are accepted as exactly the JSON object sent, or refused
//! with 400 (or 413) in the documented error format `{statusCode, message, error: {type}}`;
//! nothing panics.
//!
//! Input: byte 0 picks the operation, the rest is the body.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use userfront_mock::fuzzing::{Method, Router, body_operations, body_router, send};

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
    /// `(method, route template, a concrete path of it)`.
    operations: Vec<(Method, String, String)>,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let operations = body_operations()
            .into_iter()
            .map(|(method, route)| {
                let path = route
                    .split('/')
                    .map(|s| if s.starts_with('{') { "x1" } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                (method, route, path)
            })
            .collect::<Vec<_>>();
        assert!(!operations.is_empty(), "no operation takes a body");
        let harness = Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime"),
            router: body_router(),
            operations,
        };
        // Compile every operation's request validator up front (the mock does it on first use),
        // so that the execution speed libFuzzer reports is the steady state.
        for (method, _, path) in &harness.operations {
            let _ = harness.runtime.block_on(send(
                &harness.router,
                method.clone(),
                path,
                b"{}".to_vec(),
            ));
        }
        harness
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let h = harness();
    let (method, route, path) = &h.operations[usize::from(pick) % h.operations.len()];
    let (status, answer) = h
        .runtime
        .block_on(send(&h.router, method.clone(), path, body.to_vec()));
    let answer: Value = serde_json::from_slice(&answer)
        .unwrap_or_else(|e| panic!("{method} {route}: {status} answer is not JSON ({e})"));
    match status {
        200 => {
            let sent = if body.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else {
                serde_json::from_slice(body).expect("accepted body is JSON")
            };
            assert_eq!(answer, sent, "{method} {route}: accepted body changed");
        }
        400 | 413 => {
            assert_eq!(answer["statusCode"], status, "{method} {route}: {answer}");
            assert!(answer["message"].is_string(), "{method} {route}: {answer}");
            assert!(
                answer["error"]["type"].is_string(),
                "{method} {route}: {answer}"
            );
        }
        _ => panic!("{method} {route}: unexpected status {status}: {answer}"),
    }
});
