//! Records, the audit log and the patron's own data through custody, on
//! SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, NaiveDateTime, Utc};
use custody::audit;
use custody::me::{self, EmailLink};
use custody::patron_sessions::{self, CardHolder};
use custody::records::{self, Feed, FeedLine, NewRecord, RecordId, RecordUpdate};
use custody::{CardNumber, Custody, CustodyError, PatronSelf, Policies, Purpose, StaffMember};
use policy::records::RecordKind;
use policy::staff::LibraryRole;
use std::sync::Arc;
use store::patrons::{self, PatronData};
use store::{AccountId, PatronId};
use testkit::{keyring, stores, TestStore};

/// One backend's store, the custody over it, a staff member of library `a` and two of its patrons.
struct Desk {
    db: TestStore,
    custody: Custody,
    staff: StaffMember,
    ann: PatronId,
    ben: PatronId,
}

fn desks() -> Vec<Desk> {
    let policies = Arc::new(Policies::load().unwrap());
    stores(4)
        .into_iter()
        .map(|db| {
            let library = testkit::member_library(&db.store, "a");
            let custody = Custody::new(db.store.clone(), Arc::new(keyring()), policies.clone());
            let [ann, ben] = ["21000555001", "21000555002"].map(|card| {
                db.store
                    .write(library.id, |tx| {
                        patrons::create(
                            tx,
                            custody.keys(),
                            &PatronData {
                                card_number: card.into(),
                                name: format!("Patron {card}"),
                                email: Some(format!("p{card}@example.org")),
                                birth_date: NaiveDate::from_ymd_opt(1990, 5, 1),
                                ..Default::default()
                            },
                            "pin-hash",
                            now(),
                        )
                    })
                    .unwrap()
                    .id
            });
            let staff = StaffMember {
                library,
                account: AccountId(7),
                role: LibraryRole::Staff,
            };
            Desk {
                db,
                custody,
                staff,
                ann,
                ben,
            }
        })
        .collect()
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn purpose(p: &str) -> Purpose {
    Purpose::parse(Some(p)).unwrap()
}

fn loan(ext: &str, patron: Option<PatronId>, returned: bool) -> NewRecord {
    let t = NaiveDate::from_ymd_opt(2026, 10, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    NewRecord {
        kind: "circulation".into(),
        source: "ils".into(),
        external_id: ext.into(),
        occurred_at: t,
        ended_at: returned.then_some(t + chrono::Duration::days(14)),
        item: "The Secret Garden".into(),
        branch: "Main".into(),
        status: if returned { "returned" } else { "out" }.into(),
        amount_cents: None,
        settled_at: None,
        details: None,
        patron_id: patron,
    }
}

fn line(ext: &str, card: &str, returned: bool) -> String {
    format!(
        r#"{{"kind":"circulation","source":"ils","external_id":"{ext}","occurred_at":"2026-10-01T10:00:00Z"{},"card_number":"{card}"}}"#,
        if returned {
            r#","ended_at":"2026-10-15T10:00:00Z""#
        } else {
            ""
        }
    )
}

fn who(d: &Desk, patron: PatronId) -> PatronSelf {
    PatronSelf {
        library: d.staff.library.id,
        patron,
    }
}

fn actions(d: &Desk) -> Vec<(String, String, String)> {
    let mut custodian = d.staff.clone();
    custodian.role = LibraryRole::Custodian;
    audit::list(&d.custody, &custodian, None, 500)
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.decision))
        .collect()
}

#[test]
fn a_feed_names_its_first_bad_line() {
    let line_of = |body: &[u8]| match Feed::parse(body) {
        Err(CustodyError::FeedLine { line, .. }) => Some(line),
        _ => None,
    };
    let good = line("L1", "21000555001", false);
    assert_eq!(Feed::parse(good.as_bytes()).map(|f| f.len()).ok(), Some(1));
    assert_eq!(line_of(format!("{good}\n\n{{nope").as_bytes()), Some(3));
    let wrong_kind = good.replace("circulation", "gossip");
    assert_eq!(line_of(format!("{good}\n{wrong_kind}").as_bytes()), Some(2));
    // Text that is not UTF-8 is refused before any line is read.
    assert_eq!(line_of(b"{}\n\xff"), Some(2));
    assert!(matches!(
        Feed::parse(b"\n  \n"),
        Err(CustodyError::Invalid { field: "body", .. })
    ));
    let one: FeedLine = serde_json::from_str(&wrong_kind).unwrap();
    assert!(matches!(
        Feed::one(one),
        Err(CustodyError::Invalid { field: "kind", .. })
    ));
    assert!(matches!(
        records::kind_param("gossip"),
        Err(CustodyError::Invalid { field: "kind", .. })
    ));
    assert_eq!(
        records::kind_param("digital_use").ok(),
        Some(RecordKind::DigitalUse)
    );
}

