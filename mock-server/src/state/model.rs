//! The records the mock keeps: users, tenants, sessions, credentials, keys, messages.
//!
//! These are storage types, kept compact (a stored user must stay well under 2 KiB); the JSON
//! shapes the API returns are built from them in [`super::views`]. Nothing here knows about HTTP.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::clock::Millis;

/// A JSON object.
pub type Object = Map<String, Value>;

/// Short text stored inline (up to 24 bytes) instead of behind a pointer: most emails,
/// usernames, names and phone numbers fit, so a user search reads them without a cache miss
/// per record, and a stored user costs fewer allocations.
pub type Text = compact_str::CompactString;

/// Test or live; defined by the contract crate (both the mock and the runner speak of it).
pub use userfront_contract::Mode;

/// A sign-on factor `{channel, strategy}` (conventions C-14.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Factor {
    pub channel: String,
    pub strategy: String,
}

impl Factor {
    /// A factor from its two names.
    pub fn new(channel: &str, strategy: &str) -> Self {
        Factor {
            channel: channel.to_owned(),
            strategy: strategy.to_owned(),
        }
    }
}

/// A tenant's authentication flow (conventions C-16.10).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Flow {
    pub first_factors: Vec<Factor>,
    pub second_factors: Vec<Factor>,
}

impl Flow {
    /// The seeded default: password and email link as first factors, no second factor.
    pub fn default_flow() -> Self {
        Flow {
            first_factors: vec![
                Factor::new("email", "password"),
                Factor::new("email", "link"),
            ],
            second_factors: Vec::new(),
        }
    }
}

/// A paired (or pending) TOTP authenticator (conventions C-14.7).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totp {
    /// Base32 secret, 16 characters.
    pub secret: String,
    /// True once a first valid code confirmed the pairing.
    pub confirmed: bool,
    /// Backup codes not used yet.
    pub backup_codes: Vec<String>,
    /// The time step of the last accepted code: a code is good once (RFC 6238 section 5.2).
    #[serde(default)]
    pub last_step: Option<i64>,
}

/// A stored user. `email` and `username` are lowercase; confirmation flags are derived from the
/// presence of their timestamps.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub user_id: u64,
    pub user_uuid: Uuid,
    pub email: Text,
    pub username: Text,
    pub name: Text,
    /// `None` renders as the default avatar.
    pub image: Option<Text>,
    pub phone_number: Option<Text>,
    pub data: Object,
    pub locked: bool,
    pub is_mfa_required: bool,
    pub preferred_first_factor: Option<Factor>,
    pub preferred_second_factor: Option<Factor>,
    pub confirmed_email_at: Option<Millis>,
    pub confirmed_phone_number_at: Option<Millis>,
    pub last_active_at: Option<Millis>,
    pub last_messaged_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// PHC string of the password hash; never the password itself.
    pub password_hash: Option<Box<str>>,
    /// Role assignments: tenant id → role names.
    pub roles: BTreeMap<Box<str>, Vec<Box<str>>>,
    pub totp: Option<Box<Totp>>,
}

impl User {
    /// `isEmailConfirmed`.
    pub fn is_email_confirmed(&self) -> bool {
        self.confirmed_email_at.is_some()
    }

    /// `isPhoneNumberConfirmed`.
    pub fn is_phone_number_confirmed(&self) -> bool {
        self.confirmed_phone_number_at.is_some()
    }
}

