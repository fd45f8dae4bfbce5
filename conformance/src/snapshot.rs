//! Contract snapshots: canonical flows recorded as redacted JSON, in insta's file format.
//!
//! A flow's transcript (requests, answers, decoded token claims) is redacted so that it no
//! longer depends on the run: ids, tokens, times, keys and the run prefix become stable
//! placeholders (`[uuid-1]`, `[jwt-access]`, `[time]`, `[run]`, ...); ids are numbered by first
//! appearance so that equal values stay visibly equal. Object keys are sorted, so member order does not
//! matter.
//!
//! The committed files live in `conformance/snapshots/<name>.snap`. `run` compares each flow
//! with its file; `--record-snapshots` writes `<name>.snap.new` beside it instead, which
//! `cargo insta review` shows as a diff to accept or reject. The crate's own test
//! (`tests/it/snapshots.rs`) checks the same files with insta's assertions.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::scenario::{Cx, Outcome, fail};

/// Where snapshots are and what to do with them.
#[derive(Clone, Debug)]
pub struct Options {
    pub dir: PathBuf,
    /// Write `.snap.new` files instead of comparing.
    pub record: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dir: default_dir(),
            record: false,
        }
    }
}

/// `conformance/snapshots`, relative to the working directory: in a checkout's root, the
/// working files. Where that folder does not exist (a copied or installed binary), the
/// committed snapshots built into the binary ([`EMBEDDED`]) are compared against. Never the
/// build checkout's absolute path: a binary must behave the same wherever it is moved.
pub fn default_dir() -> PathBuf {
    PathBuf::from("conformance/snapshots")
}

/// The committed snapshots, built into the binary.
const EMBEDDED: [(&str, &str); 3] = [
    (
        "error_catalogue",
        include_str!("../snapshots/error_catalogue.snap"),
    ),
    (
        "password_flow",
        include_str!("../snapshots/password_flow.snap"),
    ),
    ("public_keys", include_str!("../snapshots/public_keys.snap")),
];

/// The snapshot `name` at `path`; with the default directory and no such file, the embedded
/// one.
fn committed(dir: &Path, path: &Path, name: &str) -> Option<String> {
    read(path).or_else(|| {
        (dir == default_dir())
            .then(|| EMBEDDED.iter().find(|(n, _)| *n == name))
            .flatten()
            .and_then(|(_, text)| parse(text))
    })
}

/// Replaces run-dependent values with placeholders.
pub struct Redactor {
    /// Literal substrings to replace first (run id, tenant ids), with their placeholder.
    literals: Vec<(String, String)>,
    numbered: HashMap<String, String>,
    counters: HashMap<&'static str, usize>,
}

/// Members whose values are always replaced, whatever they hold.
const REDACTED_MEMBERS: &[(&str, &str)] = &[
    ("username", "username"),
    ("iat", "unix"),
    ("exp", "unix"),
    ("n", "modulus"),
    ("publicKey", "pem"),
    ("publicKeyBase64", "pem-base64"),
    ("verificationCode", "code"),
    ("ipAddress", "ip"),
    ("userAgent", "user-agent"),
    ("totpSecret", "totp-secret"),
    ("qrCode", "qr-code"),
];

/// Members holding ids that are numbers.
const NUMBERED_MEMBERS: &[&str] = &["userId"];

impl Redactor {
    /// A redactor for a run on `cx`'s target.
    pub fn new(cx: &Cx) -> Self {
        let mut literals = vec![(format!("cf-{}-", cx.target.run_id), "cf-[run]-".to_owned())];
        literals.push((cx.tenant().to_owned(), "[tenant]".to_owned()));
        if let Some(other) = &cx.target.creds.other_tenant_id {
            literals.push((other.clone(), "[other-tenant]".to_owned()));
        }
        Redactor {
            literals,
            numbered: HashMap::new(),
            counters: HashMap::new(),
        }
    }

