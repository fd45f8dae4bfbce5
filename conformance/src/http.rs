//! The wire: requests a scenario sends, responses it reads, and the record of both.
//!
//! Every exchange is recorded ([`Exchange`]) so that a failure can be printed as a list of
//! `curl` lines a person can paste into a shell to replay what the runner did.

use std::fmt::Write as _;

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

/// One request and the answer it got.
#[derive(Clone, Debug, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// Request headers the runner set (not those reqwest adds).
    pub headers: Vec<(String, String)>,
    /// The request body, when there was one.
    pub body: Option<Value>,
    /// The response status, or `None` when the request never got an answer.
    pub status: Option<u16>,
    /// The response body (JSON, or a string for anything else).
    pub response: Value,
}

impl Exchange {
    /// A `curl` command line that sends the same request.
    pub fn curl(&self) -> String {
        let mut line = String::from("curl -sS");
        if self.method != "GET" || self.body.is_some() {
            let _ = write!(line, " -X {}", self.method);
        }
        let _ = write!(line, " {}", shell_quote(&self.url));
        for (name, value) in &self.headers {
            let _ = write!(line, " -H {}", shell_quote(&format!("{name}: {value}")));
        }
        if let Some(body) = &self.body {
            // A string body is a raw one (`Request::raw_body`), sent as it is.
            let text = match body {
                Value::String(raw) => raw.clone(),
                other => other.to_string(),
            };
            let _ = write!(
                line,
                " -H 'content-type: application/json' --data {}",
                shell_quote(&text)
            );
        }
        line
    }

    /// `curl ...` plus a comment with the answer (status and a short body).
    pub fn describe(&self) -> String {
        let answer = match self.status {
            Some(status) => format!("{status} {}", short(&self.response, 300)),
            None => format!("no answer: {}", short(&self.response, 300)),
        };
        format!("{}\n    # -> {answer}", self.curl())
    }
}

/// Single-quotes a word for a POSIX shell.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A one-line rendering of a JSON value, cut at `max` characters.
pub fn short(value: &Value, max: usize) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// A request being built by a scenario.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    /// A body sent as it is, with a JSON content type, instead of `body` (text that is not
    /// JSON, such as a truncated object).
    pub raw_body: Option<String>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            raw_body: None,
        }
    }

    /// The path without its query string.
    pub fn route_path(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }
}

/// An answer.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// JSON body, or `Value::String` of a body that is not JSON.
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Response {
    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `request` to `base` and records the exchange (also when no answer came).
pub async fn send(
    http: &reqwest::Client,
    base: &str,
    request: &Request,
) -> (Exchange, Result<Response, String>) {
    let url = format!("{base}{}", request.path);
    let mut builder = http.request(request.method.clone(), &url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(raw) = &request.raw_body {
        builder = builder
            .header("content-type", "application/json")
            .body(raw.clone());
    } else if let Some(body) = &request.body {
        builder = builder
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let mut exchange = Exchange {
        method: request.method.to_string(),
        url,
        headers: request.headers.clone(),
        body: request
            .raw_body
            .clone()
            .map(Value::String)
            .or_else(|| request.body.clone()),
        status: None,
        response: Value::Null,
    };
    let answer: Result<Response, String> = async {
        let response = builder.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Response {
            status,
            body,
            headers,
        })
    }
    .await;
    match &answer {
        Ok(r) => {
            exchange.status = Some(r.status);
            exchange.response = r.body.clone();
        }
        Err(e) => exchange.response = Value::String(e.clone()),
    }
    (exchange, answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn curl_lines_quote_what_the_shell_would_split() {
        let exchange = Exchange {
            method: "POST".into(),
            url: "http://127.0.0.1:1/v0/auth/basic".into(),
            headers: vec![("authorization".into(), "Bearer k".into())],
            body: Some(json!({"name": "O'Brien"})),
            status: Some(200),
            response: json!({}),
        };
        assert_eq!(
            exchange.curl(),
            r#"curl -sS -X POST 'http://127.0.0.1:1/v0/auth/basic' -H 'authorization: Bearer k' -H 'content-type: application/json' --data '{"name":"O'\''Brien"}'"#
        );
    }
}
