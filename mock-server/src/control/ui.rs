//! The web page of the mock (`GET /__mock/`): the outbox, users, request journal, webhooks,
//! clock, reset, keys and a token decoder, for a developer who would rather look than read.
//!
//! The page is three static files embedded in the binary (`mock-server/ui/`): no build step, no
//! framework, nothing fetched from elsewhere, so it works offline. It reads and drives only the
//! control surface and the public JWKS, from its own origin, so the control guard
//! ([`super::guard`]) lets it through like any local caller. Every answer carries a strict
//! Content-Security-Policy (scripts, styles and fetches from this origin only, no inline script,
//! no framing): the page shows strings an app under test wrote (emails, user data, request
//! bodies), and the policy keeps a string that slips past the page's escaping from running.
//!
//! `GET /` answers a browser (an `Accept` naming `text/html`) with a pointer to the page; any
//! other request to `/` stays the documented 404, as an API client expects.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};

use crate::api::App;
use crate::error::Error;

/// The page's policy: everything from this origin only; no inline script or style, no plugins,
/// no framing, no `<base>` hijack, forms post only here.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("../../ui/index.html");
const APP_JS: &str = include_str!("../../ui/app.js");
const APP_CSS: &str = include_str!("../../ui/app.css");

/// The pointer `GET /` shows a browser.
const ROOT_HTML: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>userfront-mock</title></head><body><h1>userfront-mock</h1>\
<p>A local fake of the Userfront API. The API is under <code>/v0/</code> \
(<a href=\"/v0/openapi.json\">OpenAPI document</a>).</p>\
<p><a href=\"/__mock/\">Open the mock's web page</a>: outbox, users, requests, webhooks, \
clock, keys and tokens.</p></body></html>";

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", any(root))
        .route("/__mock", get(|| async { Redirect::permanent("/__mock/") }))
        .route(
            "/__mock/",
            get(|| async { asset(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/__mock/ui/app.js",
            get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/__mock/ui/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
}

/// One embedded file with the page's security headers. `no-cache`: a rebuilt mock serves its
/// new page at once.
fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `/`: a browser's `GET` gets the pointer to the page; anything else the 404 it always got.
async fn root(method: Method, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"));
    if method == Method::GET && wants_html {
        asset(ROOT_HTML, "text/html; charset=utf-8")
    } else {
        Error::not_found().into_response()
    }
}
