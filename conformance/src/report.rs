//! The result of a run, and its three renderings: human text, JUnit XML, JSON.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::http::Exchange;
use crate::routes::Group;

/// How a scenario ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
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
}

impl ScenarioResult {
    /// The failure's requests as curl lines, with the answers as comments.
    pub fn replay(&self) -> String {
        self.exchanges
            .iter()
            .map(Exchange::describe)
            .collect::<Vec<_>>()
            .join("\n")
    }
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
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }

    /// Everything that ran passed.
    pub fn success(&self) -> bool {
        self.count(Status::Failed) == 0
    }

    /// `N passed, N failed`, plus `, N skipped` when some were.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed",
            self.count(Status::Passed),
            self.count(Status::Failed)
        );
        let skipped = self.count(Status::Skipped);
        if skipped > 0 {
            let _ = write!(line, ", {skipped} skipped");
        }
        line
    }

    /// The human report printed after the progress lines: failures with their replay,
    /// skip reasons, coverage and clean-up notes, then the summary line.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let failed: Vec<&ScenarioResult> = self
            .results
            .iter()
            .filter(|r| r.status == Status::Failed)
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\nfailures:");
        }
        for r in failed {
            let _ = writeln!(out, "\n--- {} ---", r.name);
            let _ = writeln!(out, "{}", r.message.as_deref().unwrap_or(""));
            if !r.exchanges.is_empty() {
                let _ = writeln!(out, "replay:");
                for line in r.replay().lines() {
                    let _ = writeln!(out, "  {line}");
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
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    /// JUnit XML: one test suite per group.
    pub fn junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"userfront-conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            self.results.len(),
            self.count(Status::Failed),
            self.count(Status::Skipped),
            self.duration_ms as f64 / 1000.0
        );
        for group in Group::ALL {
            let results: Vec<&ScenarioResult> =
                self.results.iter().filter(|r| r.group == group).collect();
            if results.is_empty() {
                continue;
            }
            let count = |s: Status| results.iter().filter(|r| r.status == s).count();
            let time: u64 = results.iter().map(|r| r.duration_ms).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
                group.as_str(),
                results.len(),
                count(Status::Failed),
                count(Status::Skipped),
                time as f64 / 1000.0
            );
            for r in results {
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                    group.as_str(),
                    xml(&r.name),
                    r.duration_ms as f64 / 1000.0
                );
                let message = xml(r.message.as_deref().unwrap_or(""));
                match r.status {
                    Status::Passed => out.push_str("/>\n"),
                    Status::Skipped => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{message}\"/>\n    </testcase>"
                        );
                    }
                    Status::Failed => {
                        let first = xml(r
                            .message
                            .as_deref()
                            .unwrap_or("")
                            .lines()
                            .next()
                            .unwrap_or(""));
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{first}\">{message}\n\n{}</failure>\n    </testcase>",
                            xml(&r.replay())
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["summary"] = self.summary().into();
        value["passed"] = self.success().into();
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot hold.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, status: Status) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            group: Group::Auth,
            tags: vec![],
            status,
            duration_ms: 1,
            message: (status != Status::Passed).then(|| "why <this> & \"that\"".into()),
            exchanges: vec![],
        }
    }

    fn report(results: Vec<ScenarioResult>) -> Report {
        Report {
            target: "http://x".into(),
            run_id: "r".into(),
            seed: 1,
            cases: 1,
            mock_controls: true,
            results,
            uncovered_routes: vec![],
            cleanup_leftovers: vec![],
            observed: Default::default(),
            duration_ms: 5,
        }
    }

    #[test]
    fn summary_mentions_skips_only_when_there_are_some() {
        let r = report(vec![
            result("a", Status::Passed),
            result("b", Status::Failed),
        ]);
        assert_eq!(r.summary(), "1 passed, 1 failed");
        assert!(!r.success());
        let r = report(vec![
            result("a", Status::Passed),
            result("b", Status::Skipped),
        ]);
        assert_eq!(r.summary(), "1 passed, 0 failed, 1 skipped");
        assert!(r.success());
        assert!(r.human().ends_with("1 passed, 0 failed, 1 skipped\n"));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let r = report(vec![
            result("a", Status::Failed),
            result("b", Status::Skipped),
        ]);
        let xml = r.junit();
        assert!(xml.contains("tests=\"2\" failures=\"1\" skipped=\"1\""));
        assert!(xml.contains("why &lt;this&gt; &amp; &quot;that&quot;"));
        assert!(xml.contains("<skipped message="));
    }
}
