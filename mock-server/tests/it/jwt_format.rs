//! JWT format for all users (server-to-server SS-43 … SS-45).

use crate::common;

use common::Harness;
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode};

const PASSWORD: &str = "importedpass1";

const REQUIRED: [&str; 8] = [
    "mode",
    "tenantId",
    "userId",
    "userUuid",
    "sessionId",
    "authorization",
    "iat",
    "exp",
];

fn custom_format() -> Value {
    json!({ "claims": {
        "plan": { "type": "custom", "source": "user.data.plan" },
        "email": { "type": "optional", "source": "user.email" },
        "email_verified": { "type": "OIDC", "source": "user.isEmailConfirmed" },
        "issuer": { "type": "custom", "source": "literal:userfront-mock" }
    } })
}

#[tokio::test]
async fn the_default_format_holds_the_required_claims() {
    let h = Harness::start().await;
    let format = h.get_as(&h.admin(), "/v0/jwt-format").await;
    let claims = format["claims"].as_object().unwrap();
    for name in REQUIRED {
        assert_eq!(claims[name]["type"], "required", "{name}");
    }
    for name in ["isConfirmed", "isEmailConfirmed", "isPhoneNumberConfirmed"] {
        assert_eq!(claims[name]["type"], "optional", "{name}");
    }
    assert_eq!(claims.len(), 11);
    let tenant_form = h
        .get_as(&h.admin(), &format!("/v0/tenants/{DEMO_TENANT}/jwt-format"))
        .await;
    assert_eq!(tenant_form, format);
}

#[tokio::test]
async fn a_format_is_stored_with_the_required_claims() {
    let h = Harness::start().await;
    let stored = h
        .put("/v0/jwt-format")
        .bearer(&h.admin())
        .json(custom_format())
        .send()
        .await
        .ok();
    for name in REQUIRED {
        assert_eq!(stored["claims"][name]["type"], "required", "{name}");
    }
    assert_eq!(
        stored["claims"]["plan"],
        json!({ "type": "custom", "source": "user.data.plan" })
    );
    assert!(
        stored["claims"].get("isConfirmed").is_none(),
        "optional claims not asked for are gone"
    );
    let read = h.get_as(&h.admin(), "/v0/jwt-format").await;
    assert_eq!(read, stored);
    // Formats are per mode.
    let live = h
        .get_as(&h.key(Mode::Live, KeyType::Admin), "/v0/jwt-format")
        .await;
    assert!(live["claims"].get("plan").is_none());
    // The tenant form writes the same format.
    let replaced = h
        .put(&format!("/v0/tenants/{DEMO_TENANT}/jwt-format"))
        .bearer(&h.admin())
        .json(json!({ "claims": {} }))
        .send()
        .await
        .ok();
    assert_eq!(
        replaced["claims"].as_object().unwrap().len(),
        REQUIRED.len()
    );
}

#[tokio::test]
async fn bad_formats_are_refused() {
    let h = Harness::start().await;
    let put = |body: Value| {
        let h = &h;
        async move {
            h.put("/v0/jwt-format")
                .bearer(&h.admin())
                .json(body)
                .send()
                .await
        }
    };
    put(json!({})).await.err(400, "\"claims\" is required");
    put(json!({ "claims": [] }))
        .await
        .err(400, "\"claims\" must be of type object");
    for (name, spec) in [
        (
            "plan",
            json!({ "type": "required", "source": "user.data.plan" }),
        ),
        (
            "plan",
            json!({ "type": "secret", "source": "user.data.plan" }),
        ),
        ("plan", json!({ "type": "custom", "source": "password" })),
        ("plan", json!({ "type": "custom" })),
        ("mode", json!({ "type": "custom", "source": "literal:x" })),
        ("type", json!({ "type": "custom", "source": "literal:x" })),
    ] {
        put(json!({ "claims": { name: spec } }))
            .await
            .err(400, &format!("Invalid claim \"{name}\""));
    }
    // Nothing was stored.
    let format = h.get_as(&h.admin(), "/v0/jwt-format").await;
    assert!(format["claims"].get("plan").is_none());
    assert!(format["claims"].get("isConfirmed").is_some());
}

