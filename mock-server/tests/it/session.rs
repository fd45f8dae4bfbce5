//! Sessions from the user's side: refresh, log out, log out everywhere, read sessions
//! (CS-14, CS-21 … CS-24).

use crate::common;

use base64::Engine;
use common::{Harness, access, refresh};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, TEST_PASSWORD};

/// The claims of a JWT, unverified (the tokens tests check signatures).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn refresh_issues_new_access_and_id_tokens_from_the_current_record() {
    let h = Harness::start().await;
    let login = h.login("member@example.com", TEST_PASSWORD).await;
    h.put("/v0/self")
        .bearer(&access(&login))
        .json(json!({ "name": "Renamed Member" }))
        .send()
        .await
        .ok();
    h.advance(60).await;
    let body = h.get_as(&refresh(&login), "/v0/auth/refresh").await;
    assert_eq!(body["mode"], "test");
    assert_eq!(body["message"], "OK");
    assert_eq!(body["sessionId"], login["sessionId"]);
    assert!(
        body["tokens"].get("refresh").is_none(),
        "no rotation: {body}"
    );
    let new_access = body["tokens"]["access"]["value"].as_str().unwrap();
    assert_eq!(
        body["tokens"]["access"]["cookieOptions"],
        json!({ "secure": false, "sameSite": "Lax", "expires": 7.0, "path": "/" })
    );
    let id = claims(body["tokens"]["id"]["value"].as_str().unwrap());
    assert_eq!(id["name"], "Renamed Member");
    assert_eq!(id["sessionId"], login["sessionId"]);
    let access_claims = claims(new_access);
    assert!(
        access_claims["iat"].as_i64().unwrap()
            >= claims(&access(&login))["iat"].as_i64().unwrap() + 60
    );
    assert_eq!(h.get_as(new_access, "/v0/self").await["userId"], 2);
    // The refresh token keeps working (no rotation).
    h.get_as(&refresh(&login), "/v0/auth/refresh").await;
    // The session's lastActiveAt moved.
    let session = h.get_as(new_access, "/v0/auth/session").await;
    assert_ne!(session["lastActiveAt"], session["createdAt"]);
}

#[tokio::test]
async fn refresh_refusals() {
    let h = Harness::start().await;
    let login = h.login("member@example.com", TEST_PASSWORD).await;
    h.get("/v0/auth/refresh")
        .send()
        .await
        .err(401, "Missing authentication");
    for bad in [access(&login), "garbage".to_owned()] {
        h.get_refused(&bad, "/v0/auth/refresh", 401, "Invalid token")
            .await;
    }
    let id = login["tokens"]["id"]["value"].as_str().unwrap();
    h.get_refused(id, "/v0/auth/refresh", 401, "Invalid token")
        .await;
    // Refresh tokens last 30 days.
    h.advance(30 * 86_400 - 60).await;
    h.get_as(&refresh(&login), "/v0/auth/refresh").await;
    h.advance(120).await;
    h.get_refused(&refresh(&login), "/v0/auth/refresh", 401, "Invalid token")
        .await;
}

#[tokio::test]
async fn access_tokens_expire_after_seven_days_and_refresh_renews_them() {
    let h = Harness::start().await;
    let login = h.login("viewer@example.com", TEST_PASSWORD).await;
    h.advance(7 * 86_400 + 1).await;
    h.get_refused(&access(&login), "/v0/self", 401, "Unauthorized")
        .await;
    let renewed = h.get_as(&refresh(&login), "/v0/auth/refresh").await;
    let token = renewed["tokens"]["access"]["value"].as_str().unwrap();
    assert_eq!(h.get_as(token, "/v0/self").await["userId"], 3);
}

#[tokio::test]
async fn logout_ends_the_session_only() {
    let h = Harness::start().await;
    let first = h.login("member@example.com", TEST_PASSWORD).await;
    let second = h.login("member@example.com", TEST_PASSWORD).await;
    let body = h.get_as(&access(&first), "/v0/auth/logout").await;
    assert_eq!(
        body,
        json!({ "message": "OK", "redirectTo": "http://localhost:3000/login" })
    );
    h.get_refused(&refresh(&first), "/v0/auth/refresh", 401, "Invalid token")
        .await;
    h.get_refused(&access(&first), "/v0/self", 401, "Unauthorized")
        .await;
    // Idempotent, and the other session lives on.
    h.get_as(&access(&first), "/v0/auth/logout").await;
    h.get_as(&access(&second), "/v0/self").await;
    h.get_as(&refresh(&second), "/v0/auth/refresh").await;
}

#[tokio::test]
async fn logout_accepts_refresh_and_expired_tokens() {
    let h = Harness::start().await;
    let by_refresh = h.login("member@example.com", TEST_PASSWORD).await;
    h.get_as(&refresh(&by_refresh), "/v0/auth/logout").await;
    h.get_refused(&access(&by_refresh), "/v0/self", 401, "Unauthorized")
        .await;
    let expired = h.login("member@example.com", TEST_PASSWORD).await;
    h.advance(8 * 86_400).await;
    h.get("/v0/auth/logout")
        .header("x-origin", "http://localhost:5173")
        .bearer(&access(&expired))
        .send()
        .await
        .ok()
        .get("redirectTo")
        .map(|r| assert_eq!(r, "http://localhost:5173/login"))
        .expect("redirectTo");
    h.get_refused(&refresh(&expired), "/v0/auth/refresh", 401, "Invalid token")
        .await;
}

