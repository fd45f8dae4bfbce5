//! Baselines (`--baseline FILE`): failures a team knows about and tolerates for now.
//!
//! An implementation that is not finished still wants a green gate that catches *new*
//! departures, as the OpenID conformance suite's and Schemathesis' baselines allow. The file
//! names each tolerated scenario with the reason it is tolerated:
//!
//! ```json
//! { "knownFailures": [ { "scenario": "auth.mfa.totp_window", "reason": "TOTP not built yet (#42)" } ] }
//! ```
//!
//! A listed scenario that fails is reported as a known failure and does not fail the run; a
//! listed scenario that passes is reported (the entry can go); a name no scenario has is an
//! error, so a renamed scenario does not silently stop being tolerated.

use std::path::Path;

use serde::Deserialize;

use crate::report::{Report, Status};

/// One tolerated failure.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Known {
    /// The scenario's full name, as `list` prints it.
    pub scenario: String,
    /// Why it is tolerated (an issue, a plan); required.
    pub reason: String,
}

/// The failures a run tolerates.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(rename = "knownFailures")]
    pub known_failures: Vec<Known>,
}

impl Baseline {
    /// Reads and checks a baseline file: every entry needs a scenario of the suite and a reason.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
        Baseline::parse(&text).map_err(|e| format!("baseline {}: {e}", path.display()))
    }

    /// [`Baseline::load`] of text.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| {
            format!(
                "{e} (expected {{\"knownFailures\": [{{\"scenario\": NAME, \"reason\": WHY}}]}})"
            )
        })?;
        let names: Vec<&str> = crate::scenarios::all().iter().map(|s| s.name).collect();
        for k in &baseline.known_failures {
            if !names.contains(&k.scenario.as_str()) {
                return Err(format!(
                    "no scenario is named {:?} (see `userfront-conformance list`)",
                    k.scenario
                ));
            }
            if k.reason.trim().is_empty() {
                return Err(format!("the entry for {} needs a reason", k.scenario));
            }
        }
        Ok(baseline)
    }

    /// Marks the failures the baseline tolerates and lists the entries that ran and did not
    /// fail (entries of scenarios the run did not select are not judged).
    pub fn apply(&self, report: &mut Report) {
        for k in &self.known_failures {
            let Some(result) = report.results.iter_mut().find(|r| r.name == k.scenario) else {
                continue;
            };
            match result.status {
                Status::Failed => result.known = Some(k.reason.clone()),
                Status::Passed | Status::Warning => {
                    report.baseline_now_passing.push(k.scenario.clone());
                }
                Status::Skipped => {}
            }
        }
    }
}
