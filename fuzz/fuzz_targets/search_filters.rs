//! The user and tenant search grammar (`state/search/`: `filters`, `order`, `page` of
//! `POST /v0/users/find` and the tenant search): any input is parsed or refused with one of the
//! documented 400s, and a parsed search runs over the seeded realm without panicking, returning
//! a consistent page of records that match it.
//!
//! Input: byte 0 picks `order`, byte 1 picks `page`, the rest is the `filters` JSON text (as
//! the legacy `GET /v0/users?filters=` sends it; an object body is parsed the same way).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use userfront_mock::state::World;
use userfront_mock::state::search::{Params, Record, Search};
use userfront_mock::state::seed::Seed;
use userfront_mock::{DEMO_TENANT, Mode, msg};

const ORDERS: &[&str] = &[
    "",
    "name_asc",
    "name_desc",
    "createdAt_asc",
    "createdAt_desc",
    "updatedAt_asc",
    "lastActiveAt_desc",
    "username_asc",
    "username_DESC",
    "name",
    "_asc",
    "nope_asc",
];

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::from_seed(Arc::new(Seed::embedded().expect("embedded seed"))))
}

fn check<'a, R: Record + 'a>(
    params: Params<'_>,
    records: impl Iterator<Item = &'a R> + Clone,
    ctx: &R::Ctx,
    input: &str,
) {
    match Search::<R>::parse(params, world().now()) {
        Err(e) => {
            assert_eq!(e.status, 400, "{input:?}");
            assert!(
                e.message == msg::INVALID_FILTERS
                    || e.message == msg::INVALID_ORDER
                    || e.message.contains("\"page\""),
                "unexpected message {:?} for {input:?}",
                e.message
            );
        }
        Ok(search) => {
            let matching = records.clone().filter(|r| search.matches(r, ctx)).count();
            let page = search.run(records, ctx);
            assert_eq!(page.total, matching, "{input:?}");
            assert!(page.results.len() <= 24, "{input:?}");
            assert!(
                page.results.iter().all(|r| search.matches(r, ctx)),
                "{input:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (order, page, filters) = match data {
        [o, p, rest @ ..] => (*o, *p, rest),
        _ => return,
    };
    let Ok(filters) = std::str::from_utf8(filters) else {
        return;
    };
    let order = match ORDERS[usize::from(order) % ORDERS.len()] {
        "" => Value::Null,
        o => json!(o),
    };
    let page = match page % 4 {
        0 => Value::Null,
        1 => json!(page / 4),
        2 => json!((page / 4).to_string()),
        _ => json!(-i64::from(page)),
    };
    let filters = Value::String(filters.to_owned());
    let params = Params {
        filters: Some(&filters),
        order: Some(&order),
        page: Some(&page),
    };
    let realm = world()
        .realm_of(DEMO_TENANT, Mode::Test)
        .expect("demo realm");
    check(params, realm.users.values(), realm, &filters.to_string());
    check(params, realm.tenants.values(), realm, &filters.to_string());
});
