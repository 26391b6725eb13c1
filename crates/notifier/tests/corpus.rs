//! The inbound corpus (`tests/fixtures/inbound/`): every message parsed,
//! classified and routed as `expected.toml` says, on SQLite and PostgreSQL;
//! and what custodian sends back arrives at the sender and nobody else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use notifier::delivery::{Policy, Transport};
use notifier::requests::{Channel, Settings};
use notifier::wake::Waker;
use notifier::Mailroom;
use serde::Deserialize;
use std::path::PathBuf;
use store::directory::{EntryFields, Origin};
use store::libraries::{self, NewLibrary};
use store::patrons::{self, PatronData};
use store::{Access, LibraryId, Store};
use testkit::{keyring, stores};

#[derive(Deserialize)]
struct Expected {
    message: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    file: String,
    outcome: String,
    kind: Option<String>,
    route: Option<String>,
    #[serde(default)]
    libraries: Vec<String>,
    /// The sender's address as custodian must read it, when the case is about that.
    sender: Option<String>,
    /// The Reply-To address as custodian must read it.
    reply_to: Option<String>,
    why: String,
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/inbound")
}

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

fn library(store: &Store, slug: &str, name: &str, contact: &str) -> LibraryId {
    store
        .consortium(Access::Write, |c| {
            let lib = libraries::create(
                c,
                &NewLibrary {
                    slug,
                    name,
                    jurisdiction: "missouri",
                },
            )?;
            let fields = EntryFields {
                name: name.into(),
                city: "Springfield".into(),
                state: "MO".into(),
                email: Some(contact.into()),
                ..EntryFields::default()
            };
            store::directory::insert(
                c,
                &Origin {
                    library_id: Some(lib.id),
                    ..Origin::default()
                },
                &fields,
                "test",
                "{}",
                now(),
            )?;
            Ok::<_, store::StoreError>(lib.id)
        })
        .unwrap()
}

fn patron(store: &Store, lib: LibraryId, card: &str, email: &str) {
    let keys = keyring();
    let data = PatronData {
        card_number: card.into(),
        name: "Test Patron".into(),
        email: Some(email.into()),
        ..PatronData::default()
    };
    store
        .write(lib, |tx| patrons::create(tx, &keys, &data, "x", now()))
        .unwrap();
}

/// The world the corpus is written for (see its README).
fn world(store: &Store) {
    let riverbend = library(
        store,
        "riverbend",
        "Riverbend Public Library",
        "info@riverbend.example.org",
    );
    let cedar = library(
        store,
        "cedar-county",
        "Cedar County Library",
        "director@cedarcounty-library.example.org",
    );
    patron(store, riverbend, "21000001", "maria.lopez@example.com");
    patron(store, riverbend, "21000002", "j.smith@example.net");
    patron(store, cedar, "31000001", "J.Smith@example.net");
    patron(store, cedar, "31000002", "ana.garcia@correo.example");
}

fn mailroom(store: &Store) -> Mailroom {
    Mailroom::new(
        store.clone(),
        keyring(),
        Settings {
            from: "Evergreen Consortium <director@evergreen.example.org>"
                .parse()
                .unwrap(),
            public_url: "https://custodian.example.org".into(),
            due_days: 30,
            confirm_days: 7,
            remind_after_hours: 72,
        },
        Waker::local(),
    )
}

