//! Password sign-up, sign-on and password changes (CS-1, CS-4, CS-6, CS-7), the two path forms
//! of client endpoints, and test versus live mode.

use crate::common;

use common::{Harness, LIVE_ORIGIN, access, link_credentials, query_param};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, OTHER_TENANT, TEST_PASSWORD};

const CREATE: &str = "/v0/tenants/demo1234/auth/create";
const BASIC: &str = "/v0/tenants/demo1234/auth/basic";

/// A seed whose test pool holds a locked user and an unlocked one.
fn seed_with_locked_user() -> Value {
    common::demo_seed_with_users(json!([
        { "userId": 1, "username": "locked", "email": "locked@example.com",
          "password": TEST_PASSWORD, "locked": true, "isEmailConfirmed": true },
        { "userId": 2, "username": "open", "email": "open@example.com",
          "password": TEST_PASSWORD, "isEmailConfirmed": true }
    ]))
}

#[tokio::test]
async fn signup_creates_the_user_signs_in_and_queues_a_welcome_email() {
    let h = Harness::start().await;
    let body = h
        .post(CREATE)
        .json(json!({
            "email": "Jane.Doe@Example.COM", "password": "abcdefgh1",
            "username": "JaneD", "name": "Jane Doe", "data": { "plan": "pro" }
        }))
        .send()
        .await
        .ok();
    assert_eq!(body["message"], "OK");
    assert_eq!(body["mode"], "test");
    assert_eq!(body["userId"], 5);
    assert_eq!(body["tenantId"], DEMO_TENANT);
    assert_eq!(body["email"], "jane.doe@example.com");
    assert_eq!(body["username"], "janed");
    assert_eq!(body["name"], "Jane Doe");
    assert_eq!(body["data"], json!({ "plan": "pro" }));
    assert_eq!(body["isEmailConfirmed"], false);
    assert_eq!(body["redirectTo"], "http://localhost:3000/dashboard");
    assert!(body["sessionId"].is_string() && body["nonce"].is_string());
    assert!(
        body.get("result").is_none(),
        "no link in the response: {body}"
    );
    let tokens = &body["tokens"];
    assert_eq!(
        tokens["access"]["cookieOptions"],
        json!({ "secure": false, "sameSite": "Lax", "expires": 7.0, "path": "/" })
    );
    assert_eq!(tokens["id"]["cookieOptions"]["sameSite"], "Lax");
    assert_eq!(
        tokens["refresh"]["cookieOptions"],
        json!({ "secure": false, "sameSite": "Strict", "expires": 30.0, "path": "/" })
    );
    // The access token works, the welcome email waits in the outbox, a webhook event exists.
    let me = h.get_as(&access(&body), "/v0/self").await;
    assert_eq!(me["email"], "jane.doe@example.com");
    let outbox = h.outbox("to=jane.doe@example.com").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["type"], "welcome");
    assert_eq!(outbox[0]["suppressed"], true);
    let link = outbox[0]["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:3000/login?uuid="),
        "{link}"
    );
    assert_eq!(query_param(link, "type").as_deref(), Some("welcome"));
    assert_eq!(
        query_param(link, "uuid").as_deref(),
        body["userUuid"].as_str()
    );
    let events = h.webhooks().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["body"]["action"], "create");
    assert_eq!(events[0]["body"]["model"], "user");
    assert_eq!(events[0]["body"]["record"]["userId"], 5);
    // The new user logs in with the password, by email in any case or by username.
    for id in ["JANE.DOE@example.com", "janed"] {
        let login = h.login(id, "abcdefgh1").await;
        assert_eq!(login["userId"], 5);
    }
}

#[tokio::test]
async fn signup_redirects_to_the_signup_path_or_the_requested_one() {
    let h = Harness::start().await;
    h.settings(DEMO_TENANT, json!({ "signupRedirectPath": "/welcome" }))
        .await;
    let body = h.signup("a@example.com", "abcdefgh1").await;
    assert_eq!(body["redirectTo"], "http://localhost:3000/welcome");
    let body = h
        .post(CREATE)
        .header("origin", "http://127.0.0.1:5173")
        .json(json!({ "email": "b@example.com", "password": "abcdefgh1",
                      "options": { "redirect": "/onboarding" } }))
        .send()
        .await
        .ok();
    assert_eq!(body["redirectTo"], "http://127.0.0.1:5173/onboarding");
}

