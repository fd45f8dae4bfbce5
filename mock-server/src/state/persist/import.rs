//! Import: a state file checked once into a [`Snapshot`] (keys parsed, references checked),
//! which then applies to a world as often as needed (start and every reset) without failing.

use super::*;

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

pub(super) fn check_realm(
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

pub(super) fn build_realm(
    workspace: &str,
    mode: Mode,
    key: &Arc<SigningKey>,
    state: &RealmState,
) -> Realm {
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
            .map(|s| (s.session_id, Box::new(s.clone())))
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
