//! Tenants below a workspace: creation, update and deletion of a subtree (conventions C-3,
//! C-16.2; server-to-server SS-12 … SS-16).
//!
//! Child tenants belong to one mode of their workspace and are registered in the world's
//! tenant index with that mode, so a key of the other mode never finds them. They have no user
//! pool of their own: they are scopes for role assignments, which is why deleting one also
//! strips it from every user's `authorization`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::clock::Millis;
use super::model::*;
use super::{Realm, TenantHome, World, ids};
use crate::error::{Error, Result, msg};

/// The writable attributes of a tenant; `None` = not given.
#[derive(Clone, Debug, Default)]
pub struct TenantFields {
    pub name: Option<String>,
    pub image: Option<String>,
    /// Shallow-merged on update; the whole `data` on create.
    pub data: Option<Object>,
}

/// What deleting a tenant took away.
#[derive(Debug)]
pub struct Removal {
    /// The Tenant objects as they were: the deleted tenant first, then its descendants.
    pub tenants: Vec<Value>,
    /// Users who lost role assignments.
    pub users: Vec<u64>,
    /// The surviving parent, whose webhook settings announce the deletion.
    pub parent: Box<str>,
}

/// Which users of the shared pool a credential may change or sign in as (README, "Child
/// tenants and the shared user pool"). The pool belongs to the workspace, and a user's rights
/// are their role assignments: a credential held by a child tenant may act on a user only when
/// every role the user holds lies in the holder's subtree, so that no user with rights above or
/// beside the holder (a workspace admin, a sibling's member) can be taken over from below.
#[derive(Clone, Debug)]
pub enum Reach {
    /// A workspace credential: every user of the pool.
    Pool,
    /// A child tenant's credential: users without a role outside these tenants.
    Subtree(BTreeSet<Box<str>>),
}

impl Reach {
    /// Whether `user` is within this reach.
    pub fn covers(&self, user: &User) -> bool {
        match self {
            Reach::Pool => true,
            Reach::Subtree(tenants) => user.roles.keys().all(|t| tenants.contains(t)),
        }
    }
}

impl Realm {
    /// The reach (see [`Reach`]) of a credential held by `holder`, a tenant of this realm.
    pub fn reach_of(&self, holder: &str) -> Reach {
        if *holder == *self.workspace_id {
            return Reach::Pool;
        }
        let mut tenants: BTreeSet<Box<str>> = self
            .descendants(holder)
            .into_iter()
            .map(|t| t.tenant_id.clone())
            .collect();
        tenants.insert(holder.into());
        Reach::Subtree(tenants)
    }

    /// 403 unless `user_id` is within `reach`; 404 for an unknown user.
    pub fn check_reach(&self, reach: &Reach, user_id: u64) -> Result<()> {
        if reach.covers(self.user(user_id)?) {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }
}

impl World {
    /// The Tenant object (C-16.2) of a tenant in a mode.
    pub fn tenant_view(&self, tenant_id: &str, mode: Mode) -> Result<Value> {
        let activated = self.workspace_of(tenant_id)?.has_activated_live_mode;
        let realm = self.realm_of(tenant_id, mode)?;
        Ok(realm.tenant_json(realm.tenant(tenant_id)?, activated))
    }

    /// The tenant whose webhook settings announce events about `tenant_id`: its parent, or
    /// the workspace itself (SS-12: "sent with the parent's webhook settings").
    pub fn tenant_webhook_owner(&self, tenant_id: &str, mode: Mode) -> Box<str> {
        self.realm_of(tenant_id, mode)
            .ok()
            .and_then(|realm| realm.tenants.get(tenant_id))
            .and_then(|t| t.parent_id.clone())
            .unwrap_or_else(|| tenant_id.into())
    }

    /// Creates a child of `parent_id` in `mode` with default settings and the default roles;
    /// returns its new 8-character id (unique across the world).
    pub fn create_tenant(
        &mut self,
        parent_id: &str,
        mode: Mode,
        fields: TenantFields,
        now: Millis,
    ) -> Result<Box<str>> {
        let workspace = self.realm_of(parent_id, mode)?.workspace_id.clone();
        let tenant_id: Box<str> = loop {
            let candidate = ids::tenant_id();
            if !self.tenant_index.contains_key(candidate.as_str()) {
                break candidate.into();
            }
        };
        let tenant = Tenant {
            tenant_id: tenant_id.clone(),
            uuid: ids::uuid(),
            parent_id: Some(parent_id.into()),
            name: fields.name.unwrap_or_default(),
            image: fields.image,
            data: fields.data.unwrap_or_default(),
            settings: TenantSettings::default(),
            roles: DEFAULT_ROLES
                .iter()
                .map(|name| RoleDef {
                    name: (*name).to_owned(),
                    created_at: now,
                })
                .collect(),
            creator: None,
            created_at: now,
            updated_at: now,
            last_active_at: None,
        };
        self.realm_of_mut(parent_id, mode)?
            .tenants
            .insert(tenant_id.clone(), tenant);
        self.tenant_index.insert(
            tenant_id.clone(),
            TenantHome {
                workspace,
                mode: Some(mode),
            },
        );
        Ok(tenant_id)
    }

    /// Changes name, image and (shallow-merged) data of a tenant.
    pub fn update_tenant(
        &mut self,
        tenant_id: &str,
        mode: Mode,
        fields: TenantFields,
        now: Millis,
    ) -> Result<()> {
        let tenant = self
            .realm_of_mut(tenant_id, mode)?
            .tenants
            .get_mut(tenant_id)
            .ok_or_else(Error::not_found)?;
        if let Some(name) = fields.name {
            tenant.name = name;
        }
        if let Some(image) = fields.image {
            tenant.image = Some(image);
        }
        if let Some(data) = fields.data {
            tenant.data.extend(data);
        }
        tenant.updated_at = now;
        Ok(())
    }

    /// Deletes a tenant and all its descendants: their role assignments disappear from every
    /// user (users stay), sessions signed in to them end, and their API keys stop working.
    /// A workspace cannot be deleted (400).
    pub fn delete_tenant(&mut self, tenant_id: &str, mode: Mode, now: Millis) -> Result<Removal> {
        let activated = self.workspace_of(tenant_id)?.has_activated_live_mode;
        let realm = self.realm_of(tenant_id, mode)?;
        let tenant = realm.tenant(tenant_id)?;
        let parent = tenant
            .parent_id
            .clone()
            .ok_or_else(|| Error::bad_request(msg::DELETE_WORKSPACE))?;
        let mut doomed = vec![tenant];
        doomed.extend(realm.descendants(tenant_id));
        let tenants = doomed
            .iter()
            .map(|t| realm.tenant_json(t, activated))
            .collect();
        let ids: Vec<Box<str>> = doomed.iter().map(|t| t.tenant_id.clone()).collect();

        let realm = self.realm_of_mut(tenant_id, mode)?;
        for id in &ids {
            realm.tenants.remove(id);
        }
        let mut users = Vec::new();
        for user in realm.users.values_mut() {
            let before = user.roles.len();
            user.roles.retain(|t, _| !ids.contains(t));
            if user.roles.len() != before {
                user.updated_at = now;
                users.push(user.user_id);
            }
        }
        for session in realm.sessions.values_mut() {
            if session.ended_at.is_none() && ids.contains(&session.tenant_id) {
                session.ended_at = Some(now);
            }
        }
        for id in &ids {
            self.tenant_index.remove(id);
        }
        self.api_keys.retain(|_, k| !ids.contains(&k.tenant_id));
        Ok(Removal {
            tenants,
            users,
            parent,
        })
    }
}
