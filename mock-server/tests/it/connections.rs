//! Connections: idle and half-sent ones are cut after their timeout, slow clients cannot take
//! the mock from everyone else, and stopping is bounded and still saves the state. Driven over
//! raw sockets on 127.0.0.1, since an HTTP client never behaves this badly.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::tempdir::TempDir;
use userfront_mock::MockUserfront;

const MODE: &str = "GET /v0/tenants/demo1234/mode HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";

/// An answer read off a raw socket.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// The head, header names in lower case.
    pub head: String,
    pub body: Value,
}

impl RawAnswer {
    /// The value of a header, or "".
    pub fn header(&self, name: &str) -> &str {
        self.head
            .lines()
            .skip(1)
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim())
            })
            .unwrap_or("")
    }

    /// Asserts the documented error body and the JSON content type.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            "application/json; charset=utf-8",
            "{self:?}"
        );
        assert_eq!(
            self.body,
            serde_json::json!({
                "statusCode": status,
                "message": message,
                "error": { "type": "bad_request_error" },
            }),
            "{self:?}"
        );
    }
}

/// Parses one answer from the bytes of a connection that was closed after it (or that has at
/// least the whole answer), using its content-length.
fn parse(bytes: &[u8]) -> Option<(RawAnswer, usize)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let status = head.get(9..12)?.parse().ok()?;
    let mut answer = RawAnswer {
        status,
        head,
        body: Value::Null,
    };
    let len: usize = answer.header("content-length").parse().ok()?;
    let body = bytes.get(end..end + len)?;
    answer.body = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    Some((answer, end + len))
}

/// Sends `request` on a new connection and reads one answer (within 5 s).
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> RawAnswer {
    let mut socket = TcpStream::connect(addr).await.expect("connects");
    // A refused request may be cut off before all of it is written: that is fine.
    let _ = socket.write_all(request).await;
    read_answer(&mut socket).await
}

/// Reads one answer from `socket` (within 5 s).
pub async fn read_answer(socket: &mut TcpStream) -> RawAnswer {
    let mut bytes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some((answer, _)) = parse(&bytes) {
            return answer;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout(left, socket.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => panic!(
                "connection closed before a whole answer: {:?}",
                String::from_utf8_lossy(&bytes)
            ),
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
            Err(_) => panic!(
                "no whole answer within 5 s: {:?}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
}

/// Waits (at most `limit`) for the mock to close `socket`; returns how long that took.
async fn closed_within(socket: &mut TcpStream, limit: Duration) -> Duration {
    let start = Instant::now();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit, socket.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return start.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("still open after {limit:?}"),
        }
    }
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let mock = MockUserfront::builder()
        .idle_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    // Never sends a byte.
    let mut silent = TcpStream::connect(mock.addr()).await.unwrap();
    let took = closed_within(&mut silent, Duration::from_secs(3)).await;
    assert!(took >= Duration::from_millis(250), "{took:?}");

    // After an answer, the keep-alive wait is the idle timeout too.
    let mut used = TcpStream::connect(mock.addr()).await.unwrap();
    used.write_all(MODE.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut used).await.status, 200);
    closed_within(&mut used, Duration::from_secs(3)).await;
}

#[tokio::test]
async fn a_keep_alive_connection_may_wait_longer_than_the_header_timeout() {
    let mock = MockUserfront::builder()
        .idle_timeout(Duration::from_secs(5))
        .header_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let mut socket = TcpStream::connect(mock.addr()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    socket.write_all(MODE.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut socket).await.status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    socket.write_all(MODE.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut socket).await.status, 200);
}