#[tokio::test]
async fn logout_refusals() {
    let h = Harness::start().await;
    let login = h.login("member@example.com", TEST_PASSWORD).await;
    h.get("/v0/auth/logout")
        .send()
        .await
        .err(401, "Missing authentication");
    h.get_refused("garbage", "/v0/auth/logout", 401, "Unauthorized")
        .await;
    // A token whose signature does not verify.
    let token = access(&login);
    let cut = token.rfind('.').unwrap() + 10;
    let flipped = if &token[cut..=cut] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &token[..cut], &token[cut + 1..]);
    h.get_refused(&forged, "/v0/auth/logout", 401, "Unauthorized")
        .await;
    // An ID token is not a credential.
    h.get_refused(
        login["tokens"]["id"]["value"].as_str().unwrap(),
        "/v0/auth/logout",
        401,
        "Unauthorized",
    )
    .await;
    // Still logged in.
    h.get_as(&token, "/v0/self").await;
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user() {
    let h = Harness::start().await;
    let a = h.login("member@example.com", TEST_PASSWORD).await;
    let b = h.login("member@example.com", TEST_PASSWORD).await;
    let other = h.login("viewer@example.com", TEST_PASSWORD).await;
    let body = h.get_as(&access(&a), "/v0/auth/logout/all").await;
    assert_eq!(body["redirectTo"], "http://localhost:3000/login");
    for login in [&a, &b] {
        h.get_refused(&refresh(login), "/v0/auth/refresh", 401, "Invalid token")
            .await;
    }
    h.get_as(&access(&other), "/v0/self").await;
    h.get("/v0/auth/logout/all")
        .send()
        .await
        .err(401, "Missing authentication");
}

#[tokio::test]
async fn the_current_session_describes_the_sign_on() {
    let h = Harness::start().await;
    let login = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
        .header("user-agent", "session-test/1.0")
        .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD }))
        .send()
        .await
        .ok();
    let session = h.get_as(&access(&login), "/v0/auth/session").await;
    assert_eq!(session["sessionId"], login["sessionId"]);
    assert_eq!(session["tenantId"], DEMO_TENANT);
    assert_eq!(session["mode"], "test");
    assert_eq!(session["userId"], 1);
    assert_eq!(session["userUuid"], login["userUuid"]);
    assert_eq!(session["isActive"], true);
    assert_eq!(session["isCurrent"], true);
    assert_eq!(session["endedAt"], Value::Null);
    assert_eq!(session["ipAddress"], "203.0.113.7");
    assert_eq!(session["userAgent"], "session-test/1.0");
    assert_eq!(
        session["authentication"],
        json!({ "firstFactor": { "channel": "email", "strategy": "password" }, "secondFactor": null })
    );
    let exp = claims(&refresh(&login))["exp"].as_i64().unwrap();
    let expires_at = session["expiresAt"].as_str().unwrap();
    assert!(expires_at.ends_with('Z'));
    let iat = claims(&refresh(&login))["iat"].as_i64().unwrap();
    assert_eq!(exp - iat, 30 * 86_400);
    h.get("/v0/auth/session")
        .send()
        .await
        .err(401, "Missing authentication");
    h.get_refused(&refresh(&login), "/v0/auth/session", 401, "Unauthorized")
        .await;
}

#[tokio::test]
async fn sessions_list_the_users_own_newest_first() {
    let h = Harness::start().await;
    let old = h.login("member@example.com", TEST_PASSWORD).await;
    h.advance(10).await;
    let middle = h.login("member@example.com", TEST_PASSWORD).await;
    h.advance(10).await;
    let current = h.login("member@example.com", TEST_PASSWORD).await;
    h.login("viewer@example.com", TEST_PASSWORD).await;
    h.get_as(&access(&middle), "/v0/auth/logout").await;
    let list = h.get_as(&access(&current), "/v0/auth/sessions").await;
    assert_eq!(list["totalCount"], 2);
    assert_eq!(list["totalPages"], 1);
    let ids: Vec<&Value> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["sessionId"])
        .collect();
    assert_eq!(ids, [&current["sessionId"], &old["sessionId"]]);
    assert_eq!(list["results"][0]["isCurrent"], true);
    assert_eq!(list["results"][1]["isCurrent"], false);
    let all = h
        .get_as(&access(&current), "/v0/auth/sessions?includeEnded=true")
        .await;
    assert_eq!(all["totalCount"], 3);
    assert_eq!(all["results"][1]["sessionId"], middle["sessionId"]);
    assert_eq!(all["results"][1]["isActive"], false);
    assert!(all["results"][1]["endedAt"].is_string());
    h.get("/v0/auth/sessions")
        .send()
        .await
        .err(401, "Missing authentication");
}
