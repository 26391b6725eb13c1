//! Confirmation links: a sender proves the From address is theirs before a
//! request that needs it reaches staff.

use super::{handler_name, Mailroom, MailroomError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use policy::requests::RequestStatus;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::requests as stored;
use store::{Access, LibraryId, LibraryTx, MailRequestId, StoreError};

pub(super) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A fresh confirmation token for a request in `library`: the scope is in
/// the clear (it only says where to look), the rest is 256 random bits.
pub(super) fn new_token(library: LibraryId) -> String {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    format!("c{}.{}", library.0, URL_SAFE_NO_PAD.encode(secret))
}

fn token_scope(token: &str) -> Option<LibraryId> {
    let (scope, secret) = token.strip_prefix('c')?.split_once('.')?;
    if secret.len() != 43 {
        return None;
    }
    scope.parse::<i64>().ok().filter(|n| *n >= 0).map(LibraryId)
}

impl Mailroom {
    pub(super) fn link(&self, token: &str) -> String {
        format!(
            "{}/requests/confirm/{token}",
            self.settings.public_url.trim_end_matches('/')
        )
    }

    /// Whether a confirmation link would work, without using it (what the
    /// page a link opens shows before the sender presses the button).
    pub fn check_link(&self, token: &str, now: NaiveDateTime) -> Result<String, MailroomError> {
        let scope = token_scope(token).ok_or(MailroomError::LinkInvalid)?;
        let hash = token_hash(token);
        self.store
            .read(scope, |tx| usable_link(tx, &hash, now).map(|_| ()))?;
        Ok(self
            .store
            .consortium(Access::Read, |c| handler_name(c, scope))?)
    }

    /// Confirms the request a link belongs to; the link is then spent.
    /// Returns who will handle it.
    pub fn confirm(&self, token: &str, now: NaiveDateTime) -> Result<String, MailroomError> {
        let scope = token_scope(token).ok_or(MailroomError::LinkInvalid)?;
        let hash = token_hash(token);
        self.store.write(scope, |tx| {
            let id = usable_link(tx, &hash, now)?;
            Ok::<_, MailroomError>(stored::confirm(tx, &self.keys, id, now)?)
        })?;
        Ok(self
            .store
            .consortium(Access::Read, |c| handler_name(c, scope))?)
    }
}

/// The request a confirmation link (by its token's hash) may still confirm.
/// A database failure stays a database failure, not a "link not valid".
fn usable_link(
    tx: &mut LibraryTx<'_>,
    hash: &[u8],
    now: NaiveDateTime,
) -> Result<MailRequestId, MailroomError> {
    let (id, status, expires) = stored::by_confirm_hash(tx, hash).map_err(|e| match e {
        StoreError::NotFound => MailroomError::LinkInvalid,
        other => MailroomError::Store(other),
    })?;
    if status != RequestStatus::AwaitingConfirmation.as_str() {
        return Err(MailroomError::LinkInvalid);
    }
    if expires.is_some_and(|e| e <= now) {
        return Err(MailroomError::LinkExpired);
    }
    Ok(id)
}
