//! Role definitions and role assignments (conventions C-3, C-9; server-to-server SS-18 … SS-27).
//!
//! Roles are defined per tenant (`Tenant::roles`) and assigned per user as a map tenant id →
//! role names (`User::roles`), so the same name can mean different things in different tenants.
//! A role must be defined before it is assigned, and cannot be deleted while assigned. The
//! assignment methods here are the only way roles change, so "set user roles" and the role
//! invitations follow the same rules; each reports whether anything changed, because only a
//! change is a `user update` webhook (C-15).

use serde_json::Value;

use super::Realm;
use super::clock::Millis;
use super::model::RoleDef;
use crate::error::{Error, Result, msg};

/// A role name is non-empty and does not begin or end with whitespace (conventions C-9); any
/// case, digits and punctuation are fine (`ResourceOwner`, `tier-3`, `dev_access-write 1`).
pub fn valid_role_name(name: &str) -> bool {
    !name.is_empty() && name.trim() == name
}

/// Reads a `roles` member: a required array of strings (`[]` is allowed and means "none").
pub fn roles_from_json(value: Option<&Value>) -> Result<Vec<String>> {
    let items = match value {
        None | Some(Value::Null) => return Err(Error::required("roles")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::bad_request("\"roles\" must be an array")),
    };
    items
        .iter()
        .map(|item| {
            item.as_str()
                .map(str::to_owned)
                .ok_or_else(|| Error::bad_request("\"roles\" must be an array of strings"))
        })
        .collect()
}

impl Realm {
    /// The roles defined in a tenant, oldest first.
    pub fn roles_of(&self, tenant_id: &str) -> Result<&[RoleDef]> {
        Ok(&self.tenant(tenant_id)?.roles)
    }

    /// Defines a role in a tenant: 400 `Invalid role name`, 400 `Role exists`.
    pub fn create_role(&mut self, tenant_id: &str, name: &str, now: Millis) -> Result<RoleDef> {
        if !valid_role_name(name) {
            return Err(Error::bad_request(msg::INVALID_ROLE_NAME));
        }
        let tenant = self
            .tenants
            .get_mut(tenant_id)
            .ok_or_else(Error::not_found)?;
        if tenant.roles.iter().any(|r| r.name == name) {
            return Err(Error::bad_request(msg::ROLE_EXISTS));
        }
        let role = RoleDef {
            name: name.to_owned(),
            created_at: now,
        };
        tenant.roles.push(role.clone());
        tenant.updated_at = now;
        Ok(role)
    }

    /// Removes a role definition: 404 when the tenant has no such role, 400 `Role is assigned
    /// to one or more users` while any user of the pool holds it there. Returns the definition.
    pub fn delete_role(&mut self, tenant_id: &str, name: &str, now: Millis) -> Result<RoleDef> {
        let position = self
            .roles_of(tenant_id)?
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(|| Error::new(404, msg::role_not_found(name)))?;
        let assigned = self.users.values().any(|u| {
            u.roles
                .get(tenant_id)
                .is_some_and(|roles| roles.iter().any(|r| **r == *name))
        });
        if assigned {
            return Err(Error::bad_request(msg::ROLE_ASSIGNED));
        }
        let tenant = self
            .tenants
            .get_mut(tenant_id)
            .ok_or_else(Error::not_found)?;
        tenant.updated_at = now;
        Ok(tenant.roles.remove(position))
    }

    /// Checks that every name is a role of the tenant (400 `Role "<name>" not found`) and
    /// returns them without duplicates, in the order given. Changes nothing, so callers that
    /// create a user first (invitations) can check before they create.
    pub fn check_roles(&self, tenant_id: &str, names: &[String]) -> Result<Vec<Box<str>>> {
        let defined = self.roles_of(tenant_id)?;
        let mut out: Vec<Box<str>> = Vec::with_capacity(names.len());
        for name in names {
            if !defined.iter().any(|r| r.name == *name) {
                return Err(Error::bad_request(msg::role_not_found(name)));
            }
            if !out.iter().any(|r| **r == **name) {
                out.push(name.as_str().into());
            }
        }
        Ok(out)
    }

    /// Replaces the user's roles in a tenant (`[]` removes them all). Returns whether anything
    /// changed.
    pub fn set_user_roles(
        &mut self,
        user_id: u64,
        tenant_id: &str,
        names: &[String],
        now: Millis,
    ) -> Result<bool> {
        let roles = self.check_roles(tenant_id, names)?;
        self.assign(user_id, tenant_id, roles, now)
    }

    /// Adds roles in a tenant to those the user already holds there. Returns whether anything
    /// changed.
    pub fn add_user_roles(
        &mut self,
        user_id: u64,
        tenant_id: &str,
        names: &[String],
        now: Millis,
    ) -> Result<bool> {
        let added = self.check_roles(tenant_id, names)?;
        let mut roles = self
            .user(user_id)?
            .roles
            .get(tenant_id)
            .cloned()
            .unwrap_or_default();
        for role in added {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        self.assign(user_id, tenant_id, roles, now)
    }

    fn assign(
        &mut self,
        user_id: u64,
        tenant_id: &str,
        roles: Vec<Box<str>>,
        now: Millis,
    ) -> Result<bool> {
        let user = self.user_mut(user_id)?;
        let current = user.roles.get(tenant_id).map(Vec::as_slice).unwrap_or(&[]);
        if current == roles.as_slice() {
            return Ok(false);
        }
        if roles.is_empty() {
            user.roles.remove(tenant_id);
        } else {
            user.roles.insert(tenant_id.into(), roles);
        }
        user.updated_at = now;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn role_names_follow_c9() {
        for ok in [
            "admin",
            "ResourceOwner",
            "tier-3",
            "dev_access-write 1",
            "ü",
        ] {
            assert!(valid_role_name(ok), "{ok}");
        }
        for bad in ["", " ", " admin", "admin ", "\tx"] {
            assert!(!valid_role_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn roles_member_must_be_an_array_of_strings() {
        assert_eq!(
            roles_from_json(Some(&json!(["a", "b"]))),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(roles_from_json(Some(&json!([]))), Ok(vec![]));
        assert_eq!(roles_from_json(None), Err(Error::required("roles")));
        assert!(roles_from_json(Some(&json!("admin"))).is_err());
        assert!(roles_from_json(Some(&json!([1]))).is_err());
    }
}
