//! The state file: the whole state of a mock, saved and loaded (`--import`,
//! `--export-on-exit`, `/__mock/export`).
//!
//! A mock started from a state file continues where the run that wrote it stopped: workspaces
//! and their settings, tenants, roles, users (password hashes only, never passwords), sessions,
//! link credentials, verification codes, pending sign-ons, user imports, JWT formats, rate-limit
//! counters, API keys (deleted ones too), the outbox, recorded webhook deliveries, fake SSO
//! identities and pending SSO sign-ons, passthrough calls, the clock offset, and every signing key with its private key, so tokens issued before still verify
//! and refresh.
//!
//! # Format (version 1)
//!
//! One JSON document:
//!
//! ```json
//! {
//!   "format": "userfront-mock-state",
//!   "version": 1,
//!   "exportedAt": "2030-01-01T00:00:00.000Z",
//!   "clockOffsetMillis": 0,
//!   "workspaces": [{
//!     "tenantId": "demo1234", "hasActivatedLiveMode": true, "liveDomains": ["example.com"],
//!     "test": { "signingKey": {"kid", "createdAt", "privateKey"}, "tenants": [], "users": [],
//!               "nextUserId": 5, "sessions": [], "links": [], "codes": [], "imports": [],
//!               "jwtFormat": null, "rateLimits": [], "rateLimitOptOuts": [], "config": {},
//!               "firstFactorTokens": [], "pkceCodes": [],
//!               "saml": {"tokens": {}, "requests": {}} },
//!     "live": { ... }
//!   }],
//!   "apiKeys": [], "deletedApiKeys": [], "outbox": [], "webhooks": [],
//!   "sso": {"identities": [], "pending": {}}, "passthroughCalls": []
//! }
//! ```
//!
//! Records use the camelCase names of the model ([`super::model`]); times are milliseconds
//! since the Unix epoch, on the mock clock. Collections are sorted, so two exports of the same
//! state are byte-identical and a state file kept in a repository diffs cleanly. A file of
//! another `format` or `version` is refused with a message that says so: a later version of
//! the mock that changes the format bumps `version` and keeps reading the older ones.
//!
//! Files are written atomically ([`write()`]: a temporary file in the same directory, flushed to
//! disk, then renamed over the target), so a crash leaves the previous file or the new one,
//! never a torn one. The text is parsed back and checked as `--import` would before it
//! replaces anything, so a state that could not be loaded again is never written (the write
//! fails and says why); request bodies are limited to [`super::bounded::MAX_JSON_DEPTH`]
//! levels so that this does not happen in the first place. Files are created 0600 (they hold
//! private keys and password hashes), and temporary files left by an interrupted write are
//! removed at start ([`remove_stale_temp_files`]).
//!
//! Nothing in this module knows about HTTP.

mod export;
mod import;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::clock::{Millis, format_iso};
use super::model::*;
use super::saml::SamlState;
use super::sso::SsoState;
use super::{PendingPkce, PendingSignOn, Realm, RealmConfig, RecipientLimits, Workspace, World};
use crate::state::tokens::SigningKey;
pub use export::*;
pub use import::*;

/// The `format` member of every state file.
pub const FORMAT: &str = "userfront-mock-state";
/// The version this mock writes (and the newest it reads).
pub const VERSION: u32 = 1;
/// The file name used when a directory is given instead of a file.
pub const FILE_NAME: &str = "state.json";

/// The whole state of a mock, as written to a state file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateFile {
    pub format: String,
    pub version: u32,
    /// Mock time of the export (informational).
    pub exported_at: String,
    /// How far the mock clock ran ahead of real time (negative: behind).
    pub clock_offset_millis: Millis,
    pub workspaces: Vec<WorkspaceState>,
    pub api_keys: Vec<ApiKey>,
    pub deleted_api_keys: Vec<ApiKey>,
    pub outbox: Vec<OutboxEntry>,
    pub webhooks: Vec<WebhookDelivery>,
    /// Fake SSO provider identities and sign-ons waiting for the provider.
    #[serde(default)]
    pub sso: SsoState,
    /// Calls made to passthrough upstreams.
    #[serde(default)]
    pub passthrough_calls: Vec<Value>,
}

