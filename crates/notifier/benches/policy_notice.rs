//! How long queueing a privacy policy notice takes on PostgreSQL (#16): N
//! patrons with an email (default 100,000; `POLICY_NOTICE_N=1000000` for the
//! issue's figure), one version that adds a use, then
//! `custody::privacy_policy::queue_notice` timed end to end (rendering and
//! sealing the letter once, reading the patrons' ids, inserting a small
//! outbox row and a notice row per patron), and a second run, which must
//! queue nothing.
//!
//! Needs `CUSTODIAN_TEST_POSTGRES_URL`; `bash tests/bench/policy_notice.sh [N]`
//! runs it in release mode.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use custody::privacy_policy::queue_notice;
use custody::{Custody, Policies};
use notifier::requests::Settings;
use notifier::wake::Waker;
use notifier::Mailroom;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::patrons::PatronData;
use store::privacy_policy::NewVersion;
use store::{DbUrl, Store};
use testkit::postgres::{postgres_url, PgTestDb};
use testkit::{keyring, stores::member_library};

// An argon2id hash of a PIN nobody uses: the bench measures the notice, not hashing.
const PIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5Yo6N5VX1m4zGxgCQrmD0b7sc3rWRz0YRRD5Hn0v7rA";

fn main() {
    let Some(admin) = postgres_url() else {
        eprintln!("policy_notice: set CUSTODIAN_TEST_POSTGRES_URL to a PostgreSQL server; skipped");
        return;
    };
    let n: usize = std::env::var("POLICY_NOTICE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let pg = PgTestDb::create(&admin);
    let store = Store::open(
        &DbUrl::parse(&pg.app_url).expect("postgres url"),
        4,
        Duration::from_secs(30),
    )
    .expect("postgres store");
    let keys = keyring();
    let library = member_library(&store, "bench");

    let started = Instant::now();
    let now = Utc::now().naive_utc();
    let mut made = 0;
    while made < n {
        let batch: Vec<PatronData> = (made..n.min(made + 5_000))
            .map(|i| PatronData {
                card_number: format!("29{i:011}"),
                name: format!("Bench Patron {i}"),
                email: Some(format!("patron{i}@bench.example")),
                ..PatronData::default()
            })
            .collect();
        store
            .write(library.id, |tx| {
                store::patrons::create_many(tx, &keys, &batch, PIN_HASH, now)
            })
            .expect("bulk patrons");
        made += batch.len();
    }
    println!(
        "setup: {n} patrons with an email in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let doc = "jurisdiction = \"missouri\"\n[[uses]]\nkey = \"newsletter\"\ndescription = \"A monthly newsletter by email.\"\n";
    let version = store
        .write(library.id, |tx| {
            store::privacy_policy::publish(
                tx,
                &NewVersion {
                    document: doc,
                    summary: "We start a newsletter.",
                    new_uses: "newsletter",
                    published_by: 0,
                    now,
                },
            )
        })
        .expect("a version");
    let room = Mailroom::new(
        store.clone(),
        keys.clone(),
        Settings {
            from: "privacy@bench.example".parse().unwrap(),
            public_url: "https://custodian.example/".into(),
            due_days: 30,
            confirm_days: 7,
            remind_after_hours: 72,
        },
        Waker::local(),
    );
    let custody = Custody::new(
        store.clone(),
        Arc::new(keys),
        Arc::new(Policies::load().expect("policies")),
    )
    .with_policy_notifier(Arc::new(room));

    {
        // What each message costs the worker when it composes it at delivery.
        use custody::privacy_policy::PolicyNotice;
        let notice = PolicyNotice {
            library: "bench".into(),
            slug: "bench".into(),
            version,
            summary: "We start a newsletter.".into(),
            new_uses: Vec::new(),
        };
        let shared = custody
            .policy_notifier()
            .expect("notifier")
            .shared_policy_notice(&notice)
            .expect("letter");
        let letter: notifier::message::SharedLetter =
            serde_json::from_str(&shared.body).expect("letter");
        let started = Instant::now();
        let mut bytes = 0;
        for i in 0..1_000 {
            let c = letter
                .compose_to(
                    &format!("p{i}@bench.example"),
                    &format!("<b.{i}@bench.example>"),
                )
                .expect("compose");
            bytes = c.bytes.len();
        }
        println!(
            "compose at delivery: 1000 messages in {:.3} s ({bytes} bytes each; letter {} bytes, sealed once)",
            started.elapsed().as_secs_f64(),
            shared.body.len()
        );
    }
    let started = Instant::now();
    let queued = queue_notice(&custody, &library, version).expect("queue");
    let took = started.elapsed().as_secs_f64();
    assert_eq!(
        queued.queued as usize, n,
        "every patron with an email is told"
    );
    println!(
        "queue time: {n} notices in {took:.2} s ({:.0} a second, batches of {})",
        n as f64 / took,
        custody::privacy_policy::NOTICE_BATCH
    );
    let started = Instant::now();
    let again = queue_notice(&custody, &library, version).expect("rerun");
    assert_eq!(again.queued, 0, "a rerun tells no one twice");
    println!(
        "rerun: 0 queued in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    if std::env::var_os("POLICY_NOTICE_KEEP").is_some() {
        // Left for a look with psql; drop it by hand.
        println!("kept: {}", pg.app_url);
        std::mem::forget(pg);
    } else {
        drop(pg);
    }
}
