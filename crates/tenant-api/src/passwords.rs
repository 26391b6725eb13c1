//! Password hashing (argon2id at OWASP's parameters) and generated secrets.
//!
//! A hash takes about 20 ms of CPU, so callers on the async runtime run these
//! on a blocking thread.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

fn hasher() -> Argon2<'static> {
    // m = 19 MiB, t = 2, p = 1: OWASP's recommendation for argon2id.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `phc`.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not a real password").unwrap_or_default())
}

/// Spends the time of one verification, so an unknown account answers as slowly as a known one.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, dummy_hash());
}

/// Whether a sign-in succeeds, at the cost of exactly one verification whatever the outcome.
///
/// `stored` is the account's hash (None for an unknown account) and `usable`
/// false for a disabled one. An unknown or disabled account is verified
/// against a dummy hash or its own, so timing tells nothing about which of
/// unknown, disabled or wrong password it was.
pub fn check(password: &str, stored: Option<&str>, usable: bool) -> bool {
    check_with(password, stored, usable, verify)
}

fn check_with(
    password: &str,
    stored: Option<&str>,
    usable: bool,
    verifier: impl FnOnce(&str, &str) -> bool,
) -> bool {
    // A stored value that is not a hash would fail at once; verify the dummy instead.
    let stored = stored.filter(|h| PasswordHash::new(h).is_ok());
    let matches = verifier(password, stored.unwrap_or_else(|| dummy_hash()));
    matches && stored.is_some() && usable
}

/// A random password people can type: 20 characters from an unambiguous alphabet.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A new session token (256 random bits, URL-safe) and the hash it is stored under.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The smallest password custodian accepts.
pub const MIN_LENGTH: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn every_failed_sign_in_runs_one_verification() {
        let real = hash("the right pin").unwrap();
        let count = std::cell::Cell::new(0);
        let counting = |p: &str, h: &str| {
            count.set(count.get() + 1);
            verify(p, h)
        };
        // Unknown account, disabled account, wrong password, right password.
        assert!(!check_with("the right pin", None, true, counting));
        assert!(!check_with("the right pin", Some(&real), false, counting));
        assert!(!check_with("a wrong pin", Some(&real), true, counting));
        assert!(check_with("the right pin", Some(&real), true, counting));
        assert_eq!(
            count.get(),
            4,
            "one verification per attempt, whatever the outcome"
        );
        // The dummy really is an argon2id hash of the same cost.
        assert!(dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        assert_eq!(generate().len(), 20);
        assert_ne!(generate(), generate());
        let (t, h) = new_token();
        assert_eq!(h, token_hash(&t));
        assert!(t.len() >= 43);
    }
}
