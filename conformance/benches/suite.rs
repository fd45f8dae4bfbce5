//! How long the full conformance suite takes against the local mock, in release mode, with the
//! default number of generated cases (`cargo bench -p userfront-conformance --bench suite`).
//!
//! Each round is what `userfront-conformance run` does with no target: start an in-process mock,
//! run every scenario, clean up. The target is under 60 s for one round; the suite is a CI gate,
//! so its time is paid on every push. The rounds use different seeds, as CI runs would.
//!
//! `cargo bench -p userfront-conformance --bench suite -- 3` runs three rounds (default 5).

use std::time::{Duration, Instant};

use userfront_conformance::{Config, DEFAULT_CASES, Status, run};

const TARGET: Duration = Duration::from_secs(60);

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut times = Vec::with_capacity(rounds);
    let mut scenarios = 0;
    for round in 0..rounds {
        let config = Config {
            seed: Some(1_000 + round as u64),
            ..Config::default()
        };
        let started = Instant::now();
        let report = runtime
            .block_on(run(config, &mut |_, _, _| {}))
            .expect("the suite runs");
        let elapsed = started.elapsed();
        // A figure for a failing suite would measure the wrong thing.
        assert_eq!(
            report.count(Status::Failed),
            0,
            "the suite failed against the mock: {}",
            report.summary()
        );
        scenarios = report.results.len();
        times.push(elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    let verdict = if worst < TARGET { "ok" } else { "SLOW" };
    println!("userfront-conformance suite against the in-process mock ({DEFAULT_CASES} cases)");
    println!(
        "full suite, {scenarios} scenarios, {rounds} rounds   median {:.2} s   worst {:.2} s   target < {} s   {verdict}",
        median.as_secs_f64(),
        worst.as_secs_f64(),
        TARGET.as_secs()
    );
}
