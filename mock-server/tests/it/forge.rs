//! The hostile-token forge, `POST /__mock/tokens` (issue 13, item 5): every defect is refused
//! by the mock itself and by a standard JWT library verifying against the mock's JWKS; the
//! defect-free token is accepted by both.

use crate::common;

use common::{Harness, LIVE_ORIGIN};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, Mode, msg};

const DEFECTS: [&str; 9] = [
    "alg-none",
    "hs256-public-key",
    "unknown-kid",
    "bad-signature",
    "expired",
    "not-yet-valid",
    "other-tenant",
    "test-for-live",
    "refresh-as-access",
];

async fn forge(h: &Harness, body: Value) -> Value {
    h.post("/__mock/tokens").json(body).send().await.ok()
}

/// What an app verifying with a standard library does: key by `kid` from the mode's JWKS,
/// RS256 only, `exp` and `nbf` checked (at real time: the mock clock is real time here), the
/// token type checked (no `type` member: refresh tokens carry `"type": "refresh"`).
async fn library_accepts(h: &Harness, token: &str, mode: Mode) -> bool {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    let set = h.jwks(mode).await;
    let Ok(header) = decode_header(token) else {
        return false;
    };
    let Some(jwk) = header.kid.as_deref().and_then(|kid| set.find(kid)) else {
        return false;
    };
    let key = DecodingKey::from_jwk(jwk).expect("key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.leeway = 0;
    match decode::<Value>(token, &key, &validation) {
        Ok(data) => data.claims.get("type").is_none() && data.claims["mode"] == mode.as_str(),
        Err(_) => false,
    }
}

/// `GET /v0/self` with `token`; the status.
async fn self_status(h: &Harness, token: &str, mode: Mode) -> u16 {
    let req = h.get("/v0/self").bearer(token);
    let req = if mode == Mode::Live {
        req.origin(LIVE_ORIGIN)
    } else {
        req
    };
    req.send().await.status
}

#[tokio::test]
async fn the_defect_free_token_is_accepted_and_every_defect_refused() {
    let h = Harness::start().await;
    let live_user = h
        .live_signup("live-user@example.com", "correct-horse-9")
        .await;
    for defect in std::iter::once("none").chain(DEFECTS) {
        let mode = if defect == "test-for-live" {
            Mode::Live
        } else {
            Mode::Test
        };
        let mut body = json!({"tenantId": DEMO_TENANT, "mode": mode.as_str(), "defect": defect});
        if mode == Mode::Live {
            body["userId"] = live_user["userId"].clone();
        }
        let forged = forge(&h, body).await;
        assert_eq!(forged["defect"], defect);
        let token = forged["token"].as_str().expect("a token");
        let status = self_status(&h, token, mode).await;
        let library = library_accepts(&h, token, mode).await;
        if defect == "none" {
            assert_eq!(status, 200, "{defect}");
            assert!(
                library,
                "{defect}: a standard library accepts the valid token"
            );
        } else {
            assert_eq!(status, 401, "{defect}: the mock refuses it");
            assert!(!library, "{defect}: a standard library refuses it too");
        }
    }
    // The valid live token is accepted too.
    let forged = forge(
        &h,
        json!({"tenantId": DEMO_TENANT, "mode": "live", "userId": live_user["userId"]}),
    )
    .await;
    let token = forged["token"].as_str().unwrap();
    assert_eq!(self_status(&h, token, Mode::Live).await, 200);
    assert!(library_accepts(&h, token, Mode::Live).await);
}

#[tokio::test]
async fn the_user_is_chosen_by_id_or_uuid_and_bad_requests_are_refused() {
    let h = Harness::start().await;
    let login = h.login("member@example.com", common_password()).await;
    let (user_id, uuid) = (login["userId"].clone(), login["userUuid"].clone());
    let by_uuid = forge(&h, json!({"tenantId": DEMO_TENANT, "userUuid": uuid})).await;
    assert_eq!(by_uuid["userId"], user_id);
    let me = h
        .get("/v0/self")
        .bearer(by_uuid["token"].as_str().unwrap())
        .send()
        .await
        .ok();
    assert_eq!(me["userUuid"], uuid);

    let refused = |body: Value| {
        let h = &h;
        async move { h.post("/__mock/tokens").json(body).send().await }
    };
    refused(json!({"tenantId": DEMO_TENANT, "defect": "forged"}))
        .await
        .err(400, msg::TOKEN_DEFECT);
    refused(json!({"tenantId": DEMO_TENANT, "defect": "test-for-live"}))
        .await
        .err(400, msg::TEST_FOR_LIVE_MODE);
    refused(json!({"tenantId": DEMO_TENANT, "userId": user_id, "userUuid": uuid}))
        .await
        .err(400, msg::USER_ID_OR_UUID);
    assert_eq!(
        refused(json!({"tenantId": DEMO_TENANT, "userId": 999_999}))
            .await
            .status,
        404
    );
    assert_eq!(
        refused(json!({"tenantId": "nosuchtenant"})).await.status,
        404
    );
    assert_eq!(refused(json!({"mode": "test"})).await.status, 400);
}

fn common_password() -> &'static str {
    userfront_mock::TEST_PASSWORD
}
