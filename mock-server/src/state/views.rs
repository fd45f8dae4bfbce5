//! The JSON shapes of the API (conventions C-16), built from stored records.
//!
//! Kept in one place because the same objects appear in many responses, in webhook payloads and
//! in tokens; a field added here shows up everywhere at once.

use serde_json::{Map, Value, json};

use super::Realm;
use super::clock::{Millis, format_iso};
use super::model::*;

/// The avatar of a user without an image.
pub const DEFAULT_AVATAR: &str =
    "https://res.cloudinary.com/component/image/upload/avatars/avatar-plain-9.png";
/// The icon of a tenant without an image.
pub const DEFAULT_TENANT_IMAGE: &str =
    "https://res.cloudinary.com/component/image/upload/tenant-plain.png";

fn iso(t: Option<Millis>) -> Value {
    t.map(|t| Value::String(format_iso(t)))
        .unwrap_or(Value::Null)
}

/// `{ "<tenantId>": { "roles": [...] } }` for every tenant where the user holds a role.
pub fn authorization(user: &User) -> Value {
    let map: Map<String, Value> = user
        .roles
        .iter()
        .filter(|(_, roles)| !roles.is_empty())
        .map(|(tenant, roles)| (tenant.to_string(), json!({ "roles": roles })))
        .collect();
    Value::Object(map)
}

/// The user's image URL, or the default avatar.
pub fn user_image(user: &User) -> &str {
    user.image.as_deref().unwrap_or(DEFAULT_AVATAR)
}

/// The tenant's image URL, or the default icon.
pub fn tenant_image(tenant: &Tenant) -> &str {
    tenant.image.as_deref().unwrap_or(DEFAULT_TENANT_IMAGE)
}

impl Realm {
    /// The User object (conventions C-16.1).
    pub fn user_json(&self, user: &User) -> Value {
        let root = self.root();
        let confirmed_at = iso(user.confirmed_email_at);
        json!({
            "mode": self.mode.as_str(),
            "userId": user.user_id,
            "userUuid": user.user_uuid,
            "uuid": user.user_uuid,
            "tenantId": root.tenant_id,
            "username": user.username,
            "email": user.email,
            "name": user.name,
            "image": user_image(user),
            "phoneNumber": user.phone_number,
            "data": user.data,
            "locked": user.locked,
            "isMfaRequired": user.is_mfa_required,
            "preferredFirstFactor": user.preferred_first_factor,
            "preferredSecondFactor": user.preferred_second_factor,
            "isEmailConfirmed": user.is_email_confirmed(),
            "isPhoneNumberConfirmed": user.is_phone_number_confirmed(),
            "isConfirmed": user.is_email_confirmed(),
            "confirmedAt": confirmed_at,
            "confirmedEmailAt": confirmed_at,
            "confirmedPhoneNumberAt": iso(user.confirmed_phone_number_at),
            "lastActiveAt": iso(user.last_active_at),
            "lastMessagedAt": iso(user.last_messaged_at),
            "createdAt": format_iso(user.created_at),
            "updatedAt": format_iso(user.updated_at),
            "tenant": {
                "tenantId": root.tenant_id,
                "aliasId": root.settings.alias_id,
                "name": root.name,
                "image": tenant_image(root),
                "loginRedirectPath": root.settings.login_redirect_path,
                "logoutRedirectPath": root.settings.logout_redirect_path,
            },
            "authorization": authorization(user),
            "authentication": {
                "firstFactors": self.config.flow.first_factors,
                "secondFactors": self.config.flow.second_factors,
            },
        })
    }

    /// The User object of a user id, or `null` when it is gone.
    pub fn user_json_by_id(&self, user_id: u64) -> Value {
        self.users
            .get(&user_id)
            .map(|u| self.user_json(u))
            .unwrap_or(Value::Null)
    }

    /// The summary `{tenantId, name, image}` of the direct children of a tenant.
    fn children_of(&self, tenant_id: &str) -> Vec<&Tenant> {
        self.tenants
            .values()
            .filter(|t| t.parent_id.as_deref() == Some(tenant_id))
            .collect()
    }

    /// Every descendant of a tenant, depth first.
    pub fn descendants(&self, tenant_id: &str) -> Vec<&Tenant> {
        let mut out = Vec::new();
        let mut stack = vec![tenant_id.to_owned()];
        while let Some(id) = stack.pop() {
            for child in self.children_of(&id) {
                stack.push(child.tenant_id.to_string());
                out.push(child);
            }
        }
        out
    }

