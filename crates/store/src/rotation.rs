//! Re-sealing under the current key, one batch at a time (`custodian keys rotate`).
//!
//! Every function here takes the next `limit` values of the scoped library
//! that are not yet as they should be (a patron key under an old library key,
//! a patron field still under the library key, any other sealed column under
//! an old key), fixes them and returns how many it fixed. There is no
//! checkpoint: what is done no longer matches, so a rerun after a stop picks
//! up the rest, and a batch done twice changes nothing.

use crate::encryption::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::ids::PatronId;
use crate::patrons;
use crate::schema::{patron_consents, patron_keys, patrons as patron_rows};
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text};

/// A LIKE pattern matching values sealed under the current key.
fn current_pattern(keys: &Keyring) -> String {
    let id: String = keys
        .current_key_id()
        .chars()
        .flat_map(|c| match c {
            '_' | '%' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("v1.{id}.%")
}

fn enc(e: crate::encryption::EncryptionError) -> StoreError {
    StoreError::Encryption(e.to_string())
}

/// How much of the scoped library is not yet under the current key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pending {
    /// Patron keys sealed under an older library key.
    pub patron_keys: i64,
    /// Patrons with a field still sealed under the library key (from before per-patron keys).
    pub patrons: i64,
    /// Consents whose "given by" is still under the library key.
    pub consents: i64,
    /// Other sealed values (records, mail requests, legal requests) under an older key.
    pub other: i64,
}

impl Pending {
    /// Everything together.
    pub fn total(&self) -> i64 {
        self.patron_keys + self.patrons + self.consents + self.other
    }
}

/// Patrons of the scoped library with a field sealed under the library key.
macro_rules! v1_patrons {
    ($lib:expr) => {
        patron_rows::table
            .filter(patron_rows::library_id.eq($lib))
            .filter(
                patron_rows::card_sealed
                    .like("v1.%")
                    .or(patron_rows::name_sealed.like("v1.%"))
                    .or(patron_rows::address_sealed.like("v1.%"))
                    .or(patron_rows::email_sealed.like("v1.%"))
                    .or(patron_rows::phone_sealed.like("v1.%"))
                    .or(patron_rows::birth_date_sealed.like("v1.%"))
                    .or(patron_rows::guardian_sealed.like("v1.%"))
                    .or(patron_rows::pending_email_sealed.like("v1.%")),
            )
    };
}

/// Counts what [`reseal_batch`] still has to do in the scoped library.
pub fn pending(tx: &mut LibraryTx<'_>, keys: &Keyring) -> StoreResult<Pending> {
    let lib = tx.library_id().0;
    let pattern = current_pattern(keys);
    let patron_keys: i64 = patron_keys::table
        .filter(patron_keys::library_id.eq(lib))
        .filter(patron_keys::key_sealed.not_like(&pattern).escape('\\'))
        .count()
        .get_result(tx.conn())?;
    let patrons: i64 = v1_patrons!(lib).count().get_result(tx.conn())?;
    let consents: i64 = patron_consents::table
        .filter(patron_consents::library_id.eq(lib))
        .filter(patron_consents::given_by_sealed.like("v1.%"))
        .count()
        .get_result(tx.conn())?;
    let mut other = 0;
    for c in COLUMNS {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM {} WHERE library_id = $1 AND {col} LIKE 'v1.%' \
             AND {col} NOT LIKE $2 ESCAPE '\\'",
            c.table,
            col = c.column
        ))
        .bind::<BigInt, _>(lib)
        .bind::<Text, _>(&pattern)
        .get_result(tx.conn())?;
        other += n.n;
    }
    other += old_documents(tx, keys)?;
    Ok(Pending {
        patron_keys,
        patrons,
        consents,
        other,
    })
}

/// Seals up to `limit` patron keys of the scoped library again under the
/// current library key; the patrons' fields are not touched.
pub fn reseal_patron_keys(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    limit: i64,
) -> StoreResult<usize> {
    let lib = tx.library_id();
    let pattern = current_pattern(keys);
    let rows: Vec<(i64, String)> = patron_keys::table
        .filter(patron_keys::library_id.eq(lib.0))
        .filter(patron_keys::key_sealed.not_like(&pattern).escape('\\'))
        .order(patron_keys::patron_id)
        .limit(limit)
        .select((patron_keys::patron_id, patron_keys::key_sealed))
        .load(tx.conn())?;
    for (patron, sealed) in &rows {
        let fresh = keys.reseal_patron_key(lib, *patron, sealed).map_err(enc)?;
        diesel::update(
            patron_keys::table
                .filter(patron_keys::library_id.eq(lib.0))
                .filter(patron_keys::patron_id.eq(patron)),
        )
        .set(patron_keys::key_sealed.eq(fresh))
        .execute(tx.conn())?;
    }
    Ok(rows.len())
}

