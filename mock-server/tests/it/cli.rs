//! The `userfront-mock` binary: start on a free port, print what a newcomer needs, serve, and
//! stop cleanly on SIGTERM.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::binary::{BIN, Binary};
use crate::common::tempdir::TempDir;

#[tokio::test]
async fn serves_on_a_free_port_and_stops_on_sigterm() {
    let mut mock = Binary::start(&["--port", "0"]);
    let lines = mock.banner.clone();
    let base = mock.base_url();
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
    assert!(
        text.contains(&format!("web page:        {base}/__mock/")),
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

    let status = mock.terminate(Duration::from_secs(10));
    assert!(status.success(), "clean exit, got {status}");
    let rest = mock.rest_of_stdout();
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
    let dir = TempDir::new("cli-sigterm");
    let file = dir.path("state.json");
    let mut command = Binary::command(&[
        "--port",
        "0",
        "--header-timeout",
        "60",
        "--body-timeout",
        "60",
        "--shutdown-timeout",
        "500ms",
        "--export-on-exit",
    ]);
    let mut mock = Binary::spawn(command.arg(&file));
    let addr = mock.addr();
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
    let status = mock.terminate(Duration::from_secs(5));
    assert!(status.success(), "clean exit, got {status}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    let rest = mock.rest_of_stdout();
    assert!(rest.contains("state saved to"), "{rest}");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("state file written")).unwrap();
    assert!(saved.is_object());
    drop((head, body));
}

/// Bound to every interface, the binary warns that anyone who can reach it has the control
/// surface. (Only 127.0.0.1 is contacted.)
#[test]
fn a_non_loopback_bind_prints_a_warning() {
    let mut mock = Binary::start(&["--host", "0.0.0.0", "--port", "0"]);
    mock.terminate(Duration::from_secs(10));
    let err = mock.stderr();
    assert!(
        err.contains("warning: listening on 0.0.0.0, a non-loopback address"),
        "{err}"
    );
}
