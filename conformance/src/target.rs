//! The implementation under test: its base URL, the credentials the scenarios need, whether it
//! has the mock control surface, and the records the run created there (deleted afterwards).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::Value;

use crate::contract::{Contract, OpenApi};
use crate::http::{self, Request};

/// Test or live data of a workspace (conventions C-3, C-4), as the contract defines it.
pub use userfront_contract::Mode;

/// What a target must be told (or what the mock control surface can tell): the workspace to
/// test in and its API keys.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Credentials {
    /// The workspace (root tenant) the scenarios create their data in.
    pub tenant_id: Option<String>,
    pub admin_key: Option<String>,
    pub readonly_key: Option<String>,
    pub webhook_key: Option<String>,
    pub live_admin_key: Option<String>,
    pub live_readonly_key: Option<String>,
    /// An `https` origin on a live domain of the workspace: browser calls from it are live.
    pub live_origin: Option<String>,
    /// A second workspace, for cross-tenant boundaries.
    pub other_tenant_id: Option<String>,
    pub other_admin_key: Option<String>,
}

impl Credentials {
    /// Fills what is still missing from the summary of `GET /__mock/state`.
    pub fn fill_from_mock_state(&mut self, state: &Value) {
        let workspaces = state["workspaces"].as_array().cloned().unwrap_or_default();
        let Some(home) = workspaces
            .iter()
            .find(|w| Some(w["tenantId"].as_str().unwrap_or("")) == self.tenant_id.as_deref())
            .or_else(|| workspaces.first())
            .cloned()
        else {
            return;
        };
        let text = |v: &Value| v.as_str().map(str::to_owned);
        self.tenant_id = self.tenant_id.take().or_else(|| text(&home["tenantId"]));
        let keys = |mode: &str, kind: &str| text(&home["modes"][mode]["apiKeys"][kind]);
        self.admin_key = self.admin_key.take().or_else(|| keys("test", "admin"));
        self.readonly_key = self
            .readonly_key
            .take()
            .or_else(|| keys("test", "readonly"));
        self.webhook_key = self.webhook_key.take().or_else(|| keys("test", "webhook"));
        self.live_admin_key = self.live_admin_key.take().or_else(|| keys("live", "admin"));
        self.live_readonly_key = self
            .live_readonly_key
            .take()
            .or_else(|| keys("live", "readonly"));
        if self.live_origin.is_none() && home["hasActivatedLiveMode"] == true {
            self.live_origin = home["liveDomains"][0]
                .as_str()
                .map(|d| format!("https://{d}"));
        }
        if let Some(other) = workspaces
            .iter()
            .find(|w| w["tenantId"] != home["tenantId"])
        {
            self.other_tenant_id = self
                .other_tenant_id
                .take()
                .or_else(|| text(&other["tenantId"]));
            if self.other_tenant_id.as_deref() == other["tenantId"].as_str() {
                self.other_admin_key = self
                    .other_admin_key
                    .take()
                    .or_else(|| text(&other["modes"]["test"]["apiKeys"]["admin"]));
            }
        }
    }
}

/// Something a scenario needs from the target beyond the workspace and its test admin key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// `/__mock/*`: clock, outbox, reset, settings.
    MockControls,
    /// The test-mode read-only key.
    Readonly,
    /// The test-mode webhook key.
    Webhook,
    /// Live mode: the live admin key and a live origin.
    Live,
    /// A second workspace and its test admin key.
    OtherTenant,
}

/// A record the run created and deletes at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    User {
        mode: Mode,
        user_uuid: String,
    },
    Tenant {
        mode: Mode,
        tenant_id: String,
    },
    Role {
        mode: Mode,
        tenant_id: String,
        name: String,
    },
    ApiKey {
        mode: Mode,
        key: String,
    },
    Import {
        mode: Mode,
        uuid: String,
    },
}

/// A resolved target.
pub struct Target {
    pub base: String,
    pub http: reqwest::Client,
    pub tenant_id: String,
    pub admin_key: String,
    pub creds: Credentials,
    /// Whether `/__mock/*` answered the probe.
    pub mock_controls: bool,
    /// Unique per run: every email, username and tenant name the run creates carries it.
    pub run_id: String,
    pub seed: u64,
    /// Generated cases per property.
    pub cases: u32,
    pub contract: Box<dyn Contract>,
    /// An answer slower than this gets a warning.
    pub slow: std::time::Duration,
    created: Mutex<Vec<Created>>,
    counter: AtomicU64,
}