#[tokio::test]
async fn signup_without_the_welcome_email() {
    let h = Harness::start().await;
    h.post(CREATE)
        .json(
            json!({ "email": "quiet@example.com", "password": "abcdefgh1",
                      "options": { "noSignupEmail": true } }),
        )
        .send()
        .await
        .ok();
    assert!(h.outbox("").await.is_empty());
}

#[tokio::test]
async fn signup_refusals_change_nothing() {
    let h = Harness::start().await;
    let cases = [
        (json!({ "password": "abcdefgh1" }), "\"email\" is required"),
        (
            json!({ "email": "nope", "password": "abcdefgh1" }),
            "Email format is invalid",
        ),
        (
            json!({ "email": "x@example.com" }),
            "\"password\" is required",
        ),
        (
            json!({ "email": "x@example.com", "password": "short1" }),
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        ),
        (
            json!({ "email": "MEMBER@example.com", "password": "abcdefgh1" }),
            "Email exists",
        ),
        (
            json!({ "email": "x@example.com", "password": "abcdefgh1", "username": "Admin" }),
            "Username exists",
        ),
        (
            json!({ "email": "x@example.com", "password": "abcdefgh1", "data": [1] }),
            "\"data\" must be of type object",
        ),
        (
            json!({ "email": 7, "password": "abcdefgh1" }),
            "\"email\" must be a string",
        ),
    ];
    for (body, message) in cases {
        h.post(CREATE).json(body).send().await.err(400, message);
    }
    assert!(h.outbox("").await.is_empty());
    assert!(h.webhooks().await.is_empty());
    // x@example.com was never created: signing up with it now works and gets id 5.
    assert_eq!(h.signup("x@example.com", "abcdefgh1").await["userId"], 5);
}

#[tokio::test]
async fn reserved_test_passwords_work_in_test_mode_only() {
    let h = Harness::start().await;
    assert_eq!(h.signup("t@example.com", "password").await["mode"], "test");
    h.post(CREATE)
        .origin(LIVE_ORIGIN)
        .json(json!({ "email": "t@example.com", "password": "password" }))
        .send()
        .await
        .err(
            400,
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        );
}

#[tokio::test]
async fn both_path_forms_work_and_the_path_wins() {
    let h = Harness::start().await;
    // Docs form: tenant in the body.
    let body = h
        .post("/v0/auth/create")
        .json(json!({ "tenantId": DEMO_TENANT, "email": "docs@example.com", "password": "abcdefgh1" }))
        .send()
        .await
        .ok();
    assert_eq!(body["tenantId"], DEMO_TENANT);
    let body = h
        .post("/v0/auth/basic")
        .json(json!({ "tenantId": DEMO_TENANT, "emailOrUsername": "docs@example.com", "password": "abcdefgh1" }))
        .send()
        .await
        .ok();
    assert_eq!(body["userId"], 5);
    // Path and body disagree: the path wins (the user exists in demo1234 only).
    let body = h
        .post(BASIC)
        .json(json!({ "tenantId": OTHER_TENANT, "emailOrUsername": "admin", "password": TEST_PASSWORD }))
        .send()
        .await
        .ok();
    assert_eq!(body["tenantId"], DEMO_TENANT);
    // Missing and unknown tenants.
    for path in ["/v0/auth/create", "/v0/auth/basic"] {
        h.post(path)
            .json(json!({ "email": "a@example.com", "password": "abcdefgh1" }))
            .send()
            .await
            .err(400, "\"tenantId\" is required");
        h.post(path)
            .json(json!({ "tenantId": "nope0000", "email": "a@example.com", "password": "abcdefgh1" }))
            .send()
            .await
            .err(404, "Not Found");
    }
    h.post("/v0/tenants/nope0000/auth/basic")
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(404, "Not Found");
    // The other workspace has its own (empty) pool.
    h.post(&format!("/v0/tenants/{OTHER_TENANT}/auth/basic"))
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "Incorrect email or password");
}

