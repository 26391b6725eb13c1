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
    /// Change (name, role, password, disabled flag) or remove an existing staff account.
    Manage,
    /// Add a staff account with `role` to a library that has (or has not yet) an enabled admin.
    Create {
        /// The role the new account is to hold.
        role: LibraryRole,
        /// Whether the library already has an enabled admin.
        library_has_admin: bool,
    },
}

/// Why the director is refused: after onboarding, a library's own admins manage its staff.
pub const DIRECTOR_NOT_STAFF_MANAGER: &str = "after a library has its first admin, only the library's own admins add, change or remove its staff, and nobody but an account's holder or the library's admin sets its password; ask an admin of the library";

/// Why the director is refused a first account that is not an admin.
pub const DIRECTOR_FIRST_ADMIN_ONLY: &str = "the consortium director gives a new library its first admin only (role admin); that admin then adds the rest of the staff";

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
/// The director onboards a library and gives it its first admin, nothing more:
/// an account whose password the director set, or could reset, would let the
/// director sign in as library staff and read patron records, which the
/// director must never see. So the director may look at a library's staff, may
/// create one admin while the library has no enabled admin, and may not change,
/// reset or remove any library account. A library admin manages their own
/// library only; other members may see who their colleagues are but change
/// nothing.
pub fn decide_staff(standing: Standing, action: StaffAction) -> StaffDecision {
    match (standing, action) {
        (Standing::Outsider, _) => StaffDecision::Hidden,
        (Standing::Director, StaffAction::View) => StaffDecision::Allow,
        (
            Standing::Director,
            StaffAction::Create {
                role: LibraryRole::Admin,
                library_has_admin: false,
            },
        ) => StaffDecision::Allow,
        (
            Standing::Director,
            StaffAction::Create {
                library_has_admin: false,
                ..
            },
        ) => StaffDecision::Forbidden(DIRECTOR_FIRST_ADMIN_ONLY),
        (Standing::Director, _) => StaffDecision::Forbidden(DIRECTOR_NOT_STAFF_MANAGER),
        (Standing::Member(LibraryRole::Admin), _) => StaffDecision::Allow,
        (Standing::Member(_), StaffAction::View) => StaffDecision::Allow,
        (Standing::Member(_), _) => {
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

    fn create(role: LibraryRole, library_has_admin: bool) -> StaffAction {
        StaffAction::Create {
            role,
            library_has_admin,
        }
    }

    #[test]
    fn the_director_gives_a_new_library_its_first_admin_and_nothing_else() {
        assert_eq!(
            decide_staff(Standing::Director, create(LibraryRole::Admin, false)),
            StaffDecision::Allow
        );
        assert_eq!(
            decide_staff(Standing::Director, StaffAction::View),
            StaffDecision::Allow
        );
        for action in [
            StaffAction::Manage,
            create(LibraryRole::Admin, true),
            create(LibraryRole::Staff, true),
            create(LibraryRole::Staff, false),
            create(LibraryRole::Custodian, false),
        ] {
            assert!(
                matches!(
                    decide_staff(Standing::Director, action),
                    StaffDecision::Forbidden(_)
                ),
                "{action:?}"
            );
        }
    }

    #[test]
    fn only_admins_manage_staff() {
        for action in [
            StaffAction::Manage,
            create(LibraryRole::Admin, true),
            create(LibraryRole::Staff, true),
        ] {
            assert_eq!(
                decide_staff(Standing::Member(LibraryRole::Admin), action),
                StaffDecision::Allow
            );
        }
        for role in [LibraryRole::Staff, LibraryRole::Custodian] {
            for action in [StaffAction::Manage, create(LibraryRole::Staff, true)] {
                assert!(matches!(
                    decide_staff(Standing::Member(role), action),
                    StaffDecision::Forbidden(_)
                ));
            }
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
