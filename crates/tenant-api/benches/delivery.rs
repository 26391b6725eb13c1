//! Outbox delivery to an SMTP server on loopback (issue #16): queue time and
//! delivery rate for lettre's own two-write send on one connection (the old
//! behaviour, `mail.smtp_single_write = false`), for one worker on one
//! connection, and for the default settings, on SQLite and (with
//! CUSTODIAN_TEST_POSTGRES_URL) PostgreSQL. The transport and the policy come
//! from `Settings` exactly as `custodian mail work` builds them.
//!
//! bash tests/bench/delivery.sh [N]   (cargo bench -p tenant-api --bench delivery -- N)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use notifier::delivery::{Policy, Transport, Worker};
use notifier::message::{compose, Draft};
use std::time::{Duration, Instant};
use store::outbox::{self, NewMessage};
use store::{Access, LibraryId, Store};
use tenant_api::settings::Settings;
use testkit::fast_sink::FastSink;
use testkit::{keyring, stores, TestStore};

/// Messages queued per transaction, as a notice to many recipients would be.
const QUEUE_TX: usize = 500;

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

fn message(i: usize) -> notifier::message::Composed {
    let from = "Evergreen Consortium <director@evergreen.example.org>"
        .parse()
        .unwrap();
    compose(
        &from,
        &Draft {
            to: format!("patron{i}@example.com"),
            subject: "Our privacy policy changes on 1 January".into(),
            text: "Hello,\n\nOur privacy policy changes. Read what changes at the link.\n"
                .repeat(8),
            html: "<p>Hello,</p><p>Our privacy policy changes.</p>".repeat(8),
            in_reply_to: None,
            auto_submitted: "auto-generated",
        },
    )
    .unwrap()
}

/// Queues `n` messages; returns the time it took.
fn enqueue(store: &Store, n: usize) -> Duration {
    let keys = keyring();
    let composed: Vec<_> = (0..n).map(message).collect();
    let start = Instant::now();
    for chunk in composed.chunks(QUEUE_TX) {
        store
            .write(LibraryId::CONSORTIUM, |tx| {
                for c in chunk {
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
    start.elapsed()
}

fn sent(store: &Store) -> i64 {
    store
        .consortium(Access::Read, outbox::counts)
        .unwrap()
        .into_iter()
        .filter(|(s, _)| s == "sent")
        .map(|(_, n)| n)
        .sum()
}

/// Queues `n`, then drains them with `workers` threads; prints one line.
fn run(
    label: &str,
    db: &TestStore,
    sink: &FastSink,
    transport: &Transport,
    policy: &Policy,
    workers: usize,
    n: usize,
) {
    let (backend, store) = (db.backend, &db.store);
    let queued = enqueue(store, n);
    let (before_sink, before_sent) = (sink.received(), sent(store));
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let w = Worker::new(store.clone(), keyring(), transport.clone(), policy.clone());
                let p = w.drain().unwrap();
                assert_eq!(p.retrying + p.dead, 0, "every message goes through");
            });
        }
    });
    let took = start.elapsed();
    let delivered = sent(store) - before_sent;
    assert_eq!(delivered as usize, n, "{label}: all sent");
    assert_eq!(
        (sink.received() - before_sink) as usize,
        n,
        "{label}: all received"
    );
    println!(
        "{backend:<10} {label:<44} {n:>6} msgs  queue {:>7.3} s ({:>6.0}/s)  deliver {:>7.3} s  {:>7.0} msg/s",
        queued.as_secs_f64(),
        n as f64 / queued.as_secs_f64(),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
    );
}

// An argon2id hash of a PIN nobody uses: the bench measures mail, not hashing.
const PIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5Yo6N5VX1m4zGxgCQrmD0b7sc3rWRz0YRRD5Hn0v7rA";