/// A workspace and its two realms.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceState {
    pub tenant_id: String,
    pub has_activated_live_mode: bool,
    pub live_domains: Vec<String>,
    pub test: RealmState,
    pub live: RealmState,
}

/// A signing key with its private key (PKCS#8 PEM).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigningKeyState {
    pub kid: String,
    pub created_at: Millis,
    pub private_key: String,
}

/// The rolling message counters of one recipient.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitState {
    pub channel: Channel,
    pub address: String,
    pub counters: RecipientLimits,
}

/// A sign-on waiting for its second factor, by firstFactorToken.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FirstFactorState {
    pub first_factor_token: String,
    pub pending: PendingSignOn,
}

/// A sign-on waiting for its PKCE exchange, by authorization code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PkceState {
    pub authorization_code: Uuid,
    pub pending: PendingPkce,
}

/// One mode of one workspace.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RealmState {
    pub signing_key: SigningKeyState,
    pub tenants: Vec<Tenant>,
    pub users: Vec<User>,
    pub next_user_id: u64,
    pub sessions: Vec<Session>,
    pub links: Vec<LinkCredential>,
    pub codes: Vec<VerificationCode>,
    pub imports: Vec<UserImport>,
    pub jwt_format: Option<Value>,
    pub rate_limits: Vec<RateLimitState>,
    pub rate_limit_opt_outs: Vec<u64>,
    pub config: RealmConfig,
    pub first_factor_tokens: Vec<FirstFactorState>,
    pub pkce_codes: Vec<PkceState>,
    #[serde(default)]
    pub saml: SamlState,
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Serialises a state (pretty-printed, for diffs). Fails, rather than answer something that
/// is not the state, when a member cannot be written (a webhook body kept as text that is no
/// longer JSON, say).
pub fn to_json(state: &StateFile) -> Result<Vec<u8>, String> {
    let mut out = serde_json::to_vec_pretty(state)
        .map_err(|e| format!("the state cannot be serialised: {e}"))?;
    out.push(b'\n');
    Ok(out)
}

/// Serialises a state and reads the text back as a state file would be read (`--import`):
/// the text of a file that could not be loaded again is never answered nor written.
pub fn to_checked_json(state: &StateFile) -> Result<Vec<u8>, String> {
    let bytes = to_json(state)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| e.to_string())?;
    Snapshot::parse(text).map_err(|e| format!("the state would not load again: {e}"))?;
    Ok(bytes)
}

/// Serialises a map kept by key in memory with its keys in order, so that state files stay
/// byte-identical from one export to the next (`#[serde(serialize_with = ...)]`).
pub fn sorted_map<K, V, S>(map: &HashMap<K, V>, serializer: S) -> Result<S::Ok, S::Error>
where
    K: Ord + Serialize,
    V: Serialize,
    S: serde::Serializer,
{
    serializer.collect_map(map.iter().collect::<BTreeMap<_, _>>())
}

/// Writes a state to `path` (or to [`FILE_NAME`] in it, when it is a directory) atomically;
/// returns the file written. The text is read back as `--import` reads it before the previous
/// file is replaced ([`to_checked_json`]): on any failure the previous file stays as it was,
/// and the error says why.
pub fn write(state: &StateFile, path: &Path) -> Result<PathBuf, String> {
    let file = file_path(path);
    let bytes = to_checked_json(state)
        .map_err(|e| format!("the state file {} was not written: {e}", file.display()))?;
    write_atomic(&file, &bytes)
        .map_err(|e| format!("cannot write the state file {}: {e}", file.display()))?;
    Ok(file)
}

/// Removes the temporary files an interrupted write left beside the state file of `path`
/// (`.state.json.<pid>.<n>.tmp`: [`write_atomic`] names them so). Called at start, before this
/// process writes any; returns how many were removed.
pub fn remove_stale_temp_files(path: &Path) -> usize {
    let file = file_path(path);
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
        return 0;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with(&prefix) && n.ends_with(".tmp") && e.path().is_file()
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// Writes `bytes` to a temporary file beside `path` (created 0600), flushes it to disk, then
/// renames it over `path`: readers (and a crash) see the old file or the new one, never part
/// of one; the file keeps mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.to_owned());
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        // Private from the start (0600 where permissions exist): a state file holds private
        // signing keys, API keys and password hashes.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // Make the rename itself durable where the platform allows opening a directory.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
