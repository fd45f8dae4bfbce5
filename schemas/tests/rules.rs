//! Keeps `schemas/rules.json` equal to the rule headings of `docs/*.md`, its one source.
//!
//! Reads `../docs/` (outside the crate), so this file is left out of the packaged crate; it
//! runs in the workspace. Also the regeneration command:
//! `UPDATE_RULES=1 cargo test -p userfront-contract --test rules`.

use std::path::Path;

use userfront_contract::rules;

#[test]
fn committed_rules_are_the_headings_of_docs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs: Vec<(&str, String)> = rules::SOURCES
        .iter()
        .map(|(file, _)| {
            let path = root.join("../docs").join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (*file, text)
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = docs.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let built = rules::render(&borrowed);
    let path = root.join("rules.json");
    if std::env::var_os("UPDATE_RULES").is_some() {
        std::fs::write(&path, &built).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == built,
        "schemas/rules.json is stale against docs/*.md: regenerate it with \
         `UPDATE_RULES=1 cargo test -p userfront-contract --test rules`"
    );
    assert_eq!(
        rules::RULES_JSON,
        committed,
        "the embedded copy is the committed file"
    );
}

#[test]
fn every_rule_is_in_the_document_of_its_prefix() {
    let all = rules::all();
    assert!(all.len() >= 100, "only {} rules", all.len());
    for rule in &all {
        let (_, prefix) = rules::SOURCES
            .iter()
            .find(|(file, _)| *file == rule.source)
            .unwrap_or_else(|| panic!("{} names an unknown document", rule.id));
        let number = rule.id.strip_prefix(prefix).unwrap_or_default();
        assert!(
            !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
            "{} in {}",
            rule.id,
            rule.source
        );
    }
}
