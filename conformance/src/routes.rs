//! The documented routes (the checklist of the spec's `endpoints.tsv`), and matching of a
//! concrete request path to the route it exercises.
//!
//! The runner uses this table twice: to find the response contract of every answer, and to
//! report which documented routes a run exercised (coverage).

use serde::Serialize;

/// The endpoint groups of the spec, used to organise scenarios and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Auth,
    Session,
    #[serde(rename = "self")]
    SelfUser,
    Misc,
    Mfa,
    Sso,
    Saml,
    Users,
    Tenants,
    Roles,
    Imports,
    Keys,
    Jwt,
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 13] = [
        Group::Auth,
        Group::Session,
        Group::SelfUser,
        Group::Misc,
        Group::Mfa,
        Group::Sso,
        Group::Saml,
        Group::Users,
        Group::Tenants,
        Group::Roles,
        Group::Imports,
        Group::Keys,
        Group::Jwt,
    ];

    /// The name used in `endpoints.tsv`, scenario names and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Auth => "auth",
            Group::Session => "session",
            Group::SelfUser => "self",
            Group::Misc => "misc",
            Group::Mfa => "mfa",
            Group::Sso => "sso",
            Group::Saml => "saml",
            Group::Users => "users",
            Group::Tenants => "tenants",
            Group::Roles => "roles",
            Group::Imports => "imports",
            Group::Keys => "keys",
            Group::Jwt => "jwt",
        }
    }
}

/// One documented route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// The tenant form (or other alias) of the same endpoint.
    pub alias: Option<&'static str>,
    /// The credential kind of `endpoints.tsv` (`public`, `jwt`, `admin`, ...).
    pub auth: &'static str,
    pub group: Group,
    /// What a success looks like: `Html` and `Redirect` for the non-JSON answers, else the
    /// name of the body's shape (informative).
    pub response: &'static str,
}

