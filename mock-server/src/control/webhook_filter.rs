//! Filters of `GET /__mock/webhooks`, so a test waits on the server for *its* delivery (a
//! `user` `create` of one user, in one tenant) instead of fetching every delivery and picking
//! in the client.
//!
//! They read the delivery body the mock posts (`{action, model, mode, record}`, conventions
//! C-15): `model` (`user`, `tenant`, or the message webhooks' `link`, `verificationCode`),
//! `action` (`create`, `update`, `delete`, `send`), `mode`, and from the record `tenantId`,
//! `userId`, `userUuid` and `to` (the recipient of a message). All exact; `tenantId`, `to`
//! and `userUuid` ignore case. A value no delivery can have (`action=created`) is 400, so a
//! typo fails at once instead of waiting out its timeout.

use serde_json::Value;

use crate::api::Ctx;
use crate::error::{Error, Result, msg};
use crate::state::model::WebhookDelivery;

const MODELS: [&str; 4] = ["user", "tenant", "link", "verificationCode"];
const ACTIONS: [&str; 4] = ["create", "update", "delete", "send"];

/// The filters of one request; `None` matches anything.
#[derive(Debug, Default)]
pub struct WebhookFilter {
    model: Option<String>,
    action: Option<String>,
    mode: Option<String>,
    tenant_id: Option<String>,
    user_id: Option<String>,
    user_uuid: Option<String>,
    to: Option<String>,
}

impl WebhookFilter {
    /// Reads and checks the filters of the query.
    pub fn parse(ctx: &Ctx) -> Result<Self> {
        let q = &ctx.query;
        let model = q.get("model").cloned();
        if model.as_deref().is_some_and(|m| !MODELS.contains(&m)) {
            return Err(Error::bad_request(msg::WEBHOOK_MODEL));
        }
        let action = q.get("action").cloned();
        if action.as_deref().is_some_and(|a| !ACTIONS.contains(&a)) {
            return Err(Error::bad_request(msg::WEBHOOK_ACTION));
        }
        let mode = q.get("mode").cloned();
        if mode.as_deref().is_some_and(|m| m != "test" && m != "live") {
            return Err(Error::bad_request(msg::MODE_TEST_OR_LIVE));
        }
        Ok(WebhookFilter {
            model,
            action,
            mode,
            tenant_id: q.get("tenantId").cloned(),
            user_id: q.get("userId").cloned(),
            user_uuid: q.get("userUuid").cloned(),
            to: q.get("to").cloned(),
        })
    }

    fn is_empty(&self) -> bool {
        self.model.is_none()
            && self.action.is_none()
            && self.mode.is_none()
            && self.tenant_id.is_none()
            && self.user_id.is_none()
            && self.user_uuid.is_none()
            && self.to.is_none()
    }

    /// Whether `delivery` passes every filter given.
    pub fn matches(&self, delivery: &WebhookDelivery) -> bool {
        if self.is_empty() {
            return true;
        }
        // The body is kept as text (see `WebhookDelivery::body`); read it only when filtering.
        let Ok(body) = serde_json::from_str::<Value>(&delivery.body) else {
            return false;
        };
        let record = &body["record"];
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let exact = |want: &Option<String>, have: &Value| {
            want.as_deref()
                .is_none_or(|w| text(have).is_some_and(|h| h == w))
        };
        let caseless = |want: &Option<String>, have: &Value| {
            want.as_deref()
                .is_none_or(|w| text(have).is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        exact(&self.model, &body["model"])
            && exact(&self.action, &body["action"])
            && exact(&self.mode, &body["mode"])
            && caseless(&self.tenant_id, &record["tenantId"])
            && exact(&self.user_id, &record["userId"])
            && caseless(&self.user_uuid, &record["userUuid"])
            && caseless(&self.to, &record["to"])
    }
}
