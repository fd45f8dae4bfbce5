//! Speed figures of the mock, measured against the release binary as a separate process, with
//! the load generator (a minimal keep-alive HTTP/1.1 client) in this process on the same machine.
//!
//! ```sh
//! cargo bench -p userfront-mock --bench throughput            # everything
//! cargo bench -p userfront-mock --bench throughput -- search  # one figure (startup, memory, self, login, search)
//! ```
//!
//! Figures and targets: start to first answered request < 50 ms; idle memory < 10 MiB;
//! `GET /v0/self` (journal on, as users run it) ≥ 60 % of a minimal hyper server measured in the
//! same run; password login ≥ 1,000 req/s; RSS after 10,000 password logins < 32 MiB; a
//! two-filter user search over 100,000 users: median < 20 ms; memory per stored user < 2 KiB.
//!
//! Absolute requests per second depend on what else the machine is doing; the ratio of the mock
//! to the minimal hyper server (the same bench binary re-run as a child process with
//! `THROUGHPUT_MINIMAL_HYPER=1`, so both servers run alike: a separate process with a default
//! multi-threaded Tokio runtime, answering the same load generator) does much less, so that ratio
//! is the target, measured in alternating rounds and reported as the median.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ADMIN_KEY: &str = "uf_test_admin_demo1234_425a0ecf676fa3b8e9e5ff220a3041a3";

/// The mock binary running as a child process.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port; returns it with the time from spawn to its first answer.
/// `THROUGHPUT_MOCK_BIN` names another build of the mock to measure instead (to compare two
/// builds, e.g. allocators, under the same load generator).
fn start_server() -> (Server, Duration) {
    let binary = std::env::var_os("THROUGHPUT_MOCK_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_userfront-mock").into());
    let mut command = Command::new(binary);
    command.args(["--port", "0"]);
    start(command, "/v0/tenants/demo1234/mode")
}

/// Starts the minimal hyper server: this bench binary again, in server mode.
fn start_minimal_hyper() -> Server {
    let mut command = Command::new(std::env::current_exe().expect("the bench binary"));
    command.env(MINIMAL_HYPER_ENV, "1");
    start(command, "/").0
}

/// Spawns `command`, reads the address from its first stdout line and waits for a 200 on
/// `probe`.
fn start(mut command: Command, probe: &str) -> (Server, Duration) {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the mock binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("a banner line");
    // Keep draining the banner so the child never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr: SocketAddr = line
        .trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .expect("the banner names the address");
    let request = format!("GET {probe} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(addr) {
            use std::io::{Read, Write};
            stream.write_all(request.as_bytes()).expect("write");
            let mut buf = [0u8; 12];
            if stream.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200") {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    (Server { child, addr }, started.elapsed())
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmRSS:")
}

/// A KiB figure of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:` for the peak).
fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Set in the environment of the child that runs [`minimal_hyper_server`].
const MINIMAL_HYPER_ENV: &str = "THROUGHPUT_MINIMAL_HYPER";

/// What the minimal hyper server answers to every request.
const MINIMAL_BODY: &str = r#"{"userId":1,"email":"admin@example.com","name":"Admin"}"#;

/// The yardstick for `GET /v0/self`: a hyper 1 HTTP/1.1 server that answers every request
/// with a fixed small JSON body, with nothing else on the path. Runs like the mock (own
/// process, default multi-threaded runtime) and prints its address the way the mock does.
fn minimal_hyper_server() {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!(
            "minimal hyper listening on http://{}",
            listener.local_addr().expect("address")
        );
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|_req| async {
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(
                        MINIMAL_BODY.as_bytes(),
                    )));
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
                    );
                    Ok::<_, std::convert::Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

/// One keep-alive connection that sends a request and reads the whole answer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Sends raw request bytes; returns the status and body.
    async fn call(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        self.stream.write_all(request).await.expect("write");
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
            let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = std::str::from_utf8(&self.buf[..end]).expect("ascii head");
            let status: u16 = head[9..12].parse().expect("status");
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while self.buf.len() < end + 4 + length {
                let n = self.stream.read(&mut chunk).await.expect("read");
                assert!(n > 0, "connection closed");
                self.buf.extend_from_slice(&chunk[..n]);
            }
            return (status, self.buf[end + 4..end + 4 + length].to_vec());
        }
    }
}

fn request(method: &str, path: &str, auth: Option<&str>, body: Option<&Value>) -> Vec<u8> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n");
    if let Some(token) = auth {
        req.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    req.into_bytes()
}

