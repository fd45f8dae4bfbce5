//! Passwordless sign-up and login links (CS-2 `POST /v0/auth/link`, CS-3 `PUT /v0/auth/link`).

use crate::common;

use common::{Harness, LIVE_ORIGIN, Method, access, link_credentials, query_param};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, OTHER_TENANT, TEST_PASSWORD};

const LINK: &str = "/v0/tenants/demo1234/auth/link";

async fn send(h: &Harness, body: Value) -> Value {
    h.post(LINK).json(body).send().await.ok()
}

fn link_of(sent: &Value) -> String {
    sent["result"]["link"]
        .as_str()
        .unwrap_or_else(|| panic!("no link in {sent}"))
        .to_owned()
}

async fn user_uuid(h: &Harness, email: &str) -> String {
    let token = h.access_token(email).await;
    let me = h.get_as(&token, "/v0/self").await;
    me["userUuid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn existing_users_get_a_login_link_that_signs_them_in_once() {
    let h = Harness::start().await;
    let uuid = user_uuid(&h, "member@example.com").await;
    let sent = send(
        &h,
        json!({ "email": "Member@Example.com", "name": "Ignored", "username": "ignored",
                "data": { "ignored": true } }),
    )
    .await;
    assert_eq!(sent["message"], "OK");
    let link = link_of(&sent);
    assert!(
        link.starts_with("http://localhost:3000/login?uuid="),
        "{link}"
    );
    assert_eq!(query_param(&link, "uuid"), Some(uuid.clone()));
    assert_eq!(query_param(&link, "type").as_deref(), Some("login"));
    let outbox = h.outbox("to=member@example.com").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["type"], "login");
    assert_eq!(outbox[0]["channel"], "email");
    assert_eq!(outbox[0]["link"], link.as_str());
    assert_eq!(outbox[0]["uuid"], uuid.as_str());
    assert_eq!(
        outbox[0]["token"],
        query_param(&link, "token").unwrap().as_str()
    );
    assert!(
        h.webhooks().await.is_empty(),
        "an existing user is not changed"
    );

    let mut body = link_credentials(&link);
    body["linkType"] = json!("login");
    let login = h.put(LINK).json(body.clone()).send().await.ok();
    assert_eq!(login["message"], "OK");
    assert_eq!(login["userId"], 2);
    assert_eq!(login["name"], "Member User");
    assert_eq!(login["username"], "member");
    assert_eq!(login["redirectTo"], "http://localhost:3000/dashboard");
    let session = h.get_as(&access(&login), "/v0/auth/session").await;
    assert_eq!(
        session["authentication"]["firstFactor"],
        json!({ "channel": "email", "strategy": "link" })
    );
    // Single use.
    h.put(LINK)
        .json(body)
        .send()
        .await
        .err(400, "Invalid token");
}

#[tokio::test]
async fn unknown_emails_sign_up_without_a_password() {
    let h = Harness::start().await;
    h.settings(DEMO_TENANT, json!({ "signupRedirectPath": "/welcome" }))
        .await;
    let sent = send(
        &h,
        json!({ "email": "New.User@Example.com", "name": "New User", "username": "newbie",
                "data": { "source": "link" } }),
    )
    .await;
    let link = link_of(&sent);
    assert_eq!(query_param(&link, "type").as_deref(), Some("welcome"));
    let events = h.webhooks().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["body"]["action"], "create");
    let record = &events[0]["body"]["record"];
    assert_eq!(record["email"], "new.user@example.com");
    assert_eq!(record["username"], "newbie");
    assert_eq!(record["name"], "New User");
    assert_eq!(record["data"], json!({ "source": "link" }));
    assert_eq!(record["isEmailConfirmed"], false);
    // The welcome link completes the signup: email confirmed, After-signup path.
    let login = h.put(LINK).json(link_credentials(&link)).send().await.ok();
    assert_eq!(login["userId"], 5);
    assert_eq!(login["isEmailConfirmed"], true);
    assert_eq!(login["isConfirmed"], true);
    assert!(login["confirmedEmailAt"].is_string());
    assert_eq!(login["redirectTo"], "http://localhost:3000/welcome");
    let events = h.webhooks().await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["body"]["action"], "update");
    assert_eq!(events[1]["body"]["record"]["isEmailConfirmed"], true);
    // The user has no password.
    h.post("/v0/tenants/demo1234/auth/basic")
        .json(
            json!({ "emailOrUsername": "newbie", "password": "anything-1",
                      "options": { "noResetEmail": true } }),
        )
        .send()
        .await
        .err_type(400, "Incorrect email or password", "intended_error");
    // The next link for the same address is a login link, and lands on the After-login path.
    h.advance(3).await;
    let again = link_of(&send(&h, json!({ "email": "new.user@example.com" })).await);
    assert_eq!(query_param(&again, "type").as_deref(), Some("login"));
    let login = h.put(LINK).json(link_credentials(&again)).send().await.ok();
    assert_eq!(login["redirectTo"], "http://localhost:3000/dashboard");
}