#[test]
fn a_feed_lands_whole_with_retention_done_on_arrival() {
    for d in desks() {
        let b = d.db.backend;
        let body = [
            line("L1", "21000555001", true),
            line("L2", "21000555001", false),
            line("L3", "21000555002", true),
        ]
        .join("\n");
        let done =
            records::ingest(&d.custody, &d.staff, Feed::parse(body.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            (done.ids.len(), done.unlinked, done.deleted),
            (3, 2, 0),
            "{b}"
        );
        let ann = records::of_patron(
            &d.custody,
            &d.staff,
            d.ann,
            &purpose("hold pickup"),
            None,
            10,
        )
        .unwrap();
        assert_eq!(
            ann.iter()
                .map(|r| r.external_id.as_str())
                .collect::<Vec<_>>(),
            ["L2"],
            "{b}: only the open loan keeps its link"
        );

        // An unknown card fails the whole feed, and its audit entry with it.
        let before = actions(&d).len();
        let bad = [line("L4", "21000555001", false), line("L5", "999", false)].join("\n");
        match records::ingest(&d.custody, &d.staff, Feed::parse(bad.as_bytes()).unwrap()) {
            Err(CustodyError::FeedLine { line: 2, .. }) => {}
            other => panic!("{b}: {other:?}"),
        }
        let listed =
            records::list(&d.custody, &d.staff, None, &purpose("audit"), None, 100).unwrap();
        assert_eq!(listed.len(), 3, "{b}: nothing of the bad feed stored");
        assert_eq!(
            actions(&d).len(),
            before + 1,
            "{b}: only the list was recorded"
        );

        // The same record twice is a conflict, not a second copy.
        let again =
            Feed::one(serde_json::from_str(&line("L1", "21000555001", true)).unwrap()).unwrap();
        assert!(
            matches!(
                records::ingest(&d.custody, &d.staff, again),
                Err(CustodyError::Conflict(_))
            ),
            "{b}"
        );
        let feeds = actions(&d)
            .into_iter()
            .filter(|(_, action, _)| action == "records.feed")
            .count();
        assert_eq!(feeds, 1, "{b}: failed feeds leave no entry");
    }
}

#[test]
fn a_returned_loan_is_unlinked_at_once_and_reads_are_by_kind() {
    for d in desks() {
        let b = d.db.backend;
        let feed = Feed::one(FeedLine {
            record: loan("L1", Some(d.ann), false),
            card_number: None,
        })
        .unwrap();
        let id = records::ingest(&d.custody, &d.staff, feed).unwrap().ids[0];
        let returned = RecordUpdate {
            ended_at: NaiveDate::from_ymd_opt(2026, 10, 15)
                .unwrap()
                .and_hms_opt(9, 0, 0),
            status: Some("returned".into()),
            ..Default::default()
        };
        let out = records::update(&d.custody, &d.staff, RecordId(id), &returned).unwrap();
        let record = out.record.expect("kept, without its link");
        assert_eq!(
            (record.patron_id, record.status.as_str()),
            (None, "returned"),
            "{b}"
        );
        assert!(
            matches!(
                records::update(&d.custody, &d.staff, RecordId(id + 100), &returned),
                Err(CustodyError::NotFound)
            ),
            "{b}"
        );

        let p = purpose("statistics");
        let circ = records::list(
            &d.custody,
            &d.staff,
            Some(RecordKind::Circulation),
            &p,
            None,
            10,
        )
        .unwrap();
        let digital = records::list(
            &d.custody,
            &d.staff,
            Some(RecordKind::DigitalUse),
            &p,
            None,
            10,
        )
        .unwrap();
        assert_eq!((circ.len(), digital.len()), (1, 0), "{b}");
        assert!(
            matches!(
                records::of_patron(&d.custody, &d.staff, PatronId(9999), &p, None, 10),
                Err(CustodyError::NotFound)
            ),
            "{b}: a patron of no library is not found"
        );
        records::of_patron(&d.custody, &d.staff, d.ann, &p, None, 10).unwrap();
        let staff = d.staff.actor().to_string();
        let log = actions(&d);
        for action in [
            "records.feed",
            "records.update",
            "records.list",
            "patron.records",
        ] {
            assert!(
                log.iter().any(|(who, a, _)| who == &staff && a == action),
                "{b}: {action} recorded"
            );
        }
    }
}

#[test]
fn only_its_keepers_read_the_audit_log() {
    for d in desks() {
        assert!(matches!(
            audit::list(&d.custody, &d.staff, None, 10),
            Err(CustodyError::Forbidden(_))
        ));
        let mut admin = d.staff.clone();
        admin.role = LibraryRole::Admin;
        assert!(
            audit::list(&d.custody, &admin, None, 10).is_ok(),
            "{}",
            d.db.backend
        );
    }
}

#[test]
fn a_patron_sees_their_data_and_who_else_looked() {
    for d in desks() {
        let b = d.db.backend;
        let ann = who(&d, d.ann);
        let feed = Feed::one(FeedLine {
            record: loan("L1", Some(d.ann), false),
            card_number: None,
        })
        .unwrap();
        records::ingest(&d.custody, &d.staff, feed).unwrap();
        assert_eq!(me::profile(&d.custody, &ann).unwrap().id, d.ann, "{b}");
        assert_eq!(
            me::own_records(&d.custody, &ann, None, 10).unwrap().len(),
            1,
            "{b}"
        );
        records::of_patron(
            &d.custody,
            &d.staff,
            d.ann,
            &purpose("hold pickup"),
            None,
            10,
        )
        .unwrap();

        let log = me::access_log(&d.custody, &ann).unwrap();
        assert_eq!(log.len(), 1, "{b}: their own reads are not listed: {log:?}");
        assert_eq!(
            (
                log[0].who.as_str(),
                log[0].action.as_str(),
                log[0].purpose.as_str()
            ),
            ("library staff (account 7)", "patron.records", "hold pickup"),
            "{b}"
        );
        let export = me::export(&d.custody, &ann).unwrap();
        assert_eq!(export["records"].as_array().map(Vec::len), Some(1), "{b}");
        assert_eq!(
            export["access_log"].as_array().map(Vec::len),
            Some(1),
            "{b}"
        );
        assert_eq!(export["library_id"], d.staff.library.id.0, "{b}");

        let log = actions(&d);
        let patron = format!("patron:{}", d.ann.0);
        for action in [
            "patron.self.read",
            "patron.self.records",
            "patron.self.access-log",
            "patron.self.export",
        ] {
            assert!(
                log.iter()
                    .any(|(who, a, v)| who == &patron && a == action && v == "allow"),
                "{b}: {action} recorded"
            );
        }
        // Ben's data is not Ann's.
        assert!(
            me::own_records(&d.custody, &who(&d, d.ben), None, 10)
                .unwrap()
                .is_empty(),
            "{b}"
        );
    }
}

/// The idle time the sessions below are checked with.
const IDLE: chrono::Duration = chrono::Duration::minutes(30);

#[test]
fn a_pin_change_checks_the_current_pin_and_ends_every_session() {
    for d in desks() {
        let b = d.db.backend;
        let ann = who(&d, d.ann);
        let (lib, t) = (d.staff.library.id, now());
        let later = t + chrono::Duration::hours(1);
        patron_sessions::start(&d.custody, &ann, b"s1", t, later).unwrap();
        patron_sessions::start(&d.custody, &ann, b"s2", t, later).unwrap();
        assert_eq!(
            patron_sessions::patron_of(&d.custody, lib, b"s1", t, IDLE).unwrap(),
            Some(d.ann),
            "{b}"
        );
        // Unused for longer than the idle time: over, though not yet expired.
        let idle_later = t + IDLE + chrono::Duration::minutes(1);
        assert_eq!(
            patron_sessions::patron_of(&d.custody, lib, b"s1", idle_later, IDLE).unwrap(),
            None,
            "{b}"
        );
        patron_sessions::end(&d.custody, &ann, b"s1", t).unwrap();
        assert_eq!(
            patron_sessions::patron_of(&d.custody, lib, b"s1", t, IDLE).unwrap(),
            None,
            "{b}"
        );
        assert_eq!(
            patron_sessions::patron_of(&d.custody, lib, b"s2", t, IDLE).unwrap(),
            Some(d.ann),
            "{b}"
        );

        let wrong = me::change_pin(&d.custody, &ann, "new-hash", |stored| stored == "other");
        assert!(
            matches!(
                wrong,
                Err(CustodyError::Invalid {
                    field: "current_pin",
                    ..
                })
            ),
            "{b}"
        );
        me::change_pin(&d.custody, &ann, "new-hash", |stored| stored == "pin-hash").unwrap();
        assert_eq!(
            patron_sessions::patron_of(&d.custody, lib, b"s2", t, IDLE).unwrap(),
            None,
            "{b}"
        );

        let card = CardNumber::parse("2100-0555-001").unwrap();
        assert_eq!(
            patron_sessions::card_holder(&d.custody, "a", &card).unwrap(),
            CardHolder::At {
                library: lib,
                holder: Some((d.ann, "new-hash".into()))
            },
            "{b}: the card is found however it is typed"
        );
        let unknown = CardNumber::parse("999").unwrap();
        assert_eq!(
            patron_sessions::card_holder(&d.custody, "a", &unknown).unwrap(),
            CardHolder::At {
                library: lib,
                holder: None
            },
            "{b}"
        );
        assert_eq!(
            patron_sessions::card_holder(&d.custody, "nowhere", &card).unwrap(),
            CardHolder::NoLibrary,
            "{b}"
        );
        assert_eq!(patron_sessions::attempt_key("a", &card), "a:21000555001");
    }
}

#[test]
fn history_deletion_requests_and_a_confirmed_email_are_recorded() {
    for d in desks() {
        let b = d.db.backend;
        let ann = who(&d, d.ann);
        let feed = Feed::one(FeedLine {
            record: loan("L1", Some(d.ann), false),
            card_number: None,
        })
        .unwrap();
        let id = records::ingest(&d.custody, &d.staff, feed).unwrap().ids[0];
        assert_eq!(me::set_history(&d.custody, &ann, true).unwrap(), 0, "{b}");
        let returned = RecordUpdate {
            ended_at: NaiveDate::from_ymd_opt(2026, 10, 15)
                .unwrap()
                .and_hms_opt(9, 0, 0),
            ..Default::default()
        };
        let kept = records::update(&d.custody, &d.staff, RecordId(id), &returned).unwrap();
        assert_eq!(
            kept.record.and_then(|r| r.patron_id),
            Some(d.ann),
            "{b}: history kept"
        );
        assert_eq!(
            me::set_history(&d.custody, &ann, false).unwrap(),
            1,
            "{b}: unlinked at once"
        );

        let n = me::request_deletion(&d.custody, &ann, chrono::Duration::days(30)).unwrap();
        assert!(n > 0, "{b}");

        let lib = d.staff.library.id;
        let (t, expires) = (now(), now() + chrono::Duration::hours(1));
        d.db.store
            .write(lib, |tx| {
                patrons::request_email_change(
                    tx,
                    d.custody.keys(),
                    d.ann,
                    "ann@example.net",
                    b"link",
                    expires,
                    t,
                )
            })
            .unwrap();
        let usable = EmailLink::Usable(d.ann, "ann@example.net".into());
        assert_eq!(
            me::email_link(&d.custody, lib, b"link").unwrap(),
            usable,
            "{b}"
        );
        assert_eq!(
            me::confirm_email(&d.custody, lib, b"link").unwrap(),
            usable,
            "{b}"
        );
        assert!(
            matches!(
                me::confirm_email(&d.custody, lib, b"link"),
                Err(CustodyError::NotFound)
            ),
            "{b}: the link is spent"
        );
        let mut custodian = d.staff.clone();
        custodian.role = LibraryRole::Custodian;
        let entries = audit::list(&d.custody, &custodian, None, 500).unwrap();
        let confirmed: Vec<_> = entries
            .iter()
            .filter(|e| e.action == "patron.self.email_confirmed")
            .map(|e| {
                (
                    e.actor.clone(),
                    e.subject.clone(),
                    e.decision.as_str(),
                    e.clause.as_str(),
                )
            })
            .collect();
        let patron = format!("patron:{}", d.ann.0);
        assert_eq!(
            confirmed,
            [(patron.clone(), patron, "allow", "custodian.patron.self")],
            "{b}"
        );
        for action in ["patron.self.history", "patron.self.deletion-request"] {
            assert!(entries.iter().any(|e| e.action == action), "{b}: {action}");
        }
    }
}
