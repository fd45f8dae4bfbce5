//! Filters for waiting on *one* entry (issue 13, item 4): `since` on `/__mock/outbox`,
//! `/__mock/webhooks` and `/__mock/requests` (only entries after one the client has seen, so a
//! wait never answers with what an earlier test caused), and the event filters of
//! `/__mock/webhooks`, so a waiter is answered by the server for its delivery only.

use crate::common;

use std::time::Duration;

use crate::readiness::until_waiting;
use common::Harness;
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, msg};

/// The readiness tests' long-poll, for a 200 answer: its body.
fn long_poll(h: &Harness, path: &str) -> tokio::task::JoinHandle<Value> {
    let waiter = crate::readiness::long_poll(h, path);
    tokio::spawn(async move {
        let (status, body, _) = waiter.await.expect("the long-poll task");
        assert_eq!(status, 200);
        body
    })
}

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().expect("results")
}

async fn send_link(h: &Harness, email: &str) {
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
        .json(json!({ "email": email }))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn outbox_since_lists_and_waits_for_newer_messages_only() {
    let h = Harness::start().await;
    send_link(&h, "since@example.com").await;
    let first = h
        .get("/__mock/outbox?to=since@example.com")
        .send()
        .await
        .ok();
    let seen = results(&first)[0]["messageId"]
        .as_str()
        .expect("id")
        .to_owned();

    // The message already there does not answer a wait for one after it.
    let waiter = long_poll(
        &h,
        &format!("/__mock/outbox?to=since@example.com&since={seen}&wait=20s"),
    );
    until_waiting(&h, 1).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        !waiter.is_finished(),
        "answered with the message seen before"
    );

    h.advance(3).await; // past the duplicate-message window
    send_link(&h, "since@example.com").await;
    let body = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("answered")
        .expect("waiter");
    let new = results(&body);
    assert_eq!(new.len(), 1, "{body}");
    assert_ne!(new[0]["messageId"], seen.as_str());
    assert_eq!(new[0]["to"], "since@example.com");

    // Without `since`, both; an id no longer listed (cleared, reset) means all are newer.
    let all = h
        .get("/__mock/outbox?to=since@example.com")
        .send()
        .await
        .ok();
    assert_eq!(results(&all).len(), 2);
    let gone = "00000000-0000-4000-8000-000000000000";
    let body = h
        .get(&format!("/__mock/outbox?since={gone}"))
        .send()
        .await
        .ok();
    assert_eq!(results(&body).len(), 2, "{body}");
    let last = results(&all)[1]["messageId"]
        .as_str()
        .expect("id")
        .to_owned();
    let body = h
        .get(&format!("/__mock/outbox?since={last}"))
        .send()
        .await
        .ok();
    assert_eq!(results(&body).len(), 0, "{body}");

    for bad in ["abc", "12", ""] {
        h.get(&format!("/__mock/outbox?since={bad}"))
            .send()
            .await
            .err(400, msg::SINCE_ENTRY_ID);
        h.get(&format!("/__mock/webhooks?since={bad}"))
            .send()
            .await
            .err(400, msg::SINCE_ENTRY_ID);
    }
}

