//! The store's one error type. It never carries row contents, so it is safe to log.

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (or is not visible to this tenant).
    #[error("not found")]
    NotFound,
    /// A unique key is already taken; the value names the constraint, not the data.
    #[error("already exists ({0})")]
    Conflict(String),
    /// No connection could be had from the pool in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The configured database URL is not one custodian can use.
    #[error("{0}")]
    BadUrl(String),
    /// Migrations could not be applied or inspected.
    #[error("migrations: {0}")]
    Migration(String),
    /// The database refused the connection's role for serving (for example it bypasses row-level security).
    #[error("{0}")]
    UnsafeRole(String),
    /// An encrypted field could not be encrypted or decrypted (wrong or missing key, damaged value).
    #[error("encrypted data: {0}")]
    Encryption(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => StoreError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // The constraint name identifies the key without echoing the value.
                StoreError::Conflict(info.constraint_name().unwrap_or("unique key").to_owned())
            }
            other => StoreError::Database(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

/// Result alias for store functions.
pub type StoreResult<T> = Result<T, StoreError>;