#[tokio::test]
async fn the_format_applies_from_the_next_login_or_refresh() {
    let h = Harness::start().await;
    // A user with custom data, brought in by an import.
    let import = h
        .post("/v0/user-import")
        .bearer(&h.admin())
        .json(json!({ "users": [{ "email": "plan@example.org", "plan": "pro", "password": PASSWORD }] }))
        .send()
        .await
        .ok();
    h.post(&format!(
        "/v0/user-import/{}/process",
        import["uuid"].as_str().unwrap()
    ))
    .bearer(&h.admin())
    .send()
    .await
    .ok();
    let before = h.login("plan@example.org", PASSWORD).await;
    let old_access = before["tokens"]["access"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    h.put("/v0/jwt-format")
        .bearer(&h.admin())
        .json(custom_format())
        .send()
        .await
        .ok();

    // The token issued before keeps its claims, and still works.
    let old = h.verified_claims(&old_access, Mode::Test).await;
    assert!(old.get("email").is_none());
    assert_eq!(old["isConfirmed"], false, "default format");
    h.get_as(&old_access, "/v0/self").await;

    // A new login uses the new format.
    let after = h.login("plan@example.org", PASSWORD).await;
    let token = after["tokens"]["access"]["value"].as_str().unwrap();
    let claims = h.verified_claims(token, Mode::Test).await;
    assert_eq!(claims["email"], "plan@example.org");
    assert_eq!(claims["plan"], "pro");
    assert_eq!(claims["email_verified"], false);
    assert_eq!(claims["issuer"], "userfront-mock");
    assert!(claims.get("isConfirmed").is_none());
    for name in REQUIRED {
        assert!(claims.get(name).is_some(), "{name}");
    }
    // So does a refresh of the session opened before the change.
    let refreshed = h
        .get_as(
            before["tokens"]["refresh"]["value"].as_str().unwrap(),
            "/v0/auth/refresh",
        )
        .await;
    let claims = h
        .verified_claims(
            refreshed["tokens"]["access"]["value"].as_str().unwrap(),
            Mode::Test,
        )
        .await;
    assert_eq!(claims["plan"], "pro");
    assert_eq!(claims["sessionId"], before["sessionId"]);
}

#[tokio::test]
async fn available_claims_lists_optional_and_oidc_claims() {
    let h = Harness::start().await;
    let available = h
        .get_as(&h.admin(), "/v0/jwt-format/available-claims")
        .await;
    let claims = available["claims"].as_object().unwrap();
    assert!(
        claims
            .values()
            .all(|c| c["type"] == "optional" || c["type"] == "OIDC")
    );
    assert_eq!(claims["username"]["type"], "optional");
    assert_eq!(
        claims["sub"],
        json!({ "type": "OIDC", "source": "user.userUuid" })
    );
    assert!(claims.get("mode").is_none());
    let tenant_form = h
        .get_as(
            &h.admin(),
            &format!("/v0/tenants/{DEMO_TENANT}/jwt-format/available-claims"),
        )
        .await;
    assert_eq!(tenant_form, available);
}

#[tokio::test]
async fn jwt_format_endpoints_need_an_admin_key() {
    let h = Harness::start().await;
    let other = h.other_key(Mode::Test, KeyType::Admin);
    for path in ["/v0/jwt-format", "/v0/jwt-format/available-claims"] {
        h.get_refused(
            &h.key(Mode::Test, KeyType::Readonly),
            path,
            403,
            "Forbidden",
        )
        .await;
        h.get(path).send().await.err(401, "Missing authentication");
        h.get_refused(
            &other,
            &format!("/v0/tenants/{DEMO_TENANT}{}", &path[3..]),
            403,
            "Forbidden",
        )
        .await;
    }
    h.put("/v0/jwt-format")
        .bearer(&h.key(Mode::Test, KeyType::Webhook))
        .json(custom_format())
        .send()
        .await
        .err(403, "Forbidden");
}

#[tokio::test]
async fn only_the_workspace_sets_its_format() {
    let h = Harness::start().await;
    let child = h.create_tenant(&h.admin(), DEMO_TENANT, "Acme").await;
    let child_key = h.create_key(&child, "admin").await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    h.put("/v0/jwt-format")
        .bearer(&child_key)
        .json(custom_format())
        .send()
        .await
        .err(403, "Forbidden");
    // Reading shows the workspace's format; the workspace key may write through the child path.
    let stored = h
        .put(&format!("/v0/tenants/{child}/jwt-format"))
        .bearer(&h.admin())
        .json(custom_format())
        .send()
        .await
        .ok();
    let read = h.get_as(&child_key, "/v0/jwt-format").await;
    assert_eq!(read, stored);
}
