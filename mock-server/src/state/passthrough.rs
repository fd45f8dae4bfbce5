//! Password migration through an upstream (conventions C-14.5; client-to-server CS-5).
//!
//! The tenant's old login system is either a real HTTP endpoint (`url`: the mock POSTs the
//! login to it, as Userfront forwards it) or a list of canned `rules` that answer in-process
//! (no server needed in a test). Both are set through `PUT /__mock/tenants/{id}/settings` as
//! `passthrough: {url?, rules?: [{emailOrUsername?, password?, status?, body?}]}`. Every
//! consultation is recorded (without the password) and readable at
//! `GET /__mock/passthrough/calls`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::World;
use super::bounded::{Logged, MAX_JSON_DEPTH, json_depth, value_cost};
use super::clock::format_iso;
use crate::error::{Error, Result, msg};

/// Most upstream calls kept in the log.
pub const CALL_LOG_LIMIT: usize = 1_000;

/// Most bytes the call log keeps (see [`super::bounded`]).
pub const CALL_LOG_BYTES: usize = 8 * 1024 * 1024;
/// Largest upstream answer a call entry keeps (its JSON text); a larger or deeper one is
/// replaced by a marker with its size, so the log stays small and the state file loadable.
const RESPONSE_KEEP: usize = 16 * 1024;

/// Entries of the call log are JSON objects.
impl Logged for Value {
    const MAX_ENTRIES: usize = CALL_LOG_LIMIT;
    const MAX_BYTES: usize = CALL_LOG_BYTES;

    fn cost(&self) -> usize {
        value_cost(self)
    }
}

/// One canned answer of the upstream. Absent matchers match anything.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub email_or_username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// HTTP status of the answer (default 200).
    #[serde(default = "ok_status")]
    pub status: u16,
    /// JSON body of the answer (default `{}`).
    #[serde(default)]
    pub body: Option<Value>,
}

fn ok_status() -> u16 {
    200
}

/// A tenant's passthrough upstream.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Upstream {
    /// A real endpoint: `POST {emailOrUsername, email?, password, passthroughCode}`.
    #[serde(default)]
    pub url: Option<String>,
    /// Canned answers, first match wins; no match answers 401.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// Reads the `passthrough` member of the settings: `null` turns it off; anything malformed is
/// refused with a message naming the shape.
pub fn parse(config: &Value) -> Result<Option<Upstream>> {
    if config.is_null() {
        return Ok(None);
    }
    let upstream: Upstream = serde_json::from_value(config.clone()).map_err(|e| {
        Error::bad_request(format!(
            "\"passthrough\" must be {{url?, rules?: [{{emailOrUsername?, password?, status?, body?}}]}}: {e}"
        ))
    })?;
    if let Some(url) = &upstream.url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Error::bad_request(
            "\"passthrough.url\" must be an http(s) URL",
        ));
    }
    if upstream
        .rules
        .iter()
        .any(|r| !(100..=599).contains(&r.status))
    {
        return Err(Error::bad_request(
            "\"passthrough.rules[].status\" must be an HTTP status",
        ));
    }
    Ok(Some(upstream))
}

/// What the old system said.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// 2xx: the password is right; the body is the `upstreamResponse`.
    Accepted(Value),
    /// 4xx: the login is refused with this message; the body is the `upstreamResponse`.
    Refused(String, Value),
    /// Unreachable, timed out, or anything but 2xx/4xx.
    Unavailable,
}

/// Judges an upstream answer (`status` is `None` when no answer came).
pub fn verdict(status: Option<u16>, body: Value) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Accepted(body),
        Some(400..=499) => {
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .unwrap_or(msg::INCORRECT_EMAIL_OR_PASSWORD)
                .to_owned();
            Verdict::Refused(message, body)
        }
        _ => Verdict::Unavailable,
    }
}

impl Upstream {
    /// The canned answer of the first rule matching a login: the identifier as typed or any of
    /// the user's `names` (email, username), case-insensitively, and the password exactly.
    /// Without a match the old system refuses: 401 `Incorrect email or password`.
    pub fn answer(&self, names: &[&str], password: &str) -> (u16, Value) {
        let matches_name = |wanted: &str| names.iter().any(|n| n.eq_ignore_ascii_case(wanted));
        self.rules
            .iter()
            .find(|r| {
                r.email_or_username.as_deref().is_none_or(matches_name)
                    && r.password.as_deref().is_none_or(|p| p == password)
            })
            .map(|r| (r.status, r.body.clone().unwrap_or_else(|| json!({}))))
            .unwrap_or_else(|| (401, json!({ "message": msg::INCORRECT_EMAIL_OR_PASSWORD })))
    }
}

/// One consultation of an upstream, as the call log shows it.
#[derive(Clone, Debug)]
pub struct Call {
    pub tenant_id: String,
    pub mode: &'static str,
    /// `None` for canned rules.
    pub url: Option<String>,
    pub email_or_username: String,
    pub passthrough_code: String,
    pub status: Option<u16>,
    pub response: Value,
    pub error: Option<String>,
}

/// An upstream answer as the call log keeps it: whole when small and shallow, else a marker.
fn kept_response(response: Value) -> Value {
    let size = response.to_string().len();
    if size <= RESPONSE_KEEP && json_depth(&response) <= MAX_JSON_DEPTH {
        response
    } else {
        json!({ "truncated": true, "size": size })
    }
}

impl World {
    /// Appends a call to the log (the password is never kept).
    pub fn record_passthrough_call(&mut self, call: Call) {
        let response = kept_response(call.response);
        let passback = response.get("passbackCode").cloned();
        let entry = json!({
            "tenantId": call.tenant_id,
            "mode": call.mode,
            "url": call.url,
            "request": {
                "emailOrUsername": call.email_or_username,
                "password": "********",
                "passthroughCode": call.passthrough_code,
            },
            "status": call.status,
            "response": response,
            "passbackCode": passback,
            "error": call.error,
            "createdAt": format_iso(self.now()),
        });
        self.passthrough_calls.push_back(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_names_and_passwords() {
        let upstream = parse(&json!({"rules": [
            {"emailOrUsername": "Jane@Example.com", "password": "old-pass-1", "body": {"passbackCode": "p"}},
            {"emailOrUsername": "jane@example.com", "status": 403, "body": {"message": "Account closed"}},
        ]}))
        .unwrap()
        .unwrap();
        assert_eq!(
            upstream.answer(&["jane@example.com", "jane"], "old-pass-1"),
            (200, json!({"passbackCode": "p"}))
        );
        assert_eq!(
            upstream.answer(&["jane"], "wrong").0,
            401,
            "no rule names the username"
        );
        assert_eq!(
            verdict(Some(403), upstream.answer(&["jane@example.com"], "x").1),
            Verdict::Refused(
                "Account closed".into(),
                json!({"message": "Account closed"})
            )
        );
        assert_eq!(verdict(Some(502), json!({})), Verdict::Unavailable);
        assert_eq!(verdict(None, Value::Null), Verdict::Unavailable);
        assert!(parse(&json!({"rules": [{"status": 42}]})).is_err());
        assert!(parse(&json!({"url": "ftp://x"})).is_err());
        assert!(parse(&json!({"rule": []})).is_err());
        assert_eq!(parse(&Value::Null).unwrap().map(|_| ()), None);
    }
}