impl Route {
    /// `METHOD /path`, as reports print it.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every row of `endpoints.tsv`.
pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/v0/auth/create",
        alias: Some("/v0/tenants/{tenantId}/auth/create"),
        auth: "public",
        group: Group::Auth,
        response: "SignOn",
    },
    Route {
        method: "POST",
        path: "/v0/auth/basic",
        alias: Some("/v0/tenants/{tenantId}/auth/basic"),
        auth: "public",
        group: Group::Auth,
        response: "SignOn",
    },
    Route {
        method: "PUT",
        path: "/v0/auth/basic",
        alias: Some("/v0/tenants/{tenantId}/auth/basic"),
        auth: "jwt",
        group: Group::Auth,
        response: "Ok",
    },
    Route {
        method: "PUT",
        path: "/v0/tenants/{tenantId}/auth/password",
        alias: None,
        auth: "jwt",
        group: Group::Auth,
        response: "MessageSent",
    },
    Route {
        method: "POST",
        path: "/v0/auth/password/migrate",
        alias: Some("/v0/tenants/{tenantId}/auth/password/migrate"),
        auth: "public",
        group: Group::Auth,
        response: "SignOn",
    },
    Route {
        method: "POST",
        path: "/v0/auth/link",
        alias: Some("/v0/tenants/{tenantId}/auth/link"),
        auth: "public",
        group: Group::Auth,
        response: "MessageSent",
    },
    Route {
        method: "PUT",
        path: "/v0/auth/link",
        alias: Some("/v0/tenants/{tenantId}/auth/link"),
        auth: "link",
        group: Group::Auth,
        response: "SignOn",
    },
    Route {
        method: "POST",
        path: "/v0/auth/code",
        alias: Some("/v0/tenants/{tenantId}/auth/code"),
        auth: "public",
        group: Group::Auth,
        response: "MessageSent",
    },
    Route {
        method: "PUT",
        path: "/v0/auth/code",
        alias: Some("/v0/tenants/{tenantId}/auth/code"),
        auth: "public",
        group: Group::Auth,
        response: "SignOn",
    },
    Route {
        method: "GET",
        path: "/v0/auth/totp",
        alias: None,
        auth: "jwt",
        group: Group::Mfa,
        response: "Totp",
    },
    Route {
        method: "POST",
        path: "/v0/auth/totp",
        alias: Some("/v0/tenants/{tenantId}/auth/totp"),
        auth: "public",
        group: Group::Mfa,
        response: "SignOn",
    },
    Route {
        method: "DELETE",
        path: "/v0/auth/totp",
        alias: None,
        auth: "jwt",
        group: Group::Mfa,
        response: "Ok",
    },
    Route {
        method: "POST",
        path: "/v0/auth/mfa",
        alias: None,
        auth: "public",
        group: Group::Mfa,
        response: "MessageSent",
    },
    Route {
        method: "PUT",
        path: "/v0/auth/mfa",
        alias: None,
        auth: "public",
        group: Group::Mfa,
        response: "SignOn",
    },
    Route {
        method: "GET",
        path: "/v0/auth/{provider}/login",
        alias: None,
        auth: "public",
        group: Group::Sso,
        response: "Redirect",
    },
    Route {
        method: "GET",
        path: "/v0/auth/refresh",
        alias: None,
        auth: "refresh",
        group: Group::Session,
        response: "Refresh",
    },
    Route {
        method: "POST",
        path: "/v0/auth/reset/link",
        alias: Some("/v0/tenants/{tenantId}/auth/reset/link"),
        auth: "public",
        group: Group::Auth,
        response: "MessageSent",
    },
    Route {
        method: "PUT",
        path: "/v0/auth/reset",
        alias: Some("/v0/tenants/{tenantId}/auth/reset"),
        auth: "link",
        group: Group::Auth,
        response: "SignOn",
    },
    Route {
        method: "POST",
        path: "/v0/auth/verify/email",
        alias: Some("/v0/tenants/{tenantId}/auth/verify/email"),
        auth: "public",
        group: Group::Auth,
        response: "MessageSent",
    },
    Route {
        method: "POST",
        path: "/v0/auth/verify/link",
        alias: Some("/v0/tenants/{tenantId}/auth/verify/link"),
        auth: "public",
        group: Group::Auth,
        response: "MessageSent",
    },
    Route {
        method: "POST",
        path: "/v0/auth/verify/phone",
        alias: Some("/v0/tenants/{tenantId}/auth/verify/phone"),
        auth: "public",
        group: Group::Auth,
        response: "MessageSent",
    },
    Route {
        method: "POST",
        path: "/v0/auth/pkce",
        alias: Some("/v0/tenants/{tenantId}/auth/pkce"),
        auth: "public",
        group: Group::Auth,
        response: "SignOn",
    },
    Route {
        method: "GET",
        path: "/v0/auth/logout",
        alias: None,
        auth: "jwt",
        group: Group::Session,
        response: "Logout",
    },
    Route {
        method: "GET",
        path: "/v0/auth/logout/all",
        alias: None,
        auth: "jwt",
        group: Group::Session,
        response: "Logout",
    },
    Route {
        method: "GET",
        path: "/v0/auth/session",
        alias: None,
        auth: "jwt",
        group: Group::Session,
        response: "Session",
    },
    Route {
        method: "GET",
        path: "/v0/auth/sessions",
        alias: None,
        auth: "jwt",
        group: Group::Session,
        response: "SessionList",
    },
    Route {
        method: "GET",
        path: "/v0/self",
        alias: None,
        auth: "jwt",
        group: Group::SelfUser,
        response: "User",
    },
    Route {
        method: "PUT",
        path: "/v0/self",
        alias: None,
        auth: "jwt",
        group: Group::SelfUser,
        response: "User",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/mode",
        alias: None,
        auth: "public",
        group: Group::Misc,
        response: "ModeLookup",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/flows/default",
        alias: None,
        auth: "public",
        group: Group::Misc,
        response: "Flow",
    },
    Route {
        method: "GET",
        path: "/v0/auth/saml/idp/token",
        alias: None,
        auth: "jwt",
        group: Group::Saml,
        response: "SamlToken",
    },
    Route {
        method: "GET",
        path: "/v0/auth/saml/idp/login",
        alias: None,
        auth: "saml_token",
        group: Group::Saml,
        response: "Html",
    },
    Route {
        method: "GET",
        path: "/v0/auth/saml/idp/logout",
        alias: None,
        auth: "saml_token",
        group: Group::Saml,
        response: "Html",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/mods",
        alias: None,
        auth: "jwt",
        group: Group::Misc,
        response: "ModList",
    },
    Route {
        method: "GET",
        path: "/v0/docs-client.json",
        alias: None,
        auth: "public",
        group: Group::Misc,
        response: "Document",
    },
    Route {
        method: "POST",
        path: "/v0/users",
        alias: Some("/v0/tenants/{tenantId}/users"),
        auth: "admin",
        group: Group::Users,
        response: "User",
    },
    Route {
        method: "GET",
        path: "/v0/users/{userId}",
        alias: Some("/v0/tenants/{tenantId}/users/{userId}"),
        auth: "admin_or_readonly",
        group: Group::Users,
        response: "User",
    },
    Route {
        method: "PUT",
        path: "/v0/users/{userId}",
        alias: Some("/v0/tenants/{tenantId}/users/{userId}"),
        auth: "admin",
        group: Group::Users,
        response: "User",
    },
    Route {
        method: "DELETE",
        path: "/v0/users/{userId}",
        alias: Some("/v0/tenants/{tenantId}/users/{userId}"),
        auth: "admin",
        group: Group::Users,
        response: "User",
    },
    Route {
        method: "POST",
        path: "/v0/users/find",
        alias: Some("/v0/tenants/{tenantId}/users/find"),
        auth: "admin_or_readonly",
        group: Group::Users,
        response: "UserPage",
    },
    Route {
        method: "GET",
        path: "/v0/users",
        alias: Some("/v0/tenants/{tenantId}/users"),
        auth: "admin_or_readonly",
        group: Group::Users,
        response: "UserPage",
    },
    Route {
        method: "POST",
        path: "/v0/users/invite",
        alias: Some("/v0/tenants/{tenantId}/users/invite"),
        auth: "admin",
        group: Group::Users,
        response: "User",
    },
    Route {
        method: "POST",
        path: "/v0/users/createOrUpdate",
        alias: Some("/v0/tenants/{tenantId}/users/createOrUpdate"),
        auth: "admin",
        group: Group::Users,
        response: "User",
    },
    Route {
        method: "POST",
        path: "/v0/users/{userId}/active",
        alias: Some("/v0/tenants/{tenantId}/users/{userId}/active"),
        auth: "admin",
        group: Group::Users,
        response: "User",
    },
    Route {
        method: "GET",
        path: "/v0/users/{userId}/sessions",
        alias: Some("/v0/tenants/{tenantId}/users/{userId}/sessions"),
        auth: "admin_or_readonly",
        group: Group::Session,
        response: "SessionList",
    },
    Route {
        method: "POST",
        path: "/v0/auth/logout",
        alias: Some("/v0/tenants/{tenantId}/auth/logout"),
        auth: "admin",
        group: Group::Session,
        response: "Ok",
    },
    Route {
        method: "POST",
        path: "/v0/tenants",
        alias: None,
        auth: "admin",
        group: Group::Tenants,
        response: "Tenant",
    },
    Route {
        method: "POST",
        path: "/v0/tenants/{tenantId}/tenants",
        alias: None,
        auth: "admin",
        group: Group::Tenants,
        response: "Tenant",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}",
        alias: None,
        auth: "admin_or_readonly",
        group: Group::Tenants,
        response: "Tenant",
    },
    Route {
        method: "PUT",
        path: "/v0/tenants/{tenantId}",
        alias: None,
        auth: "admin",
        group: Group::Tenants,
        response: "Tenant",
    },
    Route {
        method: "DELETE",
        path: "/v0/tenants/{tenantId}",
        alias: None,
        auth: "admin",
        group: Group::Tenants,
        response: "Tenant",
    },
    Route {
        method: "POST",
        path: "/v0/tenants/{tenantId}/tenants/find",
        alias: None,
        auth: "admin_or_readonly",
        group: Group::Tenants,
        response: "TenantPage",
    },
    Route {
        method: "POST",
        path: "/v0/roles",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "Role",
    },
    Route {
        method: "GET",
        path: "/v0/roles",
        alias: None,
        auth: "admin_or_readonly",
        group: Group::Roles,
        response: "RoleList",
    },
    Route {
        method: "PUT",
        path: "/v0/users/{userId}/roles",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "User",
    },
    Route {
        method: "POST",
        path: "/v0/roles/invite",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "User",
    },
    Route {
        method: "DELETE",
        path: "/v0/roles/{name}",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "Role",
    },
    Route {
        method: "POST",
        path: "/v0/tenants/{tenantId}/roles",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "Role",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/roles",
        alias: None,
        auth: "admin_or_readonly",
        group: Group::Roles,
        response: "RoleList",
    },
    Route {
        method: "PUT",
        path: "/v0/tenants/{tenantId}/users/{userId}/roles",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "User",
    },
    Route {
        method: "POST",
        path: "/v0/tenants/{tenantId}/roles/invite",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "User",
    },
    Route {
        method: "DELETE",
        path: "/v0/tenants/{tenantId}/roles/{name}",
        alias: None,
        auth: "admin",
        group: Group::Roles,
        response: "Role",
    },
    Route {
        method: "POST",
        path: "/v0/user-import",
        alias: Some("/v0/tenants/{tenantId}/user-import"),
        auth: "admin",
        group: Group::Imports,
        response: "UserImport",
    },
    Route {
        method: "POST",
        path: "/v0/user-import/{importUuid}/process",
        alias: Some("/v0/tenants/{tenantId}/user-import/{importUuid}/process"),
        auth: "admin",
        group: Group::Imports,
        response: "UserImport",
    },
    Route {
        method: "GET",
        path: "/v0/user-import",
        alias: Some("/v0/tenants/{tenantId}/user-import"),
        auth: "admin_or_readonly",
        group: Group::Imports,
        response: "UserImportList",
    },
    Route {
        method: "GET",
        path: "/v0/user-import/{importUuid}",
        alias: Some("/v0/tenants/{tenantId}/user-import/{importUuid}"),
        auth: "admin_or_readonly",
        group: Group::Imports,
        response: "UserImport",
    },
    Route {
        method: "DELETE",
        path: "/v0/user-import/{importUuid}",
        alias: Some("/v0/tenants/{tenantId}/user-import/{importUuid}"),
        auth: "admin",
        group: Group::Imports,
        response: "UserImport",
    },
    Route {
        method: "POST",
        path: "/v0/keys",
        alias: Some("/v0/tenants/{tenantId}/keys"),
        auth: "admin",
        group: Group::Keys,
        response: "ApiKey",
    },
    Route {
        method: "GET",
        path: "/v0/keys/{type}",
        alias: None,
        auth: "admin",
        group: Group::Keys,
        response: "ApiKeyList",
    },
    Route {
        method: "POST",
        path: "/v0/keys/verify",
        alias: Some("/v0/tenants/{tenantId}/keys/verify"),
        auth: "admin",
        group: Group::Keys,
        response: "KeyVerify",
    },
    Route {
        method: "PUT",
        path: "/v0/keys/invalidate",
        alias: Some("/v0/tenants/{tenantId}/keys/invalidate"),
        auth: "admin",
        group: Group::Keys,
        response: "ApiKey",
    },
    Route {
        method: "DELETE",
        path: "/v0/keys",
        alias: Some("/v0/tenants/{tenantId}/keys"),
        auth: "admin",
        group: Group::Keys,
        response: "ApiKey",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/keys/{type}",
        alias: None,
        auth: "admin",
        group: Group::Keys,
        response: "ApiKeyList",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/keys/jwt",
        alias: Some("/v0/keys/jwt"),
        auth: "public",
        group: Group::Jwt,
        response: "JwtKeyList",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/jwks",
        alias: None,
        auth: "public",
        group: Group::Jwt,
        response: "Jwks",
    },
    Route {
        method: "GET",
        path: "/v0/tenants/{tenantId}/jwks/{mode}",
        alias: None,
        auth: "public",
        group: Group::Jwt,
        response: "Jwks",
    },
    Route {
        method: "POST",
        path: "/v0/auth/jwt",
        alias: Some("/v0/tenants/{tenantId}/auth/jwt"),
        auth: "admin",
        group: Group::Jwt,
        response: "CustomJwt",
    },
    Route {
        method: "PUT",
        path: "/v0/jwt-format",
        alias: Some("/v0/tenants/{tenantId}/jwt-format"),
        auth: "admin",
        group: Group::Jwt,
        response: "JwtFormat",
    },
    Route {
        method: "GET",
        path: "/v0/jwt-format",
        alias: Some("/v0/tenants/{tenantId}/jwt-format"),
        auth: "admin",
        group: Group::Jwt,
        response: "JwtFormat",
    },
    Route {
        method: "GET",
        path: "/v0/jwt-format/available-claims",
        alias: Some("/v0/tenants/{tenantId}/jwt-format/available-claims"),
        auth: "admin",
        group: Group::Jwt,
        response: "JwtFormat",
    },
    Route {
        method: "POST",
        path: "/v0/auth/link/generate",
        alias: Some("/v0/tenants/{tenantId}/auth/link/generate"),
        auth: "admin",
        group: Group::Auth,
        response: "LinkCredentials",
    },
    Route {
        method: "GET",
        path: "/v0/docs.json",
        alias: None,
        auth: "public",
        group: Group::Misc,
        response: "Document",
    },
];

