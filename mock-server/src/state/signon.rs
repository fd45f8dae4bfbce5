//! The end of every sign-on: MFA, PKCE, sessions and token sets (conventions C-13, C-14.1,
//! C-14.2).
//!
//! A sign-on endpoint checks its factor, then hands a [`SignOn`] to [`Realm::finish_sign_on`],
//! which decides between the three documented answers: tokens (C-13.1), "MFA required" (C-13.2)
//! or "PKCE required" (C-13.3). Token claims are prepared under the lock, and signed after it is
//! released ([`Prepared::sign`]), so RSA work never blocks other requests.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clock::{HOUR, MINUTE, Millis, SECOND};
use super::ids;
use super::jwt::{ClaimContext, unix};
use super::model::*;
use super::{PendingPkce, PendingSignOn, Realm};
use crate::error::{Error, Result, msg};
use crate::state::tokens::SigningKey;

/// Where a sign-on may send the browser; re-exported here, where handlers have always found it.
pub use super::redirects::{allowed_origin, check_redirect_path};

/// Lifetime of a firstFactorToken.
pub const FIRST_FACTOR_LIFETIME: Millis = HOUR;
/// Lifetime of a PKCE authorization code.
pub const PKCE_LIFETIME: Millis = 5 * MINUTE;

/// The S256 code challenge of a PKCE verifier: `base64url(SHA-256(verifier))`, unpadded
/// (RFC 7636 section 4.2).
pub fn s256_challenge(verifier: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// A sign-on whose first factor succeeded.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignOn {
    pub user_id: u64,
    /// The tenant signed in to (may be a child tenant).
    pub tenant_id: Box<str>,
    pub first_factor: Factor,
    pub second_factor: Option<Factor>,
    /// The user was created by this sign-on (redirect to the After-signup path).
    pub is_new_user: bool,
    /// Requested redirect path.
    pub redirect: Option<String>,
    /// Base of `redirectTo` (C-8.2).
    pub base: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// `(code_challenge, method)` when the request asked for PKCE.
    pub code_challenge: Option<(String, String)>,
}

/// Cookie options of a token set.
#[derive(Clone, Debug)]
pub struct CookieSettings {
    pub secure: bool,
    pub same_site: String,
    pub path: String,
}

/// Claims ready to be signed, with the body around them.
#[derive(Debug)]
pub struct Prepared {
    pub key: Arc<SigningKey>,
    pub body: Map<String, Value>,
    pub access: Value,
    pub id: Option<Value>,
    pub refresh: Option<Value>,
    pub access_seconds: i64,
    pub refresh_seconds: i64,
    pub cookies: CookieSettings,
}

impl Prepared {
    /// Signs the tokens and returns the complete response body with its `tokens` member.
    pub fn sign(self) -> Value {
        let options = |same_site: &str, seconds: i64| {
            json!({
                "secure": self.cookies.secure,
                "sameSite": same_site,
                "expires": seconds as f64 / 86_400.0,
                "path": self.cookies.path,
            })
        };
        let mut tokens = Map::new();
        tokens.insert(
            "access".into(),
            json!({"value": self.key.sign(&self.access), "cookieOptions": options(&self.cookies.same_site, self.access_seconds)}),
        );
        if let Some(id) = &self.id {
            tokens.insert(
                "id".into(),
                json!({"value": self.key.sign(id), "cookieOptions": options(&self.cookies.same_site, self.access_seconds)}),
            );
        }
        if let Some(refresh) = &self.refresh {
            tokens.insert(
                "refresh".into(),
                json!({"value": self.key.sign(refresh), "cookieOptions": options("Strict", self.refresh_seconds)}),
            );
        }
        let mut body = self.body;
        body.insert("tokens".into(), Value::Object(tokens));
        Value::Object(body)
    }
}

/// The three possible answers of a sign-on.
#[derive(Debug)]
pub enum Outcome {
    /// C-13.1: sign these, then answer.
    Tokens(Box<Prepared>),
    /// C-13.2 or C-13.3: answer as is.
    Pending(Value),
}

