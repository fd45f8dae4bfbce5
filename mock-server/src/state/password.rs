//! Password rules and hashing.
//!
//! Passwords are stored only as Argon2id PHC strings. The mock hashes with a deliberately cheap
//! profile (256 KiB, one pass), because it serves tests, not attackers: a login costs a fraction
//! of a millisecond. Verification reads the parameters from the stored string, so stronger
//! hashes (from an import or a state file) still verify. Hashing runs off the async worker
//! threads, on a small fixed pool of threads (see `pool`), so a burst of signups or logins
//! cannot claim unbounded memory.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Error, Result, msg};
use crate::state::model::Mode;

/// Memory cost of the mock's hashing profile, in KiB.
const MEMORY_KIB: u32 = 256;
/// Most hashing threads (and so hashes in memory at once), whatever the number of cores.
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

/// Bounded, off-thread password hashing: jobs run on the process's hashing pool.
#[derive(Clone, Debug, Default)]
pub struct Hasher;

impl Hasher {
    /// Hashes `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        pool::run(move || hash_now(&password)).await
    }

    /// Checks `password` against a stored hash.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        pool::run(move || verify_now(&password, &hash)).await
    }
}

/// The threads that hash, shared by every mock in the process.
///
/// Why not `spawn_blocking`: Tokio's blocking pool grows to 512 threads, and with glibc's
/// allocator every thread that ran a hash keeps an arena holding Argon2's memory blocks, so
/// RSS went from 9.5 MiB to ~130 MiB after a few seconds of logins and stayed there. A fixed
/// set of long-lived threads (one per core, at most [`MAX_CONCURRENT`]) caps both the number of
/// hashes in memory at once and the number of arenas; a burst of logins waits in the queue,
/// each waiting job holding only its request's strings.
mod pool {
    use std::sync::mpsc::{Receiver, Sender, channel};
    use std::sync::{Arc, OnceLock};

    use parking_lot::Mutex;

    use super::MAX_CONCURRENT;
    use crate::error::{Error, Result};

    type Job = Box<dyn FnOnce() + Send>;

    /// The job queue; the threads start on first use, so start-up and idle memory pay nothing.
    fn queue() -> Option<&'static Sender<Job>> {
        static QUEUE: OnceLock<Option<Sender<Job>>> = OnceLock::new();
        QUEUE
            .get_or_init(|| {
                let (tx, rx) = channel::<Job>();
                let rx = Arc::new(Mutex::new(rx));
                let threads = std::thread::available_parallelism()
                    .map_or(1, |n| n.get())
                    .clamp(1, MAX_CONCURRENT);
                let mut started = 0;
                for i in 0..threads {
                    let rx = Arc::clone(&rx);
                    let spawned = std::thread::Builder::new()
                        .name(format!("password-hash-{i}"))
                        // Argon2 keeps its blocks on the heap; the stack needs little.
                        .stack_size(256 * 1024)
                        .spawn(move || work(&rx));
                    started += usize::from(spawned.is_ok());
                }
                (started > 0).then_some(tx)
            })
            .as_ref()
    }

    fn work(rx: &Mutex<Receiver<Job>>) {
        loop {
            let job = rx.lock().recv();
            let Ok(job) = job else { return };
            // A panicking job loses its answer (the caller gets a 500), not the thread.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        }
    }

    /// Runs `f` on the pool and waits for its result without blocking the async worker.
    pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        queue()
            .ok_or_else(Error::internal)?
            .send(job)
            .map_err(|_| Error::internal())?;
        rx.await.map_err(|_| Error::internal())
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

    /// Hashing runs on the fixed pool, never on Tokio's growing blocking pool: however many
    /// hashes are asked for at once, at most `MAX_CONCURRENT` threads ever run one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_runs_on_a_bounded_pool_of_threads() {
        let jobs: Vec<_> = (0..64)
            .map(|_| {
                tokio::spawn(pool::run(|| {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    std::thread::current().name().map(str::to_owned)
                }))
            })
            .collect();
        let mut names = std::collections::HashSet::new();
        for job in jobs {
            let name = job.await.unwrap().unwrap().unwrap_or_default();
            assert!(name.starts_with("password-hash-"), "ran on {name:?}");
            names.insert(name);
        }
        assert!(names.len() <= MAX_CONCURRENT, "{names:?}");
        let hasher = Hasher;
        let hash = hasher.hash("testmodepassword").await.unwrap();
        assert!(hasher.verify("testmodepassword", &hash).await.unwrap());
        assert!(!hasher.verify("wrong", &hash).await.unwrap());
    }
}
