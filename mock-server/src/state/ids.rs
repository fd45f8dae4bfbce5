//! Random identifiers: UUIDs, tenant ids, codes, usernames, key secrets.

use uuid::Uuid;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes).expect("system randomness");
    bytes
}

/// A random value below `bound` (tiny modulo bias is irrelevant here).
fn below(bound: u32) -> u32 {
    u32::from_le_bytes(random_bytes::<4>()) % bound
}

/// A lowercase UUID v4.
pub fn uuid() -> Uuid {
    Uuid::new_v4()
}

/// `len` characters of `[0-9a-z]`.
pub fn alnum(len: usize) -> String {
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|_| CHARS[below(CHARS.len() as u32) as usize] as char)
        .collect()
}

/// `len` lowercase hex digits.
pub fn hex(len: usize) -> String {
    const CHARS: &[u8] = b"0123456789abcdef";
    (0..len)
        .map(|_| CHARS[below(16) as usize] as char)
        .collect()
}

/// A six-digit verification code, leading zeros allowed.
pub fn code6() -> String {
    format!("{:06}", below(1_000_000))
}

/// An 8-character tenant id.
pub fn tenant_id() -> String {
    alnum(8)
}

/// A generated username `<adjective>-<noun>-<5 chars>`, e.g. `dark-frost-2k269`.
pub fn username() -> String {
    const ADJECTIVES: [&str; 16] = [
        "dark", "calm", "quiet", "bold", "bright", "swift", "gentle", "brave", "lucky", "proud",
        "silent", "wild", "young", "ancient", "misty", "sunny",
    ];
    const NOUNS: [&str; 16] = [
        "frost", "harbor", "river", "forest", "meadow", "stone", "cloud", "ember", "falcon",
        "glade", "lake", "moon", "pine", "sea", "star", "wind",
    ];
    format!(
        "{}-{}-{}",
        ADJECTIVES[below(16) as usize],
        NOUNS[below(16) as usize],
        alnum(5)
    )
}

/// A Base32 string of `len` characters (TOTP secrets).
pub fn base32(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..len)
        .map(|_| CHARS[below(32) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(code6().len(), 6);
        let t = tenant_id();
        assert_eq!(t.len(), 8);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        let u = username();
        let parts: Vec<_> = u.split('-').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].len(), 5);
        assert_eq!(hex(32).len(), 32);
        assert_ne!(uuid(), uuid());
    }
}
