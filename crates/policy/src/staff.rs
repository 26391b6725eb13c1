//! Who may do what to a library's staff accounts.
//!
//! A library's staff list is itself confidential to that library: somebody who
//! is not a member of a library must not learn whether an account exists
//! there, so such a request is answered as if the library had nothing to show.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role a staff account holds within one member library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LibraryRole {
    /// Manages staff, retention settings, vendors, policy versions and the directory entry.
    Admin,
    /// Works with patrons and records of the library, stating a purpose for each confidential read.
    Staff,
    /// The library director or designated alternate: the only role that decides legal requests.
    Custodian,
}

impl LibraryRole {
    /// Every role, in the order they are shown to people.
    pub const ALL: [LibraryRole; 3] = [Self::Admin, Self::Staff, Self::Custodian];

    /// The stable name used in the database, the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Staff => "staff",
            Self::Custodian => "custodian",
        }
    }
}

impl fmt::Display for LibraryRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`LibraryRole::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected one of admin, staff, custodian")]
pub struct UnknownRole(pub String);

impl FromStr for LibraryRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "staff" => Ok(Self::Staff),
            "custodian" => Ok(Self::Custodian),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// What the signed-in person is, as far as one library is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// The consortium director: onboards libraries, never sees patron records.
    Director,
    /// A member of this library with the given role.
    Member(LibraryRole),
    /// Signed in, but not a member of this library.
    Outsider,
}

/// Something one may do to a library's staff accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffAction {
    /// See the list of staff and one account.
    View,
    /// Add, change, disable or remove a staff account.
    Manage,
}

/// The answer to a staff-management request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffDecision {
    /// Go ahead.
    Allow,
    /// A member of the library who lacks the role: they may know the library exists.
    Forbidden(&'static str),
    /// Not a member: answer exactly as for a library that does not exist.
    Hidden,
}

impl StaffDecision {
    /// The stable code of the rule that decided, for the audit log.
    pub fn clause(self) -> &'static str {
        match self {
            StaffDecision::Allow => "custodian.staff.role",
            StaffDecision::Forbidden(_) => "custodian.staff.admin-only",
            StaffDecision::Hidden => "custodian.tenancy.members-only",
        }
    }

    /// `allow` or `deny`, as the audit log records it.
    pub fn verdict(self) -> &'static str {
        match self {
            StaffDecision::Allow => "allow",
            _ => "deny",
        }
    }
}

/// Decides a staff-management request.
///
/// The director may view and manage staff so a new member library can be given
/// its first admin; a library admin manages their own library only; other
/// members may see who their colleagues are but change nothing.
pub fn decide_staff(standing: Standing, action: StaffAction) -> StaffDecision {
    match (standing, action) {
        (Standing::Outsider, _) => StaffDecision::Hidden,
        (Standing::Director, _) => StaffDecision::Allow,
        (Standing::Member(LibraryRole::Admin), _) => StaffDecision::Allow,
        (Standing::Member(_), StaffAction::View) => StaffDecision::Allow,
        (Standing::Member(_), StaffAction::Manage) => {
            StaffDecision::Forbidden("only a library admin may manage the staff of a library")
        }
    }
}

/// Who may work with a library's patrons and records at all (before any disclosure rule).
///
/// Members of the library may, each read still subject to the disclosure
/// rules; the consortium director never sees a member library's patron
/// records; anybody else cannot tell the library has any.
pub fn decide_patron_work(standing: Standing) -> StaffDecision {
    match standing {
        Standing::Member(_) => StaffDecision::Allow,
        Standing::Director => StaffDecision::Forbidden(
            "the consortium director never sees a member library's patron records",
        ),
        Standing::Outsider => StaffDecision::Hidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outsiders_cannot_tell_a_library_exists() {
        for action in [StaffAction::View, StaffAction::Manage] {
            assert_eq!(
                decide_staff(Standing::Outsider, action),
                StaffDecision::Hidden
            );
        }
    }

    #[test]
    fn only_admins_and_the_director_manage_staff() {
        assert_eq!(
            decide_staff(Standing::Director, StaffAction::Manage),
            StaffDecision::Allow
        );
        assert_eq!(
            decide_staff(Standing::Member(LibraryRole::Admin), StaffAction::Manage),
            StaffDecision::Allow
        );
        for role in [LibraryRole::Staff, LibraryRole::Custodian] {
            assert!(matches!(
                decide_staff(Standing::Member(role), StaffAction::Manage),
                StaffDecision::Forbidden(_)
            ));
            assert_eq!(
                decide_staff(Standing::Member(role), StaffAction::View),
                StaffDecision::Allow
            );
        }
    }

    #[test]
    fn only_members_work_with_patrons() {
        for role in LibraryRole::ALL {
            assert_eq!(
                decide_patron_work(Standing::Member(role)),
                StaffDecision::Allow
            );
        }
        assert!(matches!(
            decide_patron_work(Standing::Director),
            StaffDecision::Forbidden(_)
        ));
        assert_eq!(
            decide_patron_work(Standing::Outsider),
            StaffDecision::Hidden
        );
    }

    #[test]
    fn role_names_round_trip() {
        for role in LibraryRole::ALL {
            assert_eq!(role.as_str().parse::<LibraryRole>(), Ok(role));
        }
        assert!("director".parse::<LibraryRole>().is_err());
    }
}
