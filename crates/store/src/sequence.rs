//! Ids for tenant rows, allocated in blocks and never reused.
//!
//! An id names its row in the audit log (`patron:42`), so an id handed out
//! twice would hand one patron's trail to another.

use crate::error::StoreResult;
use crate::tenant::LibraryTx;
use crate::DbConn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// A table whose ids custodian allocates.
#[derive(Clone, Copy, Debug)]
pub enum IdSpace {
    /// `patrons.id`
    Patrons,
    /// `library_records.id`
    Records,
    /// `patron_consents.id`
    Consents,
    /// `mail_requests.id`
    MailRequests,
    /// `outbox.id`
    Outbox,
    /// `legal_requests.id`
    LegalRequests,
    /// `legal_time.id`
    LegalTime,
    /// `vendors.id`
    Vendors,
    /// `legal_documents.id`
    LegalDocuments,
}

impl IdSpace {
    fn sequence(self) -> &'static str {
        match self {
            IdSpace::Patrons => "patron_ids",
            IdSpace::Records => "record_ids",
            IdSpace::Consents => "consent_ids",
            IdSpace::MailRequests => "mail_request_ids",
            IdSpace::Outbox => "outbox_id_seq",
            IdSpace::LegalRequests => "legal_request_ids",
            IdSpace::LegalTime => "legal_time_ids",
            IdSpace::Vendors => "vendor_ids",
            IdSpace::LegalDocuments => "legal_document_ids",
        }
    }

    /// Its row in SQLite's `id_spaces`.
    fn space(self) -> &'static str {
        match self {
            IdSpace::Patrons => "patrons",
            IdSpace::Records => "library_records",
            IdSpace::Consents => "patron_consents",
            IdSpace::MailRequests => "mail_requests",
            IdSpace::Outbox => "outbox",
            IdSpace::LegalRequests => "legal_requests",
            IdSpace::LegalTime => "legal_time",
            IdSpace::Vendors => "vendors",
            IdSpace::LegalDocuments => "legal_documents",
        }
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// `n` fresh ids, in one round trip; call it inside a writing scope.
///
/// PostgreSQL draws them from a sequence (ids are unique across libraries, and
/// a rolled-back transaction leaves a gap, which is harmless). SQLite bumps
/// the space's counter in `id_spaces`: a writing scope holds the database's
/// write lock, so nobody else can take the same numbers, and a deleted row's
/// id is never handed out again (the table's largest id would be).
pub fn allocate(tx: &mut LibraryTx<'_>, space: IdSpace, n: usize) -> StoreResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let n = n as i64;
    match tx.conn() {
        DbConn::Pg(c) => {
            let ids: Vec<Id> = diesel::sql_query(format!(
                "SELECT nextval('{}') AS id FROM generate_series(1, $1)",
                space.sequence()
            ))
            .bind::<BigInt, _>(n)
            .load(c)?;
            Ok(ids.into_iter().map(|r| r.id).collect())
        }
        DbConn::Sqlite(c) => {
            let last: Id = diesel::sql_query(
                "UPDATE id_spaces SET last_id = last_id + ? WHERE space = ? RETURNING last_id AS id",
            )
            .bind::<BigInt, _>(n)
            .bind::<Text, _>(space.space())
            .get_result(c)?;
            Ok((last.id - n + 1..=last.id).collect())
        }
    }
}