/// Tenant settings: every field of the tenant JSON (conventions C-16.2) that is not identity,
/// tree position or timestamps. Serialised in camelCase so the control surface can patch any of
/// them by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantSettings {
    pub alias_id: Option<String>,
    #[serde(rename = "type")]
    pub tenant_type: String,
    pub signup_redirect_path: Option<String>,
    pub login_redirect_path: String,
    pub logout_redirect_path: String,
    pub password_reset_path: String,
    pub pkce_login_redirect_uri: Option<String>,
    pub user_created_webhook_url: Option<String>,
    pub user_updated_webhook_url: Option<String>,
    pub user_deleted_webhook_url: Option<String>,
    pub tenant_created_webhook_url: Option<String>,
    pub tenant_updated_webhook_url: Option<String>,
    pub tenant_deleted_webhook_url: Option<String>,
    pub verification_code_sms_webhook_url: Option<String>,
    pub verification_code_email_webhook_url: Option<String>,
    pub link_email_webhook_url: Option<String>,
    pub details: Object,
    pub brand: Object,
    pub provider_order: Vec<Value>,
    pub is_phone_number_unique: bool,
    pub cookie_options_same_site: String,
    pub cookie_options_path: String,
    pub cookie_options_set_domain: bool,
    pub allow_non_http_only_refresh: bool,
    pub access_token_duration: i64,
    pub refresh_token_duration: i64,
    pub data_retention_months: i64,
    pub data_for_parent: Object,
    pub data_for_parent_schema: Vec<Value>,
    pub previous_auth_service: Option<Value>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            alias_id: None,
            tenant_type: "basic".into(),
            signup_redirect_path: None,
            login_redirect_path: "/dashboard".into(),
            logout_redirect_path: "/login".into(),
            password_reset_path: "/reset".into(),
            pkce_login_redirect_uri: None,
            user_created_webhook_url: None,
            user_updated_webhook_url: None,
            user_deleted_webhook_url: None,
            tenant_created_webhook_url: None,
            tenant_updated_webhook_url: None,
            tenant_deleted_webhook_url: None,
            verification_code_sms_webhook_url: None,
            verification_code_email_webhook_url: None,
            link_email_webhook_url: None,
            details: Object::new(),
            brand: Object::new(),
            provider_order: Vec::new(),
            is_phone_number_unique: true,
            cookie_options_same_site: "Lax".into(),
            cookie_options_path: "/".into(),
            cookie_options_set_domain: false,
            allow_non_http_only_refresh: true,
            access_token_duration: 604_800,
            refresh_token_duration: 2_592_000,
            data_retention_months: 24,
            data_for_parent: Object::new(),
            data_for_parent_schema: Vec::new(),
            previous_auth_service: None,
        }
    }
}

/// A role defined in a tenant.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDef {
    pub name: String,
    pub created_at: Millis,
}

/// The roles every new tenant gets (conventions C-16.2).
pub const DEFAULT_ROLES: [&str; 9] = [
    "subscriber",
    "viewer",
    "contributor",
    "support",
    "member",
    "editor",
    "author",
    "admin",
    "owner",
];

/// A tenant: the workspace root or any node below it, in one mode.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub tenant_id: Box<str>,
    pub uuid: Uuid,
    /// `None` for a workspace.
    pub parent_id: Option<Box<str>>,
    pub name: String,
    /// `None` renders as the default icon.
    pub image: Option<String>,
    pub data: Object,
    pub settings: TenantSettings,
    pub roles: Vec<RoleDef>,
    /// The user who created it (`creator` in the tenant JSON).
    pub creator: Option<u64>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub last_active_at: Option<Millis>,
}

/// The claims a session re-issues on refresh when it was created by `POST /v0/auth/jwt`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomJwt {
    pub payload: Object,
    pub access_seconds: i64,
    pub refresh_seconds: i64,
}

/// A sign-on session (conventions C-16.4).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub session_id: Uuid,
    /// The tenant signed in to (a child tenant id is allowed).
    pub tenant_id: Box<str>,
    /// `None` for a custom-JWT session without a user.
    pub user_id: Option<u64>,
    pub created_at: Millis,
    pub last_active_at: Millis,
    pub expires_at: Millis,
    pub ended_at: Option<Millis>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub first_factor: Factor,
    pub second_factor: Option<Factor>,
    pub custom: Option<CustomJwt>,
}

impl Session {
    /// Active = not ended and not expired at `now`.
    pub fn is_active(&self, now: Millis) -> bool {
        self.ended_at.is_none() && now < self.expires_at
    }
}

/// What kind of link credentials these are (conventions C-8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkType {
    Login,
    Welcome,
    Verify,
    Reset,
    Invite,
    Sso,
}