impl Realm {
    /// Whether this sign-on needs a second factor (conventions C-14.1 rule 2).
    pub fn mfa_required(&self, user: &User) -> bool {
        let second = &self.config.flow.second_factors;
        !second.is_empty()
            && (self.config.mfa_required_all
                || user.is_mfa_required
                || second.iter().any(|f| self.is_configured_by_user(user, f)))
    }

    /// `isConfiguredByUser` of a second factor (conventions C-13.2).
    pub fn is_configured_by_user(&self, user: &User, factor: &Factor) -> bool {
        match (factor.strategy.as_str(), factor.channel.as_str()) {
            ("totp", _) => user.totp.as_ref().is_some_and(|t| t.confirmed),
            ("verificationCode", "sms") => user.is_phone_number_confirmed(),
            ("verificationCode", "email") => user.is_email_confirmed(),
            _ => false,
        }
    }

    fn redirect_to(&self, signon: &SignOn) -> String {
        let settings = &self
            .tenants
            .get(&signon.tenant_id)
            .unwrap_or_else(|| self.root())
            .settings;
        let path = match &signon.redirect {
            Some(path) => path.clone(),
            None if signon.is_new_user => settings
                .signup_redirect_path
                .clone()
                .unwrap_or_else(|| settings.login_redirect_path.clone()),
            None => settings.login_redirect_path.clone(),
        };
        if path.starts_with("http://") || path.starts_with("https://") || path.contains(":/") {
            path
        } else {
            format!("{}{path}", signon.base)
        }
    }

    /// Finishes a sign-on whose factor was checked: answers "MFA required" when a second factor
    /// is due, "PKCE required" when the request carried a challenge, otherwise creates the
    /// session and prepares the tokens.
    pub fn finish_sign_on(&mut self, signon: SignOn, now: Millis) -> Result<Outcome> {
        let user = self.user(signon.user_id)?;
        if user.locked {
            return Err(Error::new(403, msg::USER_LOCKED));
        }
        if signon.second_factor.is_none() && self.mfa_required(user) {
            return Ok(Outcome::Pending(self.start_second_factor(signon, now)));
        }
        if let Some((challenge, method)) = signon.code_challenge.clone() {
            let code = ids::uuid();
            let redirect = self
                .tenants
                .get(&signon.tenant_id)
                .and_then(|t| t.settings.pkce_login_redirect_uri.clone())
                .unwrap_or_else(|| self.redirect_to(&signon));
            self.pkce_codes.insert(
                code,
                PendingPkce {
                    signon: SignOn {
                        code_challenge: None,
                        ..signon
                    },
                    code_challenge: challenge,
                    method,
                    expires_at: now + PKCE_LIFETIME,
                },
            );
            return Ok(Outcome::Pending(json!({
                "mode": self.mode.as_str(),
                "message": "PKCE required",
                "authorizationCode": code,
                "redirectTo": redirect,
            })));
        }
        self.issue_session(signon, now)
            .map(|p| Outcome::Tokens(Box::new(p)))
    }

    fn start_second_factor(&mut self, signon: SignOn, now: Millis) -> Value {
        let token = format!("uf_{}_first_factor_{}", self.mode.as_str(), ids::hex(32));
        let code = ids::uuid();
        let user = &self.users[&signon.user_id];
        let second_factors: Vec<Value> = self
            .config
            .flow
            .second_factors
            .iter()
            .map(|f| {
                json!({
                    "strategy": f.strategy,
                    "channel": f.channel,
                    "isConfiguredByUser": self.is_configured_by_user(user, f),
                })
            })
            .collect();
        let sms_allowed = self
            .config
            .flow
            .second_factors
            .iter()
            .any(|f| f.strategy == "verificationCode" && f.channel == "sms");
        let body = json!({
            "mode": self.mode.as_str(),
            // Seed 001 shows this answer five times, always with "OK" (C-13.2).
            "message": "OK",
            "isMfaRequired": true,
            "isEmailConfirmed": user.is_email_confirmed(),
            "isPhoneNumberConfirmed": user.is_phone_number_confirmed(),
            "firstFactorToken": token,
            "authentication": {
                "firstFactor": signon.first_factor,
                "secondFactors": second_factors,
            },
            "result": {
                "mode": self.mode.as_str(),
                "firstFactorCode": code,
                "allowedStrategies": if sms_allowed { vec!["verificationCode"] } else { vec![] },
                "allowedChannels": if sms_allowed { vec!["sms"] } else { vec![] },
            },
        });
        self.first_factor_tokens.retain(|_, p| p.expires_at > now);
        self.first_factor_tokens.insert(
            token,
            PendingSignOn {
                signon,
                first_factor_code: code,
                expires_at: now + FIRST_FACTOR_LIFETIME,
            },
        );
        body
    }