#[tokio::test]
async fn no_signup_email_creates_the_user_silently() {
    let h = Harness::start().await;
    let sent = send(
        &h,
        json!({ "email": "silent@example.com", "options": { "noSignupEmail": true } }),
    )
    .await;
    assert_eq!(sent, json!({ "message": "OK" }));
    assert!(h.outbox("").await.is_empty());
    assert_eq!(h.webhooks().await.len(), 1);
    // For an existing user the option changes nothing: a login link goes out.
    let sent = send(
        &h,
        json!({ "email": "silent@example.com", "options": { "noSignupEmail": true } }),
    )
    .await;
    assert_eq!(
        query_param(&link_of(&sent), "type").as_deref(),
        Some("login")
    );
}

#[tokio::test]
async fn redirects_ride_on_the_link_and_the_sign_on() {
    let h = Harness::start().await;
    let sent = h
        .post(LINK)
        .header("origin", "http://localhost:5173")
        .json(
            json!({ "email": "member@example.com", "options": { "redirect": "/after login?x=1" } }),
        )
        .send()
        .await
        .ok();
    let link = link_of(&sent);
    assert!(link.starts_with("http://localhost:5173/login?"), "{link}");
    assert_eq!(
        query_param(&link, "redirect").as_deref(),
        Some("%2Fafter%20login%3Fx%3D1")
    );
    // The page passes the redirect back: in options, or as the query of the sign-on call.
    let mut body = link_credentials(&link);
    body["options"] = json!({ "redirect": "/after" });
    let login = h
        .put(LINK)
        .header("origin", "http://localhost:5173")
        .json(body)
        .send()
        .await
        .ok();
    assert_eq!(login["redirectTo"], "http://localhost:5173/after");
    h.advance(3).await;
    let link = link_of(&send(&h, json!({ "email": "member@example.com" })).await);
    let login = h
        .put(&format!("{LINK}?redirect=/from-query"))
        .json(link_credentials(&link))
        .send()
        .await
        .ok();
    assert_eq!(login["redirectTo"], "http://localhost:3000/from-query");
    // An origin header carrying a whole page URL contributes its scheme and host only.
    h.advance(3).await;
    let sent = h
        .post(LINK)
        .origin("http://localhost:5173/signup/page?step=2#top")
        .json(json!({ "email": "member@example.com" }))
        .send()
        .await
        .ok();
    let link = link_of(&sent);
    assert!(
        link.starts_with("http://localhost:5173/login?uuid="),
        "{link}"
    );
    // The After-logout path hosts the login form, so links point there.
    h.settings(DEMO_TENANT, json!({ "logoutRedirectPath": "/sign-in" }))
        .await;
    h.advance(3).await;
    let link = link_of(&send(&h, json!({ "email": "member@example.com" })).await);
    assert!(
        link.starts_with("http://localhost:3000/sign-in?uuid="),
        "{link}"
    );
}

#[tokio::test]
async fn send_link_refusals() {
    let h = Harness::start().await;
    h.refuses_bad_emails(LINK, "not-an-email").await;
    h.post(LINK)
        .json(json!({ "email": "fresh@example.com", "username": "ADMIN" }))
        .send()
        .await
        .err(400, "Username exists");
    h.refuses_missing_or_unknown_tenant(
        Method::POST,
        "auth/link",
        json!({ "email": "fresh@example.com" }),
    )
    .await;
    assert!(h.outbox("").await.is_empty());
    assert!(h.webhooks().await.is_empty());
    // Docs form, and path over body.
    let sent = h
        .post("/v0/auth/link")
        .json(json!({ "tenantId": DEMO_TENANT, "email": "fresh@example.com" }))
        .send()
        .await
        .ok();
    assert_eq!(
        query_param(&link_of(&sent), "type").as_deref(),
        Some("welcome")
    );
    h.advance(3).await;
    let sent = h
        .post(LINK)
        .json(json!({ "tenantId": OTHER_TENANT, "email": "fresh@example.com" }))
        .send()
        .await
        .ok();
    assert_eq!(
        query_param(&link_of(&sent), "type").as_deref(),
        Some("login")
    );
}

