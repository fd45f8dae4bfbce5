//! TOTP authenticators (CS-10 … CS-12, C-14.7): pairing with a real QR code, login with codes
//! computed on the mock clock, drift, replay, backup codes and their exhaustion, removal.

use crate::common;

use common::{Harness, Method, access};
use serde_json::{Value, json};
use userfront_mock::state::totp::{code_at, otpauth_uri};

const TOTP: &str = "/v0/tenants/demo1234/auth/totp";

/// The authenticator code at the mock's current time, shifted by `steps` 30-second steps.
async fn code(h: &Harness, secret: &str, steps: i64) -> String {
    let now = h.now_millis().await;
    code_at(secret, now + steps * 30_000).expect("a Base32 secret")
}

async fn read(h: &Harness, token: &str) -> Value {
    h.get_as(token, "/v0/auth/totp").await
}

/// Confirms the pending pairing of `token`'s user with the current code of `secret`.
async fn confirm(h: &Harness, token: &str, secret: &str) {
    let code = code(h, secret, 0).await;
    h.post(TOTP)
        .bearer(token)
        .json(json!({"totpCode": code}))
        .send()
        .await
        .ok();
}

/// Pairs an authenticator for the member user; returns (access token, secret, backup codes).
async fn paired(h: &Harness) -> (String, String, Vec<String>) {
    let token = h.access_token("member@example.com").await;
    let info = read(h, &token).await;
    let secret = info["totpSecret"].as_str().unwrap().to_owned();
    confirm(h, &token, &secret).await;
    // The next login needs a code of another step (codes are good once).
    h.advance(30).await;
    let backups = info["backupCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (token, secret, backups)
}

/// Asserts that a `data:image/png;base64,` URL shows exactly the QR code (level M, quiet zone of
/// four modules) of `text`.
fn assert_shows_qr(data_url: &str, text: &str) {
    let expected =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
    let width = expected.width();
    let pixels = decode_png(data_url);
    let module = pixels.len() / (width + 8);
    assert_eq!(
        pixels.len(),
        (width + 8) * module,
        "quiet zone of 4 modules"
    );
    let colors = expected.to_colors();
    for y in 0..width {
        for x in 0..width {
            let dark = pixels[(y + 4) * module + module / 2][(x + 4) * module + module / 2];
            assert_eq!(
                dark,
                colors[y * width + x] == qrcode::Color::Dark,
                "module ({x}, {y})"
            );
        }
    }
}

/// Reads the PNG of a `data:image/png;base64,` URL back into rows of dark (true) pixels.
fn decode_png(data_url: &str) -> Vec<Vec<bool>> {
    use base64::Engine;
    let b64 = data_url
        .strip_prefix("data:image/png;base64,")
        .expect("a PNG data URL");
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("Base64");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let (mut pos, mut width, mut height, mut idat) = (8, 0usize, 0usize, Vec::new());
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(&data[8..10], &[8, 0], "8-bit greyscale");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        pos += 12 + len;
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).expect("zlib data");
    assert_eq!(raw.len(), height * (width + 1));
    raw.chunks(width + 1)
        .map(|row| {
            assert_eq!(row[0], 0, "filter type None");
            row[1..].iter().map(|&p| p < 128).collect()
        })
        .collect()
}

#[tokio::test]
async fn reading_creates_a_pending_pairing_with_a_real_qr_code() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let info = read(&h, &token).await;
    let secret = info["totpSecret"].as_str().unwrap();
    assert_eq!(secret.len(), 16);
    assert!(
        secret
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
    );
    let backups = info["backupCodes"].as_array().unwrap();
    assert_eq!(backups.len(), 10);

    // The PNG shows exactly the QR code of the otpauth URI (issuer = tenant name).
    let uri = otpauth_uri("Demo Workspace", "member@example.com", secret);
    assert!(uri.starts_with("otpauth://totp/Demo%20Workspace:member%40example.com?secret="));
    assert_shows_qr(info["qrCode"].as_str().unwrap(), &uri);

    // Reading again shows the same pending pairing.
    let again = read(&h, &token).await;
    assert_eq!(again["totpSecret"], info["totpSecret"]);
    assert_eq!(again["backupCodes"], info["backupCodes"]);
}

