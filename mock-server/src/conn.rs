//! The connection edge: how long a client may take, and what it is told when hyper refuses its
//! request before any route sees it.
//!
//! [`Edge`] wraps each accepted socket. It enforces two deadlines hyper alone cannot tell apart
//! (hyper's own `header_read_timeout` starts when it waits for a head, so it would also cut
//! idle keep-alive connections at the header limit):
//!
//! - **idle**: a connection waiting for its first or next request (no byte read since it was
//!   accepted or since its last answer was written) is closed quietly after the idle timeout;
//! - **header**: once the first byte of a request arrived, its whole head (up to the empty line)
//!   must arrive within the header timeout, or the connection is dropped (a slowloris client
//!   holds a connection for at most that long).
//!
//! The body deadline is [`body_in_time`], a step of the front door (`crate::front`), so it can
//! answer 408 properly.
//!
//! hyper answers requests it cannot parse itself (400 for a bad request line, header, `NUL` or
//! Content-Length, 414 for a URI over 64 KiB, 431 for headers over its buffer) with an empty
//! body and no hook to change it. Those heads are recognisable: an error status with
//! `content-length: 0` and nothing after, which the app never sends (its errors always carry the
//! JSON body). [`Edge`] rewrites such a head into the documented error body
//! `{"statusCode", "message", "error": {"type"}}` with a JSON content type. The wrapper does not
//! offer vectored writes, so hyper flattens each answer into one buffer and the head is always
//! seen whole at the start of a write.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::api::MAX_BODY;
use crate::error::{Error, msg};

/// Where a connection is in its request cycle, as far as the bytes on the wire tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the first byte of a request.
    Idle,
    /// Reading a head; `line_empty` is true right after a line feed that ended an empty line's
    /// predecessor, so the next line feed ends the head.
    Head { line_empty: bool },
    /// The head is complete: the body and the answer are the app's business.
    Request,
}

/// A socket with the idle and header deadlines, and hyper's bodiless refusals rewritten.
pub struct Edge<S> {
    inner: S,
    phase: Phase,
    idle: Duration,
    header: Duration,
    /// Armed in [`Phase::Idle`] and [`Phase::Head`].
    deadline: Pin<Box<Sleep>>,
    /// Rewritten bytes still to be written, and how many were.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> Edge<S> {
    /// Wraps a freshly accepted socket: it is idle, so the idle deadline runs.
    pub fn new(inner: S, idle: Duration, header: Duration) -> Self {
        Edge {
            inner,
            phase: Phase::Idle,
            idle,
            header,
            deadline: Box::pin(tokio::time::sleep(idle)),
            pending: None,
        }
    }

    /// Follows the bytes just read through the request head.
    fn on_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut line_empty = match self.phase {
            Phase::Request => return,
            Phase::Idle => {
                self.deadline.as_mut().reset(Instant::now() + self.header);
                false
            }
            Phase::Head { line_empty } => line_empty,
        };
        // Line by line (memchr finds the line feeds), not byte by byte: this runs on every
        // read of every request. A line is empty when only carriage returns precede its line
        // feed; the first line of `bytes` continues the one the previous read left.
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', bytes) {
            let blank = bytes[start..end].iter().all(|&b| b == b'\r');
            if blank && (start > 0 || line_empty) {
                self.phase = Phase::Request;
                return;
            }
            start = end + 1;
        }
        let rest_blank = bytes[start..].iter().all(|&b| b == b'\r');
        line_empty = rest_blank && (start > 0 || line_empty);
        self.phase = Phase::Head { line_empty };
    }

    /// An answer is being written: the connection is idle again once it is out. Interim
    /// answers (`100 Continue`) do not end the request. True when the deadline was reset.
    fn on_write(&mut self, bytes: &[u8]) -> bool {
        if bytes.starts_with(b"HTTP/1.1 1") || bytes.starts_with(b"HTTP/1.0 1") {
            return false;
        }
        if !bytes.starts_with(b"HTTP/") {
            return false;
        }
        self.phase = Phase::Idle;
        self.deadline.as_mut().reset(Instant::now() + self.idle);
        true
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Edge<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.on_read(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if this.phase == Phase::Request || this.deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                match this.phase {
                    // A quiet end of a keep-alive connection: hyper closes it without a word.
                    Phase::Idle => Poll::Ready(Ok(())),
                    _ => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "request head timeout",
                    ))),
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> Edge<S> {
    /// Writes what is left of a rewritten answer; ready once all of it is out.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
            if *done == bytes.len() {
                self.pending = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Edge<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if this.on_write(buf) {
            // hyper may not poll the read side again before the client's next byte: register
            // the new idle deadline with this task now.
            let _ = this.deadline.as_mut().poll(cx);
        }
        if let Some(rewritten) = rewrite_refusal(buf) {
            this.pending = Some((rewritten, 0));
            // The caller's bytes are taken; the rewrite goes out now or on the next flush.
            let _ = this.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The documented error answer for a head hyper wrote on its own: an error status, an empty
/// body (`content-length: 0`) and nothing after the head. `None` for anything else.
pub fn rewrite_refusal(buf: &[u8]) -> Option<Vec<u8>> {
    let rest = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let code = std::str::from_utf8(rest.get(..3)?).ok()?;
    let status: u16 = code.parse().ok()?;
    if !(400..600).contains(&status) {
        return None;
    }
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_end != buf.len() {
        return None;
    }
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut empty_body = false;
    let mut kept = String::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => empty_body = value.trim() == "0",
            "content-type" | "connection" => {}
            _ => {
                kept.push_str(line);
                kept.push_str("\r\n");
            }
        }
    }
    if !empty_body {
        return None;
    }
    let message = match status {
        400 => msg::MALFORMED_REQUEST,
        414 => msg::URI_TOO_LONG,
        431 => msg::HEADERS_TOO_LARGE,
        _ => axum::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or(msg::MALFORMED_REQUEST),
    };
    let body = serde_json::to_vec(&Error::new(status, message).body()).ok()?;
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n{kept}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

/// Reads the whole request body within `limit` (from the end of the head), so a client that
/// sends its body slowly, or never, holds a connection for at most that long: 408 in the
/// documented format, and the connection is closed. A body declared over [`MAX_BODY`] is left
/// to the route, which refuses it with 413 without reading it.
pub async fn body_in_time(req: Request, limit: Duration) -> Result<Request, Response> {
    if req.body().size_hint().exact() == Some(0) {
        return Ok(req);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(limit, collect(body)).await {
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Ok(Err(refusal)) => Err(closing(refusal)),
        Err(_) => Err(closing(Error::new(408, msg::BODY_TIMEOUT))),
    }
}

/// The body's bytes, refused over [`MAX_BODY`]; one frame is kept without a copy.
async fn collect(mut body: Body) -> Result<Bytes, Error> {
    let mut frames: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| Error::bad_request(msg::BODY_UNREADABLE))?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total > MAX_BODY {
                return Err(Error::new(413, msg::PAYLOAD_TOO_LARGE));
            }
            frames.push(data);
        }
    }
    Ok(match frames.len() {
        0 => Bytes::new(),
        1 => frames.pop().unwrap_or_default(),
        _ => Bytes::from(frames.concat()),
    })
}

