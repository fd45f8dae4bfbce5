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
// Export

/// The state of `world`. The caller holds the lock only while this copies; serialising and
/// writing happen after it is released.
pub fn export(world: &World) -> StateFile {
    // Every field is named, so a field added to the world fails to compile here until it is
    // saved (or marked as not part of the state).
    let World {
        clock,
        seed: _,
        workspaces,
        tenant_index: _, // rebuilt from the tenants
        api_keys,
        deleted_api_keys,
        outbox,
        webhooks,
        webhook_tx: _,
        sso,
        passthrough_calls,
        imported: _,
    } = world;
    StateFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at: format_iso(clock.now()),
        clock_offset_millis: clock.offset(),
        workspaces: workspaces.values().map(export_workspace).collect(),
        api_keys: sorted_keys(api_keys),
        deleted_api_keys: sorted_keys(deleted_api_keys),
        outbox: outbox.iter().cloned().collect(),
        webhooks: webhooks.iter().cloned().collect(),
        sso: sso.clone(),
        passthrough_calls: passthrough_calls.iter().cloned().collect(),
    }
}

fn sorted_keys(keys: &HashMap<Box<str>, ApiKey>) -> Vec<ApiKey> {
    let mut out: Vec<ApiKey> = keys.values().cloned().collect();
    out.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
    out
}

fn export_workspace(ws: &Workspace) -> WorkspaceState {
    let Workspace {
        tenant_id,
        has_activated_live_mode,
        live_domains,
        realms: [test, live],
    } = ws;
    WorkspaceState {
        tenant_id: tenant_id.to_string(),
        has_activated_live_mode: *has_activated_live_mode,
        live_domains: live_domains.clone(),
        test: export_realm(test),
        live: export_realm(live),
    }
}

fn sorted<T: Clone, K: Ord>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out: Vec<T> = items.collect();
    out.sort_by_key(key);
    out
}

