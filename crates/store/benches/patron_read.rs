//! Reading one patron with 50 records, and ingesting records in bulk.
//!
//! `patron_read/scoped_rls`: the application role through the tenant scope
//! (BEGIN + set_config in one message, the patron, their 50 records, COMMIT),
//! with row-level security on every table. `patron_read/explicit_filter`: the
//! same two queries with `library_id = $1` written out, as the owner (whom RLS
//! does not filter), outside any transaction: the cost of isolation is the
//! difference. `patron_read/sqlite`: the scoped read on SQLite.
//! `ingest/*`: a 10,000-record feed (half linked to patrons) in one scope.
//!
//! Run: `CUSTODIAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p store --bench patron_read`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use std::time::Duration;
use store::encryption::Keyring;
use store::libraries;
use store::patrons::{self, PatronData};
use store::records::{self, NewRecord};
use store::PatronId;
use store::{Access, DbUrl, LibraryId, Store};
use testkit::{postgres_url, PgTestDb};

fn keys() -> Keyring {
    testkit::keyring()
}

fn loan(i: usize, patron: Option<PatronId>) -> NewRecord {
    let t = NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        + chrono::Duration::minutes(i as i64);
    NewRecord {
        kind: "circulation".into(),
        source: "ils".into(),
        external_id: format!("loan-{i}-{}", rand::random::<u64>()),
        occurred_at: t,
        ended_at: None,
        item: format!("Title {i}"),
        branch: "Main".into(),
        status: "out".into(),
        amount_cents: None,
        settled_at: None,
        details: None,
        patron_id: patron,
    }
}

