//! Delivery against a real SMTP server on loopback (Python's aiosmtpd, see
//! `tests/support/smtp_sink.py`): messages arrive whole, a server stopped
//! mid-run loses nothing, concurrent workers never send a message twice,
//! STARTTLS with authentication works, and what keeps failing is dead-lettered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use notifier::delivery::{Policy, Transport};
use notifier::message::{compose, Draft};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::outbox::{self, NewMessage};
use store::{Access, LibraryId, Store};
use testkit::smtp_sink::{SinkOptions, SmtpSink};
use testkit::{keyring, stores};

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

/// Queues `n` messages and returns their Message-IDs.
fn enqueue(store: &Store, n: usize) -> BTreeSet<String> {
    let keys = keyring();
    let from = "Evergreen Consortium <director@evergreen.example.org>"
        .parse()
        .unwrap();
    let mut ids = BTreeSet::new();
    for i in 0..n {
        let c = compose(
            &from,
            &Draft {
                to: format!("patron{i}@example.com"),
                subject: format!("Your request R-1-{i}: corrección"),
                text: format!("Hello {i},\n\n.A line starting with a dot.\n\nBye"),
                html: format!("<p>Hello {i}</p>"),
                in_reply_to: Some(format!("orig{i}@mail.example.com")),
                auto_submitted: "auto-generated",
            },
        )
        .unwrap();
        store
            .write(LibraryId::CONSORTIUM, |tx| {
                outbox::enqueue(
                    tx,
                    &keys,
                    &NewMessage {
                        message_id: &c.message_id,
                        template: "test",
                        recipient_hint: "p***@example.com",
                        envelope_from: &c.envelope_from,
                        envelope_to: &c.envelope_to,
                        message: &c.bytes,
                        now: now(),
                    },
                )
            })
            .unwrap();
        ids.insert(c.message_id);
    }
    ids
}

fn fast_policy() -> Policy {
    Policy {
        max_attempts: 50,
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(400),
        lease: Duration::from_secs(30),
        batch: 5,
        poll: Duration::from_millis(100),
        parallel: 4,
    }
}

fn worker(store: &Store, transport: Transport, policy: Policy) -> notifier::delivery::Worker {
    notifier::delivery::Worker::new(store.clone(), keyring(), transport, policy)
}

fn smtp(sink: &SmtpSink) -> Transport {
    let ca = sink.ca_cert_path().map(|p| std::fs::read(p).unwrap());
    Transport::smtp(&sink.url(), ca.as_deref(), Duration::from_secs(5)).unwrap()
}

fn drain(w: &notifier::delivery::Worker) -> notifier::delivery::Pass {
    w.drain().unwrap()
}

fn statuses(store: &Store) -> Vec<(String, i64)> {
    store.consortium(Access::Read, outbox::counts).unwrap()
}

#[test]
fn messages_arrive_whole_with_their_headers() {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    for db in stores(4) {
        let before = sink.messages().len();
        let ids = enqueue(&db.store, 12);
        let pass = drain(&worker(&db.store, smtp(&sink), fast_policy()));
        assert_eq!(pass.sent, 12, "{}", db.backend);
        let got = sink.wait_for(before + 12, Duration::from_secs(10));
        let got = &got[before..];
        assert_eq!(got.len(), 12);
        let received: BTreeSet<String> = got
            .iter()
            .map(|m| m.header("Message-ID").unwrap())
            .collect();
        assert_eq!(received, ids, "{}", db.backend);
        for m in got {
            assert_eq!(m.mail_from, "director@evergreen.example.org");
            assert_eq!(m.rcpt_to.len(), 1);
            let to = m.header("To").unwrap();
            assert_eq!(to, m.rcpt_to[0], "the envelope and the To header agree");
            assert_eq!(m.header("Auto-Submitted").unwrap(), "auto-generated");
            assert!(m.header("In-Reply-To").unwrap().starts_with("<orig"));
            let parsed = mail_parser::MessageParser::default().parse(&m.raw).unwrap();
            assert!(parsed.subject().unwrap().ends_with(": corrección"));
            let n: String = to
                .trim_start_matches("patron")
                .split('@')
                .next()
                .unwrap()
                .to_owned();
            let text = parsed.body_text(0).unwrap();
            assert!(text.contains(&format!("Hello {n},")), "{text}");
            assert!(
                text.contains("\n.A line starting with a dot."),
                "dot-stuffing undone: {text}"
            );
            assert_eq!(
                parsed.body_html(0).unwrap().trim(),
                format!("<p>Hello {n}</p>")
            );
        }
        assert_eq!(statuses(&db.store), vec![("sent".to_owned(), 12)]);
    }
}

