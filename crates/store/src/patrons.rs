//! Patrons of the scoped library: identifying fields sealed at rest, found by
//! blind index, never by decrypting a table.
//!
//! Each patron's fields (and consents' "given by") are sealed under the
//! patron's own data key (`v2.p.…`); that key, sealed under the library key,
//! lives in the key store (`keystore.patron_keys`), apart from the data.
//! Deleting a patron deletes the key first, so every copy of their fields,
//! old backups included, stays sealed for good. Values written before
//! per-patron keys (`v1.…`, under the library key) still open, and
//! `custodian keys rotate` moves them under the patron's key.

use crate::encryption::{BlindKind, Keyring, PatronKey, PATRON_SEALED};
use crate::error::{StoreError, StoreResult};
use crate::ids::{LibraryId, PatronId};
use crate::schema::{patron_consents, patron_keys, patrons, record_links};
use crate::sequence::{self, IdSpace};
use crate::tenant::LibraryTx;
use crate::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a patron's record holds, in clear (as the application sees it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatronData {
    /// The library card number.
    pub card_number: String,
    /// Full name.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Date of birth.
    pub birth_date: Option<NaiveDate>,
    /// Name and contact of the guardian of a minor.
    pub guardian: Option<String>,
}

/// A patron as stored and opened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Patron {
    /// Id within the library.
    pub id: PatronId,
    /// The identifying data, opened.
    pub data: PatronData,
    /// Keep checkout history after return (off unless the patron opts in).
    pub keep_history: bool,
    /// How the patron wants to be contacted: email, phone, mail or none.
    pub contact_by: String,
    /// When the patron asked for deletion, if they did.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub deletion_requested_at: Option<NaiveDateTime>,
    /// When the record was created.
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: NaiveDateTime,
    /// When it last changed.
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: NaiveDateTime,
    /// An email address the patron asked for and has not confirmed yet; not
    /// used for anything until they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_email: Option<String>,
}

/// One line of a patron list: enough to pick the right person, no more.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatronSummary {
    /// Id within the library.
    pub id: PatronId,
    /// The card's last four characters.
    pub card_last4: String,
    /// Full name (staff need it to tell patrons apart).
    pub name: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = patrons)]
struct Row {
    id: i64,
    card_sealed: String,
    name_sealed: String,
    address_sealed: Option<String>,
    email_sealed: Option<String>,
    phone_sealed: Option<String>,
    birth_date_sealed: Option<String>,
    guardian_sealed: Option<String>,
    keep_history: bool,
    contact_by: String,
    deletion_requested_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    pending_email_sealed: Option<String>,
}

/// The encryption label of a pending email: a pending ciphertext cannot be
/// copied into `email_sealed` and opened as the address in force.
const PENDING_EMAIL: &str = "pending_email";

/// The text of the error for a value whose patron key is gone.
const ERASED: &str = "the patron's key has been erased";

fn seal(key: &PatronKey, field: &str, v: &str) -> StoreResult<String> {
    key.encrypt(field, v)
        .map_err(|e| StoreError::Encryption(e.to_string()))
}

fn seal_opt(key: &PatronKey, field: &str, v: Option<&str>) -> StoreResult<Option<String>> {
    v.map(|v| seal(key, field, v)).transpose()
}

/// Opens a patron's value: under their own key (`v2.p.`), or, written before
/// per-patron keys, under the library key.
fn open(
    keys: &Keyring,
    key: Option<&PatronKey>,
    lib: LibraryId,
    field: &str,
    v: &str,
) -> StoreResult<String> {
    if v.starts_with(PATRON_SEALED) {
        let key = key.ok_or_else(|| StoreError::Encryption(ERASED.into()))?;
        return key
            .decrypt(field, v)
            .map_err(|e| StoreError::Encryption(e.to_string()));
    }
    keys.decrypt(lib, field, v)
        .map_err(|e| StoreError::Encryption(e.to_string()))
}

fn open_opt(
    keys: &Keyring,
    key: Option<&PatronKey>,
    lib: LibraryId,
    field: &str,
    v: Option<&str>,
) -> StoreResult<Option<String>> {
    v.map(|v| open(keys, key, lib, field, v)).transpose()
}

/// The patron's data key from the key store, opened; `None` when it has none
/// (erased, or a patron from before per-patron keys).
pub(crate) fn key_of(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: PatronId,
) -> StoreResult<Option<PatronKey>> {
    let lib = tx.library_id();
    let sealed: Option<String> = patron_keys::table
        .filter(patron_keys::library_id.eq(lib.0))
        .filter(patron_keys::patron_id.eq(id.0))
        .select(patron_keys::key_sealed)
        .first(tx.conn())
        .optional()?;
    sealed
        .map(|s| {
            keys.open_patron_key(lib, id.0, &s)
                .map_err(|e| StoreError::Encryption(e.to_string()))
        })
        .transpose()
}

