//! Storage for custodian: one connection type over PostgreSQL and SQLite,
//! embedded migrations, and the tenant scope that is the only way to reach a
//! library's own tables.
//!
//! Everything here is blocking; callers on an async runtime run it on a
//! blocking thread (`web::block`, `spawn_blocking`).

pub mod accounts;
pub mod audit;
pub mod connection;
pub mod directory;
pub mod error;
pub mod ids;
pub mod inbound;
pub mod libraries;
pub mod migrations;
pub mod outbox;
pub mod patrons;
pub mod records;
pub mod requests;
mod schema;
pub mod sealing;
pub mod security_log;
pub mod sequence;
pub mod staff;
pub mod tenant;
pub mod time;

pub use connection::{Backend, DbConn, DbUrl, Pool, PooledConn};

/// The most items any list returns in one page: one maximum for every list,
/// the directory's included, so the README can state it once.
pub const MAX_PAGE_LIMIT: i64 = 200;
pub use error::{StoreError, StoreResult};
pub use ids::{AccountId, LibraryId, MailRequestId, PatronId, RecordId};
pub use tenant::{Access, LibraryTx};

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

    /// Checks a connection out of the pool.
    pub fn conn(&self) -> StoreResult<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` in a read-only transaction scoped to `library`.
    pub fn read<T, E: From<StoreError>>(
        &self,
        library: LibraryId,
        f: impl FnOnce(&mut LibraryTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        tenant::scoped(&mut conn, library, Access::Read, f)
    }

    /// Runs `f` in a read-write transaction scoped to `library`.
    pub fn write<T, E: From<StoreError>>(
        &self,
        library: LibraryId,
        f: impl FnOnce(&mut LibraryTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        tenant::scoped(&mut conn, library, Access::Write, f)
    }

    /// Runs `f` in a transaction over the consortium-wide tables.
    pub fn consortium<T, E: From<StoreError>>(
        &self,
        access: Access,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E> {
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

    /// Idle and busy connections, for the readiness report.
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }
}
