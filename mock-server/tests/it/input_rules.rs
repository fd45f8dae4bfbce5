//! Input rules (issue 11 item 8): the email rule everywhere an email is taken, one filter parser
//! for both user searches, and calendar-checked, bounded clock and date input.

use crate::common;

use common::{Harness, Method};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode};

/// Addresses the email rule refuses although they have the old `local@domain.tld` shape.
fn hostile_emails() -> Vec<String> {
    vec![
        "nul\0byte@example.com".to_owned(),
        "bidi\u{202e}moc.elpmaxe@example.com".to_owned(),
        "zero\u{200b}width@example.com".to_owned(),
        "bom@example.com\u{feff}".to_owned(),
        "del\u{7f}@example.com".to_owned(),
        format!("{}@example.com", "l".repeat(65)),
        format!("a@{}.com", "d".repeat(250)),
        format!("{}@example.com", "x".repeat(900 * 1024)),
    ]
}

#[tokio::test]
async fn every_path_that_takes_an_email_refuses_control_and_format_characters_and_long_addresses() {
    let h = Harness::start().await;
    let admin = h.admin();
    let auth = |rest: &str| format!("/v0/tenants/{DEMO_TENANT}/{rest}");
    for email in hostile_emails() {
        let shown = email.chars().take(40).collect::<String>();
        let cases: Vec<(Method, String, Option<&str>, Value)> = vec![
            (
                Method::POST,
                auth("auth/create"),
                None,
                json!({ "email": email, "password": "a-good-password-1" }),
            ),
            (
                Method::POST,
                auth("auth/basic"),
                None,
                json!({ "email": email, "password": "a-good-password-1" }),
            ),
            (
                Method::POST,
                auth("auth/link"),
                None,
                json!({ "email": email }),
            ),
            (
                Method::POST,
                auth("auth/reset/link"),
                None,
                json!({ "email": email }),
            ),
            (
                Method::POST,
                "/v0/users".into(),
                Some(&admin),
                json!({ "email": email }),
            ),
            (
                Method::PUT,
                "/v0/users/2".into(),
                Some(&admin),
                json!({ "email": email }),
            ),
            (
                Method::POST,
                "/v0/users/invite".into(),
                Some(&admin),
                json!({ "email": email }),
            ),
            (
                Method::POST,
                "/v0/roles/invite".into(),
                Some(&admin),
                json!({ "email": email, "roles": ["member"] }),
            ),
            (
                Method::POST,
                "/v0/users/createOrUpdate".into(),
                Some(&admin),
                json!({ "email": email }),
            ),
            (
                Method::POST,
                "/__mock/sso/identities".into(),
                None,
                json!({ "provider": "google", "email": email }),
            ),
        ];
        for (method, path, key, body) in cases {
            let mut req = h.req(method.clone(), &path).json(body);
            if let Some(key) = key {
                req = req.bearer(key);
            }
            let resp = req.send().await;
            assert_eq!(resp.status, 400, "{method} {path} {shown:?}: {}", resp.body);
            assert_eq!(
                resp.body["message"], "Email format is invalid",
                "{method} {path} {shown:?}"
            );
        }
    }
    // Nothing was stored on the way: the pool still holds the four seeded users.
    let found = h
        .post("/v0/users/find")
        .bearer(&admin)
        .json(json!({}))
        .send()
        .await
        .ok();
    assert_eq!(found["totalCount"], 4, "{found}");
    // The limits themselves are allowed: 64-byte local part, 254 bytes in all.
    let local = format!("{}@example.com", "l".repeat(64));
    let total = format!("a@{}.com", "d".repeat(248));
    assert_eq!(total.len(), 254);
    for email in [local, total] {
        h.post("/v0/users")
            .bearer(&admin)
            .json(json!({ "email": email }))
            .send()
            .await
            .ok();
    }
}