/// The data keys of several patrons in one query, for lists.
fn keys_of(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    ids: &[i64],
) -> StoreResult<HashMap<i64, PatronKey>> {
    let lib = tx.library_id();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> = patron_keys::table
        .filter(patron_keys::library_id.eq(lib.0))
        .filter(patron_keys::patron_id.eq_any(ids))
        .select((patron_keys::patron_id, patron_keys::key_sealed))
        .load(tx.conn())?;
    rows.into_iter()
        .map(|(id, s)| {
            keys.open_patron_key(lib, id, &s)
                .map(|k| (id, k))
                .map_err(|e| StoreError::Encryption(e.to_string()))
        })
        .collect()
}

/// The patron's data key, made and stored now if they have none yet.
pub(crate) fn ensure_key(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: PatronId,
    now: NaiveDateTime,
) -> StoreResult<PatronKey> {
    if let Some(key) = key_of(tx, keys, id)? {
        return Ok(key);
    }
    let lib = tx.library_id();
    let (key, sealed) = keys
        .new_patron_key(lib, id.0)
        .map_err(|e| StoreError::Encryption(e.to_string()))?;
    diesel::insert_into(patron_keys::table)
        .values((
            patron_keys::library_id.eq(lib.0),
            patron_keys::patron_id.eq(id.0),
            patron_keys::key_sealed.eq(sealed),
            patron_keys::created_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(key)
}

/// Deletes the patron's data key from the key store: from then on no copy of
/// their sealed fields opens, wherever it is kept.
pub fn erase_key(tx: &mut LibraryTx<'_>, id: PatronId) -> StoreResult<bool> {
    let lib = tx.library_id();
    let n = diesel::delete(
        patron_keys::table
            .filter(patron_keys::library_id.eq(lib.0))
            .filter(patron_keys::patron_id.eq(id.0)),
    )
    .execute(tx.conn())?;
    Ok(n > 0)
}

/// Seals every field of patron `id` under their own key (made now if they
/// have none), for `custodian keys rotate`; a field already there is sealed afresh.
pub(crate) fn reseal_under_own_key(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: PatronId,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id();
    let row: Row = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.eq(id.0))
        .select(Row::as_select())
        .first(tx.conn())?;
    let key = &ensure_key(tx, keys, id, now)?;
    let p = row.open(keys, Some(key), lib)?;
    let d = &p.data;
    let birth = d.birth_date.map(|b| b.to_string());
    // `updated_at` stays: nothing about the patron changed.
    diesel::update(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .set((
        patrons::card_sealed.eq(seal(key, "card", &d.card_number)?),
        patrons::name_sealed.eq(seal(key, "name", &d.name)?),
        patrons::address_sealed.eq(seal_opt(key, "address", d.address.as_deref())?),
        patrons::email_sealed.eq(seal_opt(key, "email", d.email.as_deref())?),
        patrons::phone_sealed.eq(seal_opt(key, "phone", d.phone.as_deref())?),
        patrons::birth_date_sealed.eq(seal_opt(key, "birth_date", birth.as_deref())?),
        patrons::guardian_sealed.eq(seal_opt(key, "guardian", d.guardian.as_deref())?),
        patrons::pending_email_sealed.eq(seal_opt(key, PENDING_EMAIL, p.pending_email.as_deref())?),
    ))
    .execute(tx.conn())?;
    Ok(())
}

/// Seals consent `consent`'s "given by" under its patron's key, for `custodian keys rotate`.
pub(crate) fn reseal_consent(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    consent: i64,
    patron: PatronId,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id();
    let sealed: String = patron_consents::table
        .filter(patron_consents::library_id.eq(lib.0))
        .filter(patron_consents::id.eq(consent))
        .select(patron_consents::given_by_sealed)
        .first(tx.conn())?;
    let key = ensure_key(tx, keys, patron, now)?;
    let given = open(keys, Some(&key), lib, "consent_given_by", &sealed)?;
    diesel::update(
        patron_consents::table
            .filter(patron_consents::library_id.eq(lib.0))
            .filter(patron_consents::id.eq(consent)),
    )
    .set(patron_consents::given_by_sealed.eq(seal(&key, "consent_given_by", &given)?))
    .execute(tx.conn())?;
    Ok(())
}

/// Opens one sealed field of patron `id` as found anywhere (a backup copy,
/// say) with the keys in force now: fails once the patron's key is erased.
pub fn open_sealed_field(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: PatronId,
    field: &str,
    sealed: &str,
) -> StoreResult<String> {
    let lib = tx.library_id();
    let key = key_of(tx, keys, id)?;
    open(keys, key.as_ref(), lib, field, sealed)
}

fn last4(card: &str) -> String {
    let chars: Vec<char> = card.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

impl Row {
    fn open(self, keys: &Keyring, key: Option<&PatronKey>, lib: LibraryId) -> StoreResult<Patron> {
        let k = key;
        let birth_date = open_opt(
            keys,
            k,
            lib,
            "birth_date",
            self.birth_date_sealed.as_deref(),
        )?
        .map(|d| {
            d.parse::<NaiveDate>()
                .map_err(|_| StoreError::Encryption("a birth date is damaged".into()))
        })
        .transpose()?;
        Ok(Patron {
            id: PatronId(self.id),
            data: PatronData {
                card_number: open(keys, k, lib, "card", &self.card_sealed)?,
                name: open(keys, k, lib, "name", &self.name_sealed)?,
                address: open_opt(keys, k, lib, "address", self.address_sealed.as_deref())?,
                email: open_opt(keys, k, lib, "email", self.email_sealed.as_deref())?,
                phone: open_opt(keys, k, lib, "phone", self.phone_sealed.as_deref())?,
                birth_date,
                guardian: open_opt(keys, k, lib, "guardian", self.guardian_sealed.as_deref())?,
            },
            keep_history: self.keep_history,
            contact_by: self.contact_by,
            deletion_requested_at: self.deletion_requested_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            pending_email: open_opt(
                keys,
                k,
                lib,
                PENDING_EMAIL,
                self.pending_email_sealed.as_deref(),
            )?,
        })
    }
}

/// Registers a patron with a hashed PIN; a card number already in use at this library is a conflict.
pub fn create(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    data: &PatronData,
    pin_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Patron> {
    let ids = create_many(tx, keys, std::slice::from_ref(data), pin_hash, now)?;
    let id = ids.first().copied().ok_or(StoreError::NotFound)?;
    get(tx, keys, id)
}

/// One patron of the scoped library, opened.
pub fn get(tx: &mut LibraryTx<'_>, keys: &Keyring, id: PatronId) -> StoreResult<Patron> {
    let lib = tx.library_id();
    let row: Row = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.eq(id.0))
        .select(Row::as_select())
        .first(tx.conn())?;
    let key = key_of(tx, keys, id)?;
    row.open(keys, key.as_ref(), lib)
}

/// The patron holding this card at the scoped library.
pub fn by_card(tx: &mut LibraryTx<'_>, keys: &Keyring, card: &str) -> StoreResult<PatronId> {
    let lib = tx.library_id();
    let id: i64 = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::card_index.eq(keys.blind_index(BlindKind::Card, card)))
        .select(patrons::id)
        .first(tx.conn())?;
    Ok(PatronId(id))
}

/// The PIN hash behind a card, for patron sign-in.
pub fn pin_by_card(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    card: &str,
) -> StoreResult<(PatronId, String)> {
    let lib = tx.library_id();
    let (id, hash): (i64, String) = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::card_index.eq(keys.blind_index(BlindKind::Card, card)))
        .select((patrons::id, patrons::pin_hash))
        .first(tx.conn())?;
    Ok((PatronId(id), hash))
}

/// What a list shows for a patron whose key is gone but whose row is not (a
/// deletion interrupted between the key store and the data).
const ERASED_NAME: &str = "[erased]";

fn summaries(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    rows: Vec<(i64, String, String)>,
) -> StoreResult<Vec<PatronSummary>> {
    let lib = tx.library_id();
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    // One query for the page's keys, not one per patron.
    let found = keys_of(tx, keys, &ids)?;
    rows.into_iter()
        .map(|(id, card_last4, name)| {
            let key = found.get(&id);
            let name = if key.is_none() && name.starts_with(PATRON_SEALED) {
                ERASED_NAME.to_owned()
            } else {
                open(keys, key, lib, "name", &name)?
            };
            Ok(PatronSummary {
                id: PatronId(id),
                card_last4,
                name,
            })
        })
        .collect()
}

/// The patron holding this card at the scoped library, as a list shows them (no other field is opened).
pub fn summary_by_card(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    card: &str,
) -> StoreResult<Vec<PatronSummary>> {
    let lib = tx.library_id();
    let rows: Vec<(i64, String, String)> = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::card_index.eq(keys.blind_index(BlindKind::Card, card)))
        .select((patrons::id, patrons::card_last4, patrons::name_sealed))
        .load(tx.conn())?;
    summaries(tx, keys, rows)
}

