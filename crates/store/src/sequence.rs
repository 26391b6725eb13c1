//! Ids for tenant rows, allocated in blocks.

use crate::error::StoreResult;
use crate::tenant::LibraryTx;
use crate::DbConn;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

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
}

impl IdSpace {
    fn sequence(self) -> &'static str {
        match self {
            IdSpace::Patrons => "patron_ids",
            IdSpace::Records => "record_ids",
            IdSpace::Consents => "consent_ids",
            IdSpace::MailRequests => "mail_request_ids",
        }
    }

    fn table(self) -> &'static str {
        match self {
            IdSpace::Patrons => "patrons",
            IdSpace::Records => "library_records",
            IdSpace::Consents => "patron_consents",
            IdSpace::MailRequests => "mail_requests",
        }
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// `n` fresh ids, in one round trip.
///
/// PostgreSQL draws them from a sequence (ids are unique across libraries, and
/// a rolled-back transaction leaves a gap, which is harmless). SQLite counts up
/// from the table's largest id: a writing scope holds the database's write
/// lock, so nobody else can take the same numbers.
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
            let max: Id = diesel::sql_query(format!(
                "SELECT COALESCE(MAX(id), 0) AS id FROM {}",
                space.table()
            ))
            .get_result(c)?;
            Ok((1..=n).map(|i| max.id + i).collect())
        }
    }
}