/// Moves up to `limit` patrons of the scoped library whose fields are still
/// under the library key under their own key (made now if they have none).
pub fn seal_patrons_under_own_keys(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    limit: i64,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let lib = tx.library_id();
    let ids: Vec<i64> = v1_patrons!(lib.0)
        .order(patron_rows::id)
        .limit(limit)
        .select(patron_rows::id)
        .load(tx.conn())?;
    for id in &ids {
        patrons::reseal_under_own_key(tx, keys, PatronId(*id), now)?;
    }
    Ok(ids.len())
}

/// Moves up to `limit` consents whose "given by" is under the library key under their patron's key.
pub fn seal_consents_under_patron_keys(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    limit: i64,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let lib = tx.library_id();
    let rows: Vec<(i64, i64)> = patron_consents::table
        .filter(patron_consents::library_id.eq(lib.0))
        .filter(patron_consents::given_by_sealed.like("v1.%"))
        .order(patron_consents::id)
        .limit(limit)
        .select((patron_consents::id, patron_consents::patron_id))
        .load(tx.conn())?;
    for (id, patron) in &rows {
        patrons::reseal_consent(tx, keys, *id, PatronId(*patron), now)?;
    }
    Ok(rows.len())
}

/// A sealed text column outside the patron's own fields, with the label it is sealed under.
struct Column {
    table: &'static str,
    /// The key columns after `library_id`, all integers.
    key: &'static [&'static str],
    column: &'static str,
    field: &'static str,
}

/// Every other text column sealed under the library key (the AAD's library
/// is the row's own); legal documents' contents, bytes, go through
/// [`reseal_documents`]. The outbox is left out: its messages are short-lived
/// and the application role may not update them; they open for as long as
/// the old key stays configured.
const COLUMNS: &[Column] = &[
    Column {
        table: "library_records",
        key: &["id"],
        column: "details_sealed",
        field: "record_details",
    },
    Column {
        table: "mail_requests",
        key: &["id"],
        column: "sender_sealed",
        field: "mail_requests.sender",
    },
    Column {
        table: "mail_requests",
        key: &["id"],
        column: "subject_sealed",
        field: "mail_requests.subject",
    },
    Column {
        table: "mail_requests",
        key: &["id"],
        column: "body_sealed",
        field: "mail_requests.body",
    },
    Column {
        table: "mail_requests",
        key: &["id"],
        column: "attachments_sealed",
        field: "mail_requests.attachments",
    },
    Column {
        table: "mail_requests",
        key: &["id"],
        column: "raw_sealed",
        field: "mail_requests.raw",
    },
    Column {
        table: "mail_requests",
        key: &["id"],
        column: "reply_to_sealed",
        field: "mail_requests.reply_to",
    },
    Column {
        table: "mail_request_events",
        key: &["request_id", "seq"],
        column: "note_sealed",
        field: "mail_request_events.note",
    },
    Column {
        table: "legal_requests",
        key: &["id"],
        column: "requester_name",
        field: "legal_requests.requester_name",
    },
    Column {
        table: "legal_requests",
        key: &["id"],
        column: "requester_agency",
        field: "legal_requests.requester_agency",
    },
    Column {
        table: "legal_requests",
        key: &["id"],
        column: "requester_email",
        field: "legal_requests.requester_email",
    },
    Column {
        table: "legal_documents",
        key: &["id"],
        column: "name_sealed",
        field: "legal_documents.name",
    },
];

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = BigInt)]
    k1: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    k2: Option<i64>,
    #[diesel(sql_type = Text)]
    v: String,
}

/// Seals up to `limit` other values of the scoped library (records, mail
/// requests, legal requests) again under the current key.
pub fn reseal_columns(tx: &mut LibraryTx<'_>, keys: &Keyring, limit: i64) -> StoreResult<usize> {
    let lib = tx.library_id();
    let pattern = current_pattern(keys);
    let mut done = 0usize;
    for c in COLUMNS {
        if done as i64 >= limit {
            break;
        }
        // Table and column names are the constants above, never input.
        let k1 = c.key[0];
        let k2 = c
            .key
            .get(1)
            .map_or("NULL".to_owned(), |k| format!("CAST({k} AS BIGINT)"));
        let rows: Vec<Sealed> = diesel::sql_query(format!(
            "SELECT CAST({k1} AS BIGINT) AS k1, {k2} AS k2, {col} AS v FROM {table} \
             WHERE library_id = $1 AND {col} LIKE 'v1.%' AND {col} NOT LIKE $2 ESCAPE '\\' \
             ORDER BY {order} LIMIT $3",
            col = c.column,
            table = c.table,
            order = c.key.join(", "),
        ))
        .bind::<BigInt, _>(lib.0)
        .bind::<Text, _>(&pattern)
        .bind::<BigInt, _>(limit - done as i64)
        .load(tx.conn())?;
        for r in &rows {
            let plain = keys.decrypt(lib, c.field, &r.v).map_err(enc)?;
            let fresh = keys.encrypt(lib, c.field, &plain).map_err(enc)?;
            let q = match (c.key.get(1), r.k2) {
                (Some(k2), Some(v2)) => diesel::sql_query(format!(
                    "UPDATE {table} SET {col} = $1 WHERE library_id = $2 AND {k1} = $3 AND {k2} = $4",
                    table = c.table,
                    col = c.column,
                ))
                .bind::<Text, _>(fresh)
                .bind::<BigInt, _>(lib.0)
                .bind::<BigInt, _>(r.k1)
                .bind::<BigInt, _>(v2)
                .execute(tx.conn()),
                _ => diesel::sql_query(format!(
                    "UPDATE {table} SET {col} = $1 WHERE library_id = $2 AND {k1} = $3",
                    table = c.table,
                    col = c.column,
                ))
                .bind::<Text, _>(fresh)
                .bind::<BigInt, _>(lib.0)
                .bind::<BigInt, _>(r.k1)
                .execute(tx.conn()),
            };
            q?;
        }
        done += rows.len();
    }
    Ok(done)
}

