//! Sensitive fields at rest: AES-256-GCM with a key id on every value, and
//! keyed blind indexes (HMAC-SHA256) for finding a patron by card number or
//! email without decrypting anything.
//!
//! An encrypted value is `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The
//! library and the field are bound in as associated data, so a ciphertext
//! copied into another library's row, or into another column, does not open.
//! Blind indexes deliberately leave the library out: the consortium must be
//! able to ask "which libraries have a patron with this email?" (and learn
//! only library ids).

use crate::ids::LibraryId;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::HashMap;
use std::fmt;

/// Why a key ring could not be built or a value not encrypted or decrypted.
/// Never carries the value itself.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncryptionError {
    /// A configured key is not 32 bytes of base64.
    #[error("key {0:?} is not 32 bytes of base64")]
    BadKey(String),
    /// The key ring names no current key, or its current key is not in the ring.
    #[error("the current key {0:?} is not among the configured keys")]
    NoCurrentKey(String),
    /// A key id has characters other than letters, digits, `-` and `_`.
    #[error("key id {0:?} may hold only letters, digits, - and _")]
    BadKeyId(String),
    /// An encrypted value names a key this ring does not hold.
    #[error("the value was encrypted with key {0:?}, which is not configured")]
    UnknownKey(String),
    /// The value is not in the encrypted format, or does not authenticate.
    #[error("an encrypted value is damaged or belongs to another library or field")]
    Damaged,
}

/// The keys custodian encrypts with and indexes with.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: HashMap<String, Aes256Gcm>,
    index_key: Vec<u8>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<_> = self.keys.keys().collect();
        ids.sort();
        write!(f, "Keyring(current {:?}, keys {:?})", self.current, ids)
    }
}

fn decode_key(id: &str, b64: &str) -> Result<[u8; 32], EncryptionError> {
    let bytes = STANDARD
        .decode(b64.trim())
        .map_err(|_| EncryptionError::BadKey(id.to_owned()))?;
    bytes
        .try_into()
        .map_err(|_| EncryptionError::BadKey(id.to_owned()))
}

/// A new random 32-byte key as base64, for generated development keys.
pub fn generate_key() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    STANDARD.encode(key)
}