    /// The pending sign-on of a firstFactorToken, if valid (not consumed).
    pub fn pending_sign_on(&self, token: &str, now: Millis) -> Result<&PendingSignOn> {
        self.first_factor_tokens
            .get(token)
            .filter(|p| p.expires_at > now)
            .ok_or_else(|| Error::new(401, msg::INVALID_TOKEN))
    }

    /// The firstFactorToken of the pending sign-on a legacy `firstFactorCode` names
    /// (conventions C-13.2: both name the same sign-on); 400 `Invalid token` when unknown or
    /// expired.
    pub fn token_of_first_factor_code(&self, code: &str, now: Millis) -> Result<String> {
        let code = Uuid::parse_str(code.trim()).ok();
        self.first_factor_tokens
            .iter()
            .find(|(_, p)| Some(p.first_factor_code) == code && p.expires_at > now)
            .map(|(token, _)| token.clone())
            .ok_or_else(|| Error::bad_request(msg::INVALID_TOKEN))
    }

    /// Checks, changing nothing, that `factor` may complete the pending sign-on of `token`: the
    /// token is valid, `user_id` (when the caller identified one) is its user, the factor is one
    /// of the tenant's second factors and differs from the first (conventions C-14.1 rule 4),
    /// and the user is not locked. Returns the pending user.
    pub fn check_second_factor(
        &self,
        token: &str,
        user_id: Option<u64>,
        factor: &Factor,
        now: Millis,
    ) -> Result<u64> {
        let pending = self.pending_sign_on(token, now)?;
        if user_id.is_some_and(|id| id != pending.signon.user_id)
            || pending.signon.first_factor == *factor
            || !self.config.flow.second_factors.contains(factor)
        {
            return Err(Error::bad_request(msg::INVALID_TOKEN));
        }
        if self.user(pending.signon.user_id)?.locked {
            return Err(Error::new(403, msg::USER_LOCKED));
        }
        Ok(pending.signon.user_id)
    }

    /// Completes a pending sign-on with a second factor (checked as in
    /// [`Realm::check_second_factor`]). A `code_challenge` sent with the second factor applies
    /// when the first factor had none (the client adds it to every sign-on call, C-14.2).
    pub fn complete_second_factor(
        &mut self,
        token: &str,
        factor: Factor,
        code_challenge: Option<(String, String)>,
        now: Millis,
    ) -> Result<Outcome> {
        self.check_second_factor(token, None, &factor, now)?;
        let mut pending = self
            .first_factor_tokens
            .remove(token)
            .ok_or_else(|| Error::bad_request(msg::INVALID_TOKEN))?;
        pending.signon.second_factor = Some(factor);
        if pending.signon.code_challenge.is_none() {
            pending.signon.code_challenge = code_challenge;
        }
        self.finish_sign_on(pending.signon, now)
    }

    /// Whether an authorization code of this realm is waiting for its exchange.
    pub fn holds_pkce_code(&self, code: &str) -> bool {
        Uuid::parse_str(code.trim()).is_ok_and(|code| self.pkce_codes.contains_key(&code))
    }