#[test]
fn a_server_stopped_mid_run_loses_nothing() {
    let Some(mut sink) = SmtpSink::start(SinkOptions {
        delay_secs: 0.05,
        ..SinkOptions::default()
    }) else {
        return;
    };
    for db in stores(4) {
        let before = sink.messages().len();
        let ids = enqueue(&db.store, 40);
        let stop = Arc::new(AtomicBool::new(false));
        let w = worker(&db.store, smtp(&sink), fast_policy());
        let waker = notifier::wake::Waker::local();
        let running = {
            let stop = stop.clone();
            std::thread::spawn(move || w.run(&waker, &stop, || {}))
        };
        sink.wait_for(before + 10, Duration::from_secs(20));
        sink.stop();
        std::thread::sleep(Duration::from_millis(1500));
        let during = sink.messages().len() - before;
        assert!(
            during < 40,
            "the server was stopped before the end ({during} delivered)"
        );
        sink.restart();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline && statuses(&db.store) != vec![("sent".to_owned(), 40)] {
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
        running.join().unwrap();
        assert_eq!(
            statuses(&db.store),
            vec![("sent".to_owned(), 40)],
            "{}",
            db.backend
        );
        let got = &sink.messages()[before..];
        let received: BTreeSet<String> = got
            .iter()
            .map(|m| m.header("Message-ID").unwrap())
            .collect();
        assert_eq!(received, ids, "{}: every message arrived", db.backend);
        // A message the server took just as it stopped may come twice, with
        // the same Message-ID; never more than the messages in flight then,
        // one per parallel connection.
        assert!(
            got.len() - ids.len() <= fast_policy().parallel,
            "{} duplicates",
            got.len() - ids.len()
        );
        let retried = db
            .store
            .consortium(Access::Read, |c| outbox::list(c, None, None, 100))
            .unwrap()
            .iter()
            .filter(|m| m.attempts > 1)
            .count();
        assert!(retried > 0, "some messages needed a second attempt");
    }
}

#[test]
fn concurrent_workers_never_send_a_message_twice() {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    for db in stores(8) {
        let before = sink.messages().len();
        let ids = enqueue(&db.store, 60);
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let w = worker(
                    &db.store,
                    smtp(&sink),
                    Policy {
                        batch: 3,
                        ..fast_policy()
                    },
                );
                std::thread::spawn(move || drain(&w).sent)
            })
            .collect();
        let sent: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sent, 60, "{}", db.backend);
        let got = sink.wait_for(before + 60, Duration::from_secs(10));
        let got = &got[before..];
        assert_eq!(got.len(), 60, "{}: exactly one copy each", db.backend);
        let received: BTreeSet<String> = got
            .iter()
            .map(|m| m.header("Message-ID").unwrap())
            .collect();
        assert_eq!(received, ids);
    }
}

#[test]
fn starttls_with_authentication() {
    let opts = SinkOptions {
        auth: Some(("relay".into(), "s3cret-pass".into())),
        tls: true,
        ..SinkOptions::default()
    };
    let Some(sink) = SmtpSink::start(opts) else {
        return;
    };
    assert!(sink.url().contains("tls=required"));
    let db = stores(2).remove(0);
    let ids = enqueue(&db.store, 3);
    let pass = drain(&worker(
        &db.store,
        smtp(&sink),
        Policy {
            max_attempts: 1,
            ..fast_policy()
        },
    ));
    let errors: Vec<_> = db
        .store
        .consortium(Access::Read, |c| outbox::list(c, None, None, 10))
        .unwrap()
        .into_iter()
        .filter_map(|m| m.last_error)
        .collect();
    assert_eq!(pass.sent, 3, "{errors:?}");
    let got = sink.wait_for(3, Duration::from_secs(10));
    let received: BTreeSet<String> = got
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(received, ids);

    // A wrong password is a permanent refusal: dead-lettered at once, and the
    // error kept for the director names no secret.
    let wrong = sink.url().replace("s3cret-pass", "wrong-pass");
    let ca = std::fs::read(sink.ca_cert_path().unwrap()).unwrap();
    let transport = Transport::smtp(&wrong, Some(&ca), Duration::from_secs(5)).unwrap();
    enqueue(&db.store, 1);
    let pass = drain(&worker(&db.store, transport, fast_policy()));
    assert_eq!(pass.dead, 1);
    let dead = db
        .store
        .consortium(Access::Read, |c| outbox::list(c, Some("dead"), None, 10))
        .unwrap();
    let error = dead[0].last_error.clone().unwrap();
    assert!(
        error.contains("535") || error.contains("refused"),
        "{error}"
    );
    assert!(
        !error.contains("wrong-pass") && !error.contains('@'),
        "{error}"
    );
}

