//! User search (SS-5 `POST /v0/users/find`, SS-6 `GET /v0/users`) with the grammar of C-10:
//! every comparison, role search, ordering, paging, errors; then a property test against a
//! reference filter written the obvious way.

use crate::common;

use common::Harness;
use proptest::prelude::*;
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode};

async fn find(h: &Harness, body: Value) -> Value {
    h.post("/v0/users/find")
        .bearer(&h.key(Mode::Test, KeyType::Readonly))
        .json(body)
        .send()
        .await
        .ok()
}

fn ids(found: &Value) -> Vec<u64> {
    found["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|u| u["userId"].as_u64().expect("userId"))
        .collect()
}

/// `filters` with one group of the given conjunction.
fn group(conjunction: &str, filters: Vec<Value>) -> Value {
    json!({"conjunction": "and", "filterGroups": [{"conjunction": conjunction, "filters": filters}]})
}

fn filter(attr: &str, kind: &str, comparison: &str, value: Value) -> Value {
    json!({"attr": attr, "type": kind, "comparison": comparison, "value": value})
}

/// Users 5 … 8 next to the four seeded ones; 5, 6 and 7 active at known times.
async fn population(h: &Harness) {
    for body in [
        json!({"email": "zed@alpha.io", "username": "zed", "name": "Zed Alpha", "data": {"plan": "Pro", "seats": 5,
            "tags": ["a", "b"], "profile": {"city": "Oslo"}, "active": true}}),
        json!({"email": "anna@beta.io", "username": "anna", "name": "anna beta", "data": {"plan": "free", "seats": 1,
            "tags": ["b"], "active": false}}),
        json!({"email": "emile@alpha.io", "username": "emile", "name": "Émile", "phoneNumber": "+15550000007",
            "data": {"seats": 10, "tags": []}}),
        json!({"email": "blank@beta.io", "username": "blank"}),
    ] {
        h.create_user(body).await;
    }
    let admin = h.admin();
    h.post("/__mock/clock")
        .json(json!({"now": "2030-01-01T12:00:00.000Z"}))
        .send()
        .await
        .ok();
    for (user, advance_days) in [(5, 0), (6, 1), (7, 10)] {
        h.advance(advance_days * 86_400).await;
        h.post(&format!("/v0/users/{user}/active"))
            .bearer(&admin)
            .send()
            .await
            .ok();
    }
}

/// Asserts which users each single filter selects.
async fn expect_matches<const N: usize>(h: &Harness, cases: [(Value, Vec<u64>); N]) {
    for (f, expected) in cases {
        assert_eq!(
            matching(h, group("and", vec![f.clone()])).await,
            expected,
            "{f}"
        );
    }
}

async fn matching(h: &Harness, filters: Value) -> Vec<u64> {
    let mut found = ids(&find(h, json!({"filters": filters, "order": "createdAt_ASC"})).await);
    found.sort_unstable();
    found
}

#[tokio::test]
async fn string_comparisons_ignore_case() {
    let h = Harness::start().await;
    population(&h).await;
    let cases = [
        (filter("name", "string", "is", json!("ANNA BETA")), vec![6]),
        (
            filter("name", "string", "contains", json!("user")),
            vec![1, 2, 3, 4],
        ),
        (
            filter("name", "string", "does not contain", json!("USER")),
            vec![5, 6, 7, 8],
        ),
        (
            filter("name", "string", "starts with", json!("zed")),
            vec![5],
        ),
        (
            filter("name", "string", "ends with", json!("BETA")),
            vec![6],
        ),
        (filter("name", "string", "is unknown", Value::Null), vec![8]),
        (
            filter("name", "string", "has any value", Value::Null),
            vec![1, 2, 3, 4, 5, 6, 7],
        ),
        (filter("name", "string", "is", json!("émile")), vec![7]),
        (filter("name", "string", "contains", json!("ÉMI")), vec![7]),
        (
            filter("email", "string", "ends with", json!("@ALPHA.io")),
            vec![5, 7],
        ),
        (
            filter("phoneNumber", "string", "has any value", Value::Null),
            vec![7],
        ),
        (
            filter("phoneNumber", "string", "does not contain", json!("555")),
            vec![1, 2, 3, 4, 5, 6, 8],
        ),
        (filter("data.plan", "string", "is", json!("pro")), vec![5]),
        (
            filter("data.plan", "string", "is unknown", Value::Null),
            vec![1, 2, 3, 4, 7, 8],
        ),
        (
            filter("data.plan", "string", "does not contain", json!("PRO")),
            vec![1, 2, 3, 4, 6, 7, 8],
        ),
        (
            filter("data.profile.city", "string", "is", json!("oslo")),
            vec![5],
        ),
        (filter("username", "string", "is", json!("MEMBER")), vec![2]),
        (
            filter("mode", "string", "is", json!("test")),
            vec![1, 2, 3, 4, 5, 6, 7, 8],
        ),
    ];
    expect_matches(&h, cases).await;
}

#[tokio::test]
async fn boolean_number_and_array_comparisons() {
    let h = Harness::start().await;
    population(&h).await;
    let cases = [
        (
            filter("isEmailConfirmed", "boolean", "is", json!(false)),
            vec![4, 5, 6, 7, 8],
        ),
        (
            filter("isEmailConfirmed", "boolean", "is not", json!(false)),
            vec![1, 2, 3],
        ),
        (filter("data.active", "boolean", "is", json!(true)), vec![5]),
        // A missing value counts as false.
        (
            filter("data.active", "boolean", "is not", json!(true)),
            vec![1, 2, 3, 4, 6, 7, 8],
        ),
        (
            filter("data.active", "boolean", "is", json!(false)),
            vec![1, 2, 3, 4, 6, 7, 8],
        ),
        (filter("locked", "boolean", "is", json!(true)), vec![]),
        (filter("data.seats", "number", "is", json!(5)), vec![5]),
        (
            filter("data.seats", "number", "more than", json!(1)),
            vec![5, 7],
        ),
        (
            filter("data.seats", "number", "less than", json!(5)),
            vec![6],
        ),
        (
            filter("userId", "number", "more than", json!(6)),
            vec![7, 8],
        ),
        (
            filter("data.tags", "array", "contains", json!("A")),
            vec![5],
        ),
        (
            filter("data.tags", "array", "does not contain", json!("b")),
            vec![1, 2, 3, 4, 7, 8],
        ),
        (
            filter("data.tags", "array", "any", json!(["a", "x"])),
            vec![5],
        ),
        (filter("data.tags", "array", "any", json!(["x"])), vec![]),
        (filter("data.tags", "array", "any", Value::Null), vec![5, 6]),
    ];
    expect_matches(&h, cases).await;
}

#[tokio::test]
async fn date_comparisons_use_the_mock_clock() {
    let h = Harness::start().await;
    // The docs' example: users created in the last week, newest first.
    let recent = find(
        &h,
        json!({"order": "createdAt_DESC", "filters": group("and", vec![
            filter("createdAt", "date", "less than", json!(7))])}),
    )
    .await;
    assert_eq!(recent["totalCount"], 0, "seeded users are from 2024");
    population(&h).await;
    // now ≈ 2030-01-12T12:00; 5 active Jan 1, 6 Jan 2, 7 Jan 12 (all 12:00).
    let cases = [
        (
            filter("lastActiveAt", "date", "before", json!("2030-01-02")),
            vec![5],
        ),
        (
            filter("lastActiveAt", "date", "after", json!("2030-01-02")),
            vec![6, 7],
        ),
        (
            filter(
                "lastActiveAt",
                "date",
                "between",
                json!(["2030-01-01", "2030-01-02"]),
            ),
            vec![5, 6],
        ),
        (
            filter(
                "lastActiveAt",
                "date",
                "between",
                json!(["2030-01-01T00:00:00.000Z", "2030-01-02T00:00:00.000Z"]),
            ),
            vec![5],
        ),
        (
            filter("lastActiveAt", "date", "less than", json!(5)),
            vec![7],
        ),
        (
            filter("lastActiveAt", "date", "more than", json!(5)),
            vec![5, 6],
        ),
        (
            filter("lastActiveAt", "date", "more than", json!("10.5")),
            vec![5],
        ),
        (
            filter("lastActiveAt", "string", "is unknown", Value::Null),
            vec![1, 2, 3, 4, 8],
        ),
        (
            filter("createdAt", "date", "more than", json!(365)),
            vec![1, 2, 3, 4, 5, 6, 7, 8],
        ),
    ];
    expect_matches(&h, cases).await;
}

#[tokio::test]
async fn role_search_by_tenant_and_role() {
    let h = Harness::start().await;
    population(&h).await;
    let role = |value: &str| filter("role", "string", "is", json!(value));
    let cases = [
        (role("demo1234:admin"), vec![1]),
        (role(" demo1234 : member "), vec![2]),
        (role("DEMO1234:Viewer"), vec![3]),
        (role("demo1234"), vec![1, 2, 3]),
        (role("demo1234:owner"), vec![]),
        (role("abcd9876"), vec![]),
        (
            filter("role", "string", "is unknown", Value::Null),
            vec![4, 5, 6, 7, 8],
        ),
        (
            filter("role", "string", "has any value", Value::Null),
            vec![1, 2, 3],
        ),
        (filter("role", "string", "contains", json!(":mem")), vec![2]),
        (
            filter("role", "array", "contains", json!("demo1234:viewer")),
            vec![3],
        ),
        (
            filter(
                "role",
                "array",
                "any",
                json!(["demo1234:viewer", "demo1234:admin"]),
            ),
            vec![1, 3],
        ),
    ];
    expect_matches(&h, cases).await;
    // The docs' example body.
    let docs = find(
        &h,
        json!({"filters": {"conjunction": "and", "filterGroups": [{"conjunction": "and",
            "filters": [{"attr": "role", "type": "string", "comparison": "is", "value": "demo1234:admin"}]}]}}),
    )
    .await;
    assert_eq!(docs["totalCount"], 1);
    assert_eq!(docs["results"][0]["email"], "admin@example.com");
}

#[tokio::test]
async fn conjunctions_combine_filters_and_groups() {
    let h = Harness::start().await;
    population(&h).await;
    let zed = filter("name", "string", "contains", json!("zed"));
    let beta = filter("email", "string", "ends with", json!("@beta.io"));
    let seats = filter("data.seats", "number", "more than", json!(0));
    assert_eq!(
        matching(&h, group("or", vec![zed.clone(), beta.clone()])).await,
        vec![5, 6, 8]
    );
    assert!(
        matching(&h, group("and", vec![zed.clone(), beta.clone()]))
            .await
            .is_empty()
    );
    let two = |top: &str, inner: &str| {
        json!({"conjunction": top, "filterGroups": [
            {"conjunction": inner, "filters": [zed.clone(), beta.clone()]},
            {"conjunction": inner, "filters": [seats.clone()]}]})
    };
    assert_eq!(matching(&h, two("and", "or")).await, vec![5, 6]);
    assert_eq!(matching(&h, two("or", "or")).await, vec![5, 6, 7, 8]);
    assert_eq!(matching(&h, two("or", "and")).await, vec![5, 6, 7]);
    // No filters, an empty group list and an empty group all mean "everyone".
    for filters in [
        Value::Null,
        json!({"conjunction": "or", "filterGroups": []}),
        json!({"conjunction": "and", "filterGroups": [{"conjunction": "or", "filters": []}]}),
    ] {
        assert_eq!(matching(&h, filters).await.len(), 8);
    }
}

#[tokio::test]
async fn ordering_with_nulls_last_and_ties_by_id() {
    let h = Harness::start().await;
    population(&h).await;
    let order = |o: &'static str| {
        let h = &h;
        async move { ids(&find(h, json!({"order": o})).await) }
    };
    // Default: lastActiveAt descending, never-active users last, by id.
    assert_eq!(
        ids(&find(&h, json!({})).await),
        vec![7, 6, 5, 1, 2, 3, 4, 8]
    );
    assert_eq!(
        order("lastActiveAt_DESC").await,
        vec![7, 6, 5, 1, 2, 3, 4, 8]
    );
    assert_eq!(
        order("lastActiveAt_ASC").await,
        vec![5, 6, 7, 1, 2, 3, 4, 8]
    );
    assert_eq!(order("name_ASC").await, vec![8, 1, 6, 2, 4, 3, 5, 7]);
    assert_eq!(order("name_DESC").await, vec![7, 5, 3, 4, 2, 6, 1, 8]);
    assert_eq!(order("username_ASC").await, vec![1, 6, 8, 7, 2, 4, 3, 5]);
    // Seeded users share createdAt (2024-01-01): ties by userId in both directions.
    assert_eq!(order("createdAt_ASC").await, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(order("createdAt_DESC").await[4..], [1, 2, 3, 4]);
    let updated = order("updatedAt_DESC").await;
    assert_eq!(updated[4..], [1, 2, 3, 4]);
    for bad in [
        json!("email_ASC"),
        json!("name"),
        json!("name_UP"),
        json!(1),
    ] {
        h.post("/v0/users/find")
            .bearer(&h.admin())
            .json(json!({"order": bad}))
            .send()
            .await
            .err(400, "Invalid order");
    }
}

#[tokio::test]
async fn pages_hold_24_users() {
    let h = Harness::start().await;
    for i in 0..50 {
        h.create_user(json!({"email": format!("p{i:02}@example.com")}))
            .await;
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let found = find(&h, json!({"page": page, "order": "createdAt_ASC"})).await;
        assert_eq!(found["totalCount"], 54);
        assert_eq!(found["totalPages"], 3);
        assert_eq!(
            found["results"].as_array().unwrap().len(),
            if page < 3 { 24 } else { 6 }
        );
        seen.extend(ids(&found));
    }
    assert_eq!(seen, (1..=54).collect::<Vec<u64>>());
    let past = find(&h, json!({"page": 4})).await;
    assert_eq!(past["results"], json!([]));
    assert_eq!(past["totalCount"], 54);
    for bad in [json!(0), json!(-1), json!(1.5), json!("x")] {
        h.post("/v0/users/find")
            .bearer(&h.admin())
            .json(json!({"page": bad}))
            .send()
            .await
            .err(400, "\"page\" must be a positive integer");
    }
}

#[tokio::test]
async fn get_form_takes_url_encoded_json() {
    let h = Harness::start().await;
    population(&h).await;
    let filters = group(
        "or",
        vec![filter("email", "string", "ends with", json!("@alpha.io"))],
    );
    let posted = find(&h, json!({"filters": filters, "order": "name_ASC"})).await;
    let query = format!(
        "filters={}&order=name_ASC&page=1",
        common::url_encode(&filters.to_string())
    );
    for path in [
        format!("/v0/users?{query}"),
        format!("/v0/tenants/{DEMO_TENANT}/users?{query}"),
    ] {
        let got = h.get_as(&h.key(Mode::Test, KeyType::Readonly), &path).await;
        assert_eq!(got, posted, "{path}");
    }
    assert_eq!(ids(&posted), vec![5, 7]);
    // The tenant form of the POST answers the same.
    let tenant = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/users/find"))
        .bearer(&h.admin())
        .json(json!({"filters": filters, "order": "name_ASC"}))
        .send()
        .await
        .ok();
    assert_eq!(tenant, posted);
    // Without parameters: everyone, 24 per page.
    let all = h.get_as(&h.admin(), "/v0/users").await;
    assert_eq!(all["totalCount"], 8);
    h.get_refused(
        &h.admin(),
        "/v0/users?filters=%7Bnope",
        400,
        "Invalid filters",
    )
    .await;
    h.get_refused(&h.admin(), "/v0/users?order=up", 400, "Invalid order")
        .await;
}

#[tokio::test]
async fn malformed_filters_are_refused() {
    let h = Harness::start().await;
    let one = |f: Value| group("and", vec![f]);
    for filters in [
        json!("nope"),
        json!([1]),
        json!({"conjunction": "xor", "filterGroups": []}),
        json!({"conjunction": "and", "filterGroups": [{"conjunction": "nor", "filters": []}]}),
        json!({"conjunction": "and", "filterGroups": "x"}),
        one(json!({"attr": "name", "type": "string", "comparison": "is"})),
        one(filter("name", "text", "is", json!("x"))),
        one(filter("name", "string", "more than", json!("x"))),
        one(filter("name", "string", "is", json!(1))),
        one(filter("locked", "boolean", "is", json!("true"))),
        one(filter("data.n", "number", "is", json!("1"))),
        one(filter("createdAt", "date", "before", json!("yesterday"))),
        one(filter("createdAt", "date", "between", json!("2024-01-01"))),
        one(filter("createdAt", "date", "less than", json!(-1))),
        one(filter("data.tags", "array", "contains", json!([1]))),
        one(filter("data.tags", "array", "any", json!("a"))),
        one(filter("password", "string", "is", json!("x"))),
        one(filter("role", "string", "is", json!(""))),
        one(filter("data.", "string", "is", json!("x"))),
    ] {
        h.post("/v0/users/find")
            .bearer(&h.admin())
            .json(json!({"filters": filters}))
            .send()
            .await
            .err(400, "Invalid filters");
    }
}

// ---------------------------------------------------------------------------------------------
// Property test: the API against a reference filter over the users as the API returns them.

/// A user to create.
#[derive(Clone, Debug)]
struct Spec {
    name: &'static str,
    domain: &'static str,
    locked: bool,
    data: Value,
    role: Option<&'static str>,
    /// Seconds to advance the clock before marking the user active; `None` = never active.
    active_after: Option<u8>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let name = prop::sample::select(vec!["Ann", "ann b", "Bob", "", "Élodie", "carl", "ANN"]);
    let domain = prop::sample::select(vec!["a.com", "B.org", "ab.com"]);
    let scalar = prop_oneof![
        (0i64..4).prop_map(Value::from),
        prop::sample::select(vec!["a", "B", "ab"]).prop_map(Value::from),
    ];
    let data = (
        prop::option::of(0i64..5),
        prop::option::of(prop::sample::select(vec!["x", "Y", "xy", ""])),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec(scalar, 0..3)),
    )
        .prop_map(|(n, tag, flag, arr)| {
            let mut data = serde_json::Map::new();
            if let Some(n) = n {
                data.insert("n".into(), json!(n));
            }
            if let Some(tag) = tag {
                data.insert("tag".into(), json!(tag));
            }
            if let Some(flag) = flag {
                data.insert("flag".into(), json!(flag));
            }
            if let Some(arr) = arr {
                data.insert("arr".into(), json!(arr));
            }
            Value::Object(data)
        });
    (
        name,
        domain,
        any::<bool>(),
        data,
        prop::option::of(prop::sample::select(vec!["admin", "member"])),
        prop::option::of(0u8..3),
    )
        .prop_map(|(name, domain, locked, data, role, active_after)| Spec {
            name,
            domain,
            locked,
            data,
            role,
            active_after,
        })
}