#[tokio::test]
async fn using_credentials_refusals_keep_them_usable() {
    let h = Harness::start().await;
    let link = link_of(&send(&h, json!({ "email": "member@example.com" })).await);
    let good = link_credentials(&link);
    let viewer_uuid = user_uuid(&h, "viewer@example.com").await;
    h.put(LINK)
        .json(json!({ "uuid": good["uuid"] }))
        .send()
        .await
        .err(400, "\"token\" is required");
    h.put(LINK)
        .json(json!({ "token": good["token"] }))
        .send()
        .await
        .err(400, "\"uuid\" is required");
    for bad in [
        json!({ "uuid": viewer_uuid, "token": good["token"] }),
        json!({ "uuid": good["uuid"], "token": "7d4a3c1e-0000-4000-8000-000000000000" }),
        json!({ "uuid": good["uuid"], "token": "not-a-uuid" }),
        json!({ "uuid": "not-a-uuid", "token": good["token"] }),
    ] {
        h.put(LINK).json(bad).send().await.err(400, "Invalid token");
    }
    h.put("/v0/auth/link")
        .json(good.clone())
        .send()
        .await
        .err(400, "\"tenantId\" is required");
    // Another workspace does not know these credentials.
    h.put(&format!("/v0/tenants/{OTHER_TENANT}/auth/link"))
        .json(good.clone())
        .send()
        .await
        .err(400, "Invalid token");
    // None of that consumed them; the docs form uses them.
    let mut docs = good.clone();
    docs["tenantId"] = json!(DEMO_TENANT);
    assert_eq!(
        h.put("/v0/auth/link").json(docs).send().await.ok()["userId"],
        2
    );
}

