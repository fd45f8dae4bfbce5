//! The coverage report at its floor: a full run against the in-process mock asserts every
//! documented route, response field and rule, except the gaps listed with their reason in
//! `conformance/coverage-gaps.txt`; a gap that closes must leave the list too.

use userfront_conformance::coverage::{Coverage, against_floor};
use userfront_conformance::{Config, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_stays_at_its_floor() {
    let config = Config {
        seed: Some(20_240_515),
        ..Config::default()
    };
    let report = run(config, &mut |_, _, _| {})
        .await
        .expect("the run starts");
    assert!(report.success(), "{}", report.human());
    let coverage = Coverage::compute(&report.observed);
    let human = coverage.human();
    println!("{}", human.lines().next().unwrap_or(""));
    let problems = against_floor(&coverage);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
