//! The documented routes the runner knows, and matching of a concrete request path to the
//! route it exercises.
//!
//! Both derive from the contract's route table (`schemas/operations.json`, through
//! [`userfront_contract::routes`]): the runner knows every Userfront operation of it, not the
//! mock's own control surface. The runner uses them twice: to find the response contract of
//! every answer, and to report which documented routes a run exercised (coverage).

pub use userfront_contract::routes::{Group, Route};

/// Every documented Userfront route (the table without the mock's `/__mock` surface).
pub fn all() -> impl Iterator<Item = &'static Route> {
    userfront_contract::routes::routes()
        .iter()
        .filter(|r| r.is_userfront())
}

/// The documented Userfront route a request exercises (query string ignored), if any.
pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    userfront_contract::routes::find_in(all(), method, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mock_control_surface_is_no_documented_route() {
        assert!(find("GET", "/__mock/state").is_none());
        assert_eq!(
            find("POST", "/v0/tenants/demo1234/auth/basic").map(|r| r.path),
            Some("/v0/auth/basic")
        );
    }

    #[test]
    fn every_group_has_routes() {
        for group in Group::ALL {
            assert!(all().any(|r| r.group == Some(group)), "{group:?}");
        }
        assert!(all().count() >= 82, "the checklist has 82 rows");
    }
}
