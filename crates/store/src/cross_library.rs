//! The questions that must cross from one library to another, or from the
//! consortium into a library, in one go. Everything else reaches one library
//! through [`Store::read`]/[`Store::write`] or the consortium-wide tables
//! through [`Store::consortium`]; a new crossing belongs here, with its reason.
//!
//! - [`Store::library_standing`]: the caller's standing in a library. The
//!   library is found by its slug in the consortium's directory of libraries,
//!   and the role is then read in that library's own staff table, so the
//!   lookup starts in the consortium and ends in one library.
//! - [`Store::claim_outbox`]: a delivery worker serves every library, and its
//!   claim must be one atomic step over all of them so two workers never take
//!   the same message (on PostgreSQL through `outbox_claim`, a SECURITY
//!   DEFINER function that returns no more than delivery needs).
//! - [`Store::across_libraries`]: an inbound message is recorded once in the
//!   consortium's ledger and becomes a request in each library it concerns;
//!   the ledger row and every library's request commit together or not at
//!   all. The write scope hands out each library's scope by type
//!   ([`ConsortiumWrite::library`]), so only a transaction opened for writing
//!   can cross into a library.
//! - [`Store::vendor_key_owner`]: a vendor's request carries only its key id,
//!   not its library; the key id (random, unique across libraries) must name
//!   the library before anything can be read in its scope. It answers the
//!   library and the vendor and nothing else (on PostgreSQL through
//!   `vendor_key_owner`, a SECURITY DEFINER function).

use crate::connection::DbConn;
use crate::encryption::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::ids::{AccountId, LibraryId};
use crate::libraries::{self, Library};
use crate::outbox::{open_claimed, Claimed, ClaimedRow};
use crate::tenant::{self, Access, LibraryTx};
use crate::Store;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use policy::staff::LibraryRole;

/// A read-write transaction over the consortium-wide tables that can also
/// bind itself to one library at a time (see [`ConsortiumWrite::library`]).
///
/// It dereferences to the connection the consortium functions take, so
/// `libraries::by_id(c, …)` works on it as on [`Store::consortium`]'s.
pub struct ConsortiumWrite<'c> {
    conn: &'c mut DbConn,
}

impl ConsortiumWrite<'_> {
    /// The scope of `library` inside this same transaction: what it writes
    /// commits with the consortium rows. On PostgreSQL row-level security
    /// then shows only that library's rows until the next call binds another.
    pub fn library(&mut self, library: LibraryId) -> StoreResult<LibraryTx<'_>> {
        tenant::bind(self.conn, library)
    }
}

impl std::ops::Deref for ConsortiumWrite<'_> {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        self.conn
    }
}

impl std::ops::DerefMut for ConsortiumWrite<'_> {
    fn deref_mut(&mut self) -> &mut DbConn {
        self.conn
    }
}

impl Store {
    /// The library named `slug` and the role `account` holds there, read on
    /// one connection; `None` as the account skips the role (a director's
    /// standing does not depend on it).
    pub fn library_standing(
        &self,
        slug: &str,
        account: Option<AccountId>,
    ) -> StoreResult<(Library, Option<LibraryRole>)> {
        let mut conn = self.conn()?;
        let library = tenant::consortium(&mut conn, Access::Read, |c| libraries::by_slug(c, slug))?;
        let Some(account) = account else {
            return Ok((library, None));
        };
        let role = tenant::scoped(&mut conn, library.id, Access::Read, |tx| {
            crate::staff::role_of(tx, account)
        })?;
        Ok((library, role))
    }

    /// Runs `f` in one read-write transaction over the consortium-wide tables
    /// from which `f` may enter any library's scope.
    pub fn across_libraries<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut ConsortiumWrite<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        tenant::consortium(&mut conn, Access::Write, |conn| {
            f(&mut ConsortiumWrite { conn })
        })
    }

    /// Claims up to `limit` messages that are due (or whose claim has expired)
    /// for `worker`, until `lease_until`, from every library's outbox.
    ///
    /// Runs in its own short transaction, so the claim is visible to other
    /// workers before delivery starts. On PostgreSQL row-level security keeps
    /// the worker out of the table; it claims through `outbox_claim`, a
    /// SECURITY DEFINER function that skips rows another worker has locked.
    pub fn claim_outbox(
        &self,
        keys: &Keyring,
        worker: &str,
        now: NaiveDateTime,
        lease_until: NaiveDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Claimed>> {
        let mut conn = self.conn()?;
        let rows: Vec<ClaimedRow> = tenant::consortium(&mut conn, Access::Write, |conn| {
            Ok::<_, StoreError>(match conn {
                DbConn::Pg(c) => diesel::sql_query(
                    "SELECT library_id, id, message_id, envelope_sealed, message_sealed, attempts, \
                     body_id, patron_id, trace_parent FROM outbox_claim($1, $2, $3, $4)",
                )
                .bind::<Text, _>(worker)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(lease_until)
                .bind::<BigInt, _>(limit)
                .load(c)?,
                // SQLite: the writing transaction holds the database's write
                // lock, so two workers cannot claim at the same time.
                DbConn::Sqlite(c) => diesel::sql_query(
                    "UPDATE outbox SET status = 'sending', locked_by = ?, locked_until = ?, \
                     attempts = attempts + 1 \
                     WHERE (library_id, id) IN (SELECT library_id, id FROM outbox INDEXED BY outbox_open \
                         WHERE status IN ('pending', 'sending') AND next_attempt_at <= ? \
                           AND (status = 'pending' OR locked_until < ?) \
                         ORDER BY next_attempt_at, id LIMIT ?) \
                     RETURNING library_id, id, message_id, envelope_sealed, message_sealed, attempts, \
                     body_id, patron_id, trace_parent",
                )
                .bind::<Text, _>(worker)
                .bind::<Timestamp, _>(lease_until)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load(c)?,
            })
        })?;
        // Shared bodies and their patrons' addresses are read in each
        // library's own scope, on the same connection, after the claim committed.
        open_claimed(&mut conn, keys, rows)
    }
}

#[derive(QueryableByName)]
struct KeyOwnerRow {
    #[diesel(sql_type = BigInt)]
    library_id: i64,
    #[diesel(sql_type = BigInt)]
    vendor_id: i64,
}

impl Store {
    /// The library and vendor of the vendor key `key_id`, if any key has that id.
    pub fn vendor_key_owner(&self, key_id: &str) -> StoreResult<Option<(LibraryId, i64)>> {
        let mut conn = self.conn()?;
        let rows: Vec<KeyOwnerRow> = tenant::consortium(&mut conn, Access::Read, |conn| {
            Ok::<_, StoreError>(match conn {
                DbConn::Pg(c) => {
                    diesel::sql_query("SELECT library_id, vendor_id FROM vendor_key_owner($1)")
                        .bind::<Text, _>(key_id)
                        .load(c)?
                }
                DbConn::Sqlite(c) => {
                    diesel::sql_query("SELECT library_id, vendor_id FROM vendor_keys WHERE id = ?")
                        .bind::<Text, _>(key_id)
                        .load(c)?
                }
            })
        })?;
        Ok(rows
            .into_iter()
            .next()
            .map(|r| (LibraryId(r.library_id), r.vendor_id)))
    }
}
