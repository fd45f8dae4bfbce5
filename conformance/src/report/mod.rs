//! The result of a run, and its renderings: human text (failures grouped by root cause), JUnit
//! XML, JSON, GitHub annotations and step summary.

mod formats;

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::http::Exchange;
use crate::routes::Group;

/// How a scenario ended.
///
/// `Warning` is a pass with a remark: the target did what the contract requires, but something
/// undocumented looked suspicious (an answer slower than `--slow`, by default
/// [`crate::scenario::SLOW_ANSWER`], an
/// error message that reads like an internal trace, ...). It never fails a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Warning,
    Skipped,
}

impl Status {
    /// The verdict as CI tools print it.
    pub fn verdict(self) -> &'static str {
        match self {
            Status::Passed => "PASSED",
            Status::Failed => "FAILED",
            Status::Warning => "WARNING",
            Status::Skipped => "SKIPPED",
        }
    }
}

/// One scenario's result.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub group: Group,
    pub tags: Vec<String>,
    pub status: Status,
    #[serde(rename = "durationMs")]
    pub duration_ms: u64,
    /// Why it failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The requests it made, for replaying a failure (kept only for failures).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    /// The reason the baseline gives for tolerating this failure (`--baseline`); a failure
    /// with one does not fail the run.
    #[serde(rename = "knownFailure", skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
}

impl ScenarioResult {
    /// The failure's requests as a shell script that replays them against `$BASE` (curl and
    /// jq), values taken from earlier answers carried over in variables.
    pub fn replay(&self) -> String {
        crate::replay::script(&self.exchanges)
    }

    /// A failure not tolerated by the baseline.
    pub fn is_new_failure(&self) -> bool {
        self.status == Status::Failed && self.known.is_none()
    }

    /// The first line of the message.
    pub fn headline(&self) -> &str {
        self.message
            .as_deref()
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
    }
}

/// One place where the target and the reference answered differently (`--reference`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Difference {
    pub scenario: String,
    /// The request, `METHOD route` (the n-th request of the scenario), or `verdict`.
    pub at: String,
    /// `status`, `shape` or `behaviour`.
    pub kind: String,
    pub target: String,
    pub reference: String,
}

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub target: String,
    #[serde(rename = "runId")]
    pub run_id: String,
    pub seed: u64,
    pub cases: u32,
    #[serde(rename = "mockControls")]
    pub mock_controls: bool,
    pub results: Vec<ScenarioResult>,
    /// Routes of the spec's checklist (`METHOD /path`) no scenario exercised.
    #[serde(rename = "uncoveredRoutes")]
    pub uncovered_routes: Vec<String>,
    /// Records the run created and could not delete.
    #[serde(rename = "cleanupLeftovers")]
    pub cleanup_leftovers: Vec<String>,
    /// What the scenarios asserted, for the coverage report ([`crate::coverage`]).
    #[serde(skip)]
    pub observed: crate::coverage::Observed,
    #[serde(rename = "durationMs")]
    pub duration_ms: u64,
    /// Baseline entries whose scenario did not fail this time (remove them from the baseline).
    #[serde(rename = "baselineNowPassing", skip_serializing_if = "Vec::is_empty")]
    pub baseline_now_passing: Vec<String>,
    /// The reference target of a differential run (`--reference`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Where the target and the reference answered differently.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    /// The run was stopped early (Ctrl-C): scenarios after the one running were not run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