/// A filter over the attributes the specs vary; dates are picked later from real values.
fn filter_spec() -> impl Strategy<Value = Value> {
    let text_attr = prop::sample::select(vec!["name", "email", "data.tag"]);
    let text_op = prop::sample::select(vec![
        "is",
        "contains",
        "does not contain",
        "starts with",
        "ends with",
        "is unknown",
        "has any value",
    ]);
    let needle = prop::sample::select(vec!["ann", "A", "b", "x", "", "élo", ".com", "AB.COM"]);
    let scalar = prop_oneof![
        (0i64..4).prop_map(Value::from),
        prop::sample::select(vec!["a", "b", "AB"]).prop_map(Value::from),
    ];
    prop_oneof![
        (text_attr, text_op, needle).prop_map(|(a, c, v)| filter(a, "string", c, json!(v))),
        (
            prop::sample::select(vec!["locked", "data.flag"]),
            prop::sample::select(vec!["is", "is not"]),
            any::<bool>()
        )
            .prop_map(|(a, c, v)| filter(a, "boolean", c, json!(v))),
        (
            prop::sample::select(vec!["data.n", "userId"]),
            prop::sample::select(vec!["is", "more than", "less than"]),
            0i64..6
        )
            .prop_map(|(a, c, v)| filter(a, "number", c, json!(v))),
        (
            prop::sample::select(vec!["contains", "does not contain"]),
            scalar.clone()
        )
            .prop_map(|(c, v)| filter("data.arr", "array", c, v)),
        prop::option::of(prop::collection::vec(scalar, 0..3)).prop_map(|v| filter(
            "data.arr",
            "array",
            "any",
            v.map_or(Value::Null, Value::from)
        )),
        prop::sample::select(vec!["demo1234", "demo1234:admin", "demo1234 : member"])
            .prop_map(|v| filter("role", "string", "is", json!(v))),
        // Date filters on lastActiveAt; the value is an index into the users, resolved later.
        (
            prop::sample::select(vec!["before", "after", "between"]),
            0usize..8,
            0usize..8
        )
            .prop_map(|(c, i, j)| json!({"attr": "lastActiveAt", "type": "date",
                "comparison": c, "pick": [i, j]})),
    ]
}

