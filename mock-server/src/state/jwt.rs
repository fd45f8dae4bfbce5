//! Token claims: the JWT format of a realm (conventions C-16.9) and the claim sets of access,
//! ID and refresh tokens (C-12).
//!
//! The access token is always built by evaluating a format, the default one included, so a
//! custom format (`PUT /v0/jwt-format`) needs no separate code path: it only swaps the table.

use serde_json::{Map, Value, json};

use super::Realm;
use super::clock::{Millis, SECOND, format_iso};
use super::model::*;
use super::views::{authorization, user_image};
use crate::error::{Error, Result, msg};

/// Claims every format keeps, with their sources.
pub const REQUIRED_CLAIMS: [(&str, &str); 8] = [
    ("mode", "mode"),
    ("tenantId", "tenantId"),
    ("userId", "user.userId"),
    ("userUuid", "user.userUuid"),
    ("sessionId", "sessionId"),
    ("authorization", "authorization"),
    ("iat", "iat"),
    ("exp", "exp"),
];

/// Optional claims offered by `available-claims`.
pub const OPTIONAL_CLAIMS: [(&str, &str); 9] = [
    ("isConfirmed", "user.isConfirmed"),
    ("isEmailConfirmed", "user.isEmailConfirmed"),
    ("isPhoneNumberConfirmed", "user.isPhoneNumberConfirmed"),
    ("email", "user.email"),
    ("phoneNumber", "user.phoneNumber"),
    ("username", "user.username"),
    ("name", "user.name"),
    ("image", "user.image"),
    ("data", "user.data"),
];

/// OIDC claims offered by `available-claims`.
pub const OIDC_CLAIMS: [(&str, &str); 9] = [
    ("sub", "user.userUuid"),
    ("email", "user.email"),
    ("email_verified", "user.isEmailConfirmed"),
    ("phone_number", "user.phoneNumber"),
    ("phone_number_verified", "user.isPhoneNumberConfirmed"),
    ("name", "user.name"),
    ("preferred_username", "user.username"),
    ("picture", "user.image"),
    ("updated_at", "user.updatedAt"),
];

fn claim(kind: &str, source: &str) -> Value {
    json!({ "type": kind, "source": source })
}

/// The format in force when none was set (server-to-server SS-44).
pub fn default_format() -> Value {
    let mut claims = Map::new();
    for (name, source) in REQUIRED_CLAIMS {
        claims.insert(name.into(), claim("required", source));
    }
    for (name, source) in &OPTIONAL_CLAIMS[..3] {
        claims.insert((*name).into(), claim("optional", source));
    }
    json!({ "claims": claims })
}

/// The claims `available-claims` lists (optional and OIDC only).
pub fn available_claims() -> Value {
    let mut claims = Map::new();
    for (name, source) in OPTIONAL_CLAIMS {
        claims.insert(name.into(), claim("optional", source));
    }
    for (name, source) in OIDC_CLAIMS {
        claims.insert(
            if claims.contains_key(name) {
                format!("oidc_{name}")
            } else {
                name.into()
            },
            claim("OIDC", source),
        );
    }
    json!({ "claims": claims })
}

fn valid_source(source: &str) -> bool {
    matches!(source, "mode" | "tenantId" | "sessionId" | "authorization")
        || source.strip_prefix("literal:").is_some()
        || source
            .strip_prefix("user.")
            .is_some_and(|attr| !attr.is_empty() && attr.split('.').all(|p| !p.is_empty()))
}

/// Validates a `PUT /v0/jwt-format` body and returns the stored format: the given claims plus
/// the required ones, which cannot be replaced.
pub fn validate_format(body: &Value) -> Result<Value> {
    let claims = match body.get("claims") {
        None | Some(Value::Null) => return Err(Error::required("claims")),
        Some(Value::Object(claims)) => claims,
        Some(_) => return Err(Error::bad_request("\"claims\" must be of type object")),
    };
    let mut out = match default_format()["claims"].clone() {
        Value::Object(map) => map
            .into_iter()
            .filter(|(_, v)| v["type"] == "required")
            .collect::<Map<_, _>>(),
        _ => Map::new(),
    };
    for (name, spec) in claims {
        let kind = spec.get("type").and_then(Value::as_str).unwrap_or("");
        let source = spec.get("source").and_then(Value::as_str).unwrap_or("");
        let is_required_name = REQUIRED_CLAIMS.iter().any(|(n, _)| n == name);
        // `type` marks refresh tokens; an access token carrying it would stop being one.
        if name.is_empty()
            || name == "type"
            || is_required_name
            || !matches!(kind, "optional" | "OIDC" | "custom")
            || !valid_source(source)
        {
            return Err(Error::bad_request(msg::invalid_claim(name)));
        }
        out.insert(name.clone(), claim(kind, source));
    }
    Ok(json!({ "claims": out }))
}

/// Values a claim source can read besides the user.
pub struct ClaimContext<'a> {
    pub mode: Mode,
    pub tenant_id: &'a str,
    pub session_id: &'a str,
    pub iat: i64,
    pub exp: i64,
}

