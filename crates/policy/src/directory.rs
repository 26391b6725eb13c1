//! Who may do what to the public directory.
//!
//! The directory holds organizations only. A library's admins speak for its
//! entry, but nothing they submit is published until the consortium director
//! approves it; the director moderates and does not write entries directly.

use crate::staff::{LibraryRole, Standing};

/// Something one may do with a library's directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryAction {
    /// See the entry with its pending changes.
    View,
    /// Submit a change for the director's approval.
    Submit,
}

/// The answer to a directory request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryDecision {
    /// Go ahead.
    Allow,
    /// Known to the caller, but their role does not allow it.
    Forbidden(&'static str),
    /// Not a member: answer as for a library that does not exist.
    Hidden,
}

/// Decides a request about a library's own directory entry.
pub fn decide_entry(standing: Standing, action: EntryAction) -> DirectoryDecision {
    match (standing, action) {
        (Standing::Outsider, _) => DirectoryDecision::Hidden,
        (Standing::Director, EntryAction::View) => DirectoryDecision::Allow,
        (Standing::Director, EntryAction::Submit) => DirectoryDecision::Forbidden(
            "the director approves directory changes; a library admin submits them",
        ),
        (Standing::Member(LibraryRole::Admin), _) => DirectoryDecision::Allow,
        (Standing::Member(_), EntryAction::View) => DirectoryDecision::Allow,
        (Standing::Member(_), EntryAction::Submit) => DirectoryDecision::Forbidden(
            "only a library admin may submit changes to the library's directory entry",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_submit_and_outsiders_see_nothing() {
        use EntryAction::*;
        assert_eq!(
            decide_entry(Standing::Member(LibraryRole::Admin), Submit),
            DirectoryDecision::Allow
        );
        assert!(matches!(
            decide_entry(Standing::Member(LibraryRole::Staff), Submit),
            DirectoryDecision::Forbidden(_)
        ));
        assert_eq!(
            decide_entry(Standing::Member(LibraryRole::Staff), View),
            DirectoryDecision::Allow
        );
        assert!(matches!(
            decide_entry(Standing::Director, Submit),
            DirectoryDecision::Forbidden(_)
        ));
        assert_eq!(
            decide_entry(Standing::Outsider, View),
            DirectoryDecision::Hidden
        );
    }
}
