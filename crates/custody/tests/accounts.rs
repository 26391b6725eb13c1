//! Staff accounts on both backends: the director gives a library its first
//! admin and nothing more, every decision lands in the right log, the
//! operator's accounts show in the library's audit log, and a library keeps
//! an admin.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use custody::accounts::{self, NewStaff, OperatorAccount, StaffChange, StaffManager};
use custody::libraries::{self, Onboarding};
use custody::CustodyError;
use policy::staff::{LibraryRole, StaffAction, Standing};
use store::{audit, security_log, Access, AccountId, LibraryId, Store};
use testkit::stores;

fn onboard(store: &Store, slug: &str) -> store::libraries::Library {
    libraries::onboard(
        store,
        &Onboarding {
            slug,
            name: " Riverbend Public Library ",
            jurisdiction: "missouri",
        },
    )
    .unwrap()
}

fn log(store: &Store, library: LibraryId) -> Vec<(String, String, String, String, String)> {
    store
        .read(library, |tx| audit::list(tx, None, 100))
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.subject, e.decision, e.clause))
        .collect()
}

fn new_staff<'a>(email: &'a str, role: LibraryRole) -> NewStaff<'a> {
    NewStaff {
        email,
        display_name: "A Colleague",
        role,
        password_hash: "x",
    }
}

fn row(
    actor: &str,
    action: &str,
    subject: &str,
    decision: &str,
    clause: &str,
) -> (String, String, String, String, String) {
    (
        actor.into(),
        action.into(),
        subject.into(),
        decision.into(),
        clause.into(),
    )
}

#[test]
fn the_director_gives_a_library_its_first_admin_and_nothing_more() {
    for t in stores(2) {
        let store = &t.store;
        let library = onboard(store, "riverbend");
        assert_eq!(library.name, "Riverbend Public Library", "{}", t.backend);
        let director = StaffManager {
            account: AccountId(1),
            library: library.clone(),
            standing: Standing::Director,
        };
        let refused = accounts::add(
            store,
            &director,
            &new_staff("s@riverbend.org", LibraryRole::Staff),
        );
        assert!(
            matches!(refused, Err(CustodyError::Forbidden(_))),
            "{}",
            t.backend
        );
        let admin = accounts::add(
            store,
            &director,
            &new_staff("Admin@Riverbend.org", LibraryRole::Admin),
        )
        .unwrap();
        assert_eq!(admin.role, LibraryRole::Admin);
        let again = accounts::add(
            store,
            &director,
            &new_staff("b@riverbend.org", LibraryRole::Admin),
        );
        assert!(
            matches!(again, Err(CustodyError::Forbidden(_))),
            "{}",
            t.backend
        );
        let manage = accounts::authorize(store, &director, StaffAction::Manage);
        assert!(
            matches!(manage, Err(CustodyError::Forbidden(_))),
            "{}",
            t.backend
        );
        assert!(accounts::authorize(store, &director, StaffAction::View).is_ok());

        let subject = format!("account:{}", admin.account_id.0);
        assert_eq!(
            log(store, library.id),
            vec![
                row(
                    "account:1",
                    "staff.create",
                    "",
                    "deny",
                    "custodian.staff.admin-only"
                ),
                row(
                    "account:1",
                    "staff.create",
                    &subject,
                    "allow",
                    "custodian.staff.role"
                ),
                row(
                    "account:1",
                    "staff.create",
                    "",
                    "deny",
                    "custodian.staff.admin-only"
                ),
                row(
                    "account:1",
                    "staff.manage",
                    "",
                    "deny",
                    "custodian.staff.admin-only"
                ),
            ],
            "{}",
            t.backend
        );
    }
}

#[test]
fn an_outsiders_refusal_goes_to_the_security_log_not_the_librarys_chain() {
    for t in stores(2) {
        let store = &t.store;
        let library = onboard(store, "riverbend");
        let outsider = StaffManager {
            account: AccountId(77),
            library: library.clone(),
            standing: Standing::Outsider,
        };
        for _ in 0..3 {
            let r = accounts::authorize(store, &outsider, StaffAction::Manage);
            assert!(matches!(r, Err(CustodyError::NotFound)), "{}", t.backend);
        }
        assert!(matches!(
            accounts::list(store, &outsider, None, 10),
            Err(CustodyError::NotFound)
        ));
        assert!(log(store, library.id).is_empty(), "{}", t.backend);
        let refusals = libraries::security_log(store, None, 10).unwrap();
        assert_eq!(refusals.len(), 3, "{}", t.backend);
        assert_eq!(refusals[0].actor, "account:77");
        let _: &security_log::Entry = &refusals[0];
    }
}

