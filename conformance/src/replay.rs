//! Replays: a failure's requests as a shell script that reproduces it on any target.
//!
//! A list of `curl` lines pasted as they were sent does not replay on a fresh target: the later
//! requests carry tokens, uuids and ids that the earlier answers of *that* target handed out.
//! So [`script`] keeps each answer in a file and carries every value a later request reuses in a
//! shell variable read from that answer with `jq`; the base URL is `$BASE`, so the same script
//! replays against a fresh mock on another port. Each step prints `N -> STATUS` and the body;
//! the status and body the runner saw are comments next to it.

use std::fmt::Write as _;

use serde_json::Value;

use crate::http::{Exchange, shell_quote, short};

/// A value an answer handed out, and where `jq` finds it in that answer.
struct Capture {
    value: String,
    /// Index of the exchange whose answer holds it.
    from: usize,
    jq: String,
    var: String,
    used: bool,
}

/// A piece of a shell word: literal text, or a variable.
enum Seg {
    Lit(String),
    Var(String),
}

/// The exchanges as a POSIX shell script (needs `curl` and `jq`); empty for no exchanges.
pub fn script(exchanges: &[Exchange]) -> String {
    let Some(first) = exchanges.first() else {
        return String::new();
    };
    let base = origin(&first.url).to_owned();
    let mut captures: Vec<Capture> = Vec::new();
    for (i, e) in exchanges.iter().enumerate() {
        let mut found = Vec::new();
        collect(&e.response, ".", None, &mut found);
        for (value, jq) in found {
            if !captures.iter().any(|c| c.value == value) {
                captures.push(Capture {
                    value,
                    from: i,
                    jq,
                    // Named at first use: V1, V2, ... in the order the requests need them.
                    var: String::new(),
                    used: false,
                });
            }
        }
    }
    // Render every request first: which captures are used decides which variables to define.
    let mut steps = Vec::with_capacity(exchanges.len());
    for (i, e) in exchanges.iter().enumerate() {
        let mut line = format!(
            "curl -sS -o \"$T/{n}\" -w '{n} -> %{{http_code}}\\n'",
            n = i + 1
        );
        if e.method != "GET" || e.body.is_some() {
            let _ = write!(line, " -X {}", e.method);
        }
        let path = e.url.strip_prefix(&base).unwrap_or(&e.url);
        let _ = write!(line, " \"$BASE\"{}", word(&subst(path, i, &mut captures)));
        for (name, value) in &e.headers {
            let _ = write!(
                line,
                " -H {}",
                word(&subst(&format!("{name}: {value}"), i, &mut captures))
            );
        }
        if let Some(body) = &e.body {
            let _ = write!(
                line,
                " -H 'content-type: application/json' --data {}",
                word(&subst(&body.to_string(), i, &mut captures))
            );
        }
        steps.push(line);
    }
    let mut out = String::from(
        "#!/bin/sh\n# Replays the requests (curl, jq); BASE=URL sh replay.sh runs them on another target.\n",
    );
    let _ = writeln!(out, "BASE=${{BASE:-{}}}", shell_quote(&base));
    out.push_str("T=$(mktemp -d)\n");
    for (i, (step, e)) in steps.iter().zip(exchanges).enumerate() {
        let _ = writeln!(out, "{step}");
        let recorded = match e.status {
            Some(status) => format!("{status} {}", short(&e.response, 300)),
            None => format!("no answer: {}", short(&e.response, 300)),
        };
        let _ = writeln!(out, "cat \"$T/{}\"; echo", i + 1);
        let _ = writeln!(out, "# recorded: {}", recorded.replace('\n', " "));
        for c in captures.iter().filter(|c| c.used && c.from == i) {
            let _ = writeln!(
                out,
                "{}=$(jq -r {} \"$T/{}\")",
                c.var,
                shell_quote(&c.jq),
                i + 1
            );
        }
    }
    out.push_str("rm -rf \"$T\"\n");
    out
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(i) => &url[..after + i],
        None => url,
    }
}

/// Whether a string an answer handed out is worth carrying over: long and id-like (letters and
/// digits, or long enough to be a token); short words would match by accident.
fn worth(value: &str) -> bool {
    let digits = value.chars().any(|c| c.is_ascii_digit());
    let letters = value.chars().any(|c| c.is_ascii_alphabetic());
    (value.len() >= 8 && digits && letters) || value.len() >= 24
}

/// Characters that split a link or path into the parts a request may reuse one by one.
const SPLIT: &[char] = &['?', '&', '=', '/', '#'];