    fn placeholder(&mut self, kind: &'static str, value: &str) -> String {
        let key = format!("{kind}:{value}");
        if let Some(p) = self.numbered.get(&key) {
            return p.clone();
        }
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        let p = format!("[{kind}-{n}]");
        self.numbered.insert(key, p.clone());
        p
    }

    /// The redacted copy of `value`, with object members sorted.
    pub fn redact(&mut self, value: &Value) -> Value {
        self.walk(None, value)
    }

    fn walk(&mut self, member: Option<&str>, value: &Value) -> Value {
        if let Some(m) = member {
            // A value under the run prefix is redacted by text (it stays readable).
            let prefixed = value
                .as_str()
                .is_some_and(|s| s.contains(self.literals[0].0.as_str()));
            if let Some((_, kind)) = REDACTED_MEMBERS.iter().find(|(name, _)| *name == m)
                && !value.is_null()
                && !prefixed
            {
                return Value::String(format!("[{kind}]"));
            }
            if NUMBERED_MEMBERS.contains(&m)
                && let Some(n) = value.as_u64()
            {
                return Value::String(self.placeholder("userId", &n.to_string()));
            }
        }
        match value {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect();
                let mut out = Map::new();
                for (k, v) in sorted {
                    out.insert(k.clone(), self.walk(Some(k), v));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.walk(None, v)).collect()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    /// Redacts inside a string: run prefix and tenant ids, then JWTs, keys, UUIDs and times.
    fn text(&mut self, s: &str) -> String {
        if let Some(credential) = s.strip_prefix("Bearer ") {
            return format!("Bearer {}", self.text(credential));
        }
        let mut s = s.to_owned();
        for (literal, placeholder) in &self.literals {
            if !literal.is_empty() {
                s = s.replace(literal.as_str(), placeholder);
            }
        }
        if is_jwt(&s) {
            return jwt_kind(&s).to_owned();
        }
        if let Some(kind) = api_key_kind(&s) {
            return self.placeholder(kind, &s);
        }
        if is_iso_time(&s) {
            return "[time]".to_owned();
        }
        self.replace_uuids(&s)
    }

    fn replace_uuids(&mut self, s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < bytes.len() {
            if i + 36 <= bytes.len() && is_uuid(&s[i..i + 36]) {
                out.push_str(&self.placeholder("uuid", &s[i..i + 36]));
                i += 36;
            } else {
                let ch = s[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && s.starts_with("eyJ")
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn api_key_kind(s: &str) -> Option<&'static str> {
    if !s.starts_with("uf_") || s.contains(' ') {
        return None;
    }
    if s.contains("_first_factor_") {
        return Some("first-factor-token");
    }
    ["admin", "readonly", "webhook"]
        .into_iter()
        .find(|t| s.contains(&format!("_{t}_")))
        .map(|t| match t {
            "admin" => "admin-key",
            "readonly" => "readonly-key",
            _ => "webhook-key",
        })
}

fn is_iso_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && s.ends_with('Z')
        && b[..4].iter().all(u8::is_ascii_digit)
}

/// The text stored in a snapshot file for a redacted transcript.
pub fn render(transcript: &Value) -> String {
    serde_json::to_string_pretty(transcript).unwrap_or_default()
}

/// The contents of a snapshot file (insta format: YAML header, `---`, contents).
pub fn read(path: &Path) -> Option<String> {
    let snapshot = insta::Snapshot::from_file(path).ok()?;
    snapshot.as_text().map(|t| t.to_string())
}

/// The contents of a snapshot file's text (insta's format: a `---` header, then the contents),
/// as [`read`] gives them.
fn parse(text: &str) -> Option<String> {
    let rest = text.strip_prefix("---\n")?;
    let (_header, contents) = rest.split_once("\n---\n")?;
    Some(contents.trim_end_matches('\n').to_owned())
}

/// Writes a snapshot in insta's format.
pub fn write(path: &Path, name: &str, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text =
        format!("---\nsource: conformance/src/snapshot.rs\nexpression: {name}\n---\n{contents}\n");
    std::fs::write(path, text)
}

/// A unified diff of two snapshot texts.
pub fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header("committed", "target")
        .to_string()
}

/// The payload of a JWT, without verifying it (verification is the scenarios' business).
fn jwt_payload(token: &str) -> Option<Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A placeholder naming what a token is. Not numbered: two tokens issued in the same second
/// may be byte-identical, so identity would depend on timing.
fn jwt_kind(token: &str) -> &'static str {
    let claims = jwt_payload(token).unwrap_or_default();
    if claims["type"] == "refresh" {
        "[jwt-refresh]"
    } else if claims.get("authorization").is_some() {
        "[jwt-access]"
    } else if claims.get("email").is_some() {
        "[jwt-id]"
    } else {
        "[jwt]"
    }
}

/// The claims of every token in a response, keyed by where the token is.
fn token_claims(value: &Value, at: &str, out: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                token_claims(v, &format!("{at}/{k}"), out);
            }
        }
        Value::String(s) if is_jwt(s) => {
            if let Some(claims) = jwt_payload(s) {
                out.insert(at.to_owned(), claims);
            }
        }
        _ => {}
    }
}

