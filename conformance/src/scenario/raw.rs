//! Requests written byte for byte on a plain TCP connection, for what reqwest cannot send: a
//! header name in a chosen case (hyper writes every header name in lowercase). Conventions C-5:
//! the `Authorization` header name is case-insensitive, and the JS client sends both spellings.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use super::{Cx, Failure, Outcome, fail};
use crate::http::Exchange;

/// How long a raw request may take, connecting and reading included.
const RAW_TIMEOUT: Duration = Duration::from_secs(10);

/// Most bytes of an answer a raw request reads (the answers it expects are small).
const RAW_LIMIT: u64 = 1 << 20;

impl Cx {
    /// `GET path` with the one header `name: value`, the name written exactly as given.
    /// Returns the status and the JSON body (a string when it is not JSON). Skips on a target
    /// reached over TLS, which a plain connection cannot talk to.
    pub async fn raw_get(&self, path: &str, name: &str, value: &str) -> Outcome<(u16, Value)> {
        let authority = self.target.base.strip_prefix("http://").ok_or_else(|| {
            Failure::Skip("header spellings are sent over plain http only".into())
        })?;
        let (authority, prefix) = match authority.split_once('/') {
            Some((a, p)) => (a.to_owned(), format!("/{}", p.trim_end_matches('/'))),
            None => (authority.to_owned(), String::new()),
        };
        let target = format!("{prefix}{path}");
        let text = format!(
            "GET {target} HTTP/1.1\r\nHost: {authority}\r\n{name}: {value}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        let addr = authority.clone();
        let answer = tokio::task::spawn_blocking(move || exchange_raw(&addr, &text))
            .await
            .map_err(|e| fail(format!("raw request task: {e}")))?;
        let mut exchange = Exchange {
            method: "GET".into(),
            url: format!("{}{path}", self.target.base),
            headers: vec![(name.to_owned(), value.to_owned())],
            body: None,
            status: None,
            response: Value::Null,
        };
        let outcome = answer.map_err(|e| fail(format!("GET {path} ({name}): no answer: {e}")));
        if let Ok((status, body)) = &outcome {
            exchange.status = Some(*status);
            exchange.response = body.clone();
        }
        self.record(exchange);
        let (status, body) = outcome?;
        let route = path.split('?').next().unwrap_or(path);
        crate::coverage::sent("GET", route, status);
        crate::coverage::judged("GET", route);
        Ok((status, body))
    }
}

/// Writes `text` to `addr` and reads the whole answer (the connection is closed after it).
fn exchange_raw(addr: &str, text: &str) -> Result<(u16, Value), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(RAW_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(RAW_TIMEOUT)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    stream
        .take(RAW_LIMIT)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    parse_answer(&bytes)
}

/// The status and body of an HTTP/1.1 answer (`Content-Length`, chunked, or up to the close).
fn parse_answer(bytes: &[u8]) -> Result<(u16, Value), String> {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let rest = &bytes[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("no status line")?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        unchunk(rest)?
    } else {
        rest.to_vec()
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// The body of a chunked answer.
fn unchunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line not ended")?;
        let size_text = String::from_utf8_lossy(&rest[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("chunk shorter than its size")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_with_a_length_or_in_chunks() {
        let plain = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_answer(plain), Ok((401, serde_json::json!({}))));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_answer(chunked),
            Ok((200, serde_json::json!({ "a": 1 })))
        );
        assert!(parse_answer(b"garbage").is_err());
    }
}
