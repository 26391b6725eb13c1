//! The public organizational directory of member libraries.
//!
//! It holds organizations (library systems and their outlets), never people.
//! [`import`] loads the IMLS outlet file, [`search`] filters in SQL on indexes
//! and ranks the few columns it needs in process (a listing pages in SQL), [`cache`] keeps answers in Redis or in process, [`export`]
//! writes CSV, schema.org JSON-LD and vCards, and [`moderation`] carries
//! library admins' changes past the director. The pages that show it are
//! tenant-api's: this crate supplies their data, never HTML.

pub mod cache;
pub mod export;
pub mod hours;
pub mod import;
pub mod moderation;
pub mod names;
pub mod search;
pub mod service;

pub use cache::Cache;
pub use service::Directory;

use store::StoreError;

/// Everything the directory can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// A parameter or field is not valid; `field` names it as the caller did.
    #[error("invalid {field}: {detail}")]
    Invalid {
        /// The parameter or field.
        field: String,
        /// What is expected.
        detail: String,
    },
    /// No such entry or change.
    #[error("not found")]
    NotFound,
    /// The change clashes with the current state (already decided, edited meanwhile).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The import file cannot be read at all (as opposed to one bad row).
    #[error("reading {path}: {why}")]
    File {
        /// The file.
        path: String,
        /// The reason.
        why: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
    /// A bug or a failed background task.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for DirectoryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DirectoryError::NotFound,
            StoreError::Conflict(c) => DirectoryError::Conflict(c),
            other => DirectoryError::Store(other),
        }
    }
}

impl DirectoryError {
    /// An invalid-parameter error naming `field`.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        DirectoryError::Invalid {
            field: field.to_owned(),
            detail: detail.into(),
        }
    }
}

/// Result alias for the directory.
pub type DirectoryResult<T> = Result<T, DirectoryError>;
