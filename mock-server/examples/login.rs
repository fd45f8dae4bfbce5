//! Start an in-process mock, log a seeded user in and read their profile.
//!
//! ```sh
//! cargo run -p userfront-mock --example login
//! ```
//!
//! The same few lines start a fresh, isolated mock inside any `#[tokio::test]`.

use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, MockUserfront, TEST_PASSWORD};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockUserfront::start().await?;
    let http = reqwest::Client::new();

    // The JS client's path form: the tenant is in the path.
    let login: Value = http
        .post(format!(
            "{}/v0/tenants/{DEMO_TENANT}/auth/basic",
            mock.base_url()
        ))
        .json(&json!({ "emailOrUsername": "member@example.com", "password": TEST_PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let access = login["tokens"]["access"]["value"]
        .as_str()
        .unwrap_or_default();

    let me: Value = http
        .get(format!("{}/v0/self", mock.base_url()))
        .bearer_auth(access)
        .send()
        .await?
        .json()
        .await?;
    println!("signed in as {} (userId {})", me["email"], me["userId"]);

    // Server side: the admin key of the demo workspace reads the same user.
    let user: Value = http
        .get(format!("{}/v0/users/{}", mock.base_url(), me["userId"]))
        .bearer_auth(mock.admin_key())
        .send()
        .await?
        .json()
        .await?;
    println!("the admin API sees {}", user["name"]);

    mock.stop().await;
    Ok(())
}