/// The values of an answer a later request may reuse, with their `jq` expressions: id-like
/// strings, the parts of links (a token in a query string), and numeric ids (`userId`).
fn collect(value: &Value, path: &str, key: Option<&str>, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let simple = k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
                let sub = if simple {
                    if path == "." {
                        format!(".{k}")
                    } else {
                        format!("{path}.{k}")
                    }
                } else {
                    format!(
                        "{}[{}]",
                        if path == "." { "." } else { path },
                        Value::String(k.clone())
                    )
                };
                collect(v, &sub, Some(k), out);
            }
        }
        Value::Array(items) => {
            for (n, v) in items.iter().enumerate() {
                let base = if path == "." { "." } else { path };
                collect(v, &format!("{base}[{n}]"), key, out);
            }
        }
        Value::String(s) => {
            if worth(s) {
                out.push((s.clone(), path.to_owned()));
            }
            if s.contains(SPLIT) {
                for (n, part) in s.split(SPLIT).enumerate() {
                    if worth(part) && part != s {
                        out.push((
                            part.to_owned(),
                            format!("{path} | [splits(\"[?&=/#]\")][{n}]"),
                        ));
                    }
                }
            }
        }
        Value::Number(n) if n.is_u64() && key.is_some_and(|k| k.ends_with("Id") || k == "id") => {
            out.push((n.to_string(), path.to_owned()));
        }
        _ => {}
    }
}

/// Splits `text` into literals and the variables of captures from answers before exchange
/// `at`; a value matches only as a whole word (no letter or digit right before or after it).
fn subst(text: &str, at: usize, captures: &mut [Capture]) -> Vec<Seg> {
    let mut order: Vec<usize> = (0..captures.len())
        .filter(|&c| captures[c].from < at)
        .collect();
    order.sort_by_key(|&c| std::cmp::Reverse(captures[c].value.len()));
    let bytes = text.as_bytes();
    let mut segs = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    'scan: while i < text.len() {
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if boundary_before {
            for &c in &order {
                let v = &captures[c].value;
                let end = i + v.len();
                if text[i..].starts_with(v.as_str())
                    && (end == text.len() || !bytes[end].is_ascii_alphanumeric())
                {
                    if !lit.is_empty() {
                        segs.push(Seg::Lit(std::mem::take(&mut lit)));
                    }
                    if !captures[c].used {
                        captures[c].used = true;
                        let n = captures.iter().filter(|c| c.used).count();
                        captures[c].var = format!("V{n}");
                    }
                    segs.push(Seg::Var(captures[c].var.clone()));
                    i = end;
                    continue 'scan;
                }
            }
        }
        let Some(ch) = text[i..].chars().next() else {
            break;
        };
        lit.push(ch);
        i += ch.len_utf8();
    }
    if !lit.is_empty() {
        segs.push(Seg::Lit(lit));
    }
    segs
}

/// One shell word of the pieces: literals single-quoted, variables double-quoted.
fn word(segs: &[Seg]) -> String {
    if segs.is_empty() {
        return "''".into();
    }
    segs.iter()
        .map(|s| match s {
            Seg::Lit(text) => shell_quote(text),
            Seg::Var(var) => format!("\"${var}\""),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exchange(
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
        response: Value,
    ) -> Exchange {
        Exchange {
            method: method.into(),
            url: format!("http://127.0.0.1:4780{path}"),
            headers: auth
                .map(|a| vec![("authorization".to_owned(), format!("Bearer {a}"))])
                .unwrap_or_default(),
            body,
            status: Some(200),
            response,
        }
    }

    #[test]
    fn later_requests_read_earlier_answers_from_variables() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOjF9.c2lnbmF0dXJl";
        let link = "https://app.example.com/login?token=a1b2c3d4e5f6a7b8c9d0&uuid=0f1e2d3c-aaaa";
        let script = script(&[
            exchange(
                "POST",
                "/v0/auth/create",
                None,
                Some(json!({"email": "x@example.com"})),
                json!({"userId": 57, "tokens": {"access": {"value": token}}}),
            ),
            exchange(
                "GET",
                "/__mock/outbox",
                None,
                None,
                json!({"results": [{"link": link}]}),
            ),
            exchange("GET", "/v0/users/57", Some(token), None, json!({})),
            exchange(
                "PUT",
                "/v0/auth/link",
                None,
                Some(json!({"token": "a1b2c3d4e5f6a7b8c9d0"})),
                json!({}),
            ),
        ]);
        assert!(
            script.contains("BASE=${BASE:-'http://127.0.0.1:4780'}"),
            "{script}"
        );
        assert!(
            script.contains("V1=$(jq -r '.userId' \"$T/1\")"),
            "{script}"
        );
        assert!(
            script.contains("V2=$(jq -r '.tokens.access.value' \"$T/1\")"),
            "{script}"
        );
        assert!(
            script.contains("\"$BASE\"'/v0/users/'\"$V1\" -H 'authorization: Bearer '\"$V2\""),
            "{script}"
        );
        assert!(
            script.contains("'.results[0].link | [splits(\"[?&=/#]\")][5]'"),
            "{script}"
        );
        assert!(
            script.contains("--data '{\"token\":\"'\"$V3\"'\"}'"),
            "{script}"
        );
        // Values nobody reuses (the whole link) get no variable.
        assert!(!script.contains("V4="), "{script}");
        assert!(!script.contains("'.results[0].link'"), "{script}");
    }
}
