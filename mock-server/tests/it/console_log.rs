//! The console log of the binary (`--log`, `USERFRONT_MOCK_LOG`, `RUST_LOG`): one line per
//! request and per outbox message on stderr, read from a real run; no secret ever printed.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::binary::Binary;

const ADMIN_KEY: &str = "uf_test_admin_demo1234_425a0ecf676fa3b8e9e5ff220a3041a3";
const PASSWORD: &str = "testmodepassword";
const COOKIE_SECRET: &str = "cookie-secret-4c1d";

/// `args`, with none of the test's own `RUST_LOG` / `NO_COLOR` (they would change the output).
fn command(args: &[&str]) -> Command {
    let mut command = Binary::command(args);
    command.env_remove("RUST_LOG").env_remove("NO_COLOR");
    command
}

/// What a run of the binary printed on stderr for a set of requests.
struct Run {
    stderr: String,
    /// Secrets the requests carried or received (none may be printed).
    secrets: Vec<String>,
    /// The link the outbox captured.
    link: String,
}

/// Starts `command`, sends a refused login, a successful one, a `GET /v0/self` with its token
/// (and a cookie), an admin-key request and a login-link request, then stops it.
async fn run(command: &mut Command) -> Run {
    let mut mock = Binary::spawn(command);
    let base = mock.base_url();
    let http = reqwest::Client::new();
    let login = format!("{base}/v0/tenants/demo1234/auth/basic");

    let refused = http
        .post(&login)
        .json(&json!({"emailOrUsername": "admin@example.com", "password": "wrong-password-77"}))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 400);
    let ok: Value = http
        .post(&login)
        .json(&json!({"emailOrUsername": "admin@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    let access = ok["tokens"]["access"]["value"]
        .as_str()
        .expect("access token");
    let refresh = ok["tokens"]["refresh"]["value"]
        .as_str()
        .expect("refresh token");
    let own = http
        .get(format!("{base}/v0/self"))
        .bearer_auth(access)
        .header("cookie", format!("access.demo1234={COOKIE_SECRET}"))
        .send()
        .await
        .expect("request");
    assert_eq!(own.status(), 200);
    let users = http
        .get(format!("{base}/v0/tenants/demo1234/users"))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .expect("request");
    assert_eq!(users.status(), 200);
    let link: Value = http
        .post(format!("{base}/v0/tenants/demo1234/auth/link"))
        .json(&json!({"email": "admin@example.com"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    let link = link["result"]["link"].as_str().expect("link").to_owned();

    let status = mock.terminate(Duration::from_secs(10));
    assert!(status.success(), "{status}");
    Run {
        stderr: mock.stderr(),
        secrets: vec![
            ADMIN_KEY.to_owned(),
            PASSWORD.to_owned(),
            "wrong-password-77".to_owned(),
            access.to_owned(),
            refresh.to_owned(),
            COOKIE_SECRET.to_owned(),
            // Any JWT at all (a header starts with `eyJ`).
            "eyJ".to_owned(),
        ],
        link,
    }
}

/// The line of `stderr` containing `needle`, exactly one.
fn line_with<'a>(stderr: &'a str, needle: &str) -> &'a str {
    let found: Vec<&str> = stderr.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(found.len(), 1, "one line with {needle:?} in:\n{stderr}");
    found[0]
}

fn assert_no_secret(run: &Run) {
    for secret in &run.secrets {
        assert!(
            !run.stderr.contains(secret.as_str()),
            "{secret} printed:\n{}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn requests_print_one_line_each_with_credential_status_and_message() {
    let run = run(&mut command(&["--port", "0", "--log", "requests"])).await;
    let err = &run.stderr;
    let refused = line_with(err, " 400 ");
    let (time, rest) = refused.split_once(' ').expect("time first");
    assert_eq!(time.len(), "02:14:03.120".len(), "{refused}");
    assert!(
        rest.starts_with("POST /v0/tenants/demo1234/auth/basic 400 "),
        "{refused}"
    );
    assert!(
        rest.ends_with("ms public \"Incorrect email or password\""),
        "{refused}"
    );
    let success = line_with(err, "auth/basic 200 ");
    assert!(success.ends_with("ms public"), "{success}");
    let own = line_with(err, "GET /v0/self 200 ");
    assert!(own.ends_with("ms jwt user 1 test demo1234"), "{own}");
    let users = line_with(err, "GET /v0/tenants/demo1234/users 200 ");
    assert!(users.ends_with("ms apiKey test admin demo1234"), "{users}");
    let outbox = line_with(err, " outbox ");
    assert!(
        outbox.contains("outbox email login to admin@example.com (test demo1234): "),
        "{outbox}"
    );
    assert!(
        outbox.ends_with(&format!(": {}", run.link)),
        "the whole link, clickable: {outbox}"
    );
    line_with(err, "POST /v0/tenants/demo1234/auth/link 200 ");
    assert!(!err.contains('\x1b'), "no colour when piped:\n{err}");
    assert_no_secret(&run);
}

#[tokio::test]
async fn debug_adds_redacted_headers_and_bodies_and_rust_log_narrows() {
    // `USERFRONT_MOCK_LOG` as the flag's equivalent.
    let mut debug = command(&["--port", "0"]);
    debug.env("USERFRONT_MOCK_LOG", "debug");
    let run_debug = run(&mut debug).await;
    let err = &run_debug.stderr;
    line_with(err, "GET /v0/self 200 ");
    assert!(
        err.contains(
            "  request {\"emailOrUsername\":\"admin@example.com\",\"password\":\"[redacted]\"}"
        ),
        "{err}"
    );
    assert!(
        err.contains("\"authorization\":\"Bearer [redacted]\""),
        "{err}"
    );
    assert!(err.contains("\"cookie\":\"[redacted]\""), "{err}");
    assert_no_secret(&run_debug);

    let mut narrow = command(&["--port", "0", "--log", "requests"]);
    narrow.env("RUST_LOG", "userfront_mock::outbox=info");
    let run_narrow = run(&mut narrow).await;
    let lines: Vec<&str> = run_narrow.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "the outbox line only:\n{}",
        run_narrow.stderr
    );
    assert!(lines[0].ends_with(&run_narrow.link), "{}", lines[0]);
}

#[tokio::test]
async fn piped_stderr_is_quiet_by_default() {
    let run = run(&mut command(&["--port", "0"])).await;
    assert_eq!(
        run.stderr, "",
        "nothing printed when stderr is not a terminal"
    );
}
