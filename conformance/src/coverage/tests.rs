use super::*;

#[test]
fn the_spec_has_its_hundred_rules() {
    let ids: Vec<String> = rules().into_iter().map(|r| r.id).collect();
    assert_eq!(ids.iter().filter(|i| i.starts_with("C-")).count(), 18);
    assert_eq!(ids.iter().filter(|i| i.starts_with("CS-")).count(), 35);
    assert_eq!(ids.iter().filter(|i| i.starts_with("SS-")).count(), 47);
}

#[test]
fn members_are_read_from_assertion_source() {
    assert_eq!(
        members_of(r#"me["tenant"]["tenantId"] == x.get("updatedAt")"#),
        vec!["tenant", "tenantId", "updatedAt"]
    );
    assert!(members_of(r#"body == "plain""#).is_empty());
}

#[test]
fn response_fields_follow_refs() {
    let fields = response_fields();
    assert!(fields.contains("User.updatedAt"), "{fields:?}");
    assert!(fields.contains("Error.statusCode"));
}

#[test]
fn every_declared_check_names_a_rule() {
    let ids: BTreeSet<String> = rules().into_iter().map(|r| r.id).collect();
    for s in crate::scenarios::all() {
        for c in &s.checks {
            assert!(ids.contains(rule_of(c)), "{}: unknown rule {c}", s.name);
        }
    }
}

fn observation(passed: bool, assertions: usize) -> Observation {
    Observation {
        scenario: "users.x.y".into(),
        passed,
        checks: vec!["C-15", "SS-1"],
        notes: Notes {
            members: ["updatedAt".to_string()].into(),
            schemas: ["User"].into(),
            assertions,
            ..Notes::default()
        },
    }
}

#[test]
fn a_declaration_counts_only_with_assertions_that_ran_and_passed() {
    let checked = |o: Observation| {
        let c = Coverage::compute(&Observed { scenarios: vec![o] });
        let rule = c
            .rules
            .iter()
            .find(|l| l.item.starts_with("C-15 "))
            .cloned();
        let field = c
            .fields
            .iter()
            .find(|l| l.item == "User.updatedAt")
            .cloned();
        (!rule.unwrap().by.is_empty(), !field.unwrap().by.is_empty())
    };
    assert_eq!(checked(observation(true, 3)), (true, true));
    assert_eq!(checked(observation(true, 0)), (false, false));
    assert_eq!(checked(observation(false, 3)), (false, false));
}

#[test]
fn nothing_is_noted_outside_a_scenario() {
    note(r#"x["a"]"#);
    assert!(current().is_none());
}
