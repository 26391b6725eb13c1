//! What can go wrong in custody, in words a librarian can act on.
//!
//! Variants carry no personal data: a patron's name, card number or address
//! never reaches an error, because errors reach logs.

use store::StoreError;

/// Why a custody function did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    /// An input is missing or malformed; `field` is the name the caller used.
    #[error("invalid {field}: {detail}")]
    Invalid {
        /// The parameter or field.
        field: &'static str,
        /// What is expected.
        detail: String,
    },
    /// The caller's role does not allow this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The privacy policy refuses this disclosure; the text says why.
    #[error("refused by policy: {0}")]
    Refused(&'static str),
    /// A patron under the library's age needs a guardian's recorded consent for these fields first.
    #[error("guardian consent required for {0}")]
    GuardianConsentRequired(String),
    /// A line of a bulk feed is wrong; nothing of the feed was stored.
    #[error("feed line {line}: {detail}")]
    FeedLine {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// Nothing here, or nothing this caller may know about.
    #[error("not found")]
    NotFound,
    /// The change clashes with what exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
    /// A bug or an unexpected failure; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
    /// A vendor key that is unknown, wrong or revoked (which of them is not said).
    #[error("the vendor key is not valid")]
    VendorKeyInvalid,
    /// A vendor key whose contract is not running today; the text says since or until when.
    #[error("the vendor's contract is not running: {0}")]
    ContractNotRunning(String),
}

impl From<StoreError> for CustodyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CustodyError::NotFound,
            other => CustodyError::Store(other),
        }
    }
}

/// The result of a custody function.
pub type CustodyResult<T> = Result<T, CustodyError>;