/// An error answer that also closes the connection (the rest of the body is not read).
fn closing(error: Error) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head's end as the byte-by-byte rule finds it: the reference for [`Edge::on_read`].
    fn head_end(bytes: &[u8]) -> Option<usize> {
        let mut line_empty = false;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' if line_empty => return Some(i + 1),
                b'\n' => line_empty = true,
                b'\r' => {}
                _ => line_empty = false,
            }
        }
        None
    }

    #[tokio::test]
    async fn the_head_ends_at_the_first_blank_line_however_the_reads_split_it() {
        let heads: [&[u8]; 6] = [
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1\nHost: a\n\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
            b"\n\nGET / HTTP/1.1\r\nX: \r\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-\r: b\r\n",
            b"\r\n\r\n",
        ];
        for head in heads {
            let expected = head_end(head);
            // Every way to cut it into three reads.
            for a in 0..=head.len() {
                for b in a..=head.len() {
                    let mut edge = Edge::new((), Duration::from_secs(1), Duration::from_secs(1));
                    let mut ended = None;
                    for (from, to) in [(0, a), (a, b), (b, head.len())] {
                        edge.on_read(&head[from..to]);
                        if ended.is_none() && edge.phase == Phase::Request {
                            ended = Some(to);
                        }
                    }
                    // The read that completes the head is the one holding its last byte.
                    let expected_read = expected.map(|end| {
                        [a, b, head.len()]
                            .into_iter()
                            .find(|&to| to >= end)
                            .unwrap_or(0)
                    });
                    assert_eq!(
                        ended,
                        expected_read,
                        "{:?} cut at {a}, {b}",
                        String::from_utf8_lossy(head)
                    );
                }
            }
        }
    }

    #[test]
    fn hyper_refusals_are_rewritten_and_app_answers_are_not() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 00:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite_refusal(head).expect("rewritten")).expect("utf-8");
        assert!(out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(out.contains("content-type: application/json; charset=utf-8\r\n"));
        assert!(out.contains("date: Tue, 01 Dec 2026"));
        let body = out.split("\r\n\r\n").nth(1).expect("body");
        let value: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(value["statusCode"], 431);
        assert_eq!(value["message"], msg::HEADERS_TOO_LARGE);
        assert!(out.contains(&format!("content-length: {}\r\n", body.len())));

        // An answer with a body, a success, or a head followed by more bytes stays as it is.
        assert!(
            rewrite_refusal(b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}").is_none()
        );
        assert!(rewrite_refusal(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            rewrite_refusal(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nx").is_none()
        );
        assert!(rewrite_refusal(b"{\"statusCode\":400}").is_none());
    }
}
