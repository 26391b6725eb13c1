//! Mail throughput: outbox delivery to a real SMTP server on loopback
//! (aiosmtpd, as in the tests), and inbound ingest of the test corpus
//! (parse, classify, match the sender, file the request and queue the
//! confirmation). SQLite always; PostgreSQL too with CUSTODIAN_TEST_POSTGRES_URL.
//!
//! cargo bench -p notifier --bench mail

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use notifier::delivery::{Policy, Transport, Worker};
use notifier::message::{compose, Draft};
use notifier::requests::{Channel, Settings};
use notifier::wake::Waker;
use notifier::Mailroom;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use store::outbox::{self, NewMessage};
use store::{Access, LibraryId, Store};
use testkit::smtp_sink;
use testkit::{keyring, stores};

const BATCH: usize = 100;

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

fn enqueue(store: &Store, n: usize) {
    let keys = keyring();
    let from = "Evergreen Consortium <director@evergreen.example.org>"
        .parse()
        .unwrap();
    store
        .write(LibraryId::CONSORTIUM, |tx| {
            for i in 0..n {
                let c = compose(
                    &from,
                    &Draft {
                        to: format!("patron{i}@example.com"),
                        subject: "Please confirm your request (R-1-1)".into(),
                        text: "Hello,\n\nPlease confirm by opening this link.\n".repeat(10),
                        html: "<p>Hello,</p><p>Please confirm by opening this link.</p>".repeat(10),
                        in_reply_to: None,
                        auto_submitted: "auto-replied",
                    },
                )
                .unwrap();
                outbox::enqueue(
                    tx,
                    &keys,
                    &NewMessage {
                        message_id: &c.message_id,
                        template: "bench",
                        recipient_hint: "p***@example.com",
                        envelope_from: &c.envelope_from,
                        envelope_to: &c.envelope_to,
                        message: &c.bytes,
                        now: now(),
                    },
                )?;
            }
            Ok::<_, store::StoreError>(())
        })
        .unwrap();
}

fn drain(w: &Worker) -> usize {
    let mut sent = 0;
    loop {
        let p = w.pass().unwrap();
        assert_eq!(p.dead + p.retrying, 0);
        if p.sent == 0 {
            return sent;
        }
        sent += p.sent;
    }
}

fn delivery(c: &mut Criterion) {
    let Some(sink) = smtp_sink::SmtpSink::start(smtp_sink::SinkOptions::default()) else {
        return;
    };
    let mut group = c.benchmark_group("outbox_delivery");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    for db in stores(4) {
        for parallel in [1, 8] {
            let transport = Transport::smtp(&sink.url(), None, Duration::from_secs(5)).unwrap();
            let policy = Policy {
                batch: 50,
                parallel,
                ..Policy::default()
            };
            let worker = Worker::new(db.store.clone(), keyring(), transport, policy);
            let name = format!("{}_smtp_loopback_parallel_{parallel}", db.backend);
            group.bench_function(name, |b| {
                b.iter_batched(
                    || enqueue(&db.store, BATCH),
                    |()| assert_eq!(drain(&worker), BATCH),
                    BatchSize::PerIteration,
                )
            });
        }
        let dir = tempfile::tempdir().unwrap();
        let worker = Worker::new(
            db.store.clone(),
            keyring(),
            Transport::Files(dir.path().to_owned()),
            Policy {
                batch: 50,
                ..Policy::default()
            },
        );
        group.bench_function(format!("{}_eml_files", db.backend), |b| {
            b.iter_batched(
                || enqueue(&db.store, BATCH),
                |()| assert_eq!(drain(&worker), BATCH),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/inbound");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect()
}

fn ingest(c: &mut Criterion) {
    let messages = corpus();
    let mut group = c.benchmark_group("inbound_ingest");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.sample_size(10);
    static SEQ: AtomicU64 = AtomicU64::new(0);
    for db in stores(4) {
        let store = &db.store;
        store
            .consortium(Access::Write, |conn| {
                let lib = store::libraries::create(
                    conn,
                    &store::libraries::NewLibrary {
                        slug: "riverbend",
                        name: "Riverbend",
                        jurisdiction: "missouri",
                    },
                )?;
                let fields = store::directory::EntryFields {
                    name: "Riverbend".into(),
                    email: Some("info@riverbend.example.org".into()),
                    ..Default::default()
                };
                store::directory::insert(
                    conn,
                    &store::directory::Origin {
                        library_id: Some(lib.id),
                        ..Default::default()
                    },
                    &fields,
                    "bench",
                    "{}",
                    now(),
                )?;
                Ok::<_, store::StoreError>(())
            })
            .unwrap();
        let lib = store
            .consortium(Access::Read, |c| store::libraries::by_slug(c, "riverbend"))
            .unwrap()
            .id;
        let data = store::patrons::PatronData {
            card_number: "1".into(),
            name: "P".into(),
            email: Some("maria.lopez@example.com".into()),
            ..Default::default()
        };
        store
            .write(lib, |tx| {
                store::patrons::create(tx, &keyring(), &data, "x", now())
            })
            .unwrap();
        let room = Mailroom::new(
            store.clone(),
            keyring(),
            Settings {
                from: "director@evergreen.example.org".parse().unwrap(),
                public_url: "https://c.example.org".into(),
                due_days: 30,
                confirm_days: 7,
                remind_after_hours: 72,
            },
            Waker::local(),
        );
        group.bench_function(format!("{}_corpus", db.backend), |b| {
            b.iter_batched(
                || {
                    // Fresh Message-IDs, so every pass is new mail, not duplicates.
                    let n = SEQ.fetch_add(1, Ordering::Relaxed);
                    messages
                        .iter()
                        .map(|m| m.replace("Message-ID: <", &format!("Message-ID: <b{n}.")))
                        .collect::<Vec<_>>()
                },
                |batch| {
                    for m in &batch {
                        room.ingest(m.as_bytes(), Channel::Maildir, now()).unwrap();
                    }
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, delivery, ingest);
criterion_main!(benches);
