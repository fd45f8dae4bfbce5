//! Sign-on with 6-digit verification codes (client-to-server CS-8, CS-9, and the legacy MFA
//! codes of CS-29, CS-30).
//!
//! Sending is planned first ([`Realm::plan_code`]: who gets the code, at which address, whether
//! that recipient counts as confirmed for rate limiting) without changing anything, so the
//! handler can check the rate limit before it creates a user or a code. Using a code is split
//! the same way: [`Realm::check_code`] finds it, [`Realm::apply_code`] confirms the address (and
//! makes a number verified through CS-19 or a second-factor setup the user's number), and only
//! then is the code consumed.

use super::Realm;
use super::clock::Millis;
use super::model::{Channel, VerificationCode};
use super::users::{UserFields, check_phone, normalise_email};
use crate::error::{Error, Result, msg};

/// Parses a `channel` value (`sms` or `email`).
pub fn parse_channel(channel: &str) -> Result<Channel> {
    match channel {
        "sms" => Ok(Channel::Sms),
        "email" => Ok(Channel::Email),
        _ => Err(Error::bad_request(msg::INVALID_CHANNEL)),
    }
}

/// The strategy of a code factor (`{channel, strategy: "verificationCode"}`).
pub const CODE_STRATEGY: &str = "verificationCode";

/// Who a code goes to.
#[derive(Clone, Debug)]
pub enum Recipient {
    /// A user of the pool.
    Existing(u64),
    /// Nobody has this address: sending signs a new user up with these fields.
    New(Box<UserFields>),
}

/// A code about to be sent, decided by [`Realm::plan_code`].
#[derive(Clone, Debug)]
pub struct CodePlan {
    pub channel: Channel,
    /// Lowercase email or E.164 number.
    pub address: String,
    pub recipient: Recipient,
    /// An SMS to a number the user does not have yet: using the code makes it theirs.
    pub new_phone: Option<String>,
    /// Whether the recipient counts as confirmed for rate limiting (conventions C-7).
    pub confirmed: bool,
}

impl CodePlan {
    /// The recipient's id, when the recipient exists.
    pub fn user_id(&self) -> Option<u64> {
        match self.recipient {
            Recipient::Existing(id) => Some(id),
            Recipient::New(_) => None,
        }
    }
}

/// What a `POST /v0/auth/code` body asks for.
#[derive(Clone, Debug, Default)]
pub struct CodeRequest {
    pub phone_number: Option<String>,
    pub email: Option<String>,
    /// `name`, `username`, `data`: used only when the user is created.
    pub new_user: UserFields,
}

impl Realm {
    /// Decides who a code goes to (CS-8), changing nothing. `pending_user` is the user of a
    /// firstFactorToken: the code is then for that user, to their own address by default; a
    /// different number is allowed only while the user has no confirmed number (setting up the
    /// SMS second factor), and a different email never.
    pub fn plan_code(
        &self,
        channel: Channel,
        request: CodeRequest,
        pending_user: Option<u64>,
    ) -> Result<CodePlan> {
        let email = request.email.as_deref().map(normalise_email).transpose()?;
        if let Some(phone) = &request.phone_number {
            check_phone(phone)?;
        }
        if let Some(user_id) = pending_user {
            let user = self.user(user_id)?;
            return match channel {
                Channel::Sms => {
                    let address = request
                        .phone_number
                        .or_else(|| user.phone_number.as_deref().map(str::to_owned))
                        .ok_or_else(|| Error::bad_request(msg::SMS_NEEDS_PHONE))?;
                    let new_phone = self.new_phone_for(user_id, &address)?;
                    Ok(CodePlan {
                        channel,
                        confirmed: self.phone_confirmed_for(Some(user_id), &address),
                        address,
                        recipient: Recipient::Existing(user_id),
                        new_phone,
                    })
                }
                Channel::Email => {
                    if user.email.is_empty() {
                        return Err(Error::bad_request(msg::EMAIL_NEEDS_EMAIL));
                    }
                    if email.as_deref().is_some_and(|e| *e != *user.email) {
                        return Err(Error::bad_request(msg::INVALID_TOKEN));
                    }
                    let address = user.email.to_string();
                    Ok(CodePlan {
                        channel,
                        confirmed: self.email_confirmed_for(Some(user_id), &address),
                        address,
                        recipient: Recipient::Existing(user_id),
                        new_phone: None,
                    })
                }
            };
        }
        let (address, existing) = match channel {
            Channel::Sms => {
                let phone = request
                    .phone_number
                    .clone()
                    .ok_or_else(|| Error::bad_request(msg::SMS_NEEDS_PHONE))?;
                let existing = self.user_id_by_phone(&phone);
                (phone, existing)
            }
            Channel::Email => {
                let email = email
                    .clone()
                    .ok_or_else(|| Error::bad_request(msg::EMAIL_NEEDS_EMAIL))?;
                let existing = self.user_id_by_email(&email);
                (email, existing)
            }
        };
        let recipient = match existing {
            Some(user_id) => Recipient::Existing(user_id),
            None => Recipient::New(Box::new(UserFields {
                email,
                phone_number: request.phone_number.map(Some),
                ..request.new_user
            })),
        };
        let confirmed = match (channel, existing) {
            (Channel::Sms, Some(id)) => self.phone_confirmed_for(Some(id), &address),
            (Channel::Email, Some(id)) => self.email_confirmed_for(Some(id), &address),
            (_, None) => false,
        };
        Ok(CodePlan {
            channel,
            address,
            recipient,
            new_phone: None,
            confirmed,
        })
    }