fn query() -> impl Strategy<Value = (Value, Value, u64)> {
    let groups = prop::collection::vec(
        (
            prop::sample::select(vec!["and", "or"]),
            prop::collection::vec(filter_spec(), 1..4),
        ),
        0..3,
    );
    let order = prop::sample::select(vec![
        "",
        "lastActiveAt_DESC",
        "lastActiveAt_ASC",
        "createdAt_ASC",
        "createdAt_DESC",
        "updatedAt_DESC",
        "name_ASC",
        "name_DESC",
        "username_ASC",
        "username_DESC",
    ]);
    (
        prop::sample::select(vec!["and", "or"]),
        groups,
        order,
        1u64..4,
    )
        .prop_map(|(top, groups, order, page)| {
            let groups: Vec<Value> = groups
                .into_iter()
                .map(|(c, filters)| json!({"conjunction": c, "filters": filters}))
                .collect();
            (
                json!({"conjunction": top, "filterGroups": groups}),
                json!(order),
                page,
            )
        })
}

/// Replaces the `pick` of date filters with timestamps taken from the users (ISO strings of
/// one fixed width compare like the instants they name).
fn resolve_dates(filters: &mut Value, users: &[Value]) {
    let stamps: Vec<String> = users
        .iter()
        .filter_map(|u| u["lastActiveAt"].as_str().map(str::to_owned))
        .chain(["2000-01-01T00:00:00.000Z".to_owned()])
        .collect();
    let Some(groups) = filters["filterGroups"].as_array_mut() else {
        return;
    };
    for g in groups {
        for f in g["filters"].as_array_mut().into_iter().flatten() {
            if let Some(pick) = f.as_object_mut().and_then(|o| o.remove("pick")) {
                let at = |k: usize| {
                    let i = pick[k].as_u64().unwrap_or(0) as usize % stamps.len();
                    stamps[i].clone()
                };
                f["value"] = if f["comparison"] == "between" {
                    json!([at(0), at(1)])
                } else {
                    json!(at(0))
                };
            }
        }
    }
}

