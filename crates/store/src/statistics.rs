//! The statistics counters: a count per library, day, series and key, added
//! to by the in-memory counters' flush. No row names a patron or an address.

use crate::connection::DbConn;
use crate::error::StoreResult;
use crate::schema::statistics_counts as t;
use crate::tenant::LibraryTx;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// One stored count.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Count {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The series (`policy::statistics::SERIES`).
    pub series: String,
    /// A page's route pattern for web visits, `""` otherwise.
    pub key: String,
    /// How many.
    pub count: i64,
}

/// Adds each count to its day's row in the scoped library, creating it.
pub fn add(tx: &mut LibraryTx<'_>, counts: &[Count]) -> StoreResult<()> {
    let lib = tx.library_id().0;
    for c in counts {
        // One upsert spelled alike on both backends but for the placeholders.
        let sql = match tx.conn() {
            DbConn::Pg(_) => {
                "INSERT INTO statistics_counts (library_id, day, series, key, count) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (library_id, day, series, key) \
                 DO UPDATE SET count = statistics_counts.count + EXCLUDED.count"
            }
            DbConn::Sqlite(_) => {
                "INSERT INTO statistics_counts (library_id, day, series, key, count) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (library_id, day, series, key) \
                 DO UPDATE SET count = statistics_counts.count + excluded.count"
            }
        };
        let q = diesel::sql_query(sql)
            .bind::<BigInt, _>(lib)
            .bind::<Text, _>(&c.day)
            .bind::<Text, _>(&c.series)
            .bind::<Text, _>(&c.key)
            .bind::<BigInt, _>(c.count);
        match tx.conn() {
            DbConn::Pg(conn) => q.execute(conn)?,
            DbConn::Sqlite(conn) => q.execute(conn)?,
        };
    }
    Ok(())
}

/// The scoped library's counts from `from` to `to` (both `YYYY-MM-DD`, inclusive).
pub fn between(tx: &mut LibraryTx<'_>, from: &str, to: &str) -> StoreResult<Vec<Count>> {
    let lib = tx.library_id().0;
    Ok(t::table
        .filter(t::library_id.eq(lib))
        .filter(t::day.ge(from))
        .filter(t::day.le(to))
        .order((t::day, t::series, t::key))
        .select((t::day, t::series, t::key, t::count))
        .load(tx.conn())?)
}