#[tokio::test]
async fn imports_record_a_failure_for_rows_whose_email_breaks_the_rule() {
    let h = Harness::start().await;
    let admin = h.admin();
    let done = h
        .import_and_process(
            &admin,
            json!([
                { "email": "fine@example.org" },
                { "email": "nul\u{0}@example.org" },
                { "email": "rtl\u{202e}@example.org" },
            ]),
        )
        .await;
    assert_eq!(done["successCount"], 1, "{done}");
    let messages: Vec<&Value> = done["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| &f["message"])
        .collect();
    assert_eq!(
        messages,
        [
            &json!("Email format is invalid"),
            &json!("Email format is invalid")
        ]
    );
}

/// `POST /v0/users/find` and `GET /v0/users` on the same `filters`.
async fn both_searches(h: &Harness, filters: &Value) -> [common::Resp; 2] {
    let key = h.key(Mode::Test, KeyType::Readonly);
    let by_body = h
        .post("/v0/users/find")
        .bearer(&key)
        .json(json!({ "filters": filters }))
        .send()
        .await;
    let text = filters.to_string();
    let query: String = common::url_encode(&text);
    let by_query = h
        .get(&format!("/v0/users?filters={query}"))
        .bearer(&key)
        .send()
        .await;
    [by_body, by_query]
}

#[tokio::test]
async fn both_user_searches_refuse_the_same_malformed_filters() {
    let h = Harness::start().await;
    for filters in [
        json!({ "$where": "function() { return true; }" }),
        json!({ "conjunction": "and", "filterGroups": [], "$where": "1" }),
        json!({ "conjunction": "and", "filterGroups": [ { "conjunction": "and", "filters": [
            { "attr": "email", "type": "string", "comparison": "is", "value": "admin@example.com", "$where": "1" }
        ] } ] }),
        json!({ "conjunction": "and", "filterGroups": [ { "conjunction": "and", "filters": [], "$or": [] } ] }),
        json!(["not", "an", "object"]),
        json!("{\"$where\": 1}"),
    ] {
        for resp in both_searches(&h, &filters).await {
            resp.err(400, "Invalid filters");
        }
    }
    // A well-formed filter still answers the same through both.
    let filters = json!({ "conjunction": "and", "filterGroups": [ { "conjunction": "and", "filters": [
        { "attr": "email", "type": "string", "comparison": "is", "value": "admin@example.com" }
    ] } ] });
    let [by_body, by_query] = both_searches(&h, &filters).await;
    let (by_body, by_query) = (by_body.ok(), by_query.ok());
    assert_eq!(by_body["totalCount"], 1);
    assert_eq!(by_body, by_query);
}

async fn clock_now(h: &Harness) -> String {
    let body = h.get("/__mock/clock").send().await.ok();
    body["now"].as_str().expect("now").to_owned()
}

#[tokio::test]
async fn the_clock_refuses_dates_that_do_not_exist_and_never_leaves_its_range() {
    let h = Harness::start().await;
    let set = |body: Value| h.post("/__mock/clock").json(body).send();
    set(json!({ "now": "2030-01-01T00:00:00.000Z" })).await.ok();
    for bad in [
        "2030-02-31",
        "2031-02-29",
        "2030-04-31T12:00:00Z",
        "2030-01-01T24:00:00Z",
        "2030-01-01T12:00:00+99:99",
        "2030-01-01T12:00:00+02:60",
        "2030-01-01T12:00:00Z[Europe/Paris]",
        "20300101",
    ] {
        set(json!({ "now": bad }))
            .await
            .err(400, "\"now\" must be an ISO 8601 date");
    }
    assert_eq!(clock_now(&h).await.get(..10), Some("2030-01-01"));
    // Real calendar facts still pass: a leap day, an offset within ±23:59.
    let moved = set(json!({ "now": "2032-02-29T01:30:00+02:00" }))
        .await
        .ok();
    assert!(
        moved["now"]
            .as_str()
            .unwrap()
            .starts_with("2032-02-28T23:30:"),
        "{moved}"
    );
    let out_of_range =
        "The mock clock must stay between 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z";
    set(json!({ "now": "1969-12-31T23:59:59Z" }))
        .await
        .err(400, out_of_range);
    // Advancing in steps stops at the end of year 9999 instead of wrapping to a negative year.
    let mut refused = 0;
    for _ in 0..20 {
        let resp = set(json!({ "advanceSeconds": 9e10 })).await;
        if resp.status == 400 {
            resp.err(400, out_of_range);
            refused += 1;
        } else {
            let now = resp.ok()["now"].as_str().unwrap().to_owned();
            assert!(!now.starts_with('-') && now.len() == 24, "{now}");
        }
    }
    assert!(refused >= 15, "advances past year 9999 are refused");
    let last = clock_now(&h).await;
    assert!(last.as_str() > "7000", "{last}");
    for advance in [json!(1e300), json!(-1e300), json!(-1e12), json!(f64::MAX)] {
        set(json!({ "advanceSeconds": advance }))
            .await
            .err(400, out_of_range);
    }
    assert_eq!(
        clock_now(&h).await.get(..4),
        last.get(..4),
        "refusals change nothing"
    );
    // Before the epoch: refused, not clamped.
    set(json!({ "now": "1970-01-01T00:00:10Z" })).await.ok();
    set(json!({ "advanceSeconds": -3600 }))
        .await
        .err(400, out_of_range);
    assert!(clock_now(&h).await.starts_with("1970-01-01T00:00:"));
}

#[tokio::test]
async fn user_search_dates_use_the_real_calendar() {
    let h = Harness::start().await;
    let key = h.key(Mode::Test, KeyType::Readonly);
    let search = |value: Value, comparison: &str| {
        let comparison = comparison.to_owned();
        let key = key.clone();
        let h = &h;
        async move {
            h.post("/v0/users/find")
                .bearer(&key)
                .json(json!({ "filters": { "conjunction": "and", "filterGroups": [
                    { "conjunction": "and", "filters": [
                        { "attr": "createdAt", "type": "date", "comparison": comparison, "value": value }
                    ] } ] } }))
                .send()
                .await
        }
    };
    for bad in ["2023-02-31", "2023-12-01T10:00+99:99", "2023-13-01"] {
        search(json!(bad), "after")
            .await
            .err(400, "Invalid filters");
    }
    search(json!(["2023-12-31", "2024-02-30"]), "between")
        .await
        .err(400, "Invalid filters");
    // Seeded users were created at 2024-01-01T00:00Z; offsets are applied.
    let found = search(json!("2023-12-31T23:30:00+01:00"), "after")
        .await
        .ok();
    assert_eq!(found["totalCount"], 4);
    let found = search(json!("2023-12-31T23:30:00-01:00"), "after")
        .await
        .ok();
    assert_eq!(found["totalCount"], 0);
}

#[tokio::test]
async fn durations_too_long_for_the_clock_are_refused_not_wrapped() {
    let h = Harness::start().await;
    for duration in ["999999999 years", "292471209 years", "999999999 weeks"] {
        h.post("/v0/auth/jwt")
            .bearer(&h.admin())
            .json(json!({ "userId": 1, "options": { "accessTokenDuration": duration } }))
            .send()
            .await
            .err(400, "Invalid duration");
    }
}