#[test]
fn the_operators_accounts_show_in_the_librarys_audit_log() {
    for t in stores(2) {
        let store = &t.store;
        let library = onboard(store, "riverbend");
        let new = OperatorAccount {
            email: "keeper@riverbend.org",
            display_name: "Keeper",
            password_hash: "x",
        };
        accounts::operator_adds_staff(store, "riverbend", LibraryRole::Custodian, &new).unwrap();
        let again = accounts::operator_adds_staff(store, "riverbend", LibraryRole::Staff, &new);
        assert!(
            matches!(again, Err(CustodyError::Conflict(_))),
            "{}",
            t.backend
        );
        let nowhere = accounts::operator_adds_staff(
            store,
            "nowhere",
            LibraryRole::Staff,
            &OperatorAccount {
                email: "other@riverbend.org",
                ..new
            },
        );
        assert!(
            matches!(nowhere, Err(CustodyError::NotFound)),
            "{}",
            t.backend
        );
        let id = store
            .consortium(Access::Read, |c| {
                store::accounts::by_email(c, "keeper@riverbend.org")
            })
            .unwrap()
            .id;
        assert_eq!(
            log(store, library.id),
            vec![row(
                "system:cli",
                "staff.create",
                &format!("account:{}", id.0),
                "allow",
                "custodian.staff.operator"
            )],
            "{}",
            t.backend
        );
        accounts::operator_creates_director(
            store,
            &OperatorAccount {
                email: "director@consortium.org",
                ..new
            },
        )
        .unwrap();
        let me = accounts::whoami(store, id).unwrap();
        assert_eq!(me.libraries.len(), 1);
        assert_eq!(me.libraries[0].role, "custodian");
        assert_eq!(
            libraries::verify_audit_chain(store, library.id)
                .unwrap()
                .first_break,
            None
        );
    }
}

#[test]
fn a_library_keeps_an_enabled_admin() {
    for t in stores(2) {
        let store = &t.store;
        let library = onboard(store, "riverbend");
        let director = StaffManager {
            account: AccountId(1),
            library: library.clone(),
            standing: Standing::Director,
        };
        let admin = accounts::add(
            store,
            &director,
            &new_staff("a@riverbend.org", LibraryRole::Admin),
        )
        .unwrap();
        let as_admin = StaffManager {
            account: admin.account_id,
            library: library.clone(),
            standing: Standing::Member(LibraryRole::Admin),
        };
        let colleague = accounts::add(
            store,
            &as_admin,
            &new_staff("c@riverbend.org", LibraryRole::Staff),
        )
        .unwrap();
        let permit = accounts::authorize(store, &as_admin, StaffAction::Manage).unwrap();
        let demote = StaffChange {
            role: Some(LibraryRole::Staff),
            ..StaffChange::default()
        };
        let r = accounts::change(store, &permit, admin.account_id, &demote);
        assert!(matches!(r, Err(CustodyError::Conflict(_))), "{}", t.backend);
        let r = accounts::remove(store, &permit, admin.account_id);
        assert!(matches!(r, Err(CustodyError::Conflict(_))), "{}", t.backend);
        let renamed = StaffChange {
            display_name: Some("Colleague"),
            ..StaffChange::default()
        };
        let changed = accounts::change(store, &permit, colleague.account_id, &renamed).unwrap();
        assert_eq!(changed.display_name, "Colleague");
        accounts::remove(store, &permit, colleague.account_id).unwrap();
        assert!(matches!(
            accounts::get(store, &as_admin, colleague.account_id),
            Err(CustodyError::NotFound)
        ));
        let actions: Vec<String> = log(store, library.id).into_iter().map(|r| r.1).collect();
        assert_eq!(
            actions,
            [
                "staff.create",
                "staff.create",
                "staff.update",
                "staff.remove"
            ],
            "{}",
            t.backend
        );
    }
}
