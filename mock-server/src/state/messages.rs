//! Emails and SMS that are never sent: link credentials, verification codes, rate limits and the
//! outbox (conventions C-7, C-8).
//!
//! A message-sending endpoint first asks [`Realm::check_rate_limit`] (before it creates or changes
//! anything, so a 429 leaves no trace), then creates its credentials, then calls
//! [`World::deliver`], which counts the send, captures the message in the outbox and returns the
//! documented `result` member: the link or code in test mode, a delivery receipt in live mode.

use serde_json::{Value, json};
use uuid::Uuid;

use super::bounded::{Logged, truncate_text};
use super::clock::{DAY, MINUTE, Millis, SECOND, format_iso};
use super::model::*;
use super::{Realm, RecipientLimits, Workspace, World, ids};
use crate::error::{Error, Result, msg};

/// Duplicate prevention window.
const DUPLICATE_WINDOW: Millis = 2 * SECOND;
/// Spam windows and limits.
const SHORT_WINDOW: Millis = 10 * MINUTE;
const LONG_WINDOW: Millis = DAY;
const UNCONFIRMED_SHORT_LIMIT: usize = 10;
const UNCONFIRMED_LONG_LIMIT: usize = 20;
const CONFIRMED_SHORT_LIMIT: usize = 20;
const BLOCK_FOR: Millis = DAY;

/// Most bytes the outbox keeps (see [`super::bounded`]); with [`super::OUTBOX_LIMIT`] entries.
pub const OUTBOX_BYTES: usize = 16 * 1024 * 1024;
/// Longest address or link an outbox entry keeps; longer ones are cut with a marker.
const OUTBOX_FIELD_KEEP: usize = 16 * 1024;

impl OutboxEntry {
    /// The entry with an overlong address or link cut to [`OUTBOX_FIELD_KEEP`] bytes and a
    /// marker, so that one entry cannot take a large part of the outbox's budget.
    pub fn trimmed(mut self) -> Self {
        if self.to.len() > OUTBOX_FIELD_KEEP {
            self.to = truncate_text(&self.to, OUTBOX_FIELD_KEEP);
        }
        if let Some(link) = self.link.as_mut().filter(|l| l.len() > OUTBOX_FIELD_KEEP) {
            *link = truncate_text(link, OUTBOX_FIELD_KEEP);
        }
        self
    }
}

impl Logged for OutboxEntry {
    const MAX_ENTRIES: usize = super::OUTBOX_LIMIT;
    const MAX_BYTES: usize = OUTBOX_BYTES;

    fn cost(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.tenant_id.capacity()
            + self.to.capacity()
            + self.message_type.capacity()
            + self.link.as_ref().map_or(0, String::capacity)
            + self.verification_code.as_ref().map_or(0, String::capacity)
            + self.submitted_at.capacity()
    }
}

/// Lifetime of a verification code.
pub const CODE_LIFETIME: Millis = 10 * MINUTE;

/// The default lifetime of link credentials of each type (conventions C-8.3).
pub fn default_link_lifetime(link_type: LinkType) -> Millis {
    match link_type {
        LinkType::Login | LinkType::Reset | LinkType::Invite => super::clock::HOUR,
        LinkType::Welcome | LinkType::Verify => 3 * DAY,
        LinkType::Sso => 10 * MINUTE,
    }
}

/// Largest unit a duration may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DurationUnits {
    /// Link durations: seconds … months.
    UpToMonths,
    /// Token durations: seconds … years.
    UpToYears,
}

/// Parses a duration such as `"30 seconds"`, `"1 week"`, `"2days"` (conventions C-8.3) into
/// milliseconds; 400 `Invalid duration` otherwise.
pub fn parse_duration(text: &str, units: DurationUnits) -> Result<Millis> {
    let invalid = || Error::bad_request(msg::INVALID_DURATION);
    let text = text.trim().to_lowercase();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let unit = unit.strip_prefix(' ').unwrap_or(unit);
    if number.is_empty() || number.starts_with('0') || number.len() > 9 {
        return Err(invalid());
    }
    let n: i64 = number.parse().map_err(|_| invalid())?;
    let unit_ms = match unit.strip_suffix('s').unwrap_or(unit) {
        "second" => SECOND,
        "minute" => MINUTE,
        "hour" => super::clock::HOUR,
        "day" => DAY,
        "week" => 7 * DAY,
        "month" => 30 * DAY,
        "year" if units == DurationUnits::UpToYears => 365 * DAY,
        _ => return Err(invalid()),
    };
    // Nine digits of years overflow i64 milliseconds: refuse rather than wrap into range.
    n.checked_mul(unit_ms).ok_or_else(invalid)
}