fn user_attribute(user: &User, path: &str) -> Option<Value> {
    let mut parts = path.split('.');
    let head = parts.next()?;
    let value = match head {
        "userId" => json!(user.user_id),
        "userUuid" | "uuid" => json!(user.user_uuid),
        "email" => json!(user.email),
        "username" => json!(user.username),
        "name" => json!(user.name),
        "image" => json!(user_image(user)),
        "phoneNumber" => json!(user.phone_number),
        "isConfirmed" | "isEmailConfirmed" => json!(user.is_email_confirmed()),
        "isPhoneNumberConfirmed" => json!(user.is_phone_number_confirmed()),
        "isMfaRequired" => json!(user.is_mfa_required),
        "locked" => json!(user.locked),
        "createdAt" => json!(format_iso(user.created_at)),
        "updatedAt" => json!(format_iso(user.updated_at)),
        "confirmedAt" | "confirmedEmailAt" => json!(user.confirmed_email_at.map(format_iso)),
        "confirmedPhoneNumberAt" => json!(user.confirmed_phone_number_at.map(format_iso)),
        "lastActiveAt" => json!(user.last_active_at.map(format_iso)),
        "authorization" => authorization(user),
        "data" => {
            let mut value = Value::Object(user.data.clone());
            for part in parts {
                value = value.get(part)?.clone();
            }
            return Some(value);
        }
        _ => return None,
    };
    parts.next().is_none().then_some(value)
}

/// Evaluates a format for a user; claims whose source has no value are left out.
pub fn evaluate(format: &Value, user: &User, ctx: &ClaimContext<'_>) -> Value {
    let mut out = Map::new();
    let Some(claims) = format.get("claims").and_then(Value::as_object) else {
        return Value::Object(out);
    };
    for (name, spec) in claims {
        let source = spec.get("source").and_then(Value::as_str).unwrap_or("");
        let value = match source {
            "mode" => Some(json!(ctx.mode.as_str())),
            "tenantId" => Some(json!(ctx.tenant_id)),
            "sessionId" => Some(json!(ctx.session_id)),
            "authorization" => Some(authorization(user)),
            "iat" => Some(json!(ctx.iat)),
            "exp" => Some(json!(ctx.exp)),
            s => match s.strip_prefix("literal:") {
                Some(text) => Some(json!(text)),
                None => s
                    .strip_prefix("user.")
                    .and_then(|p| user_attribute(user, p)),
            },
        };
        if let Some(value) = value {
            out.insert(name.clone(), value);
        }
    }
    Value::Object(out)
}

/// Seconds since the epoch.
pub fn unix(t: Millis) -> i64 {
    t.div_euclid(SECOND)
}

impl Realm {
    /// The format in force.
    pub fn jwt_format(&self) -> Value {
        self.jwt_format.clone().unwrap_or_else(default_format)
    }

    /// Access token claims (conventions C-12.2, or the custom format).
    pub fn access_claims(&self, user: &User, ctx: &ClaimContext<'_>) -> Value {
        match &self.jwt_format {
            Some(format) => evaluate(format, user, ctx),
            None => evaluate(&default_format(), user, ctx),
        }
    }

    /// ID token claims (conventions C-12.4).
    pub fn id_claims(&self, user: &User, ctx: &ClaimContext<'_>) -> Value {
        json!({
            "mode": ctx.mode.as_str(),
            "tenantId": ctx.tenant_id,
            "userId": user.user_id,
            "userUuid": user.user_uuid,
            "email": user.email,
            "phoneNumber": user.phone_number,
            "username": user.username,
            "name": user.name,
            "image": user_image(user),
            "data": user.data,
            "isEmailConfirmed": user.is_email_confirmed(),
            "isPhoneNumberConfirmed": user.is_phone_number_confirmed(),
            "confirmedEmailAt": user.confirmed_email_at.map(format_iso),
            "confirmedPhoneNumberAt": user.confirmed_phone_number_at.map(format_iso),
            "isMfaRequired": user.is_mfa_required,
            "isConfirmed": user.is_email_confirmed(),
            "confirmedAt": user.confirmed_email_at.map(format_iso),
            "createdAt": format_iso(user.created_at),
            "updatedAt": format_iso(user.updated_at),
            "sessionId": ctx.session_id,
            "iat": ctx.iat,
            "exp": ctx.exp,
        })
    }

    /// Refresh token claims (conventions C-12.3).
    pub fn refresh_claims(&self, user: &User, ctx: &ClaimContext<'_>) -> Value {
        json!({
            "type": "refresh",
            "mode": ctx.mode.as_str(),
            "tenantId": ctx.tenant_id,
            "userId": user.user_id,
            "userUuid": user.user_uuid,
            "isEmailConfirmed": user.is_email_confirmed(),
            "isPhoneNumberConfirmed": user.is_phone_number_confirmed(),
            "isConfirmed": user.is_email_confirmed(),
            "sessionId": ctx.session_id,
            "iat": ctx.iat,
            "exp": ctx.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_keep_required_claims_and_refuse_bad_ones() {
        let stored = validate_format(&json!({"claims": {
            "plan": {"type": "custom", "source": "user.data.plan"},
            "email": {"type": "optional", "source": "user.email"},
        }}))
        .unwrap();
        assert_eq!(stored["claims"]["mode"]["type"], "required");
        assert_eq!(stored["claims"]["plan"]["source"], "user.data.plan");
        for bad in [
            json!({"claims": {"mode": {"type": "custom", "source": "literal:x"}}}),
            json!({"claims": {"x": {"type": "required", "source": "mode"}}}),
            json!({"claims": {"x": {"type": "custom", "source": "password"}}}),
        ] {
            assert!(validate_format(&bad).is_err(), "{bad}");
        }
        assert_eq!(validate_format(&json!({})), Err(Error::required("claims")));
    }
}
