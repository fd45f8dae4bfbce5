//! State export and import: a mock started from a state file continues where the run that
//! wrote it stopped (users, sessions, tokens, keys, links, roles, formats, settings, clock,
//! generated signing keys); files are written whole, hold no passwords, and bad ones are
//! refused with a message.

use crate::common;

use std::path::{Path, PathBuf};

use std::time::Duration;

use common::binary::Binary;
use common::tempdir::TempDir;
use common::{Harness, access, link_credentials, refresh};
use serde_json::{Value, json};
use userfront_mock::{KeyType, MockUserfront, Mode, TEST_PASSWORD};

async fn import(path: &Path) -> Harness {
    Harness::with_mock(
        MockUserfront::builder()
            .import(path)
            .start()
            .await
            .expect("mock starts from the state file"),
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("state file")).expect("JSON")
}

#[tokio::test]
async fn a_restart_from_the_state_file_continues_where_it_stopped() {
    let dir = TempDir::new("restart");
    let a = Harness::start().await;
    let admin = a.admin();
    // A day later on the mock clock, a user signs up and keeps a session.
    a.advance(86_400).await;
    let signed_up = a.signup("kept@example.com", "kept-password-1").await;
    let (token, refresh_token) = (access(&signed_up), refresh(&signed_up));
    // Unused link credentials, a new role, a new key, a JWT format, a dashboard setting,
    // a pending user import and a live-mode user.
    let sent = a
        .post("/v0/tenants/demo1234/auth/link")
        .json(json!({"email": "member@example.com"}))
        .send()
        .await
        .ok();
    let link = sent["result"]["link"].as_str().unwrap().to_owned();
    a.post("/v0/roles")
        .bearer(&admin)
        .json(json!({"name": "tier-3"}))
        .send()
        .await
        .ok();
    let new_key = a
        .post("/v0/keys")
        .bearer(&admin)
        .json(json!({"type": "readonly"}))
        .send()
        .await
        .ok();
    let new_key = new_key["key"].as_str().expect("new key").to_owned();
    let format = json!({"claims": {"plan": {"type": "custom", "source": "user.data.plan"}}});
    a.put("/v0/jwt-format")
        .bearer(&admin)
        .json(format)
        .send()
        .await
        .ok();
    let format_before = a.get_as(&admin, "/v0/jwt-format").await;
    a.settings(
        "demo1234",
        json!({"mode": "test", "loginRedirectPath": "/home", "authentication": {
            "firstFactors": [{"channel": "email", "strategy": "password"}], "secondFactors": []}}),
    )
    .await;
    let pending_import = a
        .post("/v0/user-import")
        .bearer(&admin)
        .json(json!({"users": [{"email": "imported@example.com"}]}))
        .send()
        .await
        .ok();
    a.live_signup("live@example.com", "live-password-1").await;
    a.post("/__mock/sso/identities")
        .json(json!({"provider": "google", "code": "sso-code-1", "email": "sso@example.com"}))
        .send()
        .await
        .ok();
    let now_before = a.now_millis().await;
    let jwks_before = a.jwks(Mode::Test).await;

    let file = a.mock.export_state(dir.path("state.json")).expect("saved");
    a.mock.stop().await;

    let b = import(&file).await;
    // Time continues from where it was (a day ahead of real time).
    assert!(
        b.now_millis().await >= now_before,
        "the clock offset is kept"
    );
    // The session and its tokens still work: same keys, same session.
    assert_eq!(b.jwks(Mode::Test).await, jwks_before);
    let me = b.get_as(&token, "/v0/self").await;
    assert_eq!(me["email"], "kept@example.com");
    assert_eq!(me["tenant"]["loginRedirectPath"], "/home");
    let refreshed = b.get_as(&refresh_token, "/v0/auth/refresh").await;
    let claims = b.verified_claims(&access(&refreshed), Mode::Test).await;
    assert_eq!(
        claims["email"],
        Value::Null,
        "no email claim in the saved format"
    );
    assert_eq!(claims["userId"], me["userId"]);
    // The password (hash) still logs in; the link is still unused.
    b.login("kept@example.com", "kept-password-1").await;
    b.put("/v0/tenants/demo1234/auth/link")
        .json(link_credentials(&link))
        .send()
        .await
        .ok();
    // Keys, roles, format, flow, imports, live users.
    b.get_as(&new_key, "/v0/roles").await;
    let roles = b.get_as(&admin, "/v0/roles").await;
    assert!(roles.to_string().contains("tier-3"), "{roles}");
    assert_eq!(b.get_as(&admin, "/v0/jwt-format").await, format_before);
    let mode = b.get("/v0/tenants/demo1234/mode").send().await.ok();
    assert_eq!(
        mode["authentication"]["firstFactors"],
        json!([{"channel": "email", "strategy": "password"}])
    );
    let uuid = pending_import["uuid"].as_str().unwrap();
    let read = b.get_as(&admin, &format!("/v0/user-import/{uuid}")).await;
    assert_eq!(read["uuid"], uuid);
    b.post("/v0/tenants/demo1234/auth/basic")
        .origin(common::LIVE_ORIGIN)
        .json(json!({"emailOrUsername": "live@example.com", "password": "live-password-1"}))
        .send()
        .await
        .ok();
    // Fake SSO identities too.
    let state = b.get("/__mock/export").send().await.ok();
    assert_eq!(state["sso"]["identities"][0]["email"], "sso@example.com");
    // New users continue the id sequence.
    let next = b.signup("next@example.com", "next-password-1").await;
    assert!(next["userId"].as_u64() > me["userId"].as_u64());
}