/// A link duration: 10 seconds to 1 month (30 days).
pub fn parse_link_duration(text: &str) -> Result<Millis> {
    let d = parse_duration(text, DurationUnits::UpToMonths)?;
    if (10 * SECOND..=30 * DAY).contains(&d) {
        Ok(d)
    } else {
        Err(Error::bad_request(msg::INVALID_DURATION))
    }
}

/// A token duration: 1 second to 10 years.
pub fn parse_token_duration(text: &str) -> Result<Millis> {
    let d = parse_duration(text, DurationUnits::UpToYears)?;
    if (SECOND..=3650 * DAY).contains(&d) {
        Ok(d)
    } else {
        Err(Error::bad_request(msg::INVALID_DURATION))
    }
}

/// The base of links and redirects (conventions C-8.2): the calling page's origin when known
/// (scheme and host only: `x-origin` and `x-application-id` may carry a page URL), else the
/// first live domain in live mode, else `http://localhost:3000`.
pub fn base_url(origin: Option<&str>, workspace: &Workspace, mode: Mode) -> String {
    if let Some(origin) = origin.filter(|o| !o.is_empty() && *o != "null") {
        let authority_start = origin.find("://").map_or(0, |i| i + 3);
        let end = origin[authority_start..]
            .find(['/', '?', '#'])
            .map_or(origin.len(), |i| authority_start + i);
        return origin[..end].to_owned();
    }
    match (mode, workspace.live_domains.first()) {
        (Mode::Live, Some(domain)) => format!("https://{domain}"),
        _ => "http://localhost:3000".to_owned(),
    }
}

/// The page a link opens (conventions C-8.2): the Password reset path for reset and
/// invite-reset links, otherwise the After-logout path, which hosts the login form.
pub fn link_path(settings: &TenantSettings, link_type: LinkType) -> &str {
    match link_type {
        LinkType::Reset | LinkType::Invite => &settings.password_reset_path,
        _ => &settings.logout_redirect_path,
    }
}

/// Percent-encodes a query value.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `{base}{path}?uuid=…&token=…[&type=…][&redirect=…]`.
pub fn link_url(
    base: &str,
    path: &str,
    uuid: &Uuid,
    token: &Uuid,
    link_type: Option<&str>,
    redirect: Option<&str>,
) -> String {
    let mut url = format!("{base}{path}?uuid={uuid}&token={token}");
    if let Some(t) = link_type {
        url.push_str("&type=");
        url.push_str(t);
    }
    if let Some(r) = redirect {
        url.push_str("&redirect=");
        url.push_str(&url_encode(r));
    }
    url
}

/// A message about to be captured.
#[derive(Clone, Debug)]
pub struct Message {
    pub channel: Channel,
    /// Lowercase email or E.164 number.
    pub to: String,
    /// `welcome | login | verify | reset | invite | verificationCode | mfa`.
    pub message_type: &'static str,
    pub link: Option<String>,
    pub uuid: Option<Uuid>,
    pub token: Option<Uuid>,
    pub verification_code: Option<String>,
    /// The user the message is for, if any (for `lastMessagedAt`).
    pub user_id: Option<u64>,
}

impl Realm {
    /// Refuses with 429 when a message to `address` would break a rate limit (conventions C-7).
    /// Changes nothing, except that breaking a spam limit flags the recipient for 24 hours.
    pub fn check_rate_limit(
        &mut self,
        channel: Channel,
        address: &str,
        confirmed: bool,
        user_id: Option<u64>,
        now: Millis,
    ) -> Result<()> {
        if user_id.is_some_and(|id| self.rate_limit_opt_outs.contains(&id)) {
            return Ok(());
        }
        let key = (channel, address.to_owned());
        let Some(limits) = self.rate_limits.get_mut(&key) else {
            return Ok(());
        };
        if limits.blocked_until.is_some_and(|until| now < until) {
            return Err(Error::rate_limited());
        }
        if limits
            .sent
            .back()
            .is_some_and(|&last| now - last < DUPLICATE_WINDOW)
        {
            return Err(Error::rate_limited());
        }
        let in_window = |w: Millis| limits.sent.iter().filter(|&&t| now - t < w).count();
        let (short, long) = (in_window(SHORT_WINDOW), in_window(LONG_WINDOW));
        let breached = if confirmed {
            short >= CONFIRMED_SHORT_LIMIT
        } else {
            short >= UNCONFIRMED_SHORT_LIMIT || long >= UNCONFIRMED_LONG_LIMIT
        };
        if breached {
            limits.blocked_until = Some(now + BLOCK_FOR);
            return Err(Error::rate_limited());
        }
        Ok(())
    }