#[tokio::test]
async fn login_accepts_email_username_and_the_older_fields() {
    let h = Harness::start().await;
    for body in [
        json!({ "emailOrUsername": "Member@Example.com", "password": TEST_PASSWORD }),
        json!({ "emailOrUsername": "MEMBER", "password": TEST_PASSWORD }),
        json!({ "email": "member@example.com", "password": TEST_PASSWORD }),
        json!({ "username": "member", "password": TEST_PASSWORD }),
    ] {
        let login = h.post(BASIC).json(body).send().await.ok();
        assert_eq!(login["userId"], 2);
        assert_eq!(login["message"], "OK");
        assert_eq!(login["redirectTo"], "http://localhost:3000/dashboard");
        assert_eq!(
            login["authorization"][DEMO_TENANT]["roles"],
            json!(["member"])
        );
    }
    let session = h
        .get_as(
            &h.access_token("member@example.com").await,
            "/v0/auth/session",
        )
        .await;
    assert_eq!(
        session["authentication"]["firstFactor"],
        json!({ "channel": "email", "strategy": "password" })
    );
}

#[tokio::test]
async fn login_refusals() {
    let h = Harness::start().await;
    for body in [
        json!({ "emailOrUsername": "member@example.com", "password": "wrong-password-1" }),
        json!({ "emailOrUsername": "ghost@example.com", "password": TEST_PASSWORD }),
    ] {
        h.post(BASIC).json(body).send().await.err_type(
            400,
            "Incorrect email or password",
            "bad_request_error",
        );
    }
    h.post(BASIC)
        .json(json!({ "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "\"emailOrUsername\" is required");
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "member" }))
        .send()
        .await
        .err(400, "\"password\" is required");
    // A wrong password creates no session and sends nothing.
    assert!(h.outbox("").await.is_empty());
}

#[tokio::test]
async fn locked_users_are_refused_after_the_password_check() {
    let h = Harness::start_with_seed(seed_with_locked_user()).await;
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "locked", "password": "wrong-password-1" }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "locked", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(403, "User is locked");
    assert_eq!(h.login("open", TEST_PASSWORD).await["userId"], 2);
    // Link and reset flows refuse the locked user too, and keep the credentials unused.
    let sent = h
        .post("/v0/tenants/demo1234/auth/reset/link")
        .json(json!({ "email": "locked@example.com" }))
        .send()
        .await
        .ok();
    let link = sent["result"]["link"].as_str().unwrap();
    let mut body = link_credentials(link);
    body["password"] = json!("abcdefgh1");
    h.put("/v0/tenants/demo1234/auth/reset")
        .json(body.clone())
        .send()
        .await
        .err(403, "User is locked");
    h.advance(3).await;
    let sent = h
        .post("/v0/tenants/demo1234/auth/link")
        .json(json!({ "email": "locked@example.com" }))
        .send()
        .await
        .ok();
    let login = link_credentials(sent["result"]["link"].as_str().unwrap());
    h.put("/v0/tenants/demo1234/auth/link")
        .json(login)
        .send()
        .await
        .err(403, "User is locked");
    assert!(h.webhooks().await.is_empty(), "nothing changed");
}

/// A password login of `nopass@example.com` (who has no password) with `noResetEmail` is
/// refused with the intended error.
async fn refused_without_reset_email(h: &Harness, password: &str) {
    h.post(BASIC)
        .json(
            json!({ "emailOrUsername": "nopass@example.com", "password": password,
                      "options": { "noResetEmail": true } }),
        )
        .send()
        .await
        .err_type(400, "Incorrect email or password", "intended_error");
}

#[tokio::test]
async fn a_user_without_password_gets_a_reset_email_or_an_intended_error() {
    let h = Harness::start().await;
    h.passwordless("nopass@example.com").await;
    h.delete("/__mock/outbox").send().await.ok();
    h.advance(3).await; // past the duplicate window of the welcome email
    refused_without_reset_email(&h, "anything1").await;
    assert!(h.outbox("").await.is_empty());
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "nopass@example.com", "password": "anything1" }))
        .send()
        .await
        .err_type(400, "Incorrect email or password", "bad_request_error");
    let outbox = h.outbox("type=reset").await;
    assert_eq!(outbox.len(), 1);
    let link = outbox[0]["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:3000/reset?uuid="),
        "{link}"
    );
    assert_eq!(query_param(link, "type"), None);
    // The link sets a first password.
    let mut body = link_credentials(link);
    body["password"] = json!("abcdefgh1");
    h.put("/v0/tenants/demo1234/auth/reset")
        .json(body)
        .send()
        .await
        .ok();
    assert_eq!(
        h.login("nopass@example.com", "abcdefgh1").await["message"],
        "OK"
    );
}