/// A privacy policy notice to `n` patrons: queued by
/// `custody::privacy_policy::queue_notice` (one sealed letter, a small row
/// each), then drained; each message is composed for its patron on delivery.
fn run_notice(
    db: &TestStore,
    sink: &FastSink,
    transport: &Transport,
    policy: &Policy,
    workers: usize,
    n: usize,
) {
    use std::sync::Arc;
    let (backend, store) = (db.backend, &db.store);
    let keys = keyring();
    let library = testkit::stores::member_library(store, "notice");
    let mut made = 0;
    while made < n {
        let batch: Vec<store::patrons::PatronData> = (made..n.min(made + 5_000))
            .map(|i| store::patrons::PatronData {
                card_number: format!("27{i:011}"),
                name: format!("Bench Patron {i}"),
                email: Some(format!("patron{i}@example.com")),
                ..Default::default()
            })
            .collect();
        store
            .write(library.id, |tx| {
                store::patrons::create_many(tx, &keys, &batch, PIN_HASH, now())
            })
            .unwrap();
        made += batch.len();
    }
    let doc = "jurisdiction = \"missouri\"\n[[uses]]\nkey = \"newsletter\"\ndescription = \"A monthly newsletter by email.\"\n";
    let version = store
        .write(library.id, |tx| {
            store::privacy_policy::publish(
                tx,
                &store::privacy_policy::NewVersion {
                    document: doc,
                    summary: "We start a newsletter.",
                    new_uses: "newsletter",
                    published_by: 0,
                    now: now(),
                },
            )
        })
        .unwrap();
    let room = notifier::Mailroom::new(
        store.clone(),
        keys.clone(),
        notifier::requests::Settings {
            from: "privacy@bench.example".parse().unwrap(),
            public_url: "https://custodian.example/".into(),
            due_days: 30,
            confirm_days: 7,
            remind_after_hours: 72,
        },
        notifier::wake::Waker::local(),
    );
    let custody = custody::Custody::new(
        store.clone(),
        Arc::new(keys),
        Arc::new(custody::Policies::load().unwrap()),
    )
    .with_policy_notifier(Arc::new(room));
    let (before_sink, before_sent) = (sink.received(), sent(store));
    let start = Instant::now();
    let queued = custody::privacy_policy::queue_notice(&custody, &library, version).unwrap();
    let queue_took = start.elapsed();
    assert_eq!(queued.queued as usize, n);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let w = Worker::new(store.clone(), keyring(), transport.clone(), policy.clone());
                let p = w.drain().unwrap();
                assert_eq!(p.retrying + p.dead, 0, "every notice goes through");
            });
        }
    });
    let took = start.elapsed();
    assert_eq!((sent(store) - before_sent) as usize, n, "notices: all sent");
    assert_eq!(
        (sink.received() - before_sink) as usize,
        n,
        "notices: all received"
    );
    println!(
        "{backend:<10} {:<44} {n:>6} msgs  queue {:>7.3} s ({:>6.0}/s)  deliver {:>7.3} s  {:>7.0} msg/s",
        "policy notice (shared letter), defaults",
        queue_took.as_secs_f64(),
        n as f64 / queue_took.as_secs_f64(),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
    );
}

/// The SMTP path alone, no database: what the client and the sink manage.
fn sink_alone(sink: &FastSink, n: usize, connections: usize) {
    let url = notifier::smtp::SmtpUrl::parse(&sink.url()).unwrap();
    let client = notifier::smtp::SmtpClient::new(&url, None, Duration::from_secs(5)).unwrap();
    let c = message(0);
    let envelope = lettre::address::Envelope::new(
        Some(c.envelope_from.parse().unwrap()),
        vec![c.envelope_to[0].parse().unwrap()],
    )
    .unwrap();
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..connections {
            s.spawn(|| {
                for _ in 0..n / connections {
                    client.send(&envelope, &c.bytes).unwrap();
                }
            });
        }
    });
    let took = start.elapsed();
    println!(
        "{:<10} {:<44} {n:>6} msgs  {:>34.3} s  {:>7.0} msg/s",
        "no db",
        format!("SMTP client to the sink, {connections} connection(s)"),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
    );
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let old_n = (n / 50).clamp(50, 400);
    let sink = FastSink::start().unwrap();
    let mut settings = Settings::default();
    settings.mail.smtp_url = Some(sink.url().as_str().into());
    let defaults = tenant_api::mail::policy(&settings);
    let transport = tenant_api::mail::transport(&settings).unwrap();
    println!(
        "defaults: mail.workers = {}, mail.parallel = {}, batch {}, smtp_single_write = {}, database.pool_size = {}",
        settings.mail.workers,
        settings.mail.parallel,
        defaults.batch,
        settings.mail.smtp_single_write,
        settings.database.pool_size
    );
    sink_alone(&sink, n, 1);
    sink_alone(&sink, n, settings.mail.parallel);

    let mut old = settings.clone();
    old.mail.smtp_single_write = false;
    let old_transport = tenant_api::mail::transport(&old).unwrap();
    let one = Policy {
        parallel: 1,
        ..defaults.clone()
    };
    for db in stores(settings.database.pool_size) {
        run(
            "lettre two-write send (old), 1 connection",
            &db,
            &sink,
            &old_transport,
            &one,
            1,
            old_n,
        );
        run("1 worker, 1 connection", &db, &sink, &transport, &one, 1, n);
        run(
            "default settings",
            &db,
            &sink,
            &transport,
            &defaults,
            settings.mail.workers,
            n,
        );
        run_notice(&db, &sink, &transport, &defaults, settings.mail.workers, n);
    }
}