fn export_realm(realm: &Realm) -> RealmState {
    let Realm {
        workspace_id: _,
        mode: _,
        signing,
        tenants,
        users,
        by_email: _, // the three indexes are rebuilt from the users
        by_username: _,
        by_uuid: _,
        next_user_id,
        sessions,
        links,
        codes,
        imports,
        jwt_format,
        rate_limits,
        rate_limit_opt_outs,
        config,
        first_factor_tokens,
        pkce_codes,
        saml,
    } = realm;
    RealmState {
        signing_key: SigningKeyState {
            kid: signing.kid().to_owned(),
            created_at: signing.created_at(),
            private_key: signing.private_pem().to_owned(),
        },
        tenants: tenants.values().cloned().collect(),
        users: users.values().cloned().collect(),
        next_user_id: *next_user_id,
        sessions: sorted(sessions.values().cloned(), |s| (s.created_at, s.session_id)),
        links: sorted(links.values().cloned(), |l| (l.created_at, l.token)),
        codes: codes.clone(),
        imports: imports.clone(),
        jwt_format: jwt_format.clone(),
        rate_limits: sorted(
            rate_limits
                .iter()
                .map(|((channel, address), counters)| RateLimitState {
                    channel: *channel,
                    address: address.clone(),
                    counters: counters.clone(),
                }),
            |r| (r.channel, r.address.clone()),
        ),
        rate_limit_opt_outs: sorted(rate_limit_opt_outs.iter().copied(), |id| *id),
        config: config.clone(),
        first_factor_tokens: sorted(
            first_factor_tokens
                .iter()
                .map(|(token, pending)| FirstFactorState {
                    first_factor_token: token.clone(),
                    pending: pending.clone(),
                }),
            |f| f.first_factor_token.clone(),
        ),
        pkce_codes: sorted(
            pkce_codes.iter().map(|(code, pending)| PkceState {
                authorization_code: *code,
                pending: pending.clone(),
            }),
            |p| p.authorization_code,
        ),
        saml: saml.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Import

/// A checked state file, ready to be applied to a world as often as needed (start and every
/// reset) without failing: keys are parsed and references checked once, when it is loaded.
pub struct Snapshot {
    state: StateFile,
    /// The parsed signing keys of each workspace, test then live.
    keys: Vec<[Arc<SigningKey>; 2]>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("exported_at", &self.state.exported_at)
            .field("workspaces", &self.state.workspaces.len())
            .finish_non_exhaustive()
    }
}

/// The file a path names: itself, or [`FILE_NAME`] inside it when it is a directory (an
/// existing one, or a path ending with a separator).
pub fn file_path(path: &Path) -> PathBuf {
    let is_dir = path.is_dir()
        || path
            .as_os_str()
            .to_string_lossy()
            .ends_with(std::path::MAIN_SEPARATOR);
    if is_dir {
        path.join(FILE_NAME)
    } else {
        path.to_owned()
    }
}

impl Snapshot {
    /// Reads a state file (or the [`FILE_NAME`] of a directory).
    pub fn read(path: &Path) -> Result<Self, String> {
        let file = file_path(path);
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read the state file {}: {e}", file.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", file.display()))
    }

    /// Parses and checks the text of a state file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        // Format and version first, so a file from another tool or version says so instead of
        // failing on some member deep inside.
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(format!(
                "not a state file (\"format\" must be \"{FORMAT}\")"
            ));
        }
        match value.get("version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "state file version {v} is not supported (this mock reads version {VERSION})"
                ));
            }
            None => return Err("\"version\" must be a number".to_owned()),
        }
        let state: StateFile = serde_json::from_value(value).map_err(|e| e.to_string())?;
        Self::check(state)
    }

    /// Checks a state: signing keys parse, ids are unique, tenants and keys point at tenants
    /// that exist.
    pub fn check(state: StateFile) -> Result<Self, String> {
        let mut tenant_ids = HashSet::new();
        let mut keys = Vec::new();
        for ws in &state.workspaces {
            let id = ws.tenant_id.as_str();
            if !tenant_ids.insert(id.to_owned()) {
                return Err(format!("workspace {id} appears twice"));
            }
            let mut pair = Vec::new();
            for (mode, realm) in [(Mode::Test, &ws.test), (Mode::Live, &ws.live)] {
                let at = |what: String| format!("workspace {id} ({}): {what}", mode.as_str());
                check_realm(id, realm, &mut tenant_ids).map_err(at)?;
                let key = &realm.signing_key;
                let parsed = SigningKey::from_pem(&key.kid, mode, key.created_at, &key.private_key)
                    .map_err(|e| at(format!("signing key {}: {e}", key.kid)))?;
                pair.push(Arc::new(parsed));
            }
            let [test, live]: [Arc<SigningKey>; 2] =
                pair.try_into().map_err(|_| "two realms".to_owned())?;
            keys.push([test, live]);
        }
        let mut seen_keys = HashSet::new();
        for key in state.api_keys.iter().chain(&state.deleted_api_keys) {
            if !tenant_ids.contains(&*key.tenant_id) {
                return Err(format!(
                    "API key of unknown tenant {} ({})",
                    key.tenant_id,
                    key.key_type.as_str()
                ));
            }
            if !seen_keys.insert(&key.key) {
                return Err(format!("an API key of {} appears twice", key.tenant_id));
            }
        }
        Ok(Snapshot { state, keys })
    }

    /// The state as read.
    pub fn state(&self) -> &StateFile {
        &self.state
    }

    /// Replaces everything `world` holds (except its seed and webhook queue) with this state.
    fn apply(&self, world: &mut World) {
        let state = &self.state;
        world.clock.reset();
        world.clock.advance(state.clock_offset_millis);
        world.workspaces.clear();
        world.tenant_index.clear();
        for (ws, [test, live]) in state.workspaces.iter().zip(&self.keys) {
            let id: Box<str> = ws.tenant_id.as_str().into();
            let realms = [
                build_realm(&id, Mode::Test, test, &ws.test),
                build_realm(&id, Mode::Live, live, &ws.live),
            ];
            world.add_workspace(Workspace {
                tenant_id: id,
                has_activated_live_mode: ws.has_activated_live_mode,
                live_domains: ws.live_domains.clone(),
                realms,
            });
        }
        let index = |keys: &[ApiKey]| -> HashMap<Box<str>, ApiKey> {
            keys.iter().map(|k| (k.key.clone(), k.clone())).collect()
        };
        world.api_keys = index(&state.api_keys);
        world.deleted_api_keys = index(&state.deleted_api_keys);
        world.outbox = state.outbox.iter().cloned().collect();
        world.webhooks = state.webhooks.iter().cloned().collect();
        world.sso = state.sso.clone();
        world.passthrough_calls = state.passthrough_calls.iter().cloned().collect();
    }
}

