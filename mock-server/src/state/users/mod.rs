//! The user pool of a realm: validation, uniqueness, creation, update, deletion, lookups.
//!
//! Every path that brings a user into existence or changes one (signup, admin create/update,
//! invite, createOrUpdate, import, SSO) goes through [`Realm::create_user`] and
//! [`Realm::update_user`], so the rules of conventions C-3 and C-9 (lowercase unique email and
//! username, E.164 phone, unique phone when the tenant says so, unused explicit ids) hold
//! everywhere. Both check everything before they change anything.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use serde_json::Value;
use uuid::Uuid;

use super::Realm;
use super::clock::Millis;
use super::ids;
use super::model::*;
use crate::error::{Error, Result, msg};

/// Longest email address accepted, in characters (RFC 5321's 254 octets for a path less the
/// `<>`, counted in characters as JSON Schema's `maxLength` counts, so that the published schema
/// `EmailAddress.json` states the rule exactly).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest local part (before the `@`) accepted, in characters (RFC 5321 section 4.5.3.1.1).
pub const EMAIL_LOCAL_MAX_CHARS: usize = 64;

/// Checks the email rule of conventions C-9 (README "Input rules"): one `@`, a non-empty local
/// part of at most 64 characters, a domain with a dot, at most 254 characters in all, no whitespace and no
/// control or format characters (Unicode Cc/Cf: NUL, bidi overrides, zero-width characters), so
/// an address can neither hide what it is from a person reading it nor grow without bound.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.chars().count() <= EMAIL_MAX_CHARS
        && !local.is_empty()
        && local.chars().count() <= EMAIL_LOCAL_MAX_CHARS
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || is_control_or_format(c))
        && domain
            .split_once('.')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Whether `c` is in Unicode general category Cc (control) or Cf (format: soft hyphen, bidi
/// marks and overrides, zero-width space/joiners, word joiner, BOM, tag characters...). The
/// standard library knows Cc only, so the Cf ranges (Unicode 15.1) are listed here.
pub fn is_control_or_format(c: char) -> bool {
    const FORMAT: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let code = u32::from(c);
    c.is_control() || FORMAT.iter().any(|&(from, to)| (from..=to).contains(&code))
}

/// Checks E.164: `^\+[1-9][0-9]{1,14}$`.
pub fn valid_phone(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or("");
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Validates and normalises an email address (lowercase): the one check every path that takes
/// an email uses (sign-up, links, invites, users create/update, imports, SSO identities, codes).
pub fn normalise_email(email: &str) -> Result<String> {
    let email = email.trim();
    // A character is at most 4 bytes; anything longer cannot pass (and is not lowercased).
    if email.len() > 4 * EMAIL_MAX_CHARS {
        return Err(Error::bad_request(msg::EMAIL_FORMAT));
    }
    let email = email.to_lowercase();
    if valid_email(&email) {
        Ok(email)
    } else {
        Err(Error::bad_request(msg::EMAIL_FORMAT))
    }
}

/// Validates a phone number.
pub fn check_phone(phone: &str) -> Result<()> {
    if valid_phone(phone) {
        Ok(())
    } else {
        Err(Error::bad_request(msg::PHONE_FORMAT))
    }
}

/// The attributes a caller may set on a user. `None` = not given (keep, or default on create).
#[derive(Clone, Debug, Default)]
pub struct UserFields {
    pub user_id: Option<u64>,
    pub user_uuid: Option<Uuid>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub image: Option<String>,
    /// `Some(None)` clears the number.
    pub phone_number: Option<Option<String>>,
    /// Shallow-merged into `data` on update; the whole `data` on create.
    pub data: Option<Object>,
    pub locked: Option<bool>,
    pub is_mfa_required: Option<bool>,
    pub preferred_first_factor: Option<Option<Factor>>,
    pub preferred_second_factor: Option<Option<Factor>>,
    pub is_email_confirmed: Option<bool>,
    pub is_phone_number_confirmed: Option<bool>,
    /// An already computed password hash.
    pub password_hash: Option<String>,
}

/// Whether `index` (the email, username or UUID index of a pool) gives `key` to a user other
/// than `owner` (`None`: a user being created): the one uniqueness test behind
/// `Email exists`, `Username exists` and `User UUID exists`.
fn held_by_other<K, Q>(index: &HashMap<K, u64>, key: &Q, owner: Option<u64>) -> bool
where
    K: Borrow<Q> + Hash + Eq,
    Q: Hash + Eq + ?Sized,
{
    index.get(key).is_some_and(|&id| Some(id) != owner)
}

impl Realm {
    /// A user by id.
    pub fn user(&self, user_id: u64) -> Result<&User> {
        self.users.get(&user_id).ok_or_else(Error::user_not_found)
    }

    /// A user by id, mutable.
    pub fn user_mut(&mut self, user_id: u64) -> Result<&mut User> {
        self.users
            .get_mut(&user_id)
            .ok_or_else(Error::user_not_found)
    }

    /// A user by the `{userId}` path value: a positive integer is a `userId`, anything else a
    /// `userUuid` (conventions C-2.4).
    pub fn user_by_ref(&self, reference: &str) -> Result<&User> {
        let id = self.user_id_by_ref(reference)?;
        self.user(id)
    }

    /// The id of the user a `{userId}` path value names.
    pub fn user_id_by_ref(&self, reference: &str) -> Result<u64> {
        match reference.parse::<u64>() {
            Ok(id) if id > 0 => self.users.contains_key(&id).then_some(id),
            _ => Uuid::parse_str(reference)
                .ok()
                .and_then(|u| self.by_uuid.get(&u).copied()),
        }
        .ok_or_else(Error::user_not_found)
    }

    /// A user by UUID.
    pub fn user_id_by_uuid(&self, uuid: &Uuid) -> Option<u64> {
        self.by_uuid.get(uuid).copied()
    }

    /// A user by email (case-insensitive).
    pub fn user_id_by_email(&self, email: &str) -> Option<u64> {
        self.by_email
            .get(email.trim().to_lowercase().as_str())
            .copied()
    }

    /// A user by email, then by username (case-insensitive), as password login matches.
    pub fn user_id_by_email_or_username(&self, value: &str) -> Option<u64> {
        let value = value.trim().to_lowercase();
        self.by_email
            .get(value.as_str())
            .or_else(|| self.by_username.get(value.as_str()))
            .copied()
    }

    /// A user by phone number (the newest match when numbers are not unique).
    pub fn user_id_by_phone(&self, phone: &str) -> Option<u64> {
        self.users
            .values()
            .rev()
            .find(|u| u.phone_number.as_deref() == Some(phone))
            .map(|u| u.user_id)
    }

    /// Whether `phone` may not go to the user `owner` (`None`: a new user) because numbers are
    /// unique in the tenant (`isPhoneNumberUnique`) and another user holds it: the one rule
    /// behind `PHONE_EXISTS` for user writes and for phone verification.
    pub fn phone_taken(&self, phone: &str, owner: Option<u64>) -> bool {
        self.root().settings.is_phone_number_unique
            && self
                .users
                .values()
                .any(|u| u.phone_number.as_deref() == Some(phone) && Some(u.user_id) != owner)
    }

    /// Inserts a complete user record and its indexes (seed, import of a state file). A user
    /// without an email (signed up with a phone number) is not in the email index.
    pub fn insert_user(&mut self, user: User) {
        if !user.email.is_empty() {
            self.by_email.insert(user.email.clone(), user.user_id);
        }
        self.by_username.insert(user.username.clone(), user.user_id);
        self.by_uuid.insert(user.user_uuid, user.user_id);
        self.next_user_id = self.next_user_id.max(user.user_id + 1);
        self.users.insert(user.user_id, user);
    }

    /// Takes a user out of the pool and out of its email, username and UUID indexes (the
    /// counterpart of [`Realm::insert_user`]), for an update to put back or a deletion to drop;
    /// 404 `User not found` when there is none.
    fn take_user(&mut self, user_id: u64) -> Result<User> {
        let user = self
            .users
            .remove(&user_id)
            .ok_or_else(Error::user_not_found)?;
        self.by_email.remove(&user.email);
        self.by_username.remove(&user.username);
        self.by_uuid.remove(&user.user_uuid);
        Ok(user)
    }

    /// Checks `fields` against the pool for a user `existing` (or a new one) without changing
    /// anything; returns the normalised email and username.
    fn check_fields(
        &self,
        existing: Option<u64>,
        fields: &UserFields,
    ) -> Result<(Option<String>, Option<String>)> {
        let email = fields.email.as_deref().map(normalise_email).transpose()?;
        if let Some(email) = &email
            && held_by_other(&self.by_email, email.as_str(), existing)
        {
            return Err(Error::bad_request(msg::EMAIL_EXISTS));
        }
        let username = fields
            .username
            .as_deref()
            .map(|u| u.trim().to_lowercase())
            .filter(|u| !u.is_empty());
        if let Some(username) = &username
            && held_by_other(&self.by_username, username.as_str(), existing)
        {
            return Err(Error::bad_request(msg::USERNAME_EXISTS));
        }
        if let Some(Some(phone)) = &fields.phone_number {
            check_phone(phone)?;
            if self.phone_taken(phone, existing) {
                return Err(Error::bad_request(msg::PHONE_EXISTS));
            }
        }
        if let Some(id) = fields.user_id {
            if id == 0 {
                return Err(Error::bad_request("\"userId\" must be a positive integer"));
            }
            if self.users.contains_key(&id) && Some(id) != existing {
                return Err(Error::bad_request(msg::USER_ID_EXISTS));
            }
        }
        if let Some(uuid) = &fields.user_uuid
            && held_by_other(&self.by_uuid, uuid, existing)
        {
            return Err(Error::bad_request("User UUID exists"));
        }
        Ok((email, username))
    }

    /// Creates a user. `fields.email` is required, except for a user signing up with a phone
    /// number (`POST /v0/auth/code`, README choice 38), whose email stays `""`. Returns the new
    /// user's id.
    pub fn create_user(&mut self, fields: UserFields, now: Millis) -> Result<u64> {
        if fields.email.is_none() && !matches!(fields.phone_number, Some(Some(_))) {
            return Err(Error::required("email"));
        }
        let (email, username) = self.check_fields(None, &fields)?;
        let email = email.unwrap_or_default();
        let username = match username {
            Some(u) => u,
            None => loop {
                let candidate = ids::username();
                if !self.by_username.contains_key(candidate.as_str()) {
                    break candidate;
                }
            },
        };
        let user_id = fields.user_id.unwrap_or(self.next_user_id);
        let user_uuid = fields.user_uuid.unwrap_or_else(ids::uuid);
        let phone_number = fields.phone_number.flatten();
        let user = User {
            user_id,
            user_uuid,
            email: email.into(),
            username: username.into(),
            name: fields.name.unwrap_or_default().into(),
            image: fields.image.map(Into::into),
            confirmed_phone_number_at: (fields.is_phone_number_confirmed == Some(true)
                && phone_number.is_some())
            .then_some(now),
            phone_number: phone_number.map(Into::into),
            data: fields.data.unwrap_or_default(),
            locked: fields.locked.unwrap_or(false),
            is_mfa_required: fields.is_mfa_required.unwrap_or(false),
            preferred_first_factor: fields.preferred_first_factor.flatten(),
            preferred_second_factor: fields.preferred_second_factor.flatten(),
            confirmed_email_at: (fields.is_email_confirmed == Some(true)).then_some(now),
            last_active_at: None,
            last_messaged_at: None,
            created_at: now,
            updated_at: now,
            password_hash: fields.password_hash.map(Into::into),
            roles: Default::default(),
            totp: None,
        };
        self.insert_user(user);
        Ok(user_id)
    }

    /// Applies `fields` to an existing user: only given fields change; `data` is shallow-merged;
    /// a new email or phone number resets its confirmation unless the flag is given too; a new
    /// `userId` renumbers the user. Returns the (possibly new) user id.
    pub fn update_user(&mut self, user_id: u64, fields: UserFields, now: Millis) -> Result<u64> {
        self.user(user_id)?;
        let (email, username) = self.check_fields(Some(user_id), &fields)?;
        let mut user = self.take_user(user_id)?;
        if let Some(email) = email
            && *user.email != *email
        {
            user.email = email.into();
            user.confirmed_email_at = None;
        }
        if let Some(username) = username {
            user.username = username.into();
        }
        if let Some(name) = fields.name {
            user.name = name.into();
        }
        if let Some(image) = fields.image {
            user.image = Some(image.into());
        }
        if let Some(phone) = fields.phone_number
            && user.phone_number.as_deref() != phone.as_deref()
        {
            user.phone_number = phone.map(Into::into);
            user.confirmed_phone_number_at = None;
        }
        if let Some(data) = fields.data {
            for (k, v) in data {
                user.data.insert(k, v);
            }
        }
        if let Some(locked) = fields.locked {
            user.locked = locked;
        }
        if let Some(v) = fields.is_mfa_required {
            user.is_mfa_required = v;
        }
        if let Some(v) = fields.preferred_first_factor {
            user.preferred_first_factor = v;
        }
        if let Some(v) = fields.preferred_second_factor {
            user.preferred_second_factor = v;
        }
        match fields.is_email_confirmed {
            Some(true) if user.confirmed_email_at.is_none() => user.confirmed_email_at = Some(now),
            Some(false) => user.confirmed_email_at = None,
            _ => {}
        }
        match fields.is_phone_number_confirmed {
            Some(true)
                if user.confirmed_phone_number_at.is_none() && user.phone_number.is_some() =>
            {
                user.confirmed_phone_number_at = Some(now)
            }
            Some(false) => user.confirmed_phone_number_at = None,
            _ => {}
        }
        if let Some(hash) = fields.password_hash {
            user.password_hash = Some(hash.into());
        }
        if let Some(uuid) = fields.user_uuid {
            user.user_uuid = uuid;
        }
        let new_id = fields.user_id.unwrap_or(user_id);
        if new_id != user_id {
            user.user_id = new_id;
            for session in self.sessions.values_mut() {
                if session.user_id == Some(user_id) {
                    session.user_id = Some(new_id);
                }
            }
            for link in self.links.values_mut() {
                if link.user_id == user_id {
                    link.user_id = new_id;
                }
            }
            for code in &mut self.codes {
                if code.user_id == user_id {
                    code.user_id = new_id;
                }
            }
        }
        user.updated_at = now;
        self.insert_user(user);
        Ok(new_id)
    }

    /// Deletes a user with everything that belongs to it: sessions end, link credentials, codes
    /// and pending sign-ons go. Returns the record as it was.
    pub fn delete_user(&mut self, user_id: u64, now: Millis) -> Result<User> {
        let user = self.take_user(user_id)?;
        self.end_sessions_of(user_id, now);
        self.links.retain(|_, l| l.user_id != user_id);
        self.codes.retain(|c| c.user_id != user_id);
        self.first_factor_tokens
            .retain(|_, p| p.signon.user_id != user_id);
        self.pkce_codes.retain(|_, p| p.signon.user_id != user_id);
        self.rate_limit_opt_outs.remove(&user_id);
        Ok(user)
    }

    /// Ends every active session of a user; returns how many ended.
    pub fn end_sessions_of(&mut self, user_id: u64, now: Millis) -> usize {
        let mut ended = 0;
        for session in self.sessions.values_mut() {
            if session.user_id == Some(user_id) && session.ended_at.is_none() {
                session.ended_at = Some(now);
                ended += 1;
            }
        }
        ended
    }

    /// A user's sessions, newest first; ended and expired ones only when asked.
    pub fn sessions_of(&self, user_id: u64, include_ended: bool, now: Millis) -> Vec<&Session> {
        let mut sessions: Vec<&Session> = self
            .sessions
            .values()
            .map(|s| &**s)
            .filter(|s| s.user_id == Some(user_id) && (include_ended || s.is_active(now)))
            .collect();
        sessions.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.session_id)));
        sessions
    }

    /// Marks the user's email confirmed now (a link or email code was used).
    pub fn confirm_email(&mut self, user_id: u64, now: Millis) -> Result<bool> {
        let user = self.user_mut(user_id)?;
        if user.confirmed_email_at.is_some() {
            return Ok(false);
        }
        user.confirmed_email_at = Some(now);
        user.updated_at = now;
        Ok(true)
    }

    /// Replaces a user's email (verified change of address); the address must be free.
    pub fn change_email(&mut self, user_id: u64, email: &str, now: Millis) -> Result<()> {
        self.update_user(
            user_id,
            UserFields {
                email: Some(email.to_owned()),
                is_email_confirmed: Some(true),
                ..UserFields::default()
            },
            now,
        )
        .map(|_| ())
    }
}

