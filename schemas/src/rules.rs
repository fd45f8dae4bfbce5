//! The rules of the spec — every `## C-n.`, `## CS-n.` and `## SS-n.` heading of
//! `docs/conventions.md`, `docs/client-to-server.md` and `docs/server-to-server.md` — as the
//! conformance runner's coverage report counts them.
//!
//! The prose lives in `docs/`, outside this crate, and a packaged crate may embed nothing from
//! outside itself; so the list is **generated** into `schemas/rules.json` (committed, embedded
//! as [`RULES_JSON`]) the way `openapi.json` is built from the route table, and the crate's
//! test `tests/rules.rs` fails when the committed file and the headings of `docs/` drift.
//! Regenerate with `UPDATE_RULES=1 cargo test -p userfront-contract --test rules`.

use serde::{Deserialize, Serialize};

/// `schemas/rules.json`, generated from the headings of `docs/`.
pub const RULES_JSON: &str = include_str!("../rules.json");

/// The documents holding rules, in the order their rules are listed, with their rule prefix.
pub const SOURCES: [(&str, &str); 3] = [
    ("conventions.md", "C-"),
    ("client-to-server.md", "CS-"),
    ("server-to-server.md", "SS-"),
];

/// A documented rule: `C-15`, `CS-4`, `SS-12`, with its title and the document it is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// The file of `docs/` holding the rule, e.g. `conventions.md`.
    pub source: String,
}

#[derive(Serialize, Deserialize)]
struct RulesFile {
    #[serde(rename = "$comment")]
    comment: String,
    rules: Vec<Rule>,
}

const COMMENT: &str = "Generated from the rule headings of docs/*.md by \
    `UPDATE_RULES=1 cargo test -p userfront-contract --test rules`; do not edit by hand.";

/// Every rule, from the embedded `rules.json`, in document order.
pub fn all() -> Vec<Rule> {
    // The file is generated and checked by this crate's test; a broken one is a build defect.
    let file: RulesFile = serde_json::from_str(RULES_JSON).expect("schemas/rules.json parses");
    file.rules
}

/// The rules of one document's markdown (`source` names it): its `## <id>. <title>` headings
/// whose id is `C-`, `CS-` or `SS-` followed by digits.
pub fn from_markdown(source: &str, markdown: &str) -> Vec<Rule> {
    let mut out = Vec::new();
    for line in markdown.lines() {
        let Some(heading) = line.strip_prefix("## ") else {
            continue;
        };
        let Some((id, title)) = heading.split_once(". ") else {
            continue;
        };
        let prefix_ok = ["C-", "CS-", "SS-"].iter().any(|p| {
            id.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        });
        if prefix_ok {
            out.push(Rule {
                id: id.to_owned(),
                title: title.trim().to_owned(),
                source: source.to_owned(),
            });
        }
    }
    out
}

/// The text `rules.json` must hold for these documents, given as (file name, markdown) in
/// [`SOURCES`] order.
pub fn render(documents: &[(&str, &str)]) -> String {
    let rules = documents
        .iter()
        .flat_map(|(source, markdown)| from_markdown(source, markdown))
        .collect();
    let file = RulesFile {
        comment: COMMENT.to_owned(),
        rules,
    };
    serde_json::to_string_pretty(&file).expect("rules serialise") + "\n"
}
