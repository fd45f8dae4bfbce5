//! Coverage you can see: which documented routes, response fields and rules of the spec a run
//! actually asserted, and by which scenario.
//!
//! Nothing here trusts a declaration alone. While a scenario runs, its task carries a
//! notebook ([`Notes`]) that the assertion helpers write into as they execute:
//! - `ensure!`/`ensure_eq!` note the JSON members their expressions read (`body["updatedAt"]`,
//!   `.get("email")`), so a member counts as asserted only if an assertion mentioning it ran;
//! - [`crate::scenario::Resp::ok`], `err`, `err_type`, `expect_status` note the route whose
//!   answer they judged, and `err` the error members they compared;
//! - [`crate::scenario::Cx::send`] notes the routes sent and the response schemas seen;
//! - a snapshot that matched notes every member of the answers it compared.
//!
//! The report ([`Coverage::compute`]) joins those notes with the contract: a response field
//! `Schema.member` is asserted when a *passing* scenario received an answer whose schema holds
//! it (following `$ref`s) and ran an assertion reading a member of that name; a route is
//! asserted when a passing scenario judged one of its answers; a rule is checked when a passing
//! scenario that asserted something declared it ([`crate::scenario::Scenario::checks`]) or,
//! for the endpoint rules CS-n and SS-n, judged an answer of the route that rule documents
//! (`section` in `operations.json`). The member match is by name (a scenario that saw a `User`
//! and asserted some `email` covers `User.email`), so it can over-count where two schemas of
//! one scenario share a member name; it never counts a member no executed assertion named.
//!
//! Gaps that are known and accepted are listed with their reason in
//! `conformance/coverage-gaps.txt` ([`GAPS`]); the crate's test keeps the report at that floor.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::routes;

/// The committed list of accepted gaps: `<kind> <item>\t<reason>` per line, `#` comments.
pub const GAPS: &str = include_str!("../../coverage-gaps.txt");

/// What one scenario's assertions touched while it ran.
#[derive(Clone, Debug, Default)]
pub struct Notes {
    /// JSON member names read by executed assertions.
    pub members: BTreeSet<String>,
    /// Response schemas of the answers received (success schema, or `Error`).
    pub schemas: BTreeSet<&'static str>,
    /// Routes sent (`METHOD /path`, docs form).
    pub sent: BTreeSet<String>,
    /// Routes whose answer an assertion judged.
    pub judged: BTreeSet<String>,
    /// Assertions executed.
    pub assertions: usize,
}

/// A notebook shared by a scenario's task and the runner.
pub type Notebook = Arc<Mutex<Notes>>;

tokio::task_local! {
    static NOTES: Notebook;
}

/// Runs `future` with `notes` as the notebook of everything it asserts.
pub async fn scope<F: Future>(notes: Notebook, future: F) -> F::Output {
    NOTES.scope(notes, future).await
}

/// The notebook of the running scenario, to carry into a task it starts (properties).
pub fn current() -> Option<Notebook> {
    NOTES.try_with(Arc::clone).ok()
}

fn with(f: impl FnOnce(&mut Notes)) {
    let _ = NOTES.try_with(|n| {
        if let Ok(mut notes) = n.lock() {
            f(&mut notes);
        }
    });
}

/// An assertion over `expression` (its source text) ran: notes the members it reads.
pub fn note(expression: &str) {
    with(|n| {
        n.assertions += 1;
        n.members.extend(members_of(expression));
    });
}

/// An assertion compared these members by name (helpers that check a fixed member).
pub fn note_members(names: &[&str]) {
    with(|n| {
        n.assertions += 1;
        n.members.extend(names.iter().map(|s| s.to_string()));
    });
}

