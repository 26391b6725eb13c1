//! The header links of each signed-in role, and the paths of the pages they
//! lead to. Every page of a role shows the same links, so a librarian finds
//! the same thing in the same place; a link a role cannot use is not shown
//! (the page itself still refuses).

use super::layout::NavLink;
use policy::staff::LibraryRole;

/// The director's pages.
pub fn director() -> Vec<NavLink> {
    vec![
        NavLink::fixed("/director", "Inbox"),
        NavLink::fixed("/director/moderation", "Directory changes"),
        NavLink::fixed("/director/directory", "Directory entries"),
        NavLink::fixed("/director/libraries", "Member libraries"),
        NavLink::fixed("/director/dead-letters", "Dead letters"),
        NavLink::fixed("/director/mail-ledger", "Mail ledger"),
        NavLink::fixed("/director/statistics", "Statistics"),
    ]
}

/// A library account's pages at the library `slug`, for its `role`.
pub fn library(slug: &str, role: LibraryRole) -> Vec<NavLink> {
    let at = |rest: &str| format!("/libraries/{slug}{rest}");
    let mut links = vec![
        NavLink::to(at(""), "Library home"),
        NavLink::to(at("/patrons"), "Patrons"),
        NavLink::to(at("/requests"), "Requests"),
        NavLink::to(at("/legal"), "Legal requests"),
    ];
    if role == LibraryRole::Admin {
        links.push(NavLink::to(at("/staff"), "Staff"));
        links.push(NavLink::to(at("/directory-entry"), "Directory entry"));
        links.push(NavLink::to(at("/vendors/manage"), "Vendors"));
        links.push(NavLink::to(at("/statistics"), "Statistics"));
        links.push(NavLink::to(at("/retention"), "Retention"));
        links.push(NavLink::to(at("/privacy/manage"), "Privacy policy"));
    }
    if matches!(role, LibraryRole::Admin | LibraryRole::Custodian) {
        links.push(NavLink::to(at("/audit"), "Audit log"));
    }
    links
}

/// A patron's own pages.
pub fn patron() -> Vec<NavLink> {
    vec![
        NavLink::fixed("/my", "My account"),
        NavLink::fixed("/my/records", "My records"),
        NavLink::fixed("/my/access-log", "Who saw my data"),
        NavLink::fixed("/my/requests", "My requests"),
        NavLink::fixed("/my/settings", "Settings"),
    ]
}

/// A role as a librarian says it.
pub fn role_name(role: LibraryRole) -> &'static str {
    match role {
        LibraryRole::Admin => "library admin",
        LibraryRole::Staff => "staff",
        LibraryRole::Custodian => "custodian of records",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_see_staff_and_only_admins_and_custodians_the_audit_log() {
        let hrefs = |role| -> Vec<String> {
            library("riverbend", role)
                .into_iter()
                .map(|l| l.href.into_owned())
                .collect()
        };
        assert!(hrefs(LibraryRole::Admin).contains(&"/libraries/riverbend/staff".to_owned()));
        assert!(!hrefs(LibraryRole::Staff).contains(&"/libraries/riverbend/staff".to_owned()));
        assert!(!hrefs(LibraryRole::Staff).contains(&"/libraries/riverbend/audit".to_owned()));
        assert!(hrefs(LibraryRole::Custodian).contains(&"/libraries/riverbend/audit".to_owned()));
    }

    #[test]
    fn only_admins_see_vendors() {
        let vendors = "/libraries/riverbend/vendors/manage";
        for (role, shown) in [
            (LibraryRole::Admin, true),
            (LibraryRole::Staff, false),
            (LibraryRole::Custodian, false),
        ] {
            let links = library("riverbend", role);
            assert_eq!(
                links
                    .iter()
                    .any(|l| l.href == vendors && l.label == "Vendors"),
                shown,
                "{role:?}"
            );
        }
    }
}
