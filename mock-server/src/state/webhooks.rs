//! Webhook events (conventions C-15): what is recorded, and what is queued for delivery.
//!
//! Every user and tenant create/update/delete is recorded in the world's webhook log (readable at
//! `/__mock/webhooks`), with or without a configured URL, so tests can assert on events without
//! running a receiver. When the tenant has a URL for the event, a [`DeliveryJob`] goes to the
//! delivery task (see `crate::webhooks`), which POSTs it and writes the receiver's status back.
//! Delivery is fire-and-forget: a failing receiver never affects the API call.

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

use super::bounded::{Logged, truncate_text, truncation_marker, value_cost};
use super::clock::format_iso;
use super::model::*;
use super::{WEBHOOK_LOG_LIMIT, World, ids};

/// Most bytes the delivery log keeps (see [`super::bounded`]); with [`WEBHOOK_LOG_LIMIT`]
/// entries.
pub const WEBHOOK_LOG_BYTES: usize = 16 * 1024 * 1024;
/// Largest body (JSON text) the log keeps whole. A larger one (a user with a large `data`) is
/// logged with the record's large members replaced by a truncation marker and `"truncated":
/// true`; the receiver still gets the whole body.
const BODY_KEEP: usize = 64 * 1024;
/// Longest member of a record kept in a truncated body.
const MEMBER_KEEP: usize = 1024;
/// Longest delivery error kept.
const ERROR_KEEP: usize = 1024;

impl Logged for WebhookDelivery {
    const MAX_ENTRIES: usize = WEBHOOK_LOG_LIMIT;
    const MAX_BYTES: usize = WEBHOOK_LOG_BYTES;

    fn cost(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.url.capacity()
            + value_cost(&Value::Object(self.headers.clone()))
            + self.body.len()
            + self.error.as_ref().map_or(0, String::capacity)
            + self.created_at.capacity()
    }
}

/// The text of a body as the log keeps it (see [`BODY_KEEP`]).
fn logged_body(body: &Value) -> Box<str> {
    let text = body.to_string();
    if text.len() <= BODY_KEEP {
        return text.into();
    }
    let mut kept = body.clone();
    if let Some(record) = kept.get_mut("record").and_then(Value::as_object_mut) {
        for member in record.values_mut() {
            let len = member.to_string().len();
            if len > MEMBER_KEEP {
                *member = Value::String(truncation_marker(len));
            }
        }
    }
    kept["truncated"] = Value::Bool(true);
    let mut text = kept.to_string();
    if text.len() > BODY_KEEP {
        kept["record"] = json!({ "truncated": true, "size": text.len() });
        text = kept.to_string();
    }
    text.into()
}

/// A POST the delivery task must make.
#[derive(Clone, Debug)]
pub struct DeliveryJob {
    pub id: Uuid,
    pub url: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// Where delivery jobs go.
pub type DeliverySender = UnboundedSender<DeliveryJob>;

/// Model of a webhook event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    User,
    Tenant,
}

/// Action of a webhook event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

fn strip_record(model: Model, mut record: Value) -> Value {
    if let Some(obj) = record.as_object_mut() {
        let excluded: &[&str] = match model {
            Model::User => &["lastActiveAt", "lastMessagedAt", "tenant", "updatedAt"],
            Model::Tenant => &["testTenantId"],
        };
        for key in excluded {
            obj.remove(*key);
        }
    }
    record
}

impl World {
    /// Records a user or tenant event of `tenant_id`'s realm and queues its delivery when the
    /// settings of `settings_tenant` name a URL for it.
    pub fn emit(
        &mut self,
        settings_tenant: &str,
        mode: Mode,
        model: Model,
        action: Action,
        record: Value,
    ) {
        let url = self.realm_of(settings_tenant, mode).ok().and_then(|realm| {
            let tenant = realm.tenants.get(settings_tenant)?;
            let s = &tenant.settings;
            match (model, action) {
                (Model::User, Action::Create) => s.user_created_webhook_url.clone(),
                (Model::User, Action::Update) => s.user_updated_webhook_url.clone(),
                (Model::User, Action::Delete) => s.user_deleted_webhook_url.clone(),
                (Model::Tenant, Action::Create) => s.tenant_created_webhook_url.clone(),
                (Model::Tenant, Action::Update) => s.tenant_updated_webhook_url.clone(),
                (Model::Tenant, Action::Delete) => s.tenant_deleted_webhook_url.clone(),
            }
        });
        let body = json!({
            "action": action.as_str(),
            "model": match model { Model::User => "user", Model::Tenant => "tenant" },
            "mode": mode.as_str(),
            "record": strip_record(model, record),
        });
        self.record_delivery(settings_tenant, mode, url, body);
    }

