//! The in-memory model of Userfront: workspaces, modes, users, tenants, credentials, messages.
//!
//! One [`Store`] handle (cheap to clone) guards one [`World`] behind a read-write lock. Locks are
//! held briefly and never across an `.await`: handlers read or change the world in one critical
//! section, and do slow work (password hashing, RSA signing, HTTP calls) outside it. A request
//! that fails validation returns before it changes anything, so nothing half-made stays behind.
//!
//! Data is kept apart per workspace and per mode (conventions C-3): a [`Workspace`] holds two
//! [`Realm`]s, test and live, each with its own tenants, users, sessions, links, codes, imports,
//! signing key, JWT format and rate-limit counters. API keys live in one index of the world, each
//! knowing its tenant and mode. Nothing in this module knows about HTTP.

pub(crate) mod bounded;
pub mod clock;
pub(crate) mod codes;
pub(crate) mod ids;
pub(crate) mod imports;
pub(crate) mod jwt;
pub(crate) mod keys;
pub mod messages;
pub mod model;
pub(crate) mod passthrough;
pub(crate) mod password;
pub mod persist;
pub(crate) mod redirects;
pub(crate) mod roles;
pub(crate) mod saml;
pub(crate) mod scope;
pub mod search;
pub mod seed;
pub mod signon;
pub(crate) mod sso;
pub(crate) mod tenants;
pub(crate) mod tokens;
pub mod totp;
pub(crate) mod users;
pub(crate) mod views;
pub(crate) mod webhooks;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::state::tokens::SigningKey;
use bounded::BoundedLog;
use clock::{Clock, Millis};
use model::*;
pub use scope::{Scope, Scoped};
use seed::Seed;

/// Most outbox entries kept; older ones are dropped first (the byte cap is
/// [`messages::OUTBOX_BYTES`]).
pub const OUTBOX_LIMIT: usize = 10_000;
/// Most webhook deliveries kept (the byte cap is [`webhooks::WEBHOOK_LOG_BYTES`]).
pub const WEBHOOK_LOG_LIMIT: usize = 1_000;

/// Cheap-to-clone handle on the one [`World`] of a mock instance.
#[derive(Clone)]
pub struct Store {
    inner: Arc<RwLock<World>>,
    /// Bumped after every exclusive access, so that long-polls (`?wait=` on the control
    /// surface) wake up when something may have changed instead of polling.
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Store {
    /// A store holding the world described by `seed`.
    pub fn new(seed: Arc<Seed>) -> Self {
        Store {
            inner: Arc::new(RwLock::new(World::from_seed(seed))),
            changes: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// Shared access, for reads.
    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        self.inner.read()
    }

    /// Exclusive access, for changes; waiters of [`Store::subscribe`] are woken when it ends.
    pub fn write(&self) -> WriteGuard<'_> {
        WriteGuard {
            guard: self.inner.write(),
            changes: &self.changes,
        }
    }

    /// A receiver that sees a change after every exclusive access from now on.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

/// Exclusive access to the [`World`]; announces a possible change when dropped.
pub struct WriteGuard<'a> {
    guard: RwLockWriteGuard<'a, World>,
    changes: &'a tokio::sync::watch::Sender<u64>,
}

impl std::ops::Deref for WriteGuard<'_> {
    type Target = World;
    fn deref(&self) -> &World {
        &self.guard
    }
}

impl std::ops::DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.guard
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        // Woken waiters take the read lock, so they run once the write lock is released
        // (right after this, when the inner guard is dropped).
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// Where a tenant id lives: its workspace, and its mode (`None` for a workspace root, which
/// exists in both modes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantHome {
    pub workspace: Box<str>,
    pub mode: Option<Mode>,
}

/// Settings of a realm that the real product keeps in its dashboard; the mock sets them through
/// `PUT /__mock/tenants/{tenantId}/settings` (conventions C-18).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealmConfig {
    /// The tenant authentication flow (first and second factors).
    pub flow: Flow,
    /// "Require MFA for all users".
    pub mfa_required_all: bool,
    /// SSO provider settings, as given to the control surface.
    pub sso_providers: serde_json::Map<String, Value>,
    /// SAML service providers `[{entityId, acsUrl, logoutUrl}]`.
    pub saml_service_providers: Vec<Value>,
    /// Passthrough upstream `{rules: [...]}`.
    pub passthrough: Option<Value>,
}

/// Rolling message counters of one recipient (conventions C-7).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientLimits {
    /// Send times within the last 24 hours, oldest first.
    pub sent: VecDeque<Millis>,
    /// Refuse everything until then (suspected spam target).
    pub blocked_until: Option<Millis>,
}