/// Patrons of the scoped library with this email address.
pub fn by_email(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    email: &str,
) -> StoreResult<Vec<PatronSummary>> {
    let lib = tx.library_id();
    let rows: Vec<(i64, String, String)> = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::email_index.eq(keys.blind_index(BlindKind::Email, email)))
        .select((patrons::id, patrons::card_last4, patrons::name_sealed))
        .order(patrons::id)
        .limit(100)
        .load(tx.conn())?;
    summaries(tx, keys, rows)
}

/// Patrons of the scoped library by id, after `after`, at most `limit`.
pub fn list(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    after: Option<PatronId>,
    limit: i64,
) -> StoreResult<Vec<PatronSummary>> {
    let lib = tx.library_id();
    let rows: Vec<(i64, String, String)> = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.gt(after.map_or(0, |p| p.0)))
        .select((patrons::id, patrons::card_last4, patrons::name_sealed))
        .order(patrons::id)
        .limit(limit)
        .load(tx.conn())?;
    summaries(tx, keys, rows)
}

/// A change to a patron's data; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatronChange {
    /// New name.
    pub name: Option<String>,
    /// New address, or none.
    pub address: Option<Option<String>>,
    /// New email, or none.
    pub email: Option<Option<String>>,
    /// New phone, or none.
    pub phone: Option<Option<String>>,
    /// New date of birth, or none.
    pub birth_date: Option<Option<NaiveDate>>,
    /// New guardian, or none.
    pub guardian: Option<Option<String>>,
    /// How to be contacted.
    pub contact_by: Option<String>,
}

