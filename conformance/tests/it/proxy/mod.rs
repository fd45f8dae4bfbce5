//! A tampering reverse proxy: sits between the runner and a healthy mock and injects one
//! defect, so a test can prove the runner notices it. The mock itself stays untouched.
//!
//! A [`Defect`] may rewrite the request before it is forwarded, answer it itself instead, and
//! rewrite the answer before the runner sees it.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A request as the proxy sees it.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The JSON body, if the request had one.
    pub body: Option<Value>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: String) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }

    /// The bearer credential.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }

    pub fn is(&self, method: &str, route_suffix: &str) -> bool {
        self.method == method && self.route().ends_with(route_suffix)
    }
}

/// An answer as the proxy sees it.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// JSON body, or `Value::String` of anything else.
    pub body: Value,
}

impl Resp {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Resp {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body,
        }
    }
}

type RequestHook = Box<dyn Fn(&mut Req) -> Option<Resp> + Send + Sync>;
type ResponseHook = Box<dyn Fn(&Req, &mut Resp) + Send + Sync>;

/// One deliberately injected defect.
#[derive(Default)]
pub struct Defect {
    on_request: Option<RequestHook>,
    on_response: Option<ResponseHook>,
}

impl Defect {
    /// No defect at all (the proxy is transparent).
    pub fn none() -> Self {
        Defect::default()
    }

    /// Rewrites requests; returning an answer short-circuits the mock.
    pub fn request(f: impl Fn(&mut Req) -> Option<Resp> + Send + Sync + 'static) -> Self {
        Defect {
            on_request: Some(Box::new(f)),
            on_response: None,
        }
    }

    /// Rewrites answers.
    pub fn response(f: impl Fn(&Req, &mut Resp) + Send + Sync + 'static) -> Self {
        Defect {
            on_request: None,
            on_response: Some(Box::new(f)),
        }
    }

    /// Adds an answer rewrite to a request rewrite.
    pub fn and_response(mut self, f: impl Fn(&Req, &mut Resp) + Send + Sync + 'static) -> Self {
        self.on_response = Some(Box::new(f));
        self
    }
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    defect: Defect,
}

/// A running proxy; dropping it stops it.
pub struct Proxy {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1:0 in front of `upstream`.
    pub async fn start(upstream: &str, defect: Defect) -> Proxy {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            defect,
        });
        let app = Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { url, task }
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 2 * 1024 * 1024).await.unwrap_or_default();
    let mut req = Req {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into()),
        headers: parts
            .headers
            .iter()
            .filter(|(n, _)| !["host", "content-length"].contains(&n.as_str()))
            .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: serde_json::from_slice(&bytes).ok(),
    };
    let original = req.clone();
    let answered = shared.defect.on_request.as_ref().and_then(|f| f(&mut req));
    let mut resp = match answered {
        Some(resp) => resp,
        None => {
            let method =
                reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
            let mut builder = shared
                .http
                .request(method, format!("{}{}", shared.upstream, req.path));
            for (n, v) in &req.headers {
                builder = builder.header(n, v);
            }
            builder = match (&req.body, original.body.is_some()) {
                (Some(body), _) => builder.body(body.to_string()),
                (None, false) => builder.body(bytes.to_vec()),
                (None, true) => builder,
            };
            let upstream = match builder.send().await {
                Ok(r) => r,
                Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
            };
            let status = upstream.status().as_u16();
            let headers = upstream
                .headers()
                .iter()
                .filter(|(n, _)| !["content-length", "transfer-encoding"].contains(&n.as_str()))
                .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_owned())))
                .collect();
            let text = upstream.text().await.unwrap_or_default();
            Resp {
                status,
                headers,
                body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            }
        }
    };
    if let Some(f) = &shared.defect.on_response {
        f(&req, &mut resp);
    }
    let text = match &resp.body {
        Value::String(s)
            if !resp
                .headers
                .iter()
                .any(|(n, v)| n == "content-type" && v.starts_with("application/json")) =>
        {
            s.clone()
        }
        other => other.to_string(),
    };
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::OK);
    for (n, v) in &resp.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            response.headers_mut().append(n, v);
        }
    }
    response
}

/// Calls `f` on every JWT in a JSON value, replacing it with what `f` returns.
pub fn map_tokens(value: &mut Value, f: &dyn Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "value"
                    && let Value::String(s) = v
                    && s.starts_with("eyJ")
                {
                    *v = Value::String(f(s));
                } else {
                    map_tokens(v, f);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| map_tokens(v, f)),
        _ => {}
    }
}
