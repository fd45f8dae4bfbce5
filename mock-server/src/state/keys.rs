//! API keys (conventions C-5, C-16.6; server-to-server SS-33 … SS-38).
//!
//! Keys live in one index of the world ([`World::api_keys`]) because a request names only the
//! key, and the key names its tenant and mode. A tenant must always keep one active key of each
//! type, so the last active one can be neither invalidated nor deleted. Deleted keys leave the
//! index (they stop authenticating and are no longer listed) but their metadata is kept in
//! [`World::deleted_api_keys`], so verifying one still answers "Invalid API key" with the
//! key's `result`, as the docs show for keys that were once valid.
//!
//! A caller may only see or touch keys of the tenant it acts on and of that tenant's
//! descendants, in its own mode; any other key reads as unknown.

use super::World;
use super::clock::Millis;
use super::ids;
use super::model::{ApiKey, KeyType, Mode};
use crate::error::{Error, Result, msg};

/// A key looked up for a caller.
#[derive(Clone, Debug)]
pub struct KnownKey {
    pub key: ApiKey,
    /// Still in the index (active or invalidated), as opposed to deleted.
    pub exists: bool,
}

impl World {
    /// Creates an active key of `key_type` for a tenant, in a mode:
    /// `uf_{mode}_{type}_{tenantId}_{32 hex}`.
    pub fn create_api_key(
        &mut self,
        tenant_id: &str,
        mode: Mode,
        key_type: KeyType,
        now: Millis,
    ) -> ApiKey {
        let key = loop {
            let candidate = format!(
                "uf_{}_{}_{tenant_id}_{}",
                mode.as_str(),
                key_type.as_str(),
                ids::hex(32)
            );
            if !self.api_keys.contains_key(candidate.as_str())
                && !self.deleted_api_keys.contains_key(candidate.as_str())
            {
                break candidate;
            }
        };
        let key = ApiKey {
            key: key.into(),
            key_type,
            mode,
            tenant_id: tenant_id.into(),
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        self.insert_api_key(key.clone());
        key
    }

    /// The keys of one type of a tenant and mode, active and invalidated, oldest first.
    pub fn api_keys_of(&self, tenant_id: &str, mode: Mode, key_type: KeyType) -> Vec<&ApiKey> {
        let mut keys: Vec<&ApiKey> = self
            .api_keys
            .values()
            .filter(|k| *k.tenant_id == *tenant_id && k.mode == mode && k.key_type == key_type)
            .collect();
        keys.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
        keys
    }

    /// Whether a key belongs to `tenant_id` or one of its descendants, in `mode`.
    fn key_in_scope(&self, key: &ApiKey, tenant_id: &str, mode: Mode) -> bool {
        key.mode == mode
            && (*key.tenant_id == *tenant_id
                || self.realm_of(&key.tenant_id, mode).is_ok_and(|realm| {
                    realm
                        .ancestors(&key.tenant_id)
                        .iter()
                        .any(|a| **a == *tenant_id)
                }))
    }

    /// A key as a caller acting on `tenant_id` in `mode` may see it: present, invalidated or
    /// deleted; `None` when it never existed or lies outside the caller's reach.
    pub fn known_api_key(&self, key: &str, tenant_id: &str, mode: Mode) -> Option<KnownKey> {
        let (found, exists) = match self.api_keys.get(key) {
            Some(k) => (k, true),
            None => (self.deleted_api_keys.get(key)?, false),
        };
        self.key_in_scope(found, tenant_id, mode).then(|| KnownKey {
            key: found.clone(),
            exists,
        })
    }

    /// A key in the index that the caller may invalidate or delete: 400 `Invalid API key` when
    /// there is none, 400 `refusal(type)` when it is the only active key of its type (a tenant
    /// and mode always keep one). Invalidation and deletion refuse alike but for the message.
    fn changeable_key(
        &self,
        key: &str,
        tenant_id: &str,
        mode: Mode,
        refusal: fn(&str) -> String,
    ) -> Result<ApiKey> {
        let found = match self.known_api_key(key, tenant_id, mode) {
            Some(KnownKey { key, exists: true }) => key,
            _ => return Err(Error::bad_request(msg::INVALID_API_KEY)),
        };
        if self.is_last_active(&found) {
            return Err(Error::bad_request(refusal(found.key_type.as_str())));
        }
        Ok(found)
    }

    /// Whether `key` is active and the only active key of its type in its tenant and mode.
    fn is_last_active(&self, key: &ApiKey) -> bool {
        key.is_active
            && self
                .api_keys_of(&key.tenant_id, key.mode, key.key_type)
                .iter()
                .filter(|k| k.is_active)
                .count()
                == 1
    }

    /// Invalidates a key: it stops authenticating and stays listed with `isActive: false`.
    /// Invalidating an invalidated key changes nothing.
    pub fn invalidate_api_key(
        &mut self,
        key: &str,
        tenant_id: &str,
        mode: Mode,
        now: Millis,
    ) -> Result<ApiKey> {
        // An invalidated key is never the last active one, so it passes and stays as it is.
        let found = self.changeable_key(key, tenant_id, mode, msg::last_key_invalidate)?;
        if !found.is_active {
            return Ok(found);
        }
        let stored = self
            .api_keys
            .get_mut(key)
            .ok_or_else(|| Error::bad_request(msg::INVALID_API_KEY))?;
        stored.is_active = false;
        stored.updated_at = now;
        Ok(stored.clone())
    }

    /// Deletes a key; returns it as it was. Its metadata stays known to verification.
    pub fn delete_api_key(
        &mut self,
        key: &str,
        tenant_id: &str,
        mode: Mode,
        now: Millis,
    ) -> Result<ApiKey> {
        self.changeable_key(key, tenant_id, mode, msg::last_key_delete)?;
        let mut removed = self
            .api_keys
            .remove(key)
            .ok_or_else(|| Error::bad_request(msg::INVALID_API_KEY))?;
        let as_it_was = removed.clone();
        removed.is_active = false;
        removed.updated_at = now;
        self.deleted_api_keys.insert(removed.key.clone(), removed);
        Ok(as_it_was)
    }
}