/// How well `template` matches `path`: `None` if not at all, else the number of literal
/// segments (literal segments win over parameters, conventions C-2.3).
fn score(template: &str, path: &str) -> Option<usize> {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut literal = 0;
    for (ts, ps) in t.iter().zip(&p) {
        if ts.starts_with('{') && ts.ends_with('}') {
            if ps.is_empty() {
                return None;
            }
        } else if ts == ps {
            literal += 1;
        } else {
            return None;
        }
    }
    Some(literal)
}

/// The documented route a request exercises (query string ignored), if any.
pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    let path = path.split('?').next().unwrap_or(path);
    ROUTES
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .filter_map(|r| {
            let best = [Some(r.path), r.alias]
                .into_iter()
                .flatten()
                .filter_map(|t| score(t, path))
                .max()?;
            Some((best, r))
        })
        .max_by_key(|(s, _)| *s)
        .map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_parameters() {
        // (method, request path, the documented route it must be matched to)
        for (method, path, route) in [
            (
                "GET",
                "/v0/tenants/demo1234/keys/jwt?test=true",
                "/v0/tenants/{tenantId}/keys/jwt",
            ),
            (
                "GET",
                "/v0/tenants/demo1234/keys/admin",
                "/v0/tenants/{tenantId}/keys/{type}",
            ),
            ("POST", "/v0/users/find", "/v0/users/find"),
            ("GET", "/v0/auth/saml/idp/login", "/v0/auth/saml/idp/login"),
            ("POST", "/v0/tenants/demo1234/auth/basic", "/v0/auth/basic"),
        ] {
            assert_eq!(
                find(method, path).map(|r| r.path),
                Some(route),
                "{method} {path}"
            );
        }
        assert!(find("GET", "/__mock/state").is_none());
    }

    #[test]
    fn the_table_has_every_row_of_the_checklist() {
        assert_eq!(ROUTES.len(), 82);
        for group in Group::ALL {
            assert!(ROUTES.iter().any(|r| r.group == group), "{group:?}");
        }
    }
}
