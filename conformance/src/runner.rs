//! Running scenarios against a target: selection, skips, timeouts, warnings, coverage,
//! clean-up, the baseline, and the differential run against a reference.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::coverage;
use crate::report::{Report, ScenarioResult, Status};
use crate::routes;
use crate::scenario::{Cx, Failure, Scenario};
use crate::snapshot;
use crate::target::{Credentials, Target};

/// Default number of generated cases per property.
pub const DEFAULT_CASES: u32 = 32;

/// What to run, against what.
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL of the implementation; `None` starts the in-process mock (feature `mock`;
    /// without it, `None` is refused with [`NO_DEFAULT_TARGET`]).
    pub target: Option<String>,
    pub credentials: Credentials,
    /// Seed of the generated cases; `None` picks one (printed in the report).
    pub seed: Option<u64>,
    /// Generated cases per property.
    pub cases: u32,
    /// Scenario name parts, groups or tags; empty runs everything.
    pub filters: Vec<String>,
    pub snapshots: snapshot::Options,
    /// Longest time one scenario may take.
    pub timeout: Duration,
    /// Failures to tolerate (`--baseline`).
    pub baseline: Option<crate::baseline::Baseline>,
    /// A second implementation to compare the target with (`--reference`).
    pub reference: Option<String>,
    /// How long to wait for the target (and the reference) to answer at all before starting.
    pub wait_for_target: Option<Duration>,
    /// An answer slower than this gets a warning.
    pub slow: Duration,
    /// Stops the run early (Ctrl-C in the binary); what it created is still cleaned up.
    pub stop: Stop,
}

/// A request to stop a run early: the scenario running is aborted, the rest are not started,
/// the clean-up runs, and the report says the run was interrupted.
#[derive(Clone, Debug, Default)]
pub struct Stop(Arc<(AtomicBool, tokio::sync::Notify)>);

impl Stop {
    /// Asks the run to stop.
    pub fn stop(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    /// Whether the run was asked to stop.
    pub fn is_stopped(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    /// Resolves once the run is asked to stop.
    pub async fn stopped(&self) {
        let notified = self.0.1.notified();
        if self.is_stopped() {
            return;
        }
        notified.await;
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            target: None,
            credentials: Credentials::default(),
            seed: None,
            cases: DEFAULT_CASES,
            filters: Vec::new(),
            snapshots: snapshot::Options::default(),
            timeout: Duration::from_secs(60),
            baseline: None,
            reference: None,
            wait_for_target: None,
            slow: crate::scenario::SLOW_ANSWER,
            stop: Stop::default(),
        }
    }
}

/// The scenarios a config selects, in run order.
pub fn select(config: &Config) -> Vec<Scenario> {
    crate::scenarios::all()
        .into_iter()
        .filter(|s| config.filters.is_empty() || config.filters.iter().any(|f| s.matches(f)))
        .collect()
}

/// Checks a base URL before anything is sent to it, and says what is wrong with it.
pub fn check_url(flag: &str, url: &str) -> Result<(), String> {
    let example = "give a base URL such as http://127.0.0.1:4780";
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("{flag} {url:?} is not a URL ({e}): {example}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "{flag} {url:?} has the scheme {:?}; the runner speaks http or https: {example}",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{flag} {url:?} names no host: {example}"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "{flag} {url:?} has a query or fragment; give the base URL only: {example}"
        ));
    }
    Ok(())
}

