//! Confirmation links: a sender proves the From address is theirs before a
//! request that needs it reaches staff.

use super::{handler_name, kind_phrase, reference, Mailroom, MailroomError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use policy::requests::RequestStatus;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::requests as stored;
use store::{Access, LibraryId, LibraryTx, StoreError};

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

    /// What a confirmation link would confirm, without using it (what the
    /// page a link opens shows before the sender presses the button).
    pub fn check_link(
        &self,
        token: &str,
        now: NaiveDateTime,
    ) -> Result<LinkRequest, MailroomError> {
        let scope = token_scope(token).ok_or(MailroomError::LinkInvalid)?;
        let hash = token_hash(token);
        let target = self
            .store
            .read(scope, |tx| usable_link(tx, scope, &hash, now))?;
        self.described(scope, &target)
    }

    /// Confirms the request a link belongs to; the link is then spent.
    /// Returns what was confirmed and who will handle it.
    pub fn confirm(&self, token: &str, now: NaiveDateTime) -> Result<LinkRequest, MailroomError> {
        let scope = token_scope(token).ok_or(MailroomError::LinkInvalid)?;
        let hash = token_hash(token);
        let target = self.store.write(scope, |tx| {
            let target = usable_link(tx, scope, &hash, now)?;
            stored::confirm(tx, &self.keys, target.id, now)?;
            Ok::<_, MailroomError>(target)
        })?;
        self.described(scope, &target)
    }

    fn described(
        &self,
        scope: LibraryId,
        target: &stored::ConfirmTarget,
    ) -> Result<LinkRequest, MailroomError> {
        Ok(LinkRequest {
            handler: self
                .store
                .consortium(Access::Read, |c| handler_name(c, scope))?,
            asks_to: kind_phrase(&target.kind, &target.queue),
            reference: reference(scope, target.id),
        })
    }
}

/// The request behind a confirmation link, as its page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    /// Who will handle it: a library, or the consortium's office.
    pub handler: String,
    /// What the request asks, as its emails say it ("correct information held about you").
    pub asks_to: &'static str,
    /// Its number, as its emails give it (`R-3-12`).
    pub reference: String,
}

/// The request a confirmation link (by its token's hash) may still confirm.
/// A database failure stays a database failure, not a "link not valid".
fn usable_link(
    tx: &mut LibraryTx<'_>,
    scope: LibraryId,
    hash: &[u8],
    now: NaiveDateTime,
) -> Result<stored::ConfirmTarget, MailroomError> {
    let target = stored::by_confirm_hash(tx, hash).map_err(|e| match e {
        StoreError::NotFound => MailroomError::LinkInvalid,
        other => MailroomError::Store(other),
    })?;
    if target.status != RequestStatus::AwaitingConfirmation.as_str() {
        // Confirmed through this link; a request that lapsed unconfirmed kept
        // its expiry and is told as expired below.
        if target.expires.is_none() {
            return Err(MailroomError::LinkSpent {
                reference: reference(scope, target.id),
            });
        }
        return Err(MailroomError::LinkExpired);
    }
    if target.expires.is_some_and(|e| e <= now) {
        return Err(MailroomError::LinkExpired);
    }
    Ok(target)
}