#[tokio::test]
async fn a_half_sent_head_is_dropped_after_the_header_timeout() {
    let mock = MockUserfront::builder()
        .header_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut socket = TcpStream::connect(mock.addr()).await.unwrap();
    socket
        .write_all(b"GET /v0/tenants/demo1234/mode HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let took = closed_within(&mut socket, Duration::from_secs(3)).await;
    assert!(took >= Duration::from_millis(250), "{took:?}");
}

/// Slowloris: connections that trickle a header byte now and then, never finishing, as many
/// as the mock serves at once. They are cut at the header timeout, so a real client still
/// gets its answer within about that long.
#[tokio::test]
async fn slowloris_connections_do_not_keep_others_out() {
    let mock = MockUserfront::builder()
        .max_connections(8)
        .header_timeout(Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    let addr = mock.addr();
    let mut loris = Vec::new();
    for _ in 0..8 {
        loris.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let _ = s.write_all(b"GET / HTTP/1.1\r\n").await;
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if s.write_all(b"x").await.is_err() {
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(3), exchange(addr, MODE.as_bytes()))
        .await
        .expect("answered while slow clients hold every slot");
    assert_eq!(answer.status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    for l in loris {
        l.abort();
    }
}

/// Idle sockets beyond the connection cap wait in the backlog; as the idle ones are closed,
/// everyone is served.
#[tokio::test]
async fn idle_sockets_at_the_cap_do_not_stop_the_mock_answering() {
    let mock = MockUserfront::builder()
        .max_connections(4)
        .idle_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut idle = Vec::new();
    for _ in 0..12 {
        idle.push(TcpStream::connect(mock.addr()).await.unwrap());
    }
    let answer = tokio::time::timeout(
        Duration::from_secs(4),
        exchange(mock.addr(), MODE.as_bytes()),
    )
    .await
    .expect("answered despite a crowd of idle sockets");
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_and_the_connection_closes() {
    let mock = MockUserfront::builder()
        .body_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut socket = TcpStream::connect(mock.addr()).await.unwrap();
    socket
        .write_all(
            b"POST /v0/tenants/demo1234/auth/basic HTTP/1.1\r\nhost: 127.0.0.1\r\n\
              content-type: application/json\r\ncontent-length: 60\r\n\r\n{\"emailOrUsername\":",
        )
        .await
        .unwrap();
    let start = Instant::now();
    let answer = read_answer(&mut socket).await;
    answer.assert_error(408, "Request body timeout");
    assert!(start.elapsed() >= Duration::from_millis(250));
    assert_eq!(answer.header("connection"), "close");
    closed_within(&mut socket, Duration::from_secs(2)).await;

    // A chunked body that trickles forever is cut the same way.
    let mut socket = TcpStream::connect(mock.addr()).await.unwrap();
    socket
        .write_all(
            b"POST /v0/tenants/demo1234/auth/basic HTTP/1.1\r\nhost: 127.0.0.1\r\n\
              transfer-encoding: chunked\r\n\r\n1\r\n{\r\n",
        )
        .await
        .unwrap();
    let trickle = async {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = socket.write_all(b"1\r\n \r\n").await;
        }
        socket
    };
    let mut socket = trickle.await;
    read_answer(&mut socket)
        .await
        .assert_error(408, "Request body timeout");
}

/// Stopping waits for requests in flight at most the shutdown timeout, then saves the state.
#[tokio::test]
async fn stop_is_bounded_by_the_shutdown_timeout_and_still_saves() {
    let dir = TempDir::new("edge-stop");
    let file = dir.path("state.json");
    let mock = MockUserfront::builder()
        .header_timeout(Duration::from_secs(60))
        .body_timeout(Duration::from_secs(60))
        .shutdown_timeout(Duration::from_millis(300))
        .export_on_exit(&file)
        .start()
        .await
        .unwrap();
    // One half-sent head, one half-sent body.
    let mut head = TcpStream::connect(mock.addr()).await.unwrap();
    head.write_all(b"GET /v0/tenants/demo1234/mode HTTP/1.1\r\n")
        .await
        .unwrap();
    let mut body = TcpStream::connect(mock.addr()).await.unwrap();
    body.write_all(
        b"POST /v0/tenants/demo1234/auth/basic HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 60\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(3), mock.stop())
        .await
        .expect("stopped within the shutdown timeout");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).expect("state saved")).unwrap();
    assert!(saved.is_object());
}
