//! Property-based checks: proptest over HTTP.
//!
//! [`check`] runs a property for the run's number of cases with the run's seed. Each case is an
//! async function of the generated value; proptest drives the cases on a blocking thread and
//! shrinks a failure to a minimal input (for a sequence of operations: the shortest failing
//! sequence). The minimal case is then run once more on a clean journal, so the scenario's
//! failure lists exactly its requests (after the scenario's own set-up requests, made before
//! the property started) as a replay script.
//!
//! A minimal case must not depend on earlier cases: every case makes its records under names
//! of its own ([`Cx::unique`]), so the rerun of the minimal case (and its replay on a fresh
//! target) meets the same state it first met. A property whose generated values would collide
//! between cases (an address, a username) makes them unique itself.

use std::fmt::Debug;
use std::future::Future;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::scenario::{Cx, Failure, Outcome, fail};

/// Runs `property` for the target's number of cases; a failure shrinks and is replayed once.
pub async fn check<S, F, Fut>(cx: &Cx, strategy: S, property: F) -> Outcome
where
    S: Strategy + Send + 'static,
    S::Value: Debug + Clone + Send,
    F: Fn(Cx, S::Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    let handle = tokio::runtime::Handle::current();
    let cx = cx.clone();
    let cases = cx.target.cases.max(1);
    let seed = cx.target.seed;
    // The cases run on a blocking thread: they carry the scenario's coverage notebook along.
    let notes = crate::coverage::current().unwrap_or_default();
    tokio::task::spawn_blocking(move || {
        // The scenario's own set-up (before the first case) belongs to every case's replay.
        let setup = cx.take_exchanges();
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 512,
            max_global_rejects: cases.saturating_mul(4).max(64),
            ..Config::default()
        };
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let result = runner.run(&strategy, |value| {
            // Every case starts with an empty journal; contract violations fail the case.
            cx.take_exchanges();
            let outcome = handle.block_on(crate::coverage::scope(
                notes.clone(),
                property(cx.clone(), value),
            ));
            let violations = cx.take_violations();
            match outcome {
                Ok(()) if violations.is_empty() => Ok(()),
                Ok(()) => Err(TestCaseError::fail(violations.join("; "))),
                Err(Failure::Fail(m)) => Err(TestCaseError::fail(m)),
                Err(Failure::Skip(r)) => Err(TestCaseError::reject(r)),
            }
        });
        match result {
            Ok(()) => {
                cx.take_exchanges();
                cx.prepend_exchanges(setup);
                Ok(())
            }
            Err(TestError::Fail(reason, minimal)) => {
                cx.take_exchanges();
                // Replay the minimal case so the journal holds exactly its requests.
                let again = handle.block_on(property(cx.clone(), minimal.clone()));
                let violated = !cx.take_violations().is_empty();
                cx.prepend_exchanges(setup);
                let replayed = if violated || matches!(again, Err(Failure::Fail(_))) {
                    "fails again on replay"
                } else {
                    "passed on replay (the failure depends on earlier state)"
                };
                // The reason comes first: it is the headline, and what groups failures by cause.
                Err(fail(format!(
                    "{reason}\nproperty failed (seed {seed}); minimal input: {minimal:#?}\n({replayed}; its requests follow)"
                )))
            }
            Err(TestError::Abort(reason)) => Err(fail(format!(
                "property aborted (seed {seed}): {reason}"
            ))),
        }
    })
    .await
    .map_err(|e| fail(format!("property runner crashed: {e}")))?
}