/// Applies a change to a patron's data and returns the patron.
pub fn update(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: PatronId,
    change: &PatronChange,
    now: NaiveDateTime,
) -> StoreResult<Patron> {
    #[derive(AsChangeset, Default)]
    #[diesel(table_name = patrons)]
    struct Sealed {
        name_sealed: Option<String>,
        address_sealed: Option<Option<String>>,
        email_index: Option<Option<Vec<u8>>>,
        email_sealed: Option<Option<String>>,
        pending_email_index: Option<Option<Vec<u8>>>,
        pending_email_sealed: Option<Option<String>>,
        email_token_hash: Option<Option<Vec<u8>>>,
        email_token_expires_at: Option<Option<NaiveDateTime>>,
        phone_sealed: Option<Option<String>>,
        birth_date_sealed: Option<Option<String>>,
        guardian_sealed: Option<Option<String>>,
        contact_by: Option<String>,
        updated_at: Option<NaiveDateTime>,
    }
    let lib = tx.library_id();
    let birth = change.birth_date.map(|d| d.map(|d| d.to_string()));
    patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.eq(id.0))
        .select(patrons::id)
        .first::<i64>(tx.conn())?;
    let key = &ensure_key(tx, keys, id, now)?;
    let sealed = Sealed {
        name_sealed: change
            .name
            .as_deref()
            .map(|v| seal(key, "name", v))
            .transpose()?,
        address_sealed: change
            .address
            .as_ref()
            .map(|v| seal_opt(key, "address", v.as_deref()))
            .transpose()?,
        email_index: change
            .email
            .as_ref()
            .map(|v| v.as_deref().map(|e| keys.blind_index(BlindKind::Email, e))),
        email_sealed: change
            .email
            .as_ref()
            .map(|v| seal_opt(key, "email", v.as_deref()))
            .transpose()?,
        // An address set directly replaces any change waiting for
        // confirmation, and its link stops working.
        pending_email_index: change.email.as_ref().map(|_| None),
        pending_email_sealed: change.email.as_ref().map(|_| None),
        email_token_hash: change.email.as_ref().map(|_| None),
        email_token_expires_at: change.email.as_ref().map(|_| None),
        phone_sealed: change
            .phone
            .as_ref()
            .map(|v| seal_opt(key, "phone", v.as_deref()))
            .transpose()?,
        birth_date_sealed: birth
            .as_ref()
            .map(|v| seal_opt(key, "birth_date", v.as_deref()))
            .transpose()?,
        guardian_sealed: change
            .guardian
            .as_ref()
            .map(|v| seal_opt(key, "guardian", v.as_deref()))
            .transpose()?,
        contact_by: change.contact_by.clone(),
        updated_at: Some(now),
    };
    let n = diesel::update(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .set(&sealed)
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get(tx, keys, id)
}

