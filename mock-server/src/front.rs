//! The front door: what happens to every request before and after its route, in order, in one
//! place.
//!
//! 1. the control guard ([`ControlGuard`]): `/__mock/*` only for loopback origins and hosts;
//! 2. the body deadline ([`crate::conn::body_in_time`]): the whole body within the limit;
//! 3. CORS ([`Cors`]): preflights answered here, the other answers given their headers;
//! 4. the journal and console log ([`crate::control::journal::record`]);
//! 5. a panic in a route becomes the documented 500, not a dropped connection;
//! 6. the router of the route table ([`crate::api::router`]).
//!
//! Why not tower layers (`from_fn`, tower-http's `CorsLayer`, `CatchPanicLayer`): each layer
//! on the router wraps every route, and each `from_fn` clones and boxes the rest of the stack
//! on every request. Measured on `GET /v0/tenants/{id}/mode`, the layered stack made ~90
//! allocations per request against a bare hyper server's two, and was most of the gap to it.
//! Written as one async function, the order is also plain to read.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

use crate::api::App;
use crate::control::guard::ControlGuard;
use crate::error::Error;

/// Every request's way in; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Front(Arc<Inner>);

struct Inner {
    guard: ControlGuard,
    body_timeout: Duration,
    app: App,
    router: Router,
}

impl Front {
    /// The front door of `app`, with its router built from the route table.
    pub fn new(app: App, guard: ControlGuard, body_timeout: Duration) -> Self {
        let router = crate::api::router(app.clone());
        Front(Arc::new(Inner {
            guard,
            body_timeout,
            app,
            router,
        }))
    }

    /// Answers one request (see the module documentation for the steps).
    pub async fn handle(self, req: Request) -> Response {
        let this = &*self.0;
        if req.uri().path().starts_with("/__mock")
            && let Some(refusal) = this.guard.refusal(req.headers())
        {
            return refusal.into_response();
        }
        let req = match crate::conn::body_in_time(req, this.body_timeout).await {
            Ok(req) => req,
            Err(refusal) => return refusal,
        };
        let cors = Cors::of(req.headers());
        if req.method() == Method::OPTIONS {
            return cors.preflight(req.headers());
        }
        let router = this.router.clone();
        let mut response = crate::control::journal::record(&this.app, req, |req| async move {
            use futures_util::FutureExt;
            let routed = std::panic::AssertUnwindSafe(router.oneshot(req)).catch_unwind();
            match routed.await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_panic) => Error::internal().into_response(),
            }
        })
        .await;
        cors.apply(response.headers_mut());
        response
    }
}

/// Cross-origin access for browser apps, as the real API allows it: a page on
/// `http://localhost:3000` calls the mock on another port, and its browser (or jsdom) sends a
/// preflight for the JSON body and the `authorization` and `x-userfront-source` headers. Any
/// origin, method and header is allowed, with credentials (the origin, method and headers asked
/// for are mirrored); the mock is a local test tool. Every `OPTIONS` request is a preflight.
/// `/__mock/*` is narrowed before this, by the control guard.
struct Cors {
    origin: Option<HeaderValue>,
}

/// What every answer varies by, since the CORS headers mirror the request's.
const VARY: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);
/// How long a browser may keep a preflight's answer: a day.
const MAX_AGE: HeaderValue = HeaderValue::from_static("86400");

impl Cors {
    fn of(headers: &HeaderMap) -> Self {
        Cors {
            origin: headers.get(header::ORIGIN).cloned(),
        }
    }

    /// The headers of every answer: credentials allowed, the origin mirrored, and `Vary`
    /// appended to any the route set.
    fn apply(self, headers: &mut HeaderMap) {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.append(header::VARY, VARY);
        if let Some(origin) = self.origin {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
    }

    /// The answer to a preflight: 200, empty, the method and headers asked for allowed.
    fn preflight(self, request: &HeaderMap) -> Response {
        let mut response = Response::new(axum::body::Body::empty());
        let headers = response.headers_mut();
        for (asked, allowed) in [
            (
                header::ACCESS_CONTROL_REQUEST_METHOD,
                header::ACCESS_CONTROL_ALLOW_METHODS,
            ),
            (
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                header::ACCESS_CONTROL_ALLOW_HEADERS,
            ),
        ] {
            if let Some(value) = request.get(asked) {
                headers.insert(allowed, value.clone());
            }
        }
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE);
        self.apply(headers);
        response
    }
}
