use super::*;

fn result(name: &str, status: Status) -> ScenarioResult {
    ScenarioResult {
        name: name.into(),
        group: Group::Auth,
        tags: vec![],
        status,
        duration_ms: 1,
        message: (status != Status::Passed).then(|| "why <this> & \"that\"".into()),
        exchanges: vec![],
        known: None,
    }
}

fn report(results: Vec<ScenarioResult>) -> Report {
    Report {
        target: "http://x".into(),
        run_id: "r".into(),
        seed: 1,
        cases: 1,
        mock_controls: true,
        results,
        uncovered_routes: vec![],
        cleanup_leftovers: vec![],
        observed: Default::default(),
        duration_ms: 5,
        baseline_now_passing: vec![],
        reference: None,
        differences: vec![],
        interrupted: false,
    }
}

#[test]
fn summary_mentions_skips_only_when_there_are_some() {
    let r = report(vec![
        result("a", Status::Passed),
        result("b", Status::Failed),
    ]);
    assert_eq!(r.summary(), "1 passed, 1 failed");
    assert!(!r.success());
    let r = report(vec![
        result("a", Status::Passed),
        result("b", Status::Skipped),
    ]);
    assert_eq!(r.summary(), "1 passed, 0 failed, 1 skipped");
    assert!(r.success());
    assert!(r.human().ends_with("1 passed, 0 failed, 1 skipped\n"));
}

#[test]
fn root_causes_ignore_where_and_run_specific_values() {
    let a = root_cause(
        "step 2 Rename { slot: 0 }: PUT /v0/self: expected 200, got 401: {\"statusCode\":401}",
    );
    let b = root_cause("GET /v0/users/57: expected 200, got 401: {\"statusCode\":401}");
    assert_eq!(a, b);
    assert_eq!(
        root_cause("token kid abc is not in the test JWKS of demo1234"),
        root_cause("token kid abc is not in the test JWKS of demo1234\nmore")
    );
    assert_ne!(
        root_cause("token kid abc is not in the test JWKS"),
        root_cause("token kid abc is not in the live JWKS")
    );
    assert_eq!(
        root_cause(
            "responses depart from the documented contract:\n  POST /v0/auth/create -> 200: missing member email"
        ),
        root_cause(
            "responses depart from the documented contract:\n  GET /v0/self -> 200: missing member email"
        )
    );
}

#[test]
fn failures_are_grouped_and_the_baseline_keeps_known_ones_out() {
    let mut known = result("c", Status::Failed);
    known.known = Some("issue 1".into());
    let mut other = result("d", Status::Failed);
    other.message = Some("a different cause".into());
    let r = report(vec![
        result("a", Status::Failed),
        result("b", Status::Failed),
        known,
        other,
        result("e", Status::Warning),
    ]);
    let groups = r.failure_groups();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].len(), 2);
    assert_eq!(
        r.summary(),
        "0 passed, 3 failed, 1 warning, 1 known failure"
    );
    let human = r.human();
    assert_eq!(human.matches("\n--- ").count(), 2, "{human}");
    assert!(human.contains("  FAILED b: why"), "{human}");
}

#[test]
fn junit_escapes_and_counts() {
    let r = report(vec![
        result("a", Status::Failed),
        result("b", Status::Skipped),
    ]);
    let xml = r.junit();
    assert!(xml.contains("tests=\"2\" failures=\"1\" skipped=\"1\""));
    assert!(xml.contains("why &lt;this&gt; &amp; &quot;that&quot;"));
    assert!(xml.contains("<skipped message="));
}
