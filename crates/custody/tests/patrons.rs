//! Staff work with patrons through custody, on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use custody::consents::{self, Consent, GuardianConsent};
use custody::patrons::{self, PatronChange, PatronId, PinHash, Registration, Search};
use custody::{CardNumber, Custody, CustodyError, Policies, Purpose, StaffMember};
use policy::records::RecordKind;
use policy::retention::PurgeMethod;
use policy::staff::LibraryRole;
use std::sync::Arc;
use store::records::{self, NewRecord};
use store::{audit, AccountId};
use testkit::{keyring, stores, TestStore};

/// One backend's store, the custody over it, and a staff member of library `a`.
struct Desk {
    db: TestStore,
    custody: Custody,
    staff: StaffMember,
}

fn desks() -> Vec<Desk> {
    let policies = Arc::new(Policies::load().unwrap());
    stores(4)
        .into_iter()
        .map(|db| {
            let library = testkit::member_library(&db.store, "a");
            let custody = Custody::new(db.store.clone(), Arc::new(keyring()), policies.clone());
            let staff = StaffMember {
                library,
                account: AccountId(7),
                role: LibraryRole::Staff,
            };
            Desk { db, custody, staff }
        })
        .collect()
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn purpose(p: &str) -> Purpose {
    Purpose::parse(Some(p)).unwrap()
}

fn adult(card: &str, name: &str) -> Registration {
    Registration {
        card_number: CardNumber::parse(card).unwrap(),
        name: name.into(),
        address: Some("1 Main St".into()),
        email: Some(format!("{}@example.org", name.to_lowercase())),
        phone: None,
        birth_date: NaiveDate::from_ymd_opt(1990, 5, 1),
        guardian: None,
        guardian_consent: None,
    }
}

fn child(card: &str) -> Registration {
    Registration {
        birth_date: Some(Utc::now().date_naive() - Duration::days(365 * 8)),
        guardian: Some("Pat Parent".into()),
        ..adult(card, "Kid")
    }
}

fn register(d: &Desk, r: Registration) -> PatronId {
    patrons::register(&d.custody, &d.staff, r, &PinHash::new("pinhash".into()))
        .unwrap()
        .id
}

fn loan(ext: &str, patron: PatronId, returned: bool, fine: Option<(i64, bool)>) -> NewRecord {
    let t = NaiveDate::from_ymd_opt(2026, 10, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    NewRecord {
        kind: "circulation".into(),
        source: "ils".into(),
        external_id: ext.into(),
        occurred_at: t,
        ended_at: returned.then_some(t + Duration::days(14)),
        item: "The Secret Garden".into(),
        branch: "Main".into(),
        status: if returned { "returned" } else { "out" }.into(),
        amount_cents: fine.map(|(a, _)| a),
        settled_at: fine.and_then(|(_, settled)| settled.then_some(t + Duration::days(20))),
        details: None,
        patron_id: Some(patron),
    }
}

fn feed(d: &Desk, lines: &[NewRecord]) {
    let k = keyring();
    d.db.store
        .write(d.staff.library.id, |tx| {
            records::ingest(tx, &k, lines, now())
        })
        .unwrap();
}

/// The library's audit log as `(actor, action, subject, decision)`.
fn log(d: &Desk) -> Vec<(String, String, String, String)> {
    d.db.store
        .read(d.staff.library.id, |tx| audit::list(tx, None, 100))
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.subject, e.decision))
        .collect()
}

#[test]
fn a_registration_is_read_back_and_every_step_is_in_the_audit_log() {
    for d in desks() {
        let id = register(&d, adult("2 1000 0001", "Ada"));
        let file = patrons::read(&d.custody, &d.staff, &purpose("hold pickup"), id).unwrap();
        assert_eq!(file.patron.data.name, "Ada", "{}", d.db.backend);
        assert_eq!(file.patron.data.card_number, "2 1000 0001");
        assert!(file.consents.is_empty());
        let found = patrons::search(
            &d.custody,
            &d.staff,
            &purpose("hold pickup"),
            Search::Card("2 1000 0001".into()),
        )
        .unwrap();
        assert_eq!(found.len(), 1, "{}", d.db.backend);
        assert_eq!(found[0].id, id);
        let listed = patrons::search(
            &d.custody,
            &d.staff,
            &purpose("weeding"),
            Search::List {
                after: None,
                limit: 10,
            },
        )
        .unwrap();
        assert_eq!(listed.len(), 1);
        let subject = format!("patron:{id}");
        let entries = log(&d);
        let want = [
            ("patron.register", ""),
            ("patron.read", subject.as_str()),
            ("patron.search", ""),
            ("patron.search", ""),
        ];
        assert_eq!(entries.len(), want.len(), "{}: {entries:?}", d.db.backend);
        for (entry, (action, subject)) in entries.iter().zip(want) {
            assert_eq!(entry.0, "account:7");
            assert_eq!(entry.1, action);
            assert_eq!(entry.2, subject);
            assert_eq!(entry.3, "allow");
        }
    }
}

