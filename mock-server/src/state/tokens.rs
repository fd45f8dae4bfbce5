//! RS256 JSON Web Tokens: signing keys, signing, verification, PEM and JWKS.
//!
//! Every workspace has one signing key per mode (conventions C-12.1). The parsed key is kept in
//! memory ([`SigningKey`]), because parsing a PEM for every signature would cost more than the
//! signature itself. Keys come from the fixtures; a workspace without one gets a fresh 2048-bit
//! key generated on first use.
//!
//! Verification of a token the mock itself signed is the hot path of every authenticated
//! request, so [`SigningKey::verify`] keeps a bounded cache of tokens whose signature it already
//! checked: a byte-identical token needs no second RSA operation. Claims such as `exp` are still
//! checked by the caller on every request, against the mock clock.
//!
//! The cache is keyed by the SHA-256 of the token, not the token (tokens carry the user's
//! `data` and can be hundreds of KiB), and is bounded by bytes as well as entries: the claims it
//! keeps count by their size in memory, claims over [`VERIFIED_ENTRY_BYTES`] are not cached
//! (such a token is verified by RSA each time), and the cache starts over when it would pass
//! [`VERIFIED_CACHE_BYTES`].

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::state::clock::{Millis, format_iso};
use crate::state::model::Mode;

/// How many verified tokens a key remembers before it starts over.
const VERIFIED_CACHE_LIMIT: usize = 16_384;
/// How many bytes of verified claims a key remembers before it starts over.
pub const VERIFIED_CACHE_BYTES: usize = 8 * 1024 * 1024;
/// Largest claims (by their size in memory) the cache keeps.
pub const VERIFIED_ENTRY_BYTES: usize = 64 * 1024;

/// Tokens whose signature a key already checked, by the SHA-256 of the token.
#[derive(Default)]
struct VerifiedCache {
    claims: HashMap<[u8; 32], (Arc<Value>, usize)>,
    bytes: usize,
}

/// What one cache entry costs beyond its claims (the key, the map slot, the `Arc`).
const VERIFIED_ENTRY_OVERHEAD: usize = 96;

pub fn token_digest(token: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// An RSA key pair that signs the tokens of one workspace in one mode.
pub struct SigningKey {
    kid: String,
    mode: Mode,
    created_at: Millis,
    pair: KeyPair,
    private_pem: String,
    public_pem: String,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    rng: SystemRandom,
    verified: Mutex<VerifiedCache>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not three Base64url parts of JSON, or not RS256.
    Malformed,
    /// The signature does not verify with this key.
    BadSignature,
    /// The `kid` header is missing or names another key: the token was not issued with this
    /// key, whatever its signature says (a realm has exactly one key).
    UnknownKey,
}

impl SigningKey {
    /// Loads a PKCS#8 PEM private key.
    pub fn from_pem(kid: &str, mode: Mode, created_at: Millis, pem: &str) -> Result<Self, String> {
        let der = pem_decode(pem).ok_or("the private key is not PEM")?;
        let pair = KeyPair::from_pkcs8(&der)
            .or_else(|_| KeyPair::from_der(&der))
            .map_err(|e| format!("the private key was rejected: {e}"))?;
        Ok(Self::from_pair(kid, mode, created_at, pair))
    }

    /// Generates a fresh 2048-bit key (about a tenth of a second in an optimised build).
    pub fn generate(kid: &str, mode: Mode, created_at: Millis) -> Self {
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        Self::from_pair(kid, mode, created_at, pair)
    }

    fn from_pair(kid: &str, mode: Mode, created_at: Millis, pair: KeyPair) -> Self {
        let private_pem = pair
            .as_der()
            .map(|der| pem_encode("PRIVATE KEY", der.as_ref()))
            .unwrap_or_default();
        let public_pem = pem_encode("RSA PUBLIC KEY", pair.public_key().as_ref());
        let components: PublicKeyComponents<Vec<u8>> = pair.public_key().into();
        SigningKey {
            kid: kid.to_owned(),
            mode,
            created_at,
            private_pem,
            public_pem,
            modulus: strip_zeros(components.n),
            exponent: strip_zeros(components.e),
            pair,
            rng: SystemRandom::new(),
            verified: Mutex::default(),
        }
    }

    /// The key id (`kid` header).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// When the key was made (mock time).
    pub fn created_at(&self) -> Millis {
        self.created_at
    }

    /// The PKCS#8 PEM of the private key (for state export).
    pub fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The PKCS#1 PEM of the public key.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// The JWT public key object of conventions C-16.7.
    pub fn public_key_json(&self) -> Value {
        json!({
            "kid": self.kid,
            "mode": self.mode.as_str(),
            "isActive": true,
            "createdAt": format_iso(self.created_at),
            "publicKey": self.public_pem,
            "publicKeyBase64": STANDARD.encode(self.public_pem.as_bytes()),
        })
    }

    /// The JWKS entry of conventions C-16.8.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.modulus),
            "e": URL_SAFE_NO_PAD.encode(&self.exponent),
        })
    }

    /// Signs `claims` as a compact RS256 JWT.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let mut token = String::with_capacity(1024);
        token.push_str(&URL_SAFE_NO_PAD.encode(header.to_string()));
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut sig,
            )
            .expect("RSA signing");
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(&sig));
        // Not remembered as verified here: a sign-on makes three tokens, most never come back
        // (ID tokens, refresh tokens), and caching them all kept ~40 MiB after 10,000 logins.
        // A token that is used is remembered at its first verification.
        token
    }

    /// An RSASSA-PKCS1-v1_5 SHA-256 signature of `data` with this key (XML signatures of SAML
    /// responses).
    pub fn sign_rsa_sha256(&self, data: &[u8]) -> Vec<u8> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &self.rng, data, &mut sig)
            .expect("RSA signing");
        sig
    }

    /// Checks the `kid` and the signature of `token` and returns its claims. Expiry and meaning are the
    /// caller's business.
    pub fn verify(&self, token: &str) -> Result<Arc<Value>, TokenError> {
        self.verify_digest(token, token_digest(token))
    }

    /// [`SigningKey::verify`] for a caller that already has the token's [`token_digest`].
    pub fn verify_digest(&self, token: &str, digest: [u8; 32]) -> Result<Arc<Value>, TokenError> {
        if let Some((claims, _)) = self.verified.lock().claims.get(&digest) {
            return Ok(claims.clone());
        }
        let (signed, sig) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (header, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        let header = decode_json(header).ok_or(TokenError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(TokenError::Malformed);
        }
        if header.get("kid").and_then(Value::as_str) != Some(self.kid.as_str()) {
            return Err(TokenError::UnknownKey);
        }
        let claims = decode_json(payload).ok_or(TokenError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| TokenError::Malformed)?;
        let public = signature::UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            self.pair.public_key().as_ref(),
        );
        public
            .verify(signed.as_bytes(), &sig)
            .map_err(|_| TokenError::BadSignature)?;
        let claims = Arc::new(claims);
        self.remember_digest(digest, claims.clone());
        Ok(claims)
    }

    fn remember_digest(&self, digest: [u8; 32], claims: Arc<Value>) {
        let cost = VERIFIED_ENTRY_OVERHEAD + crate::state::bounded::value_cost(&claims);
        if cost > VERIFIED_ENTRY_BYTES {
            return;
        }
        let mut cache = self.verified.lock();
        if cache.claims.len() >= VERIFIED_CACHE_LIMIT || cache.bytes + cost > VERIFIED_CACHE_BYTES {
            cache.claims.clear();
            cache.bytes = 0;
        }
        if let Some((_, old)) = cache.claims.insert(digest, (claims, cost)) {
            cache.bytes -= old;
        }
        cache.bytes += cost;
    }

    /// The verified-token cache in entries and bytes, with its caps (`/__mock/state`).
    pub fn cache_figures(&self) -> (usize, usize) {
        let cache = self.verified.lock();
        (cache.claims.len(), cache.bytes)
    }
}

