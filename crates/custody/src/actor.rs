//! Who acts, and on what: the names the audit log keeps.
//!
//! The audit log stores these as text (`account:12`, `patron:55`); the
//! spelling is part of the stored chain, so it is produced here and nowhere else.

use policy::staff::LibraryRole;
use std::fmt;
use store::libraries::Library;
use store::{AccountId, LibraryId, MailRequestId, PatronId, RecordId};

/// A member library's staff account at work in its library, its role
/// already checked by the caller (a guard): who the gate asks for.
#[derive(Clone, Debug)]
pub struct StaffMember {
    /// The library they work in.
    pub library: Library,
    /// Their account.
    pub account: AccountId,
    /// Their role there.
    pub role: LibraryRole,
}

impl StaffMember {
    /// How the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.account)
    }
}

/// A patron signed in with their own library, acting on their own data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatronSelf {
    /// Their library.
    pub library: LibraryId,
    /// Who they are there.
    pub patron: PatronId,
}

/// Who does something to a library's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A member library's staff account (staff, admin or custodian of records).
    Staff(AccountId),
    /// The consortium director's account.
    Director(AccountId),
    /// A patron acting on their own data.
    Patron(PatronId),
    /// A contracted vendor's API key.
    Vendor(i64),
    /// A job of custodian itself (`cli`, `retention`, `mail`).
    System(&'static str),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Staff and the director are both accounts; the log has always
            // named them the same way, and the chain must keep verifying.
            Actor::Staff(id) | Actor::Director(id) => write!(f, "account:{id}"),
            Actor::Patron(id) => write!(f, "patron:{id}"),
            Actor::Vendor(id) => write!(f, "vendor-key:{id}"),
            Actor::System(job) => write!(f, "system:{job}"),
        }
    }
}

/// What an audit entry is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// Nothing in particular (a search, a list).
    Nobody,
    /// One patron.
    Patron(PatronId),
    /// One library record.
    Record(RecordId),
    /// One staff account.
    Account(AccountId),
    /// One emailed correction request.
    MailRequest(MailRequestId),
    /// One legal request for library records.
    LegalRequest(i64),
    /// One contracted vendor.
    Vendor(i64),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Nobody => Ok(()),
            Subject::Patron(id) => write!(f, "patron:{id}"),
            Subject::Record(id) => write!(f, "record:{id}"),
            Subject::Account(id) => write!(f, "account:{id}"),
            Subject::MailRequest(id) => write!(f, "request:{id}"),
            Subject::LegalRequest(id) => write!(f, "legal-request:{id}"),
            Subject::Vendor(id) => write!(f, "vendor:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_log_keeps_its_spelling() {
        assert_eq!(Actor::Staff(AccountId(12)).to_string(), "account:12");
        assert_eq!(Actor::Director(AccountId(1)).to_string(), "account:1");
        assert_eq!(Actor::Patron(PatronId(55)).to_string(), "patron:55");
        assert_eq!(Actor::System("cli").to_string(), "system:cli");
        assert_eq!(Subject::Nobody.to_string(), "");
        assert_eq!(
            Subject::MailRequest(MailRequestId(3)).to_string(),
            "request:3"
        );
        assert_eq!(Subject::Record(RecordId(9)).to_string(), "record:9");
    }
}