#[test]
fn a_card_number_is_registered_once_per_library() {
    for d in desks() {
        register(&d, adult("2 1000 0001", "Ada"));
        let again = patrons::register(
            &d.custody,
            &d.staff,
            adult("2 1000 0001", "Bea"),
            &PinHash::new("pinhash".into()),
        );
        assert!(
            matches!(again, Err(CustodyError::Conflict(ref why)) if why.contains("already registered")),
            "{}: {again:?}",
            d.db.backend
        );
    }
}

#[test]
fn a_child_needs_a_guardians_consent_to_register_and_to_be_corrected() {
    for d in desks() {
        let refused = patrons::register(
            &d.custody,
            &d.staff,
            child("3 0000 0001"),
            &PinHash::new("pinhash".into()),
        );
        assert!(
            matches!(refused, Err(CustodyError::GuardianConsentRequired(ref f)) if f.contains("email")),
            "{}: {refused:?}",
            d.db.backend
        );
        // Refused before the gate: nothing was decided, so nothing is logged.
        assert!(log(&d).is_empty());

        let with_consent = Registration {
            guardian_consent: Some(GuardianConsent {
                given_by: "Pat Parent".into(),
                scope: "registration and contact".into(),
            }),
            ..child("3 0000 0001")
        };
        let id = register(&d, with_consent);
        let file = patrons::read(&d.custody, &d.staff, &purpose("desk"), id).unwrap();
        assert_eq!(file.consents.len(), 1);
        assert_eq!(file.consents[0].kind, "guardian");

        // A child registered without contact fields, then given an email, is refused.
        let bare = Registration {
            address: None,
            email: None,
            name: "K".into(),
            ..child("3 0000 0002")
        };
        let refused =
            patrons::register(&d.custody, &d.staff, bare, &PinHash::new("pinhash".into()));
        assert!(matches!(
            refused,
            Err(CustodyError::GuardianConsentRequired(_))
        ));

        let change = PatronChange {
            email: Some(Some("kid@example.org".into())),
            ..Default::default()
        };
        let corrected =
            patrons::correct(&d.custody, &d.staff, &purpose("typo"), id, &change).unwrap();
        assert_eq!(corrected.data.email.as_deref(), Some("kid@example.org"));
    }
}

#[test]
fn a_correction_refused_for_want_of_consent_leaves_no_trace() {
    for d in desks() {
        let id = register(&d, adult("2 1000 0001", "Ada"));
        let before = log(&d).len();
        let change = PatronChange {
            birth_date: Some(Some(Utc::now().date_naive() - Duration::days(365 * 5))),
            ..Default::default()
        };
        let refused = patrons::correct(&d.custody, &d.staff, &purpose("typo"), id, &change);
        assert!(
            matches!(refused, Err(CustodyError::GuardianConsentRequired(_))),
            "{}: {refused:?}",
            d.db.backend
        );
        // The decision's entry rolls back with the refused correction.
        assert_eq!(log(&d).len(), before);
        let missing = patrons::correct(
            &d.custody,
            &d.staff,
            &purpose("typo"),
            PatronId(999),
            &PatronChange::default(),
        );
        assert!(matches!(missing, Err(CustodyError::NotFound)));
    }
}