#[tokio::test]
async fn the_first_code_with_the_users_token_confirms_the_pairing() {
    let h = Harness::start().await;
    let token = h.access_token("member@example.com").await;
    let secret = read(&h, &token).await["totpSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    // Without the user's token a pending pairing is not usable.
    h.post(TOTP)
        .json(json!({"userId": 2, "totpCode": code(&h, &secret, 0).await}))
        .send()
        .await
        .err(400, "TOTP is not set up");
    let confirmed = h
        .post(TOTP)
        .bearer(&token)
        .json(json!({"totpCode": code(&h, &secret, 0).await}))
        .send()
        .await
        .ok();
    assert_eq!(confirmed["userId"], 2);
    assert!(access(&confirmed).len() > 20);
    let updates = h
        .webhooks()
        .await
        .into_iter()
        .filter(|w| w["body"]["action"] == "update")
        .count();
    assert_eq!(updates, 1, "pairing is a user update");
}

#[tokio::test]
async fn codes_log_in_once_within_one_step_of_drift() {
    let h = Harness::start().await;
    let (_, secret, _) = paired(&h).await;
    let now_code = code(&h, &secret, 0).await;
    let login = h
        .post(TOTP)
        .json(json!({"emailOrUsername": "member@example.com", "totpCode": now_code}))
        .send()
        .await
        .ok();
    assert_eq!(login["userId"], 2);
    assert_eq!(login["message"], "OK");
    // Replaying the same code is refused.
    h.post(TOTP)
        .json(json!({"emailOrUsername": "member", "totpCode": now_code}))
        .send()
        .await
        .err(400, "Invalid TOTP code");
    // The next step's code (clock drift) is accepted; two steps ahead is not.
    h.post(TOTP)
        .json(json!({"userId": 2, "totpCode": code(&h, &secret, 2).await}))
        .send()
        .await
        .err(400, "Invalid TOTP code");
    h.post(TOTP)
        .json(json!({"username": "member", "totpCode": code(&h, &secret, 1).await}))
        .send()
        .await
        .ok();
    // A step at or before the last used one is refused even within the window.
    h.post(TOTP)
        .json(json!({"email": "member@example.com", "totpCode": code(&h, &secret, -1).await}))
        .send()
        .await
        .err(400, "Invalid TOTP code");
    h.advance(90).await;
    h.post(TOTP)
        .json(json!({"email": "member@example.com", "totpCode": code(&h, &secret, -1).await}))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn backup_codes_are_single_use_and_renewed_when_exhausted() {
    let h = Harness::start().await;
    let (token, secret, backups) = paired(&h).await;
    let login = h
        .post(TOTP)
        .json(json!({"userUuid": null, "userId": 2, "backupCode": backups[0]}))
        .send()
        .await
        .ok();
    assert_eq!(login["userId"], 2);
    h.post(TOTP)
        .json(json!({"userId": 2, "backupCode": backups[0]}))
        .send()
        .await
        .err(400, "Invalid backup code");
    h.post(TOTP)
        .json(json!({"userId": 2, "backupCode": "00000-00000"}))
        .send()
        .await
        .err(400, "Invalid backup code");
    let info = read(&h, &token).await;
    assert_eq!(info["backupCodes"].as_array().unwrap().len(), 9);
    assert_eq!(info["totpSecret"], secret.as_str());
    for backup in &backups[1..] {
        h.post(TOTP)
            .json(json!({"userId": 2, "backupCode": backup}))
            .send()
            .await
            .ok();
    }
    // Every backup code used: reading pairs again with a new secret and 10 new codes.
    let renewed = read(&h, &token).await;
    assert_ne!(renewed["totpSecret"], secret.as_str());
    assert_eq!(renewed["backupCodes"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn removing_the_authenticator() {
    let h = Harness::start().await;
    let (token, secret, _) = paired(&h).await;
    h.delete("/v0/auth/totp")
        .send()
        .await
        .err(401, "Missing authentication");
    h.delete("/v0/auth/totp")
        .bearer("not-a-token")
        .send()
        .await
        .err(401, "Unauthorized");
    h.delete("/v0/auth/totp").bearer(&token).send().await.ok();
    h.delete("/v0/auth/totp")
        .bearer(&token)
        .send()
        .await
        .err(400, "TOTP is not set up");
    h.post(TOTP)
        .json(json!({"userId": 2, "totpCode": code(&h, &secret, 0).await}))
        .send()
        .await
        .err(400, "TOTP is not set up");
}

#[tokio::test]
async fn logins_refuse_bad_requests() {
    let h = Harness::start().await;
    h.refusals(
        Method::POST,
        &[
            (TOTP, json!({"userId": 2}), 400, "\"totpCode\" is required"),
            (
                TOTP,
                json!({"totpCode": "123456"}),
                400,
                "\"emailOrUsername\" is required",
            ),
            (
                TOTP,
                json!({"emailOrUsername": "nobody@example.com", "totpCode": "123456"}),
                400,
                "Invalid TOTP code",
            ),
            (
                TOTP,
                json!({"userId": 3, "totpCode": "123456"}),
                400,
                "TOTP is not set up",
            ),
        ],
    )
    .await;
    h.get("/v0/auth/totp")
        .send()
        .await
        .err(401, "Missing authentication");
    // A refresh token is not an access token.
    let login = h.login("viewer", userfront_mock::TEST_PASSWORD).await;
    h.get_refused(
        &common::refresh(&login),
        "/v0/auth/totp",
        401,
        "Unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_token_for_one_user_cannot_name_another() {
    let h = Harness::start().await;
    let (token, secret, _) = paired(&h).await;
    h.post(TOTP)
        .bearer(&token)
        .json(json!({"userId": 1, "totpCode": code(&h, &secret, 0).await}))
        .send()
        .await
        .err(400, "Invalid token");
}

/// Long labels (a 254-byte email, a long tenant name) are cut so every URI fits a QR code
/// easily; the secret is whole, and the pairing works as usual.
#[tokio::test]
async fn pairing_works_for_the_longest_email_with_a_cut_label() {
    let h = Harness::start().await;
    // The longest address the email rule allows (254 bytes); the label is cut to 64.
    let email = format!("{}@{}.com", "a".repeat(64), "d".repeat(185));
    assert_eq!(email.len(), 254);
    let signup = h.signup(&email, "correct-horse-9").await;
    let token = access(&signup);
    let info = read(&h, &token).await;
    let secret = info["totpSecret"].as_str().unwrap().to_owned();
    let uri = otpauth_uri("Demo Workspace", &email, &secret);
    assert!(uri.len() < 300, "{uri}");
    assert!(uri.contains(&format!("?secret={secret}&")));
    assert_shows_qr(info["qrCode"].as_str().unwrap(), &uri);
    confirm(&h, &token, &secret).await;
}
