use super::*;
use crate::state::seed::Seed;

fn world() -> World {
    World::from_seed(Arc::new(Seed::embedded().unwrap()))
}

#[test]
fn a_world_survives_export_and_import() {
    let mut original = world();
    original.clock.advance(86_400_000);
    let state = export(&original);
    let text = to_json(&state).unwrap();
    let snapshot = Snapshot::parse(std::str::from_utf8(&text).unwrap()).unwrap();
    let mut copy = World::from_seed(original.seed.clone());
    copy.import(Arc::new(snapshot));
    let mut again = export(&copy);
    again.exported_at = state.exported_at.clone();
    assert!(
        to_json(&again).unwrap() == text,
        "a second export is identical"
    );
    assert_eq!(copy.clock.offset(), 86_400_000);
    let realm = copy.realm_of("demo1234", Mode::Test).unwrap();
    assert_eq!(realm.users.len(), 4);
    assert_eq!(realm.by_email.get("admin@example.com"), Some(&1));
    assert_eq!(copy.home("demo1234").unwrap().mode, None);
}

#[test]
fn other_formats_and_versions_are_refused() {
    let state = export(&world());
    let mut value = serde_json::to_value(&state).unwrap();
    value["version"] = 2.into();
    let err = Snapshot::parse(&value.to_string()).unwrap_err();
    assert!(err.contains("version 2 is not supported"), "{err}");
    value["format"] = "something-else".into();
    let err = Snapshot::parse(&value.to_string()).unwrap_err();
    assert!(err.contains("not a state file"), "{err}");
    assert!(Snapshot::parse("{").unwrap_err().starts_with("not JSON"));
}

#[test]
fn broken_references_are_refused() {
    let mut state = export(&world());
    state.api_keys[0].tenant_id = "nope0000".into();
    let err = Snapshot::check(state).unwrap_err();
    assert!(err.contains("unknown tenant nope0000"), "{err}");

    let mut state = export(&world());
    let demo = state
        .workspaces
        .iter_mut()
        .find(|w| w.tenant_id == "demo1234")
        .unwrap();
    let user = demo.test.users[0].clone();
    demo.test.users.push(user);
    let err = Snapshot::check(state).unwrap_err();
    assert!(err.contains("user 1 appears twice"), "{err}");

    let mut state = export(&world());
    state.workspaces[0].live.signing_key.private_key = "not a key".into();
    let err = Snapshot::check(state).unwrap_err();
    assert!(err.contains("(live): signing key"), "{err}");
}

/// Issue 11 item 2: a state that would not load again (user data nested 122 levels, which
/// the edge now refuses, put in directly) is never written over a good file, and a state
/// that cannot be serialised is an error, not a 1-byte file.
#[test]
fn a_state_that_would_not_load_again_is_never_written() {
    let dir = std::env::temp_dir().join(format!("uf-persist-bad-{}", std::process::id()));
    let file = dir.join("state.json");
    let mut world = world();
    write(&export(&world), &file).unwrap();
    let good = std::fs::read(&file).unwrap();

    let mut deep = Value::Object(Default::default());
    for _ in 0..122 {
        deep = serde_json::json!({ "d": deep });
    }
    let realm = world.realm_of_mut("demo1234", Mode::Test).unwrap();
    let user = realm.users.values_mut().next().unwrap();
    user.data = deep.as_object().cloned().unwrap();
    let err = write(&export(&world), &file).unwrap_err();
    assert!(err.contains("would not load again"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), good, "the good file stays");

    let mut state = export(&World::from_seed(world.seed.clone()));
    state.webhooks.push(WebhookDelivery {
        id: Uuid::nil(),
        url: String::new(),
        headers: Default::default(),
        body: "not JSON".into(),
        status: None,
        error: None,
        created_at: String::new(),
    });
    let err = to_json(&state).unwrap_err();
    assert!(err.contains("cannot be serialised"), "{err}");
    assert!(write(&state, &file).is_err());
    assert_eq!(std::fs::read(&file).unwrap(), good, "the good file stays");
    let leftovers = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn writes_replace_the_file_whole() {
    let dir = std::env::temp_dir().join(format!("uf-persist-{}", std::process::id()));
    let file = write(&export(&world()), &dir.join("sub/")).unwrap();
    assert_eq!(file, dir.join("sub").join(FILE_NAME));
    write_atomic(&file, b"second").unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), b"second");
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
