//! A request's life without a server: one reminder, then it lapses; links
//! work once and expire; deletions' replies mention backups.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use notifier::requests::{Channel, Settings, StaffChange};
use notifier::wake::Waker;
use notifier::{Mailroom, MailroomError};
use store::{Access, AccountId, LibraryId, Store};
use testkit::{keyring, stores};

fn room(store: &Store) -> Mailroom {
    Mailroom::new(
        store.clone(),
        keyring(),
        Settings {
            from: "director@evergreen.example.org".parse().unwrap(),
            public_url: "https://custodian.example.org/".into(),
            due_days: 30,
            confirm_days: 7,
            remind_after_hours: 72,
        },
        Waker::local(),
    )
}

fn message(id: &str, subject: &str) -> Vec<u8> {
    format!("From: someone@example.org\r\nTo: director@evergreen.example.org\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\r\nPlease.\r\n").into_bytes()
}

/// Takes every message queued so far out of the outbox (as a worker living
/// at the test's far-future clock would) and returns each one's subject and text.
fn sent(store: &Store) -> Vec<String> {
    let far = Utc::now().naive_utc() + Duration::days(365);
    let claimed = store
        .claim_outbox(&keyring(), "test", far, far + Duration::hours(1), 100)
        .unwrap();
    claimed
        .iter()
        .map(|c| {
            store
                .consortium(Access::Write, |db| {
                    store::outbox::mark_sent(db, c.library, c.id, far)
                })
                .unwrap();
            let m = mail_parser::MessageParser::default()
                .parse(c.message.as_bytes())
                .unwrap();
            format!("{}\n{}", m.subject().unwrap(), m.body_text(0).unwrap())
        })
        .collect()
}

