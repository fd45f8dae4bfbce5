//! User search from the server side (server-to-server SS-5, SS-6; conventions C-10): pages,
//! both search forms, and the filter grammar checked against a reference model.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::users::create_user;
use crate::ensure_eq;
use crate::props;
use crate::scenario::{Cx, Outcome};

/// A filter on the emails of one batch (conventions C-10.3).
pub(super) fn prefix_filter(prefix: &str, extra: Vec<Value>) -> Value {
    let mut groups = vec![json!({ "conjunction": "and", "filters": [
        { "attr": "email", "type": "string", "comparison": "starts with", "value": prefix }
    ] })];
    groups.extend(extra);
    json!({ "conjunction": "and", "filterGroups": groups })
}

async fn find(cx: &Cx, body: Value) -> Outcome<Value> {
    cx.post("/v0/users/find")
        .bearer(cx.admin())
        .json(body)
        .send()
        .await?
        .ok()
}

/// C-10.1, C-10.2: 24 results a page, `totalPages`, an empty page past the end, both search
/// forms; ordering by creation.
pub(super) async fn pages(cx: Cx) -> Outcome {
    let prefix = cx.unique("page");
    let mut ids = Vec::new();
    for n in 0..26 {
        let user = create_user(
            &cx,
            json!({ "email": format!("{prefix}-{n:02}@example.com") }),
        )
        .await?;
        ids.push(user["userId"].clone());
    }
    let filters = prefix_filter(&prefix, vec![]);
    let first = find(&cx, json!({ "filters": filters, "order": "createdAt_ASC" })).await?;
    ensure_eq!(first["totalCount"], 26, "totalCount");
    ensure_eq!(first["totalPages"], 2, "totalPages");
    ensure_eq!(
        first["results"].as_array().map(Vec::len),
        Some(24),
        "a full page holds 24"
    );
    let got: Vec<Value> = first["results"]
        .as_array()
        .map(|r| r.iter().map(|u| u["userId"].clone()).collect())
        .unwrap_or_default();
    ensure_eq!(got, ids[..24].to_vec(), "createdAt_ASC order");
    let second = find(
        &cx,
        json!({ "filters": filters, "order": "createdAt_ASC", "page": 2 }),
    )
    .await?;
    ensure_eq!(
        second["results"].as_array().map(Vec::len),
        Some(2),
        "the last page"
    );
    let past = find(&cx, json!({ "filters": filters, "page": 3 })).await?;
    ensure_eq!(past["results"], json!([]), "a page past the end");
    let query = crate::target::encode(&filters.to_string());
    let legacy = cx
        .get(format!("/v0/users?filters={query}"))
        .bearer(cx.admin())
        .send()
        .await?
        .ok()?;
    ensure_eq!(legacy["totalCount"], 26, "GET search totalCount");
    cx.post("/v0/users/find")
        .bearer(cx.admin())
        .json(json!({ "order": "shoeSize_ASC" }))
        .send()
        .await?
        .err(400, "Invalid order")?;
    cx.post("/v0/users/find")
        .bearer(cx.admin())
        .json(json!({ "filters": { "conjunction": "xor", "filterGroups": [] } }))
        .send()
        .await?
        .err(400, "Invalid filters")?;
    Ok(())
}

/// The users a filter property searches among: name, a number and a flag each.
const PEOPLE: [(&str, i64, bool); 6] = [
    ("Ada Lovelace", 3, true),
    ("Alan Turing", 7, false),
    ("Grace Hopper", 12, true),
    ("Edsger Dijkstra", 7, false),
    ("Barbara Liskov", 0, true),
    ("Ken Thompson", 25, false),
];

/// One generated filter, and the reference answer for one person.
#[derive(Clone, Debug)]
enum Filter {
    Name(&'static str, String),
    Number(&'static str, i64),
    Flag(&'static str, bool),
}

impl Filter {
    fn json(&self) -> Value {
        match self {
            Filter::Name(c, v) => {
                json!({ "attr": "name", "type": "string", "comparison": c, "value": v })
            }
            Filter::Number(c, v) => {
                json!({ "attr": "data.n", "type": "number", "comparison": c, "value": v })
            }
            Filter::Flag(c, v) => {
                json!({ "attr": "data.flag", "type": "boolean", "comparison": c, "value": v })
            }
        }
    }

    fn matches(&self, (name, n, flag): (&str, i64, bool)) -> bool {
        let (name, lower) = (name.to_lowercase(), |v: &str| v.to_lowercase());
        match self {
            Filter::Name("is", v) => name == lower(v),
            Filter::Name("contains", v) => name.contains(&lower(v)),
            Filter::Name("does not contain", v) => !name.contains(&lower(v)),
            Filter::Name("starts with", v) => name.starts_with(&lower(v)),
            Filter::Name("ends with", v) => name.ends_with(&lower(v)),
            Filter::Number("is", v) => n == *v,
            Filter::Number("more than", v) => n > *v,
            Filter::Number("less than", v) => n < *v,
            Filter::Flag("is", v) => flag == *v,
            Filter::Flag("is not", v) => flag != *v,
            _ => false,
        }
    }
}

fn filter() -> impl Strategy<Value = Filter> {
    let fragment = prop::sample::select(vec![
        "a",
        "Ada",
        "lovelace",
        "ING",
        "er",
        "Ken Thompson",
        "x",
        "ra",
        "Grace",
    ]);
    prop_oneof![
        (
            prop::sample::select(vec![
                "is",
                "contains",
                "does not contain",
                "starts with",
                "ends with"
            ]),
            fragment
        )
            .prop_map(|(c, v)| Filter::Name(c, v.to_owned())),
        (
            prop::sample::select(vec!["is", "more than", "less than"]),
            -1..27i64
        )
            .prop_map(|(c, v)| Filter::Number(c, v)),
        (prop::sample::select(vec!["is", "is not"]), any::<bool>())
            .prop_map(|(c, v)| Filter::Flag(c, v)),
    ]
}

/// Search answers exactly what the documented comparison semantics (C-10.3) select, for
/// generated filters combined with `and` or `or`.
pub(super) async fn filters(cx: Cx) -> Outcome {
    let prefix = cx.unique("filter");
    for (i, (name, n, flag)) in PEOPLE.iter().enumerate() {
        create_user(
            &cx,
            json!({ "email": format!("{prefix}-{i}@example.com"), "name": name, "data": { "n": n, "flag": flag } }),
        )
        .await?;
    }
    let strategy = (prop::collection::vec(filter(), 1..3), any::<bool>());
    props::check(&cx, strategy, move |cx, (filters, any)| {
        let prefix = prefix.clone();
        async move {
            let group = json!({
                "conjunction": if any { "or" } else { "and" },
                "filters": filters.iter().map(Filter::json).collect::<Vec<_>>(),
            });
            let body = find(
                &cx,
                json!({ "filters": prefix_filter(&prefix, vec![group]), "order": "name_ASC" }),
            )
            .await?;
            let mut expected: Vec<&str> = PEOPLE
                .iter()
                .filter(|p| {
                    let hit = |f: &Filter| f.matches(**p);
                    if any {
                        filters.iter().any(hit)
                    } else {
                        filters.iter().all(hit)
                    }
                })
                .map(|p| p.0)
                .collect();
            expected.sort_unstable();
            let got: Vec<&str> = body["results"]
                .as_array()
                .map(|r| r.iter().filter_map(|u| u["name"].as_str()).collect())
                .unwrap_or_default();
            ensure_eq!(got, expected, "names matched (name_ASC)");
            ensure_eq!(body["totalCount"], expected.len(), "totalCount");
            Ok(())
        }
    })
    .await
}
