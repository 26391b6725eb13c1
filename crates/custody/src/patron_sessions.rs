//! Patrons' sessions with their library: who holds a card, and the sessions
//! a card and PIN open. PIN verification is the caller's (it owns password
//! hashing and its limits); custody looks up and stores.

use crate::actor::PatronSelf;
use crate::error::CustodyResult;
use crate::values::CardNumber;
use crate::Custody;
use chrono::NaiveDateTime;
use store::{libraries, patrons, Access, StoreError};

pub use store::time::rfc3339;
pub use store::{LibraryId, PatronId};

/// What is known about a card number presented at a library's sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardHolder {
    /// No library has that slug.
    NoLibrary,
    /// The library exists; `holder` is the patron holding the card there and
    /// their PIN hash, if anyone does.
    At {
        /// The library.
        library: LibraryId,
        /// The patron and their PIN hash.
        holder: Option<(PatronId, String)>,
    },
}

/// The name failed sign-ins are counted under: the library and the card, however it was typed.
pub fn attempt_key(slug: &str, card: &CardNumber) -> String {
    format!(
        "{slug}:{}",
        store::encryption::normalize_card(card.as_str())
    )
}

/// Who holds `card` at the library with this slug.
pub fn card_holder(custody: &Custody, slug: &str, card: &CardNumber) -> CustodyResult<CardHolder> {
    let store = custody.store();
    let library = match store.consortium(Access::Read, |c| libraries::by_slug(c, slug)) {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Ok(CardHolder::NoLibrary),
        Err(e) => return Err(e.into()),
    };
    let holder = match store.read(library.id, |tx| {
        patrons::pin_by_card(tx, custody.keys(), card.as_str())
    }) {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(CardHolder::At {
        library: library.id,
        holder,
    })
}

/// Opens a session for a patron whose PIN was verified, stored under the token's hash.
pub fn start(
    custody: &Custody,
    who: &PatronSelf,
    token_hash: &[u8],
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> CustodyResult<()> {
    custody.store().write(who.library, |tx| {
        patrons::create_session(tx, token_hash, who.patron, now, expires_at)
    })?;
    // A count of the library's sign-ins today, nothing about who.
    custody
        .counters()
        .add(who.library, policy::statistics::SIGN_INS);
    Ok(())
}

/// The patron behind a live session token hash at `library`, if any: a
/// session unused for `idle` has ended.
pub fn patron_of(
    custody: &Custody,
    library: LibraryId,
    token_hash: &[u8],
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> CustodyResult<Option<PatronId>> {
    match custody.store().read(library, |tx| {
        patrons::session_patron(tx, token_hash, now, now - idle)
    }) {
        Ok((p, seen)) => {
            if seen < now - crate::accounts::SESSION_TOUCH_EVERY {
                custody
                    .store()
                    .write(library, |tx| patrons::touch_session(tx, token_hash, now))?;
            }
            Ok(Some(p))
        }
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Ends the session with this token hash.
pub fn end(
    custody: &Custody,
    who: &PatronSelf,
    token_hash: &[u8],
    now: NaiveDateTime,
) -> CustodyResult<()> {
    custody.store().write(who.library, |tx| {
        patrons::revoke_sessions(tx, who.patron, Some(token_hash), now)
    })?;
    Ok(())
}