/// Two libraries, 2,000 patrons each, 50 records for each of the first 100: returns (library, one patron).
fn seed(store: &Store, k: &Keyring) -> (LibraryId, PatronId) {
    let mut target = None;
    for slug in ["alpha", "beta"] {
        let lib = testkit::library(store, slug);
        let now = Utc::now().naive_utc();
        let ids: Vec<PatronId> = store
            .write(lib, |tx| {
                (0..2000)
                    .map(|i| {
                        let data = PatronData {
                            card_number: format!("{slug}-{i:06}"),
                            name: format!("Patron {i}"),
                            email: Some(format!("p{i}@{slug}.example")),
                            ..Default::default()
                        };
                        patrons::create(tx, k, &data, "x", now).map(|p| p.id)
                    })
                    .collect()
            })
            .unwrap();
        let feed: Vec<NewRecord> = ids
            .iter()
            .take(100)
            .flat_map(|p| (0..50).map(move |i| loan(i, Some(*p))))
            .collect();
        store
            .write(lib, |tx| records::ingest(tx, k, &feed, now))
            .unwrap();
        target = Some((lib, ids[42]));
    }
    target.unwrap()
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct PatronRow {
    #[diesel(sql_type = Text)]
    name_sealed: String,
    #[diesel(sql_type = Text)]
    card_sealed: String,
    #[diesel(sql_type = Nullable<Text>)]
    email_sealed: Option<String>,
    #[diesel(sql_type = Text)]
    key_sealed: String,
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct RecordRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    item: String,
    #[diesel(sql_type = Timestamp)]
    occurred_at: chrono::NaiveDateTime,
}

fn bench(c: &mut Criterion) {
    let k = keys();
    let mut read = c.benchmark_group("patron_read");
    read.throughput(Throughput::Elements(1));
    read.measurement_time(Duration::from_secs(6));
    read.sample_size(30);

    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite_url = DbUrl::parse(&format!(
        "sqlite://{}",
        sqlite_dir.path().join("b.db").display()
    ))
    .unwrap();
    store::migrations::apply(&sqlite_url, None).unwrap();
    let sqlite = Store::open(&sqlite_url, 2, Duration::from_secs(5)).unwrap();
    let (s_lib, s_patron) = seed(&sqlite, &k);
    read.bench_function("sqlite", |b| {
        b.iter(|| {
            sqlite
                .read(s_lib, |tx| {
                    let p = patrons::get(tx, &k, s_patron)?;
                    let r = records::for_patron(tx, &k, s_patron, None, 50)?;
                    Ok::<_, store::StoreError>((p, r))
                })
                .unwrap()
        })
    });

    let pg = postgres_url().map(|admin| PgTestDb::create(&admin));
    if let Some(pg) = &pg {
        let store = Store::open(
            &DbUrl::parse(&pg.app_url).unwrap(),
            2,
            Duration::from_secs(5),
        )
        .unwrap();
        let (lib, patron) = seed(&store, &k);
        let mut owner = PgConnection::establish(&pg.owner_url).unwrap();
        diesel::sql_query("ANALYZE").execute(&mut owner).unwrap();
        read.bench_function("scoped_rls", |b| {
            b.iter(|| {
                store
                    .read(lib, |tx| {
                        let p = patrons::get(tx, &k, patron)?;
                        let r = records::for_patron(tx, &k, patron, None, 50)?;
                        Ok::<_, store::StoreError>((p, r))
                    })
                    .unwrap()
            })
        });
        read.bench_function("explicit_filter", |b| {
            b.iter(|| {
                let p: PatronRow = diesel::sql_query("SELECT p.name_sealed, p.card_sealed, p.email_sealed, k.key_sealed FROM patrons p JOIN keystore.patron_keys k ON k.library_id = p.library_id AND k.patron_id = p.id WHERE p.library_id = $1 AND p.id = $2")
                    .bind::<BigInt, _>(lib.0)
                    .bind::<BigInt, _>(patron.0)
                    .get_result(&mut owner)
                    .unwrap();
                let rows: Vec<RecordRow> = diesel::sql_query(
                    "SELECT r.id, r.item, r.occurred_at FROM record_links l JOIN library_records r ON r.library_id = l.library_id AND r.id = l.record_id \
                     WHERE l.library_id = $1 AND l.patron_id = $2 ORDER BY l.record_id DESC LIMIT 50",
                )
                .bind::<BigInt, _>(lib.0)
                .bind::<BigInt, _>(patron.0)
                .load(&mut owner)
                .unwrap();
                // Open what the scoped read opens, so both do the same work.
                let pk = k.open_patron_key(lib, patron.0, &p.key_sealed).unwrap();
                let name = pk.decrypt("name", &p.name_sealed).unwrap();
                let card = pk.decrypt("card", &p.card_sealed).unwrap();
                let email = p.email_sealed.map(|e| pk.decrypt("email", &e).unwrap());
                (name, card, email, rows)
            })
        });
    } else {
        eprintln!("CUSTODIAN_TEST_POSTGRES_URL is not set: PostgreSQL figures skipped");
    }
    read.finish();

    let mut ingest = c.benchmark_group("ingest");
    ingest.throughput(Throughput::Elements(10_000));
    ingest.sample_size(10);
    ingest.measurement_time(Duration::from_secs(15));
    let mut targets = vec![("sqlite", sqlite.clone(), s_lib)];
    if let Some(pg) = &pg {
        let store = Store::open(
            &DbUrl::parse(&pg.app_url).unwrap(),
            2,
            Duration::from_secs(5),
        )
        .unwrap();
        let lib = store
            .consortium(Access::Read, |c| libraries::by_slug(c, "alpha"))
            .unwrap()
            .id;
        targets.push(("postgres", store, lib));
    }
    for (name, store, lib) in targets {
        let patron_ids: Vec<PatronId> = store
            .read(lib, |tx| patrons::list(tx, &k, None, 200))
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        ingest.bench_function(name, |b| {
            b.iter_batched(
                || {
                    (0..10_000)
                        .map(|i| loan(i, (i % 2 == 0).then(|| patron_ids[i % patron_ids.len()])))
                        .collect::<Vec<_>>()
                },
                |feed| {
                    store
                        .write(lib, |tx| {
                            records::ingest(tx, &k, &feed, Utc::now().naive_utc())
                        })
                        .unwrap()
                },
                BatchSize::LargeInput,
            )
        });
    }
    ingest.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
