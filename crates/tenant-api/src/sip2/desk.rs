//! What the SIP2 listener asks of custodian: who a vendor key is, and a patron's status.
//!
//! The listener knows only this trait; `custody_desk.rs` implements it over
//! `custody::vendors` (the same functions the REST endpoint calls), and tests
//! use a fake. Both calls block (database, hashing): the listener runs them
//! on the blocking pool.

/// A vendor key that logged in: the library it works for and what it was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's id (`cvk_…`), the SIP2 login user.
    pub key_id: String,
    /// The institution id answered in `AO`: the key's library.
    pub institution: String,
    /// The vendor's name, for the screen message of SC Status.
    pub vendor_name: String,
    /// What the contract grants, from `card_valid`, `name`, `email`, `home_branch`, `age_band`, `expires_on`.
    pub fields: Vec<String>,
    /// Whatever the desk needs to answer later calls for this key.
    pub token: CallerToken,
}

/// The desk's own handle on a logged-in key (the mapping keeps its native caller here).
#[derive(Clone)]
pub struct CallerToken(pub std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for CallerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerToken")
    }
}

impl PartialEq for CallerToken {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CallerToken {}

/// A patron's status as the contract lets the vendor see it: each `Option` is `Some` only when granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// A card of this library that may be used (an unknown card, another library's and a wrong PIN are all `false`).
    pub valid: bool,
    /// Whether the PIN was right; `None` when no PIN was sent.
    pub pin_valid: Option<bool>,
    /// Whether the card itself is in good standing (granted `card_valid`).
    pub card_valid: Option<bool>,
    /// The patron's name (granted `name`).
    pub name: Option<String>,
    /// The patron's email (granted `email`).
    pub email: Option<String>,
    /// The home branch (granted `home_branch`).
    pub home_branch: Option<String>,
    /// The age band, such as `adult` (granted `age_band`).
    pub age_band: Option<String>,
    /// The card's expiry, `YYYY-MM-DD` (granted `expires_on`).
    pub expires_on: Option<String>,
}

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Unknown key, wrong secret, revoked key, or a contract not running: one answer for all.
    #[error("the key id and secret do not open a vendor key under a running contract")]
    BadCredentials,
    /// The desk could not answer (database down); the client may try again.
    #[error("the patron desk is unavailable: {0}")]
    Unavailable(String),
}

/// Why a status could not be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// The key stopped working since login (revoked, or its contract ended).
    #[error("the vendor key no longer works: its contract ended or it was revoked")]
    KeyEnded,
    /// The desk could not answer (database down); the client may try again.
    #[error("the patron desk is unavailable: {0}")]
    Unavailable(String),
}

/// The two questions a SIP2 vendor asks; both block.
pub trait PatronDesk: Send + Sync + 'static {
    /// Opens a vendor key by its id and secret.
    fn login(&self, user: &str, password: &str) -> Result<Caller, Refused>;
    /// A patron's status by card number, checking the PIN when one is given.
    fn status(&self, caller: &Caller, card: &str, pin: Option<&str>) -> Result<Answer, DeskError>;
}

/// The desk before vendors are wired in: every login is refused.
pub struct NoVendors;

impl PatronDesk for NoVendors {
    fn login(&self, _user: &str, _password: &str) -> Result<Caller, Refused> {
        Err(Refused::BadCredentials)
    }

    fn status(&self, _: &Caller, _: &str, _: Option<&str>) -> Result<Answer, DeskError> {
        Err(DeskError::KeyEnded)
    }
}