impl Target {
    /// Probes `base` for the mock control surface and completes the credentials from it.
    pub async fn connect(
        base: &str,
        mut creds: Credentials,
        seed: u64,
        cases: u32,
    ) -> Result<Target, String> {
        let base = base.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let probe = Request::new(reqwest::Method::GET, "/__mock/clock");
        let (_, answer) = http::send(&http, &base, &probe).await;
        let mock_controls = match answer {
            Ok(r) => r.status == 200 && r.body["now"].is_string(),
            Err(e) => return Err(format!("cannot reach {base}: {e}")),
        };
        if mock_controls {
            let state = Request::new(reqwest::Method::GET, "/__mock/state");
            if let (_, Ok(r)) = http::send(&http, &base, &state).await {
                creds.fill_from_mock_state(&r.body);
            }
        }
        let tenant_id = creds
            .tenant_id
            .clone()
            .ok_or("the target has no mock controls: give --tenant-id")?;
        let admin_key = creds
            .admin_key
            .clone()
            .ok_or("the target has no mock controls: give --admin-key (a test-mode admin key)")?;
        let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        Ok(Target {
            base,
            http,
            tenant_id,
            admin_key,
            creds,
            mock_controls,
            run_id,
            seed,
            cases,
            contract: Box::new(OpenApi),
            slow: crate::scenario::SLOW_ANSWER,
            created: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
        })
    }