    fn record_send(&mut self, channel: Channel, address: &str, now: Millis) {
        let limits: &mut RecipientLimits = self
            .rate_limits
            .entry((channel, address.to_owned()))
            .or_default();
        while limits.sent.front().is_some_and(|&t| now - t >= LONG_WINDOW) {
            limits.sent.pop_front();
        }
        limits.sent.push_back(now);
    }

    /// Whether a message to this user's email counts as going to a confirmed recipient.
    pub fn email_confirmed_for(&self, user_id: Option<u64>, address: &str) -> bool {
        user_id
            .and_then(|id| self.users.get(&id))
            .is_some_and(|u| u.is_email_confirmed() && *u.email == *address)
    }

    /// Whether an SMS to this user's number counts as going to a confirmed recipient.
    pub fn phone_confirmed_for(&self, user_id: Option<u64>, address: &str) -> bool {
        user_id.and_then(|id| self.users.get(&id)).is_some_and(|u| {
            u.is_phone_number_confirmed() && u.phone_number.as_deref() == Some(address)
        })
    }

    /// Creates single-use link credentials for a user.
    pub fn issue_link(
        &mut self,
        user_id: u64,
        link_type: LinkType,
        lifetime: Millis,
        new_email: Option<String>,
        now: Millis,
    ) -> LinkCredential {
        let link = LinkCredential {
            token: ids::uuid(),
            user_id,
            link_type,
            expires_at: now + lifetime,
            new_email,
            is_new_user: false,
            sso_provider: None,
            created_at: now,
        };
        self.links.insert(link.token, link.clone());
        link
    }

    /// Uses link credentials: they must exist for that user, be of an allowed type and
    /// unexpired. Success consumes them; a failure leaves them as they were.
    pub fn consume_link(
        &mut self,
        uuid: &str,
        token: &str,
        allowed: &[LinkType],
        now: Millis,
    ) -> Result<LinkCredential> {
        let token = self.check_link(uuid, token, allowed, now)?.token;
        self.links
            .remove(&token)
            .ok_or_else(|| Error::bad_request(msg::INVALID_TOKEN))
    }

    /// The checks of [`Realm::consume_link`] without consuming anything, for endpoints that must
    /// validate more (a locked user, a pending second factor) before they use the credentials.
    pub fn check_link(
        &self,
        uuid: &str,
        token: &str,
        allowed: &[LinkType],
        now: Millis,
    ) -> Result<&LinkCredential> {
        let invalid = || Error::bad_request(msg::INVALID_TOKEN);
        let token = Uuid::parse_str(token.trim()).map_err(|_| invalid())?;
        let uuid = Uuid::parse_str(uuid.trim()).map_err(|_| invalid())?;
        let link = self.links.get(&token).ok_or_else(invalid)?;
        let owner = self.users.get(&link.user_id).ok_or_else(invalid)?;
        if owner.user_uuid != uuid || !allowed.contains(&link.link_type) {
            return Err(invalid());
        }
        if now >= link.expires_at {
            return Err(Error::bad_request(msg::TOKEN_EXPIRED));
        }
        Ok(link)
    }

    /// Creates a fresh 6-digit code for (channel, address), replacing earlier ones.
    pub fn issue_code(
        &mut self,
        channel: Channel,
        address: &str,
        user_id: u64,
        now: Millis,
    ) -> String {
        self.codes
            .retain(|c| !(c.channel == channel && c.address == address) && c.expires_at > now);
        let code = ids::code6();
        self.codes.push(VerificationCode {
            channel,
            address: address.to_owned(),
            code: code.clone(),
            user_id,
            expires_at: now + CODE_LIFETIME,
            new_phone: None,
            signup: false,
        });
        code
    }

    /// Issues the SMS code of a phone verification (`POST /v0/auth/verify/phone`). When `phone`
    /// is not the user's number yet, the code records it as [`VerificationCode::new_phone`], so
    /// whoever consumes the code (`PUT /v0/auth/code`) makes it the user's number.
    pub fn issue_phone_verification_code(
        &mut self,
        phone: &str,
        user_id: u64,
        is_new_number: bool,
        now: Millis,
    ) -> String {
        let code = self.issue_code(Channel::Sms, phone, user_id, now);
        if let Some(issued) = self.codes.last_mut() {
            issued.new_phone = is_new_number.then(|| phone.to_owned());
        }
        code
    }

    /// Uses a code: it must match the newest unexpired code for (channel, address). Success
    /// consumes it; wrong, used and expired codes all give `Invalid verificationCode`.
    pub fn consume_code(
        &mut self,
        channel: Channel,
        address: &str,
        code: &str,
        now: Millis,
    ) -> Result<VerificationCode> {
        let position = self
            .codes
            .iter()
            .rposition(|c| c.channel == channel && c.address == address)
            .filter(|&i| self.codes[i].code == code.trim() && now < self.codes[i].expires_at)
            .ok_or_else(|| Error::bad_request(msg::INVALID_VERIFICATION_CODE))?;
        Ok(self.codes.remove(position))
    }
}

