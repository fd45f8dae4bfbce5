//! Readiness and waiting (issue 13, item 4): `GET /__mock/health`, `--ready-file`,
//! `--host localhost`, and the long-polls `?wait=` of `/__mock/outbox`, `/__mock/webhooks` and
//! `/__mock/requests`.

use crate::common;

use std::time::{Duration, Instant};

use common::binary::Binary;
use common::{Harness, Receiver};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, MockUserfront, msg};

/// Sends `GET path` on its own task, so the test can act while it waits; the answer and the
/// instant it arrived.
pub(crate) fn long_poll(h: &Harness, path: &str) -> tokio::task::JoinHandle<(u16, Value, Instant)> {
    let (http, url) = (h.http.clone(), h.url(path));
    tokio::spawn(async move {
        let response = http
            .get(url)
            .send()
            .await
            .expect("request reaches the mock");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("JSON");
        (status, body, Instant::now())
    })
}

/// Waits (at most 5 s) until the mock counts `n` requests waiting.
pub(crate) async fn until_waiting(h: &Harness, n: u64) {
    let start = Instant::now();
    loop {
        let health = h.get("/__mock/health").send().await.ok();
        if health["waiting"] == n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "waiting: {health}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn health_answers_ok() {
    let h = Harness::start().await;
    let body = h.get("/__mock/health").send().await.ok();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["waiting"], 0);
}

#[tokio::test]
async fn an_outbox_waiter_is_answered_as_soon_as_the_message_is_written() {
    let h = Harness::start().await;
    let waiter = long_poll(&h, "/__mock/outbox?to=waited@example.com&wait=20s");
    until_waiting(&h, 1).await;
    // Another recipient's message does not end the wait.
    h.signup("someone-else@example.com", "correct-horse-9")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished(), "answered for another recipient");

    // A passwordless sign-up writes the welcome email without hashing a password, so the time
    // from sending it to the waiter's answer bounds the delay after the write closely.
    let sent = Instant::now();
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
        .json(json!({ "email": "waited@example.com" }))
        .send()
        .await
        .ok();
    let replied = Instant::now();
    let (status, body, answered) = waiter.await.expect("waiter");
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{body}");
    assert_eq!(results[0]["to"], "waited@example.com");
    // The message is written before the writing request is answered, so the waiter's answer
    // coming at most this long after that answer bounds the delay from the write.
    let after_reply = answered.saturating_duration_since(replied);
    println!(
        "outbox wait: answered {:?} after the request that wrote the message was sent, {:?} \
         after that request's own answer (which took {:?})",
        answered.saturating_duration_since(sent),
        after_reply,
        replied - sent
    );
    // The waiter is normally answered before the writer; the bound is generous for a loaded
    // machine.
    assert!(after_reply < Duration::from_millis(500), "{after_reply:?}");
}

#[tokio::test]
async fn a_wait_with_nothing_to_find_answers_what_there_is_at_the_deadline() {
    let h = Harness::start().await;
    let start = Instant::now();
    let body = h
        .get("/__mock/outbox?to=nobody@example.com&wait=300ms")
        .send()
        .await
        .ok();
    let took = start.elapsed();
    assert_eq!(body["results"], json!([]));
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // What already matches is answered at once, however long the wait.
    h.signup("there@example.com", "correct-horse-9").await;
    let start = Instant::now();
    let body = h
        .get("/__mock/outbox?to=there@example.com&wait=60s")
        .send()
        .await
        .ok();
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn bad_waits_are_refused() {
    let h = Harness::start().await;
    for path in ["/__mock/outbox", "/__mock/webhooks", "/__mock/requests"] {
        for wait in ["61s", "0", "abc", "-1", "5m", "100000"] {
            h.get(&format!("{path}?wait={wait}"))
                .send()
                .await
                .err(400, msg::WAIT_DURATION);
        }
    }
    // 60 s is the limit, and allowed (answered at once here: a request is recorded).
    h.get("/v0/tenants/demo1234/mode").send().await;
    let body = h.get("/__mock/requests?wait=60s").send().await.ok();
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_requests_waiter_is_answered_when_a_matching_request_is_recorded() {
    let h = Harness::start().await;
    let path = format!("/v0/tenants/{DEMO_TENANT}/mode");
    let waiter = long_poll(&h, &format!("/__mock/requests?path={path}&wait=20s"));
    until_waiting(&h, 1).await;
    h.get("/v0/tenants/abcd9876/mode").send().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished(), "answered for another path");
    let sent = Instant::now();
    h.get(&path).send().await;
    let (status, body, answered) = waiter.await.expect("waiter");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["path"], path.as_str());
    let took = answered.saturating_duration_since(sent);
    println!("requests wait: answered {took:?} after the request was sent");
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[tokio::test]
async fn a_webhooks_waiter_is_answered_when_a_delivery_is_recorded() {
    let h = Harness::start().await;
    let receiver = Receiver::start(200, json!({})).await;
    h.settings(
        DEMO_TENANT,
        json!({"mode": "test", "userCreatedWebhookUrl": receiver.url}),
    )
    .await;
    let waiter = long_poll(&h, "/__mock/webhooks?wait=20s");
    until_waiting(&h, 1).await;
    let sent = Instant::now();
    h.signup("hooked@example.com", "correct-horse-9").await;
    let (status, body, answered) = waiter.await.expect("waiter");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["url"], receiver.url.as_str());
    assert!(answered.saturating_duration_since(sent) < Duration::from_secs(2));
}