/// Reads the common user fields of conventions (server-to-server "Common user fields") from a
/// JSON body. Wrong types are refused with a message naming the field.
pub fn fields_from_json(body: &Object) -> Result<UserFields> {
    fn string(body: &Object, key: &str) -> Result<Option<String>> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::bad_request(format!("\"{key}\" must be a string"))),
        }
    }
    fn boolean(body: &Object, key: &str) -> Result<Option<bool>> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Error::bad_request(format!("\"{key}\" must be a boolean"))),
        }
    }
    fn factor(body: &Object, key: &str) -> Result<Option<Option<Factor>>> {
        match body.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(v) => serde_json::from_value(v.clone())
                .map(|f| Some(Some(f)))
                .map_err(|_| {
                    Error::bad_request(format!(
                        "\"{key}\" must be an object with \"channel\" and \"strategy\""
                    ))
                }),
        }
    }
    let user_id = match body.get("userId") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|&id| id > 0)
                .ok_or_else(|| Error::bad_request("\"userId\" must be a positive integer"))?,
        ),
    };
    let user_uuid = string(body, "userUuid")?
        .map(|s| {
            Uuid::parse_str(&s).map_err(|_| Error::bad_request("\"userUuid\" must be a valid GUID"))
        })
        .transpose()?;
    let data = match body.get("data") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o.clone()),
        Some(_) => return Err(Error::bad_request("\"data\" must be of type object")),
    };
    let phone_number = match body.get("phoneNumber") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.is_empty() => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => return Err(Error::bad_request("\"phoneNumber\" must be a string")),
    };
    Ok(UserFields {
        user_id,
        user_uuid,
        email: string(body, "email")?,
        username: string(body, "username")?,
        name: string(body, "name")?,
        image: string(body, "image")?,
        phone_number,
        data,
        locked: boolean(body, "locked")?,
        is_mfa_required: boolean(body, "isMfaRequired")?,
        preferred_first_factor: factor(body, "preferredFirstFactor")?,
        preferred_second_factor: factor(body, "preferredSecondFactor")?,
        is_email_confirmed: boolean(body, "isEmailConfirmed")?,
        is_phone_number_confirmed: boolean(body, "isPhoneNumberConfirmed")?,
        password_hash: None,
    })
}

#[cfg(test)]
mod tests;