/// Waits until `base` answers anything over HTTP (any status), for at most `limit`.
pub async fn wait_for(base: &str, limit: Duration) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + limit;
    loop {
        let error = match http.get(base).send().await {
            Ok(_) => return Ok(()),
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(format!(
                "{base} did not answer within {} s (--wait-for-target): {error}",
                limit.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Runs the selected scenarios one after another (scenarios that move the mock clock must not
/// overlap others), calling `progress` after each, then deletes what the run created. With a
/// reference, runs them again there (same seed) and reports the differences; with a baseline,
/// marks the failures it tolerates.
pub async fn run(
    config: Config,
    progress: &mut (dyn FnMut(&ScenarioResult, usize, usize) + Send),
) -> Result<Report, String> {
    if let Some(url) = &config.target {
        check_url("--target", url)?;
    }
    if let Some(url) = &config.reference {
        check_url("--reference", url)?;
    }
    if select(&config).is_empty() {
        return Err(format!(
            "the filter {} selects no scenario (`userfront-conformance list` shows them)",
            config.filters.join(" ")
        ));
    }
    let seed = config
        .seed
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0 % 1_000_000_000);
    let keep = config.reference.is_some();
    let mut report = run_suite(&config, config.target.clone(), seed, keep, progress).await?;
    if let Some(reference) = config
        .reference
        .as_ref()
        .filter(|_| !config.stop.is_stopped())
    {
        let mut other = config.clone();
        // The reference has its own workspace and keys (from its /__mock/state); the flags name
        // the target's.
        other.credentials = Credentials::default();
        let mut ignore = |_: &ScenarioResult, _: usize, _: usize| {};
        let theirs = run_suite(&other, Some(reference.clone()), seed, true, &mut ignore)
            .await
            .map_err(|e| format!("--reference {reference}: {e}"))?;
        report.differences = crate::differential::compare(&report.results, &theirs.results);
        report.reference = Some(theirs.target);
        for r in &mut report.results {
            if r.status != Status::Failed {
                r.exchanges.clear();
            }
        }
    }
    if let Some(baseline) = &config.baseline {
        baseline.apply(&mut report);
    }
    Ok(report)
}

/// One pass of the selected scenarios against `target` (`None`: the in-process mock).
async fn run_suite(
    config: &Config,
    target_url: Option<String>,
    seed: u64,
    keep_exchanges: bool,
    progress: &mut (dyn FnMut(&ScenarioResult, usize, usize) + Send),
) -> Result<Report, String> {
    let started = Instant::now();
    // Keep an in-process mock alive for the whole run when no target was given.
    let (_mock, base) = match &target_url {
        Some(url) => (None, url.clone()),
        None => default_target().await?,
    };
    if let Some(limit) = config.wait_for_target {
        wait_for(&base, limit).await?;
    }
    let mut target = Target::connect(&base, config.credentials.clone(), seed, config.cases).await?;
    target.slow = config.slow;
    let target = Arc::new(target);
    let snapshots = Arc::new(config.snapshots.clone());
    let selected = select(config);
    let total = selected.len();
    let mut results = Vec::with_capacity(total);
    let mut covered = BTreeSet::new();
    let mut observed = coverage::Observed::default();
    for (index, scenario) in selected.into_iter().enumerate() {
        if config.stop.is_stopped() {
            break;
        }
        let cx = Cx::new(target.clone(), snapshots.clone());
        let notes = coverage::Notebook::default();
        let mut result = run_one(
            &scenario,
            &target,
            cx.clone(),
            config.timeout,
            notes.clone(),
            &config.stop,
        )
        .await;
        observed.add(&scenario, &result, &notes);
        let exchanges = cx.exchanges();
        for exchange in &exchanges {
            let path = exchange
                .url
                .strip_prefix(target.base.as_str())
                .unwrap_or(&exchange.url);
            if exchange.status.is_some_and(|s| s != 404 && s != 405)
                && let Some(route) = routes::find(&exchange.method, path)
            {
                covered.insert(route.label());
            }
        }
        if keep_exchanges && result.exchanges.is_empty() {
            result.exchanges = exchanges;
        }
        progress(&result, index + 1, total);
        results.push(result);
    }
    let cleanup_leftovers = target.clean_up().await;
    // Coverage speaks of the whole suite only; a filtered run leaves routes out on purpose. It
    // asks for the spec's checklist (the table also holds routes the seeds add beyond it).
    let uncovered_routes = if config.filters.is_empty() {
        userfront_contract::routes::checklist()
            .map(|r| r.label())
            .filter(|l| !covered.contains(l))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Report {
        target: if target_url.is_some() {
            target.base.clone()
        } else {
            format!("in-process mock ({})", target.base)
        },
        run_id: target.run_id.clone(),
        seed,
        cases: config.cases,
        mock_controls: target.mock_controls,
        results,
        uncovered_routes,
        cleanup_leftovers,
        observed,
        duration_ms: started.elapsed().as_millis() as u64,
        baseline_now_passing: Vec::new(),
        reference: None,
        differences: Vec::new(),
        interrupted: config.stop.is_stopped(),
    })
}

/// The in-process mock on a free port, kept alive by the caller for the whole run.
#[cfg(feature = "mock")]
async fn default_target() -> Result<(Option<userfront_mock::MockUserfront>, String), String> {
    let mock = userfront_mock::MockUserfront::start()
        .await
        .map_err(|e| format!("cannot start the in-process mock: {e}"))?;
    let base = mock.base_url().to_owned();
    Ok((Some(mock), base))
}

/// Built without the in-process mock: there is no default target.
#[cfg(not(feature = "mock"))]
async fn default_target() -> Result<(Option<()>, String), String> {
    Err(NO_DEFAULT_TARGET.to_owned())
}

/// Why a run without a target cannot start in a runner built without the `mock` feature.
pub const NO_DEFAULT_TARGET: &str = "a target is needed: pass --target URL (or set \
    USERFRONT_TARGET); this runner was built without the in-process mock (cargo feature `mock`)";

async fn run_one(
    scenario: &Scenario,
    target: &Target,
    cx: Cx,
    timeout: Duration,
    notes: coverage::Notebook,
    stop: &Stop,
) -> ScenarioResult {
    let started = Instant::now();
    let mut result = ScenarioResult {
        name: scenario.name.to_owned(),
        group: scenario.group,
        tags: scenario.tags.iter().map(|t| t.to_string()).collect(),
        status: Status::Passed,
        duration_ms: 0,
        message: None,
        exchanges: Vec::new(),
        known: None,
    };
    if let Some(reason) = scenario.needs.iter().find_map(|n| target.lacks(*n)) {
        result.status = Status::Skipped;
        result.message = Some(reason.to_owned());
        return result;
    }
    let mut task = tokio::spawn(coverage::scope(notes, (scenario.run)(cx.clone())));
    let finished = tokio::select! {
        finished = tokio::time::timeout(timeout, &mut task) => finished,
        () = stop.stopped() => {
            task.abort();
            result.status = Status::Skipped;
            result.message = Some("the run was interrupted".into());
            return result;
        }
    };
    let outcome = match finished {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => Err(Failure::Fail(format!("the scenario panicked: {e}"))),
        Err(_) => {
            // Stop it: a scenario left running would go on creating records after clean-up.
            task.abort();
            Err(Failure::Fail(format!(
                "the scenario took longer than {} s",
                timeout.as_secs()
            )))
        }
    };
    let warnings = cx.take_warnings();
    let violations = cx.take_violations();
    let contract = (!violations.is_empty()).then(|| {
        format!(
            "responses depart from the documented contract:\n  {}",
            violations.join("\n  ")
        )
    });
    match outcome {
        Ok(()) if contract.is_none() && warnings.is_empty() => {}
        Ok(()) if contract.is_none() => {
            result.status = Status::Warning;
            result.message = Some(warnings.join("\n"));
        }
        Ok(()) => {
            result.status = Status::Failed;
            result.message = contract;
        }
        Err(Failure::Fail(message)) => {
            result.status = Status::Failed;
            result.message = Some(match contract {
                Some(c) => format!("{message}\n{c}"),
                None => message,
            });
        }
        Err(Failure::Skip(reason)) => {
            result.status = Status::Skipped;
            result.message = Some(reason);
        }
    }
    if result.status == Status::Failed {
        result.exchanges = cx.exchanges();
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}