#[derive(QueryableByName)]
struct Document {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Binary)]
    content: Vec<u8>,
}

/// Documents are up to 10 MiB each: a batch holds at most this many.
const DOCUMENTS_PER_BATCH: i64 = 8;

/// The filter of documents whose content is sealed under an old key (bytes
/// `v1.` then a key id other than the current one).
const OLD_DOCUMENTS: &str = "library_id = $1 AND substr(content_sealed, 1, 3) = $2 \
     AND substr(content_sealed, 1, $3) <> $4";

fn current_prefix(keys: &Keyring) -> Vec<u8> {
    format!("v1.{}.", keys.current_key_id()).into_bytes()
}

/// How many legal documents of the scoped library are sealed under an old key.
fn old_documents(tx: &mut LibraryTx<'_>, keys: &Keyring) -> StoreResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let prefix = current_prefix(keys);
    let n: N = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM legal_documents WHERE {OLD_DOCUMENTS}"
    ))
    .bind::<BigInt, _>(tx.library_id().0)
    .bind::<Binary, _>(b"v1.".to_vec())
    .bind::<Integer, _>(i32::try_from(prefix.len()).unwrap_or(i32::MAX))
    .bind::<Binary, _>(prefix)
    .get_result(tx.conn())?;
    Ok(n.n)
}

/// Seals the contents of up to `limit` (at most a few) legal documents of the
/// scoped library again under the current key.
pub fn reseal_documents(tx: &mut LibraryTx<'_>, keys: &Keyring, limit: i64) -> StoreResult<usize> {
    let lib = tx.library_id();
    let prefix = current_prefix(keys);
    let rows: Vec<Document> = diesel::sql_query(format!(
        "SELECT id, content_sealed AS content FROM legal_documents WHERE {OLD_DOCUMENTS} \
         ORDER BY id LIMIT $5"
    ))
    .bind::<BigInt, _>(lib.0)
    .bind::<Binary, _>(b"v1.".to_vec())
    .bind::<Integer, _>(i32::try_from(prefix.len()).unwrap_or(i32::MAX))
    .bind::<Binary, _>(prefix)
    .bind::<BigInt, _>(limit.clamp(1, DOCUMENTS_PER_BATCH))
    .load(tx.conn())?;
    for d in &rows {
        let plain = keys
            .decrypt_bytes(lib, DOCUMENT_CONTENT, &d.content)
            .map_err(enc)?;
        let fresh = keys
            .encrypt_bytes(lib, DOCUMENT_CONTENT, &plain)
            .map_err(enc)?;
        diesel::sql_query(
            "UPDATE legal_documents SET content_sealed = $1 WHERE library_id = $2 AND id = $3",
        )
        .bind::<Binary, _>(fresh)
        .bind::<BigInt, _>(lib.0)
        .bind::<BigInt, _>(d.id)
        .execute(tx.conn())?;
    }
    Ok(rows.len())
}

/// The label legal documents' contents are sealed under (`store::legal`).
const DOCUMENT_CONTENT: &str = "legal_documents.content";

/// Deletes keys of the scoped library whose patron no longer exists (a
/// deletion interrupted between the key store's file and the data's, on
/// SQLite); returns how many.
pub fn sweep_orphan_keys(tx: &mut LibraryTx<'_>) -> StoreResult<usize> {
    let lib = tx.library_id().0;
    let n = diesel::sql_query(
        "DELETE FROM keystore.patron_keys WHERE library_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM patrons p WHERE p.library_id = $1 AND p.id = keystore.patron_keys.patron_id)",
    )
    .bind::<BigInt, _>(lib)
    .execute(tx.conn())?;
    Ok(n)
}
