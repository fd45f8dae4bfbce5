use super::*;

#[test]
fn secrets_are_redacted_wherever_they_are() {
    let mut body = json!({
        "emailOrUsername": "admin@example.com",
        "password": "testmodepassword",
        "options": {"noResetEmail": true},
        "tokens": {"access": {"value": "eyJhbGciOiJSUzI1NiJ9.eyJ1c2VySWQiOjF9.c2ln", "cookieOptions": {"secure": false}}},
        "result": {"link": "http://localhost:3000/login?uuid=u-1&token=t-1&type=login"},
        "keys": [{"key": "uf_test_admin_demo1234_0123", "type": "admin"}],
        "statusCode": 400,
        "firstFactorToken": "uf_test_first_factor_abc",
        "verificationCode": "123456",
        "code": null,
    });
    redact(&mut body);
    assert_eq!(body["emailOrUsername"], "admin@example.com");
    assert_eq!(body["password"], REDACTED);
    assert_eq!(body["options"]["noResetEmail"], true);
    assert_eq!(body["tokens"]["access"]["value"], REDACTED);
    assert_eq!(body["tokens"]["access"]["cookieOptions"]["secure"], false);
    assert_eq!(
        body["result"]["link"],
        "http://localhost:3000/login?uuid=u-1&token=[redacted]&type=login"
    );
    assert_eq!(body["keys"][0]["key"], REDACTED);
    assert_eq!(body["keys"][0]["type"], "admin");
    assert_eq!(body["statusCode"], 400);
    assert_eq!(body["firstFactorToken"], REDACTED);
    assert_eq!(body["verificationCode"], REDACTED);
    assert_eq!(body["code"], Value::Null);
}

#[test]
fn status_filters_take_codes_and_classes() {
    assert_eq!(status_range("404"), Some((404, 404)));
    assert_eq!(status_range("2xx"), Some((200, 299)));
    for bad in ["", "abc", "9xx", "99", "600", "4x"] {
        assert_eq!(status_range(bad), None, "{bad}");
    }
}

#[test]
fn credentials_are_described_without_the_secret() {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        "Bearer uf_live_readonly_demo1234_0123abcd".parse().unwrap(),
    );
    let (view, tenant, mode) = credential(&headers).unwrap();
    assert_eq!(view["type"], "readonly");
    assert_eq!(tenant.as_deref(), Some("demo1234"));
    assert_eq!(mode, Some(Mode::Live));
    assert_eq!(
        headers_view(&headers)["authorization"],
        format!("Bearer {REDACTED}")
    );
    assert_eq!(
        path_tenant("/v0/tenants/abcd9876/auth/basic"),
        Some("abcd9876")
    );
    assert_eq!(path_tenant("/v0/self"), None);
}
