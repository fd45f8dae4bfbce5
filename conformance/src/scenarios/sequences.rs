//! Stateful sequences: generated series of operations on a handful of users, each answer
//! compared with a reference model the runner keeps. A failing series shrinks to the shortest
//! one that still fails, printed as the operations and their `curl` lines.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::flows::{self, PASSWORD};
use crate::props;
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario, fail};
use crate::target::Mode;
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("auth.property.sequences", Group::Auth, sequences)
            .tags(&["property", "stateful"]),
    ]
}

/// Users a sequence plays with (few, so that operations collide).
const SLOTS: usize = 2;

/// One operation of a sequence.
#[derive(Clone, Debug)]
pub enum Op {
    /// Sign up the slot's address (in upper case when `shout`).
    Signup { slot: usize, shout: bool },
    /// Log in with the right or a wrong password.
    Login { slot: usize, right: bool },
    /// `PUT /v0/self` with a new name.
    Rename { slot: usize, name: String },
    /// `PUT /v0/self` merging one data member.
    Merge {
        slot: usize,
        key: String,
        value: i64,
    },
    /// `GET /v0/self`.
    Read { slot: usize },
    /// `GET /v0/auth/refresh`.
    Refresh { slot: usize },
    /// `GET /v0/auth/logout`.
    Logout { slot: usize },
    /// `PUT /v0/users/{userId}` with a new name (admin key).
    AdminRename { slot: usize, name: String },
    /// `PUT /v0/users/{userId}/roles` with the sequence's role, or none.
    SetRole { slot: usize, on: bool },
    /// `DELETE /v0/users/{userId}`.
    Delete { slot: usize },
    /// `POST /v0/users/find` for the sequence's users.
    Search,
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    // Two unions (one of more than ten arms would be boxed, and not `Send`).
    let user_side = prop_oneof![
        3 => (slot.clone(), any::<bool>()).prop_map(|(slot, shout)| Op::Signup { slot, shout }),
        2 => (slot.clone(), prop::bool::weighted(0.8)).prop_map(|(slot, right)| Op::Login { slot, right }),
        2 => (slot.clone(), "[A-Z][a-z]{0,8}").prop_map(|(slot, name)| Op::Rename { slot, name }),
        3 => (slot.clone(), "[a-c]", 0..100i64).prop_map(|(slot, key, value)| Op::Merge { slot, key, value }),
        2 => slot.clone().prop_map(|slot| Op::Read { slot }),
        1 => slot.clone().prop_map(|slot| Op::Refresh { slot }),
        1 => slot.clone().prop_map(|slot| Op::Logout { slot }),
    ];
    let admin_side = prop_oneof![
        1 => (slot.clone(), "[A-Z][a-z]{0,8}").prop_map(|(slot, name)| Op::AdminRename { slot, name }),
        2 => (slot.clone(), any::<bool>()).prop_map(|(slot, on)| Op::SetRole { slot, on }),
        1 => slot.prop_map(|slot| Op::Delete { slot }),
        1 => Just(Op::Search),
    ];
    prop_oneof![14 => user_side, 5 => admin_side]
}

/// What the runner believes about one user.
#[derive(Clone, Debug, Default)]
struct ModelUser {
    user_id: Option<Value>,
    user_uuid: String,
    /// Whether the user holds the sequence's role.
    role: bool,
    name: String,
    data: Map<String, Value>,
    /// The tokens of the slot's latest sign-on, and whether that session is still open.
    access: Option<String>,
    refresh: Option<String>,
    session_open: bool,
}

/// The reference model: a map of slots, nothing more.
#[derive(Default)]
struct Model {
    users: BTreeMap<usize, ModelUser>,
}

async fn sequences(cx: Cx) -> Outcome {
    let role = cx.unique("seqrole");
    flows::create_role(&cx, "/v0", &role).await?;
    let strategy = prop::collection::vec(op(), 1..14);
    props::check(&cx, strategy, move |cx, ops| {
        let role = role.clone();
        async move {
            let prefix = cx.unique("seq");
            let email = |slot: usize| format!("{prefix}-{slot}@example.com");
            let mut model = Model::default();
            for (step, op) in ops.iter().enumerate() {
                let seq = Seq {
                    prefix: &prefix,
                    role: &role,
                };
                apply(&cx, &mut model, op, &email(op_slot(op)), &seq)
                    .await
                    .map_err(|e| match e {
                        crate::scenario::Failure::Fail(m) => {
                            fail(format!("step {} {op:?}: {m}", step + 1))
                        }
                        other => other,
                    })?;
            }
            Ok(())
        }
    })
    .await
}

