//! Password rules and hashing.
//!
//! Passwords are stored only as Argon2id PHC strings. The mock hashes with a deliberately cheap
//! profile (256 KiB, one pass), because it serves tests, not attackers: a login costs a fraction
//! of a millisecond. Verification reads the parameters from the stored string, so stronger
//! hashes (from an import or a state file) still verify. A semaphore caps how many hashes run at
//! once, so a burst of signups cannot claim unbounded memory, and hashing runs off the async
//! worker threads.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{Error, Result, msg};
use crate::state::model::Mode;

/// Memory cost of the mock's hashing profile, in KiB.
const MEMORY_KIB: u32 = 256;
/// Hashes allowed to run at the same time.
const MAX_CONCURRENT: usize = 8;

/// The reserved passwords accepted in test mode (conventions C-9).
const TEST_MODE_PASSWORDS: [&str; 3] = ["test", "dev", "password"];

/// Checks the documented password rules: at least 16 characters, or at least 8 with a letter and
/// a digit; in test mode also `test`, `dev` and `password`.
pub fn check_rules(password: &str, mode: Mode) -> Result<()> {
    if mode == Mode::Test && TEST_MODE_PASSWORDS.contains(&password) {
        return Ok(());
    }
    let len = password.chars().count();
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if len >= 16 || (len >= 8 && has_letter && has_digit) {
        Ok(())
    } else {
        Err(Error::bad_request(msg::PASSWORD_RULES))
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, 1, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes synchronously with the cheap profile. Prefer [`Hasher::hash`] on request paths.
pub fn hash_now(password: &str) -> String {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).expect("system randomness");
    let salt = SaltString::encode_b64(&salt).expect("16-byte salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 hashing")
        .to_string()
}

/// Verifies synchronously. An unparsable hash never matches.
pub fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Bounded, off-thread password hashing.
#[derive(Clone, Debug)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher {
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
        }
    }
}

impl Hasher {
    /// Hashes `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal())?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(|_| Error::internal())
    }

    /// Checks `password` against a stored hash.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal())?;
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || verify_now(&password, &hash))
            .await
            .map_err(|_| Error::internal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_follow_the_docs() {
        for ok in ["abcdefgh1", "sixteen chars!!!", "ünïcödé-ünïcödé-"] {
            assert!(check_rules(ok, Mode::Live).is_ok(), "{ok}");
        }
        for bad in ["abcdefgh", "12345678", "short1", "", "fifteen chars!!"] {
            assert!(check_rules(bad, Mode::Live).is_err(), "{bad}");
        }
        assert!(check_rules("password", Mode::Test).is_ok());
        assert!(check_rules("password", Mode::Live).is_err());
    }

    #[test]
    fn hashes_verify_and_never_contain_the_password() {
        let hash = hash_now("testmodepassword");
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("testmodepassword"));
        assert!(verify_now("testmodepassword", &hash));
        assert!(!verify_now("testmodepassword1", &hash));
        assert!(!verify_now("x", "not a hash"));
    }
}