    /// Why a scenario with this need cannot run here, if it cannot.
    pub fn lacks(&self, need: Need) -> Option<&'static str> {
        let c = &self.creds;
        match need {
            Need::MockControls if !self.mock_controls => {
                Some("the target has no /__mock control surface")
            }
            Need::Readonly if c.readonly_key.is_none() => Some("needs --readonly-key"),
            Need::Webhook if c.webhook_key.is_none() => Some("needs --webhook-key"),
            Need::Live if c.live_admin_key.is_none() || c.live_origin.is_none() => {
                Some("needs --live-admin-key and --live-origin")
            }
            Need::OtherTenant if c.other_tenant_id.is_none() || c.other_admin_key.is_none() => {
                Some("needs --other-tenant-id and --other-admin-key")
            }
            _ => None,
        }
    }

    /// A number never handed out before in this run.
    pub fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// Remembers a record for deletion at the end of the run.
    pub fn created(&self, record: Created) {
        if let Ok(mut list) = self.created.lock() {
            list.push(record);
        }
    }

    /// The admin key of a mode, if known.
    pub fn admin_key_of(&self, mode: Mode) -> Option<&str> {
        match mode {
            Mode::Test => Some(&self.admin_key),
            Mode::Live => self.creds.live_admin_key.as_deref(),
        }
    }

    /// Deletes everything the run created, newest first. Returns what could not be deleted:
    /// refused or unanswered deletions, and (when the target answers too slowly) the records
    /// not tried within [`CLEANUP_BUDGET`] — a misbehaving target bounds the clean-up, it never
    /// hangs the run, and every record it keeps is listed.
    pub async fn clean_up(&self) -> Vec<String> {
        let records: Vec<Created> = self
            .created
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default();
        let mut left = Vec::new();
        let deadline = std::time::Instant::now() + CLEANUP_BUDGET;
        let attempted: Vec<String> = records
            .iter()
            .filter_map(|r| match r {
                Created::User { user_uuid, .. } => Some(user_uuid.clone()),
                _ => None,
            })
            .collect();
        for record in records.into_iter().rev() {
            if std::time::Instant::now() >= deadline {
                left.push(format!(
                    "{record:?}: not tried, the clean-up ran out of its {} s",
                    CLEANUP_BUDGET.as_secs()
                ));
                continue;
            }
            let (mode, method, path, body) = match &record {
                Created::User { mode, user_uuid } => {
                    (*mode, "DELETE", format!("/v0/users/{user_uuid}"), None)
                }
                Created::Tenant { mode, tenant_id } => {
                    (*mode, "DELETE", format!("/v0/tenants/{tenant_id}"), None)
                }
                Created::Role {
                    mode,
                    tenant_id,
                    name,
                } => (
                    *mode,
                    "DELETE",
                    format!("/v0/tenants/{tenant_id}/roles/{}", encode(name)),
                    None,
                ),
                Created::ApiKey { mode, key } => (
                    *mode,
                    "DELETE",
                    "/v0/keys".to_owned(),
                    Some(serde_json::json!({ "key": key })),
                ),
                Created::Import { mode, uuid } => {
                    (*mode, "DELETE", format!("/v0/user-import/{uuid}"), None)
                }
            };
            let Some(key) = self.admin_key_of(mode) else {
                left.push(format!("{record:?}: no {} admin key", mode.as_str()));
                continue;
            };
            let mut request = Request::new(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::DELETE),
                path,
            );
            request
                .headers
                .push(("authorization".into(), format!("Bearer {key}")));
            request.body = body;
            let remaining = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok((exchange, answer)) = tokio::time::timeout(
                remaining.min(CLEANUP_REQUEST),
                http::send(&self.http, &self.base, &request),
            )
            .await
            else {
                left.push(format!(
                    "{record:?}: {method} {} got no answer within {} s",
                    request.path,
                    remaining.min(CLEANUP_REQUEST).as_secs()
                ));
                continue;
            };
            // A 404 means the record is gone already (deleted by its scenario, or with its
            // tenant); for users only `User not found` says so, a bare `Not Found` is a
            // target without the delete route.
            let gone = |r: &http::Response| match record {
                Created::User { .. } => r.status == 404 && r.body["message"] != "Not Found",
                Created::ApiKey { .. } => r.status == 400 && r.body["message"] == "Invalid API key",
                _ => r.status == 404,
            };
            match answer {
                Ok(r) if r.status == 200 || gone(&r) => {}
                _ => left.push(exchange.describe()),
            }
        }
        for mode in [Mode::Test, Mode::Live] {
            self.sweep_users(mode, deadline, &attempted, &mut left)
                .await;
        }
        left
    }

    /// Deletes the users of the run a scenario could not register (a sign-up answer without
    /// its `userUuid`, a scenario stopped half-way): every user whose email starts with the run
    /// prefix, found with the documented search. What it cannot delete is listed.
    async fn sweep_users(
        &self,
        mode: Mode,
        deadline: std::time::Instant,
        attempted: &[String],
        left: &mut Vec<String>,
    ) {
        let Some(key) = self.admin_key_of(mode) else {
            return;
        };
        let prefix = format!("cf-{}-", self.run_id);
        // Users whose deletion was tried already are listed already if it failed.
        let mut tried: Vec<String> = attempted.to_vec();
        // Each round deletes one page; a bounded number of rounds, inside the clean-up budget.
        for _ in 0..SWEEP_ROUNDS {
            let remaining = deadline.saturating_duration_since(std::time::Instant::now());
            if remaining.is_zero() {
                left.push(format!(
                    "{} users named {prefix}...: not searched, the clean-up ran out of time",
                    mode.as_str()
                ));
                return;
            }
            let mut find = Request::new(reqwest::Method::POST, "/v0/users/find");
            find.headers
                .push(("authorization".into(), format!("Bearer {key}")));
            find.body = Some(
                serde_json::json!({ "filters": { "conjunction": "and", "filterGroups": [
                { "conjunction": "and", "filters": [
                    { "attr": "email", "type": "string", "comparison": "starts with", "value": prefix }
                ] }
            ] } }),
            );
            let Ok((_, Ok(found))) = tokio::time::timeout(
                remaining.min(CLEANUP_REQUEST),
                http::send(&self.http, &self.base, &find),
            )
            .await
            else {
                return;
            };
            // A target without the search (or refusing it) cannot be swept; nothing to list.
            let uuids: Vec<String> = found.body["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|u| u["email"].as_str().is_some_and(|e| e.starts_with(&prefix)))
                .filter_map(|u| u["userUuid"].as_str().map(str::to_owned))
                .filter(|u| !tried.contains(u))
                .collect();
            if found.status != 200 || uuids.is_empty() {
                return;
            }
            for uuid in uuids {
                let mut delete = Request::new(reqwest::Method::DELETE, format!("/v0/users/{uuid}"));
                delete
                    .headers
                    .push(("authorization".into(), format!("Bearer {key}")));
                let answer = tokio::time::timeout(
                    CLEANUP_REQUEST,
                    http::send(&self.http, &self.base, &delete),
                )
                .await;
                match answer {
                    Ok((_, Ok(r))) if r.status == 200 => {}
                    Ok((exchange, _)) => left.push(exchange.describe()),
                    Err(_) => left.push(format!(
                        "DELETE /v0/users/{uuid} ({} user of the run) got no answer",
                        mode.as_str()
                    )),
                }
                tried.push(uuid);
            }
        }
    }
}

/// The longest the clean-up of a run may take (a target that hangs must not hang the run).
pub const CLEANUP_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

/// Pages of the run's users the sweep deletes at most (24 a page).
const SWEEP_ROUNDS: usize = 20;

/// The longest one clean-up request may take.
pub const CLEANUP_REQUEST: std::time::Duration = std::time::Duration::from_secs(5);

/// Percent-encodes a path segment.
pub fn encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
