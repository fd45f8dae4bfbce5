//! The official JavaScript client, `@userfront/core` from the npm registry, unmodified, driven
//! end to end against an in-process mock (the Node tests live in `clients/js/test/`).
//!
//! This test fails, never skips, when Node.js or the npm packages are missing: `scripts/test`
//! installs them (`npm ci` in `clients/js`) before running the Rust tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use userfront_mock::MockUserfront;

/// The Node project of the client tests.
fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/js")
}

const HOW_TO_FIX: &str = "run `scripts/test` (it runs `npm ci` in clients/js), or `npm ci` in \
                          clients/js yourself; Node.js 18 or newer and npm must be installed";

/// Node's version, or a failure that says how to get it.
fn node_version() -> String {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => panic!(
            "`node --version` failed ({}): {HOW_TO_FIX}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("Node.js is not installed (`node`: {e}): {HOW_TO_FIX}"),
    }
}

#[tokio::test]
async fn the_official_js_client_works_against_the_mock() {
    let dir = js_dir();
    let version = node_version();
    for package in ["@userfront/core", "jsdom"] {
        let manifest = dir.join("node_modules").join(package).join("package.json");
        assert!(
            manifest.is_file(),
            "{} is missing: {HOW_TO_FIX}",
            manifest.display()
        );
    }

    let mock = MockUserfront::start().await.expect("mock starts");
    let base_url = mock.base_url().to_owned();
    let run_dir = dir.clone();
    // The Node process blocks; the mock keeps serving on the runtime meanwhile.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-concurrency=1",
                "--test-reporter=tap",
                "test/",
            ])
            .current_dir(run_dir)
            .env("USERFRONT_MOCK_URL", base_url)
            .output()
    })
    .await
    .expect("the Node process was waited for")
    .unwrap_or_else(|e| panic!("cannot run node: {e}: {HOW_TO_FIX}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the @userfront/core tests failed under Node {version}:\n{stdout}\n{stderr}"
    );
    let count = |label: &str| -> usize {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` line in the Node output:\n{stdout}"))
    };
    assert_eq!(count("# fail "), 0, "{stdout}");
    assert_eq!(
        count("# skipped "),
        0,
        "no client test may be skipped:\n{stdout}"
    );
    assert!(
        count("# pass ") >= 22,
        "every client test ran and passed:\n{stdout}"
    );
    mock.stop().await;
}