#[test]
fn the_corpus_is_classified_and_routed_as_expected() {
    let expected: Expected =
        toml::from_str(&std::fs::read_to_string(corpus_dir().join("expected.toml")).unwrap())
            .unwrap();
    assert!(
        expected.message.len() >= 60,
        "the corpus has at least 60 messages"
    );
    for db in stores(4) {
        world(&db.store);
        let room = mailroom(&db.store);
        let mut failures = Vec::new();
        let mut requests_with_sender = 0;
        for case in &expected.message {
            let raw = std::fs::read(corpus_dir().join(&case.file)).unwrap();
            let got = room.ingest(&raw, Channel::Maildir, now()).unwrap();
            let mut wrong = Vec::new();
            let parsed = notifier::inbound::parse(&raw).unwrap();
            if case.sender.is_some() && parsed.from != case.sender {
                wrong.push(format!(
                    "sender {:?} (expected {:?})",
                    parsed.from, case.sender
                ));
            }
            if parsed.reply_to != case.reply_to {
                wrong.push(format!(
                    "reply_to {:?} (expected {:?})",
                    parsed.reply_to, case.reply_to
                ));
            }
            if got.outcome != case.outcome {
                wrong.push(format!(
                    "outcome {} (expected {})",
                    got.outcome, case.outcome
                ));
            }
            if got.kind.map(str::to_owned) != case.kind {
                wrong.push(format!("kind {:?} (expected {:?})", got.kind, case.kind));
            }
            if got.route.map(str::to_owned) != case.route {
                wrong.push(format!("route {:?} (expected {:?})", got.route, case.route));
            }
            if got.libraries != case.libraries {
                wrong.push(format!(
                    "libraries {:?} (expected {:?})",
                    got.libraries, case.libraries
                ));
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{}: {} [{}; reason: {}]",
                    case.file,
                    wrong.join(", "),
                    case.why,
                    got.reason
                ));
            }
            if got.outcome == "request" {
                requests_with_sender += got.libraries.len().max(1);
            }
        }
        assert!(
            failures.is_empty(),
            "{}: {} of {} messages misread:\n{}",
            db.backend,
            failures.len(),
            expected.message.len(),
            failures.join("\n")
        );

        // Ingesting the whole corpus again adds nothing.
        for case in &expected.message {
            let raw = std::fs::read(corpus_dir().join(&case.file)).unwrap();
            assert_eq!(
                room.ingest(&raw, Channel::Maildir, now()).unwrap().outcome,
                "duplicate",
                "{}",
                case.file
            );
        }

        // What went out: one message per request, to its sender only, and no
        // header smuggled in through a subject.
        let dir = tempfile::tempdir().unwrap();
        let worker = room.worker(Transport::Files(dir.path().to_owned()), Policy::default());
        let mut sent = 0;
        loop {
            let pass = worker.pass().unwrap();
            assert_eq!(pass.dead + pass.retrying, 0);
            if pass.sent == 0 {
                break;
            }
            sent += pass.sent;
        }
        assert!(
            sent > 0 && sent <= requests_with_sender,
            "{sent} messages for {requests_with_sender} requests"
        );
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            let text = String::from_utf8(raw.clone()).unwrap();
            let head = text.split("\r\n\r\n").next().unwrap();
            for line in head.split("\r\n") {
                let name = line.split(':').next().unwrap().to_ascii_lowercase();
                assert!(
                    !["bcc", "cc"].contains(&name.as_str()),
                    "an injected header: {line}"
                );
            }
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let to: Vec<_> = parsed
                .to()
                .unwrap()
                .iter()
                .filter_map(|a| a.address())
                .collect();
            assert_eq!(to.len(), 1);
            assert!(!to[0].contains("attacker"), "mail went to {}", to[0]);
        }

        // Each queue holds its own requests only: a library's scope never
        // shows another's, and the director's scope holds no patron's request.
        let scopes = db
            .store
            .consortium(Access::Read, |c| store::libraries::list(c, None, 10))
            .unwrap();
        let filter = store::requests::Filter::default();
        let mut filed = 0;
        for lib in &scopes {
            let mine = room.list(lib.id, &filter, None, 200).unwrap();
            let expected_here = expected
                .message
                .iter()
                .filter(|c| c.libraries.contains(&lib.slug))
                .count();
            assert_eq!(mine.len(), expected_here, "{}: {}", db.backend, lib.slug);
            assert!(mine.iter().all(|r| r.queue == "library"));
            filed += mine.len();
            for other in scopes.iter().filter(|o| o.id != lib.id) {
                for r in &mine {
                    let seen = room.get(other.id, r.id, store::AccountId(1), now());
                    assert!(
                        matches!(seen, Err(notifier::MailroomError::NotFound)),
                        "{} sees {}'s request",
                        other.slug,
                        lib.slug
                    );
                }
            }
        }
        let director = room
            .list(LibraryId::CONSORTIUM, &filter, None, 200)
            .unwrap();
        let expected_director = expected
            .message
            .iter()
            .filter(|c| matches!(c.route.as_deref(), Some("director" | "triage")))
            .count();
        assert_eq!(director.len(), expected_director);
        assert!(director
            .iter()
            .all(|r| r.queue == "inbox" || r.queue == "triage"));
        assert!(filed > 0);

        // The director's log of routed requests says where they went, nothing more.
        let routed = room.ledger(Some("library"), None, 200).unwrap();
        let expected_routed = expected
            .message
            .iter()
            .filter(|c| c.route.as_deref() == Some("library"))
            .count();
        assert_eq!(routed.len(), expected_routed);
        for entry in &routed {
            let json = serde_json::to_string(entry).unwrap();
            assert!(!json.contains('@'), "the log names a sender: {json}");
            assert!(!entry.libraries.is_empty());
        }
    }
}
