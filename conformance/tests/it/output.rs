//! The runner's CI-grade output as a user meets it, through the binary: verdicts in the summary,
//! JSON and JUnit; failures grouped by cause; baselines; `diff`; differential runs; colour;
//! GitHub annotations; waiting for a target; usage errors that say what is wrong.

use crate::proxy;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use proxy::{Defect, Proxy, Resp};
use serde_json::{Value, json};
use userfront_mock::{Builder, MockUserfront};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_userfront-conformance"));
    c.env_remove("USERFRONT_TARGET")
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY");
    c
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("uf-out-{}-{name}", std::process::id()))
}

/// Runs the binary off the async runtime (the proxies live on it).
async fn run_bin(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joined")
}

/// Every token's header names a key the JWKS does not have (the signature is left as it was).
fn wrong_kid() -> Defect {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Defect::response(|_, resp| {
        proxy::map_tokens(&mut resp.body, &|token| {
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            let header: Option<Value> = URL_SAFE_NO_PAD
                .decode(&parts[0])
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let Some(mut header) = header else {
                return token.to_owned();
            };
            header["kid"] = json!("not-a-published-key");
            parts[0] = URL_SAFE_NO_PAD.encode(header.to_string());
            parts.join(".")
        });
    })
}

/// "Incorrect email or password" comes back as "Invalid credentials".
fn wrong_login_message() -> Defect {
    Defect::response(|_, resp| {
        if resp.body["message"] == "Incorrect email or password" {
            resp.body["message"] = json!("Invalid credentials");
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_wrong_kid_prints_its_cause_once_and_the_other_failures_one_line_each() {
    let mock = MockUserfront::start().await.expect("mock");
    let proxy = Proxy::start(mock.base_url(), wrong_kid()).await;
    let mut command = bin();
    command.args([
        "run", "--quiet", "--seed", "5", "--cases", "2", "--target", &proxy.url, "--color", "never",
    ]);
    let out = run_bin(command).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let fails = stdout.lines().filter(|l| l.contains("] FAIL ")).count();
    assert!(fails >= 20, "the defect fails many scenarios: {stdout}");
    // The failure text proper: everything after the progress lines, before the summary.
    let report = &stdout[stdout.find("\nfailures (").expect("failures header")..];
    let header = report.lines().nth(1).unwrap_or("");
    let causes: usize = header
        .split(", ")
        .nth(1)
        .and_then(|p| p.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the header counts the causes");
    assert!(
        causes * 3 <= fails,
        "{fails} failures should share few causes, got {causes}: {report}"
    );
    let full = report.matches("\n--- ").count();
    assert_eq!(full, causes, "one full failure per cause: {report}");
    let one_line = report
        .lines()
        .filter(|l| l.starts_with("  FAILED "))
        .count();
    assert_eq!(
        full + one_line,
        fails,
        "every failure is named once: {report}"
    );
    assert!(
        report.contains("not-a-published-key"),
        "the cause is shown: {report}"
    );
    let lines = stdout.lines().count();
    assert!(
        lines < fails * 2 + causes * 40 + 20,
        "{lines} lines for {fails} failures in {causes} causes:\n{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_reach_the_summary_json_and_junit() {
    let mock = MockUserfront::start().await.expect("mock");
    // One slow answer (a warning), one wrong message (a failure the baseline tolerates).
    let defect = Defect::request(|req| {
        if req.method == "GET" && req.route().ends_with("/mode") {
            std::thread::sleep(Duration::from_millis(1100));
        }
        None::<Resp>
    })
    .and_response(|req, resp| {
        if req.route().ends_with("/auth/basic")
            && resp.body["message"] == "Incorrect email or password"
        {
            resp.body["message"] = json!("Invalid credentials");
        }
    });
    let proxy = Proxy::start(mock.base_url(), defect).await;
    let baseline = scratch("baseline.json");
    std::fs::write(
        &baseline,
        json!({ "knownFailures": [
            { "scenario": "auth.basic.refusals", "reason": "message wording, issue 99" },
            { "scenario": "misc.mode.test_without_live_origin", "reason": "was flaky" },
        ]})
        .to_string(),
    )
    .expect("baseline");
    let (junit, report) = (scratch("v.xml"), scratch("v.json"));
    let mut command = bin();
    command
        .args([
            "run", "--seed", "3", "--cases", "2", "--target", &proxy.url, "--slow", "1",
        ])
        .args(["--filter", "auth.basic.refusals", "--filter", "misc.mode"])
        .args(["--filter", "auth.basic.pools_do_not_cross_tenants"])
        .arg("--baseline")
        .arg(&baseline)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&report);
    let out = run_bin(command).await;
    let (stdout, stderr) = text(&out);
    let last = stdout.lines().last().unwrap_or("");
    // The pools scenario fails on the same wrong message and is not in the baseline.
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        last.contains(" passed, 1 failed, ")
            && last.contains(" warning")
            && last.ends_with(", 1 known failure"),
        "{last}"
    );
    assert!(stdout.contains("known failures (baseline):"), "{stdout}");
    assert!(stdout.contains("message wording, issue 99"), "{stdout}");
    assert!(stdout.contains("(slower than 1000 ms)"), "{stdout}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("json")).expect("JSON");
    let verdict = |name: &str| {
        json["results"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == name))
            .map(|r| r["verdict"].clone())
    };
    assert_eq!(verdict("auth.basic.refusals"), Some(json!("FAILED")));
    assert_eq!(
        verdict("auth.basic.pools_do_not_cross_tenants"),
        Some(json!("FAILED"))
    );
    let warned: Vec<&Value> = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["verdict"] == "WARNING")
        .collect();
    assert!(!warned.is_empty(), "{json:#}");
    assert_eq!(json["counts"]["failed"], 1);
    assert_eq!(json["counts"]["knownFailures"], 1);
    assert_eq!(json["passed"], false);
    // The passing baseline entry is named so it can go.
    assert_eq!(
        json["baselineNowPassing"],
        json!(["misc.mode.test_without_live_origin"])
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        xml.contains("<property name=\"verdict\" value=\"WARNING\"/>"),
        "{xml}"
    );
    assert!(xml.contains("<system-out>WARNING: "), "{xml}");
    assert!(
        xml.contains("known failure (baseline): message wording, issue 99"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuites name=\"userfront-conformance\" tests=\""),
        "{xml}"
    );
    assert!(xml.contains(" failures=\"1\" "), "{xml}");
    for f in [baseline, junit, report] {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_naming_no_scenario_or_without_reason_is_refused() {
    let baseline = scratch("bad-baseline.json");
    for (content, expected) in [
        (
            json!({"knownFailures": [{"scenario": "auth.no_such", "reason": "x"}]}),
            "no scenario is named",
        ),
        (
            json!({"knownFailures": [{"scenario": "auth.basic.refusals", "reason": " "}]}),
            "needs a reason",
        ),
        (json!({"known": []}), "knownFailures"),
    ] {
        std::fs::write(&baseline, content.to_string()).expect("write");
        let mut command = bin();
        command
            .args(["run", "--filter", "misc"])
            .arg("--baseline")
            .arg(&baseline);
        let out = run_bin(command).await;
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
    let _ = std::fs::remove_file(baseline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_tells_what_changed_between_two_runs() {
    let mock = MockUserfront::start().await.expect("mock");
    let clean = Proxy::start(mock.base_url(), Defect::none()).await;
    let broken = Proxy::start(mock.base_url(), wrong_login_message()).await;
    let (before, after) = (scratch("before.json"), scratch("after.json"));
    for (url, file) in [(&clean.url, &before), (&broken.url, &after)] {
        let mut command = bin();
        command
            .args(["run", "--seed", "1", "--cases", "2", "--target", url])
            .args(["--filter", "auth.basic", "--json"])
            .arg(file);
        run_bin(command).await;
    }
    let mut command = bin();
    command.arg("diff").arg(&before).arg(&after);
    let out = run_bin(command).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILING   auth.basic.refusals: PASSED -> FAILED"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("auth.basic.logs_in_by_email_or_username"),
        "{stdout}"
    );
    assert!(stdout.contains(" newly failing"), "{stdout}");
    // The other way round nothing newly fails; the fixes are listed.
    let mut command = bin();
    command.arg("diff").arg(&after).arg(&before);
    let out = run_bin(command).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("changed   auth.basic.refusals: FAILED -> PASSED"),
        "{stdout}"
    );
    assert!(stdout.ends_with("0 newly failing\n"), "{stdout}");
    let mut command = bin();
    command
        .arg("diff")
        .arg(&before)
        .arg("/nonexistent/report.json");
    let out = run_bin(command).await;
    assert_eq!(out.status.code(), Some(2));
    for f in [before, after] {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_run_reports_where_two_targets_answer_differently() {
    let mock = MockUserfront::start().await.expect("mock");
    let reference = MockUserfront::start().await.expect("reference mock");
    // The target leaks a member in every User and answers a wrong password with 401.
    let defect = Defect::response(|req, resp| {
        if resp.body["userUuid"].is_string() && resp.body["email"].is_string() {
            resp.body["passwordHash"] = json!("$argon2id$v=19$...");
        }
        if req.route().ends_with("/auth/basic") && resp.status == 400 {
            resp.status = 401;
            resp.body["statusCode"] = json!(401);
        }
    });
    let proxy = Proxy::start(mock.base_url(), defect).await;
    let report = scratch("diff-run.json");
    let mut command = bin();
    command
        .args(["run", "--seed", "9", "--cases", "2", "--target", &proxy.url])
        .args([
            "--reference",
            reference.base_url(),
            "--filter",
            "auth.basic",
        ])
        .arg("--json")
        .arg(&report);
    let out = run_bin(command).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("json")).expect("JSON");
    let differences = json["differences"].as_array().expect("differences");
    let kinds: Vec<&str> = differences
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"status"), "{differences:#?}");
    assert!(kinds.contains(&"shape"), "{differences:#?}");
    assert!(kinds.contains(&"behaviour"), "{differences:#?}");
    let status = differences
        .iter()
        .find(|d| d["kind"] == "status")
        .expect("a status difference");
    assert!(
        status["at"]
            .as_str()
            .unwrap_or("")
            .contains("POST /v0/auth/basic"),
        "{status}"
    );
    assert!(
        status["target"].as_str().unwrap_or("").starts_with("401"),
        "{status}"
    );
    assert!(
        status["reference"]
            .as_str()
            .unwrap_or("")
            .starts_with("400"),
        "{status}"
    );
    let shape = differences
        .iter()
        .find(|d| d["kind"] == "shape")
        .expect("a shape difference");
    assert!(
        shape["target"]
            .as_str()
            .unwrap_or("")
            .contains("passwordHash"),
        "{shape}"
    );
    assert!(
        !shape["reference"]
            .as_str()
            .unwrap_or("")
            .contains("passwordHash"),
        "{shape}"
    );
    assert!(
        stdout.contains(" differences from the reference "),
        "{stdout}"
    );
    // Two healthy implementations do not differ.
    let clean = Proxy::start(mock.base_url(), Defect::none()).await;
    let mut command = bin();
    command
        .args(["run", "--seed", "9", "--cases", "2", "--target", &clean.url])
        .args([
            "--reference",
            reference.base_url(),
            "--filter",
            "auth.basic",
        ]);
    let out = run_bin(command).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap_or("")
            .ends_with(", 0 differences"),
        "{stdout}"
    );
    let _ = std::fs::remove_file(report);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let run = |args: &[&str], no_color: bool| {
        let mut command = bin();
        command.args([
            "run",
            "--cases",
            "1",
            "--filter",
            "misc.mode.test_without_live_origin",
        ]);
        command.args(args);
        if no_color {
            command.env("NO_COLOR", "1");
        }
        let out = command.output().expect("runs");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run(&["--color", "always"], false).contains("\x1b[32m"));
    assert!(
        run(&["--color", "always"], true).contains("\x1b["),
        "always wins over NO_COLOR"
    );
    assert!(!run(&["--color", "never"], false).contains('\x1b'));
    // Not a terminal here: auto means no colour, with or without NO_COLOR.
    assert!(!run(&[], false).contains('\x1b'));
    assert!(!run(&["--color", "auto"], true).contains('\x1b'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_format_annotates_failures_and_writes_the_step_summary() {
    let mock = MockUserfront::start().await.expect("mock");
    let proxy = Proxy::start(mock.base_url(), wrong_login_message()).await;
    let summary = scratch("step-summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write");
    let mut command = bin();
    command
        .args([
            "run", "--cases", "2", "--target", &proxy.url, "--format", "github",
        ])
        .args(["--filter", "auth.basic"])
        .env("GITHUB_STEP_SUMMARY", &summary);
    let out = run_bin(command).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert!(!errors.is_empty(), "{stdout}");
    assert!(
        errors
            .iter()
            .all(|l| l.starts_with("::error title=conformance%3A ") && !l[8..].contains('\n')),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|l| l.contains("Invalid credentials")),
        "{errors:?}"
    );
    let md = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        md.starts_with("earlier step\n## Userfront conformance"),
        "appended: {md}"
    );
    assert!(md.contains("| FAILED | "), "{md}");
    assert!(md.contains("`auth.basic.refusals`"), "{md}");
    let _ = std::fs::remove_file(summary);
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_target_waits_for_a_late_target_and_gives_up_in_time() {
    let port = free_port();
    let mut command = bin();
    command.args([
        "run",
        "--cases",
        "1",
        "--filter",
        "misc.mode.test_without_live_origin",
        "--target",
        &format!("http://127.0.0.1:{port}"),
        "--wait-for-target",
        "20",
    ]);
    let waiting = tokio::task::spawn_blocking(move || command.output().expect("runs"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _mock = Builder::default()
        .port(port)
        .start()
        .await
        .expect("mock on the port");
    let out = waiting.await.expect("joined");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    // Nobody listens: the wait is bounded and says why it gave up.
    let started = Instant::now();
    let mut command = bin();
    command.args([
        "run",
        "--target",
        &format!("http://127.0.0.1:{}", free_port()),
    ]);
    command.args(["--wait-for-target", "1"]);
    let out = run_bin(command).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did not answer within 1 s"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn usage_errors_say_what_is_wrong() {
    let out = bin()
        .args(["run", "--filter", "no-such-scenario"])
        .output()
        .expect("runs");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("the filter no-such-scenario selects no scenario"),
        "{stderr}"
    );
    let out = bin()
        .args(["list", "--filter", "no-such-scenario"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    for (url, expected) in [
        (
            "notaurl",
            "\"notaurl\" is not a URL (relative URL without a base)",
        ),
        ("ftp://127.0.0.1:21", "has the scheme \"ftp\""),
        ("http://127.0.0.1:4780/?tenant=x", "has a query or fragment"),
    ] {
        let out = bin().args(["run", "--target", url]).output().expect("runs");
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains(expected), "{url}: {stderr}");
        assert!(stderr.contains("http://127.0.0.1:4780"), "{stderr}");
    }
}