#[tokio::test]
async fn update_password_needs_the_existing_one() {
    let h = Harness::start().await;
    let old_login = h.login("member@example.com", TEST_PASSWORD).await;
    let token = access(&old_login);
    let path = "/v0/tenants/demo1234/auth/basic";
    h.put(path)
        .bearer(&token)
        .json(json!({ "password": "new-password-1" }))
        .send()
        .await
        .err(400, "\"existingPassword\" is required");
    h.put(path)
        .bearer(&token)
        .json(json!({ "existingPassword": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "\"password\" is required");
    h.put(path)
        .bearer(&token)
        .json(json!({ "password": "weak", "existingPassword": TEST_PASSWORD }))
        .send()
        .await
        .err(
            400,
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        );
    h.put(path)
        .bearer(&token)
        .json(json!({ "password": "new-password-1", "existingPassword": "wrong-password-1" }))
        .send()
        .await
        .err(400, "Incorrect password");
    assert!(h.webhooks().await.is_empty());
    let done = h
        .put(path)
        .bearer(&token)
        .json(json!({ "password": "new-password-1", "existingPassword": TEST_PASSWORD }))
        .send()
        .await
        .ok();
    assert_eq!(done, json!({ "message": "OK" }));
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "member", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    assert_eq!(h.login("member", "new-password-1").await["userId"], 2);
    // Other sessions stay active; the change is a user update event without the password.
    h.get_as(&token, "/v0/self").await;
    let events = h.webhooks().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["body"]["action"], "update");
    let text = events[0].to_string();
    assert!(!text.contains("new-password-1") && !text.contains("\"password\":"));
    // Docs form: the token gives the tenant.
    h.put("/v0/auth/basic")
        .bearer(&token)
        .json(json!({ "password": "third-password-1", "existingPassword": "new-password-1" }))
        .send()
        .await
        .ok();
    assert_eq!(h.login("member", "third-password-1").await["userId"], 2);
}

#[tokio::test]
async fn update_password_credentials_and_tenant_checks() {
    let h = Harness::start().await;
    let login = h.login("member@example.com", TEST_PASSWORD).await;
    let token = access(&login);
    let body = json!({ "password": "new-password-1", "existingPassword": TEST_PASSWORD });
    h.put(BASIC)
        .json(body.clone())
        .send()
        .await
        .err(401, "Missing authentication");
    h.put(BASIC)
        .bearer("garbage")
        .json(body.clone())
        .send()
        .await
        .err(401, "Unauthorized");
    h.put(BASIC)
        .bearer(common::refresh(&login).as_str())
        .json(body.clone())
        .send()
        .await
        .err(401, "Unauthorized");
    h.put(&format!("/v0/tenants/{OTHER_TENANT}/auth/basic"))
        .bearer(&token)
        .json(body.clone())
        .send()
        .await
        .err(403, "Forbidden");
    let mut other = body.clone();
    other["tenantId"] = json!(OTHER_TENANT);
    h.put("/v0/auth/basic")
        .bearer(&token)
        .json(other)
        .send()
        .await
        .err(403, "Forbidden");
    // An expired access token is refused.
    h.advance(7 * 86_400 + 1).await;
    h.put(BASIC)
        .bearer(&token)
        .json(body)
        .send()
        .await
        .err(401, "Unauthorized");
    assert_eq!(h.login("member", TEST_PASSWORD).await["userId"], 2);
}

/// Seeds 000 and 001, "If no password exists": both password fields are ignored and a reset
/// link is sent; test mode answers with the link itself.
#[tokio::test]
async fn update_password_without_a_password_sends_a_reset_link_in_test_mode() {
    let h = Harness::start().await;
    let signed_in = h.passwordless("nopass@example.com").await;
    h.delete("/__mock/outbox").send().await.ok();
    h.advance(3).await; // past the duplicate window of the welcome email
    let sent = h
        .put("/v0/auth/basic")
        .bearer(&access(&signed_in))
        .json(json!({ "password": "first-password-1", "existingPassword": "ignored" }))
        .send()
        .await
        .ok();
    let link = sent["result"]["link"].as_str().expect("a reset link");
    assert_eq!(sent, json!({ "message": "OK", "result": { "link": link } }));
    assert!(
        link.starts_with("http://localhost:3000/reset?uuid="),
        "{link}"
    );
    let outbox = h.outbox("type=reset").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["to"], "nopass@example.com");
    assert_eq!(outbox[0]["link"], link);
    // The password was not set: it does not log in (the user still has none).
    refused_without_reset_email(&h, "first-password-1").await;
    // Fields that would be refused for a user with a password are ignored too.
    h.advance(3).await;
    h.put("/v0/auth/basic")
        .bearer(&access(&signed_in))
        .json(json!({ "password": "short" }))
        .send()
        .await
        .ok();
    // The link sets the password.
    let mut reset = link_credentials(link);
    reset["password"] = json!("chosen-password-1");
    h.put("/v0/tenants/demo1234/auth/reset")
        .json(reset)
        .send()
        .await
        .ok();
    assert_eq!(
        h.login("nopass@example.com", "chosen-password-1").await["userId"],
        signed_in["userId"]
    );
}