impl Report {
    /// Results with this status (failures tolerated by the baseline included).
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }

    /// Failures the baseline does not tolerate.
    pub fn new_failures(&self) -> usize {
        self.results.iter().filter(|r| r.is_new_failure()).count()
    }

    /// No failure beyond the baseline, (in a differential run) no difference, and the run
    /// was not interrupted.
    pub fn success(&self) -> bool {
        self.new_failures() == 0 && self.differences.is_empty() && !self.interrupted
    }

    /// `N passed, N failed`, plus `, N warnings`, `, N skipped`, `, N known failures` and
    /// `, N differences` when there are some. `failed` counts only failures the baseline does
    /// not tolerate.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed",
            self.count(Status::Passed),
            self.new_failures()
        );
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let warnings = self.count(Status::Warning);
        if warnings > 0 {
            let _ = write!(line, ", {}", plural(warnings, "warning", "warnings"));
        }
        let skipped = self.count(Status::Skipped);
        if skipped > 0 {
            let _ = write!(line, ", {skipped} skipped");
        }
        let known = self.count(Status::Failed) - self.new_failures();
        if known > 0 {
            let _ = write!(
                line,
                ", {}",
                plural(known, "known failure", "known failures")
            );
        }
        if self.reference.is_some() {
            let n = self.differences.len();
            let _ = write!(line, ", {}", plural(n, "difference", "differences"));
        }
        if self.interrupted {
            line.push_str(", interrupted");
        }
        line
    }

    /// New failures grouped by root cause, in order of first appearance. Two failures share a
    /// cause when their first lines agree once run-specific parts (numbers, ids, tokens, the
    /// run prefix, the request's path) are blanked out.
    pub fn failure_groups(&self) -> Vec<Vec<&ScenarioResult>> {
        let mut groups: Vec<(String, Vec<&ScenarioResult>)> = Vec::new();
        for r in self.results.iter().filter(|r| r.is_new_failure()) {
            let key = root_cause(r.message.as_deref().unwrap_or(""));
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(r),
                None => groups.push((key, vec![r])),
            }
        }
        groups.into_iter().map(|(_, members)| members).collect()
    }

    /// The human report printed after the progress lines: failures grouped by root cause (the
    /// first of each group in full with its replay, the others one line each), warnings, known
    /// failures, skip reasons, differences, coverage and clean-up notes, then the summary line.
    pub fn human(&self) -> String {
        self.human_with(&Paint::default())
    }

    /// [`Report::human`] with colours.
    pub fn human_with(&self, paint: &Paint) -> String {
        let mut out = String::new();
        let groups = self.failure_groups();
        if !groups.is_empty() {
            let _ = writeln!(
                out,
                "\n{} ({} failures, {} distinct causes):",
                paint.red("failures"),
                self.new_failures(),
                groups.len()
            );
        }
        for group in &groups {
            let first = group[0];
            let _ = writeln!(out, "\n--- {} ---", paint.bold(&first.name));
            let _ = writeln!(out, "{}", first.message.as_deref().unwrap_or(""));
            if !first.exchanges.is_empty() {
                let _ = writeln!(out, "replay (sh; set BASE to replay on another target):");
                for line in first.replay().lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
            if group.len() > 1 {
                let _ = writeln!(
                    out,
                    "the same cause fails {} more (replay each with --filter NAME):",
                    group.len() - 1
                );
                for r in &group[1..] {
                    let _ = writeln!(
                        out,
                        "  {} {}: {}",
                        paint.red("FAILED"),
                        r.name,
                        cut(r.headline(), 160)
                    );
                }
            }
        }
        let warned: Vec<&ScenarioResult> = self
            .results
            .iter()
            .filter(|r| r.status == Status::Warning)
            .collect();
        if !warned.is_empty() {
            let _ = writeln!(out, "\n{}:", paint.yellow("warnings"));
            for r in warned {
                let _ = writeln!(out, "  {}: {}", r.name, cut(r.headline(), 200));
            }
        }
        let known: Vec<&ScenarioResult> = self
            .results
            .iter()
            .filter(|r| r.status == Status::Failed && r.known.is_some())
            .collect();
        if !known.is_empty() {
            let _ = writeln!(out, "\nknown failures (baseline):");
            for r in known {
                let _ = writeln!(
                    out,
                    "  {}: {} (baseline: {})",
                    r.name,
                    cut(r.headline(), 120),
                    r.known.as_deref().unwrap_or("")
                );
            }
        }
        if !self.baseline_now_passing.is_empty() {
            let _ = writeln!(
                out,
                "\nbaseline entries that no longer fail (remove them from the baseline): {}",
                self.baseline_now_passing.join(", ")
            );
        }
        if let Some(reference) = &self.reference {
            if self.differences.is_empty() {
                let _ = writeln!(out, "\nno difference from the reference {reference}");
            } else {
                let _ = writeln!(
                    out,
                    "\n{} from the reference {reference}:",
                    paint.red(&format!("{} differences", self.differences.len()))
                );
                for d in &self.differences {
                    let _ = writeln!(
                        out,
                        "  {} at {} ({}): target {} · reference {}",
                        d.scenario,
                        d.at,
                        d.kind,
                        cut(&d.target, 160),
                        cut(&d.reference, 160)
                    );
                }
            }
        }
        let mut reasons: Vec<&str> = self
            .results
            .iter()
            .filter(|r| r.status == Status::Skipped)
            .filter_map(|r| r.message.as_deref())
            .collect();
        reasons.sort_unstable();
        reasons.dedup();
        if !reasons.is_empty() {
            let _ = writeln!(out, "\nskipped because: {}", reasons.join("; "));
        }
        if !self.uncovered_routes.is_empty() {
            let _ = writeln!(
                out,
                "\nnot exercised ({} documented routes): {}",
                self.uncovered_routes.len(),
                self.uncovered_routes.join(", ")
            );
        }
        if !self.cleanup_leftovers.is_empty() {
            let _ = writeln!(
                out,
                "\nclean-up could not delete {} records (first: {})",
                self.cleanup_leftovers.len(),
                self.cleanup_leftovers[0].lines().next().unwrap_or("")
            );
        }
        let _ = writeln!(
            out,
            "\ntarget {} · run {} · seed {} · {} cases · {:.1} s",
            self.target,
            self.run_id,
            self.seed,
            self.cases,
            Duration::from_millis(self.duration_ms).as_secs_f64()
        );
        if self.interrupted {
            let _ = writeln!(
                out,
                "\n{}: {} scenarios ran; what they created was cleaned up",
                paint.red("interrupted"),
                self.results.len()
            );
        }
        let summary = self.summary();
        let _ = writeln!(
            out,
            "{}",
            if self.success() {
                paint.green(&summary)
            } else {
                paint.red(&summary)
            }
        );
        out
    }
}

