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

/// SIGTERM with a request half sent (its head never ends, and the header timeout is long)
/// still exits within the shutdown timeout and saves the state.
#[test]
fn sigterm_with_a_half_sent_request_exits_in_time_and_saves() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!(
        "uf-cli-sigterm-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--header-timeout",
            "60",
            "--body-timeout",
            "60",
        ])
        .args(["--shutdown-timeout", "500ms", "--export-on-exit"])
        .arg(&file)
        .env_remove("USERFRONT_MOCK_PORT")
        .env_remove("USERFRONT_MOCK_FIXTURES")
        .env_remove("USERFRONT_MOCK_EMPTY")
        .env_remove("USERFRONT_MOCK_IMPORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut running = Running(child);
    let mut out = BufReader::new(running.0.stdout.take().expect("stdout"));
    let lines = banner(&mut out);
    let addr = lines[0]
        .strip_prefix("userfront-mock listening on http://")
        .expect("address")
        .to_owned();
    let mut head = std::net::TcpStream::connect(&addr).expect("connects");
    head.write_all(b"GET /v0/tenants/demo1234/mode HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .unwrap();
    let mut body = std::net::TcpStream::connect(&addr).expect("connects");
    body.write_all(
        b"POST /v0/tenants/demo1234/auth/basic HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 50\r\n\r\n{",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let pid = running.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_with_timeout(&mut running.0, Duration::from_secs(5));
    assert!(status.success(), "clean exit, got {status}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("rest of stdout");
    assert!(rest.contains("state saved to"), "{rest}");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("state file written")).unwrap();
    assert!(saved.is_object());
    drop((head, body));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bound to every interface, the binary warns that anyone who can reach it has the control
/// surface. (Only 127.0.0.1 is contacted.)
#[test]
fn a_non_loopback_bind_prints_a_warning() {
    let child = Command::new(BIN)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .env_remove("USERFRONT_MOCK_PORT")
        .env_remove("USERFRONT_MOCK_FIXTURES")
        .env_remove("USERFRONT_MOCK_EMPTY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut running = Running(child);
    let mut out = BufReader::new(running.0.stdout.take().expect("stdout"));
    banner(&mut out);
    let pid = running.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_with_timeout(&mut running.0, Duration::from_secs(10));
    let mut err = String::new();
    running
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("warning: listening on 0.0.0.0, a non-loopback address"),
        "{err}"
    );
}
