use super::*;
use serde_json::json;

fn parse(filters: Value) -> Result<Search<User>> {
    Search::parse(
        Params {
            filters: Some(&filters),
            ..Params::default()
        },
        0,
    )
}

#[test]
fn malformed_filters_are_refused() {
    let filter = |f: Value| json!({"conjunction": "and", "filterGroups": [{"conjunction": "or", "filters": [f]}]});
    for bad in [
        json!("not json"),
        json!(["a"]),
        json!({"conjunction": "xor", "filterGroups": []}),
        json!({"filterGroups": {}}),
        filter(json!({"attr": "email", "type": "text", "comparison": "is", "value": "a"})),
        filter(json!({"attr": "email", "type": "string", "comparison": "before", "value": "a"})),
        filter(json!({"attr": "email", "type": "string", "comparison": "is", "value": 3})),
        filter(json!({"attr": "locked", "type": "boolean", "comparison": "is", "value": "yes"})),
        filter(json!({"attr": "userId", "type": "number", "comparison": "is", "value": "1"})),
        filter(
            json!({"attr": "createdAt", "type": "date", "comparison": "before", "value": "soon"}),
        ),
        filter(
            json!({"attr": "createdAt", "type": "date", "comparison": "between", "value": ["2024-01-01"]}),
        ),
        filter(json!({"attr": "data.tags", "type": "array", "comparison": "any", "value": "x"})),
        filter(json!({"attr": "data..x", "type": "string", "comparison": "is", "value": "x"})),
        filter(json!({"attr": "nope", "type": "string", "comparison": "is", "value": "x"})),
        filter(json!({"attr": "role", "type": "string", "comparison": "is", "value": " : admin"})),
        filter(json!({"type": "string", "comparison": "is", "value": "x"})),
    ] {
        let err = parse(bad.clone()).expect_err(&bad.to_string());
        assert_eq!(err.message, msg::INVALID_FILTERS, "{bad}");
    }
}

#[test]
fn orders_and_pages_are_checked() {
    let order = |o: Value| {
        Search::<Tenant>::parse(
            Params {
                order: Some(&o),
                ..Params::default()
            },
            0,
        )
    };
    assert_eq!(
        order(json!("name_asc")).unwrap().order,
        (SortKey::Name, Direction::Asc)
    );
    for bad in [
        json!("username_ASC"),
        json!("name"),
        json!("name_UP"),
        json!(3),
    ] {
        assert_eq!(order(bad).unwrap_err().message, msg::INVALID_ORDER);
    }
    let page = |p: Value| {
        Search::<User>::parse(
            Params {
                page: Some(&p),
                ..Params::default()
            },
            0,
        )
    };
    assert_eq!(page(json!("3")).unwrap().page, 3);
    assert!(page(json!(0)).is_err());
    assert!(page(json!(-1)).is_err());
}

#[test]
fn folded_text_comparisons() {
    assert!(eq_folded("Ana", "ana"));
    assert!(eq_folded("ÉLODIE", "élodie"));
    assert!(contains_folded("Hello World", "o w"));
    assert!(contains_folded("x", ""));
    assert!(!contains_folded("ab", "abc"));
    assert!(starts_folded("Straße", "stra"));
    assert!(ends_folded("A@Example.COM", "@example.com"));
    assert!(!ends_folded("m", "com"));
    assert_eq!(cmp_folded("alice", "Bob"), Ordering::Less);
    assert_eq!(cmp_folded("Bob", "bob"), Ordering::Less);
}

/// The block evaluation of [`Search::run`] agrees with [`Search::matches`] record by record,
/// across block boundaries and for every combination of conjunctions.
#[test]
fn block_scan_agrees_with_per_record_matching() {
    let store = crate::state::Store::new(std::sync::Arc::new(
        crate::state::seed::Seed::embedded().expect("embedded seed"),
    ));
    let mut world = store.write();
    let realm = world
        .realm_of_mut("demo1234", crate::state::model::Mode::Test)
        .expect("demo realm");
    let template = realm.user(1).expect("seeded user").clone();
    for i in 10..150u64 {
        let mut u = template.clone();
        u.user_id = i;
        u.user_uuid = Uuid::from_u128(u128::from(i));
        u.email = format!("u{i}@d{}.com", i % 5).into();
        u.username = format!("user-{i}").into();
        u.name = if i % 4 == 0 {
            "Élodie".into()
        } else {
            format!("Name {}", i % 9).into()
        };
        u.locked = i % 3 == 0;
        u.last_active_at = (i % 2 == 0).then_some(i as Millis);
        u.data = json!({"n": i % 7, "tags": [i % 2, "x"]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        realm.insert_user(u);
    }
    let realm = &*realm;
    let f = |attr: &str, kind: &str, comparison: &str, value: Value| json!({"attr": attr, "type": kind, "comparison": comparison, "value": value});
    let filters = [
        f("email", "string", "ends with", json!("@D1.com")),
        f("locked", "boolean", "is", json!(true)),
        f("data.n", "number", "more than", json!(3)),
        f("name", "string", "starts with", json!("élo")),
        f("data.tags", "array", "contains", json!("X")),
    ];
    for top in ["and", "or"] {
        for inner in ["and", "or"] {
            let search = parse(json!({"conjunction": top, "filterGroups": [
                {"conjunction": inner, "filters": [filters[0], filters[1]]},
                {"conjunction": inner, "filters": [filters[2], filters[3], filters[4]]},
            ]}))
            .expect("valid filters");
            let expected = realm
                .users
                .values()
                .filter(|u| search.matches(u, realm))
                .count();
            let found = search.run(realm.users.values(), realm);
            assert_eq!(found.total, expected, "{top}/{inner}");
            assert!(
                expected > 0 && expected < realm.users.len(),
                "{top}/{inner}"
            );
        }
    }
}