/// Reads the claims of a token without checking anything; used only to find which key must
/// verify it.
pub fn peek_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    decode_json(payload)
}

fn decode_json(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}

fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.drain(..first);
    bytes
}

/// Wraps DER in PEM armour with 64-character lines.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----"));
    out
}

/// Strips PEM armour and decodes the Base64 body.
pub fn pem_decode(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = userfront_fixtures::KEYS[0].1;

    #[test]
    fn signs_and_verifies_and_refuses_tampering() {
        let key = SigningKey::from_pem("kid-1", Mode::Test, 0, PEM).unwrap();
        let token = key.sign(&json!({"userId": 1, "mode": "test"}));
        assert_eq!(key.verify(&token).unwrap()["userId"], 1);

        // Signing leaves the cache empty; a fresh key verifies by RSA too.
        let again = SigningKey::from_pem("kid-1", Mode::Test, 0, PEM).unwrap();
        assert_eq!(again.verify(&token).unwrap()["mode"], "test");

        let (head, _) = token.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(r#"{"userId":2,"mode":"test"}"#);
        let sig = token.rsplit_once('.').unwrap().1;
        let forged = format!("{head}.{forged_payload}.{sig}");
        assert_eq!(again.verify(&forged), Err(TokenError::BadSignature));
        assert_eq!(again.verify("a.b"), Err(TokenError::Malformed));
        let none_alg = format!(
            "{}.{forged_payload}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#)
        );
        assert_eq!(again.verify(&none_alg), Err(TokenError::Malformed));
    }

    #[test]
    fn the_verified_cache_is_bounded_by_bytes_and_keeps_no_large_claims() {
        let key = SigningKey::from_pem("kid-1", Mode::Test, 0, PEM).unwrap();
        // Claims of ~40 KB each: the byte cap, not the 16,384 entries, starts the cache over.
        let mut last = String::new();
        for i in 0..400 {
            last = key.sign(&json!({"userId": i, "data": "d".repeat(40_000)}));
            let (entries, bytes) = key.cache_figures();
            assert!(bytes <= VERIFIED_CACHE_BYTES, "{bytes} bytes");
            assert!(entries < 400);
        }
        assert_eq!(key.verify(&last).unwrap()["userId"], 399);
        // Claims over the entry cap are never cached, yet verify (by RSA) every time.
        let before = key.cache_figures();
        let large = key.sign(&json!({"data": "d".repeat(VERIFIED_ENTRY_BYTES)}));
        assert_eq!(key.cache_figures(), before);
        assert!(key.verify(&large).is_ok());
        assert_eq!(key.cache_figures(), before);
    }

    #[test]
    fn public_forms_describe_the_same_key() {
        let key = SigningKey::from_pem("kid-1", Mode::Live, 0, PEM).unwrap();
        assert!(
            key.public_pem()
                .starts_with("-----BEGIN RSA PUBLIC KEY-----\n")
        );
        let json = key.public_key_json();
        let decoded = STANDARD
            .decode(json["publicKeyBase64"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, key.public_pem().as_bytes());
        assert_eq!(key.jwk()["e"], "AQAB");
        assert_eq!(
            pem_decode(key.private_pem()).map(|d| d.len() > 1000),
            Some(true)
        );
    }
}
