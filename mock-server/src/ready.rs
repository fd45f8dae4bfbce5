//! What a script needs to use a running mock — its URL, the demo tenant and its API keys — as
//! JSON (`--ready-file`) or as environment variables (`userfront-mock exec`).

use std::net::SocketAddr;
use std::path::Path;

use serde_json::{Value, json};

use crate::state::{Store, seed};

/// `{url, tenantId, keys: {test: {admin, readonly}, live: {admin, readonly}}, pid}` for the
/// first workspace of the seed (the demo workspace of the embedded fixtures).
pub fn info(store: &Store, addr: SocketAddr) -> Value {
    let world = store.read();
    let summary = seed::summary(&world);
    let workspace = &summary["workspaces"][0];
    let keys = |mode: &str| {
        let keys = &workspace["modes"][mode]["apiKeys"];
        json!({ "admin": keys["admin"], "readonly": keys["readonly"] })
    };
    json!({
        "url": format!("http://{addr}"),
        "tenantId": workspace["tenantId"],
        "keys": { "test": keys("test"), "live": keys("live") },
        "pid": std::process::id(),
    })
}

/// The environment variables `userfront-mock exec` gives its command, from [`info`].
pub fn env(info: &Value) -> Vec<(&'static str, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    vec![
        ("USERFRONT_MOCK_URL", text(&info["url"])),
        ("USERFRONT_TENANT_ID", text(&info["tenantId"])),
        (
            "USERFRONT_TEST_ADMIN_KEY",
            text(&info["keys"]["test"]["admin"]),
        ),
        (
            "USERFRONT_TEST_READONLY_KEY",
            text(&info["keys"]["test"]["readonly"]),
        ),
        (
            "USERFRONT_LIVE_ADMIN_KEY",
            text(&info["keys"]["live"]["admin"]),
        ),
        (
            "USERFRONT_LIVE_READONLY_KEY",
            text(&info["keys"]["live"]["readonly"]),
        ),
    ]
}

/// Writes `info` to `path` atomically (a temporary file beside it, then a rename), so a reader
/// never sees half a file.
pub fn write(path: &Path, info: &Value) -> Result<(), String> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("--ready-file {}: not a file name", path.display()))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let text = format!("{info:#}\n");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("cannot write the ready file {}: {e}", path.display())
        })
}

/// Removes a ready file left by an earlier run (or by this one, on exit); a missing one is fine.
pub fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
}
