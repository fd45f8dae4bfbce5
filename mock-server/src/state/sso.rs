//! SSO with fake providers (conventions C-14.3, C-18; client-to-server CS-13).
//!
//! Real providers are replaced by identities registered through `POST /__mock/sso/identities`
//! (what the provider would say about the person behind an authorization `code`) and a fake
//! authorization page that sends the browser straight back. A sign-on that went to the provider
//! waits here under its `state` for 10 minutes; the callback finds or creates the user by the
//! provider's email and hands the page one-time `sso` link credentials.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Realm;
use super::clock::{MINUTE, Millis};
use super::model::{LinkCredential, LinkType, Mode, Object};
use super::users::{UserFields, normalise_email};
use crate::error::{Error, Result, msg};

/// The providers of CS-13, by their path name.
pub const PROVIDERS: [&str; 8] = [
    "apple", "azure", "facebook", "github", "google", "linkedin", "okta", "custom",
];

/// How long a sign-on may stay at the provider.
pub const STATE_LIFETIME: Millis = 10 * MINUTE;

/// What a fake provider says about the person behind an authorization code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub provider: String,
    /// The authorization code the provider hands back (generated when not given).
    #[serde(default)]
    pub code: Option<String>,
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    /// Whether the provider vouches for the email (default true).
    #[serde(default = "verified_by_default")]
    pub email_verified: bool,
}

fn verified_by_default() -> bool {
    true
}

impl Identity {
    /// The identity as the control surface shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "provider": self.provider,
            "code": self.code,
            "email": self.email,
            "name": self.name,
            "image": self.image,
            "emailVerified": self.email_verified,
        })
    }
}

/// A sign-on waiting for the provider's callback.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingSso {
    pub tenant_id: String,
    pub mode: Mode,
    pub provider: String,
    /// The calling page's origin: where the hand-off redirect goes.
    pub origin: String,
    pub redirect: Option<String>,
    /// Custom user data, applied only when the user is created.
    pub data: Option<Object>,
    pub expires_at: Millis,
}

/// Registered identities and pending sign-ons (world-wide: a callback names only its `state`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoState {
    identities: Vec<Identity>,
    #[serde(serialize_with = "super::persist::sorted_map")]
    pending: HashMap<Uuid, PendingSso>,
}

/// Whether a provider name is one of CS-13.
pub fn check_provider(provider: &str) -> Result<()> {
    if PROVIDERS.contains(&provider) {
        Ok(())
    } else {
        Err(Error::bad_request(msg::INVALID_PROVIDER))
    }
}

/// Whether the tenant's `ssoProviders` setting enables a provider: `{<name>: {enabled: true}}`;
/// custom providers are `{custom: {providerId, enabled}}` or a list of those.
pub fn provider_enabled(settings: &Object, provider: &str, provider_id: Option<&str>) -> bool {
    let enabled = |v: &Value| v.get("enabled").and_then(Value::as_bool) == Some(true);
    match (settings.get(provider), provider) {
        (Some(Value::Array(customs)), "custom") => customs
            .iter()
            .any(|c| enabled(c) && c.get("providerId").and_then(Value::as_str) == provider_id),
        (Some(custom), "custom") => {
            enabled(custom) && custom.get("providerId").and_then(Value::as_str) == provider_id
        }
        (Some(config), _) => enabled(config),
        (None, _) => false,
    }
}

impl SsoState {
    /// Registers (or replaces) what a provider answers for a code; returns the stored identity.
    pub fn register(&mut self, mut identity: Identity) -> Result<Identity> {
        check_provider(&identity.provider)?;
        identity.email = normalise_email(&identity.email)?;
        let code = identity
            .code
            .take()
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| super::ids::uuid().to_string());
        identity.code = Some(code.clone());
        self.identities
            .retain(|i| !(i.provider == identity.provider && i.code.as_deref() == Some(&code)));
        self.identities.push(identity.clone());
        Ok(identity)
    }

    /// The identity a provider answers for `code`, or its latest registered one.
    pub fn identity(&self, provider: &str, code: Option<&str>) -> Option<&Identity> {
        self.identities
            .iter()
            .rev()
            .find(|i| i.provider == provider && code.is_none_or(|c| i.code.as_deref() == Some(c)))
    }

    /// Parks a sign-on at the provider; returns its `state`.
    pub fn start(&mut self, pending: PendingSso, now: Millis) -> Uuid {
        self.pending.retain(|_, p| p.expires_at > now);
        let state = super::ids::uuid();
        self.pending.insert(state, pending);
        state
    }

    /// The sign-on of a callback's `state`, left in place: for the same provider, unexpired;
    /// otherwise 400 `Invalid token`. The callback checks everything with it before
    /// [`SsoState::finish`] uses it up.
    pub fn peek(&self, state: &str, provider: &str, now: Millis) -> Result<&PendingSso> {
        let invalid = || Error::bad_request(msg::INVALID_TOKEN);
        let state = Uuid::parse_str(state.trim()).map_err(|_| invalid())?;
        let pending = self.pending.get(&state).ok_or_else(invalid)?;
        if pending.provider != provider || now >= pending.expires_at {
            return Err(invalid());
        }
        Ok(pending)
    }

    /// Takes the sign-on of a callback's `state`: single use, for the same provider, unexpired;
    /// otherwise 400 `Invalid token`.
    pub fn finish(&mut self, state: &str, provider: &str, now: Millis) -> Result<PendingSso> {
        let invalid = || Error::bad_request(msg::INVALID_TOKEN);
        let state = Uuid::parse_str(state.trim()).map_err(|_| invalid())?;
        let pending = self.pending.get(&state).ok_or_else(invalid)?;
        if pending.provider != provider {
            return Err(invalid());
        }
        let pending = self.pending.remove(&state).ok_or_else(invalid)?;
        if now >= pending.expires_at {
            return Err(invalid());
        }
        Ok(pending)
    }
}

