//! `userfront-conformance diff A.json B.json`: what changed between two runs (their `--json`
//! reports): scenarios whose verdict changed, failures whose reason changed, scenarios only
//! one run has, and the two summary lines.

use std::fmt::Write as _;

use serde_json::Value;

/// The comparison of two reports.
#[derive(Debug, Default)]
pub struct RunDiff {
    /// The human rendering.
    pub text: String,
    /// Scenarios that fail in B but did not fail in A (known failures of B not counted).
    pub newly_failing: usize,
}

fn verdict(result: &Value) -> String {
    match (
        result["status"].as_str(),
        result["knownFailure"].is_string(),
    ) {
        (Some("failed"), true) => "KNOWN FAILURE".into(),
        (Some(status), _) => status.to_uppercase(),
        (None, _) => "?".into(),
    }
}

fn headline(result: &Value) -> &str {
    result["message"]
        .as_str()
        .and_then(|m| m.lines().next())
        .unwrap_or("")
}

/// Compares report `a` (before) with report `b` (after).
pub fn diff(a: &Value, b: &Value) -> Result<RunDiff, String> {
    let results = |v: &Value, which: &str| -> Result<Vec<Value>, String> {
        v["results"].as_array().cloned().ok_or_else(|| {
            format!("{which} is not a userfront-conformance JSON report (no results)")
        })
    };
    let (ra, rb) = (
        results(a, "the first file")?,
        results(b, "the second file")?,
    );
    let find = |list: &[Value], name: &str| list.iter().find(|r| r["name"] == name).cloned();
    let mut out = RunDiff::default();
    let mut lines = Vec::new();
    for r in &rb {
        let name = r["name"].as_str().unwrap_or("?");
        let now = verdict(r);
        match find(&ra, name) {
            None => lines.push(format!("added     {name}: {now}")),
            Some(before) => {
                let was = verdict(&before);
                if was != now {
                    if now == "FAILED" {
                        out.newly_failing += 1;
                        lines.push(format!("FAILING   {name}: {was} -> {now}: {}", headline(r)));
                    } else {
                        lines.push(format!("changed   {name}: {was} -> {now}"));
                    }
                } else if now == "FAILED" && headline(&before) != headline(r) {
                    lines.push(format!(
                        "reason    {name}: {} -> {}",
                        headline(&before),
                        headline(r)
                    ));
                }
            }
        }
        if now == "FAILED" && find(&ra, name).is_none() {
            out.newly_failing += 1;
        }
    }
    for r in &ra {
        let name = r["name"].as_str().unwrap_or("?");
        if find(&rb, name).is_none() {
            lines.push(format!("removed   {name}: was {}", verdict(r)));
        }
    }
    let summary = |v: &Value| v["summary"].as_str().unwrap_or("?").to_owned();
    if lines.is_empty() {
        out.text.push_str("no scenario changed its verdict\n");
    }
    for line in lines {
        let _ = writeln!(out.text, "{line}");
    }
    let _ = writeln!(
        out.text,
        "before: {} (seed {}) · after: {} (seed {})",
        summary(a),
        a["seed"],
        summary(b),
        b["seed"]
    );
    let _ = writeln!(out.text, "{} newly failing", out.newly_failing);
    Ok(out)
}