fn check_realm(
    workspace: &str,
    realm: &RealmState,
    tenant_ids: &mut HashSet<String>,
) -> Result<(), String> {
    let ids: HashSet<&str> = realm.tenants.iter().map(|t| &*t.tenant_id).collect();
    if ids.len() != realm.tenants.len() {
        return Err("a tenant appears twice".to_owned());
    }
    let root = realm
        .tenants
        .iter()
        .find(|t| &*t.tenant_id == workspace)
        .ok_or("the workspace tenant is missing")?;
    if root.parent_id.is_some() {
        return Err("the workspace tenant cannot have a parent".to_owned());
    }
    for tenant in realm.tenants.iter().filter(|t| &*t.tenant_id != workspace) {
        match tenant.parent_id.as_deref() {
            Some(parent) if ids.contains(parent) => {}
            _ => return Err(format!("tenant {} has no parent here", tenant.tenant_id)),
        }
        if !tenant_ids.insert(tenant.tenant_id.to_string()) {
            return Err(format!("tenant {} appears twice", tenant.tenant_id));
        }
    }
    let mut user_ids = HashSet::new();
    let mut uuids = HashSet::new();
    for user in &realm.users {
        if !user_ids.insert(user.user_id) || !uuids.insert(user.user_uuid) {
            return Err(format!("user {} appears twice", user.user_id));
        }
    }
    Ok(())
}

fn build_realm(workspace: &str, mode: Mode, key: &Arc<SigningKey>, state: &RealmState) -> Realm {
    let mut realm = Realm {
        workspace_id: workspace.into(),
        mode,
        signing: key.clone(),
        tenants: state
            .tenants
            .iter()
            .map(|t| (t.tenant_id.clone(), t.clone()))
            .collect::<BTreeMap<_, _>>(),
        users: BTreeMap::new(),
        by_email: HashMap::new(),
        by_username: HashMap::new(),
        by_uuid: HashMap::new(),
        next_user_id: 1,
        sessions: state
            .sessions
            .iter()
            .map(|s| (s.session_id, s.clone()))
            .collect(),
        links: state.links.iter().map(|l| (l.token, l.clone())).collect(),
        codes: state.codes.clone(),
        imports: state.imports.clone(),
        jwt_format: state.jwt_format.clone(),
        rate_limits: state
            .rate_limits
            .iter()
            .map(|r| ((r.channel, r.address.clone()), r.counters.clone()))
            .collect(),
        rate_limit_opt_outs: state.rate_limit_opt_outs.iter().copied().collect(),
        config: state.config.clone(),
        first_factor_tokens: state
            .first_factor_tokens
            .iter()
            .map(|f| (f.first_factor_token.clone(), f.pending.clone()))
            .collect(),
        pkce_codes: state
            .pkce_codes
            .iter()
            .map(|p| (p.authorization_code, p.pending.clone()))
            .collect(),
        saml: state.saml.clone(),
    };
    for user in &state.users {
        realm.insert_user(user.clone());
    }
    realm.next_user_id = realm.next_user_id.max(state.next_user_id);
    realm
}

