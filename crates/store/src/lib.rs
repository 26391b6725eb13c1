//! Storage for custodian: one connection type over PostgreSQL and SQLite,
//! embedded migrations, and the tenant scope that is the only way to reach a
//! library's own tables.
//!
//! The rest of custodian never holds a connection outside a transaction: it
//! asks [`Store`] for a library's scope ([`Store::read`], [`Store::write`]),
//! for the consortium's tables ([`Store::consortium`]) or, for the few
//! questions that cross libraries, goes through [`cross_library`].
//!
//! Everything here is blocking; callers on an async runtime run it on a
//! blocking thread (`web::block`, `spawn_blocking`).

pub mod accounts;
pub mod audit;
pub mod connection;
pub mod cross_library;
pub mod directory;
pub mod encryption;
pub mod error;
pub mod ids;
pub mod inbound;
pub mod legal;
pub mod legal_report;
pub mod libraries;
pub mod migrations;
pub mod operations;
pub mod outbox;
pub mod patrons;
pub mod privacy_policy;
pub mod records;
pub mod requests;
pub mod retention;
pub mod rotation;
mod schema;
pub mod security_log;
pub mod sequence;
pub mod staff;
pub mod statistics;
pub mod tenant;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod vendor_notices;
pub mod vendors;

pub use connection::{Backend, DbConn, DbUrl};
pub use cross_library::ConsortiumWrite;

/// The most items any list returns in one page: one maximum for every list,
/// the directory's included, so the README can state it once.
pub const MAX_PAGE_LIMIT: i64 = 200;
pub use error::{StoreError, StoreResult};
pub use ids::{AccountId, LibraryId, MailRequestId, PatronId, RecordId};
pub use tenant::{Access, LibraryTx};

use connection::{Pool, PooledConn};
use diesel::connection::SimpleConnection;
use std::time::Duration;

/// The database, as the rest of custodian sees it.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    backend: Backend,
}

impl Store {
    /// Opens a pool on `url` with up to `pool_size` connections.
    pub fn open(url: &DbUrl, pool_size: u32, timeout: Duration) -> StoreResult<Self> {
        let pool = connection::build_pool(url, pool_size, timeout)?;
        Ok(Self {
            pool,
            backend: url.backend(),
        })
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks a connection out of the pool, for the store's own scopes: a
    /// connection handed outside could run SQL outside any tenant scope.
    pub(crate) fn conn(&self) -> StoreResult<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` in a read-only transaction scoped to `library`.
    pub fn read<T, E: From<StoreError>>(
        &self,
        library: LibraryId,
        f: impl FnOnce(&mut LibraryTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let _span = tracing::info_span!("db.transaction", library_id = library.0, access = "read")
            .entered();
        let mut conn = self.conn()?;
        tenant::scoped(&mut conn, library, Access::Read, f)
    }

    /// Runs `f` in a read-write transaction scoped to `library`.
    pub fn write<T, E: From<StoreError>>(
        &self,
        library: LibraryId,
        f: impl FnOnce(&mut LibraryTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let _span = tracing::info_span!("db.transaction", library_id = library.0, access = "write")
            .entered();
        let mut conn = self.conn()?;
        tenant::scoped(&mut conn, library, Access::Write, f)
    }

    /// Runs `f` in a transaction over the consortium-wide tables.
    pub fn consortium<T, E: From<StoreError>>(
        &self,
        access: Access,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E> {
        let _span =
            tracing::info_span!("db.transaction", scope = "consortium", access = ?access).entered();
        let mut conn = self.conn()?;
        tenant::consortium(&mut conn, access, f)
    }

    /// Whether the database answers.
    pub fn ping(&self) -> StoreResult<()> {
        self.conn()?.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// How many embedded migrations are not yet applied.
    pub fn pending_migrations(&self) -> StoreResult<usize> {
        let mut conn = self.conn()?;
        migrations::pending_count(&mut conn)
    }

    /// Refuses to serve as a role that would see through row-level security.
    pub fn check_serving_role(&self) -> StoreResult<()> {
        let mut conn = self.conn()?;
        migrations::check_serving_role(&mut conn)
    }

    /// Idle and busy connections, for the readiness report.
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }
}