    /// The Tenant object (conventions C-16.2), for a workspace with `has_activated_live_mode`.
    pub fn tenant_json(&self, tenant: &Tenant, has_activated_live_mode: bool) -> Value {
        let settings = serde_json::to_value(&tenant.settings).unwrap_or_else(|_| json!({}));
        let children = self.children_of(&tenant.tenant_id);
        let descendants = self.descendants(&tenant.tenant_id);
        let count_type = |kind: &str| {
            descendants
                .iter()
                .filter(|t| t.settings.tenant_type == kind)
                .count()
        };
        let creator = tenant.creator.and_then(|id| self.users.get(&id)).map(|u| {
            json!({
                "userId": u.user_id,
                "name": u.name,
                "username": u.username,
                "email": u.email,
                "image": user_image(u),
                "lastActiveAt": iso(u.last_active_at),
            })
        });
        let parent = tenant
            .parent_id
            .as_deref()
            .and_then(|id| self.tenants.get(id))
            .map(|p| {
                json!({
                    "tenantId": p.tenant_id,
                    "image": tenant_image(p),
                    "name": p.name,
                    "mode": self.mode.as_str(),
                })
            });
        let mut body = json!({
            "tenantId": tenant.tenant_id,
            "uuid": tenant.uuid,
            "name": tenant.name,
            "image": tenant_image(tenant),
            "data": tenant.data,
            "lastActiveAt": iso(tenant.last_active_at),
            "creator": creator,
            "parent": parent,
            "children": {
                "totalCount": children.len(),
                "totalPages": children.len().div_ceil(24),
                "results": children.iter().map(|c| json!({
                    "tenantId": c.tenant_id,
                    "name": c.name,
                    "image": tenant_image(c),
                })).collect::<Vec<_>>(),
            },
            "roles": tenant.roles.iter().map(|r| json!({"name": r.name})).collect::<Vec<_>>(),
            "hasActivatedLiveMode": has_activated_live_mode,
            "mode": self.mode.as_str(),
            "descendantCount": {
                "descendants": descendants.len(),
                "children": children.len(),
                "basic": count_type("basic"),
                "multiuser": count_type("multiuser"),
                "enterprise": count_type("enterprise"),
            },
            "createdAt": format_iso(tenant.created_at),
            "updatedAt": format_iso(tenant.updated_at),
        });
        if let (Some(obj), Value::Object(settings)) = (body.as_object_mut(), settings) {
            for (k, v) in settings {
                obj.entry(k).or_insert(v);
            }
        }
        body
    }

    /// The Session object (conventions C-16.4).
    pub fn session_json(&self, session: &Session, now: Millis) -> Value {
        let user_uuid = session
            .user_id
            .and_then(|id| self.users.get(&id))
            .map(|u| u.user_uuid);
        json!({
            "sessionId": session.session_id,
            "tenantId": session.tenant_id,
            "mode": self.mode.as_str(),
            "userId": session.user_id,
            "userUuid": user_uuid,
            "isActive": session.is_active(now),
            "createdAt": format_iso(session.created_at),
            "lastActiveAt": format_iso(session.last_active_at),
            "expiresAt": format_iso(session.expires_at),
            "endedAt": iso(session.ended_at),
            "ipAddress": session.ip_address,
            "userAgent": session.user_agent,
            "authentication": {
                "firstFactor": session.first_factor,
                "secondFactor": session.second_factor,
            },
        })
    }

    /// The UserImport object (conventions C-16.5).
    pub fn import_json(&self, import: &UserImport) -> Value {
        json!({
            "uuid": import.uuid,
            "importUuid": import.uuid,
            "tenantId": import.tenant_id,
            "mode": self.mode.as_str(),
            "users": import.users,
            "userCount": import.users.len(),
            "successCount": import.success_count,
            "failureCount": import.failure_count,
            "failures": import.failures,
            "completedAt": iso(import.completed_at),
            "createdAt": format_iso(import.created_at),
            "updatedAt": format_iso(import.updated_at),
        })
    }
}

/// The ApiKey object (conventions C-16.6).
pub fn api_key_json(key: &ApiKey) -> Value {
    json!({
        "key": key.key,
        "type": key.key_type.as_str(),
        "mode": key.mode.as_str(),
        "tenantId": key.tenant_id,
        "isActive": key.is_active,
        "createdAt": format_iso(key.created_at),
        "updatedAt": format_iso(key.updated_at),
    })
}

/// A role in list responses (conventions C-16.3).
pub fn role_json(tenant_id: &str, role: &RoleDef) -> Value {
    json!({
        "name": role.name,
        "tenantId": tenant_id,
        "createdAt": format_iso(role.created_at),
    })
}

/// The list envelope `{totalCount, totalPages, results}` of a single-page list.
pub fn list(results: Vec<Value>) -> Value {
    let total = results.len();
    json!({
        "totalCount": total,
        "totalPages": if total == 0 { 0 } else { 1 },
        "results": results,
    })
}

/// The list envelope of one page of a paged list (24 per page).
pub fn page(total: usize, results: Vec<Value>) -> Value {
    json!({
        "totalCount": total,
        "totalPages": total.div_ceil(PAGE_SIZE),
        "results": results,
    })
}

/// Search page size (conventions C-10.1).
pub const PAGE_SIZE: usize = 24;