/// A redacted answer was compared as a whole (a snapshot): every member in it is asserted,
/// except those whose value was replaced by a placeholder (`[time]`, `[uuid-1]`): their value
/// was not compared.
pub fn note_value(value: &Value) {
    fn placeholder(value: &Value) -> bool {
        value
            .as_str()
            .is_some_and(|s| s.starts_with('[') && s.ends_with(']'))
    }
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if !placeholder(v) {
                        out.insert(k.clone());
                    }
                    walk(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    with(|n| {
        n.assertions += 1;
        walk(value, &mut n.members);
    });
}

/// A request went out and was answered with `status`.
pub fn sent(method: &str, path: &str, status: u16) {
    let Some(route) = routes::find(method, path) else {
        return;
    };
    with(|n| {
        if status != 404 && status != 405 {
            n.sent.insert(route.label());
        }
        if status < 300 {
            if let Some(name) = schema_name(route.response) {
                n.schemas.insert(name);
            }
        } else if status >= 400 {
            n.schemas.insert("Error");
        }
    });
}

/// An assertion judged the answer of a request to `method path`.
pub fn judged(method: &str, path: &str) {
    with(|n| {
        n.assertions += 1;
        if let Some(route) = routes::find(method, path) {
            n.judged.insert(route.label());
        }
    });
}

/// The JSON member names an expression reads: `x["name"]`, `.get("name")`, `["a"]["b"]`.
pub fn members_of(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    for opener in ["[\"", ".get(\""] {
        let mut rest = expression;
        while let Some(at) = rest.find(opener) {
            rest = &rest[at + opener.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            let name = &rest[..end];
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// The component schema a route's success answers with (`redirect`, `html`, ... are none).
fn schema_name(response: &'static str) -> Option<&'static str> {
    let schemas = &userfront_contract::schema::document()["components"]["schemas"];
    schemas.get(response).is_some().then_some(response)
}

/// One scenario's part of a run.
#[derive(Clone, Debug)]
pub struct Observation {
    pub scenario: String,
    pub passed: bool,
    /// The rules the scenario declares it checks.
    pub checks: Vec<&'static str>,
    pub notes: Notes,
}

/// Everything a run observed, in run order.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub scenarios: Vec<Observation>,
}

impl Observed {
    /// Adds a scenario's result and notes.
    pub fn add(
        &mut self,
        scenario: &crate::scenario::Scenario,
        result: &crate::report::ScenarioResult,
        notes: &Notebook,
    ) {
        self.scenarios.push(Observation {
            scenario: scenario.name.to_owned(),
            passed: result.status == crate::report::Status::Passed,
            checks: scenario.checks.clone(),
            notes: notes.lock().map(|n| n.clone()).unwrap_or_default(),
        });
    }
}

/// `userfront-conformance coverage`: runs the whole suite (against `target`, else the
/// in-process mock), prints the coverage, and fails when it is below its floor (a gap that is
/// not in the committed list) or when the run itself failed.
pub async fn command(target: Option<String>, all: bool) -> Result<bool, String> {
    let config = crate::runner::Config {
        target,
        ..crate::runner::Config::default()
    };
    let report = crate::runner::run(config, &mut |_, _, _| {}).await?;
    let coverage = Coverage::compute(&report.observed);
    let text = coverage.human();
    if all {
        print!("{text}");
    } else {
        // The totals and what is missing; `--all` lists the covered items too.
        for line in text.lines() {
            if line.starts_with("coverage:") || line.ends_with(':') || line.contains("MISSING") {
                println!("{line}");
            }
        }
    }
    let problems = against_floor(&coverage);
    for p in &problems {
        println!("below the floor: {p}");
    }
    println!("run: {}", report.summary());
    Ok(problems.is_empty() && report.success())
}

/// A documented rule: `C-15`, `CS-4`, `SS-12`, with its title (and its document).
pub use userfront_contract::rules::Rule;

/// The rules of the spec: every `## C-n.`, `## CS-n.`, `## SS-n.` heading of `docs/`, as the
/// contract crate keeps them (`schemas/rules.json`, checked against `docs/` by its test), so the
/// runner embeds nothing from outside its crate.
pub fn rules() -> Vec<Rule> {
    userfront_contract::rules::all()
}

/// The top-level rule a declared check belongs to: `C-6.1` → `C-6`.
pub fn rule_of(check: &str) -> &str {
    match check.find('.') {
        Some(dot) => &check[..dot],
        None => check,
    }
}

/// The rule (`section` of `operations.json`) documenting each route, by label.
fn sections() -> BTreeMap<String, String> {
    let ops: Value = serde_json::from_str(userfront_contract::OPERATIONS_JSON).unwrap_or_default();
    let mut out = BTreeMap::new();
    for op in ops["operations"].as_array().into_iter().flatten() {
        let (Some(method), Some(path), Some(section)) = (
            op["method"].as_str(),
            op["path"].as_str(),
            op["section"].as_str(),
        ) else {
            continue;
        };
        out.insert(
            format!("{} {path}", method.to_uppercase()),
            section.to_owned(),
        );
    }
    out
}

/// The response fields of the contract: `Schema.member` (inline objects as
/// `Schema.member.inner`) of every schema a documented route answers with, following `$ref`s.
pub fn response_fields() -> BTreeSet<String> {
    let schemas = &userfront_contract::schema::document()["components"]["schemas"];
    let mut todo: Vec<String> = routes::all()
        .filter_map(|r| schema_name(r.response))
        .map(str::to_owned)
        .collect();
    todo.push("Error".into());
    let mut seen = BTreeSet::new();
    let mut fields = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut refs = Vec::new();
        fields_of(&schemas[&name], &name, &mut fields, &mut refs);
        todo.extend(refs);
    }
    fields
}

/// The schemas a schema refers to (itself included), transitively.
fn closure(name: &str) -> BTreeSet<String> {
    let schemas = &userfront_contract::schema::document()["components"]["schemas"];
    let mut todo = vec![name.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(n) = todo.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        let mut ignored = BTreeSet::new();
        let mut refs = Vec::new();
        fields_of(&schemas[&n], &n, &mut ignored, &mut refs);
        todo.extend(refs);
    }
    seen
}

fn fields_of(schema: &Value, prefix: &str, fields: &mut BTreeSet<String>, refs: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        if let Some(name) = r.strip_prefix("#/components/schemas/") {
            refs.push(name.to_owned());
        }
        return;
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in schema[key].as_array().into_iter().flatten() {
            fields_of(sub, prefix, fields, refs);
        }
    }
    fields_of_items(schema, prefix, fields, refs);
    if let Some(props) = schema["properties"].as_object() {
        for (member, sub) in props {
            let path = format!("{prefix}.{member}");
            fields.insert(path.clone());
            fields_of(sub, &path, fields, refs);
        }
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        fields_of(extra, prefix, fields, refs);
    }
}

fn fields_of_items(
    schema: &Value,
    prefix: &str,
    fields: &mut BTreeSet<String>,
    refs: &mut Vec<String>,
) {
    if let Some(items) = schema.get("items") {
        fields_of(items, prefix, fields, refs);
    }
}

/// One line of the report: an item and the passing scenarios that cover it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub item: String,
    pub by: Vec<String>,
}

/// The coverage of one run.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Every documented route of the checklist, with the scenarios that judged its answer.
    pub routes: Vec<Line>,
    /// Checklist routes no scenario sent at all.
    pub unsent: Vec<String>,
    /// Every response field, with the scenarios that asserted it.
    pub fields: Vec<Line>,
    /// Every rule (`C-15 Webhooks`), with the scenarios that check it.
    pub rules: Vec<Line>,
}

impl Coverage {
    /// The coverage of what a run observed.
    pub fn compute(observed: &Observed) -> Coverage {
        let passing: Vec<&Observation> = observed
            .scenarios
            .iter()
            .filter(|o| o.passed && o.notes.assertions > 0)
            .collect();
        let mut sent_any = BTreeSet::new();
        for o in &observed.scenarios {
            sent_any.extend(o.notes.sent.iter().cloned());
        }
        let checklist: Vec<String> = userfront_contract::routes::checklist()
            .map(|r| r.label())
            .collect();
        let routes = checklist
            .iter()
            .map(|label| Line {
                item: label.clone(),
                by: passing
                    .iter()
                    .filter(|o| o.notes.judged.contains(label))
                    .map(|o| o.scenario.clone())
                    .collect(),
            })
            .collect();
        let unsent = checklist
            .iter()
            .filter(|l| !sent_any.contains(*l))
            .cloned()
            .collect();
        // The schemas each passing scenario saw, closed over `$ref`.
        let mut closures: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        let seen: Vec<BTreeSet<String>> = passing
            .iter()
            .map(|o| {
                let mut all = BTreeSet::new();
                for s in &o.notes.schemas {
                    all.extend(closures.entry(s).or_insert_with(|| closure(s)).clone());
                }
                all
            })
            .collect();
        let fields = response_fields()
            .into_iter()
            .map(|field| {
                let (schema, rest) = field.split_once('.').unwrap_or((&field, ""));
                let member = rest.rsplit('.').next().unwrap_or(rest);
                let by = passing
                    .iter()
                    .zip(&seen)
                    .filter(|(o, saw)| saw.contains(schema) && o.notes.members.contains(member))
                    .map(|(o, _)| o.scenario.clone())
                    .collect();
                Line { item: field, by }
            })
            .collect();
        let sections = sections();
        let rules = rules()
            .into_iter()
            .map(|rule| {
                let by = passing
                    .iter()
                    .filter(|o| {
                        o.checks.iter().any(|c| rule_of(c) == rule.id)
                            || o.notes
                                .judged
                                .iter()
                                .any(|l| sections.get(l) == Some(&rule.id))
                    })
                    .map(|o| o.scenario.clone())
                    .collect();
                Line {
                    item: format!("{} {}", rule.id, rule.title),
                    by,
                }
            })
            .collect();
        Coverage {
            routes,
            unsent,
            fields,
            rules,
        }
    }

    /// The uncovered items, as the gap list names them: `route GET /v0/x`, `field User.email`,
    /// `rule C-15`, `unsent GET /v0/x`.
    pub fn gaps(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for l in self.routes.iter().filter(|l| l.by.is_empty()) {
            out.insert(format!("route {}", l.item));
        }
        for l in &self.unsent {
            out.insert(format!("unsent {l}"));
        }
        for l in self.fields.iter().filter(|l| l.by.is_empty()) {
            out.insert(format!("field {}", l.item));
        }
        for l in self.rules.iter().filter(|l| l.by.is_empty()) {
            let id = l.item.split(' ').next().unwrap_or(&l.item);
            out.insert(format!("rule {id}"));
        }
        out
    }

    /// The human report: totals, then every item with up to three covering scenarios.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let count = |lines: &[Line]| lines.iter().filter(|l| !l.by.is_empty()).count();
        let _ = writeln!(
            out,
            "coverage: routes {}/{} asserted ({} unsent), response fields {}/{} asserted, rules {}/{} checked",
            count(&self.routes),
            self.routes.len(),
            self.unsent.len(),
            count(&self.fields),
            self.fields.len(),
            count(&self.rules),
            self.rules.len()
        );
        for (title, lines) in [
            ("routes", &self.routes),
            ("rules", &self.rules),
            ("response fields", &self.fields),
        ] {
            let _ = writeln!(out, "\n{title}:");
            for l in lines.iter() {
                let mark = if l.by.is_empty() {
                    "MISSING"
                } else {
                    "ok     "
                };
                let mut by = l.by.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
                if l.by.len() > 3 {
                    let _ = write!(by, " (+{})", l.by.len() - 3);
                }
                let _ = writeln!(out, "  {mark} {:<50} {by}", l.item);
            }
        }
        out
    }
}

/// The committed gaps: item → reason.
pub fn accepted_gaps() -> BTreeMap<String, String> {
    GAPS.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((item, reason)) => (item.trim().to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

/// How the coverage departs from its floor: gaps not in the list, listed gaps without a
/// reason, and listed gaps that are covered now (the list must shrink with the gaps).
pub fn against_floor(coverage: &Coverage) -> Vec<String> {
    let gaps = coverage.gaps();
    let accepted = accepted_gaps();
    let mut problems = Vec::new();
    for g in &gaps {
        match accepted.get(g) {
            None => problems.push(format!(
                "new gap (assert it, or list it with a reason): {g}"
            )),
            Some(reason) if reason.is_empty() => {
                problems.push(format!("gap listed without a reason: {g}"))
            }
            Some(_) => {}
        }
    }
    for g in accepted.keys() {
        if !gaps.contains(g) {
            problems.push(format!("listed gap is covered now (remove it): {g}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests;