impl LinkType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkType::Login => "login",
            LinkType::Welcome => "welcome",
            LinkType::Verify => "verify",
            LinkType::Reset => "reset",
            LinkType::Invite => "invite",
            LinkType::Sso => "sso",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<LinkType> {
        Some(match s {
            "login" => LinkType::Login,
            "welcome" => LinkType::Welcome,
            "verify" => LinkType::Verify,
            "reset" => LinkType::Reset,
            "invite" => LinkType::Invite,
            "sso" => LinkType::Sso,
            _ => return None,
        })
    }
}

/// Single-use link credentials: `uuid` (the user's UUID) + `token`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkCredential {
    pub token: Uuid,
    pub user_id: u64,
    pub link_type: LinkType,
    pub expires_at: Millis,
    /// A verify link that changes the address applies it when used.
    pub new_email: Option<String>,
    /// Credentials handed to a user this flow just created (SSO): redirect to the signup path.
    pub is_new_user: bool,
    /// SSO hand-off credentials: the provider that signed the user in, which is the session's
    /// first factor (`{channel: "email", strategy: <provider>}`).
    #[serde(default)]
    pub sso_provider: Option<String>,
    pub created_at: Millis,
}

/// Message channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    /// `"email"` or `"sms"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// A 6-digit verification code waiting to be used.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationCode {
    pub channel: Channel,
    /// Lowercase email or E.164 number.
    pub address: String,
    pub code: String,
    pub user_id: u64,
    pub expires_at: Millis,
    /// An SMS code sent to a number the user does not have yet (`POST /v0/auth/verify/phone`
    /// with the user's access token): using the code makes it the user's `phoneNumber`.
    #[serde(default)]
    pub new_phone: Option<String>,
    /// Sent to a user that `POST /v0/auth/code` created: signing in with it lands on the
    /// After-signup path.
    #[serde(default)]
    pub signup: bool,
}

/// API key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Admin,
    Readonly,
    Webhook,
}

impl KeyType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Admin => "admin",
            KeyType::Readonly => "readonly",
            KeyType::Webhook => "webhook",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<KeyType> {
        match s {
            "admin" => Some(KeyType::Admin),
            "readonly" => Some(KeyType::Readonly),
            "webhook" => Some(KeyType::Webhook),
            _ => None,
        }
    }
}

/// An API key (conventions C-16.6).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub key: Box<str>,
    #[serde(rename = "type")]
    pub key_type: KeyType,
    pub mode: Mode,
    /// The tenant (workspace or child) the key belongs to.
    pub tenant_id: Box<str>,
    pub is_active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One captured email or SMS (conventions C-8.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    pub message_id: Uuid,
    pub tenant_id: String,
    pub mode: Mode,
    pub channel: Channel,
    pub to: String,
    /// `welcome | login | verify | reset | invite | verificationCode | mfa`.
    #[serde(rename = "type")]
    pub message_type: String,
    pub link: Option<String>,
    pub uuid: Option<Uuid>,
    pub token: Option<Uuid>,
    pub verification_code: Option<String>,
    pub suppressed: bool,
    pub submitted_at: String,
}

/// A user import (conventions C-16.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserImport {
    pub uuid: Uuid,
    pub tenant_id: Box<str>,
    /// The submitted rows with passwords masked, as the API echoes them.
    pub users: Vec<Value>,
    /// Password hashes of the rows (index-aligned), kept until processing.
    pub password_hashes: Vec<Option<String>>,
    pub success_count: u64,
    pub failure_count: u64,
    pub failures: Vec<Value>,
    pub completed_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A recorded webhook delivery (conventions C-15, `/__mock/webhooks`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub id: Uuid,
    pub url: String,
    pub headers: Object,
    /// The JSON body as compact text: the log keeps thousands of user records, and a parsed
    /// `Value` costs several times its text. It reads and writes as the JSON object itself.
    #[serde(with = "json_text")]
    pub body: Box<str>,
    /// HTTP status of the receiver; `None` while in flight or when it could not be reached.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub created_at: String,
}

/// (De)serialises JSON kept as text as the JSON value it holds.
mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json::from_str::<Value>(text)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Box<str>, D::Error> {
        Ok(Value::deserialize(deserializer)?.to_string().into())
    }
}
