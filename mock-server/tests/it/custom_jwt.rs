//! Custom JWT access tokens (server-to-server SS-42).

use crate::common;

use common::{Harness, access, refresh};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, OTHER_TENANT};

async fn issue(h: &Harness, body: Value) -> Value {
    h.post("/v0/auth/jwt")
        .bearer(&h.admin())
        .json(body)
        .send()
        .await
        .ok()
}

fn lifetime(claims: &Value) -> i64 {
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

#[tokio::test]
async fn the_payload_carries_user_attributes_and_server_claims() {
    let h = Harness::start().await;
    let body = issue(
        &h,
        json!({ "userId": 1, "payload": { "plan": "pro", "email": "overwritten" },
                "options": { "userAttributes": ["email", "name", "noSuchAttribute"] } }),
    )
    .await;
    assert_eq!(body["mode"], "test");
    let session = body["sessionId"].as_str().unwrap();
    let claims = h.verified_claims(&access(&body), Mode::Test).await;
    assert_eq!(claims["plan"], "pro");
    assert_eq!(claims["email"], "admin@example.com");
    assert_eq!(claims["name"], "Admin User");
    assert!(claims.get("noSuchAttribute").is_none());
    assert_eq!(claims["tenantId"], DEMO_TENANT);
    assert_eq!(claims["mode"], "test");
    assert_eq!(claims["sessionId"], session);
    assert!(claims.get("userId").is_none(), "only what was asked for");
    assert_eq!(lifetime(&claims), 604_800, "the tenant's access duration");
    let refresh_claims = h.verified_claims(&refresh(&body), Mode::Test).await;
    assert_eq!(refresh_claims["type"], "refresh");
    assert_eq!(refresh_claims["sessionId"], session);
    assert_eq!(lifetime(&refresh_claims), 2_592_000);
    assert_eq!(body["tokens"]["access"]["cookieOptions"]["expires"], 7.0);
    assert_eq!(
        body["tokens"]["refresh"]["cookieOptions"]["sameSite"],
        "Strict"
    );

    // The tenant form and a user named by UUID work the same way.
    let uuid = h
        .login("member@example.com", userfront_mock::TEST_PASSWORD)
        .await["userUuid"]
        .clone();
    let body = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/jwt"))
        .bearer(&h.admin())
        .json(json!({ "userUuid": uuid, "options": { "userAttributes": ["userId", "authorization"] } }))
        .send()
        .await
        .ok();
    let claims = h.verified_claims(&access(&body), Mode::Test).await;
    assert_eq!(claims["userId"], 2);
    assert_eq!(
        claims["authorization"][DEMO_TENANT]["roles"],
        json!(["member"])
    );
}

#[tokio::test]
async fn durations_follow_the_options() {
    let h = Harness::start().await;
    let one = issue(
        &h,
        json!({ "options": { "accessTokenDuration": "1 hour" } }),
    )
    .await;
    let claims = h.verified_claims(&access(&one), Mode::Test).await;
    assert_eq!(lifetime(&claims), 3600);
    let refresh_claims = h.verified_claims(&refresh(&one), Mode::Test).await;
    assert_eq!(lifetime(&refresh_claims), 3600, "one duration sets both");
    let only_refresh = issue(
        &h,
        json!({ "options": { "refreshTokenDuration": "2 days" } }),
    )
    .await;
    assert_eq!(
        lifetime(&h.verified_claims(&access(&only_refresh), Mode::Test).await),
        172_800
    );
    let both = issue(
        &h,
        json!({ "payload": {}, "options": { "accessTokenDuration": "30 seconds", "refreshTokenDuration": "1 year" } }),
    )
    .await;
    assert_eq!(
        lifetime(&h.verified_claims(&access(&both), Mode::Test).await),
        30
    );
    let refresh_claims = h.verified_claims(&refresh(&both), Mode::Test).await;
    assert_eq!(lifetime(&refresh_claims), 365 * 86_400);
    for bad in ["soon", "0 hours", "11 years", "1.5 hours"] {
        h.post("/v0/auth/jwt")
            .bearer(&h.admin())
            .json(json!({ "options": { "accessTokenDuration": bad } }))
            .send()
            .await
            .err(400, "Invalid duration");
    }
}

#[tokio::test]
async fn refused_requests() {
    let h = Harness::start().await;
    let send = |body: Value| {
        let h = &h;
        async move {
            h.post("/v0/auth/jwt")
                .bearer(&h.admin())
                .json(body)
                .send()
                .await
        }
    };
    for reserved in ["tenantId", "sessionId", "mode", "exp", "iat"] {
        send(json!({ "payload": { reserved: "x" } })).await.err(
            400,
            "Payload cannot include \"tenantId\", \"sessionId\", \"mode\", \"exp\", or \"iat\"",
        );
    }
    send(json!({ "payload": { "plan": "pro" }, "options": { "userAttributes": ["email"] } }))
        .await
        .err(400, "\"userId\" or \"userUuid\" is required");
    send(json!({ "userId": 999, "options": { "userAttributes": ["email"] } }))
        .await
        .err(404, "User not found");
    send(json!({ "userUuid": "6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68" }))
        .await
        .err(404, "User not found");
    send(json!({ "payload": "pro" }))
        .await
        .err(400, "\"payload\" must be of type object");
    send(json!({ "userId": 1, "options": { "userAttributes": "email" } }))
        .await
        .err(400, "\"userAttributes\" must be an array of strings");
    for key in [
        h.key(Mode::Test, KeyType::Readonly),
        h.key(Mode::Test, KeyType::Webhook),
    ] {
        h.post("/v0/auth/jwt")
            .bearer(&key)
            .json(json!({ "payload": {} }))
            .send()
            .await
            .err(403, "Forbidden");
    }
    let other = h.other_key(Mode::Test, KeyType::Admin);
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/jwt"))
        .bearer(&other)
        .json(json!({ "payload": {} }))
        .send()
        .await
        .err(403, "Forbidden");
    // Test users are not live users.
    h.post("/v0/auth/jwt")
        .bearer(&h.key(Mode::Live, KeyType::Admin))
        .json(json!({ "userId": 1, "options": { "userAttributes": ["email"] } }))
        .send()
        .await
        .err(404, "User not found");
}

#[tokio::test]
async fn live_keys_issue_live_tokens() {
    let h = Harness::start().await;
    let body = h
        .post("/v0/auth/jwt")
        .bearer(&h.key(Mode::Live, KeyType::Admin))
        .json(json!({ "payload": { "plan": "pro" } }))
        .send()
        .await
        .ok();
    assert_eq!(body["mode"], "live");
    let claims = h.verified_claims(&access(&body), Mode::Live).await;
    assert_eq!(claims["mode"], "live");
    assert_eq!(body["tokens"]["access"]["cookieOptions"]["secure"], true);
}

#[tokio::test]
async fn refreshing_re_issues_the_custom_payload() {
    let h = Harness::start().await;
    let body = issue(
        &h,
        json!({ "userId": 2, "payload": { "plan": "pro" },
                "options": { "userAttributes": ["email"], "accessTokenDuration": "1 hour", "refreshTokenDuration": "1 day" } }),
    )
    .await;
    let first = h.verified_claims(&access(&body), Mode::Test).await;
    h.advance(7200).await;
    let refreshed = h.get_as(&refresh(&body), "/v0/auth/refresh").await;
    assert_eq!(refreshed["sessionId"], body["sessionId"]);
    let again = h.verified_claims(&access(&refreshed), Mode::Test).await;
    assert_eq!(again["plan"], "pro");
    assert_eq!(again["email"], "member@example.com");
    assert_eq!(again["sessionId"], first["sessionId"]);
    assert_eq!(lifetime(&again), 3600);
    assert_eq!(
        again["iat"].as_i64().unwrap() - first["iat"].as_i64().unwrap(),
        7200
    );
    // Past the refresh duration the session is over.
    h.advance(86_400).await;
    h.get_refused(&refresh(&body), "/v0/auth/refresh", 401, "Invalid token")
        .await;
}

#[tokio::test]
async fn a_payload_with_user_id_and_authorization_works_against_the_api() {
    let h = Harness::start().await;
    let body = issue(
        &h,
        json!({ "payload": { "userId": 2, "authorization": { DEMO_TENANT: { "roles": ["admin"] } } },
                "options": { "accessTokenDuration": "1 hour" } }),
    )
    .await;
    let token = access(&body);
    let listed = h
        .get_as(&token, &format!("/v0/tenants/{DEMO_TENANT}/keys/admin"))
        .await;
    assert_eq!(listed["results"][0]["key"], h.admin());
    // It is bound to user 2's session: the user's own endpoints accept it.
    assert_eq!(h.get_as(&token, "/v0/self").await["userId"], 2);
    // It expires like any token.
    h.advance(3601).await;
    h.get_refused(
        &token,
        &format!("/v0/tenants/{DEMO_TENANT}/keys/admin"),
        401,
        "Unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_custom_authorization_claim_never_reaches_another_workspace() {
    let h = Harness::start().await;
    let body = issue(
        &h,
        json!({ "payload": { "userId": 1, "authorization": { OTHER_TENANT: { "roles": ["admin"] } } } }),
    )
    .await;
    let token = access(&body);
    for path in [
        format!("/v0/tenants/{OTHER_TENANT}/keys/admin?test=true"),
        format!("/v0/tenants/{OTHER_TENANT}/roles"),
    ] {
        h.get_refused(&token, &path, 403, "Forbidden").await;
    }
}

#[tokio::test]
async fn the_tenant_form_signs_for_a_child_tenant() {
    let h = Harness::start().await;
    let child = h.create_tenant(&h.admin(), DEMO_TENANT, "Acme").await;
    h.settings(&child, json!({ "accessTokenDuration": 60 }))
        .await;
    let body = h
        .post(&format!("/v0/tenants/{child}/auth/jwt"))
        .bearer(&h.admin())
        .json(json!({ "payload": { "plan": "pro" } }))
        .send()
        .await
        .ok();
    let claims = h.verified_claims(&access(&body), Mode::Test).await;
    assert_eq!(claims["tenantId"], child.as_str());
    assert_eq!(lifetime(&claims), 60, "the child's own token duration");
}
