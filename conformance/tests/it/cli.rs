//! The `userfront-conformance` binary as a user runs it.

use crate::proxy;

use std::process::{Command, Output};

use proxy::{Defect, Proxy, Resp};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, MockUserfront, Mode};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_userfront-conformance"))
}

/// The output of a run that must have exited 0, and its last line (the summary).
fn succeeded(out: &Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("").to_owned();
    (stdout, last)
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("uf-cli-{}-{name}", std::process::id()))
}

#[test]
fn run_without_target_checks_the_in_process_mock_and_writes_reports() {
    let junit = scratch("junit.xml");
    let json_report = scratch("report.json");
    let out = bin()
        .args([
            "run", "--seed", "7", "--cases", "4", "--filter", "misc", "--filter", "jwt",
        ])
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json_report)
        .env_remove("USERFRONT_TARGET")
        .output()
        .expect("runs");
    let (stdout, last) = succeeded(&out);
    assert!(
        last.ends_with(" passed, 0 failed") && !last.contains("skipped"),
        "summary line: {last}"
    );
    assert!(
        stdout.contains("ok   misc.mode.test_without_live_origin"),
        "{stdout}"
    );
    assert!(stdout.contains("seed 7"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<testsuite name=\"misc\"") && xml.contains("failures=\"0\""),
        "{xml}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_report).expect("json written"))
            .expect("JSON");
    assert_eq!(report["passed"], true);
    assert_eq!(report["seed"], 7);
    assert_eq!(report["summary"], last);
    let _ = std::fs::remove_file(junit);
    let _ = std::fs::remove_file(json_report);
}

/// A target without `/__mock`: credentials come from flags and environment; scenarios that
/// need the controls are reported as skipped, and the summary says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_without_mock_controls_skips_what_needs_them() {
    let mock = MockUserfront::start().await.expect("mock");
    let hide = Defect::request(|req| {
        req.path.starts_with("/__mock").then(|| {
            Resp::json(404, json!({ "statusCode": 404, "message": "Not Found", "error": { "type": "bad_request_error" } }))
        })
    });
    let proxy = Proxy::start(mock.base_url(), hide).await;
    let readonly = mock
        .api_key(DEMO_TENANT, Mode::Test, KeyType::Readonly)
        .expect("key");
    let admin = mock.admin_key();
    let url = proxy.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        bin()
            .args([
                "run",
                "--cases",
                "2",
                "--filter",
                "session",
                "--filter",
                "auth.create",
            ])
            .args([
                "--target",
                &url,
                "--tenant-id",
                DEMO_TENANT,
                "--readonly-key",
                &readonly,
            ])
            .env("USERFRONT_ADMIN_KEY", admin)
            .output()
            .expect("runs")
    })
    .await
    .expect("joined");
    let (stdout, last) = succeeded(&out);
    assert!(
        stdout.contains("skip session.tokens.expire_on_the_clock"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the target has no /__mock control surface"),
        "{stdout}"
    );
    assert!(
        last.contains(" passed, 0 failed, ") && last.ends_with(" skipped"),
        "{last}"
    );
}

#[test]
fn a_missing_admin_key_or_unreachable_target_is_a_usage_error() {
    let out = bin()
        .args(["run", "--target", "http://127.0.0.1:9"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach"));
}

#[test]
fn list_shows_scenarios_with_group_and_tags() {
    let out = bin()
        .args(["list", "--filter", "property"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("auth.property.sequences"), "{stdout}");
    assert!(stdout.lines().all(|l| l.contains("property")), "{stdout}");
}
