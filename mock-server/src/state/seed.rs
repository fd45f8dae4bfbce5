//! Seed data: the fixture files, parsed once, and applied on start and on every reset.
//!
//! The default fixtures (`fixtures/seed.json` and `fixtures/keys/*.pem` at the repository root)
//! are embedded in the binary, so `userfront-mock` runs from anywhere with the demo tenant of
//! conventions C-17. A fixtures directory given on the command line replaces them; its
//! `seed.json` names key files relative to itself. Keys are parsed once into signing keys and
//! shared by every reset; a workspace mode without a key gets a generated one.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::clock::{Millis, parse_iso};
use super::model::*;
use super::{Realm, RealmConfig, Workspace, World};
use crate::state::tokens::SigningKey;

// The default fixtures live in the `userfront-fixtures` crate (`fixtures/`), so this crate
// embeds nothing from outside itself and packages on its own.
const EMBEDDED_SEED: &str = userfront_fixtures::SEED_JSON;
const EMBEDDED_KEYS: [(&str, &str); 4] = userfront_fixtures::KEYS;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixtureFile {
    workspaces: Vec<FixtureWorkspace>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixtureWorkspace {
    tenant_id: String,
    name: String,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    has_activated_live_mode: bool,
    #[serde(default)]
    live_domains: Vec<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    test: FixtureRealm,
    #[serde(default)]
    live: FixtureRealm,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixtureRealm {
    #[serde(default)]
    signing_key: Option<FixtureKey>,
    #[serde(default)]
    api_keys: Vec<FixtureApiKey>,
    #[serde(default)]
    users: Vec<FixtureUser>,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    authentication: Option<Flow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixtureKey {
    kid: String,
    /// PEM file, relative to the fixtures directory.
    #[serde(default)]
    file: Option<String>,
    /// Or the PEM text itself.
    #[serde(default)]
    pem: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixtureApiKey {
    #[serde(rename = "type")]
    key_type: KeyType,
    key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixtureUser {
    user_id: u64,
    #[serde(default)]
    user_uuid: Option<Uuid>,
    username: String,
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    data: Object,
    /// A PHC hash (preferred: no plaintext in the file) ...
    #[serde(default)]
    password_hash: Option<String>,
    /// ... or a password hashed at load.
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    is_email_confirmed: bool,
    #[serde(default)]
    is_phone_number_confirmed: bool,
    #[serde(default)]
    is_mfa_required: bool,
    #[serde(default)]
    locked: bool,
}

/// One mode of a seeded workspace.
#[derive(Debug)]
pub struct SeedRealm {
    pub signing: Arc<SigningKey>,
    pub api_keys: Vec<(KeyType, String)>,
    pub users: Vec<User>,
    pub roles: Vec<String>,
    pub flow: Flow,
}

/// A seeded workspace.
#[derive(Debug)]
pub struct SeedWorkspace {
    pub tenant_id: String,
    pub name: String,
    pub image: Option<String>,
    pub has_activated_live_mode: bool,
    pub live_domains: Vec<String>,
    pub created_at: Millis,
    /// Test at index 0, live at index 1.
    pub realms: [SeedRealm; 2],
}

/// Parsed fixtures.
#[derive(Debug)]
pub struct Seed {
    pub workspaces: Vec<SeedWorkspace>,
}

impl Seed {
    /// The fixtures embedded in the binary (the repository's `fixtures/`).
    pub fn embedded() -> Result<Self, String> {
        Self::parse(EMBEDDED_SEED, &|file| {
            EMBEDDED_KEYS
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, pem)| (*pem).to_owned())
                .ok_or_else(|| format!("no embedded key file {file}"))
        })
    }

    /// The fixtures of a directory holding `seed.json`.
    pub fn from_dir(dir: &Path) -> Result<Self, String> {
        let path = dir.join("seed.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text, &|file| {
            let path = dir.join(file);
            std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        })
    }

    /// Parses a fixture file; `read_key` resolves key file names.
    fn parse(
        text: &str,
        read_key: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<Self, String> {
        let file: FixtureFile =
            serde_json::from_str(text).map_err(|e| format!("seed.json: {e}"))?;
        let mut workspaces = Vec::new();
        for ws in file.workspaces {
            let created_at = match &ws.created_at {
                Some(s) => parse_iso(s).ok_or_else(|| format!("bad createdAt {s}"))?,
                None => 0,
            };
            let mut realms = Vec::new();
            for (mode, realm) in [(Mode::Test, ws.test), (Mode::Live, ws.live)] {
                realms.push(seed_realm(
                    &ws.tenant_id,
                    mode,
                    realm,
                    created_at,
                    read_key,
                )?);
            }
            let [test, live]: [SeedRealm; 2] =
                realms.try_into().map_err(|_| "two realms".to_owned())?;
            workspaces.push(SeedWorkspace {
                tenant_id: ws.tenant_id,
                name: ws.name,
                image: ws.image,
                has_activated_live_mode: ws.has_activated_live_mode,
                live_domains: ws.live_domains,
                created_at,
                realms: [test, live],
            });
        }
        Ok(Seed { workspaces })
    }

    /// Fills an empty world with the seeded workspaces, keys and users.
    pub(super) fn apply(&self, world: &mut World) {
        for ws in &self.workspaces {
            let id: Box<str> = ws.tenant_id.as_str().into();
            let realms = [Mode::Test, Mode::Live].map(|mode| {
                let seed = &ws.realms[mode.index()];
                let root = Tenant {
                    tenant_id: id.clone(),
                    uuid: Uuid::from_u128(u128::from_be_bytes(digest16(&format!(
                        "{id}/{}",
                        mode.as_str()
                    )))),
                    parent_id: None,
                    name: ws.name.clone(),
                    image: ws.image.clone(),
                    data: Object::new(),
                    settings: TenantSettings::default(),
                    roles: seed
                        .roles
                        .iter()
                        .map(|name| RoleDef {
                            name: name.clone(),
                            created_at: ws.created_at,
                        })
                        .collect(),
                    creator: None,
                    created_at: ws.created_at,
                    updated_at: ws.created_at,
                    last_active_at: None,
                };
                let mut realm = Realm {
                    workspace_id: id.clone(),
                    mode,
                    signing: seed.signing.clone(),
                    tenants: BTreeMap::from([(id.clone(), root)]),
                    users: BTreeMap::new(),
                    by_email: Default::default(),
                    by_username: Default::default(),
                    by_uuid: Default::default(),
                    next_user_id: 1,
                    sessions: Default::default(),
                    links: Default::default(),
                    codes: Vec::new(),
                    imports: Vec::new(),
                    jwt_format: None,
                    rate_limits: Default::default(),
                    rate_limit_opt_outs: Default::default(),
                    config: RealmConfig {
                        flow: seed.flow.clone(),
                        ..RealmConfig::default()
                    },
                    first_factor_tokens: Default::default(),
                    pkce_codes: Default::default(),
                    saml: Default::default(),
                };
                for user in &seed.users {
                    realm.insert_user(user.clone());
                }
                realm
            });
            for (mode, seed) in [Mode::Test, Mode::Live]
                .into_iter()
                .map(|m| (m, &ws.realms[m.index()]))
            {
                for (key_type, key) in &seed.api_keys {
                    world.insert_api_key(ApiKey {
                        key: key.as_str().into(),
                        key_type: *key_type,
                        mode,
                        tenant_id: id.clone(),
                        is_active: true,
                        created_at: ws.created_at,
                        updated_at: ws.created_at,
                    });
                }
            }
            world.add_workspace(Workspace {
                tenant_id: id,
                has_activated_live_mode: ws.has_activated_live_mode,
                live_domains: ws.live_domains.clone(),
                realms,
            });
        }
    }

    /// The seed without any users (the `--empty` start).
    pub fn without_users(mut self) -> Self {
        for ws in &mut self.workspaces {
            for realm in &mut ws.realms {
                realm.users.clear();
            }
        }
        self
    }
}

/// A stable 16-byte value derived from a string (seeded tenant UUIDs stay the same across
/// resets without being stored in the fixture).
fn digest16(s: &str) -> [u8; 16] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, s.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&d.as_ref()[..16]);
    out[6] = (out[6] & 0x0f) | 0x40;
    out[8] = (out[8] & 0x3f) | 0x80;
    out
}

fn seed_realm(
    tenant_id: &str,
    mode: Mode,
    realm: FixtureRealm,
    created_at: Millis,
    read_key: &dyn Fn(&str) -> Result<String, String>,
) -> Result<SeedRealm, String> {
    let signing = match realm.signing_key {
        Some(key) => {
            let pem = match (key.pem, key.file) {
                (Some(pem), _) => pem,
                (None, Some(file)) => read_key(&file)?,
                (None, None) => return Err(format!("{tenant_id}: signingKey needs file or pem")),
            };
            SigningKey::from_pem(&key.kid, mode, created_at, &pem)?
        }
        None => SigningKey::generate(&Uuid::new_v4().to_string(), mode, created_at),
    };
    let users = realm
        .users
        .into_iter()
        .map(|u| fixture_user(tenant_id, u, created_at))
        .collect::<Result<_, _>>()?;
    Ok(SeedRealm {
        signing: Arc::new(signing),
        api_keys: realm
            .api_keys
            .into_iter()
            .map(|k| (k.key_type, k.key))
            .collect(),
        users,
        roles: realm
            .roles
            .unwrap_or_else(|| DEFAULT_ROLES.iter().map(|r| (*r).to_owned()).collect()),
        flow: realm.authentication.unwrap_or_else(Flow::default_flow),
    })
}

fn fixture_user(tenant_id: &str, u: FixtureUser, at: Millis) -> Result<User, String> {
    let password_hash = match (u.password_hash, u.password) {
        (Some(hash), _) => Some(hash.into()),
        (None, Some(password)) => Some(crate::state::password::hash_now(&password).into()),
        (None, None) => None,
    };
    let uuid = u.user_uuid.unwrap_or_else(|| {
        Uuid::from_u128(u128::from_be_bytes(digest16(&format!(
            "{tenant_id}/user/{}",
            u.user_id
        ))))
    });
    Ok(User {
        user_id: u.user_id,
        user_uuid: uuid,
        email: u.email.to_lowercase().into(),
        username: u.username.to_lowercase().into(),
        name: u.name.into(),
        image: u.image.map(Into::into),
        phone_number: u.phone_number.map(Into::into),
        data: u.data,
        locked: u.locked,
        is_mfa_required: u.is_mfa_required,
        preferred_first_factor: None,
        preferred_second_factor: None,
        confirmed_email_at: u.is_email_confirmed.then_some(at),
        confirmed_phone_number_at: u.is_phone_number_confirmed.then_some(at),
        last_active_at: None,
        last_messaged_at: None,
        created_at: at,
        updated_at: at,
        password_hash,
        roles: u
            .roles
            .into_iter()
            .map(|(t, roles)| (t.into(), roles.into_iter().map(Into::into).collect()))
            .collect(),
        totp: None,
    })
}

/// Reads a `Value` as the seed's public summary (`GET /__mock/state`).
pub fn summary(world: &World) -> Value {
    let workspaces: Vec<Value> = world
        .seed
        .workspaces
        .iter()
        .map(|ws| {
            let modes: serde_json::Map<String, Value> = Mode::ALL
                .iter()
                .map(|&mode| {
                    let keys: serde_json::Map<String, Value> = world
                        .api_keys
                        .values()
                        .filter(|k| {
                            &*k.tenant_id == ws.tenant_id.as_str() && k.mode == mode && k.is_active
                        })
                        .fold(serde_json::Map::new(), |mut acc, k| {
                            acc.entry(k.key_type.as_str().to_owned())
                                .or_insert_with(|| Value::String(k.key.to_string()));
                            acc
                        });
                    let realm = &ws.realms[mode.index()];
                    let users: Vec<Value> = realm
                        .users
                        .iter()
                        .map(|u| {
                            serde_json::json!({
                                "userId": u.user_id,
                                "userUuid": u.user_uuid,
                                "email": u.email,
                                "username": u.username,
                            })
                        })
                        .collect();
                    (
                        mode.as_str().to_owned(),
                        serde_json::json!({
                            "apiKeys": keys,
                            "kid": realm.signing.kid(),
                            "users": users,
                        }),
                    )
                })
                .collect();
            serde_json::json!({
                "tenantId": ws.tenant_id,
                "name": ws.name,
                "hasActivatedLiveMode": ws.has_activated_live_mode,
                "liveDomains": ws.live_domains,
                "modes": modes,
            })
        })
        .collect();
    serde_json::json!({ "workspaces": workspaces })
}