impl Keyring {
    /// Builds a ring from `(id, base64 key)` pairs, the id of the key new values are encrypted with, and the index key.
    pub fn new(
        keys: &[(String, String)],
        current: &str,
        index_key: &str,
    ) -> Result<Self, EncryptionError> {
        let mut ring = HashMap::new();
        for (id, b64) in keys {
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(EncryptionError::BadKeyId(id.clone()));
            }
            let key = decode_key(id, b64)?;
            ring.insert(id.clone(), Aes256Gcm::new(&key.into()));
        }
        if !ring.contains_key(current) {
            return Err(EncryptionError::NoCurrentKey(current.to_owned()));
        }
        let index_key = decode_key("index", index_key)?.to_vec();
        Ok(Keyring {
            current: current.to_owned(),
            keys: ring,
            index_key,
        })
    }

    /// The id of the key new values are encrypted with.
    pub fn current_key_id(&self) -> &str {
        &self.current
    }

    fn aad(library: LibraryId, field: &str) -> Vec<u8> {
        format!("custodian/v1/{}/{field}", library.0).into_bytes()
    }

    /// The nonce, then the ciphertext and tag, under the current key.
    fn seal(
        &self,
        library: LibraryId,
        field: &str,
        msg: &[u8],
    ) -> Result<Vec<u8>, EncryptionError> {
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or_else(|| EncryptionError::NoCurrentKey(self.current.clone()))?;
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = Self::aad(library, field);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg, aad: &aad })
            .map_err(|_| EncryptionError::Damaged)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens what [`Keyring::seal`] made under `key_id`.
    fn open(
        &self,
        key_id: &str,
        library: LibraryId,
        field: &str,
        raw: &[u8],
    ) -> Result<Vec<u8>, EncryptionError> {
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| EncryptionError::UnknownKey(key_id.to_owned()))?;
        if raw.len() < 12 + 16 {
            return Err(EncryptionError::Damaged);
        }
        let (nonce, ct) = raw.split_at(12);
        let aad = Self::aad(library, field);
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| EncryptionError::Damaged)
    }

    /// Encrypts `plaintext` for `field` of a row of `library`.
    pub fn encrypt(
        &self,
        library: LibraryId,
        field: &str,
        plaintext: &str,
    ) -> Result<String, EncryptionError> {
        let out = self.seal(library, field, plaintext.as_bytes())?;
        Ok(format!(
            "v1.{}.{}",
            self.current,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Decrypts a value encrypted by [`Keyring::encrypt`] for the same library and field.
    pub fn decrypt(
        &self,
        library: LibraryId,
        field: &str,
        ciphertext: &str,
    ) -> Result<String, EncryptionError> {
        let mut parts = ciphertext.splitn(3, '.');
        let (Some("v1"), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(EncryptionError::Damaged);
        };
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| EncryptionError::Damaged)?;
        let plain = self.open(key_id, library, field, &raw)?;
        String::from_utf8(plain).map_err(|_| EncryptionError::Damaged)
    }

    /// Whether an encrypted value was made with a key other than the current one (and should be re-encrypted).
    ///
    /// A value under a patron's own key (`v2.p.`) never does: rotating the
    /// library key re-seals the patron's key instead.
    pub fn needs_rotation(&self, ciphertext: &str) -> bool {
        let mut parts = ciphertext.split('.');
        parts.next() == Some("v1") && parts.next().is_some_and(|id| id != self.current)
    }

    /// [`Keyring::needs_rotation`] for bytes sealed by [`Keyring::encrypt_bytes`].
    pub fn bytes_need_rotation(&self, sealed: &[u8]) -> bool {
        let Some(rest) = sealed.strip_prefix(b"v1.") else {
            return false;
        };
        let id = self.current.as_bytes();
        !(rest.len() > id.len() && rest.starts_with(id) && rest[id.len()] == b'.')
    }

    /// The blind index of a value of `kind` (`card` or `email`), after normalizing it.
    pub fn blind_index(&self, kind: BlindKind, value: &str) -> Vec<u8> {
        let normalized = kind.normalize(value);
        // HMAC accepts keys of any length, so this cannot fail; fall back to an
        // empty MAC input rather than panicking on a request path.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key) else {
            return Vec::new();
        };
        mac.update(kind.label().as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A key for `purpose` derived from the index key (which is never rotated), so
    /// that what is signed with it stays checkable for as long as the ring is kept.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key) else {
            return out;
        };
        // A label no blind index kind uses, so a derived key is never an index value.
        mac.update(b"custodian-derived-key");
        mac.update(&[0]);
        mac.update(purpose.as_bytes());
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }
}

/// What a blind index is of; each kind is normalized its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlindKind {
    /// A library card number: digits and letters, spaces and dashes ignored, case ignored.
    Card,
    /// An email address: surrounding space and case ignored.
    Email,
}

impl BlindKind {
    fn label(self) -> &'static str {
        match self {
            BlindKind::Card => "card",
            BlindKind::Email => "email",
        }
    }

    fn normalize(self, value: &str) -> String {
        match self {
            BlindKind::Card => normalize_card(value),
            BlindKind::Email => value.trim().to_lowercase(),
        }
    }
}

