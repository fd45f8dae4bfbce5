//! A request being built ([`Req`]) and its answer ([`Resp`]), with the assertions that fail a
//! scenario.

use serde_json::Value;

use super::{Cx, Outcome};
use crate::http::{self, Request, Response};
use crate::{ensure, ensure_eq};

/// A request being built.
pub struct Req {
    pub(super) cx: Cx,
    pub(super) request: Request,
}

impl Req {
    /// A JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.request.body = Some(body);
        self
    }

    /// A body that is sent as it is, with a JSON content type (for bodies that are not JSON).
    pub fn raw(mut self, text: &str) -> Self {
        self.request.raw_body = Some(text.to_owned());
        self
    }

    /// `Authorization: Bearer <credential>`.
    pub fn bearer(self, credential: &str) -> Self {
        self.header("authorization", &format!("Bearer {credential}"))
    }

    /// `x-origin`, as the JS client sends it.
    pub fn origin(self, origin: &str) -> Self {
        self.header("x-origin", origin)
    }

    /// Any header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request
            .headers
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sends it.
    pub async fn send(self) -> Outcome<Resp> {
        self.cx.send(self.request).await
    }
}

/// An answer, with assertions that fail the scenario.
#[derive(Clone, Debug)]
pub struct Resp {
    pub(super) described: String,
    pub(super) method: String,
    /// The request path without its query.
    pub(super) route: String,
    pub inner: Response,
}

impl Resp {
    pub fn status(&self) -> u16 {
        self.inner.status
    }

    pub fn body(&self) -> &Value {
        &self.inner.body
    }

    /// Notes for the coverage report that an assertion judged this answer (the assertion
    /// helpers below do it themselves; a scenario judging headers calls it).
    pub fn judge(&self) {
        crate::coverage::judged(&self.method, &self.route);
    }

    /// The body of a 200.
    pub fn ok(self) -> Outcome<Value> {
        self.judge();
        ensure!(
            self.inner.status == 200,
            "{}: expected 200, got {}: {}",
            self.described,
            self.inner.status,
            http::short(&self.inner.body, 300)
        );
        Ok(self.inner.body)
    }

    /// A documented error: status, `statusCode` and `message` (the shape is the contract's).
    pub fn err(&self, status: u16, message: &str) -> Outcome {
        self.judge();
        crate::coverage::note_members(&["statusCode", "message"]);
        ensure!(
            self.inner.status == status && self.inner.body["message"] == message,
            "{}: expected {status} {message:?}, got {} {}",
            self.described,
            self.inner.status,
            http::short(&self.inner.body, 300)
        );
        Ok(())
    }

    /// A documented error with its `error.type`.
    pub fn err_type(&self, status: u16, message: &str, kind: &str) -> Outcome {
        self.err(status, message)?;
        crate::coverage::note_members(&["error", "type"]);
        ensure_eq!(
            self.inner.body["error"]["type"],
            kind,
            "{}: error.type",
            self.described
        );
        Ok(())
    }

    /// Just the status.
    pub fn expect_status(&self, status: u16) -> Outcome {
        self.judge();
        ensure!(
            self.inner.status == status,
            "{}: expected {status}, got {}: {}",
            self.described,
            self.inner.status,
            http::short(&self.inner.body, 300)
        );
        Ok(())
    }
}
