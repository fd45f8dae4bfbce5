//! `userfront-mock exec -- COMMAND` (issue 13, item 3): the mock serves on a free port while
//! COMMAND runs with its URL, tenant and keys in the environment, and the exit code is
//! COMMAND's, so CI fails when the tests fail.

use crate::common;

use std::collections::HashMap;

use common::binary::{BIN, Binary};
use userfront_mock::DEMO_TENANT;

/// Runs `userfront-mock [flags] exec -- sh -c SCRIPT` to the end (at most 60 s, `timeout`).
fn exec_sh(flags: &[&str], script: &str) -> std::process::Output {
    let mut args = vec!["60", BIN];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["exec", "--", "sh", "-c", script]);
    // `timeout` bounds the run; none of the test's own `USERFRONT_*` variables pass.
    let mut command = std::process::Command::new("timeout");
    command.args(&args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("USERFRONT_") {
            command.env_remove(name);
        }
    }
    command.output().expect("runs")
}

#[test]
fn the_exit_code_is_the_commands_and_the_mock_serves_meanwhile() {
    let dir = common::tempdir::TempDir::new("exec-env");
    let env_file = dir.path("env");
    // The command asks the mock for its health with the binary itself, then records its
    // environment and exits 3.
    let script = format!(
        r#""{BIN}" --port "${{USERFRONT_MOCK_URL##*:}}" health || exit 42; env > "{}"; exit 3"#,
        env_file.display()
    );
    let output = exec_sh(&[], &script);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let env: HashMap<String, String> = std::fs::read_to_string(&env_file)
        .expect("the command ran")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let url = &env["USERFRONT_MOCK_URL"];
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_ne!(url, "http://127.0.0.1:4780", "a free port, not the default");
    assert_eq!(env["USERFRONT_TENANT_ID"], DEMO_TENANT);
    for (name, prefix) in [
        ("USERFRONT_TEST_ADMIN_KEY", "uf_test_admin_demo1234_"),
        ("USERFRONT_TEST_READONLY_KEY", "uf_test_readonly_demo1234_"),
        ("USERFRONT_LIVE_ADMIN_KEY", "uf_live_admin_demo1234_"),
        ("USERFRONT_LIVE_READONLY_KEY", "uf_live_readonly_demo1234_"),
    ] {
        assert!(env[name].starts_with(prefix), "{name}={}", env[name]);
    }
    // The mock's lines go to stderr; the command's stdout is its own.
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains(url.as_str()));
}

#[test]
fn success_is_zero_and_the_mock_is_gone_afterwards() {
    let dir = common::tempdir::TempDir::new("exec-zero");
    let url_file = dir.path("url");
    let output = exec_sh(
        &[],
        &format!(r#"echo "$USERFRONT_MOCK_URL" > "{}""#, url_file.display()),
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let url = std::fs::read_to_string(&url_file).unwrap();
    let port = url.trim().rsplit_once(':').unwrap().1.to_owned();
    let health = Binary::command(&["--port", &port, "health"])
        .output()
        .unwrap();
    assert_eq!(
        health.status.code(),
        Some(1),
        "the mock stopped with the command"
    );
}

#[test]
fn a_killed_command_is_128_plus_the_signal_and_a_missing_one_127() {
    let output = exec_sh(&[], "kill -9 $$");
    assert_eq!(output.status.code(), Some(128 + 9), "{output:?}");

    let output = Binary::command(&["exec", "--", "/nonexistent/command"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(127), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot start `/nonexistent/command`"),
        "{stderr}"
    );
}

#[test]
fn mock_flags_apply_and_the_flat_form_still_works() {
    // Flags before `exec` configure the mock: an empty one has no users.
    let output = exec_sh(
        &["--empty", "--port", "0"],
        r#"test -n "$USERFRONT_MOCK_URL""#,
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    // Without a subcommand, the flags still start a plain server.
    let mut mock = Binary::start(&["--port", "0"]);
    assert!(mock.base_url().starts_with("http://127.0.0.1:"));
    assert!(mock.terminate(std::time::Duration::from_secs(10)).success());
    // `exec` needs a command.
    let output = Binary::command(&["exec"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
