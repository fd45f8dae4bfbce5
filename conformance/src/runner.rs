//! Running scenarios against a target: selection, skips, timeouts, coverage, clean-up.

use std::collections::BTreeSet;
use std::sync::Arc;
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

/// Runs the selected scenarios one after another (scenarios that move the mock clock must not
/// overlap others), calling `progress` after each, then deletes what the run created.
pub async fn run(
    config: Config,
    progress: &mut (dyn FnMut(&ScenarioResult, usize, usize) + Send),
) -> Result<Report, String> {
    let started = Instant::now();
    // Keep an in-process mock alive for the whole run when no target was given.
    let (_mock, base) = match &config.target {
        Some(url) => (None, url.clone()),
        None => default_target().await?,
    };
    let seed = config
        .seed
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0 % 1_000_000_000);
    let target =
        Arc::new(Target::connect(&base, config.credentials.clone(), seed, config.cases).await?);
    let snapshots = Arc::new(config.snapshots.clone());
    let selected = select(&config);
    let total = selected.len();
    let mut results = Vec::with_capacity(total);
    let mut covered = BTreeSet::new();
    let mut observed = coverage::Observed::default();
    for (index, scenario) in selected.into_iter().enumerate() {
        let cx = Cx::new(target.clone(), snapshots.clone());
        let notes = coverage::Notebook::default();
        let result = run_one(
            &scenario,
            &target,
            cx.clone(),
            config.timeout,
            notes.clone(),
        )
        .await;
        observed.add(&scenario, &result, &notes);
        for exchange in cx.exchanges() {
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
        target: if config.target.is_some() {
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
    };
    if let Some(reason) = scenario.needs.iter().find_map(|n| target.lacks(*n)) {
        result.status = Status::Skipped;
        result.message = Some(reason.to_owned());
        return result;
    }
    let task = tokio::spawn(coverage::scope(notes, (scenario.run)(cx.clone())));
    let outcome = match tokio::time::timeout(timeout, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => Err(Failure::Fail(format!("the scenario panicked: {e}"))),
        Err(_) => Err(Failure::Fail(format!(
            "the scenario took longer than {} s",
            timeout.as_secs()
        ))),
    };
    let violations = cx.take_violations();
    let contract = (!violations.is_empty()).then(|| {
        format!(
            "responses depart from the documented contract:\n  {}",
            violations.join("\n  ")
        )
    });
    match outcome {
        Ok(()) if contract.is_none() => {}
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