/// The outcome of an SSO callback for the pool.
#[derive(Clone, Debug)]
pub struct SsoUser {
    pub user_id: u64,
    pub created: bool,
    /// An existing user's email became confirmed.
    pub updated: bool,
}

impl Realm {
    /// Finds the user the provider vouches for by email, or signs one up (no password; email
    /// confirmed when the provider verified it; `data` only now). An existing account is never
    /// taken over on an email the provider did not verify: 400 `Email exists`.
    pub fn sso_user(
        &mut self,
        identity: &Identity,
        data: Option<Object>,
        now: Millis,
    ) -> Result<SsoUser> {
        if let Some(user_id) = self.user_id_by_email(&identity.email) {
            if !identity.email_verified {
                return Err(Error::bad_request(msg::EMAIL_EXISTS));
            }
            let updated = self.confirm_email(user_id, now)?;
            return Ok(SsoUser {
                user_id,
                created: false,
                updated,
            });
        }
        let user_id = self.create_user(
            UserFields {
                email: Some(identity.email.clone()),
                name: identity.name.clone(),
                image: identity.image.clone(),
                data,
                is_email_confirmed: Some(identity.email_verified),
                ..UserFields::default()
            },
            now,
        )?;
        Ok(SsoUser {
            user_id,
            created: true,
            updated: false,
        })
    }

    /// The one-time hand-off credentials of an SSO sign-on (10 minutes), completed through
    /// `PUT /v0/auth/link`: the provider is the session's first factor, and a user created by
    /// this sign-on lands on the After-signup path.
    pub fn issue_sso_link(
        &mut self,
        user_id: u64,
        provider: &str,
        created: bool,
        now: Millis,
    ) -> LinkCredential {
        let lifetime = super::messages::default_link_lifetime(LinkType::Sso);
        let mut link = self.issue_link(user_id, LinkType::Sso, lifetime, None, now);
        link.is_new_user = created;
        link.sso_provider = Some(provider.to_owned());
        self.links.insert(link.token, link.clone());
        link
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_settings() {
        let settings: Object = serde_json::from_value(json!({
            "google": {"enabled": true},
            "github": {"enabled": false},
            "custom": [{"providerId": "acme", "enabled": true}, {"providerId": "old", "enabled": false}],
        }))
        .unwrap();
        assert!(provider_enabled(&settings, "google", None));
        assert!(!provider_enabled(&settings, "github", None));
        assert!(!provider_enabled(&settings, "apple", None));
        assert!(provider_enabled(&settings, "custom", Some("acme")));
        assert!(!provider_enabled(&settings, "custom", Some("old")));
        assert!(!provider_enabled(&settings, "custom", None));
        let single: Object =
            serde_json::from_value(json!({"custom": {"providerId": "x", "enabled": true}}))
                .unwrap();
        assert!(provider_enabled(&single, "custom", Some("x")));
        assert!(check_provider("myspace").is_err());
    }

    #[test]
    fn identities_by_code_or_latest() {
        let mut sso = SsoState::default();
        let id = |code: Option<&str>, email: &str| Identity {
            provider: "google".into(),
            code: code.map(str::to_owned),
            email: email.into(),
            name: None,
            image: None,
            email_verified: true,
        };
        sso.register(id(Some("a"), "A@Example.com")).unwrap();
        let b = sso.register(id(None, "b@example.com")).unwrap();
        assert_eq!(
            sso.identity("google", Some("a")).unwrap().email,
            "a@example.com"
        );
        assert_eq!(sso.identity("google", None).unwrap().code, b.code);
        assert!(sso.identity("github", None).is_none());
        assert!(sso.register(id(Some("c"), "not an email")).is_err());
    }
}