/// Colours for the human output (ANSI SGR), or none.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    pub fn red(&self, text: &str) -> String {
        self.wrap("31", text)
    }
    pub fn green(&self, text: &str) -> String {
        self.wrap("32", text)
    }
    pub fn yellow(&self, text: &str) -> String {
        self.wrap("33", text)
    }
    pub fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
    pub fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
}

/// The key that groups failures by root cause: the first line that says what went wrong (for
/// contract violations the first violation without its request), with numbers, hex ids, tokens
/// and run-unique names blanked out.
pub fn root_cause(message: &str) -> String {
    let mut lines = message.lines();
    let mut line = lines.next().unwrap_or("");
    if line.starts_with("responses depart from the documented contract") {
        line = lines.next().unwrap_or("").trim();
        if let Some((_, problem)) = line.split_once(" -> ") {
            line = problem;
        }
    }
    // `step 3 Op { .. }: POST /path: expected ...` and `POST /path: ...`: the request is where,
    // not why.
    let mut why = line;
    // `step N Op { .. }: ...`: the operation's Debug text holds `: ` itself.
    if why.starts_with("step ") {
        let methods = ["GET ", "POST ", "PUT ", "DELETE ", "PATCH "];
        let at = why
            .match_indices(": ")
            .map(|(i, _)| i)
            .find(|&i| methods.iter().any(|m| why[i + 2..].starts_with(m)))
            .or_else(|| why.find("}: ").map(|i| i + 1));
        if let Some(i) = at {
            why = &why[i + 2..];
        }
    }
    while let Some(i) = why.find(": ") {
        let head = &why[..i];
        if head.starts_with("step ")
            || head
                .split_whitespace()
                .nth(1)
                .is_some_and(|p| p.starts_with('/'))
        {
            why = &why[i + 2..];
        } else {
            break;
        }
    }
    why.split(|c: char| c.is_whitespace())
        .map(|word| {
            let alnum = word.chars().filter(char::is_ascii_alphanumeric).count();
            let digits = word.chars().filter(char::is_ascii_digit).count();
            if word.contains("cf-")
                || digits > 0
                || (alnum >= 20 && !word.chars().all(char::is_alphabetic))
            {
                "#"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A text cut at `max` characters.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests;
