//! The contract snapshots, checked with insta: `cargo insta test -p userfront-conformance`
//! then `cargo insta review` shows any change of a canonical flow as a diff to accept.
//!
//! The flows run against the in-process mock through the runner (recording into a scratch
//! directory), and each transcript is compared with its committed file in `conformance/snapshots`.

use userfront_conformance::snapshot::{self, Options};
use userfront_conformance::{Config, Status, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canonical_flows_match_their_snapshots() {
    let scratch = std::env::temp_dir().join(format!("uf-snapshots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let config = Config {
        filters: vec!["snapshot".into()],
        snapshots: Options {
            dir: scratch.clone(),
            record: true,
        },
        ..Config::default()
    };
    let report = run(config, &mut |_, _, _| {}).await.expect("run");
    assert!(report.count(Status::Passed) >= 3, "{}", report.human());
    assert!(report.success(), "{}", report.human());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&scratch).expect("recorded") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".snap.new"))
            .expect("a .snap.new file")
            .to_owned();
        let contents = snapshot::read(&path).expect("readable snapshot");
        names.push(name.clone());
        insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, contents);
        });
    }
    let _ = std::fs::remove_dir_all(&scratch);
    names.sort();
    assert_eq!(names, ["error_catalogue", "password_flow", "public_keys"]);
}