/// Sends `request` over `connections` connections for `duration`; returns requests per second.
async fn throughput(
    addr: SocketAddr,
    request: Vec<u8>,
    connections: usize,
    duration: Duration,
) -> f64 {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                let mut done = 0u64;
                while Instant::now() < deadline {
                    let (status, body) = conn.call(&request).await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                    done += 1;
                }
                done
            })
        })
        .collect();
    let started = Instant::now();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn report(name: &str, value: String, ok: bool, target: &str) {
    let verdict = if ok { "ok" } else { "MISSED" };
    println!("{name:<46} {value:>16}   target {target:<14} {verdict}");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn login_body(addr: SocketAddr) -> Value {
    let mut conn = Conn::open(addr).await;
    let body = json!({"emailOrUsername": "admin@example.com", "password": "testmodepassword"});
    let (status, body) = conn
        .call(&request(
            "POST",
            "/v0/tenants/demo1234/auth/basic",
            None,
            Some(&body),
        ))
        .await;
    assert_eq!(status, 200);
    serde_json::from_slice(&body).expect("JSON")
}

async fn bench_startup_and_memory() {
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..15 {
        let (server, elapsed) = start_server();
        times.push(elapsed.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(200));
        rss.push(rss_kib(server.child.id()) as f64 / 1024.0);
    }
    let t = median(times);
    report(
        "start to first answered request (median of 15)",
        format!("{t:.1} ms"),
        t < 50.0,
        "< 50 ms",
    );
    let m = median(rss);
    report(
        "idle memory (RSS after start, median)",
        format!("{m:.1} MiB"),
        m < 10.0,
        "< 10 MiB",
    );
}

async fn bench_self() {
    const ROUNDS: usize = 5;
    const CONNS: usize = 32;
    const SECONDS: u64 = 3;
    let (server, _) = start_server();
    let hyper = start_minimal_hyper();
    let token = login_body(server.addr).await["tokens"]["access"]["value"]
        .as_str()
        .expect("token")
        .to_owned();
    let self_req = request("GET", "/v0/self", Some(&token), None);
    let hyper_req = request("GET", "/", Some(&token), None);
    // Warm both up (connections, caches, thread pools) before measuring.
    throughput(server.addr, self_req.clone(), CONNS, Duration::from_secs(1)).await;
    throughput(hyper.addr, hyper_req.clone(), CONNS, Duration::from_secs(1)).await;
    let (mut mock_rps, mut hyper_rps, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let h = throughput(
            hyper.addr,
            hyper_req.clone(),
            CONNS,
            Duration::from_secs(SECONDS),
        )
        .await;
        let m = throughput(
            server.addr,
            self_req.clone(),
            CONNS,
            Duration::from_secs(SECONDS),
        )
        .await;
        println!("(round: minimal hyper {h:.0} req/s, mock GET /v0/self {m:.0} req/s)");
        hyper_rps.push(h);
        mock_rps.push(m);
        ratios.push(m / h * 100.0);
    }
    let (m, h, ratio) = (median(mock_rps), median(hyper_rps), median(ratios));
    report(
        &format!("minimal hyper server ({CONNS} conns, {SECONDS} s, median)"),
        format!("{h:.0} req/s"),
        true,
        "(yardstick)",
    );
    report(
        &format!("GET /v0/self, valid token ({CONNS} conns, {SECONDS} s, median)"),
        format!("{m:.0} req/s"),
        m >= 40_000.0,
        ">= 40000/s",
    );
    report(
        "GET /v0/self / minimal hyper, same run (median)",
        format!("{ratio:.1} %"),
        ratio >= 60.0,
        ">= 60 %",
    );
}

async fn bench_login() {
    let (server, _) = start_server();
    let body = json!({"emailOrUsername": "admin@example.com", "password": "testmodepassword"});
    let req = request("POST", "/v0/tenants/demo1234/auth/basic", None, Some(&body));
    throughput(server.addr, req.clone(), 16, Duration::from_secs(1)).await;
    let rps = throughput(server.addr, req, 16, Duration::from_secs(5)).await;
    report(
        "password login, 3 RS256 tokens (16 conns, 5 s)",
        format!("{rps:.0} req/s"),
        rps >= 1_000.0,
        ">= 1000/s",
    );
}

/// Resident memory of a fresh mock after 10,000 password logins over 16 connections (each
/// one an Argon2id verification and three RS256 signatures), when the last one is answered.
async fn bench_memory_after_logins() {
    const LOGINS: usize = 10_000;
    const CONNS: usize = 16;
    let (server, _) = start_server();
    let addr = server.addr;
    std::thread::sleep(Duration::from_millis(200));
    let idle = rss_kib(server.child.id());
    let body = json!({"emailOrUsername": "admin@example.com", "password": "testmodepassword"});
    let req = request("POST", "/v0/tenants/demo1234/auth/basic", None, Some(&body));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNS)
        .map(|c| {
            let req = req.clone();
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                for _ in (c..LOGINS).step_by(CONNS) {
                    let (status, body) = conn.call(&req).await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    let pid = server.child.id();
    let after = rss_kib(pid) as f64 / 1024.0;
    let peak = proc_status_kib(pid, "VmHWM:") as f64 / 1024.0;
    let anon = proc_status_kib(pid, "RssAnon:") as f64 / 1024.0;
    let file = proc_status_kib(pid, "RssFile:") as f64 / 1024.0;
    println!(
        "({LOGINS} logins in {:.1} s over {CONNS} conns; RSS idle {:.1} MiB, peak {peak:.1} MiB; \
         after: anonymous {anon:.1} MiB, file-backed {file:.1} MiB)",
        took.as_secs_f64(),
        idle as f64 / 1024.0
    );
    report(
        "RSS after 10,000 logins (16 conns)",
        format!("{after:.1} MiB"),
        after < 32.0,
        "< 32 MiB",
    );
}

async fn bench_search() {
    const USERS: usize = 100_000;
    const CONNS: usize = 8;
    let (server, _) = start_server();
    let addr = server.addr;
    let before = rss_kib(server.child.id());
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNS)
        .map(|c| {
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                for i in (c..USERS).step_by(CONNS) {
                    let body = json!({
                        "email": format!("user{i}@bench{}.example", i % 10),
                        "name": format!("Bench User {i}"),
                        "data": {"plan": if i % 3 == 0 { "pro" } else { "free" }, "seats": i % 50},
                    });
                    let (status, body) = conn
                        .call(&request("POST", "/v0/users", Some(ADMIN_KEY), Some(&body)))
                        .await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    let created = started.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    let after = rss_kib(server.child.id());
    let per_user = (after.saturating_sub(before) as f64 * 1024.0) / USERS as f64;
    println!(
        "(created {USERS} users through POST /v0/users in {:.1} s: {:.0} req/s)",
        created.as_secs_f64(),
        USERS as f64 / created.as_secs_f64()
    );
    report(
        "memory per stored user (RSS growth / users)",
        format!("{per_user:.0} B"),
        per_user < 2048.0,
        "< 2048 B",
    );

    let query = json!({
        "filters": {"conjunction": "and", "filterGroups": [{"conjunction": "and", "filters": [
            {"attr": "email", "type": "string", "comparison": "ends with", "value": "@bench7.example"},
            {"attr": "data.plan", "type": "string", "comparison": "is", "value": "pro"},
        ]}]},
        "order": "createdAt_DESC",
    });
    let req = request("POST", "/v0/users/find", Some(ADMIN_KEY), Some(&query));
    let mut conn = Conn::open(addr).await;
    let (status, body) = conn.call(&req).await;
    assert_eq!(status, 200);
    let first: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(first["results"].as_array().map(Vec::len), Some(24));
    let mut times = Vec::new();
    for _ in 0..60 {
        let t = Instant::now();
        let (status, _) = conn.call(&req).await;
        assert_eq!(status, 200);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let m = median(times);
    report(
        &format!(
            "search, 2 filters, {USERS} users ({} hits)",
            first["totalCount"]
        ),
        format!("{m:.2} ms"),
        m < 20.0,
        "median < 20 ms",
    );
}

fn main() {
    if std::env::var_os(MINIMAL_HYPER_ENV).is_some() {
        minimal_hyper_server();
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "userfront-mock speed figures ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    runtime.block_on(async {
        if wanted("startup") || wanted("memory") {
            bench_startup_and_memory().await;
        }
        if wanted("self") {
            bench_self().await;
        }
        if wanted("login") {
            bench_login().await;
        }
        if wanted("memory") || wanted("login") {
            bench_memory_after_logins().await;
        }
        if wanted("search") {
            bench_search().await;
        }
    });
}