#[tokio::test]
async fn webhooks_are_filtered_by_event_on_the_server() {
    let h = Harness::start().await;
    let a = h.signup("hook-a@example.com", "correct-horse-9").await;
    let b = h.signup("hook-b@example.com", "correct-horse-9").await;
    let (a_id, b_id) = (a["userId"].clone(), b["userId"].clone());

    // Two creates are recorded; a wait for an update of user A is not answered by them.
    let waiter = long_poll(
        &h,
        &format!("/__mock/webhooks?model=user&action=update&userId={a_id}&wait=20s"),
    );
    until_waiting(&h, 1).await;
    // An update of another user does not answer it either.
    h.put(&format!("/v0/tenants/{DEMO_TENANT}/users/{b_id}"))
        .bearer(&h.admin())
        .json(json!({"name": "B"}))
        .send()
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!waiter.is_finished(), "answered for another event");

    h.put(&format!("/v0/tenants/{DEMO_TENANT}/users/{a_id}"))
        .bearer(&h.admin())
        .json(json!({"name": "A"}))
        .send()
        .await
        .ok();
    let body = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("answered")
        .expect("waiter");
    let got = results(&body);
    assert_eq!(got.len(), 1, "{body}");
    assert_eq!(got[0]["body"]["action"], "update");
    assert_eq!(got[0]["body"]["record"]["userId"], a_id);

    // Each filter narrows the list.
    let creates = h
        .get("/__mock/webhooks?model=user&action=create")
        .send()
        .await
        .ok();
    assert_eq!(results(&creates).len(), 2, "{creates}");
    let of_b = h
        .get(&format!("/__mock/webhooks?userId={b_id}"))
        .send()
        .await
        .ok();
    assert_eq!(results(&of_b).len(), 2, "{of_b}");
    let a_uuid = results(&creates)[0]["body"]["record"]["userUuid"]
        .as_str()
        .expect("userUuid")
        .to_owned();
    let of_a = h
        .get(&format!("/__mock/webhooks?userUuid={a_uuid}"))
        .send()
        .await
        .ok();
    assert_eq!(results(&of_a).len(), 2, "{of_a}");
    let here = h
        .get(&format!(
            "/__mock/webhooks?tenantId={DEMO_TENANT}&mode=test"
        ))
        .send()
        .await
        .ok();
    assert_eq!(results(&here).len(), 4, "{here}");
    let elsewhere = h
        .get("/__mock/webhooks?tenantId=abcd9876")
        .send()
        .await
        .ok();
    assert_eq!(results(&elsewhere).len(), 0, "{elsewhere}");
    let live = h.get("/__mock/webhooks?mode=live").send().await.ok();
    assert_eq!(results(&live).len(), 0, "{live}");
    // `since` the first delivery: the three after it.
    let all = h.get("/__mock/webhooks").send().await.ok();
    let first = results(&all)[0]["id"].as_str().expect("id").to_owned();
    let after = h
        .get(&format!("/__mock/webhooks?since={first}"))
        .send()
        .await
        .ok();
    assert_eq!(results(&after).len(), results(&all).len() - 1, "{after}");

    // A value no delivery can have fails at once instead of waiting out the timeout.
    h.get("/__mock/webhooks?action=created&wait=20s")
        .send()
        .await
        .err(400, msg::WEBHOOK_ACTION);
    h.get("/__mock/webhooks?model=users")
        .send()
        .await
        .err(400, msg::WEBHOOK_MODEL);
    h.get("/__mock/webhooks?mode=prod")
        .send()
        .await
        .err(400, msg::MODE_TEST_OR_LIVE);
}

#[tokio::test]
async fn requests_since_lists_and_waits_for_later_requests_only() {
    let h = Harness::start().await;
    let path = format!("/v0/tenants/{DEMO_TENANT}/mode");
    h.get(&path).send().await;
    h.get(&path).send().await;
    let all = h.get("/__mock/requests").send().await.ok();
    let ids: Vec<u64> = results(&all)
        .iter()
        .filter_map(|e| e["id"].as_u64())
        .collect();
    assert_eq!(ids.len(), 2, "{all}");
    let after_first = h
        .get(&format!("/__mock/requests?since={}", ids[0]))
        .send()
        .await
        .ok();
    assert_eq!(results(&after_first).len(), 1);
    assert_eq!(results(&after_first)[0]["id"], ids[1]);

    // Both recorded requests match the path; a wait since the last one waits for a new one.
    let waiter = long_poll(
        &h,
        &format!("/__mock/requests?path={path}&since={}&wait=20s", ids[1]),
    );
    until_waiting(&h, 1).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!waiter.is_finished(), "answered with a request seen before");
    h.get(&path).send().await;
    let body = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("answered")
        .expect("waiter");
    assert_eq!(results(&body).len(), 1, "{body}");
    assert!(results(&body)[0]["id"].as_u64() > Some(ids[1]));

    // Ids keep growing across a clear, so `since` stays meaningful.
    h.delete("/__mock/requests").send().await.ok();
    h.get(&path).send().await;
    let body = h
        .get(&format!("/__mock/requests?since={}", ids[1]))
        .send()
        .await
        .ok();
    assert_eq!(results(&body).len(), 1, "{body}");

    for bad in ["abc", "-1", "1.5"] {
        h.get(&format!("/__mock/requests?since={bad}"))
            .send()
            .await
            .err(400, msg::SINCE_REQUEST_ID);
    }
}