    /// Posts a captured message to the tenant's message webhook, when one is set (conventions
    /// C-15, last point).
    pub fn message_webhook(&mut self, tenant_id: &str, mode: Mode, entry: &OutboxEntry) {
        let url = self.realm_of(tenant_id, mode).ok().and_then(|realm| {
            let s = &realm.tenants.get(tenant_id)?.settings;
            match (entry.channel, entry.verification_code.is_some()) {
                (Channel::Sms, _) => s.verification_code_sms_webhook_url.clone(),
                (Channel::Email, true) => s.verification_code_email_webhook_url.clone(),
                (Channel::Email, false) => s.link_email_webhook_url.clone(),
            }
        });
        if url.is_some() {
            let body = json!({
                "action": "send",
                "model": if entry.verification_code.is_some() { "verificationCode" } else { "link" },
                "mode": mode.as_str(),
                "record": entry,
            });
            self.record_delivery(tenant_id, mode, url, body);
        }
    }

    /// The first active webhook key of a tenant's workspace in a mode.
    fn webhook_key(&self, tenant_id: &str, mode: Mode) -> Option<String> {
        let workspace = self.home(tenant_id).ok()?.workspace.clone();
        self.api_keys
            .values()
            .filter(|k| {
                k.key_type == KeyType::Webhook
                    && k.mode == mode
                    && k.is_active
                    && (*k.tenant_id == *tenant_id || k.tenant_id == workspace)
            })
            .min_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)))
            .map(|k| k.key.to_string())
    }

    fn record_delivery(&mut self, tenant_id: &str, mode: Mode, url: Option<String>, body: Value) {
        let authorization = self
            .webhook_key(tenant_id, mode)
            .map(|k| format!("Bearer {k}"));
        let id = ids::uuid();
        let mut headers = serde_json::Map::new();
        headers.insert("content-type".into(), json!("application/json"));
        if let Some(auth) = &authorization {
            headers.insert("authorization".into(), json!(auth));
        }
        self.webhooks.push_back(WebhookDelivery {
            id,
            url: url.clone().unwrap_or_default(),
            headers,
            body: logged_body(&body),
            status: None,
            error: None,
            created_at: format_iso(self.now()),
        });
        if let (Some(url), Some(tx)) = (url, &self.webhook_tx) {
            let _ = tx.send(DeliveryJob {
                id,
                url,
                authorization,
                body,
            });
        }
    }

    /// Writes the outcome of a delivery back into the log.
    pub fn delivery_done(&mut self, id: Uuid, status: Option<u16>, error: Option<String>) {
        self.webhooks.update_last(
            |d| d.id == id,
            |d| {
                d.status = status;
                d.error = error.map(|e| truncate_text(&e, ERROR_KEEP));
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::state::seed::Seed;

    /// Every user and tenant event goes to its own URL, with the webhook key of its mode.
    #[test]
    fn each_event_is_queued_for_its_url() {
        let mut world = World::from_seed(Arc::new(Seed::embedded().expect("embedded seed")));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        world.webhook_tx = Some(tx);
        let events = [
            (Model::User, Action::Create),
            (Model::User, Action::Update),
            (Model::User, Action::Delete),
            (Model::Tenant, Action::Create),
            (Model::Tenant, Action::Update),
            (Model::Tenant, Action::Delete),
        ];
        {
            let realm = world.realm_of_mut("demo1234", Mode::Live).unwrap();
            let s = &mut realm.root_mut().settings;
            for (i, url) in [
                &mut s.user_created_webhook_url,
                &mut s.user_updated_webhook_url,
                &mut s.user_deleted_webhook_url,
                &mut s.tenant_created_webhook_url,
                &mut s.tenant_updated_webhook_url,
                &mut s.tenant_deleted_webhook_url,
            ]
            .into_iter()
            .enumerate()
            {
                *url = Some(format!("https://hooks.example.com/{i}"));
            }
        }
        for (model, action) in events {
            world.emit("demo1234", Mode::Live, model, action, json!({"id": 1}));
        }
        // The same events in test mode have no URL: recorded, not queued.
        world.emit(
            "demo1234",
            Mode::Test,
            Model::User,
            Action::Create,
            json!({}),
        );
        let key = world
            .webhook_key("demo1234", Mode::Live)
            .expect("seeded key");
        assert!(key.starts_with("uf_live_webhook_demo1234_"));
        for (i, (model, action)) in events.into_iter().enumerate() {
            let job = rx.try_recv().expect("a queued delivery");
            assert_eq!(job.url, format!("https://hooks.example.com/{i}"));
            assert_eq!(
                job.authorization.as_deref(),
                Some(format!("Bearer {key}").as_str())
            );
            assert_eq!(job.body["action"], action.as_str());
            let model = if model == Model::User {
                "user"
            } else {
                "tenant"
            };
            assert_eq!(job.body["model"], model);
            assert_eq!(job.body["mode"], "live");
        }
        assert!(rx.try_recv().is_err());
        assert_eq!(world.webhooks.len(), 7);
    }
}
