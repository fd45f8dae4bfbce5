//! SSO (CS-13, C-14.3, C-18): start redirect, fake provider, hand-off redirect, completion with
//! `PUT /v0/auth/link`, custom user data, custom providers, and every refusal.

use crate::common;

use common::{Harness, Resp, access, link_credentials, query_param};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, Mode};

const ORIGIN: &str = "http://localhost:3000";

async fn register(h: &Harness, identity: Value) -> Value {
    h.post("/__mock/sso/identities")
        .json(identity)
        .send()
        .await
        .ok()
}

async fn enable(h: &Harness, providers: Value) {
    h.settings(DEMO_TENANT, json!({"ssoProviders": providers}))
        .await;
}

/// The path and query of a `Location` on the mock.
fn on_mock(h: &Harness, location: &str) -> String {
    location
        .strip_prefix(h.mock.base_url())
        .unwrap_or_else(|| panic!("{location} is not on the mock"))
        .to_owned()
}

fn location(resp: &Resp) -> String {
    assert_eq!(resp.status, 302, "body: {}", resp.body);
    resp.headers["location"].to_str().unwrap().to_owned()
}

/// Runs the browser part of an SSO sign-on from the start URL's query; returns the final
/// `Location` (the tenant's login page with the hand-off credentials).
async fn sso(h: &Harness, provider: &str, query: &str) -> String {
    let start = h
        .get(&format!("/v0/auth/{provider}/login?{query}"))
        .send()
        .await;
    let to_provider = location(&start);
    assert!(to_provider.contains(&format!("/__mock/sso/{provider}/authorize?state=")));
    let at_provider = h.get(&on_mock(h, &to_provider)).send().await;
    let back = location(&at_provider);
    assert!(back.starts_with(&format!("{}/v0/auth/{provider}/login?", h.mock.base_url())));
    let callback = h.get(&on_mock(h, &back)).send().await;
    location(&callback)
}

fn query(extra: &str) -> String {
    format!("tenant_id=demo1234&origin=http%3A%2F%2Flocalhost%3A3000{extra}")
}

/// Starts a sign-on at `provider` (default query) and lets the fake provider answer; returns
/// the path on the mock of the callback it redirects to.
async fn callback(h: &Harness, provider: &str) -> String {
    let start = h
        .get(&format!("/v0/auth/{provider}/login?{}", query("")))
        .send()
        .await;
    on_mock(
        h,
        &location(&h.get(&on_mock(h, &location(&start))).send().await),
    )
}

/// Completes a sign-on with the hand-off credentials of `landing` (`PUT /v0/auth/link`).
async fn hand_off(h: &Harness, landing: &str) -> Resp {
    h.put("/v0/tenants/demo1234/auth/link")
        .json(link_credentials(landing))
        .send()
        .await
}

#[tokio::test]
async fn a_new_user_signs_up_with_custom_data() {
    let h = Harness::start().await;
    h.settings(DEMO_TENANT, json!({"signupRedirectPath": "/welcome"}))
        .await;
    enable(&h, json!({"google": {"enabled": true}})).await;
    let identity = register(
        &h,
        json!({"provider": "google", "email": "Ada@Example.com", "name": "Ada",
               "image": "https://img.example.com/ada.png"}),
    )
    .await;
    assert_eq!(identity["email"], "ada@example.com");
    assert!(identity["code"].is_string());

    let data = "%7B%22plan%22%3A%22pro%22%7D";
    let landing = sso(&h, "google", &query(&format!("&data={data}"))).await;
    assert!(
        landing.starts_with(&format!("{ORIGIN}/login?uuid=")),
        "{landing}"
    );
    assert_eq!(query_param(&landing, "type").as_deref(), Some("sso"));

    let login = hand_off(&h, &landing).await.ok();
    assert_eq!(login["email"], "ada@example.com");
    assert_eq!(login["name"], "Ada");
    assert_eq!(login["image"], "https://img.example.com/ada.png");
    assert_eq!(login["data"], json!({"plan": "pro"}));
    assert_eq!(login["isEmailConfirmed"], true);
    assert_eq!(login["redirectTo"], format!("{ORIGIN}/welcome"));
    let session = h.get_as(&access(&login), "/v0/auth/session").await;
    assert_eq!(
        session["authentication"]["firstFactor"],
        json!({"channel": "email", "strategy": "google"})
    );
    let created = h
        .webhooks()
        .await
        .into_iter()
        .filter(|w| w["body"]["action"] == "create")
        .count();
    assert_eq!(created, 1);

    // The hand-off credentials are single use.
    hand_off(&h, &landing).await.err(400, "Invalid token");

    // Signing in again is a login: the data of the URL is not applied any more.
    let other = "%7B%22plan%22%3A%22free%22%7D";
    let landing = sso(
        &h,
        "google",
        &query(&format!("&data={other}&redirect=%2Fnext")),
    )
    .await;
    assert_eq!(
        query_param(&landing, "redirect").as_deref(),
        Some("%2Fnext")
    );
    let again = hand_off(&h, &landing).await.ok();
    assert_eq!(again["userId"], login["userId"]);
    assert_eq!(again["data"], json!({"plan": "pro"}));
    assert_eq!(again["redirectTo"], format!("{ORIGIN}/dashboard"));
}