#[test]
fn consents_are_checked_and_recorded_for_existing_patrons_only() {
    for d in desks() {
        let id = register(&d, adult("2 1000 0001", "Ada"));
        let consent = |kind: &str, given_by: &str| Consent {
            kind: kind.into(),
            given_by: given_by.into(),
            scope: "a disclosure".into(),
            expires_at: None,
        };
        let bad = consents::add_consent(&d.custody, &d.staff, id, &consent("verbal", "Ada"));
        assert!(matches!(
            bad,
            Err(CustodyError::Invalid { field: "kind", .. })
        ));
        let nobody = consents::add_consent(&d.custody, &d.staff, id, &consent("disclosure", " "));
        assert!(matches!(
            nobody,
            Err(CustodyError::Invalid {
                field: "given_by",
                ..
            })
        ));
        let missing = consents::add_consent(
            &d.custody,
            &d.staff,
            PatronId(999),
            &consent("disclosure", "Ada"),
        );
        assert!(matches!(missing, Err(CustodyError::NotFound)));

        consents::add_consent(&d.custody, &d.staff, id, &consent("disclosure", " Ada ")).unwrap();
        let file = patrons::read(&d.custody, &d.staff, &purpose("desk"), id).unwrap();
        assert_eq!(file.consents.len(), 1, "{}", d.db.backend);
        assert_eq!(file.consents[0].given_by, "Ada");
        let last = log(&d).pop().unwrap();
        assert_eq!(last.1, "patron.read");
        assert!(log(&d)
            .iter()
            .any(|e| e.1 == "patron.consent" && e.2 == format!("patron:{id}")));
    }
}

#[test]
fn merging_moves_records_and_consents_and_removes_the_duplicate() {
    for d in desks() {
        let keep = register(&d, adult("2 1000 0001", "Ada"));
        let dup = register(&d, adult("2 1000 0002", "Ada"));
        feed(
            &d,
            &[loan("l1", dup, false, None), loan("l2", dup, false, None)],
        );
        let moved =
            patrons::merge(&d.custody, &d.staff, &purpose("duplicates"), keep, dup).unwrap();
        assert_eq!(moved, 2, "{}", d.db.backend);
        let gone = patrons::read(&d.custody, &d.staff, &purpose("desk"), dup);
        assert!(matches!(gone, Err(CustodyError::NotFound)));
        let itself = patrons::merge(&d.custody, &d.staff, &purpose("duplicates"), keep, keep);
        assert!(matches!(
            itself,
            Err(CustodyError::Store(store::StoreError::Conflict(_)))
        ));
    }
}

#[test]
fn deleting_a_patron_follows_the_retention_schedule_per_kind() {
    for d in desks() {
        let id = register(&d, adult("2 1000 0001", "Ada"));
        feed(
            &d,
            &[
                loan("l1", id, false, None),
                loan("l2", id, true, Some((100, false))),
            ],
        );
        let (_, document) = d.custody.policies().for_library(&d.staff.library).unwrap();
        let deletes = document.schedule().rule(RecordKind::Circulation).then == PurgeMethod::Delete;
        let done = patrons::delete(&d.custody, &d.staff, &purpose("patron asked"), id).unwrap();
        let (deleted, kept) = if deletes { (2, 0) } else { (0, 2) };
        assert_eq!(done.records_deleted, deleted, "{}", d.db.backend);
        assert_eq!(done.records_kept_without_link, kept);
        let gone = patrons::read(&d.custody, &d.staff, &purpose("desk"), id);
        assert!(matches!(gone, Err(CustodyError::NotFound)));
        let again = patrons::delete(&d.custody, &d.staff, &purpose("patron asked"), id);
        assert!(matches!(again, Err(CustodyError::NotFound)));
    }
}

#[test]
fn turning_history_off_unlinks_returned_and_settled_loans_at_once() {
    for d in desks() {
        let pa = register(&d, adult("1", "Ada"));
        feed(
            &d,
            &[
                loan("returned", pa, true, None),
                loan("out", pa, false, None),
                loan("fined-unpaid", pa, true, Some((250, false))),
                loan("fined-paid", pa, true, Some((250, true))),
            ],
        );
        let lib = d.staff.library.id;
        let kept =
            d.db.store
                .write(lib, |tx| patrons::set_keep_history(tx, pa, true, now()))
                .unwrap();
        assert_eq!(kept, 0);
        let unlinked =
            d.db.store
                .write(lib, |tx| patrons::set_keep_history(tx, pa, false, now()))
                .unwrap();
        assert_eq!(unlinked, 2, "{}", d.db.backend);
        let k = keyring();
        let left: Vec<String> =
            d.db.store
                .read(lib, |tx| records::for_patron(tx, &k, pa, None, 10))
                .unwrap()
                .into_iter()
                .map(|r| r.external_id)
                .collect();
        assert_eq!(left.len(), 2);
        assert!(
            left.contains(&"out".to_owned()) && left.contains(&"fined-unpaid".to_owned()),
            "{left:?}"
        );
        let missing = d.db.store.write(lib, |tx| {
            patrons::set_keep_history(tx, PatronId(999), false, now())
        });
        assert!(matches!(missing, Err(CustodyError::NotFound)));
    }
}
