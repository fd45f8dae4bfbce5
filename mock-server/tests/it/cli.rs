//! The `userfront-mock` binary: start on a free port, print what a newcomer needs, serve, and
//! stop cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_userfront-mock");

/// Kills the child if a test fails before it stopped it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads banner lines up to and including the control-surface line.
fn banner(out: &mut BufReader<ChildStdout>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        let read = out.read_line(&mut line).expect("stdout readable");
        assert!(read > 0, "stdout closed early after {lines:?}");
        let done = line.starts_with("control surface:");
        lines.push(line.trim_end().to_owned());
        if done {
            return lines;
        }
    }
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(start.elapsed() < limit, "did not stop within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn serves_on_a_free_port_and_stops_on_sigterm() {
    let child = Command::new(BIN)
        .args(["--port", "0"])
        .env_remove("USERFRONT_MOCK_PORT")
        .env_remove("USERFRONT_MOCK_FIXTURES")
        .env_remove("USERFRONT_MOCK_EMPTY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut running = Running(child);
    let mut out = BufReader::new(running.0.stdout.take().expect("stdout"));
    let lines = banner(&mut out);
    let base = lines[0]
        .strip_prefix("userfront-mock listening on ")
        .unwrap_or_else(|| panic!("first line: {}", lines[0]))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(!base.ends_with(":0"), "a real port: {base}");
    let text = lines.join("\n");
    assert!(
        text.contains("workspace demo1234 (Demo Workspace)"),
        "{text}"
    );
    assert!(
        text.contains("uf_test_readonly_demo1234_2d87b3d230bda5685276b43efdac2852"),
        "{text}"
    );
    assert!(
        text.contains("test users    4 (password: testmodepassword)"),
        "{text}"
    );
    let admin_key = lines
        .iter()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("uf_test_admin_demo1234_"))
        })
        .expect("test admin key printed")
        .to_owned();

    let http = reqwest::Client::new();
    let mode: serde_json::Value = http
        .get(format!("{base}/v0/tenants/demo1234/mode"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(mode["mode"], "test");
    let keys = http
        .get(format!("{base}/v0/keys/jwt"))
        .bearer_auth(&admin_key)
        .send()
        .await
        .expect("request");
    assert_eq!(keys.status(), 200, "the printed admin key works");

    let pid = running.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = wait_with_timeout(&mut running.0, Duration::from_secs(10));
    assert!(status.success(), "clean exit, got {status}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("rest of stdout");
    assert!(rest.contains("userfront-mock stopped"), "{rest}");
}

#[test]
fn help_explains_the_flags() {
    let output = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in ["--port", "--host", "--fixtures", "--empty"] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let output = Command::new(BIN)
        .args(["--port", "not-a-port"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--port"));
}

#[test]
fn a_missing_fixtures_directory_is_reported() {
    let output = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--fixtures",
            "/nonexistent/userfront-fixtures",
        ])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("userfront-mock:") && stderr.contains("seed.json"),
        "{stderr}"
    );
}