#[tokio::test]
async fn an_existing_user_logs_in_and_the_code_picks_the_identity() {
    let h = Harness::start().await;
    enable(&h, json!({"github": {"enabled": true}})).await;
    register(
        &h,
        json!({"provider": "github", "code": "gh-admin", "email": "admin@example.com"}),
    )
    .await;
    register(
        &h,
        json!({"provider": "github", "code": "gh-other", "email": "other@example.com"}),
    )
    .await;
    // Ask the fake provider for a specific identity.
    let start = h
        .get(&format!("/v0/auth/github/login?{}", query("")))
        .send()
        .await;
    let to_provider = format!("{}&code=gh-admin", on_mock(&h, &location(&start)));
    let back = location(&h.get(&to_provider).send().await);
    assert_eq!(query_param(&back, "code").as_deref(), Some("gh-admin"));
    let landing = location(&h.get(&on_mock(&h, &back)).send().await);
    let login = hand_off(&h, &landing).await.ok();
    assert_eq!(login["userId"], 1);
    assert_eq!(login["redirectTo"], format!("{ORIGIN}/dashboard"));
    assert!(h.webhooks().await.is_empty(), "nothing changed for admin");
}

#[tokio::test]
async fn custom_providers_need_their_provider_id() {
    let h = Harness::start().await;
    enable(
        &h,
        json!({"custom": {"providerId": "acme-idp", "enabled": true}}),
    )
    .await;
    register(&h, json!({"provider": "custom", "email": "c@example.com"})).await;
    h.get(&format!("/v0/auth/custom/login?{}", query("")))
        .send()
        .await
        .err(400, "\"provider_id\" is required");
    h.get(&format!(
        "/v0/auth/custom/login?{}",
        query("&provider_id=other")
    ))
    .send()
    .await
    .err(400, "Invalid provider");
    let landing = sso(&h, "custom", &query("&provider_id=acme-idp")).await;
    let login = hand_off(&h, &landing).await.ok();
    assert_eq!(login["email"], "c@example.com");
}

#[tokio::test]
async fn start_refusals_are_json_errors() {
    let h = Harness::start().await;
    enable(
        &h,
        json!({"google": {"enabled": true}, "okta": {"enabled": false}}),
    )
    .await;
    // Unknown, disabled and unconfigured providers; missing or bad query members.
    for (path, status, message) in [
        (
            "/v0/auth/myspace/login?tenant_id=demo1234&origin=http%3A%2F%2Flocalhost".to_owned(),
            400,
            "Invalid provider",
        ),
        (
            format!("/v0/auth/okta/login?{}", query("")),
            400,
            "Invalid provider",
        ),
        (
            format!("/v0/auth/apple/login?{}", query("")),
            400,
            "Invalid provider",
        ),
        (
            "/v0/auth/google/login?origin=http%3A%2F%2Flocalhost".to_owned(),
            400,
            "\"tenant_id\" is required",
        ),
        (
            "/v0/auth/google/login?tenant_id=demo1234".to_owned(),
            400,
            "\"origin\" is required",
        ),
        (
            "/v0/auth/google/login?tenant_id=nope0000&origin=http%3A%2F%2Flocalhost".to_owned(),
            404,
            "Not Found",
        ),
        (
            format!("/v0/auth/google/login?{}", query("&data=%5B1%5D")),
            400,
            "\"data\" must be of type object",
        ),
    ] {
        h.get(&path).send().await.err(status, message);
    }
    // No identity registered: the fake provider says so.
    let start = h
        .get(&format!("/v0/auth/google/login?{}", query("")))
        .send()
        .await;
    let refused = h.get(&on_mock(&h, &location(&start))).send().await;
    assert_eq!(refused.status, 400);
}

