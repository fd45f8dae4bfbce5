//! The machine-readable forms of a [`Report`]: JUnit XML, JSON, GitHub annotations and the
//! Markdown step summary.

use std::fmt::Write as _;

use super::*;

impl Report {
    /// JUnit XML: one test suite per group. Every test case carries its verdict as the
    /// property `verdict`; a warning is a passed case with the remark in `<system-out>`, a
    /// failure the baseline tolerates is `<skipped>` (it must not turn CI red) with its reason.
    pub fn junit(&self) -> String {
        fn skipped_like(r: &&ScenarioResult) -> bool {
            r.status == Status::Skipped || (r.status == Status::Failed && r.known.is_some())
        }
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"userfront-conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            self.results.len(),
            self.new_failures(),
            self.results.iter().filter(skipped_like).count(),
            self.duration_ms as f64 / 1000.0
        );
        for group in Group::ALL {
            let results: Vec<&ScenarioResult> =
                self.results.iter().filter(|r| r.group == group).collect();
            if results.is_empty() {
                continue;
            }
            let time: u64 = results.iter().map(|r| r.duration_ms).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
                group.as_str(),
                results.len(),
                results.iter().filter(|r| r.is_new_failure()).count(),
                results.iter().copied().filter(skipped_like).count(),
                time as f64 / 1000.0
            );
            for r in results {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">\n      <properties><property name=\"verdict\" value=\"{}\"/></properties>",
                    group.as_str(),
                    xml(&r.name),
                    r.duration_ms as f64 / 1000.0,
                    r.status.verdict()
                );
                let message = xml(r.message.as_deref().unwrap_or(""));
                match (r.status, &r.known) {
                    (Status::Passed, _) => {}
                    (Status::Warning, _) => {
                        let _ = writeln!(out, "      <system-out>WARNING: {message}</system-out>");
                    }
                    (Status::Skipped, _) => {
                        let _ = writeln!(out, "      <skipped message=\"{message}\"/>");
                    }
                    (Status::Failed, Some(reason)) => {
                        let _ = writeln!(
                            out,
                            "      <skipped message=\"known failure (baseline): {}\"/>\n      <system-out>{message}</system-out>",
                            xml(reason)
                        );
                    }
                    (Status::Failed, None) => {
                        let _ = writeln!(
                            out,
                            "      <failure message=\"{}\">{message}\n\n{}</failure>",
                            xml(r.headline()),
                            xml(&r.replay())
                        );
                    }
                }
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// The report as JSON: the fields of [`Report`], each result with its `verdict` and (for a
    /// failure) its `replay` script, plus `summary`, `passed` and `counts`.
    pub fn json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(results) = value["results"].as_array_mut() {
            for (v, r) in results.iter_mut().zip(&self.results) {
                v["verdict"] = r.status.verdict().into();
                if !r.exchanges.is_empty() && r.status == Status::Failed {
                    v["replay"] = r.replay().into();
                }
            }
        }
        value["summary"] = self.summary().into();
        value["passed"] = self.success().into();
        value["counts"] = serde_json::json!({
            "passed": self.count(Status::Passed),
            "failed": self.new_failures(),
            "knownFailures": self.count(Status::Failed) - self.new_failures(),
            "warnings": self.count(Status::Warning),
            "skipped": self.count(Status::Skipped),
        });
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }

    /// GitHub Actions output (`--format github`): one `::error` annotation per failure cause
    /// (the other scenarios of the cause are named in it), one `::warning` per warning.
    pub fn github_annotations(&self) -> String {
        let mut out = String::new();
        for group in self.failure_groups() {
            let first = group[0];
            let mut text = first.message.clone().unwrap_or_default();
            if group.len() > 1 {
                let others: Vec<&str> = group[1..].iter().map(|r| r.name.as_str()).collect();
                let _ = write!(text, "\n(same cause fails also: {})", others.join(", "));
            }
            let _ = writeln!(
                out,
                "::error title={}::{}",
                gh_property(&format!("conformance: {}", first.name)),
                gh_data(&text)
            );
        }
        for r in self.results.iter().filter(|r| r.status == Status::Warning) {
            let _ = writeln!(
                out,
                "::warning title={}::{}",
                gh_property(&format!("conformance: {}", r.name)),
                gh_data(r.message.as_deref().unwrap_or(""))
            );
        }
        for d in &self.differences {
            let _ = writeln!(
                out,
                "::error title={}::{} at {}: target {} / reference {}",
                gh_property(&format!("conformance difference: {}", d.scenario)),
                gh_data(&d.kind),
                gh_data(&d.at),
                gh_data(&d.target),
                gh_data(&d.reference)
            );
        }
        out
    }

    /// A Markdown step summary (`$GITHUB_STEP_SUMMARY`): the summary line, a table of the
    /// verdicts, and the failures by cause.
    pub fn markdown(&self) -> String {
        let mut out = String::from("## Userfront conformance\n\n");
        let _ = writeln!(
            out,
            "**{}** — {} {}\n",
            self.summary(),
            if self.success() { "✅" } else { "❌" },
            md(&self.target)
        );
        out.push_str("| verdict | scenarios |\n|---|---|\n");
        for status in [
            Status::Passed,
            Status::Failed,
            Status::Warning,
            Status::Skipped,
        ] {
            let _ = writeln!(out, "| {} | {} |", status.verdict(), self.count(status));
        }
        let groups = self.failure_groups();
        if !groups.is_empty() {
            out.push_str("\n### Failures by cause\n\n");
            for group in groups {
                let names: Vec<String> = group.iter().map(|r| format!("`{}`", r.name)).collect();
                let _ = writeln!(
                    out,
                    "- {} — {}",
                    md(&cut(group[0].headline(), 200)),
                    names.join(", ")
                );
            }
        }
        let warned: Vec<&ScenarioResult> = self
            .results
            .iter()
            .filter(|r| r.status == Status::Warning)
            .collect();
        if !warned.is_empty() {
            out.push_str("\n### Warnings\n\n");
            for r in warned {
                let _ = writeln!(out, "- `{}` — {}", r.name, md(&cut(r.headline(), 200)));
            }
        }
        if !self.differences.is_empty() {
            let _ = writeln!(
                out,
                "\n### {} differences from the reference\n",
                self.differences.len()
            );
            for d in &self.differences {
                let _ = writeln!(
                    out,
                    "- `{}` at {} ({}): target {} · reference {}",
                    d.scenario,
                    md(&d.at),
                    d.kind,
                    md(&cut(&d.target, 120)),
                    md(&cut(&d.reference, 120))
                );
            }
        }
        out
    }
}

/// Escapes the message of a GitHub workflow command.
fn gh_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property of a GitHub workflow command.
fn gh_property(text: &str) -> String {
    gh_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Keeps text from breaking a Markdown table or list.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
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