/// Replaces a patron's PIN hash.
pub fn set_pin(
    tx: &mut LibraryTx<'_>,
    id: PatronId,
    pin_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id();
    let n = diesel::update(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .set((patrons::pin_hash.eq(pin_hash), patrons::updated_at.eq(now)))
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Records whether the patron keeps checkout history. Turning it off must
/// also unlink their returned loans (`records::unlink_returned_loans`) in the
/// same transaction: custody does both, so this module needs no records.
pub fn set_history_choice(
    tx: &mut LibraryTx<'_>,
    id: PatronId,
    keep: bool,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id();
    let n = diesel::update(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .set((patrons::keep_history.eq(keep), patrons::updated_at.eq(now)))
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Records that the patron asked for deletion (the library then acts on it).
pub fn request_deletion(
    tx: &mut LibraryTx<'_>,
    id: PatronId,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id();
    let n = diesel::update(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .set(patrons::deletion_requested_at.eq(now))
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes a patron: their consents and record links go with them, so their
/// records remain only as non-identifying facts. Records the library's policy
/// says to delete outright are deleted by the caller first.
///
/// The patron's key goes first, so that if anything after it fails the
/// patron is already unreadable everywhere rather than still readable in backups.
pub fn delete(tx: &mut LibraryTx<'_>, id: PatronId) -> StoreResult<()> {
    let lib = tx.library_id();
    erase_key(tx, id)?;
    diesel::delete(
        record_links::table
            .filter(record_links::library_id.eq(lib.0))
            .filter(record_links::patron_id.eq(id.0)),
    )
    .execute(tx.conn())?;
    diesel::delete(
        patron_consents::table
            .filter(patron_consents::library_id.eq(lib.0))
            .filter(patron_consents::patron_id.eq(id.0)),
    )
    .execute(tx.conn())?;
    let n = diesel::delete(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Merges a duplicate into the patron to keep: records and consents move over, the duplicate is deleted.
///
/// The duplicate's consents are sealed again under the kept patron's key
/// before the duplicate's key is erased.
pub fn merge(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    keep: PatronId,
    duplicate: PatronId,
) -> StoreResult<usize> {
    if keep == duplicate {
        return Err(StoreError::Conflict(
            "a patron cannot be merged into itself".into(),
        ));
    }
    let lib = tx.library_id();
    // Both must exist in this library.
    for id in [keep, duplicate] {
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0))
            .select(patrons::id)
            .first::<i64>(tx.conn())?;
    }
    let moved = diesel::update(
        record_links::table
            .filter(record_links::library_id.eq(lib.0))
            .filter(record_links::patron_id.eq(duplicate.0)),
    )
    .set(record_links::patron_id.eq(keep.0))
    .execute(tx.conn())?;
    let moving: Vec<(i64, String)> = patron_consents::table
        .filter(patron_consents::library_id.eq(lib.0))
        .filter(patron_consents::patron_id.eq(duplicate.0))
        .select((patron_consents::id, patron_consents::given_by_sealed))
        .load(tx.conn())?;
    if !moving.is_empty() {
        let from = key_of(tx, keys, duplicate)?;
        let to = ensure_key(tx, keys, keep, chrono::Utc::now().naive_utc())?;
        for (id, sealed) in moving {
            let given = open(keys, from.as_ref(), lib, "consent_given_by", &sealed)?;
            diesel::update(
                patron_consents::table
                    .filter(patron_consents::library_id.eq(lib.0))
                    .filter(patron_consents::id.eq(id)),
            )
            .set((
                patron_consents::patron_id.eq(keep.0),
                patron_consents::given_by_sealed.eq(seal(&to, "consent_given_by", &given)?),
            ))
            .execute(tx.conn())?;
        }
    }
    delete(tx, duplicate)?;
    Ok(moved)
}

/// Records `email` as the patron's pending address, with the hash of the
/// single-use link that confirms it; the address in force does not change.
/// A newer request replaces an older one, whose link then stops working.
pub fn request_email_change(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: PatronId,
    email: &str,
    token_hash: &[u8],
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id();
    patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.eq(id.0))
        .select(patrons::id)
        .first::<i64>(tx.conn())?;
    let key = ensure_key(tx, keys, id, now)?;
    let n = diesel::update(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .set((
        patrons::pending_email_index.eq(Some(keys.blind_index(BlindKind::Email, email))),
        patrons::pending_email_sealed.eq(Some(seal(&key, PENDING_EMAIL, email)?)),
        patrons::email_token_hash.eq(Some(token_hash)),
        patrons::email_token_expires_at.eq(Some(expires_at)),
        patrons::updated_at.eq(now),
    ))
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Whether an email-confirmation link is still good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailLink {
    /// It confirms this address for this patron.
    Usable(PatronId, String),
    /// It was good until it expired.
    Expired,
}

/// The patron and pending address an email-confirmation link is for;
/// `NotFound` when no pending change has this token (used, replaced, or never issued).
pub fn email_link(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    token_hash: &[u8],
    now: NaiveDateTime,
) -> StoreResult<EmailLink> {
    let lib = tx.library_id();
    let (id, sealed, expires): (i64, Option<String>, Option<NaiveDateTime>) = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::email_token_hash.eq(token_hash))
        .select((
            patrons::id,
            patrons::pending_email_sealed,
            patrons::email_token_expires_at,
        ))
        .first(tx.conn())?;
    let Some(sealed) = sealed else {
        return Err(StoreError::NotFound);
    };
    if expires.is_none_or(|e| e <= now) {
        return Ok(EmailLink::Expired);
    }
    let key = key_of(tx, keys, PatronId(id))?;
    Ok(EmailLink::Usable(
        PatronId(id),
        open(keys, key.as_ref(), lib, PENDING_EMAIL, &sealed)?,
    ))
}

/// Puts a confirmed pending address in force (its blind index with it) and
/// spends the link. Returns the patron, or the link's state when it is not usable.
pub fn confirm_email(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    token_hash: &[u8],
    now: NaiveDateTime,
) -> StoreResult<EmailLink> {
    let lib = tx.library_id();
    let link = email_link(tx, keys, token_hash, now)?;
    let EmailLink::Usable(id, email) = &link else {
        return Ok(link);
    };
    let index: Option<Vec<u8>> = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.eq(id.0))
        .select(patrons::pending_email_index)
        .first(tx.conn())?;
    let key = ensure_key(tx, keys, *id, now)?;
    diesel::update(
        patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq(id.0)),
    )
    .set((
        patrons::email_index.eq(index.unwrap_or_else(|| keys.blind_index(BlindKind::Email, email))),
        patrons::email_sealed.eq(Some(seal(&key, "email", email)?)),
        patrons::pending_email_index.eq(None::<Vec<u8>>),
        patrons::pending_email_sealed.eq(None::<String>),
        patrons::email_token_hash.eq(None::<Vec<u8>>),
        patrons::email_token_expires_at.eq(None::<NaiveDateTime>),
        patrons::updated_at.eq(now),
    ))
    .execute(tx.conn())?;
    Ok(link)
}

/// Which libraries hold a patron with this email: library ids only.
///
/// A consortium-wide question (routing an emailed request to the patron's own
/// library). On PostgreSQL it goes through the SECURITY DEFINER function
/// `libraries_with_patron_email`, since the application role sees one library at a time.
pub fn libraries_with_email(
    conn: &mut DbConn,
    keys: &Keyring,
    email: &str,
) -> StoreResult<Vec<LibraryId>> {
    use diesel::sql_types::{BigInt, Binary};
    #[derive(QueryableByName)]
    struct Lib {
        #[diesel(sql_type = BigInt)]
        library_id: i64,
    }
    let index = keys.blind_index(BlindKind::Email, email);
    let rows: Vec<Lib> = match conn {
        DbConn::Pg(c) => {
            diesel::sql_query("SELECT library_id FROM libraries_with_patron_email($1)")
                .bind::<Binary, _>(index)
                .load(c)?
        }
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT DISTINCT library_id FROM patrons WHERE email_index = ? ORDER BY 1",
        )
        .bind::<Binary, _>(index)
        .load(c)?,
    };
    Ok(rows.into_iter().map(|r| LibraryId(r.library_id)).collect())
}

/// Records a patron's sign-in under the token's hash.
pub fn create_session(
    tx: &mut LibraryTx<'_>,
    token_hash: &[u8],
    patron: PatronId,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    use crate::schema::patron_sessions as s;
    let lib = tx.library_id();
    diesel::insert_into(s::table)
        .values((
            s::library_id.eq(lib.0),
            s::token_hash.eq(token_hash),
            s::patron_id.eq(patron.0),
            s::created_at.eq(now),
            s::expires_at.eq(expires_at),
            s::last_seen_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// The patron behind a live session token hash (unrevoked, before its
/// expiry, used since `idle_since`), with when it was last used.
pub fn session_patron(
    tx: &mut LibraryTx<'_>,
    token_hash: &[u8],
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> StoreResult<(PatronId, NaiveDateTime)> {
    use crate::schema::patron_sessions as s;
    let lib = tx.library_id();
    let (id, seen): (i64, NaiveDateTime) = s::table
        .filter(s::library_id.eq(lib.0))
        .filter(s::token_hash.eq(token_hash))
        .filter(s::revoked_at.is_null())
        .filter(s::expires_at.gt(now))
        .filter(s::last_seen_at.gt(idle_since))
        .select((s::patron_id, s::last_seen_at))
        .first(tx.conn())?;
    Ok((PatronId(id), seen))
}

/// Marks a patron's session used at `now`.
pub fn touch_session(
    tx: &mut LibraryTx<'_>,
    token_hash: &[u8],
    now: NaiveDateTime,
) -> StoreResult<()> {
    use crate::schema::patron_sessions as s;
    let lib = tx.library_id();
    diesel::update(
        s::table
            .filter(s::library_id.eq(lib.0))
            .filter(s::token_hash.eq(token_hash)),
    )
    .set(s::last_seen_at.eq(now))
    .execute(tx.conn())?;
    Ok(())
}

/// Revokes one patron session; with `all`, every session of that patron (after a PIN change).
pub fn revoke_sessions(
    tx: &mut LibraryTx<'_>,
    patron: PatronId,
    only: Option<&[u8]>,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    use crate::schema::patron_sessions as s;
    let lib = tx.library_id();
    let mut q = diesel::update(s::table)
        .filter(s::library_id.eq(lib.0))
        .filter(s::patron_id.eq(patron.0))
        .filter(s::revoked_at.is_null())
        .into_boxed();
    if let Some(hash) = only {
        q = q.filter(s::token_hash.eq(hash));
    }
    Ok(q.set(s::revoked_at.eq(now)).execute(tx.conn())?)
}

/// A consent recorded for a patron (a guardian's, or a written consent to disclosure).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    /// Its id.
    pub id: i64,
    /// `guardian` or `disclosure`.
    pub kind: String,
    /// What it covers, as the library recorded it.
    pub scope: String,
    /// Who gave it (opened).
    pub given_by: String,
    /// When.
    #[serde(with = "crate::time::rfc3339")]
    pub granted_at: NaiveDateTime,
    /// When it lapses, if it does.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub expires_at: Option<NaiveDateTime>,
    /// When it was withdrawn, if it was.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub revoked_at: Option<NaiveDateTime>,
}

impl ConsentRecord {
    /// Whether it holds at `now`.
    pub fn in_force(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A consent to record.
#[derive(Debug, Clone, Copy)]
pub struct NewConsent<'a> {
    /// `guardian` or `disclosure`.
    pub kind: &'a str,
    /// What it covers.
    pub scope: &'a str,
    /// Who gave it (sealed at rest).
    pub given_by: &'a str,
    /// When it was given.
    pub granted_at: NaiveDateTime,
    /// When it lapses.
    pub expires_at: Option<NaiveDateTime>,
}

/// Records a consent for a patron of the scoped library.
pub fn add_consent(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
    c: &NewConsent<'_>,
) -> StoreResult<i64> {
    let NewConsent {
        kind,
        scope,
        given_by,
        granted_at,
        expires_at,
    } = *c;
    let lib = tx.library_id();
    let key = ensure_key(tx, keys, patron, granted_at)?;
    let id = sequence::allocate(tx, IdSpace::Consents, 1)?
        .first()
        .copied()
        .ok_or(StoreError::NotFound)?;
    diesel::insert_into(patron_consents::table)
        .values((
            patron_consents::library_id.eq(lib.0),
            patron_consents::id.eq(id),
            patron_consents::patron_id.eq(patron.0),
            patron_consents::kind.eq(kind),
            patron_consents::scope.eq(scope),
            patron_consents::given_by_sealed.eq(seal(&key, "consent_given_by", given_by)?),
            patron_consents::granted_at.eq(granted_at),
            patron_consents::expires_at.eq(expires_at),
        ))
        .execute(tx.conn())?;
    Ok(id)
}

/// The consents recorded for a patron, oldest first.
pub fn consents(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
) -> StoreResult<Vec<ConsentRecord>> {
    let lib = tx.library_id();
    type C = (
        i64,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<C> = patron_consents::table
        .filter(patron_consents::library_id.eq(lib.0))
        .filter(patron_consents::patron_id.eq(patron.0))
        .order(patron_consents::id)
        .select((
            patron_consents::id,
            patron_consents::kind,
            patron_consents::scope,
            patron_consents::given_by_sealed,
            patron_consents::granted_at,
            patron_consents::expires_at,
            patron_consents::revoked_at,
        ))
        .load(tx.conn())?;
    let key = key_of(tx, keys, patron)?;
    rows.into_iter()
        .map(
            |(id, kind, scope, given, granted_at, expires_at, revoked_at)| {
                Ok(ConsentRecord {
                    id,
                    kind,
                    scope,
                    given_by: open(keys, key.as_ref(), lib, "consent_given_by", &given)?,
                    granted_at,
                    expires_at,
                    revoked_at,
                })
            },
        )
        .collect()
}

/// Patrons of the scoped library with an email address, by id after `after`,
/// at most `limit`, with only the address opened: what a notice to every
/// patron streams through.
pub fn emails_after(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    after: PatronId,
    limit: i64,
) -> StoreResult<Vec<(PatronId, String)>> {
    let lib = tx.library_id();
    let rows: Vec<(i64, Option<String>)> = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.gt(after.0))
        .filter(patrons::email_sealed.is_not_null())
        .select((patrons::id, patrons::email_sealed))
        .order(patrons::id)
        .limit(limit)
        .load(tx.conn())?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let patron_keys = keys_of(tx, keys, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, sealed) in rows {
        if let Some(email) = open_opt(keys, patron_keys.get(&id), lib, "email", sealed.as_deref())?
        {
            out.push((PatronId(id), email));
        }
    }
    Ok(out)
}

/// The email addresses of `ids` in the scoped library, opened, by patron id
/// (one key query for all); a patron without one, or whose key is erased, is
/// left out. For mail addressed when it is sent, not when it was queued.
pub fn emails_of(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    ids: &[i64],
) -> StoreResult<HashMap<i64, String>> {
    let lib = tx.library_id();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, Option<String>)> = patrons::table
        .filter(patrons::library_id.eq(lib.0))
        .filter(patrons::id.eq_any(ids))
        .filter(patrons::email_sealed.is_not_null())
        .select((patrons::id, patrons::email_sealed))
        .load(tx.conn())?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let patron_keys = keys_of(tx, keys, &ids)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, sealed)| {
            let email = open_opt(keys, patron_keys.get(&id), lib, "email", sealed.as_deref());
            email.ok().flatten().map(|e| (id, e))
        })
        .collect())
}

/// Registers many patrons in the scoped library at once (a bulk load: ids
/// in one round trip, a thousand rows a statement), all with the same PIN
/// hash; returns their ids. A card number already in use is a conflict and
/// nothing of the batch is kept (the caller's transaction rolls back).
pub fn create_many(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    all: &[PatronData],
    pin_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Vec<PatronId>> {
    let lib = tx.library_id();
    let ids = sequence::allocate(tx, IdSpace::Patrons, all.len())?;
    // Each patron's own data key goes into the key store first, in the same
    // transaction, as `create` does one at a time.
    let mut made = Vec::with_capacity(all.len());
    let mut key_rows = Vec::with_capacity(all.len());
    for id in &ids {
        let (key, sealed) = keys
            .new_patron_key(lib, *id)
            .map_err(|e| StoreError::Encryption(e.to_string()))?;
        made.push(key);
        key_rows.push((
            patron_keys::library_id.eq(lib.0),
            patron_keys::patron_id.eq(*id),
            patron_keys::key_sealed.eq(sealed),
            patron_keys::created_at.eq(now),
        ));
    }
    for chunk in key_rows.chunks(1_000) {
        crate::on_backend!(tx.conn(), |c| diesel::insert_into(patron_keys::table)
            .values(chunk.to_vec())
            .execute(c))?;
    }
    let mut rows = Vec::with_capacity(all.len());
    for ((data, id), key) in all.iter().zip(&ids).zip(&made) {
        let birth = data.birth_date.map(|d| d.to_string());
        rows.push((
            (
                patrons::library_id.eq(lib.0),
                patrons::id.eq(*id),
                patrons::card_index.eq(keys.blind_index(BlindKind::Card, &data.card_number)),
                patrons::card_last4.eq(last4(&data.card_number)),
                patrons::card_sealed.eq(seal(key, "card", &data.card_number)?),
                patrons::pin_hash.eq(pin_hash.to_owned()),
                patrons::name_sealed.eq(seal(key, "name", &data.name)?),
                patrons::address_sealed.eq(seal_opt(key, "address", data.address.as_deref())?),
            ),
            (
                patrons::email_index.eq(data
                    .email
                    .as_deref()
                    .map(|e| keys.blind_index(BlindKind::Email, e))),
                patrons::email_sealed.eq(seal_opt(key, "email", data.email.as_deref())?),
                patrons::phone_sealed.eq(seal_opt(key, "phone", data.phone.as_deref())?),
                patrons::birth_date_sealed.eq(seal_opt(key, "birth_date", birth.as_deref())?),
                patrons::guardian_sealed.eq(seal_opt(key, "guardian", data.guardian.as_deref())?),
                patrons::created_at.eq(now),
                patrons::updated_at.eq(now),
            ),
        ));
    }
    for chunk in rows.chunks(1_000) {
        crate::on_backend!(tx.conn(), |c| diesel::insert_into(patrons::table)
            .values(chunk.to_vec())
            .execute(c))?;
    }
    Ok(ids.into_iter().map(PatronId).collect())
}