/// What every step of one sequence shares.
struct Seq<'a> {
    prefix: &'a str,
    role: &'a str,
}

fn op_slot(op: &Op) -> usize {
    match op {
        Op::Signup { slot, .. }
        | Op::Login { slot, .. }
        | Op::Rename { slot, .. }
        | Op::Merge { slot, .. }
        | Op::Read { slot }
        | Op::Refresh { slot }
        | Op::Logout { slot }
        | Op::AdminRename { slot, .. }
        | Op::SetRole { slot, .. }
        | Op::Delete { slot } => *slot,
        Op::Search => 0,
    }
}

fn remember_sign_on(user: &mut ModelUser, body: &Value) {
    user.access = body["tokens"]["access"]["value"]
        .as_str()
        .map(str::to_owned);
    user.refresh = body["tokens"]["refresh"]["value"]
        .as_str()
        .map(str::to_owned);
    user.session_open = true;
}

/// The `authorization` the model expects for a user.
fn expected_authorization(cx: &Cx, user: &ModelUser, role: &str) -> Value {
    if user.role {
        json!({ cx.tenant(): { "roles": [role] } })
    } else {
        json!({})
    }
}

async fn apply(cx: &Cx, model: &mut Model, op: &Op, email: &str, seq: &Seq<'_>) -> Outcome {
    let tenant = cx.tenant().to_owned();
    let slot = op_slot(op);
    let exists = model.users.get(&slot).is_some_and(|u| u.user_id.is_some());
    match op {
        Op::Signup { shout, .. } => {
            let address = if *shout {
                email.to_uppercase()
            } else {
                email.to_owned()
            };
            let resp = cx
                .post(format!("/v0/tenants/{tenant}/auth/create"))
                .json(json!({ "email": address, "password": PASSWORD, "options": { "noSignupEmail": true } }))
                .send()
                .await?;
            if exists {
                resp.err(400, "Email exists")?;
            } else {
                cx.created_user(Mode::Test, resp.body());
                let body = resp.ok()?;
                ensure_eq!(body["email"], email, "stored email");
                let user = ModelUser {
                    user_id: Some(body["userId"].clone()),
                    user_uuid: body["userUuid"].as_str().unwrap_or("").to_owned(),
                    ..ModelUser::default()
                };
                model.users.insert(slot, user);
                let user = model.users.entry(slot).or_default();
                remember_sign_on(user, &body);
            }
        }
        Op::Login { right, .. } => {
            let password = if *right { PASSWORD } else { "Wrong-passw0rd" };
            let resp = cx
                .post(format!("/v0/tenants/{tenant}/auth/basic"))
                .json(json!({ "emailOrUsername": email, "password": password }))
                .send()
                .await?;
            if exists && *right {
                let body = resp.ok()?;
                let user = model.users.entry(slot).or_default();
                ensure_eq!(Some(body["userId"].clone()), user.user_id, "logged-in user");
                remember_sign_on(user, &body);
            } else {
                resp.err(400, "Incorrect email or password")?;
            }
        }
        Op::Rename { name, .. } | Op::Merge { key: name, .. } => {
            let Some(user) = model.users.get_mut(&slot) else {
                return Ok(());
            };
            let Some(access) = user.access.clone() else {
                return Ok(());
            };
            let patch = match op {
                Op::Merge { key, value, .. } => json!({ "data": { key: value } }),
                _ => json!({ "name": name }),
            };
            let resp = cx
                .put("/v0/self")
                .bearer(&access)
                .json(patch)
                .send()
                .await?;
            if user.session_open {
                let body = resp.ok()?;
                match op {
                    Op::Merge { key, value, .. } => {
                        user.data.insert(key.clone(), json!(value));
                    }
                    _ => user.name = name.clone(),
                }
                ensure_eq!(body["name"], user.name, "name after the update");
                ensure_eq!(
                    body["data"],
                    Value::Object(user.data.clone()),
                    "data after the update"
                );
            } else {
                resp.err(401, "Unauthorized")?;
            }
        }
        Op::Read { .. } => {
            let Some(user) = model.users.get(&slot) else {
                return Ok(());
            };
            let Some(access) = &user.access else {
                return Ok(());
            };
            let resp = cx.get("/v0/self").bearer(access).send().await?;
            if user.session_open {
                let body = resp.ok()?;
                ensure_eq!(body["email"], email, "email");
                ensure_eq!(body["name"], user.name, "name");
                ensure_eq!(body["data"], Value::Object(user.data.clone()), "data");
                ensure_eq!(
                    body["authorization"],
                    expected_authorization(cx, user, seq.role),
                    "authorization"
                );
            } else {
                resp.err(401, "Unauthorized")?;
            }
        }
        Op::Refresh { .. } => {
            let Some(user) = model.users.get(&slot) else {
                return Ok(());
            };
            let Some(refresh) = &user.refresh else {
                return Ok(());
            };
            let resp = cx.get("/v0/auth/refresh").bearer(refresh).send().await?;
            if user.session_open {
                let body = resp.ok()?;
                let id = body["tokens"]["id"]["value"].as_str().unwrap_or("");
                let claims = cx.verify_token(id, Mode::Test).await?;
                ensure_eq!(claims["name"], user.name, "name in the refreshed ID token");
                let access = body["tokens"]["access"]["value"].as_str().unwrap_or("");
                let claims = cx.verify_token(access, Mode::Test).await?;
                ensure_eq!(
                    claims["authorization"],
                    expected_authorization(cx, user, seq.role),
                    "authorization claim after a refresh"
                );
            } else {
                resp.err(401, "Invalid token")?;
            }
        }
        Op::Logout { .. } => {
            let Some(user) = model.users.get_mut(&slot) else {
                return Ok(());
            };
            let Some(access) = &user.access else {
                return Ok(());
            };
            let body = cx
                .get("/v0/auth/logout")
                .bearer(access)
                .send()
                .await?
                .ok()?;
            ensure!(body["redirectTo"].is_string(), "logout redirectTo");
            user.session_open = false;
        }
        Op::AdminRename { name, .. } => {
            let Some(user) = model.users.get_mut(&slot).filter(|u| u.user_id.is_some()) else {
                return Ok(());
            };
            let body = cx
                .put(format!("/v0/users/{}", user.user_uuid))
                .bearer(cx.admin())
                .json(json!({ "name": name }))
                .send()
                .await?
                .ok()?;
            user.name = name.clone();
            ensure_eq!(body["name"], user.name, "name after the admin update");
            ensure_eq!(
                body["data"],
                Value::Object(user.data.clone()),
                "data after the admin update"
            );
        }
        Op::SetRole { on, .. } => {
            let Some(user) = model.users.get_mut(&slot).filter(|u| u.user_id.is_some()) else {
                return Ok(());
            };
            let roles = if *on { json!([seq.role]) } else { json!([]) };
            let body = cx
                .put(format!("/v0/users/{}/roles", user.user_uuid))
                .bearer(cx.admin())
                .json(json!({ "roles": roles }))
                .send()
                .await?
                .ok()?;
            user.role = *on;
            ensure_eq!(
                body["authorization"],
                expected_authorization(cx, user, seq.role),
                "authorization after setting roles"
            );
        }
        Op::Delete { .. } => {
            let Some(user) = model.users.get_mut(&slot).filter(|u| u.user_id.is_some()) else {
                return Ok(());
            };
            let body = cx
                .delete(format!("/v0/users/{}", user.user_uuid))
                .bearer(cx.admin())
                .send()
                .await?
                .ok()?;
            ensure_eq!(body["userUuid"], user.user_uuid, "the deleted user");
            // Its tokens stay in the slot and must now be refused.
            user.user_id = None;
            user.session_open = false;
        }
        Op::Search => {
            let body = cx
                .post("/v0/users/find")
                .bearer(cx.admin())
                .json(json!({ "filters": { "conjunction": "and", "filterGroups": [ { "conjunction": "and", "filters": [
                    { "attr": "email", "type": "string", "comparison": "starts with", "value": format!("{}-", seq.prefix) }
                ] } ] } }))
                .send()
                .await?
                .ok()?;
            let mut found: Vec<String> = body["results"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|u| u["userUuid"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            let mut expected: Vec<String> = model
                .users
                .values()
                .filter(|u| u.user_id.is_some())
                .map(|u| u.user_uuid.clone())
                .collect();
            expected.sort();
            ensure_eq!(found, expected, "users found");
        }
    }
    Ok(())
}
