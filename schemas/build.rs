//! Embeds every JSON Schema of this folder (`<Name>.json`, all `*.json` but `operations.json`,
//! `openapi.json` and `rules.json`) by name, so adding a schema file needs no code change and
//! the crate reads nothing from disk at run time.

use std::fmt::Write as _;
use std::path::Path;

/// The JSON files of the folder that are not JSON Schemas.
const NOT_SCHEMAS: [&str; 3] = ["operations.json", "openapi.json", "rules.json"];

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&dir);
    // A directory makes cargo rerun on any change inside it, new files included.
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the crate folder is readable")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|file| file.ends_with(".json") && !NOT_SCHEMAS.contains(&file.as_str()))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Every JSON Schema of `schemas/`: (name, text), sorted by name.\n\
         pub static SCHEMA_FILES: &[(&str, &str)] = &[\n",
    );
    for file in &names {
        let name = file.trim_end_matches(".json");
        let path = dir.join(file);
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to a String");
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("schema_files.rs"), out).expect("write OUT_DIR");
}
