//! The JSON shapes of the API (conventions C-16), built from stored records.
//!
//! Kept in one place because the same objects appear in many responses, in webhook payloads and
//! in tokens; a field added here shows up everywhere at once.

use serde::{Serialize, Serializer};
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
    serde_json::to_value(Authorization(user)).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// A timestamp that serialises as the API's ISO-8601 string.
#[derive(Clone, Copy, Debug)]
pub struct Iso(pub Millis);

impl Serialize for Iso {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(super::clock::IsoText::of(self.0).as_str())
    }
}

/// The `authorization` member, serialised straight from the user's role map.
#[derive(Clone, Copy, Debug)]
pub struct Authorization<'a>(&'a User);

impl Serialize for Authorization<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Roles<'a> {
            roles: &'a [Box<str>],
        }
        serializer.collect_map(
            self.0
                .roles
                .iter()
                .filter(|(_, roles)| !roles.is_empty())
                .map(|(tenant, roles)| (tenant, Roles { roles })),
        )
    }
}

/// The `tenant` member of a User.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSummary<'a> {
    tenant_id: &'a str,
    alias_id: Option<&'a str>,
    name: &'a str,
    image: &'a str,
    login_redirect_path: &'a str,
    logout_redirect_path: &'a str,
}

/// The `authentication` member of a User.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowView<'a> {
    first_factors: &'a [Factor],
    second_factors: &'a [Factor],
}

/// The User object (conventions C-16.1), borrowed from the stored record.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView<'a> {
    mode: &'static str,
    user_id: u64,
    user_uuid: &'a uuid::Uuid,
    uuid: &'a uuid::Uuid,
    tenant_id: &'a str,
    username: &'a str,
    email: &'a str,
    name: &'a str,
    image: &'a str,
    phone_number: Option<&'a str>,
    data: &'a Object,
    locked: bool,
    is_mfa_required: bool,
    preferred_first_factor: Option<&'a Factor>,
    preferred_second_factor: Option<&'a Factor>,
    is_email_confirmed: bool,
    is_phone_number_confirmed: bool,
    is_confirmed: bool,
    confirmed_at: Option<Iso>,
    confirmed_email_at: Option<Iso>,
    confirmed_phone_number_at: Option<Iso>,
    last_active_at: Option<Iso>,
    last_messaged_at: Option<Iso>,
    created_at: Iso,
    updated_at: Iso,
    tenant: TenantSummary<'a>,
    authorization: Authorization<'a>,
    authentication: FlowView<'a>,
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
    /// The User object (conventions C-16.1) as a JSON value.
    pub fn user_json(&self, user: &User) -> Value {
        serde_json::to_value(self.user_view(user)).unwrap_or(Value::Null)
    }

    /// The User object as a borrowed view that serialises without building a JSON tree first:
    /// `GET /v0/self` is the hot path of every app, and the tree alone cost dozens of
    /// allocations per request.
    pub fn user_view<'a>(&'a self, user: &'a User) -> UserView<'a> {
        let root = self.root();
        UserView {
            mode: self.mode.as_str(),
            user_id: user.user_id,
            user_uuid: &user.user_uuid,
            uuid: &user.user_uuid,
            tenant_id: &root.tenant_id,
            username: &user.username,
            email: &user.email,
            name: &user.name,
            image: user_image(user),
            phone_number: user.phone_number.as_deref(),
            data: &user.data,
            locked: user.locked,
            is_mfa_required: user.is_mfa_required,
            preferred_first_factor: user.preferred_first_factor.as_ref(),
            preferred_second_factor: user.preferred_second_factor.as_ref(),
            is_email_confirmed: user.is_email_confirmed(),
            is_phone_number_confirmed: user.is_phone_number_confirmed(),
            is_confirmed: user.is_email_confirmed(),
            confirmed_at: user.confirmed_email_at.map(Iso),
            confirmed_email_at: user.confirmed_email_at.map(Iso),
            confirmed_phone_number_at: user.confirmed_phone_number_at.map(Iso),
            last_active_at: user.last_active_at.map(Iso),
            last_messaged_at: user.last_messaged_at.map(Iso),
            created_at: Iso(user.created_at),
            updated_at: Iso(user.updated_at),
            tenant: TenantSummary {
                tenant_id: &root.tenant_id,
                alias_id: root.settings.alias_id.as_deref(),
                name: &root.name,
                image: tenant_image(root),
                login_redirect_path: &root.settings.login_redirect_path,
                logout_redirect_path: &root.settings.logout_redirect_path,
            },
            authorization: Authorization(user),
            authentication: FlowView {
                first_factors: &self.config.flow.first_factors,
                second_factors: &self.config.flow.second_factors,
            },
        }
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
