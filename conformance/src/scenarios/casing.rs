//! Where the contract ignores case: the `Authorization` header name (conventions C-5: the JS
//! client sends both `authorization` and `Authorization`), and emails, usernames and string
//! filters (C-3: stored lowercase, unique case-insensitively; CS-1 and CS-4: `emailOrUsername`
//! matched case-insensitively; C-10.3: string comparisons ignore case). The case of the
//! `Bearer` scheme word is not asserted: C-5 says nothing about it.

use serde_json::{Value, json};

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "auth.header.name_case_is_ignored",
            Group::Auth,
            header_spellings,
        )
        .checks(&["C-5"]),
        Scenario::new(
            "users.case.usernames_and_filters_fold_case",
            Group::Users,
            usernames_and_filters,
        )
        .checks(&["C-3", "CS-1", "CS-4", "C-10.3"]),
    ]
}

/// Spellings of the header name a client may send; the first is what reqwest sends.
const SPELLINGS: &[&str] = &[
    "authorization",
    "Authorization",
    "AUTHORIZATION",
    "aUtHoRiZaTiOn",
];

/// Every spelling of the header name gets the same answer, for a user JWT, the admin API key
/// and an unknown credential (refused as unknown, not as missing: the header was read).
async fn header_spellings(cx: Cx) -> Outcome {
    let email = cx.email("spelling");
    let (signed, tokens) = flows::signup(&cx, &email, PASSWORD).await?;
    let uuid = signed["userUuid"].as_str().unwrap_or("").to_owned();
    let by_key = format!("/v0/tenants/{}/users/{uuid}", cx.tenant());
    let cases: [(&str, &str, String, u16); 3] = [
        ("a user JWT", "/v0/self", tokens.access.clone(), 200),
        ("the admin key", by_key.as_str(), cx.admin().to_owned(), 200),
        (
            "an unknown key",
            by_key.as_str(),
            "uf_test_admin_nothere1_00".into(),
            401,
        ),
    ];
    for (what, path, credential, status) in cases {
        let mut first: Option<Value> = None;
        for name in SPELLINGS {
            let (got, body) = cx
                .raw_get(path, name, &format!("Bearer {credential}"))
                .await?;
            ensure!(
                got == status,
                "GET {path} with {what} under the header name {name:?}: expected {status}, got {got}: {body}"
            );
            if status == 200 {
                ensure_eq!(
                    body["userUuid"],
                    uuid,
                    "{what} under {name:?} reads the user"
                );
            } else {
                ensure_eq!(body["message"], "Unauthorized", "{what} under {name:?}");
            }
            match &first {
                None => first = Some(body),
                Some(earlier) => ensure_eq!(
                    &body,
                    earlier,
                    "{what}: the answer under {name:?} is the one under {:?}",
                    SPELLINGS[0]
                ),
            }
        }
    }
    Ok(())
}

/// `Ab` → `aB` and so on: every letter's case flipped.
fn flip_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_uppercase() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c.to_uppercase().next().unwrap_or(c)
            }
        })
        .collect()
}

/// A username given in mixed case is stored lowercase, logs in under another casing, and is
/// taken for any casing; user search finds emails and usernames under other casings.
async fn usernames_and_filters(cx: Cx) -> Outcome {
    let username = format!("Mixed-{}-Name", cx.unique("Un"));
    let email = cx.email("UsrCase").replace("cf-", "Cf-");
    let (body, _) = flows::signup_with(
        &cx,
        json!({ "email": email, "username": username, "password": PASSWORD }),
        None,
    )
    .await?;
    ensure_eq!(body["username"], username.to_lowercase(), "stored username");
    ensure_eq!(body["email"], email.to_lowercase(), "stored email");
    let (again, _) = flows::login(&cx, &flip_case(&username), PASSWORD).await?;
    ensure_eq!(
        again["userUuid"],
        body["userUuid"],
        "login by username in another case"
    );
    let (by_email, _) = flows::login(&cx, &email.to_uppercase(), PASSWORD).await?;
    ensure_eq!(
        by_email["userUuid"],
        body["userUuid"],
        "login by email in upper case"
    );
    cx.post(format!("/v0/tenants/{}/auth/create", cx.tenant()))
        .json(json!({
            "email": cx.email("other"),
            "username": username.to_uppercase(),
            "password": PASSWORD,
        }))
        .send()
        .await?
        .err(400, "Username exists")?;
    let uuid = body["userUuid"].clone();
    let searches = [
        ("email", "is", email.to_uppercase()),
        ("email", "contains", flip_case(&email[..email.len() - 4])),
        ("username", "is", flip_case(&username)),
        ("username", "contains", username.to_uppercase()),
    ];
    for (attr, comparison, value) in searches {
        let found = cx
            .post("/v0/users/find")
            .bearer(cx.admin())
            .json(json!({ "filters": { "conjunction": "and", "filterGroups": [{
                "conjunction": "and",
                "filters": [{ "attr": attr, "type": "string", "comparison": comparison, "value": value }]
            }] } }))
            .send()
            .await?
            .ok()?;
        let uuids: Vec<&Value> = found["results"]
            .as_array()
            .map(|r| r.iter().map(|u| &u["userUuid"]).collect())
            .unwrap_or_default();
        ensure_eq!(
            uuids,
            vec![&uuid],
            "search {attr} {comparison} {value:?} finds the one user whatever the case"
        );
    }
    Ok(())
}