#[tokio::test]
async fn reset_credentials_do_not_log_in_through_the_link_endpoint() {
    let h = Harness::start().await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/reset/link")
        .json(json!({ "email": "member@example.com" }))
        .send()
        .await
        .ok();
    let reset = link_credentials(sent["result"]["link"].as_str().unwrap());
    h.put(LINK)
        .json(reset.clone())
        .send()
        .await
        .err(400, "Invalid token");
    // Still good for the reset endpoint.
    let mut body = reset;
    body["password"] = json!("new-password-1");
    h.put("/v0/tenants/demo1234/auth/reset")
        .json(body)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn login_links_expire_after_an_hour_and_welcome_links_after_three_days() {
    let h = Harness::start().await;
    let login = link_of(&send(&h, json!({ "email": "member@example.com" })).await);
    let welcome = link_of(&send(&h, json!({ "email": "new@example.com" })).await);
    h.advance(3599).await;
    h.advance(2).await;
    h.put(LINK)
        .json(link_credentials(&login))
        .send()
        .await
        .err(400, "Token expired");
    h.advance(2 * 86_400).await;
    h.put(LINK)
        .json(link_credentials(&welcome))
        .send()
        .await
        .ok();
    let late = link_of(&send(&h, json!({ "email": "late@example.com" })).await);
    h.advance(3 * 86_400).await;
    h.put(LINK)
        .json(link_credentials(&late))
        .send()
        .await
        .err(400, "Token expired");
}

#[tokio::test]
async fn the_welcome_email_of_a_password_signup_confirms_the_address() {
    let h = Harness::start().await;
    h.signup("pw@example.com", "abcdefgh1").await;
    let outbox = h.outbox("to=pw@example.com&type=welcome").await;
    let link = outbox[0]["link"].as_str().unwrap();
    let login = h.put(LINK).json(link_credentials(link)).send().await.ok();
    assert_eq!(login["isEmailConfirmed"], true);
    // Not a signup any more: After-login path.
    assert_eq!(login["redirectTo"], "http://localhost:3000/dashboard");
}

#[tokio::test]
async fn live_links_answer_with_a_receipt_and_stay_in_live_mode() {
    let h = Harness::start().await;
    h.live_signup("ana@example.org", "live-password-1").await;
    h.advance(3).await;
    let sent = h
        .post(LINK)
        .origin(LIVE_ORIGIN)
        .json(json!({ "email": "ana@example.org" }))
        .send()
        .await
        .ok();
    let result = &sent["result"];
    assert!(result.get("link").is_none(), "{sent}");
    assert_eq!(result["email"], "ana@example.org");
    assert_eq!(result["to"], "ana@example.org");
    assert!(result["submittedAt"].as_str().unwrap().ends_with('Z'));
    let outbox = h.outbox("mode=live&type=login").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["messageId"], result["messageId"]);
    assert_eq!(outbox[0]["suppressed"], false);
    let link = outbox[0]["link"].as_str().unwrap();
    assert!(link.starts_with("https://example.com/login?"), "{link}");
    // Without the live origin the request runs in test mode, where these credentials do not
    // exist.
    h.put(LINK)
        .json(link_credentials(link))
        .send()
        .await
        .err(400, "Invalid token");
    let login = h
        .put(LINK)
        .origin(LIVE_ORIGIN)
        .json(link_credentials(link))
        .send()
        .await
        .ok();
    assert_eq!(login["mode"], "live");
    assert_eq!(login["email"], "ana@example.org");
    // A new live user from the link endpoint.
    let sent = h
        .post(LINK)
        .origin("https://shop.example.com")
        .json(json!({ "email": "bo@example.org" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["result"]["email"], "bo@example.org");
    let outbox = h.outbox("mode=live&to=bo@example.org").await;
    assert_eq!(outbox[0]["type"], "welcome");
    assert!(
        outbox[0]["link"]
            .as_str()
            .unwrap()
            .starts_with("https://shop.example.com/login?")
    );
}

#[tokio::test]
async fn a_link_can_be_the_second_factor() {
    let h = Harness::start().await;
    h.require_second_factor(
        json!({ "channel": "email", "strategy": "password" }),
        json!({ "channel": "email", "strategy": "link" }),
    )
    .await;
    let pending = h.login("member@example.com", TEST_PASSWORD).await;
    assert_eq!(pending["message"], "OK");
    assert!(pending.get("tokens").is_none());
    let first_factor = pending["firstFactorToken"].as_str().unwrap().to_owned();
    assert!(first_factor.starts_with("uf_test_first_factor_"));
    let member = link_of(&send(&h, json!({ "email": "member@example.com" })).await);
    let viewer = link_of(&send(&h, json!({ "email": "viewer@example.com" })).await);
    // Another user's link cannot complete this sign-on, and stays unused.
    h.put(LINK)
        .bearer(&first_factor)
        .json(link_credentials(&viewer))
        .send()
        .await
        .err(400, "Invalid token");
    h.put(LINK)
        .bearer("uf_test_first_factor_00000000000000000000000000000000")
        .json(link_credentials(&member))
        .send()
        .await
        .err(401, "Invalid token");
    let done = h
        .put(LINK)
        .bearer(&first_factor)
        .json(link_credentials(&member))
        .send()
        .await
        .ok();
    assert_eq!(done["message"], "OK");
    assert_eq!(done["userId"], 2);
    let session = h.get_as(&access(&done), "/v0/auth/session").await;
    assert_eq!(
        session["authentication"],
        json!({ "firstFactor": { "channel": "email", "strategy": "password" },
                "secondFactor": { "channel": "email", "strategy": "link" } })
    );
    // The firstFactorToken is spent.
    h.advance(3).await;
    let again = link_of(&send(&h, json!({ "email": "member@example.com" })).await);
    h.put(LINK)
        .bearer(&first_factor)
        .json(link_credentials(&again))
        .send()
        .await
        .err(401, "Invalid token");
    // The viewer's link still works as a first factor (and asks for MFA in turn).
    let viewer_login = h
        .put(LINK)
        .json(link_credentials(&viewer))
        .send()
        .await
        .ok();
    assert_eq!(viewer_login["message"], "OK");
}

#[tokio::test]
async fn a_code_challenge_withholds_the_tokens() {
    let h = Harness::start().await;
    let link = link_of(&send(&h, json!({ "email": "member@example.com" })).await);
    let body = h
        .put(&format!(
            "{LINK}?code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ))
        .json(link_credentials(&link))
        .send()
        .await
        .ok();
    assert_eq!(body["message"], "PKCE required");
    assert_eq!(body["mode"], "test");
    assert!(body["authorizationCode"].is_string());
    assert_eq!(body["redirectTo"], "http://localhost:3000/dashboard");
    assert!(body.get("tokens").is_none());
    // The link was used.
    h.put(LINK)
        .json(link_credentials(&link))
        .send()
        .await
        .err(400, "Invalid token");
}