/// A sign-on waiting for its second factor (conventions C-13.2, C-14.1).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingSignOn {
    pub signon: signon::SignOn,
    /// The legacy `firstFactorCode` bound to the same sign-on.
    pub first_factor_code: Uuid,
    pub expires_at: Millis,
}

/// A sign-on waiting for its PKCE exchange (conventions C-13.3, C-14.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingPkce {
    pub signon: signon::SignOn,
    pub code_challenge: String,
    /// `S256` or `plain`.
    pub method: String,
    pub expires_at: Millis,
}

/// One mode of one workspace: a complete, separate data set.
#[derive(Debug)]
pub struct Realm {
    pub workspace_id: Box<str>,
    pub mode: Mode,
    pub signing: Arc<SigningKey>,
    /// The workspace root and every child tenant of this mode.
    pub tenants: BTreeMap<Box<str>, Tenant>,
    pub users: BTreeMap<u64, User>,
    pub by_email: HashMap<Text, u64>,
    pub by_username: HashMap<Text, u64>,
    pub by_uuid: HashMap<Uuid, u64>,
    pub next_user_id: u64,
    /// Boxed: a session is ~300 bytes and sign-ons add them by the thousand; the table then
    /// holds pointers, so growing it copies and doubles 8 bytes per slot, not the sessions.
    pub sessions: HashMap<Uuid, Box<Session>>,
    pub links: HashMap<Uuid, LinkCredential>,
    pub codes: Vec<VerificationCode>,
    pub imports: Vec<UserImport>,
    /// `None` = the default format.
    pub jwt_format: Option<Value>,
    pub rate_limits: HashMap<(Channel, String), RecipientLimits>,
    /// Users exempt from rate limits.
    pub rate_limit_opt_outs: HashSet<u64>,
    pub config: RealmConfig,
    /// firstFactorToken → pending sign-on.
    pub first_factor_tokens: HashMap<String, PendingSignOn>,
    /// authorizationCode → pending PKCE sign-on.
    pub pkce_codes: HashMap<Uuid, PendingPkce>,
    /// SAML tokens and SP-initiated requests waiting for a sign-on (conventions C-14.4).
    pub saml: saml::SamlState,
}

impl Realm {
    /// The workspace root tenant of this realm.
    pub fn root(&self) -> &Tenant {
        self.tenants
            .get(&self.workspace_id)
            .expect("a realm always holds its workspace tenant")
    }

    /// The workspace root tenant, mutable.
    pub fn root_mut(&mut self) -> &mut Tenant {
        self.tenants
            .get_mut(&self.workspace_id)
            .expect("a realm always holds its workspace tenant")
    }

    /// A tenant of this realm by id.
    pub fn tenant(&self, tenant_id: &str) -> Result<&Tenant> {
        self.tenants.get(tenant_id).ok_or_else(Error::not_found)
    }

    /// The id of the tenant's parent, grandparent, ... up to the workspace.
    pub fn ancestors(&self, tenant_id: &str) -> Vec<Box<str>> {
        let mut out = Vec::new();
        let mut current = self
            .tenants
            .get(tenant_id)
            .and_then(|t| t.parent_id.clone());
        while let Some(id) = current {
            current = self.tenants.get(&id).and_then(|t| t.parent_id.clone());
            out.push(id);
        }
        out
    }
}

/// A workspace (root tenant) with its two realms.
#[derive(Debug)]
pub struct Workspace {
    pub tenant_id: Box<str>,
    pub has_activated_live_mode: bool,
    /// Live domains, e.g. `example.com` (matches itself and its subdomains).
    pub live_domains: Vec<String>,
    /// Test realm at index 0, live at index 1 (see [`Mode::index`]).
    pub realms: [Realm; 2],
}

impl Workspace {
    /// The realm of a mode.
    pub fn realm(&self, mode: Mode) -> &Realm {
        &self.realms[mode.index()]
    }

    /// The realm of a mode, mutable.
    pub fn realm_mut(&mut self, mode: Mode) -> &mut Realm {
        &mut self.realms[mode.index()]
    }
}

/// Everything a mock instance knows.
#[derive(Debug)]
pub struct World {
    pub clock: Clock,
    /// What `POST /__mock/reset` restores.
    pub seed: Arc<Seed>,
    pub workspaces: BTreeMap<Box<str>, Workspace>,
    pub tenant_index: HashMap<Box<str>, TenantHome>,
    pub api_keys: HashMap<Box<str>, ApiKey>,
    /// Deleted API keys: they no longer authenticate, but verification still recognises them.
    pub deleted_api_keys: HashMap<Box<str>, ApiKey>,
    pub outbox: BoundedLog<OutboxEntry>,
    pub webhooks: BoundedLog<WebhookDelivery>,
    /// Where webhook deliveries are queued (set by the server; kept across resets).
    pub webhook_tx: Option<webhooks::DeliverySender>,
    /// Fake SSO provider identities and sign-ons waiting for the provider (conventions C-14.3).
    pub sso: sso::SsoState,
    /// Calls made to passthrough upstreams (conventions C-14.5), oldest first.
    pub passthrough_calls: BoundedLog<Value>,
    /// The state file the mock started from (`--import`): what `POST /__mock/reset` restores
    /// instead of the bare seed.
    pub imported: Option<Arc<persist::Snapshot>>,
}