#[tokio::test]
async fn callback_refusals() {
    let h = Harness::start().await;
    enable(
        &h,
        json!({"google": {"enabled": true}, "github": {"enabled": true}}),
    )
    .await;
    register(
        &h,
        json!({"provider": "google", "code": "g1", "email": "g@example.com"}),
    )
    .await;
    h.get("/v0/auth/google/login?state=not-a-state&code=g1")
        .send()
        .await
        .err(400, "Invalid token");
    let back = callback(&h, "google").await;
    let state = query_param(&back, "state").unwrap();
    // The state belongs to google, not github; an unknown code is refused.
    h.get(&format!("/v0/auth/github/login?state={state}&code=g1"))
        .send()
        .await
        .err(400, "Invalid token");
    let back = callback(&h, "google").await;
    let state = query_param(&back, "state").unwrap();
    h.get(&format!("/v0/auth/google/login?state={state}&code=unknown"))
        .send()
        .await
        .err(400, "Invalid token");
    // A state is good once, and for 10 minutes.
    let back = callback(&h, "google").await;
    assert_eq!(h.get(&back).send().await.status, 302);
    h.get(&back).send().await.err(400, "Invalid token");
    let back = callback(&h, "google").await;
    h.advance(601).await;
    h.get(&back).send().await.err(400, "Invalid token");
}

#[tokio::test]
async fn hand_off_credentials_expire_after_ten_minutes() {
    let h = Harness::start().await;
    enable(&h, json!({"google": {"enabled": true}})).await;
    register(
        &h,
        json!({"provider": "google", "email": "late@example.com"}),
    )
    .await;
    let landing = sso(&h, "google", &query("")).await;
    h.advance(601).await;
    hand_off(&h, &landing).await.err(400, "Token expired");
}

#[tokio::test]
async fn unverified_provider_emails_never_take_over_an_account() {
    let h = Harness::start().await;
    enable(&h, json!({"google": {"enabled": true}})).await;
    register(
        &h,
        json!({"provider": "google", "code": "x", "email": "member@example.com", "emailVerified": false}),
    )
    .await;
    h.get(&callback(&h, "google").await)
        .send()
        .await
        .err(400, "Email exists");
    // A new person with an unverified email signs up unconfirmed.
    register(
        &h,
        json!({"provider": "google", "email": "fresh@example.com", "emailVerified": false}),
    )
    .await;
    let landing = sso(&h, "google", &query("")).await;
    let login = hand_off(&h, &landing).await.ok();
    assert_eq!(login["email"], "fresh@example.com");
    assert_eq!(
        login["isEmailConfirmed"], true,
        "using the link proves the email"
    );
}

#[tokio::test]
async fn live_origins_sign_in_to_the_live_pool_with_live_settings() {
    let h = Harness::start().await;
    h.settings(
        DEMO_TENANT,
        json!({"mode": "live", "ssoProviders": {"google": {"enabled": true}}}),
    )
    .await;
    register(
        &h,
        json!({"provider": "google", "email": "live@example.com"}),
    )
    .await;
    // Test mode has no provider enabled.
    h.get(&format!("/v0/auth/google/login?{}", query("")))
        .send()
        .await
        .err(400, "Invalid provider");
    let landing = sso(
        &h,
        "google",
        "tenant_id=demo1234&origin=https%3A%2F%2Fapp.example.com",
    )
    .await;
    assert!(
        landing.starts_with("https://app.example.com/login?"),
        "{landing}"
    );
    let login = h
        .put("/v0/tenants/demo1234/auth/link")
        .origin("https://app.example.com")
        .json(link_credentials(&landing))
        .send()
        .await
        .ok();
    assert_eq!(login["mode"], "live");
    let claims = h.verified_claims(&access(&login), Mode::Live).await;
    assert_eq!(claims["mode"], "live");
}

#[tokio::test]
async fn identities_are_checked() {
    let h = Harness::start().await;
    for (identity, message) in [
        (
            json!({"provider": "myspace", "email": "a@example.com"}),
            "Invalid provider",
        ),
        (
            json!({"provider": "google", "email": "nope"}),
            "Email format is invalid",
        ),
        (json!({"provider": "google"}), "\"email\" is required"),
    ] {
        h.post("/__mock/sso/identities")
            .json(identity)
            .send()
            .await
            .err(400, message);
    }
}