#[tokio::test]
async fn waiters_are_capped_and_end_at_shutdown() {
    let mock = MockUserfront::start().await.expect("mock starts");
    let h = Harness::with_mock(mock);
    let waiters: Vec<_> = (0..userfront_mock_max_waiters())
        .map(|i| {
            long_poll(
                &h,
                &format!("/__mock/outbox?to=nobody-{i}@example.com&wait=60s"),
            )
        })
        .collect();
    until_waiting(&h, waiters.len() as u64).await;
    h.get("/__mock/outbox?to=one-too-many@example.com&wait=1s")
        .send()
        .await
        .err_type(429, msg::TOO_MANY_WAITERS, "rate_limit_error");
    // Without `wait`, reading is never refused.
    h.get("/__mock/outbox").send().await.ok();

    let Harness { mock, .. } = h;
    let start = Instant::now();
    mock.stop().await;
    for waiter in waiters {
        let (status, body, _) = waiter.await.expect("waiter");
        assert_eq!(status, 200);
        assert_eq!(body["results"], json!([]));
    }
    let took = start.elapsed();
    // Well under the 5 s the shutdown gives requests in flight: the waits end at once.
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// The documented cap (the constant is not public API; the message states it).
fn userfront_mock_max_waiters() -> usize {
    assert!(msg::TOO_MANY_WAITERS.contains("64"));
    64
}

#[test]
fn the_binary_writes_a_ready_file_and_accepts_localhost() {
    let dir = common::tempdir::TempDir::new("ready-file");
    let path = dir.path("ready.json");
    std::fs::write(&path, "stale").unwrap();
    let path_arg = path.to_str().unwrap();
    let mut mock = Binary::start(&[
        "--port",
        "0",
        "--host",
        "localhost",
        "--ready-file",
        path_arg,
    ]);
    let text = std::fs::read_to_string(&path).expect("ready file written before the banner");
    let ready: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(ready["url"], mock.base_url());
    assert!(mock.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(ready["tenantId"], DEMO_TENANT);
    for (mode, kind) in [
        ("test", "admin"),
        ("test", "readonly"),
        ("live", "admin"),
        ("live", "readonly"),
    ] {
        let key = ready["keys"][mode][kind].as_str().expect("a key");
        assert!(
            key.starts_with(&format!("uf_{mode}_{kind}_{DEMO_TENANT}_")),
            "{key}"
        );
        assert!(
            mock.banner.iter().any(|l| l.ends_with(key)),
            "{key} not in the banner"
        );
    }
    // The mock answers at the URL of the file (`health` subcommand: the binary itself).
    let port = mock.addr().rsplit_once(':').unwrap().1.to_owned();
    let health = Binary::command(&["--port", &port, "health"])
        .output()
        .unwrap();
    assert!(health.status.success(), "{health:?}");
    let status = mock.terminate(Duration::from_secs(10));
    assert!(status.success());
    assert!(!path.exists(), "the ready file is removed on exit");
    // Nothing listens there any more.
    let health = Binary::command(&["--port", &port, "health"])
        .output()
        .unwrap();
    assert_eq!(health.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&health.stderr).contains("/__mock/health"));
}