    /// `Some(phone)` when `phone` would become `user_id`'s new number, refused when the user
    /// already has a confirmed number or another user holds it (while numbers are unique).
    pub fn new_phone_for(&self, user_id: u64, phone: &str) -> Result<Option<String>> {
        let user = self.user(user_id)?;
        if user.phone_number.as_deref() == Some(phone) {
            return Ok(None);
        }
        if user.is_phone_number_confirmed() {
            return Err(Error::bad_request(msg::INVALID_TOKEN));
        }
        if self.root().settings.is_phone_number_unique
            && self.user_id_by_phone(phone).is_some_and(|id| id != user_id)
        {
            return Err(Error::bad_request(msg::PHONE_EXISTS));
        }
        Ok(Some(phone.to_owned()))
    }

    /// Carries out a plan: creates the user when needed (a sign-up), then issues a fresh code
    /// that replaces earlier ones for the address. Returns `(user id, code, created)`.
    pub fn issue_planned_code(
        &mut self,
        plan: CodePlan,
        now: Millis,
    ) -> Result<(u64, String, bool)> {
        let (user_id, created) = match plan.recipient {
            Recipient::Existing(id) => (id, false),
            Recipient::New(fields) => (self.create_user(*fields, now)?, true),
        };
        // A second code for a user that signed up with the first one is still a sign-up.
        let signup = created
            || self.codes.iter().any(|c| {
                c.channel == plan.channel
                    && c.address == plan.address
                    && c.user_id == user_id
                    && c.signup
            });
        let code = self.issue_code(plan.channel, &plan.address, user_id, now);
        if let Some(issued) = self.codes.last_mut() {
            issued.new_phone = plan.new_phone;
            issued.signup = signup;
        }
        Ok((user_id, code, created))
    }

    /// The newest unexpired code for (channel, address) if it equals `code` (and belongs to
    /// `user`, when given); otherwise `Invalid verificationCode`. Changes nothing.
    pub fn check_code(
        &self,
        channel: Channel,
        address: &str,
        code: &str,
        user: Option<u64>,
        now: Millis,
    ) -> Result<&VerificationCode> {
        self.codes
            .iter()
            .rev()
            .find(|c| c.channel == channel && c.address == address)
            .filter(|c| {
                c.code == code.trim() && now < c.expires_at && user.is_none_or(|u| u == c.user_id)
            })
            .ok_or_else(|| Error::bad_request(msg::INVALID_VERIFICATION_CODE))
    }

    /// The address of the newest unexpired SMS code of a user (the number a pending second
    /// factor or a legacy MFA code went to).
    pub fn latest_sms_address(&self, user_id: u64, now: Millis) -> Option<String> {
        self.codes
            .iter()
            .rev()
            .find(|c| c.channel == Channel::Sms && c.user_id == user_id && now < c.expires_at)
            .map(|c| c.address.clone())
    }

    /// What using a code proves: the address is confirmed, and a new number becomes the user's.
    /// Checks everything before it changes anything. Returns whether the user changed.
    pub fn apply_code(&mut self, code: &VerificationCode, now: Millis) -> Result<bool> {
        let user = self.user(code.user_id)?;
        match code.channel {
            Channel::Email => self.confirm_email(code.user_id, now),
            Channel::Sms => {
                let phone = code
                    .new_phone
                    .clone()
                    .unwrap_or_else(|| code.address.clone());
                if code.new_phone.is_none() && user.phone_number.as_deref() != Some(phone.as_str())
                {
                    // Sent to a number the user no longer has.
                    return Err(Error::bad_request(msg::INVALID_VERIFICATION_CODE));
                }
                if user.phone_number.as_deref() == Some(phone.as_str())
                    && user.is_phone_number_confirmed()
                {
                    return Ok(false);
                }
                self.update_user(
                    code.user_id,
                    UserFields {
                        phone_number: Some(Some(phone)),
                        is_phone_number_confirmed: Some(true),
                        ..UserFields::default()
                    },
                    now,
                )?;
                Ok(true)
            }
        }
    }
}
