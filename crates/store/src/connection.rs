//! One connection type over PostgreSQL and SQLite, and its pool.
//!
//! The backend is chosen from the URL's scheme, never by trying one and then
//! the other, so a typo in a PostgreSQL URL cannot silently open a SQLite file.

use crate::error::{StoreError, StoreResult};
use diesel::connection::SimpleConnection;
use diesel::connection::TransactionManager;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use std::time::Duration;

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL, the production backend, with row-level security.
    Pg(PgConnection),
    /// SQLite, the embedded default.
    Sqlite(SqliteConnection),
}

/// Runs the same diesel statement on whichever backend `conn` is, for the
/// statements diesel's multi-backend cannot build (batch inserts).
#[macro_export]
#[doc(hidden)]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConn::Pg($c) => $body,
            $crate::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite://PATH` or `sqlite:PATH`.
    Sqlite,
}

impl Backend {
    /// The name shown in logs and health checks.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A parsed database URL.
#[derive(Clone)]
pub struct DbUrl {
    backend: Backend,
    /// For PostgreSQL the URL as given; for SQLite the file path.
    target: String,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        write!(f, "DbUrl({})", self.backend.as_str())
    }
}

impl DbUrl {
    /// Parses `postgres://…`, `postgresql://…`, `sqlite://path` or `sqlite:path`.
    pub fn parse(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some(p) if !p.is_empty() => Ok(Self {
                backend: Backend::Sqlite,
                target: p.to_owned(),
            }),
            _ => Err(StoreError::BadUrl(
                "expected a URL starting with postgres://, postgresql:// or sqlite://".into(),
            )),
        }
    }

    /// The backend this URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For SQLite, the database file's path.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then_some(self.target.as_str())
    }

    /// For SQLite, the key store's file: beside the database file, named
    /// after it (`custodian.db` → `custodian.patron-keys.db`).
    pub fn sqlite_key_store_path(&self) -> Option<String> {
        let path = self.sqlite_path()?;
        let base = path.strip_suffix(".db").unwrap_or(path);
        Some(format!("{base}.patron-keys.db"))
    }

    /// Opens one connection, configured as custodian needs it; only the
    /// store opens one, so no connection outside it escapes a scope.
    pub(crate) fn connect(&self) -> StoreResult<DbConn> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(DbConn::Pg)
                .map_err(|e| StoreError::Unavailable(redact_connection_error(&e.to_string()))),
            Backend::Sqlite => {
                if let Some(parent) = std::path::Path::new(&self.target).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            StoreError::Unavailable(format!(
                                "cannot create the directory {}: {e}",
                                parent.display()
                            ))
                        })?;
                    }
                }
                let mut conn = SqliteConnection::establish(&self.target)
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                // WAL lets readers run beside the writer; FULL keeps the last
                // commits on power loss at no measurable cost here. A 32 MiB
                // page cache (the default is 2 MiB) keeps what a search reads
                // between requests: at 200,000 directory entries a name search
                // touches a few thousand scattered pages, and re-reading them
                // from the OS every time was most of its time (issue #18).
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA cache_size = -32768;",
                )?;
                // Patron keys live in a file of their own, so that a copy of
                // the database file never carries them (docs/keys.md).
                let keys = self.sqlite_key_store_path().unwrap_or_default();
                conn.batch_execute(&format!(
                    "ATTACH DATABASE '{}' AS keystore; \
                     PRAGMA keystore.journal_mode = WAL; PRAGMA keystore.synchronous = FULL;",
                    keys.replace('\'', "''")
                ))?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

fn redact_connection_error(msg: &str) -> String {
    // libpq's messages name host and port but not the password; keep them
    // short and single-line for the log.
    msg.lines().next().unwrap_or("connection failed").to_owned()
}

/// Hands r2d2 connections opened from a [`DbUrl`].
#[derive(Debug)]
pub(crate) struct Manager {
    url: DbUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConn, StoreError> {
        self.url.connect()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::from)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        // A connection left inside a transaction (say, by a panic) or in an
        // error state must not be handed to the next request.
        conn.is_broken()
            || <DbConn as diesel::Connection>::TransactionManager::is_broken_transaction_manager(
                conn,
            )
    }
}

/// The connection pool.
pub(crate) type Pool = r2d2::Pool<Manager>;
/// A connection checked out of the pool.
pub(crate) type PooledConn = r2d2::PooledConnection<Manager>;

/// Builds a pool of `size` connections.
///
/// Connections are not pinged on checkout: that would add a round trip to
/// every request, and a dead connection is caught by `has_broken` instead.
pub(crate) fn build_pool(url: &DbUrl, size: u32, timeout: Duration) -> StoreResult<Pool> {
    let size = match url.backend() {
        // One writer at a time anyway; a few readers beside it.
        Backend::Sqlite => size.clamp(1, 8),
        Backend::Postgres => size.max(1),
    };
    r2d2::Pool::builder()
        .max_size(size)
        // No background replenishing: a connect racing process exit crashes
        // inside libpq, and the first request opening one costs a millisecond.
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(false)
        .build(Manager { url: url.clone() })
        .map_err(StoreError::from)
}