fn token(text: &str) -> String {
    let at = text.find("/requests/confirm/").unwrap() + "/requests/confirm/".len();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

#[test]
fn one_reminder_then_the_request_lapses() {
    for db in stores(4) {
        let room = room(&db.store);
        let t0 = Utc::now().naive_utc();
        room.ingest(
            &message("a@x", "Please delete my account"),
            Channel::Stdin,
            t0,
        )
        .unwrap();
        let first = sent(&db.store);
        assert_eq!(first.len(), 1);
        let first_token = token(&first[0]);
        assert!(
            first[0].contains("https://custodian.example.org/requests/confirm/c0."),
            "{}",
            first[0]
        );

        // Nothing yet after a day; after three, one reminder with a fresh link.
        assert_eq!(room.sweep(t0 + Duration::hours(24)).unwrap().reminded, 0);
        assert_eq!(room.sweep(t0 + Duration::hours(73)).unwrap().reminded, 1);
        assert_eq!(
            room.sweep(t0 + Duration::hours(80)).unwrap().reminded,
            0,
            "only one reminder"
        );
        let reminder = sent(&db.store);
        assert_eq!(reminder.len(), 1);
        assert!(reminder[0].starts_with("Reminder: please confirm"));
        let second_token = token(&reminder[0]);
        assert_ne!(first_token, second_token);
        assert!(matches!(
            room.confirm(&first_token, t0 + Duration::hours(74)),
            Err(MailroomError::LinkInvalid)
        ));

        // Past the link's expiry: the link says so, and the sweep lets it lapse.
        assert!(matches!(
            room.check_link(&second_token, t0 + Duration::days(8)),
            Err(MailroomError::LinkExpired)
        ));
        assert!(matches!(
            room.confirm(&second_token, t0 + Duration::days(8)),
            Err(MailroomError::LinkExpired)
        ));
        assert_eq!(room.sweep(t0 + Duration::days(8)).unwrap().lapsed, 1);
        let requests = room
            .list(LibraryId::CONSORTIUM, &Default::default(), None, 10)
            .unwrap();
        assert_eq!(requests[0].status, "lapsed");
        let change = StaffChange {
            status: Some("in_progress".into()),
            ..Default::default()
        };
        assert!(matches!(
            room.update(
                LibraryId::CONSORTIUM,
                requests[0].id,
                AccountId(1),
                &change,
                t0 + Duration::days(9)
            ),
            Err(MailroomError::Refused(_))
        ));
    }
}

#[test]
fn a_confirmed_deletion_is_closed_with_the_backup_notice() {
    for db in stores(4) {
        let room = room(&db.store);
        let t0 = Utc::now().naive_utc();
        room.ingest(&message("b@x", "Delete my data"), Channel::Stdin, t0)
            .unwrap();
        let link = token(&sent(&db.store)[0]);
        let asked = room.check_link(&link, t0).unwrap();
        assert_eq!(
            asked.asks_to,
            "delete the information your message describes"
        );
        assert!(asked.reference.starts_with("R-0-"), "{asked:?}");
        assert_eq!(room.confirm(&link, t0).unwrap(), asked);
        match room.confirm(&link, t0) {
            Err(MailroomError::LinkSpent { reference }) => assert_eq!(reference, asked.reference),
            other => panic!("a link works once, then says it was used: {other:?}"),
        }
        assert!(matches!(
            room.confirm("c0.short", t0),
            Err(MailroomError::LinkInvalid)
        ));
        assert!(matches!(
            room.confirm("c99999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", t0),
            Err(MailroomError::LinkInvalid)
        ));
        let id = room
            .list(LibraryId::CONSORTIUM, &Default::default(), None, 10)
            .unwrap()[0]
            .id;
        let done = StaffChange {
            status: Some("done".into()),
            notice: Some("Deleted.".into()),
            note: Some("Internal: checked the ILS too.".into()),
            ..Default::default()
        };
        let detail = room
            .update(LibraryId::CONSORTIUM, id, AccountId(1), &done, t0)
            .unwrap();
        assert_eq!(detail.request.status, "done");
        let closing = sent(&db.store);
        assert_eq!(closing.len(), 1);
        assert!(closing[0].starts_with("Your request has been completed"));
        assert!(closing[0].contains("Deleted."));
        assert!(!closing[0].contains("checked the ILS"), "{}", closing[0]);
        assert!(closing[0].contains("may persist on backup media until those backups expire"));
        let bad = StaffChange {
            status: Some("archived".into()),
            ..Default::default()
        };
        assert!(matches!(
            room.update(LibraryId::CONSORTIUM, id, AccountId(1), &bad, t0),
            Err(MailroomError::Invalid {
                field: "status",
                ..
            })
        ));
    }
}

#[test]
fn the_message_is_kept_byte_for_byte_even_in_8_bit_charsets() {
    for db in stores(4) {
        let room = room(&db.store);
        // Latin-1 sent as 8-bit: not UTF-8, and it must come back unchanged.
        let mut raw = b"From: someone@example.org\r\nTo: director@evergreen.example.org\r\nSubject: Correction\r\nMessage-ID: <latin1@x>\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nMon nom est mal \xe9crit: Ren\xe9e.\r\n".to_vec();
        raw.extend_from_slice(b"\xff\xfe binary-ish tail\r\n");
        let outcome = room
            .ingest(&raw, Channel::Stdin, Utc::now().naive_utc())
            .unwrap();
        assert_eq!(outcome.kind, Some("correct"), "{outcome:?}");
        let requests = room
            .list(LibraryId::CONSORTIUM, &Default::default(), None, 10)
            .unwrap();
        assert!(
            requests[0].body.contains("Renée"),
            "decoded: {}",
            requests[0].body
        );
        let kept = room
            .raw(
                LibraryId::CONSORTIUM,
                requests[0].id,
                AccountId(1),
                Utc::now().naive_utc(),
            )
            .unwrap();
        assert_eq!(kept, raw, "{}", db.backend);
    }
}

#[test]
fn the_internal_note_is_never_emailed() {
    for db in stores(4) {
        let room = room(&db.store);
        let t0 = Utc::now().naive_utc();
        room.ingest(&message("n@x", "When are you open?"), Channel::Stdin, t0)
            .unwrap();
        let id = room
            .list(LibraryId::CONSORTIUM, &Default::default(), None, 10)
            .unwrap()[0]
            .id;
        let close = StaffChange {
            status: Some("done".into()),
            note: Some("Internal: answered by phone, grumpy caller.".into()),
            ..Default::default()
        };
        let detail = room
            .update(LibraryId::CONSORTIUM, id, AccountId(1), &close, t0)
            .unwrap();
        let sent = sent(&db.store);
        assert_eq!(sent.len(), 1, "{}", db.backend);
        assert!(
            sent[0].starts_with("Your request has been completed"),
            "{}",
            sent[0]
        );
        assert!(
            sent[0].contains("to look into your message has been completed"),
            "{}",
            sent[0]
        );
        assert!(
            !sent[0].contains("grumpy"),
            "{}: the note was emailed: {}",
            db.backend,
            sent[0]
        );
        assert!(!sent[0].contains("held about you"), "{}", sent[0]);
        let note = detail.history.iter().find(|e| e.action == "note").unwrap();
        assert_eq!(
            note.note.as_deref(),
            Some("Internal: answered by phone, grumpy caller.")
        );
        let replied = detail
            .history
            .iter()
            .find(|e| e.action == "replied")
            .unwrap();
        assert_eq!(replied.note, None);
    }
}

#[test]
fn nul_bytes_are_stripped_from_what_is_stored() {
    for db in stores(4) {
        let room = room(&db.store);
        let raw = b"From: \"Nul\0\" <nul\0@example.org>\r\nReply-To: <other\0@example.org>\r\nSubject: Please fix\0 my name\r\nMessage-ID: <n\0ul@x>\r\nX-Whatever: \0\0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIt is wr\0ong.\0\r\n".to_vec();
        let outcome = room
            .ingest(&raw, Channel::Gateway, Utc::now().naive_utc())
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        assert_eq!(outcome.kind, Some("correct"), "{outcome:?}");
        let odd = b"From: odd@example.org\r\nX-\0Odd: 1\r\nSubject\0: hours?\r\nMessage-ID: <odd@x>\r\n\r\nWhen?\r\n";
        room.ingest(odd, Channel::Gateway, Utc::now().naive_utc())
            .unwrap_or_else(|e| panic!("{}: a NUL in a field name: {e}", db.backend));
        let auto = b"From: a@example.org\r\nSubject: x\r\nMessage-ID: <auto\0@x>\r\nAuto-Submitted: auto-replied\0\r\n\r\n\0".to_vec();
        let outcome = room
            .ingest(&auto, Channel::Gateway, Utc::now().naive_utc())
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        assert_eq!(outcome.outcome, "auto_reply");
        let requests = room
            .list(LibraryId::CONSORTIUM, &Default::default(), None, 10)
            .unwrap();
        assert_eq!(requests.len(), 2);
        let requests: Vec<_> = requests
            .into_iter()
            .filter(|r| r.sender == "nul@example.org")
            .collect();
        assert_eq!(requests[0].subject, "Please fix my name");
        assert!(!requests[0].body.contains('\0'));
        let kept = room
            .raw(
                LibraryId::CONSORTIUM,
                requests[0].id,
                AccountId(1),
                Utc::now().naive_utc(),
            )
            .unwrap();
        assert_eq!(kept, raw, "the raw message is kept byte for byte");
    }
}

#[test]
fn what_is_not_a_message_is_refused_and_filed_nowhere() {
    for db in stores(4) {
        let room = room(&db.store);
        for garbage in [
            &b""[..],
            b"\r\n\r\n",
            b"please delete my account",
            b"\0\0\0\0\0",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            b"Subject: no sender\r\n\r\nhello",
            b"From: a@example.org\r\n\r\nnothing else",
            b"Hello\r\nFrom: a@example.org\r\nSubject: x\r\n\r\nbody",
        ] {
            let r = room.ingest(garbage, Channel::Gateway, Utc::now().naive_utc());
            assert!(
                matches!(r, Err(MailroomError::Unreadable(_))),
                "{}: {:?} -> {r:?}",
                db.backend,
                String::from_utf8_lossy(garbage)
            );
        }
        assert!(room
            .list(LibraryId::CONSORTIUM, &Default::default(), None, 10)
            .unwrap()
            .is_empty());
        assert!(room.ledger(None, None, 10).unwrap().is_empty());
        // An mbox envelope line before the headers is still a message.
        let r = room.ingest(
            b"From a@example.org Sun Nov 22 10:00:00 2026\nFrom: a@example.org\nSubject: Hours\n\nWhen?\n",
            Channel::Stdin,
            Utc::now().naive_utc(),
        );
        assert!(r.is_ok(), "{r:?}");
    }
}

/// Recipients of every message queued so far, taken out of the outbox.
fn recipients(store: &Store) -> Vec<(String, String)> {
    let far = Utc::now().naive_utc() + Duration::days(365);
    let claimed = store
        .claim_outbox(&keyring(), "test", far, far + Duration::hours(1), 100)
        .unwrap();
    claimed
        .iter()
        .map(|c| {
            store
                .consortium(Access::Write, |db| {
                    store::outbox::mark_sent(db, c.library, c.id, far)
                })
                .unwrap();
            let m = mail_parser::MessageParser::default()
                .parse(c.message.as_bytes())
                .unwrap();
            let to = m
                .to()
                .unwrap()
                .first()
                .unwrap()
                .address()
                .unwrap()
                .to_owned();
            (to, m.subject().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn replies_go_to_reply_to_and_the_confirmation_to_from() {
    for db in stores(4) {
        let room = room(&db.store);
        let t0 = Utc::now().naive_utc();
        let raw = b"From: Pat <pat@example.org>\r\nReply-To: Pat at work <pat.work@office.example>\r\nSubject: Please delete my data\r\nMessage-ID: <rt-1@x>\r\n\r\nPlease.\r\n";
        room.ingest(raw, Channel::Stdin, t0).unwrap();
        let first = recipients(&db.store);
        assert_eq!(first.len(), 1);
        assert_eq!(
            first[0].0, "pat@example.org",
            "{}: the confirmation proves the From address, so it goes there",
            db.backend
        );
        let id = room
            .list(LibraryId::CONSORTIUM, &Default::default(), None, 10)
            .unwrap()[0]
            .id;
        room.reply(LibraryId::CONSORTIUM, id, AccountId(1), "We are on it.", t0)
            .unwrap();
        let replies = recipients(&db.store);
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].0, "pat.work@office.example", "{}", db.backend);
    }
}

/// Reading and changing a request in a library's queue is recorded in that
/// library's audit log, in the spelling the chain has always had.
#[test]
fn a_library_queue_is_audited_as_it_always_was() {
    use store::libraries::{self, NewLibrary};
    use store::requests::{self as stored, NewMailRequest};
    for db in stores(4) {
        let room = room(&db.store);
        let t0 = Utc::now().naive_utc();
        let lib = db
            .store
            .consortium(store::Access::Write, |c| {
                libraries::create(
                    c,
                    &NewLibrary {
                        slug: "riverbend",
                        name: "Riverbend Public Library",
                        jurisdiction: "missouri",
                    },
                )
            })
            .unwrap()
            .id;
        let id = db
            .store
            .write(lib, |tx| {
                stored::create(
                    tx,
                    &keyring(),
                    &NewMailRequest {
                        // Not from the gateway, so it needs no inbound message.
                        inbound_id: None,
                        source: "portal",
                        patron_id: None,
                        reply_to: None,
                        confirmed_at: None,
                        queue: "library",
                        kind: "correct",
                        reason: "test",
                        status: "received",
                        due_at: t0 + Duration::days(30),
                        sender: "",
                        subject: "Please fix my address",
                        body: "It is wrong.",
                        attachments: "[]",
                        raw: b"",
                        in_reply_to: None,
                        confirm_hash: None,
                        confirm_expires_at: None,
                        now: t0,
                    },
                )
            })
            .unwrap();
        room.get(lib, id, AccountId(12), t0).unwrap();
        room.raw(lib, id, AccountId(12), t0).unwrap();
        let progress = StaffChange {
            status: Some("in_progress".into()),
            ..StaffChange::default()
        };
        room.update(lib, id, AccountId(12), &progress, t0).unwrap();
        let entries = db
            .store
            .read(lib, |tx| store::audit::list(tx, None, 10))
            .unwrap();
        let seen: Vec<_> = entries
            .iter()
            .map(|e| {
                format!(
                    "{}|{}|{}|{}|{}|{}|{}",
                    e.actor, e.action, e.subject, e.purpose, e.decision, e.clause, e.sealed
                )
            })
            .collect();
        let subject = format!("request:{id}");
        let expected: Vec<_> = ["request.read", "request.read_message", "request.update"]
            .iter()
            .map(|action| {
                format!("account:12|{action}|{subject}|correction request|allow|custodian.staff.role|false")
            })
            .collect();
        assert_eq!(seen, expected, "{}", db.backend);
    }
}
