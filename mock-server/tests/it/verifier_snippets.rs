//! README's token-verifier snippets (section "Verify the mock's tokens in your back end"), run
//! exactly as written there against a mock: Node with `jose` (from `clients/js`), Python with
//! PyJWT (from the `.venv` that `scripts/test` installs). Read from README.md at test time, so
//! the documentation and what is tested cannot drift.
//!
//! Fails, never skips, when Node, `jose` or PyJWT is missing: `scripts/test` installs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use userfront_mock::MockUserfront;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const HOW_TO_FIX: &str = "run `scripts/test` (it runs `npm ci` in clients/js and installs \
                          scripts/requirements-test.txt into .venv)";

/// The code block that follows the `<!-- verifier-snippet:{name} ... -->` marker in README.md.
fn snippet(name: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let marker = format!("<!-- verifier-snippet:{name} ");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker}"))
        .1;
    let mut lines = after.lines().skip(1);
    let fence = lines.next().expect("a code block after the marker");
    assert!(
        fence.starts_with("```"),
        "a code block follows {marker}: {fence}"
    );
    let code: Vec<&str> = lines.take_while(|l| !l.starts_with("```")).collect();
    assert!(code.len() > 3, "{name} snippet: {code:?}");
    code.join("\n") + "\n"
}

/// The `.venv` Python if there is one, else `python3`.
fn python() -> PathBuf {
    let venv = root().join(".venv/bin/python");
    if venv.is_file() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Runs a snippet with `token` and the mock's URL in its environment.
async fn run(language: &'static str, base_url: &str, token: &str) -> Output {
    let code = snippet(language);
    let (base_url, token) = (base_url.to_owned(), token.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut command = match language {
            "node" => {
                // `--input-type=module` code resolves `jose` from the working directory.
                let mut c = Command::new("node");
                c.args(["--input-type=module", "-e", &code])
                    .current_dir(root().join("clients/js"));
                c
            }
            _ => {
                let mut c = Command::new(python());
                c.args(["-c", &code]);
                c
            }
        };
        command
            .env("USERFRONT_MOCK_URL", base_url)
            .env("TOKEN", token)
            .output()
            .unwrap_or_else(|e| panic!("cannot run the {language} snippet: {e}: {HOW_TO_FIX}"))
    })
    .await
    .expect("the snippet was waited for")
}

/// `token` with its payload changed by one character (its signature no longer matches).
fn tampered(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = &mut parts[1];
    let last = payload.pop().expect("a payload");
    payload.push(if last == 'A' { 'B' } else { 'A' });
    parts.join(".")
}

async fn check(language: &'static str) {
    let mock = MockUserfront::start().await.expect("mock starts");
    let base = mock.base_url().trim_end_matches('/').to_owned();
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/v0/tenants/demo1234/auth/basic"))
        .json(&serde_json::json!({
            "emailOrUsername": "admin@example.com",
            "password": userfront_mock::TEST_PASSWORD,
        }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("JSON");
    let token = login["tokens"]["access"]["value"].as_str().expect("token");

    let out = run(language, &base, token).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's {language} snippet failed ({HOW_TO_FIX}):\n{stdout}\n{stderr}"
    );
    assert_eq!(stdout.trim(), "1 demo1234 test", "{stderr}");

    let forged = run(language, &base, &tampered(token)).await;
    assert!(
        !forged.status.success(),
        "the {language} snippet accepted an altered token: {}",
        String::from_utf8_lossy(&forged.stdout)
    );
}

#[tokio::test]
async fn the_readme_node_jose_snippet_verifies_a_test_mode_token() {
    check("node").await;
}

#[tokio::test]
async fn the_readme_python_pyjwt_snippet_verifies_a_test_mode_token() {
    check("python").await;
}
