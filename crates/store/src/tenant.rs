//! The tenant scope: the only way to reach a library's own tables.
//!
//! A [`LibraryTx`] is a transaction bound to one library. On PostgreSQL the
//! library is set with `set_config('custodian.library_id', …, true)` in the
//! same simple-protocol message as `BEGIN`, so scoping costs no round trip of
//! its own, and row-level security then hides every other library's rows even
//! from a query that forgets its filter. On SQLite the store's queries filter
//! by [`LibraryTx::library_id`] themselves.
//!
//! Nothing outside the store opens a transaction here: the rest of custodian
//! goes through [`crate::Store`]'s methods, and a transaction that spans the
//! consortium and libraries through [`crate::cross_library`].

use crate::connection::DbConn;
use crate::error::StoreError;
use crate::ids::LibraryId;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

/// Whether a scope will write; on SQLite a writer takes the lock up front so
/// it never fails half-way on an upgrade from reader to writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads only.
    Read,
    /// Reads and writes.
    Write,
}

/// A transaction scoped to one library.
pub struct LibraryTx<'c> {
    conn: &'c mut DbConn,
    library: LibraryId,
}

impl LibraryTx<'_> {
    /// The library this transaction is bound to.
    pub fn library_id(&self) -> LibraryId {
        self.library
    }

    /// The connection, for the store's own queries.
    pub(crate) fn conn(&mut self) -> &mut DbConn {
        self.conn
    }
}

/// The statement that opens a scoped transaction; the id is an integer, so
/// formatting it into SQL cannot inject anything.
fn begin_sql(conn: &DbConn, library: LibraryId, access: Access) -> String {
    match (conn, access) {
        (DbConn::Pg(_), Access::Read) => format!(
            "BEGIN READ ONLY; SELECT set_config('custodian.library_id', '{}', true)",
            library.0
        ),
        (DbConn::Pg(_), Access::Write) => {
            format!(
                "BEGIN; SELECT set_config('custodian.library_id', '{}', true)",
                library.0
            )
        }
        (DbConn::Sqlite(_), Access::Read) => "BEGIN DEFERRED".to_owned(),
        (DbConn::Sqlite(_), Access::Write) => "BEGIN IMMEDIATE".to_owned(),
    }
}

/// Runs `f` in a transaction scoped to `library`; commits if it returns `Ok`.
pub(crate) fn scoped<T, E>(
    conn: &mut DbConn,
    library: LibraryId,
    access: Access,
    f: impl FnOnce(&mut LibraryTx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let sql = begin_sql(conn, library, access);
    in_transaction(conn, &sql, |conn| f(&mut LibraryTx { conn, library }))
}

/// Runs `f` in a transaction over the consortium-wide tables only.
pub(crate) fn consortium<T, E>(
    conn: &mut DbConn,
    access: Access,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let sql = match (&*conn, access) {
        (DbConn::Pg(_), Access::Read) => "BEGIN READ ONLY",
        (DbConn::Pg(_), Access::Write) => "BEGIN",
        (DbConn::Sqlite(_), Access::Read) => "BEGIN DEFERRED",
        (DbConn::Sqlite(_), Access::Write) => "BEGIN IMMEDIATE",
    };
    in_transaction(conn, sql, f)
}

fn in_transaction<T, E>(
    conn: &mut DbConn,
    begin_sql: &str,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let begun = match conn {
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction_sql(c, begin_sql),
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, begin_sql),
    };
    begun.map_err(|e| E::from(e.into()))?;
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)
                .map_err(|e| E::from(e.into()))?;
            Ok(value)
        }
        Err(err) => {
            // The original error matters more than a failed rollback; a
            // connection whose rollback failed is marked broken and dropped
            // by the pool.
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
            Err(err)
        }
    }
}

/// Binds an open consortium transaction to `library` for what follows, so one
/// transaction can write consortium rows and several libraries' rows at once.
///
/// Only [`crate::cross_library::ConsortiumWrite::library`] calls it, and that
/// type exists only inside a consortium transaction opened for writing; the
/// binding ends with that transaction.
pub(crate) fn bind(conn: &mut DbConn, library: LibraryId) -> Result<LibraryTx<'_>, StoreError> {
    if let DbConn::Pg(c) = conn {
        use diesel::connection::SimpleConnection;
        // An integer, so formatting it into SQL cannot inject anything.
        c.batch_execute(&format!(
            "SELECT set_config('custodian.library_id', '{}', true)",
            library.0
        ))?;
    }
    Ok(LibraryTx { conn, library })
}