/// The reference: the rules of C-10.3 written as plainly as possible over the User JSON.
fn reference_matches(user: &Value, f: &Value) -> bool {
    let attr = f["attr"].as_str().unwrap();
    let value = &f["value"];
    if attr == "role" {
        let text = value.as_str().unwrap();
        let (tenant, role) = match text.split_once(':') {
            Some((t, r)) => (t.trim(), Some(r.trim())),
            None => (text.trim(), None),
        };
        let roles: Vec<String> = user["authorization"][tenant]["roles"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|x| x.as_str().unwrap().to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        return match role {
            Some(role) => roles.contains(&role.to_lowercase()),
            None => !roles.is_empty(),
        };
    }
    let found = match attr.strip_prefix("data.") {
        Some(key) => user["data"].get(key),
        None => user.get(attr),
    };
    let found = found.filter(|v| !v.is_null());
    let text = found.and_then(Value::as_str).map(str::to_lowercase);
    let needle = value.as_str().map(str::to_lowercase).unwrap_or_default();
    match (
        f["type"].as_str().unwrap(),
        f["comparison"].as_str().unwrap(),
    ) {
        ("string", "is") => text == Some(needle),
        ("string", "contains") => text.is_some_and(|t| t.contains(&needle)),
        ("string", "does not contain") => !text.is_some_and(|t| t.contains(&needle)),
        ("string", "starts with") => text.is_some_and(|t| t.starts_with(&needle)),
        ("string", "ends with") => text.is_some_and(|t| t.ends_with(&needle)),
        ("string", "is unknown") => found.is_none() || text.as_deref() == Some(""),
        ("string", "has any value") => found.is_some() && text.as_deref() != Some(""),
        ("boolean", c) => {
            let b = match found {
                None => Some(false),
                Some(v) => v.as_bool(),
            };
            (b == value.as_bool()) == (c == "is")
        }
        ("number", c) => {
            let (Some(n), Some(v)) = (found.and_then(Value::as_f64), value.as_f64()) else {
                return false;
            };
            match c {
                "is" => n == v,
                "more than" => n > v,
                _ => n < v,
            }
        }
        ("date", c) => {
            let Some(t) = found.and_then(Value::as_str) else {
                return false;
            };
            match c {
                "before" => t < value.as_str().unwrap(),
                "after" => t > value.as_str().unwrap(),
                _ => value[0].as_str().unwrap() <= t && t <= value[1].as_str().unwrap(),
            }
        }
        ("array", c) => {
            let items = found.and_then(Value::as_array);
            let same = |a: &Value, b: &Value| match (a, b) {
                (Value::String(x), Value::String(y)) => x.to_lowercase() == y.to_lowercase(),
                _ => a == b,
            };
            let has = |v: &Value| items.is_some_and(|items| items.iter().any(|i| same(i, v)));
            match c {
                "contains" => has(value),
                "does not contain" => !has(value),
                _ => match value.as_array() {
                    Some(list) => list.iter().any(has),
                    None => items.is_some_and(|i| !i.is_empty()),
                },
            }
        }
        other => panic!("no reference for {other:?}"),
    }
}

fn reference_search(users: &[Value], filters: &Value, order: &str, page: u64) -> (usize, Vec<u64>) {
    let groups: Vec<&Value> = filters["filterGroups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| !g["filters"].as_array().unwrap().is_empty())
        .collect();
    let group_ok = |u: &Value, g: &Value| {
        let mut results = g["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| reference_matches(u, f));
        if g["conjunction"] == "and" {
            results.all(|r| r)
        } else {
            results.any(|r| r)
        }
    };
    let mut found: Vec<&Value> = users
        .iter()
        .filter(|u| {
            groups.is_empty()
                || if filters["conjunction"] == "and" {
                    groups.iter().all(|g| group_ok(u, g))
                } else {
                    groups.iter().any(|g| group_ok(u, g))
                }
        })
        .collect();
    let (attr, direction) = order.rsplit_once('_').unwrap_or(("lastActiveAt", "DESC"));
    found.sort_by(|a, b| {
        let (x, y) = (&a[attr], &b[attr]);
        let by_value = match (x.as_str(), y.as_str()) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) => {
                let o = if attr == "name" || attr == "username" {
                    x.to_lowercase().cmp(&y.to_lowercase()).then(x.cmp(y))
                } else {
                    x.cmp(y)
                };
                if direction == "DESC" { o.reverse() } else { o }
            }
        };
        by_value.then(a["userId"].as_u64().cmp(&b["userId"].as_u64()))
    });
    let ids = found
        .iter()
        .skip((page as usize - 1) * 24)
        .take(24)
        .map(|u| u["userId"].as_u64().unwrap())
        .collect();
    (found.len(), ids)
}

/// Creates the users of `specs` next to the seeded ones; returns every user as the API sees it.
async fn build(h: &Harness, specs: &[Spec]) -> Vec<Value> {
    let admin = h.admin();
    for (i, s) in specs.iter().enumerate() {
        let user = h
            .create_user(
                json!({"email": format!("u{i}@{}", s.domain), "name": s.name,
                "locked": s.locked, "data": s.data}),
            )
            .await;
        if let Some(role) = s.role {
            h.post("/v0/roles/invite")
                .bearer(&admin)
                .json(json!({"email": user["email"], "roles": [role],
                    "options": {"noInviteEmail": true}}))
                .send()
                .await
                .ok();
        }
    }
    for (i, s) in specs.iter().enumerate() {
        if let Some(secs) = s.active_after {
            h.advance(i64::from(secs)).await;
            h.post(&format!("/v0/users/{}/active", i + 5))
                .bearer(&admin)
                .send()
                .await
                .ok();
        }
    }
    // Many of a page fit on one page: read them all through a plain list.
    let mut users = Vec::new();
    for page in 1.. {
        let found = find(h, json!({"page": page})).await;
        let results = found["results"].as_array().unwrap().clone();
        if results.is_empty() {
            break;
        }
        users.extend(results);
    }
    users
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn search_agrees_with_the_reference(
        specs in prop::collection::vec(spec(), 2..30),
        queries in prop::collection::vec(query(), 4),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let h = Harness::start().await;
            let users = build(&h, &specs).await;
            assert_eq!(users.len(), specs.len() + 4);
            for (mut filters, order, page) in queries {
                resolve_dates(&mut filters, &users);
                let mut body = json!({"filters": filters, "page": page});
                if order != "" {
                    body["order"] = order.clone();
                }
                let found = find(&h, body.clone()).await;
                let (total, expected) =
                    reference_search(&users, &filters, order.as_str().unwrap(), page);
                assert_eq!(found["totalCount"], total, "{body}");
                assert_eq!(found["totalPages"], total.div_ceil(24), "{body}");
                assert_eq!(ids(&found), expected, "{body}");
            }
        });
    }
}
