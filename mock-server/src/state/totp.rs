//! TOTP authenticators and backup codes (conventions C-14.7; client-to-server CS-10 … CS-12).
//!
//! Codes follow RFC 6238 with the parameters every authenticator app assumes: HMAC-SHA-1,
//! 6 digits, 30-second steps, from a 16-character Base32 secret (80 bits). The previous,
//! current and next steps are accepted to allow for clock drift, and a step that was used once
//! is never accepted again (RFC 6238 section 5.2), so an observed code cannot be replayed.
//!
//! Pairing: reading the authenticator creates a *pending* secret with 10 single-use backup
//! codes; the first valid code confirms it. The QR code handed to the app is a real PNG of the
//! `otpauth://` URI, encoded here without an image library.

use aws_lc_rs::hmac;
use base64::Engine;

use super::Realm;
use super::clock::{Millis, SECOND};
use super::ids;
use super::model::Totp;
use crate::error::{Error, Result, msg};

/// Seconds per TOTP step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a TOTP code.
pub const DIGITS: u32 = 6;
/// Backup codes per pairing.
pub const BACKUP_CODES: usize = 10;
/// Characters of a secret (16 Base32 characters = 80 bits).
const SECRET_LEN: usize = 16;

/// Decodes RFC 4648 Base32 (upper or lower case, padding optional).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').chars() {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// RFC 4226 HOTP with HMAC-SHA-1: dynamic truncation of the MAC of the 8-byte counter, modulo
/// 10^digits.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let mac = hmac::sign(&key, &counter.to_be_bytes());
    let mac = mac.as_ref();
    let offset = (mac[mac.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    binary % 10u32.pow(digits)
}

/// The RFC 6238 time step of a Unix time.
pub fn time_step(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of a Base32 secret at a mock time, zero-padded (what an authenticator app
/// shows then).
pub fn code_at(secret: &str, now: Millis) -> Option<String> {
    let key = base32_decode(secret)?;
    let step = time_step(now.div_euclid(SECOND));
    Some(format!(
        "{:0width$}",
        hotp(&key, step as u64, DIGITS),
        width = DIGITS as usize
    ))
}

/// The step among the previous, current and next ones whose code is `code`, if any.
fn matching_step(secret: &str, code: &str, now: Millis) -> Option<i64> {
    let key = base32_decode(secret)?;
    let wanted: u32 = code
        .parse()
        .ok()
        .filter(|_| code.len() == DIGITS as usize)?;
    let current = time_step(now.div_euclid(SECOND));
    (current - 1..=current + 1).find(|&step| step >= 0 && hotp(&key, step as u64, DIGITS) == wanted)
}

/// A backup code `xxxxx-xxxxx` (lowercase hex).
fn backup_code() -> String {
    format!("{}-{}", ids::hex(5), ids::hex(5))
}

/// A fresh pending pairing.
fn new_pairing() -> Totp {
    Totp {
        secret: ids::base32(SECRET_LEN),
        confirmed: false,
        backup_codes: (0..BACKUP_CODES).map(|_| backup_code()).collect(),
        last_step: None,
    }
}

/// The longest issuer or account name, in bytes, an otpauth URI carries.
///
/// Both are display labels; cutting them keeps every URI small enough for a QR code (a
/// 3,000-character email or tenant name would not fit in any QR version), while the secret,
/// which the code must carry whole, is never cut.
const LABEL_MAX_BYTES: usize = 64;

/// The `otpauth://totp/{issuer}:{account}?secret=…&issuer=…` URI authenticator apps read
/// (Key Uri Format), with the defaults spelled out. Labels longer than [`LABEL_MAX_BYTES`] are
/// cut at a character boundary.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    use super::messages::url_encode;
    let (issuer, account) = (label(issuer), label(account));
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        url_encode(issuer),
        url_encode(account),
        url_encode(issuer),
    )
}

/// `text` cut to at most [`LABEL_MAX_BYTES`] bytes, at a character boundary.
fn label(text: &str) -> &str {
    let mut end = text.len().min(LABEL_MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A `data:image/png;base64,…` URL of a QR code of `text`.
pub fn qr_data_url(text: &str) -> String {
    let png = qr_png(text);
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// Pixels per QR module, and modules of quiet zone around the symbol.
const MODULE_PIXELS: usize = 4;
const QUIET_ZONE: usize = 4;

/// A PNG (8-bit greyscale) of the QR code of `text`, error correction level M.
pub fn qr_png(text: &str) -> Vec<u8> {
    use qrcode::{Color, EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L))
        .expect("an otpauth URI fits in a QR code");
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET_ZONE) * MODULE_PIXELS;
    // Each scanline: filter byte 0 (None), then one byte per pixel.
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0);
        let my = (y / MODULE_PIXELS).checked_sub(QUIET_ZONE);
        for x in 0..side {
            let mx = (x / MODULE_PIXELS).checked_sub(QUIET_ZONE);
            let dark = match (mx, my) {
                (Some(mx), Some(my)) if mx < width && my < width => {
                    colors[my * width + mx] == Color::Dark
                }
                _ => false,
            };
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&(side as u32).to_be_bytes());
    header.extend_from_slice(&(side as u32).to_be_bytes());
    // Bit depth 8, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &header);
    png_chunk(
        &mut png,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9),
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (ISO-HDLC, the one PNG uses), bit by bit: the chunks are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A successful use of the authenticator, checked but not yet applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TotpUse {
    /// A code of this time step.
    Code(i64),
    /// This unused backup code.
    Backup(String),
}

impl Realm {
    /// The user's authenticator for `GET /v0/auth/totp` (CS-10): a new pending pairing when the
    /// user has none or has used every backup code, otherwise the current one. With
    /// `setup_only` (a firstFactorToken, which proves only the first factor) a confirmed
    /// authenticator is never revealed: 401.
    pub fn totp_for_setup(&mut self, user_id: u64, setup_only: bool, now: Millis) -> Result<Totp> {
        let user = self.user_mut(user_id)?;
        let renew = match &user.totp {
            None => true,
            Some(t) if setup_only && t.confirmed => return Err(Error::unauthorized()),
            Some(t) => t.confirmed && t.backup_codes.is_empty(),
        };
        if renew {
            user.totp = Some(Box::new(new_pairing()));
            user.updated_at = now;
        }
        Ok(user.totp.as_deref().cloned().expect("set above"))
    }

    /// Checks a TOTP or backup code for a user without changing anything (CS-11). A pending
    /// pairing counts only when `may_confirm` (the request carries that user's access token or
    /// firstFactorToken); backup codes need a confirmed authenticator.
    pub fn check_totp(
        &self,
        user_id: u64,
        totp_code: Option<&str>,
        backup_code: Option<&str>,
        may_confirm: bool,
        now: Millis,
    ) -> Result<TotpUse> {
        let not_set_up = || Error::bad_request(msg::TOTP_NOT_SET_UP);
        let totp = self.user(user_id)?.totp.as_deref().ok_or_else(not_set_up)?;
        let usable = totp.confirmed || (may_confirm && totp_code.is_some());
        if !usable {
            return Err(not_set_up());
        }
        if let Some(code) = totp_code {
            return matching_step(&totp.secret, code.trim(), now)
                .filter(|&step| totp.last_step.is_none_or(|last| step > last))
                .map(TotpUse::Code)
                .ok_or_else(|| Error::bad_request(msg::INVALID_TOTP_CODE));
        }
        let backup = backup_code.map(|c| c.trim().to_ascii_lowercase());
        match backup {
            Some(code) if totp.backup_codes.contains(&code) => Ok(TotpUse::Backup(code)),
            Some(_) => Err(Error::bad_request(msg::INVALID_BACKUP_CODE)),
            None => Err(Error::required("totpCode")),
        }
    }

    /// Applies a checked use: remembers the step (no replay), consumes a backup code, confirms
    /// a pending pairing. Returns whether the pairing was confirmed by this use.
    pub fn apply_totp(&mut self, user_id: u64, used: &TotpUse, now: Millis) -> Result<bool> {
        let user = self.user_mut(user_id)?;
        let totp = user
            .totp
            .as_deref_mut()
            .ok_or_else(|| Error::bad_request(msg::TOTP_NOT_SET_UP))?;
        let confirmed_now = !totp.confirmed;
        match used {
            TotpUse::Code(step) => {
                totp.last_step = Some(*step);
                totp.confirmed = true;
            }
            TotpUse::Backup(code) => totp.backup_codes.retain(|c| c != code),
        }
        if confirmed_now {
            user.updated_at = now;
        }
        Ok(confirmed_now)
    }

    /// Removes a user's authenticator, pending or confirmed (CS-12).
    pub fn remove_totp(&mut self, user_id: u64, now: Millis) -> Result<()> {
        let user = self.user_mut(user_id)?;
        if user.totp.take().is_none() {
            return Err(Error::bad_request(msg::TOTP_NOT_SET_UP));
        }
        user.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows: the key is the ASCII string "12345678901234567890"
    /// and the published values have 8 digits.
    #[test]
    fn rfc6238_sha1_test_vectors() {
        let key = b"12345678901234567890";
        let vectors: [(i64, u32); 6] = [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ];
        for (time, expected) in vectors {
            let step = time_step(time) as u64;
            assert_eq!(hotp(key, step, 8), expected, "T = {time}");
            // The 6-digit code of the same step is the last six digits of the 8-digit one.
            assert_eq!(hotp(key, step, 6), expected % 1_000_000, "T = {time}");
        }
    }

    #[test]
    fn base32_round_trip_of_the_rfc_key() {
        // "12345678901234567890" in Base32.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(base32_decode(secret).unwrap(), b"12345678901234567890");
        assert_eq!(
            code_at(secret, 59 * SECOND).as_deref(),
            Some("287082"),
            "6-digit code of T = 59"
        );
        assert!(base32_decode("not base32!").is_none());
        assert_eq!(base32_decode("jbswy3dp").unwrap(), b"Hello");
    }

    #[test]
    fn drift_of_one_step_is_accepted_and_no_more() {
        let secret = "JBSWY3DPK5XXE3DE";
        let now = 1_700_000_015 * SECOND;
        for offset in [-1i64, 0, 1] {
            let code = code_at(secret, now + offset * STEP_SECONDS * SECOND).unwrap();
            assert!(
                matching_step(secret, &code, now).is_some(),
                "offset {offset}"
            );
        }
        for offset in [-2i64, 2] {
            let code = code_at(secret, now + offset * STEP_SECONDS * SECOND).unwrap();
            assert!(
                matching_step(secret, &code, now).is_none(),
                "offset {offset}"
            );
        }
        assert!(matching_step(secret, "12345", now).is_none());
    }

    #[test]
    fn pairings_have_the_documented_shapes() {
        let t = new_pairing();
        assert_eq!(t.secret.len(), 16);
        assert!(base32_decode(&t.secret).is_some_and(|k| k.len() == 10));
        assert_eq!(t.backup_codes.len(), 10);
        for c in &t.backup_codes {
            let (a, b) = c.split_once('-').unwrap();
            assert!(a.len() == 5 && b.len() == 5);
            assert!(c.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        }
        assert_eq!(
            otpauth_uri("Demo Workspace", "a@b.co", "JBSWY3DPK5XXE3DE"),
            "otpauth://totp/Demo%20Workspace:a%40b.co?secret=JBSWY3DPK5XXE3DE&issuer=Demo%20Workspace&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn long_labels_are_cut_and_still_fit_a_qr_code() {
        let issuer = "é".repeat(3_000); // two bytes a character
        let account = format!("{}@example.com", "a".repeat(3_000));
        let uri = otpauth_uri(&issuer, &account, "JBSWY3DPK5XXE3DE");
        assert!(uri.contains("secret=JBSWY3DPK5XXE3DE&"));
        let cut_issuer = crate::state::messages::url_encode(&"é".repeat(32));
        assert!(uri.starts_with(&format!("otpauth://totp/{cut_issuer}:{}?", "a".repeat(64))));
        assert!(uri.contains(&format!("&issuer={cut_issuer}&")));
        let png = qr_png(&uri);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn png_is_well_formed() {
        let png = qr_png("otpauth://totp/x:y?secret=JBSWY3DPK5XXE3DE");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        // The CRC of IHDR covers its type and data.
        assert_eq!(crc32(&png[12..29]).to_be_bytes(), png[29..33]);
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }
}