/// A card number as look-ups and the sign-in throttle both see it: letters and
/// digits only, upper case.
///
/// One function for both, so a card written `9206.355424` or `/9206355424`
/// reaches the same card and the same failure counter.
pub fn normalize_card(card: &str) -> String {
    card.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

// Documents are bytes, not text: sealing them as base64 text would grow a
// 10 MiB order by a third twice over.
impl Keyring {
    /// Encrypts `plaintext` bytes for `field` of a row of `library`: `v1.<key id>.`
    /// followed by the nonce, the ciphertext and the tag, raw.
    pub fn encrypt_bytes(
        &self,
        library: LibraryId,
        field: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EncryptionError> {
        let sealed = self.seal(library, field, plaintext)?;
        let mut out = format!("v1.{}.", self.current).into_bytes();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts bytes encrypted by [`Keyring::encrypt_bytes`] for the same library and field.
    pub fn decrypt_bytes(
        &self,
        library: LibraryId,
        field: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, EncryptionError> {
        let rest = sealed
            .strip_prefix(b"v1.")
            .ok_or(EncryptionError::Damaged)?;
        let dot = rest
            .iter()
            .position(|b| *b == b'.')
            .ok_or(EncryptionError::Damaged)?;
        let key_id = std::str::from_utf8(&rest[..dot]).map_err(|_| EncryptionError::Damaged)?;
        self.open(key_id, library, field, &rest[dot + 1..])
    }
}

/// The prefix of a value sealed under a patron's own data key.
pub const PATRON_SEALED: &str = "v2.p.";

/// One patron's data key, open, in memory only. Its sealed form lives in the
/// key store, apart from the data: deleting it leaves every copy of the
/// patron's fields, backups included, sealed for good.
#[derive(Clone)]
pub struct PatronKey {
    cipher: Aes256Gcm,
    library: LibraryId,
    patron: i64,
}

impl fmt::Debug for PatronKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PatronKey(library {}, patron {})",
            self.library.0, self.patron
        )
    }
}

fn patron_key_field(patron: i64) -> String {
    format!("patron_key/{patron}")
}

impl Keyring {
    /// A fresh random data key for `patron`, and its sealed form under the
    /// library's current key (`v1.<key id>.…`, bound to library and patron).
    pub fn new_patron_key(
        &self,
        library: LibraryId,
        patron: i64,
    ) -> Result<(PatronKey, String), EncryptionError> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let sealed = self.seal(library, &patron_key_field(patron), &raw)?;
        let key = PatronKey {
            cipher: Aes256Gcm::new(&raw.into()),
            library,
            patron,
        };
        raw.fill(0);
        Ok((
            key,
            format!("v1.{}.{}", self.current, URL_SAFE_NO_PAD.encode(sealed)),
        ))
    }

    /// Opens a sealed data key made by [`Keyring::new_patron_key`] for the same library and patron.
    pub fn open_patron_key(
        &self,
        library: LibraryId,
        patron: i64,
        sealed: &str,
    ) -> Result<PatronKey, EncryptionError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(EncryptionError::Damaged);
        };
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| EncryptionError::Damaged)?;
        let mut key = self.open(key_id, library, &patron_key_field(patron), &raw)?;
        let bytes: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| EncryptionError::Damaged)?;
        key.fill(0);
        Ok(PatronKey {
            cipher: Aes256Gcm::new(&bytes.into()),
            library,
            patron,
        })
    }

    /// The same data key sealed again under the current library key; the
    /// patron's fields are untouched, which is what makes rotation cheap.
    pub fn reseal_patron_key(
        &self,
        library: LibraryId,
        patron: i64,
        sealed: &str,
    ) -> Result<String, EncryptionError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(EncryptionError::Damaged);
        };
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| EncryptionError::Damaged)?;
        let field = patron_key_field(patron);
        let mut key = self.open(key_id, library, &field, &raw)?;
        let out = self.seal(library, &field, &key);
        key.fill(0);
        Ok(format!(
            "v1.{}.{}",
            self.current,
            URL_SAFE_NO_PAD.encode(out?)
        ))
    }
}

impl PatronKey {
    fn aad(&self, field: &str) -> Vec<u8> {
        format!("custodian/v2/{}/{}/{field}", self.library.0, self.patron).into_bytes()
    }