#[tokio::test]
async fn generated_signing_keys_are_saved_with_their_private_key() {
    let dir = TempDir::new("keys");
    // A workspace without a signing key in its fixtures gets a fresh key at each start.
    let seed = json!({"workspaces": [{
        "tenantId": "gen00001",
        "name": "Generated",
        "test": {"users": [{"userId": 1, "username": "g", "email": "g@example.com",
                            "password": "generated-password-1"}]},
    }]});
    let a = Harness::start_with_seed(seed.clone()).await;
    let signed_in = a
        .post("/v0/tenants/gen00001/auth/basic")
        .json(json!({"emailOrUsername": "g", "password": "generated-password-1"}))
        .send()
        .await
        .ok();
    let token = access(&signed_in);
    let file = a.mock.export_state(dir.path("gen.json")).unwrap();
    let saved = read_json(&file);
    let key = &saved["workspaces"][0]["test"]["signingKey"];
    assert!(
        key["privateKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );

    // Another start from the same fixtures has a different key ...
    let fresh = Harness::start_with_seed(seed).await;
    fresh
        .get_refused(&token, "/v0/self", 401, "Unauthorized")
        .await;
    // ... but a start from the state file has the saved one.
    let b = import(&file).await;
    let me = b.get_as(&token, "/v0/self").await;
    assert_eq!(me["email"], "g@example.com");
}

#[tokio::test]
async fn the_file_holds_password_hashes_only() {
    let dir = TempDir::new("hashes");
    let a = Harness::start().await;
    a.signup("secret@example.com", "a-very-secret-pw-9").await;
    let file = a.mock.export_state(dir.root()).unwrap();
    assert_eq!(file, dir.path("state.json"), "a directory holds state.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("a-very-secret-pw-9"));
    assert!(!text.contains(TEST_PASSWORD));
    assert!(
        text.contains("\"passwordHash\": \"$argon2"),
        "hashes are kept"
    );
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["format"], "userfront-mock-state");
    assert_eq!(saved["version"], 1);
}

#[tokio::test]
async fn export_on_exit_saves_when_the_mock_stops_and_reset_returns_to_the_import() {
    let dir = TempDir::new("exit");
    let file = dir.path("nested/state.json");
    let a = MockUserfront::builder()
        .export_on_exit(&file)
        .start()
        .await
        .unwrap();
    let a = Harness::with_mock(a);
    a.signup("saved@example.com", "saved-password-1").await;
    assert!(!file.exists(), "nothing is written before the exit");
    a.mock.stop().await;
    assert!(file.is_file(), "saved on stop");

    let b = import(&file).await;
    b.login("saved@example.com", "saved-password-1").await;
    b.signup("later@example.com", "later-password-1").await;
    b.post("/__mock/reset").send().await.ok();
    // Back to the imported state: its user is there, the later one is not.
    b.login("saved@example.com", "saved-password-1").await;
    b.post("/v0/tenants/demo1234/auth/basic")
        .json(json!({"emailOrUsername": "later@example.com", "password": "later-password-1"}))
        .send()
        .await
        .err(400, "Incorrect email or password");
}

#[tokio::test]
async fn get_export_answers_the_state_and_post_saves_it() {
    let dir = TempDir::new("http");
    let plain = Harness::start().await;
    let state = plain.get("/__mock/export").send().await.ok();
    assert_eq!(state["format"], "userfront-mock-state");
    assert_eq!(state["version"], 1);
    let ids: Vec<&str> = state["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["abcd9876", "demo1234"]);
    plain.post("/__mock/export").send().await.err(
        400,
        "No export path: start the mock with --export-on-exit PATH (or GET /__mock/export)",
    );

    let file = dir.path("on-demand.json");
    let h = Harness::with_mock(
        MockUserfront::builder()
            .export_on_exit(&file)
            .start()
            .await
            .unwrap(),
    );
    h.signup("demand@example.com", "demand-password-1").await;
    let saved = h.post("/__mock/export").send().await.ok();
    assert_eq!(saved["path"], file.display().to_string());
    let mut written = read_json(&file);
    let mut answered = h.get("/__mock/export").send().await.ok();
    written["exportedAt"] = Value::Null;
    answered["exportedAt"] = Value::Null;
    assert_eq!(written, answered, "the file is what GET answers");
    assert!(written.to_string().contains("demand@example.com"));
}

#[tokio::test]
async fn bad_state_files_are_refused_with_a_message() {
    let dir = TempDir::new("bad");
    let start = |path: PathBuf| async move {
        MockUserfront::builder()
            .import(path)
            .start()
            .await
            .err()
            .expect("refused")
            .to_string()
    };
    let missing = start(dir.path("missing.json")).await;
    assert!(missing.contains("cannot read the state file"), "{missing}");

    std::fs::write(dir.path("garbage.json"), "{ not json").unwrap();
    let garbage = start(dir.path("garbage.json")).await;
    assert!(garbage.contains("not JSON"), "{garbage}");

    std::fs::write(dir.path("other.json"), r#"{"workspaces": []}"#).unwrap();
    let other = start(dir.path("other.json")).await;
    assert!(other.contains("not a state file"), "{other}");

    let h = Harness::start().await;
    let mut state = h.get("/__mock/export").send().await.ok();
    state["version"] = json!(99);
    std::fs::write(dir.path("future.json"), state.to_string()).unwrap();
    let future = start(dir.path("future.json")).await;
    assert!(
        future.contains("state file version 99 is not supported (this mock reads version 1)"),
        "{future}"
    );

    state["version"] = json!(1);
    state["apiKeys"][0]["tenantId"] = json!("gone0000");
    std::fs::write(dir.path("dangling.json"), state.to_string()).unwrap();
    let dangling = start(dir.path("dangling.json")).await;
    assert!(dangling.contains("unknown tenant gone0000"), "{dangling}");
}

#[tokio::test]
async fn the_first_run_of_a_kept_state_starts_from_the_seed() {
    let dir = TempDir::new("first");
    let file = dir.path("state.json");
    let first = MockUserfront::builder()
        .import(&file)
        .export_on_exit(&file)
        .start()
        .await
        .expect("no state yet is fine when it is also the export path");
    let first = Harness::with_mock(first);
    first.login("admin", TEST_PASSWORD).await;
    first
        .signup("carried@example.com", "carried-password-1")
        .await;
    first.mock.stop().await;

    let second = MockUserfront::builder()
        .import(&file)
        .export_on_exit(&file)
        .start()
        .await
        .unwrap();
    let second = Harness::with_mock(second);
    second
        .login("carried@example.com", "carried-password-1")
        .await;
    assert!(
        second
            .mock
            .api_key("demo1234", Mode::Test, KeyType::Admin)
            .is_some(),
        "keys carried over"
    );
}

#[tokio::test]
async fn the_binary_imports_and_exports_across_runs() {
    let dir = TempDir::new("cli");
    let file = dir.path("cli-state.json");
    // The state file comes from the environment, as a CI job would give it.
    let start = || {
        let mut command = Binary::command(&["--port", "0"]);
        command
            .env("USERFRONT_MOCK_IMPORT", &file)
            .env("USERFRONT_MOCK_EXPORT_ON_EXIT", &file);
        // The banner is read on a blocking thread: the test's runtime keeps serving others.
        tokio::task::spawn_blocking(move || Binary::spawn(&mut command))
    };
    let stop = |mut mock: Binary| {
        let status = mock.terminate(Duration::from_secs(10));
        let err = mock.stderr();
        assert!(status.success(), "clean exit: {status} {err}");
        mock.rest_of_stdout()
    };
    let mock = start().await.unwrap();
    let out = mock.banner.join("\n");
    assert!(out.contains("no state at"), "{out}");
    let http = reqwest::Client::new();
    let created = http
        .post(format!(
            "{}/v0/tenants/demo1234/auth/create",
            mock.base_url()
        ))
        .json(&json!({"email": "cli@example.com", "password": "cli-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let rest = stop(mock);
    assert!(rest.contains("state saved to"), "{rest}");
    assert!(file.is_file());

    let mock = start().await.unwrap();
    let out = mock.banner.join("\n");
    assert!(out.contains("state imported from"), "{out}");
    let login = http
        .post(format!(
            "{}/v0/tenants/demo1234/auth/basic",
            mock.base_url()
        ))
        .json(&json!({"emailOrUsername": "cli@example.com", "password": "cli-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the user of the first run logs in");
    stop(mock);
}

/// `{"data": {"d": {"d": ...}}}` nested `depth` levels in all (the body object counts as one).
fn nested_body(email: &str, depth: usize) -> Value {
    let mut data = json!({});
    for _ in 0..depth.saturating_sub(2) {
        data = json!({ "d": data });
    }
    json!({ "email": email, "password": "nested-password-1", "data": data })
}

/// Issue 11 item 2: one unauthenticated sign-up with deep `data` made `/__mock/export` answer
/// 200 "OK" with a 1-byte file (depth ~125), or write a file `--import` refused (121-124).
/// Deep bodies are now refused at the edge, and what is saved always loads again.
#[tokio::test]
async fn deep_bodies_are_refused_so_the_state_always_saves_and_loads() {
    let dir = TempDir::new("deep");
    let file = dir.path("state.json");
    let h = Harness::with_mock(
        MockUserfront::builder()
            .export_on_exit(&file)
            .start()
            .await
            .unwrap(),
    );
    let signup = "/v0/tenants/demo1234/auth/create";
    for depth in [33, 40, 121, 125, 127, 129, 200] {
        h.post(signup)
            .json(nested_body(&format!("deep{depth}@example.com"), depth))
            .send()
            .await
            .err(400, userfront_mock::msg::JSON_TOO_DEEP);
    }
    // The same limit for the SSO `data` parameter, which is stored with the user too.
    let data = nested_body("x@example.com", 40)["data"].to_string();
    let url = format!(
        "/v0/auth/google/login?tenant_id=demo1234&origin=http%3A%2F%2Flocalhost%3A3000&data={}",
        url_escape(&data)
    );
    h.get(&url)
        .send()
        .await
        .err(400, userfront_mock::msg::JSON_TOO_DEEP);
    // 32 levels is allowed, and survives a save and a restart.
    h.post(signup)
        .json(nested_body("deep32@example.com", 32))
        .send()
        .await
        .ok();
    let answered = h.get("/__mock/export").send().await.ok();
    assert!(answered.to_string().contains("deep32@example.com"));
    h.post("/__mock/export").send().await.ok();
    let b = import(&file).await;
    b.login("deep32@example.com", "nested-password-1").await;
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// State files hold private keys and password hashes: created 0600, and leftovers of an
/// interrupted export are removed when the mock starts; a write that fails answers an error,
/// never OK.
#[cfg(unix)]
#[tokio::test]
async fn state_files_are_private_and_interrupted_writes_leave_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("private");
    let file = dir.path("state.json");
    let stale = dir.path(".state.json.4242.0.tmp");
    std::fs::write(&stale, "half a state").unwrap();
    let unrelated = dir.path("notes.tmp");
    std::fs::write(&unrelated, "mine").unwrap();
    let h = Harness::with_mock(
        MockUserfront::builder()
            .export_on_exit(&file)
            .start()
            .await
            .unwrap(),
    );
    assert!(
        !stale.exists(),
        "the interrupted export's temp file is gone"
    );
    assert!(unrelated.exists(), "other files are left alone");
    h.post("/__mock/export").send().await.ok();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");

    // A path that cannot be written (its parent is a file): 500 in the error format.
    let blocked = dir.path("blocked");
    std::fs::write(&blocked, "a file").unwrap();
    let h = Harness::with_mock(
        MockUserfront::builder()
            .export_on_exit(blocked.join("state.json"))
            .start()
            .await
            .unwrap(),
    );
    let refused = h.post("/__mock/export").send().await;
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .starts_with(userfront_mock::msg::STATE_NOT_SAVED),
        "{}",
        refused.body
    );
}