impl World {
    /// Replaces the state with `snapshot`, which `POST /__mock/reset` restores from then on.
    pub fn import(&mut self, snapshot: Arc<Snapshot>) {
        snapshot.apply(self);
        self.imported = Some(snapshot);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::seed::Seed;

    fn world() -> World {
        World::from_seed(Arc::new(Seed::embedded().unwrap()))
    }

    #[test]
    fn a_world_survives_export_and_import() {
        let mut original = world();
        original.clock.advance(86_400_000);
        let state = export(&original);
        let text = to_json(&state).unwrap();
        let snapshot = Snapshot::parse(std::str::from_utf8(&text).unwrap()).unwrap();
        let mut copy = World::from_seed(original.seed.clone());
        copy.import(Arc::new(snapshot));
        let mut again = export(&copy);
        again.exported_at = state.exported_at.clone();
        assert!(
            to_json(&again).unwrap() == text,
            "a second export is identical"
        );
        assert_eq!(copy.clock.offset(), 86_400_000);
        let realm = copy.realm_of("demo1234", Mode::Test).unwrap();
        assert_eq!(realm.users.len(), 4);
        assert_eq!(realm.by_email.get("admin@example.com"), Some(&1));
        assert_eq!(copy.home("demo1234").unwrap().mode, None);
    }

    #[test]
    fn other_formats_and_versions_are_refused() {
        let state = export(&world());
        let mut value = serde_json::to_value(&state).unwrap();
        value["version"] = 2.into();
        let err = Snapshot::parse(&value.to_string()).unwrap_err();
        assert!(err.contains("version 2 is not supported"), "{err}");
        value["format"] = "something-else".into();
        let err = Snapshot::parse(&value.to_string()).unwrap_err();
        assert!(err.contains("not a state file"), "{err}");
        assert!(Snapshot::parse("{").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn broken_references_are_refused() {
        let mut state = export(&world());
        state.api_keys[0].tenant_id = "nope0000".into();
        let err = Snapshot::check(state).unwrap_err();
        assert!(err.contains("unknown tenant nope0000"), "{err}");

        let mut state = export(&world());
        let demo = state
            .workspaces
            .iter_mut()
            .find(|w| w.tenant_id == "demo1234")
            .unwrap();
        let user = demo.test.users[0].clone();
        demo.test.users.push(user);
        let err = Snapshot::check(state).unwrap_err();
        assert!(err.contains("user 1 appears twice"), "{err}");

        let mut state = export(&world());
        state.workspaces[0].live.signing_key.private_key = "not a key".into();
        let err = Snapshot::check(state).unwrap_err();
        assert!(err.contains("(live): signing key"), "{err}");
    }

    /// Issue 11 item 2: a state that would not load again (user data nested 122 levels, which
    /// the edge now refuses, put in directly) is never written over a good file, and a state
    /// that cannot be serialised is an error, not a 1-byte file.
    #[test]
    fn a_state_that_would_not_load_again_is_never_written() {
        let dir = std::env::temp_dir().join(format!("uf-persist-bad-{}", std::process::id()));
        let file = dir.join("state.json");
        let mut world = world();
        write(&export(&world), &file).unwrap();
        let good = std::fs::read(&file).unwrap();

        let mut deep = Value::Object(Default::default());
        for _ in 0..122 {
            deep = serde_json::json!({ "d": deep });
        }
        let realm = world.realm_of_mut("demo1234", Mode::Test).unwrap();
        let user = realm.users.values_mut().next().unwrap();
        user.data = deep.as_object().cloned().unwrap();
        let err = write(&export(&world), &file).unwrap_err();
        assert!(err.contains("would not load again"), "{err}");
        assert_eq!(std::fs::read(&file).unwrap(), good, "the good file stays");

        let mut state = export(&World::from_seed(world.seed.clone()));
        state.webhooks.push(WebhookDelivery {
            id: Uuid::nil(),
            url: String::new(),
            headers: Default::default(),
            body: "not JSON".into(),
            status: None,
            error: None,
            created_at: String::new(),
        });
        let err = to_json(&state).unwrap_err();
        assert!(err.contains("cannot be serialised"), "{err}");
        assert!(write(&state, &file).is_err());
        assert_eq!(std::fs::read(&file).unwrap(), good, "the good file stays");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn writes_replace_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("uf-persist-{}", std::process::id()));
        let file = write(&export(&world()), &dir.join("sub/")).unwrap();
        assert_eq!(file, dir.join("sub").join(FILE_NAME));
        write_atomic(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