/// The transcript of the exchanges a flow made so far: requests, answers, token claims.
pub fn transcript(cx: &Cx) -> Value {
    let base = &cx.target.base;
    let steps: Vec<Value> = cx
        .exchanges()
        .iter()
        .map(|e| {
            let mut request = Map::new();
            request.insert("method".into(), e.method.clone().into());
            request.insert(
                "path".into(),
                e.url.strip_prefix(base.as_str()).unwrap_or(&e.url).into(),
            );
            if !e.headers.is_empty() {
                let headers: Map<String, Value> = e
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                request.insert("headers".into(), Value::Object(headers));
            }
            if let Some(body) = &e.body {
                request.insert("body".into(), body.clone());
            }
            let mut response = Map::new();
            response.insert("status".into(), e.status.into());
            response.insert("body".into(), e.response.clone());
            let mut claims = Map::new();
            token_claims(&e.response, "", &mut claims);
            if !claims.is_empty() {
                response.insert("tokenClaims".into(), Value::Object(claims));
            }
            serde_json::json!({ "request": request, "response": response })
        })
        .collect();
    Redactor::new(cx).redact(&Value::Array(steps))
}

/// Compares the transcript of the flow run so far on `cx` with its committed snapshot, or
/// records it.
pub fn check(cx: &Cx, name: &str) -> Outcome {
    let redacted = transcript(cx);
    let text = render(&redacted);
    let path = cx.snapshots.dir.join(format!("{name}.snap"));
    if cx.snapshots.record {
        let new = path.with_extension("snap.new");
        if committed(&cx.snapshots.dir, &path, name).as_deref() == Some(text.as_str()) {
            let _ = std::fs::remove_file(&new);
            return Ok(());
        }
        return write(&new, name, &text)
            .map_err(|e| fail(format!("cannot write {}: {e}", new.display())));
    }
    match committed(&cx.snapshots.dir, &path, name) {
        None => Err(fail(format!(
            "no snapshot {} (record one with --record-snapshots)",
            path.display()
        ))),
        Some(old) if old == text => {
            // A matching snapshot asserts every member of every answer of the flow (the
            // redacted ones only in kind: the coverage report leaves them out).
            for step in redacted.as_array().into_iter().flatten() {
                crate::coverage::note_value(&step["response"]["body"]);
            }
            Ok(())
        }
        Some(old) => Err(fail(format!(
            "the flow departs from snapshot {}:\n{}",
            path.display(),
            diff(&old, &text)
        ))),
    }
}

#[cfg(test)]
mod embedded_tests {
    use super::*;

    /// The snapshots built into the binary read as the committed files do.
    #[test]
    fn embedded_snapshots_match_the_committed_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
        let files = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(files, EMBEDDED.len(), "a snapshot is not embedded");
        for (name, text) in EMBEDDED {
            let file = read(&dir.join(format!("{name}.snap")));
            assert!(file.is_some(), "{name}");
            assert_eq!(parse(text), file, "{name}");
        }
    }
}