/// The live-mode answer of seed 001: a delivery receipt `{to, messageId, submittedAt}`.
#[tokio::test]
async fn update_password_without_a_password_sends_a_reset_email_in_live_mode() {
    let h = Harness::start().await;
    h.post(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
        .origin(LIVE_ORIGIN)
        .json(json!({ "email": "live-nopass@example.org" }))
        .send()
        .await
        .ok();
    let welcome = h.outbox("mode=live&type=welcome").await;
    let link = welcome[0]["link"].as_str().expect("welcome link");
    let signed_in = h
        .put(&format!("/v0/tenants/{DEMO_TENANT}/auth/link"))
        .origin(LIVE_ORIGIN)
        .json(link_credentials(link))
        .send()
        .await
        .ok();
    assert_eq!(signed_in["mode"], "live");
    h.advance(3).await;
    let sent = h
        .put("/v0/auth/basic")
        .origin(LIVE_ORIGIN)
        .bearer(&access(&signed_in))
        .json(json!({ "password": "first-password-1", "existingPassword": "ignored" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["message"], "OK");
    let result = &sent["result"];
    assert_eq!(result["to"], "live-nopass@example.org", "{sent}");
    assert!(result["messageId"].is_string(), "{sent}");
    assert!(result["submittedAt"].is_string(), "{sent}");
    assert_eq!(
        result.get("link"),
        None,
        "live mode sends, it does not show"
    );
    let outbox = h.outbox("mode=live&type=reset").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["messageId"], result["messageId"]);
}

#[tokio::test]
async fn legacy_set_password_route() {
    let h = Harness::start().await;
    let path = "/v0/tenants/demo1234/auth/password";
    // With a password: as PUT /v0/auth/basic.
    let token = h.access_token("viewer@example.com").await;
    h.put(path)
        .bearer(&token)
        .json(json!({ "password": "new-password-1", "existingPassword": "wrong-password-1" }))
        .send()
        .await
        .err(400, "Incorrect password");
    assert_eq!(
        h.put(path)
            .bearer(&token)
            .json(json!({ "password": "new-password-1", "existingPassword": TEST_PASSWORD }))
            .send()
            .await
            .ok(),
        json!({ "message": "OK" })
    );
    assert_eq!(h.login("viewer", "new-password-1").await["userId"], 3);
    h.put(&format!("/v0/tenants/{OTHER_TENANT}/auth/password"))
        .bearer(&token)
        .json(json!({ "password": "x-password-1", "existingPassword": "new-password-1" }))
        .send()
        .await
        .err(403, "Forbidden");
    h.put(path)
        .json(json!({ "password": "x-password-1" }))
        .send()
        .await
        .err(401, "Missing authentication");
    // Without a password: a reset email instead; both fields ignored.
    let signed_in = h.passwordless("nopass@example.com").await;
    h.delete("/__mock/outbox").send().await.ok();
    h.advance(3).await;
    let sent = h
        .put(path)
        .bearer(&access(&signed_in))
        .json(json!({ "password": "ignored-password-1" }))
        .send()
        .await
        .ok();
    assert_eq!(sent["message"], "OK");
    let link = sent["result"]["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:3000/reset?uuid="),
        "{link}"
    );
    assert_eq!(query_param(link, "type"), None);
    assert_eq!(h.outbox("type=reset").await.len(), 1);
    refused_without_reset_email(&h, "ignored-password-1").await;
    // The reset email is rate limited like any other.
    h.put(path)
        .bearer(&access(&signed_in))
        .json(json!({}))
        .send()
        .await
        .err_type(429, "Rate limited", "rate_limit_error");
}

#[tokio::test]
async fn live_mode_is_a_separate_world() {
    let h = Harness::start().await;
    // Seeded users exist in test mode only.
    h.post(BASIC)
        .origin(LIVE_ORIGIN)
        .json(json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    let live = h.live_signup("ana@example.org", "live-password-1").await;
    assert_eq!(live["mode"], "live");
    assert_eq!(live["userId"], 1);
    assert_eq!(live["redirectTo"], "https://example.com/dashboard");
    assert_eq!(live["tokens"]["access"]["cookieOptions"]["secure"], true);
    assert_eq!(live["tokens"]["refresh"]["cookieOptions"]["secure"], true);
    // The live user is unknown in test mode, and the email is free there.
    h.post(BASIC)
        .json(json!({ "emailOrUsername": "ana@example.org", "password": "live-password-1" }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    assert_eq!(
        h.signup("ana@example.org", "test-password-1").await["userId"],
        5
    );
    // The live token reads the live user; its welcome email was "sent", not suppressed.
    let me = h.get_as(&access(&live), "/v0/self").await;
    assert_eq!(
        (me["mode"].clone(), me["userId"].clone()),
        (json!("live"), json!(1))
    );
    let outbox = h.outbox("mode=live").await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["suppressed"], false);
    assert!(
        outbox[0]["link"]
            .as_str()
            .unwrap()
            .starts_with("https://example.com/login?")
    );
    // Live logins from a subdomain, with the `Origin` header, work too.
    let body = h
        .post(BASIC)
        .header("origin", "https://app.example.com")
        .json(json!({ "emailOrUsername": "ana@example.org", "password": "live-password-1" }))
        .send()
        .await
        .ok();
    assert_eq!(body["mode"], "live");
    assert_eq!(body["redirectTo"], "https://app.example.com/dashboard");
}

#[tokio::test]
async fn responses_and_the_state_dump_never_hold_a_password() {
    let h = Harness::start().await;
    let signup = h.signup("secret@example.com", "plaintext-secret-1").await;
    let login = h.login("secret@example.com", "plaintext-secret-1").await;
    let me = h.get_as(&access(&login), "/v0/self").await;
    let state = h.get("/__mock/state").send().await.ok();
    let outbox = h.get("/__mock/outbox").send().await.ok();
    let hooks = h.get("/__mock/webhooks").send().await.ok();
    for doc in [&signup, &login, &me, &state, &outbox, &hooks] {
        let text = doc.to_string();
        for needle in [
            "plaintext-secret-1",
            TEST_PASSWORD,
            "$argon2",
            "\"password\":",
            "passwordHash",
        ] {
            assert!(!text.contains(needle), "{needle} found in {text}");
        }
    }
}

#[tokio::test]
async fn every_tenant_scoped_client_endpoint_resolves_its_tenant() {
    let h = Harness::start().await;
    let credentials = json!({ "uuid": "00000000-0000-4000-8000-000000000000",
                              "token": "00000000-0000-4000-8000-000000000000" });
    let endpoints = [
        (
            reqwest::Method::POST,
            "auth/create",
            json!({ "email": "a@example.com", "password": "abcdefgh1" }),
        ),
        (
            reqwest::Method::POST,
            "auth/basic",
            json!({ "emailOrUsername": "admin", "password": TEST_PASSWORD }),
        ),
        (
            reqwest::Method::POST,
            "auth/link",
            json!({ "email": "member@example.com" }),
        ),
        (reqwest::Method::PUT, "auth/link", credentials.clone()),
        (
            reqwest::Method::POST,
            "auth/reset/link",
            json!({ "email": "member@example.com" }),
        ),
        (
            reqwest::Method::PUT,
            "auth/reset",
            json!({ "uuid": credentials["uuid"], "token": credentials["token"], "password": "abcdefgh1" }),
        ),
        (
            reqwest::Method::POST,
            "auth/verify/email",
            json!({ "email": "member@example.com" }),
        ),
        (
            reqwest::Method::POST,
            "auth/verify/link",
            json!({ "email": "member@example.com" }),
        ),
        (
            reqwest::Method::POST,
            "auth/verify/phone",
            json!({ "phoneNumber": "+15558675309" }),
        ),
    ];
    for (method, rest, body) in endpoints {
        h.refuses_missing_or_unknown_tenant(method.clone(), rest, body.clone())
            .await;
        // An unknown workspace in the body of the docs form.
        let mut unknown = body.clone();
        unknown["tenantId"] = json!("nope0000");
        h.req(method.clone(), &format!("/v0/{rest}"))
            .json(unknown)
            .send()
            .await
            .err(404, "Not Found");
        // The path wins over a body tenant that does not exist.
        let mut conflicting = body;
        conflicting["tenantId"] = json!("nope0000");
        let resp = h
            .req(method, &format!("/v0/tenants/{DEMO_TENANT}/{rest}"))
            .json(conflicting)
            .send()
            .await;
        assert_ne!(resp.body["message"], "Not Found", "{rest}: {}", resp.body);
        h.advance(3).await;
    }
}

/// A flow where a link is the first factor and the password the second, required for all.
async fn password_as_second_factor(h: &Harness) {
    h.require_second_factor(
        json!({ "channel": "email", "strategy": "link" }),
        json!({ "channel": "email", "strategy": "password" }),
    )
    .await;
}

/// Sends a login link to `email`, uses it, and returns the firstFactorToken of the answer.
async fn first_factor_by_link(h: &Harness, email: &str) -> String {
    let sent = h
        .post("/v0/tenants/demo1234/auth/link")
        .json(json!({ "email": email }))
        .send()
        .await
        .ok();
    let pending = h
        .put("/v0/tenants/demo1234/auth/link")
        .json(link_credentials(sent["result"]["link"].as_str().unwrap()))
        .send()
        .await
        .ok();
    assert_eq!(pending["message"], "OK", "{pending}");
    pending["firstFactorToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_password_can_be_the_second_factor() {
    let h = Harness::start().await;
    password_as_second_factor(&h).await;
    let token = first_factor_by_link(&h, "member@example.com").await;
    // Another user's identifier, or a wrong password, does not complete it.
    h.post(BASIC)
        .bearer(&token)
        .json(json!({ "emailOrUsername": "viewer", "password": TEST_PASSWORD }))
        .send()
        .await
        .err(400, "Invalid token");
    h.post(BASIC)
        .bearer(&token)
        .json(json!({ "password": "wrong-password-1" }))
        .send()
        .await
        .err(400, "Incorrect email or password");
    // The token names the user: the password alone is enough.
    let done = h
        .post(BASIC)
        .bearer(&token)
        .json(json!({ "password": TEST_PASSWORD }))
        .send()
        .await
        .ok();
    assert_eq!(done["userId"], 2);
    let session = h.get_as(&access(&done), "/v0/auth/session").await;
    assert_eq!(
        session["authentication"],
        json!({ "firstFactor": { "channel": "email", "strategy": "link" },
                "secondFactor": { "channel": "email", "strategy": "password" } })
    );
    // Spent.
    h.post(BASIC)
        .bearer(&token)
        .json(json!({ "password": TEST_PASSWORD }))
        .send()
        .await
        .err(401, "Invalid token");
}

#[tokio::test]
async fn signup_with_a_first_factor_token_sets_the_missing_password() {
    let h = Harness::start().await;
    password_as_second_factor(&h).await;
    let token = first_factor_by_link(&h, "newbie@example.com").await;
    h.post(CREATE)
        .bearer(&token)
        .json(json!({ "password": "short" }))
        .send()
        .await
        .err(
            400,
            "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
        );
    let done = h
        .post(CREATE)
        .bearer(&token)
        .json(json!({ "email": "newbie@example.com", "password": "second-factor-1" }))
        .send()
        .await
        .ok();
    assert_eq!(done["email"], "newbie@example.com");
    assert!(done["tokens"]["access"]["value"].is_string());
    // The password is stored: the next sign-on can use it as its second factor.
    h.advance(3).await;
    let token = first_factor_by_link(&h, "newbie@example.com").await;
    h.post(BASIC)
        .bearer(&token)
        .json(json!({ "password": "second-factor-1" }))
        .send()
        .await
        .ok();
}