    /// Exchanges a PKCE authorization code (conventions C-14.2): single use, 5 minutes, S256 or
    /// plain verification. A wrong verifier does not consume the code.
    pub fn exchange_pkce(&mut self, code: &str, verifier: &str, now: Millis) -> Result<Prepared> {
        let invalid = || Error::bad_request(msg::INVALID_TOKEN);
        let code = Uuid::parse_str(code.trim()).map_err(|_| invalid())?;
        let pending = self.pkce_codes.get(&code).ok_or_else(invalid)?;
        if now >= pending.expires_at {
            return Err(Error::bad_request(msg::TOKEN_EXPIRED));
        }
        let expected = if pending.method.eq_ignore_ascii_case("plain") {
            verifier.to_owned()
        } else {
            s256_challenge(verifier)
        };
        if expected != pending.code_challenge {
            return Err(Error::bad_request(msg::INVALID_CODE_VERIFIER));
        }
        let pending = self.pkce_codes.remove(&code).ok_or_else(invalid)?;
        self.issue_session(pending.signon, now)
    }

    fn cookie_settings(&self, tenant_id: &str) -> CookieSettings {
        let settings = &self
            .tenants
            .get(tenant_id)
            .unwrap_or_else(|| self.root())
            .settings;
        CookieSettings {
            secure: self.mode == Mode::Live,
            same_site: settings.cookie_options_same_site.clone(),
            path: settings.cookie_options_path.clone(),
        }
    }

    /// Creates the session of a completed sign-on and prepares its three tokens.
    fn issue_session(&mut self, signon: SignOn, now: Millis) -> Result<Prepared> {
        let user = self.user(signon.user_id)?;
        if user.locked {
            return Err(Error::new(403, msg::USER_LOCKED));
        }
        let refresh_seconds = self
            .tenants
            .get(&signon.tenant_id)
            .unwrap_or_else(|| self.root())
            .settings
            .refresh_token_duration;
        let session = Session {
            session_id: ids::uuid(),
            tenant_id: signon.tenant_id.clone(),
            user_id: Some(signon.user_id),
            created_at: now,
            last_active_at: now,
            expires_at: now + refresh_seconds * SECOND,
            ended_at: None,
            ip_address: signon.ip_address.clone(),
            user_agent: signon.user_agent.clone(),
            first_factor: signon.first_factor.clone(),
            second_factor: signon.second_factor.clone(),
            custom: None,
        };
        let session_id = session.session_id;
        self.sessions.insert(session_id, Box::new(session));
        let redirect_to = self.redirect_to(&signon);
        let user = self.user_mut(signon.user_id)?;
        user.last_active_at = Some(now);
        let user = self.user(signon.user_id)?;
        let mut body = Map::new();
        body.insert("mode".into(), json!(self.mode.as_str()));
        body.insert("message".into(), json!("OK"));
        body.insert("redirectTo".into(), json!(redirect_to));
        body.insert("sessionId".into(), json!(session_id));
        body.insert("nonce".into(), json!(ids::uuid()));
        if let Value::Object(fields) = self.user_json(user) {
            for (k, v) in fields {
                body.entry(k).or_insert(v);
            }
        }
        Ok(self.prepare_tokens(user, &signon.tenant_id, session_id, body, now, true))
    }

    /// Prepares access and ID tokens (and a refresh token when asked) for a user's session.
    pub fn prepare_tokens(
        &self,
        user: &User,
        tenant_id: &str,
        session_id: Uuid,
        body: Map<String, Value>,
        now: Millis,
        with_refresh: bool,
    ) -> Prepared {
        let settings = &self
            .tenants
            .get(tenant_id)
            .unwrap_or_else(|| self.root())
            .settings;
        let (access_seconds, refresh_seconds) = (
            settings.access_token_duration,
            settings.refresh_token_duration,
        );
        let sid = session_id.to_string();
        let ctx = |exp_seconds: i64| ClaimContext {
            mode: self.mode,
            tenant_id,
            session_id: &sid,
            iat: unix(now),
            exp: unix(now) + exp_seconds,
        };
        Prepared {
            key: self.signing.clone(),
            body,
            access: self.access_claims(user, &ctx(access_seconds)),
            id: Some(self.id_claims(user, &ctx(access_seconds))),
            refresh: with_refresh.then(|| self.refresh_claims(user, &ctx(refresh_seconds))),
            access_seconds,
            refresh_seconds,
            cookies: self.cookie_settings(tenant_id),
        }
    }