impl World {
    /// A world in the state of `seed`, at real time.
    pub fn from_seed(seed: Arc<Seed>) -> Self {
        let clock = Clock::default();
        let mut world = World {
            clock,
            seed: seed.clone(),
            workspaces: BTreeMap::new(),
            tenant_index: HashMap::new(),
            api_keys: HashMap::new(),
            deleted_api_keys: HashMap::new(),
            outbox: BoundedLog::new(),
            webhooks: BoundedLog::new(),
            webhook_tx: None,
            sso: Default::default(),
            passthrough_calls: BoundedLog::new(),
            imported: None,
        };
        seed.apply(&mut world);
        world
    }

    /// Restores the seed state (conventions C-17) and real time, or the imported state file
    /// the mock started from (with its clock).
    pub fn reset(&mut self) {
        let tx = self.webhook_tx.take();
        let imported = self.imported.take();
        *self = World::from_seed(self.seed.clone());
        if let Some(snapshot) = imported {
            self.import(snapshot);
        }
        self.webhook_tx = tx;
    }

    /// The current mock time.
    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Where a tenant lives; 404 `Not Found` when unknown.
    pub fn home(&self, tenant_id: &str) -> Result<&TenantHome> {
        self.tenant_index
            .get(tenant_id)
            .ok_or_else(Error::not_found)
    }

    /// The workspace of a tenant (any mode); 404 when unknown.
    pub fn workspace_of(&self, tenant_id: &str) -> Result<&Workspace> {
        let home = self.home(tenant_id)?;
        self.workspaces
            .get(&home.workspace)
            .ok_or_else(Error::not_found)
    }

    /// The realm holding `tenant_id` in `mode`; 404 when the tenant is unknown or belongs to the
    /// other mode.
    pub fn realm_of(&self, tenant_id: &str, mode: Mode) -> Result<&Realm> {
        let home = self.home(tenant_id)?;
        if home.mode.is_some_and(|m| m != mode) {
            return Err(Error::not_found());
        }
        self.workspaces
            .get(&home.workspace)
            .map(|ws| ws.realm(mode))
            .ok_or_else(Error::not_found)
    }

    /// The realm a [`Scope`] (or a credential) acts on; 404 as [`World::realm_of`].
    pub fn realm(&self, scope: &impl Scoped) -> Result<&Realm> {
        self.realm_of(scope.tenant_id(), scope.mode())
    }

    /// The realm a [`Scope`] (or a credential) acts on, mutable.
    pub fn realm_mut(&mut self, scope: &impl Scoped) -> Result<&mut Realm> {
        self.realm_of_mut(scope.tenant_id(), scope.mode())
    }

    /// The realm holding `tenant_id` in `mode`, mutable.
    pub fn realm_of_mut(&mut self, tenant_id: &str, mode: Mode) -> Result<&mut Realm> {
        let home = self.home(tenant_id)?.clone();
        if home.mode.is_some_and(|m| m != mode) {
            return Err(Error::not_found());
        }
        self.workspaces
            .get_mut(&home.workspace)
            .map(|ws| ws.realm_mut(mode))
            .ok_or_else(Error::not_found)
    }

    /// Appends to the outbox (its large members cut), dropping the oldest entries when full, and
    /// prints its console-log line.
    pub fn push_outbox(&mut self, entry: OutboxEntry) {
        crate::log::outbox(&entry);
        self.outbox.push_back(entry.trimmed());
    }

    /// Adds a workspace with its realms, indexing every tenant they hold (the workspace itself
    /// in both modes, child tenants in their own).
    pub fn add_workspace(&mut self, workspace: Workspace) {
        let id = workspace.tenant_id.clone();
        for realm in &workspace.realms {
            for tenant_id in realm.tenants.keys() {
                let mode = (*tenant_id != id).then_some(realm.mode);
                self.tenant_index.insert(
                    tenant_id.clone(),
                    TenantHome {
                        workspace: id.clone(),
                        mode,
                    },
                );
            }
        }
        self.workspaces.insert(id, workspace);
    }

    /// Registers an API key in the index.
    pub fn insert_api_key(&mut self, key: ApiKey) {
        self.api_keys.insert(key.key.clone(), key);
    }
}