impl World {
    /// Captures a message: counts it for rate limiting, stamps the user's `lastMessagedAt`,
    /// appends it to the outbox (suppressed in test mode) and returns the `result` member of
    /// the response (conventions C-8.4).
    pub fn deliver(&mut self, tenant_id: &str, mode: Mode, message: Message) -> Result<Value> {
        let now = self.now();
        let realm = self.realm_of_mut(tenant_id, mode)?;
        realm.record_send(message.channel, &message.to, now);
        if let Some(user) = message.user_id.and_then(|id| realm.users.get_mut(&id)) {
            user.last_messaged_at = Some(now);
        }
        let entry = OutboxEntry {
            message_id: ids::uuid(),
            tenant_id: tenant_id.to_owned(),
            mode,
            channel: message.channel,
            to: message.to.clone(),
            message_type: message.message_type.to_owned(),
            link: message.link.clone(),
            uuid: message.uuid,
            token: message.token,
            verification_code: message.verification_code.clone(),
            suppressed: mode == Mode::Test,
            submitted_at: format_iso(now),
        };
        let address_key = match message.channel {
            Channel::Email => "email",
            Channel::Sms => "phoneNumber",
        };
        let result = match (mode, &message.verification_code, &message.link) {
            (Mode::Test, Some(code), _) => json!({
                "channel": message.channel.as_str(),
                address_key: message.to,
                "verificationCode": code,
            }),
            (Mode::Test, None, Some(link)) => json!({ "link": link }),
            _ => {
                let mut receipt = json!({
                    address_key: message.to,
                    "to": message.to,
                    "submittedAt": entry.submitted_at,
                    "messageId": entry.message_id,
                });
                if message.verification_code.is_some() {
                    receipt["channel"] = json!(message.channel.as_str());
                }
                receipt
            }
        };
        self.message_webhook(tenant_id, mode, &entry);
        self.push_outbox(entry);
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The outbox is capped by bytes, and one huge address or link is cut, not kept whole.
    #[test]
    fn the_outbox_is_capped_by_bytes_and_cuts_huge_members() {
        let seed = std::sync::Arc::new(super::super::seed::Seed::embedded().unwrap());
        let mut world = World::from_seed(seed);
        let entry = |to: String, link: Option<String>| OutboxEntry {
            message_id: ids::uuid(),
            tenant_id: "demo1234".into(),
            mode: Mode::Test,
            channel: Channel::Email,
            to,
            message_type: "login".into(),
            link,
            uuid: None,
            token: None,
            verification_code: None,
            suppressed: true,
            submitted_at: String::new(),
        };
        world.push_outbox(entry("a".repeat(900_000), Some("l".repeat(900_000))));
        let kept = world.outbox.iter().next().unwrap();
        assert!(kept.to.len() < OUTBOX_FIELD_KEEP + 64);
        assert!(kept.to.ends_with("...[truncated, 900000 bytes]"));
        assert!(kept.link.as_ref().unwrap().len() < OUTBOX_FIELD_KEEP + 64);
        for _ in 0..2_000 {
            world.push_outbox(entry("b".repeat(15_000), None));
            assert!(world.outbox.bytes() <= OUTBOX_BYTES);
        }
        assert!(world.outbox.len() < 2_000, "the byte cap came first");
    }

    #[test]
    fn durations_follow_the_grammar_and_bounds() {
        assert_eq!(parse_link_duration("30 seconds"), Ok(30 * SECOND));
        assert_eq!(parse_link_duration("1 Minute"), Ok(MINUTE));
        assert_eq!(parse_link_duration("2days"), Ok(2 * DAY));
        assert_eq!(parse_link_duration("1 month"), Ok(30 * DAY));
        for bad in [
            "9 seconds",
            "31 days",
            "1 year",
            "0 days",
            "01 day",
            "day",
            "1  day",
            "-1 day",
            "1.5 hours",
        ] {
            assert!(parse_link_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_token_duration("1 year"), Ok(365 * DAY));
        assert_eq!(parse_token_duration("1 second"), Ok(SECOND));
        assert!(parse_token_duration("11 years").is_err());
    }

    #[test]
    fn links_carry_type_and_encoded_redirect() {
        let (u, t) = (Uuid::nil(), Uuid::max());
        assert_eq!(
            link_url(
                "http://localhost:3000",
                "/login",
                &u,
                &t,
                Some("login"),
                Some("/a b")
            ),
            format!("http://localhost:3000/login?uuid={u}&token={t}&type=login&redirect=%2Fa%20b")
        );
    }
}