    /// Creates a custom-JWT session (`POST /v0/auth/jwt`) and prepares its access and refresh
    /// tokens from `payload`.
    pub fn custom_jwt_session(
        &mut self,
        tenant_id: &str,
        user_id: Option<u64>,
        custom: CustomJwt,
        now: Millis,
    ) -> Prepared {
        let session = Session {
            session_id: ids::uuid(),
            tenant_id: tenant_id.into(),
            user_id,
            created_at: now,
            last_active_at: now,
            expires_at: now + custom.refresh_seconds * SECOND,
            ended_at: None,
            ip_address: None,
            user_agent: None,
            first_factor: Factor::new("api", "jwt"),
            second_factor: None,
            custom: Some(custom.clone()),
        };
        let session_id = session.session_id;
        self.sessions.insert(session_id, Box::new(session));
        let mut body = Map::new();
        body.insert("mode".into(), json!(self.mode.as_str()));
        body.insert("sessionId".into(), json!(session_id));
        let mut prepared = self.prepare_custom(tenant_id, session_id, &custom, body, now);
        let mut refresh = prepared.access.clone();
        if let Some(obj) = refresh.as_object_mut() {
            obj.insert("type".into(), json!("refresh"));
            obj.insert("exp".into(), json!(unix(now) + custom.refresh_seconds));
        }
        prepared.refresh = Some(refresh);
        prepared
    }

    /// Prepares the access token of a custom-JWT session.
    pub fn prepare_custom(
        &self,
        tenant_id: &str,
        session_id: Uuid,
        custom: &CustomJwt,
        body: Map<String, Value>,
        now: Millis,
    ) -> Prepared {
        let mut access = custom.payload.clone();
        access.insert("tenantId".into(), json!(tenant_id));
        access.insert("mode".into(), json!(self.mode.as_str()));
        access.insert("sessionId".into(), json!(session_id));
        access.insert("iat".into(), json!(unix(now)));
        access.insert("exp".into(), json!(unix(now) + custom.access_seconds));
        Prepared {
            key: self.signing.clone(),
            body,
            access: Value::Object(access),
            id: None,
            refresh: None,
            access_seconds: custom.access_seconds,
            refresh_seconds: custom.refresh_seconds,
            cookies: self.cookie_settings(tenant_id),
        }
    }

    /// Refreshes a session (conventions CS-14): new access and ID tokens built from the current
    /// user record, or the custom payload again for a custom-JWT session.
    pub fn refresh_session(
        &mut self,
        session_id: Uuid,
        user_id: Option<u64>,
        now: Millis,
    ) -> Result<Prepared> {
        let invalid = || Error::new(401, msg::INVALID_TOKEN);
        let session = self.sessions.get(&session_id).ok_or_else(invalid)?;
        if !session.is_active(now) || session.user_id != user_id {
            return Err(invalid());
        }
        let tenant_id = session.tenant_id.clone();
        let custom = session.custom.clone();
        if let Some(user_id) = user_id {
            let user = self.users.get(&user_id).ok_or_else(invalid)?;
            if user.locked {
                return Err(Error::new(403, msg::USER_LOCKED));
            }
        }
        if let Some(session) = self.sessions.get_mut(&session_id) {
            session.last_active_at = now;
        }
        let mut body = Map::new();
        body.insert("mode".into(), json!(self.mode.as_str()));
        body.insert("message".into(), json!("OK"));
        body.insert("sessionId".into(), json!(session_id));
        if let Some(custom) = custom {
            return Ok(self.prepare_custom(&tenant_id, session_id, &custom, body, now));
        }
        let user_id = user_id.ok_or_else(invalid)?;
        self.user_mut(user_id)?.last_active_at = Some(now);
        let user = self.user(user_id)?;
        Ok(self.prepare_tokens(user, &tenant_id, session_id, body, now, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