#[test]
fn a_message_that_keeps_failing_is_dead_lettered_and_can_be_retried() {
    let Some(mut sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    sink.stop();
    for db in stores(4) {
        let ids = enqueue(&db.store, 2);
        let policy = Policy {
            max_attempts: 3,
            backoff_base: Duration::from_millis(1),
            backoff_cap: Duration::from_millis(5),
            ..fast_policy()
        };
        let w = worker(&db.store, smtp(&sink), policy);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && statuses(&db.store) != vec![("dead".to_owned(), 2)] {
            w.pass().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let dead = db
            .store
            .consortium(Access::Read, |c| outbox::list(c, Some("dead"), None, 10))
            .unwrap();
        assert_eq!(dead.len(), 2, "{}", db.backend);
        assert!(dead.iter().all(|m| m.attempts == 3));
        let error = dead[0].last_error.clone().unwrap();
        assert!(
            error.starts_with("the mail server could not be reached (")
                && error.contains("refused"),
            "{error}"
        );

        sink.restart();
        let before = sink.messages().len();
        for m in &dead {
            db.store
                .consortium(Access::Write, |c| outbox::retry(c, m.id, now()))
                .unwrap();
        }
        assert_eq!(drain(&w).sent, 2);
        let got = sink.wait_for(before + 2, Duration::from_secs(10));
        let received: BTreeSet<String> = got[before..]
            .iter()
            .map(|m| m.header("Message-ID").unwrap())
            .collect();
        assert_eq!(received, ids);
        sink.stop();
    }
}

#[test]
fn redis_wakes_a_worker_in_another_process() {
    let Some(url) = testkit::redis_url() else {
        return;
    };
    let channel = format!("custodian-test:{}:outbox", std::process::id());
    let bell = notifier::wake::Waker::redis(&url, &channel).unwrap();
    let other = notifier::wake::Waker::redis(&url, &channel).unwrap();
    let mut ear = other.subscribe();
    // The first wait subscribes (and times out: nothing was rung yet).
    ear.wait(Duration::from_millis(200));
    let ringer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        bell.notify();
    });
    let started = Instant::now();
    ear.wait(Duration::from_secs(20));
    ringer.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the wake-up never arrived; the worker waited out its poll"
    );
}

/// One connection carries message after message; a connection the server
/// hangs up between messages is reopened and the message in hand sent on the
/// new one at once (nothing waits for a retry); one hung up on before its
/// reply is sent again, arriving at most twice.
#[test]
fn connections_are_kept_and_a_broken_one_is_reopened() {
    use testkit::fast_sink::{FastSink, HangUp};
    let one_lane = || Policy {
        parallel: 1,
        batch: 50,
        ..fast_policy()
    };
    for db in stores(4) {
        let b = db.backend;
        let sink = FastSink::start().unwrap();
        let t = Transport::smtp(&sink.url(), None, Duration::from_secs(5)).unwrap();
        enqueue(&db.store, 12);
        let pass = drain(&worker(&db.store, t.clone(), one_lane()));
        assert_eq!((pass.sent, pass.retrying), (12, 0), "{b}");
        enqueue(&db.store, 3);
        assert_eq!(drain(&worker(&db.store, t, one_lane())).sent, 3, "{b}");
        assert_eq!(sink.received(), 15, "{b}");
        assert_eq!(
            sink.connections(),
            1,
            "{b}: one connection for every message"
        );

        let sink = FastSink::start_with(HangUp::AfterReply(3)).unwrap();
        let t = Transport::smtp(&sink.url(), None, Duration::from_secs(5)).unwrap();
        enqueue(&db.store, 20);
        let pass = drain(&worker(&db.store, t, one_lane()));
        assert_eq!((pass.sent, pass.retrying, pass.dead), (20, 0, 0), "{b}");
        assert_eq!(sink.received(), 20, "{b}: none twice");
        assert_eq!(sink.connections(), 7, "{b}: a new connection every 3");

        let sink = FastSink::start_with(HangUp::BeforeReply(4)).unwrap();
        let t = Transport::smtp(&sink.url(), None, Duration::from_secs(5)).unwrap();
        enqueue(&db.store, 10);
        let pass = drain(&worker(&db.store, t, one_lane()));
        assert_eq!((pass.sent, pass.retrying, pass.dead), (10, 0, 0), "{b}");
        let sent: i64 = statuses(&db.store)
            .iter()
            .filter(|(s, _)| s == "sent")
            .map(|(_, n)| n)
            .sum();
        assert_eq!(sent, 12 + 3 + 20 + 10, "{b}: every message sent");
        // Each hang-up loses a reply, and that message goes again.
        let received = sink.received();
        assert!((10..=13).contains(&received), "{b}: {received}");
        assert_eq!(
            received - 10,
            sink.connections() - 1,
            "{b}: one repeat a break"
        );
    }
}
