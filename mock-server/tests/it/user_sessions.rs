//! Sessions from the server side: read a user's sessions (SS-10) and end them (SS-11).

use crate::common;

use common::Harness;
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, TEST_PASSWORD};

/// Logs the member in; returns (sessionId, access token).
async fn member_session(h: &Harness) -> (String, String) {
    let body = h.login("member@example.com", TEST_PASSWORD).await;
    (
        body["sessionId"].as_str().unwrap().to_owned(),
        body["tokens"]["access"]["value"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

async fn sessions(h: &Harness, path: &str) -> Value {
    h.get_as(&h.key(Mode::Test, KeyType::Readonly), path).await
}

#[tokio::test]
async fn sessions_are_listed_newest_first() {
    let h = Harness::start().await;
    let (first, _) = member_session(&h).await;
    h.advance(5).await;
    let (second, _) = member_session(&h).await;
    let uuid = h.get_as(&h.admin(), "/v0/users/2").await["userUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/v0/users/2/sessions".to_owned(),
        format!("/v0/tenants/{DEMO_TENANT}/users/2/sessions"),
        format!("/v0/users/{uuid}/sessions"),
    ] {
        let list = sessions(&h, &path).await;
        assert_eq!(list["totalCount"], 2, "{path}");
        assert_eq!(list["totalPages"], 1);
        let results = list["results"].as_array().unwrap();
        assert_eq!(results[0]["sessionId"], second.as_str());
        assert_eq!(results[1]["sessionId"], first.as_str());
        for s in results {
            assert_eq!(s["userId"], 2);
            assert_eq!(s["userUuid"], uuid.as_str());
            assert_eq!(s["isActive"], true);
            assert_eq!(s["mode"], "test");
            assert_eq!(s["endedAt"], Value::Null);
            assert_eq!(s["authentication"]["firstFactor"]["strategy"], "password");
        }
    }
    // Other users' sessions are not listed.
    assert_eq!(sessions(&h, "/v0/users/1/sessions").await["totalCount"], 0);
    h.get_refused(&h.admin(), "/v0/users/99/sessions", 404, "User not found")
        .await;
}

#[tokio::test]
async fn expired_and_ended_sessions_only_with_include_ended() {
    let h = Harness::start().await;
    let (ended, _) = member_session(&h).await;
    h.post("/v0/auth/logout")
        .bearer(&h.admin())
        .json(json!({"sessionId": ended}))
        .send()
        .await
        .ok();
    member_session(&h).await;
    assert_eq!(sessions(&h, "/v0/users/2/sessions").await["totalCount"], 1);
    let all = sessions(&h, "/v0/users/2/sessions?includeEnded=true").await;
    assert_eq!(all["totalCount"], 2);
    let ended_entry = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sessionId"] == ended.as_str())
        .unwrap();
    assert_eq!(ended_entry["isActive"], false);
    assert!(ended_entry["endedAt"].is_string());
    // After the refresh token lifetime (30 days) the other one has expired too.
    h.advance(31 * 86_400).await;
    assert_eq!(sessions(&h, "/v0/users/2/sessions").await["totalCount"], 0);
    let all = sessions(&h, "/v0/users/2/sessions?includeEnded=true").await;
    assert_eq!(all["totalCount"], 2);
    assert!(
        all["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["isActive"] == false)
    );
}

#[tokio::test]
async fn end_one_session_by_id() {
    let h = Harness::start().await;
    let (first, first_token) = member_session(&h).await;
    let (_, second_token) = member_session(&h).await;
    let answer = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/logout"))
        .bearer(&h.admin())
        .json(json!({"sessionId": first}))
        .send()
        .await
        .ok();
    assert_eq!(answer, json!({"message": "OK"}));
    h.get_refused(&first_token, "/v0/self", 401, "Unauthorized")
        .await;
    h.get_as(&second_token, "/v0/self").await;
    // Ending an ended session again is fine.
    h.post("/v0/auth/logout")
        .bearer(&h.admin())
        .json(json!({"sessionId": first}))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn end_all_sessions_of_a_user() {
    let h = Harness::start().await;
    let (_, a) = member_session(&h).await;
    let (_, b) = member_session(&h).await;
    let other = h.access_token("viewer@example.com").await;
    let uuid = h.get_as(&h.admin(), "/v0/users/2").await["userUuid"].clone();
    h.post("/v0/auth/logout")
        .bearer(&h.admin())
        .json(json!({"userUuid": uuid}))
        .send()
        .await
        .ok();
    for token in [&a, &b] {
        h.get_refused(token, "/v0/self", 401, "Unauthorized").await;
    }
    h.get_as(&other, "/v0/self").await;
    // Both members at once: a session of the viewer and every session of the admin.
    let viewer_session = h.login("viewer@example.com", TEST_PASSWORD).await["sessionId"].clone();
    let admin_token = h.access_token("admin@example.com").await;
    let admin_uuid = h.get_as(&h.admin(), "/v0/users/1").await["userUuid"].clone();
    h.post("/v0/auth/logout")
        .bearer(&h.admin())
        .json(json!({"sessionId": viewer_session, "userUuid": admin_uuid}))
        .send()
        .await
        .ok();
    h.get_refused(&admin_token, "/v0/self", 401, "Unauthorized")
        .await;
    let viewer = sessions(&h, "/v0/users/3/sessions").await;
    assert_eq!(
        viewer["totalCount"], 1,
        "only the named viewer session ended"
    );
    // Sessions are not user fields: no webhook.
    assert!(h.events("user", "update").await.is_empty());
}

#[tokio::test]
async fn end_sessions_refusals_change_nothing() {
    let h = Harness::start().await;
    let admin = h.admin();
    let (session, token) = member_session(&h).await;
    h.post("/v0/auth/logout")
        .bearer(&admin)
        .json(json!({}))
        .send()
        .await
        .err(400, "\"sessionId\" or \"userUuid\" is required");
    for body in [
        json!({"sessionId": "7d0f7a4e-1111-4222-8333-944455556666"}),
        json!({"sessionId": "not-a-session"}),
        json!({"sessionId": session, "userUuid": "7d0f7a4e-1111-4222-8333-944455556666"}),
    ] {
        let resp = h
            .post("/v0/auth/logout")
            .bearer(&admin)
            .json(body.clone())
            .send()
            .await;
        assert_eq!(resp.status, 404, "{body}");
    }
    h.post("/v0/auth/logout")
        .bearer(&admin)
        .json(json!({"userUuid": "7d0f7a4e-1111-4222-8333-944455556666"}))
        .send()
        .await
        .err(404, "User not found");
    h.post("/v0/auth/logout")
        .bearer(&admin)
        .json(json!({"sessionId": "7d0f7a4e-1111-4222-8333-944455556666"}))
        .send()
        .await
        .err(404, "Session not found");
    h.post("/v0/auth/logout")
        .bearer(&admin)
        .json(json!({"sessionId": 12}))
        .send()
        .await
        .err(400, "\"sessionId\" must be a string");
    // A live key does not see test sessions.
    h.post("/v0/auth/logout")
        .bearer(&h.key(Mode::Live, KeyType::Admin))
        .json(json!({"sessionId": session}))
        .send()
        .await
        .err(404, "Session not found");
    // The session survived every refusal.
    h.get_as(&token, "/v0/self").await;
}

#[tokio::test]
async fn client_logout_and_server_logout_share_the_path() {
    let h = Harness::start().await;
    let (_, token) = member_session(&h).await;
    // GET is the client's logout with the user's token...
    let body = h.get_as(&token, "/v0/auth/logout").await;
    assert_eq!(body["message"], "OK");
    assert!(body["redirectTo"].is_string());
    h.get_refused(&token, "/v0/self", 401, "Unauthorized").await;
    // ...POST is the server's: a member's token has read rights only.
    let (_, viewer) = member_session(&h).await;
    h.post("/v0/auth/logout")
        .bearer(&viewer)
        .json(json!({"userUuid": "x"}))
        .send()
        .await
        .err(403, "Forbidden");
    h.delete("/v0/auth/logout")
        .bearer(&h.admin())
        .send()
        .await
        .err(405, "Method Not Allowed");
}
