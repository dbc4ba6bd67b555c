//! Login passcodes, stored as PBKDF2-HMAC-SHA256 hashes in the form
//! `pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>` (standard alphabet, no padding). The
//! iteration count travels with each hash, so raising [`DEFAULT_ITERATIONS`] leaves older hashes
//! verifiable, and tests can hash with few iterations. Comparison is in constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use pbkdf2::pbkdf2_hmac;
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Iterations for new hashes: the floor this rebuild sets (OWASP's current advice for
/// PBKDF2-HMAC-SHA256 is 600,000; one constant to raise, hashes keep their own count).
pub const DEFAULT_ITERATIONS: u32 = 100_000;
/// A stored hash asking for more is refused rather than computed (it would stall the endpoint).
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Longer passcodes are refused before hashing.
pub const MAX_PASSCODE_BYTES: usize = 1024;

const SCHEME: &str = "pbkdf2-sha256";
const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;

/// A new hash of `passcode` with a fresh random salt.
pub fn hash(passcode: &str, iterations: u32) -> String {
    let mut salt = [0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    hash_with_salt(passcode, &salt, iterations.clamp(1, MAX_ITERATIONS))
}

fn hash_with_salt(passcode: &str, salt: &[u8], iterations: u32) -> String {
    let mut out = [0u8; HASH_BYTES];
    pbkdf2_hmac::<Sha256>(passcode.as_bytes(), salt, iterations, &mut out);
    format!("{SCHEME}${iterations}${}${}", STANDARD_NO_PAD.encode(salt), STANDARD_NO_PAD.encode(out))
}

/// Whether `passcode` matches `stored`. A stored value that is not a hash of ours never matches.
pub fn verify(passcode: &str, stored: &str) -> bool {
    let Some((iterations, salt, expected)) = parse(stored) else { return false };
    if passcode.len() > MAX_PASSCODE_BYTES {
        return false;
    }
    let mut out = [0u8; HASH_BYTES];
    pbkdf2_hmac::<Sha256>(passcode.as_bytes(), &salt, iterations, &mut out);
    bool::from(out.ct_eq(&expected[..]))
}

/// Spends the time a real verification with `iterations` would, so that a caller cannot tell an
/// unknown username from a wrong passcode by the answer's timing.
pub fn waste(passcode: &str, iterations: u32) {
    let mut out = [0u8; HASH_BYTES];
    let passcode = &passcode.as_bytes()[..passcode.len().min(MAX_PASSCODE_BYTES)];
    pbkdf2_hmac::<Sha256>(passcode, &[0u8; SALT_BYTES], iterations.clamp(1, MAX_ITERATIONS), &mut out);
    std::hint::black_box(out);
}

fn parse(stored: &str) -> Option<(u32, Vec<u8>, [u8; HASH_BYTES])> {
    let mut parts = stored.split('$');
    let (scheme, iterations, salt, hash) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if scheme != SCHEME || parts.next().is_some() {
        return None;
    }
    let iterations: u32 = iterations.parse().ok().filter(|n| (1..=MAX_ITERATIONS).contains(n))?;
    let salt = STANDARD_NO_PAD.decode(salt).ok().filter(|s| !s.is_empty())?;
    let hash: [u8; HASH_BYTES] = STANDARD_NO_PAD.decode(hash).ok()?.try_into().ok()?;
    Some((iterations, salt, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_passcode_only() {
        let h = hash("correct horse", 1_000);
        assert!(h.starts_with("pbkdf2-sha256$1000$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horsE", &h));
        assert!(!verify("", &h));
        assert_ne!(hash("correct horse", 1_000), h, "salts differ");
    }

    /// RFC 7914 §11 gives PBKDF2-HMAC-SHA256 test vectors: P="passwd", S="salt", c=1.
    #[test]
    fn the_derivation_is_pbkdf2_hmac_sha256() {
        let h = hash_with_salt("passwd", b"salt", 1);
        let expected = [
            0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91, 0xc2, 0x25, 0x44, 0xb6, 0x05, 0xf9, 0x41,
            0x85, 0x21, 0x6d, 0xde, 0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc,
        ];
        assert_eq!(h, format!("pbkdf2-sha256$1$c2FsdA${}", STANDARD_NO_PAD.encode(expected)));
        assert!(verify("passwd", &h));
    }

    #[test]
    fn stored_values_that_are_not_our_hashes_never_match() {
        let good = hash("p", 10);
        let (head, tail) = good.rsplit_once('$').unwrap();
        for bad in [
            String::new(),
            "p".to_owned(),
            good.replacen("pbkdf2-sha256", "pbkdf2-sha1", 1),
            good.replacen("$10$", "$0$", 1),
            good.replacen("$10$", "$99999999999$", 1),
            format!("{head}$AAAA"),
            format!("{good}$extra"),
            format!("{head}${tail}=="),
        ] {
            assert!(!verify("p", &bad), "{bad}");
        }
        assert!(!verify(&"p".repeat(MAX_PASSCODE_BYTES + 1), &hash(&"p".repeat(MAX_PASSCODE_BYTES + 1), 10)));
    }
}