    /// Seals `plaintext` for `field` of this patron: `v2.p.<base64url(nonce ‖ ciphertext ‖ tag)>`.
    pub fn encrypt(&self, field: &str, plaintext: &str) -> Result<String, EncryptionError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = self.aad(field);
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| EncryptionError::Damaged)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{PATRON_SEALED}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a value sealed by [`PatronKey::encrypt`] for the same field.
    pub fn decrypt(&self, field: &str, sealed: &str) -> Result<String, EncryptionError> {
        let body = sealed
            .strip_prefix(PATRON_SEALED)
            .ok_or(EncryptionError::Damaged)?;
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| EncryptionError::Damaged)?;
        if raw.len() < 12 + 16 {
            return Err(EncryptionError::Damaged);
        }
        let (nonce, ct) = raw.split_at(12);
        let aad = self.aad(field);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| EncryptionError::Damaged)?;
        String::from_utf8(plain).map_err(|_| EncryptionError::Damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(current: &str) -> Keyring {
        Keyring::new(
            &[
                ("k1".into(), STANDARD.encode([1u8; 32])),
                ("k2".into(), STANDARD.encode([2u8; 32])),
            ],
            current,
            &STANDARD.encode([9u8; 32]),
        )
        .unwrap()
    }

    #[test]
    fn ciphertexts_decrypt_only_for_their_library_and_field() {
        let r = ring("k1");
        let ciphertext = r.encrypt(LibraryId(1), "name", "Ada Lovelace").unwrap();
        assert!(ciphertext.starts_with("v1.k1."));
        assert!(!ciphertext.contains("Ada"));
        assert_eq!(
            r.decrypt(LibraryId(1), "name", &ciphertext).unwrap(),
            "Ada Lovelace"
        );
        assert_eq!(
            r.decrypt(LibraryId(2), "name", &ciphertext),
            Err(EncryptionError::Damaged)
        );
        assert_eq!(
            r.decrypt(LibraryId(1), "email", &ciphertext),
            Err(EncryptionError::Damaged)
        );
        let mut tampered = ciphertext.clone();
        tampered.pop();
        tampered.push(if ciphertext.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            r.decrypt(LibraryId(1), "name", &tampered),
            Err(EncryptionError::Damaged)
        );
    }

    #[test]
    fn the_same_value_encrypts_differently_each_time() {
        let r = ring("k1");
        assert_ne!(
            r.encrypt(LibraryId(1), "name", "x").unwrap(),
            r.encrypt(LibraryId(1), "name", "x").unwrap()
        );
    }

    #[test]
    fn rotated_keys_still_open_old_values() {
        let old = ring("k1")
            .encrypt(LibraryId(1), "phone", "555-0100")
            .unwrap();
        let rotated = ring("k2");
        assert!(rotated.needs_rotation(&old));
        assert_eq!(
            rotated.decrypt(LibraryId(1), "phone", &old).unwrap(),
            "555-0100"
        );
        let fresh = rotated.encrypt(LibraryId(1), "phone", "555-0100").unwrap();
        assert!(!rotated.needs_rotation(&fresh));
        let only_k2 = Keyring::new(
            &[("k2".into(), STANDARD.encode([2u8; 32]))],
            "k2",
            &STANDARD.encode([9u8; 32]),
        )
        .unwrap();
        assert_eq!(
            only_k2.decrypt(LibraryId(1), "phone", &old),
            Err(EncryptionError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn blind_indexes_normalize_and_ignore_the_key_of_the_day() {
        let r = ring("k1");
        assert_eq!(
            r.blind_index(BlindKind::Card, "2 1234-5678"),
            r.blind_index(BlindKind::Card, "212345678")
        );
        assert_eq!(
            r.blind_index(BlindKind::Email, " Ada@Example.org "),
            r.blind_index(BlindKind::Email, "ada@example.org")
        );
        assert_ne!(
            r.blind_index(BlindKind::Card, "123"),
            r.blind_index(BlindKind::Email, "123")
        );
        assert_eq!(
            ring("k2").blind_index(BlindKind::Card, "1"),
            r.blind_index(BlindKind::Card, "1")
        );
        assert_eq!(r.blind_index(BlindKind::Card, "1").len(), 32);
    }

    #[test]
    fn bad_configuration_is_named() {
        let bad = Keyring::new(
            &[("k1".into(), "short".into())],
            "k1",
            &STANDARD.encode([9u8; 32]),
        );
        assert_eq!(bad.unwrap_err(), EncryptionError::BadKey("k1".into()));
        let missing = Keyring::new(
            &[("k1".into(), STANDARD.encode([1u8; 32]))],
            "k9",
            &STANDARD.encode([9u8; 32]),
        );
        assert_eq!(
            missing.unwrap_err(),
            EncryptionError::NoCurrentKey("k9".into())
        );
        assert!(format!("{:?}", ring("k1")).contains("k1"));
        assert!(!format!("{:?}", ring("k1")).contains("AQEB"));
    }
    #[test]
    fn bytes_round_trip_and_stay_bound_to_library_and_field() {
        let r = ring("k1");
        let lib = LibraryId(7);
        let sealed = r.encrypt_bytes(lib, "doc", b"%PDF-1.7 \x00\xff").unwrap();
        assert!(sealed.starts_with(b"v1.k1."));
        assert_eq!(
            r.decrypt_bytes(lib, "doc", &sealed).unwrap(),
            b"%PDF-1.7 \x00\xff"
        );
        assert_eq!(
            r.decrypt_bytes(LibraryId(8), "doc", &sealed),
            Err(EncryptionError::Damaged)
        );
        assert_eq!(
            r.decrypt_bytes(lib, "other", &sealed),
            Err(EncryptionError::Damaged)
        );
    }
    #[test]
    fn patron_fields_open_only_with_their_patron_key() {
        let r = ring("k1");
        let lib = LibraryId(3);
        let (key, sealed_key) = r.new_patron_key(lib, 10).unwrap();
        assert!(sealed_key.starts_with("v1.k1."));
        let name = key.encrypt("name", "Ada Lovelace").unwrap();
        assert!(name.starts_with(PATRON_SEALED));
        // The library key alone opens nothing: the value is not under it.
        assert!(r.decrypt(lib, "name", &name).is_err());
        let reopened = r.open_patron_key(lib, 10, &sealed_key).unwrap();
        assert_eq!(reopened.decrypt("name", &name).unwrap(), "Ada Lovelace");
        assert!(reopened.decrypt("email", &name).is_err());
        assert!(r.open_patron_key(lib, 11, &sealed_key).is_err());
        assert!(r.open_patron_key(LibraryId(4), 10, &sealed_key).is_err());
        let (other, _) = r.new_patron_key(lib, 10).unwrap();
        assert!(other.decrypt("name", &name).is_err());
    }

    #[test]
    fn resealing_a_patron_key_keeps_the_fields_readable() {
        let lib = LibraryId(3);
        let (key, sealed_k1) = ring("k1").new_patron_key(lib, 5).unwrap();
        let phone = key.encrypt("phone", "555-0100").unwrap();
        let r2 = ring("k2");
        assert!(r2.needs_rotation(&sealed_k1));
        let sealed_k2 = r2.reseal_patron_key(lib, 5, &sealed_k1).unwrap();
        assert!(sealed_k2.starts_with("v1.k2."));
        assert!(!r2.needs_rotation(&sealed_k2));
        let only_k2 = Keyring::new(
            &[("k2".into(), STANDARD.encode([2u8; 32]))],
            "k2",
            &STANDARD.encode([9u8; 32]),
        )
        .unwrap();
        let opened = only_k2.open_patron_key(lib, 5, &sealed_k2).unwrap();
        assert_eq!(opened.decrypt("phone", &phone).unwrap(), "555-0100");
    }
}
