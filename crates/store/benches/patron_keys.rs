//! What per-patron keys cost: opening a patron, and rotating the library key.
//!
//! `open_fields/*`: the crypto alone for a patron's seven fields, under the
//! library key (`v1`, before per-patron keys) and under the patron's key
//! (`v2`: one unseal of the patron key, then the fields).
//! `patron_get/*` on SQLite (and PostgreSQL as the application role when
//! `CUSTODIAN_TEST_POSTGRES_URL` is set): `store::patrons::get` in a read
//! scope, for a patron under their own key (`v2`, the key looked up in the
//! key store) and for the same patron rewritten as before per-patron keys
//! (`v1`: the key lookup finds nothing, the library key opens the fields).
//! `rotate/*`: re-sealing every patron key of a library of `ROTATE_PATRONS`
//! (default 50,000) patrons under the other library key, in batches of 500
//! (`store::rotation::reseal_patron_keys`, what `custodian keys rotate` runs,
//! without its audit entry per batch); and, once, moving the same number of
//! `v1` patrons under their own keys (`seal_patrons_under_own_keys`).
//!
//! Run: `CUSTODIAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p store --bench patron_keys`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::time::{Duration, Instant};
use store::encryption::Keyring;
use store::patrons::{self, PatronData};
use store::{DbUrl, LibraryId, PatronId, Store};
use testkit::{postgres_url, PgTestDb};

fn ring(current: &str) -> Keyring {
    Keyring::new(
        &[
            ("k1".into(), STANDARD.encode([1u8; 32])),
            ("k2".into(), STANDARD.encode([2u8; 32])),
        ],
        current,
        &STANDARD.encode([9u8; 32]),
    )
    .unwrap()
}

fn data(i: usize) -> PatronData {
    PatronData {
        card_number: format!("2{i:09}"),
        name: format!("Patron Number {i}"),
        address: Some(format!("{i} Main Street, Springfield")),
        email: Some(format!("p{i}@example.org")),
        phone: Some("555-0100".into()),
        birth_date: NaiveDate::from_ymd_opt(1980, 1, 1),
        guardian: None,
    }
}

const FIELDS: [&str; 6] = ["card", "name", "address", "email", "phone", "birth_date"];

/// Patrons `0..n` in `lib`, in transactions of 1,000.
fn seed(store: &Store, lib: LibraryId, k: &Keyring, n: usize) -> Vec<PatronId> {
    let now = Utc::now().naive_utc();
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let made: Vec<PatronId> = store
            .write(lib, |tx| {
                chunk
                    .iter()
                    .map(|i| patrons::create(tx, k, &data(*i), "x", now).map(|p| p.id))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        ids.extend(made);
    }
    ids
}

/// Rewrites patron `id` as it was stored before per-patron keys.
fn make_v1(raw: &mut store::DbConn, k: &Keyring, lib: LibraryId, id: PatronId, d: &PatronData) {
    let s = |f: &str, v: &str| k.encrypt(lib, f, v).unwrap();
    let birth = d.birth_date.unwrap().to_string();
    diesel::sql_query(
        "UPDATE patrons SET card_sealed = $1, name_sealed = $2, address_sealed = $3, \
         email_sealed = $4, phone_sealed = $5, birth_date_sealed = $6 WHERE library_id = $7 AND id = $8",
    )
    .bind::<Text, _>(s("card", &d.card_number))
    .bind::<Text, _>(s("name", &d.name))
    .bind::<Text, _>(s("address", d.address.as_deref().unwrap()))
    .bind::<Text, _>(s("email", d.email.as_deref().unwrap()))
    .bind::<Text, _>(s("phone", d.phone.as_deref().unwrap()))
    .bind::<Text, _>(s("birth_date", &birth))
    .bind::<BigInt, _>(lib.0)
    .bind::<BigInt, _>(id.0)
    .execute(raw)
    .unwrap();
    diesel::sql_query("DELETE FROM keystore.patron_keys WHERE library_id = $1 AND patron_id = $2")
        .bind::<BigInt, _>(lib.0)
        .bind::<BigInt, _>(id.0)
        .execute(raw)
        .unwrap();
}

fn bench(c: &mut Criterion) {
    let k = ring("k1");
    let lib = LibraryId(1);

    let mut crypto = c.benchmark_group("open_fields");
    crypto.throughput(Throughput::Elements(1));
    let d = data(7);
    let plain = [
        d.card_number.clone(),
        d.name.clone(),
        d.address.clone().unwrap(),
        d.email.clone().unwrap(),
        d.phone.clone().unwrap(),
        "1980-01-01".to_owned(),
    ];
    let v1: Vec<String> = FIELDS
        .iter()
        .zip(&plain)
        .map(|(f, v)| k.encrypt(lib, f, v).unwrap())
        .collect();
    let (pk, sealed_key) = k.new_patron_key(lib, 7).unwrap();
    let v2: Vec<String> = FIELDS
        .iter()
        .zip(&plain)
        .map(|(f, v)| pk.encrypt(f, v).unwrap())
        .collect();
    crypto.bench_function("v1_library_key", |b| {
        b.iter(|| {
            FIELDS
                .iter()
                .zip(&v1)
                .map(|(f, v)| k.decrypt(lib, f, v).unwrap())
                .collect::<Vec<_>>()
        })
    });
    crypto.bench_function("v2_patron_key", |b| {
        b.iter(|| {
            let pk = k.open_patron_key(lib, 7, &sealed_key).unwrap();
            FIELDS
                .iter()
                .zip(&v2)
                .map(|(f, v)| pk.decrypt(f, v).unwrap())
                .collect::<Vec<_>>()
        })
    });
    crypto.finish();

    // Reads through the store.
    let mut read = c.benchmark_group("patron_get");
    read.throughput(Throughput::Elements(1));
    read.measurement_time(Duration::from_secs(5));
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url =
        DbUrl::parse(&format!("sqlite://{}", dir.path().join("b.db").display())).unwrap();
    store::migrations::apply(&sqlite_url, None).unwrap();
    let mut targets = vec![(
        "sqlite",
        Store::open(&sqlite_url, 2, Duration::from_secs(5)).unwrap(),
        store::testing::raw_connection(&sqlite_url).unwrap(),
    )];
    let pg = postgres_url().map(|admin| PgTestDb::create(&admin));
    if let Some(pg) = &pg {
        targets.push((
            "postgres",
            Store::open(
                &DbUrl::parse(&pg.app_url).unwrap(),
                2,
                Duration::from_secs(5),
            )
            .unwrap(),
            store::testing::raw_connection(&DbUrl::parse(&pg.owner_url).unwrap()).unwrap(),
        ));
    }
    let mut sqlite_store = None;
    for (name, store, mut raw) in targets {
        let lib = testkit::library(&store, "alpha");
        let ids = seed(&store, lib, &k, 2000);
        let (v2_id, v1_id) = (ids[42], ids[43]);
        make_v1(&mut raw, &k, lib, v1_id, &data(43));
        if name == "postgres" {
            diesel::sql_query("ANALYZE").execute(&mut raw).unwrap();
        }
        // The old form first: whichever runs first pays for a cold cache.
        read.bench_function(format!("{name}_v1_library_key"), |b| {
            b.iter(|| store.read(lib, |tx| patrons::get(tx, &k, v1_id)).unwrap())
        });
        read.bench_function(format!("{name}_v2_patron_key"), |b| {
            b.iter(|| store.read(lib, |tx| patrons::get(tx, &k, v2_id)).unwrap())
        });
        let page = store
            .read(lib, |tx| patrons::list(tx, &k, None, 50))
            .unwrap();
        assert_eq!(page.len(), 50);
        read.bench_function(format!("{name}_list_50"), |b| {
            b.iter(|| {
                store
                    .read(lib, |tx| patrons::list(tx, &k, None, 50))
                    .unwrap()
            })
        });
        if name == "sqlite" {
            sqlite_store = Some(store);
        }
    }
    read.finish();

    // Rotation throughput on SQLite.
    let n: usize = std::env::var("ROTATE_PATRONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let store = sqlite_store.unwrap();
    let big = testkit::library(&store, "big");
    let started = Instant::now();
    let ids = seed(&store, big, &k, n);
    eprintln!(
        "seeded {n} patrons in {:.1} s ({:.0} patrons/s, registration with a fresh key each)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
    let rings = [ring("k2"), ring("k1")];
    let mut turn = 0usize;
    let mut rotate = c.benchmark_group("rotate");
    rotate.throughput(Throughput::Elements(n as u64));
    rotate.sample_size(10);
    rotate.measurement_time(Duration::from_secs(20));
    rotate.bench_function(format!("sqlite_patron_keys_{n}"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let r = &rings[turn % 2];
                turn += 1;
                let t = Instant::now();
                let mut done = 0;
                loop {
                    let m = store
                        .write(big, |tx| store::rotation::reseal_patron_keys(tx, r, 500))
                        .unwrap();
                    if m == 0 {
                        break;
                    }
                    done += m;
                }
                total += t.elapsed();
                assert_eq!(done, n);
            }
            total
        })
    });
    rotate.finish();

    // Once: every patron from before per-patron keys moved under their own key.
    let mut raw = store::testing::raw_connection(&sqlite_url).unwrap();
    raw_rewrite_all_v1(&mut raw, &k, big, &ids);
    let t = Instant::now();
    let mut moved = 0;
    loop {
        let m = store
            .write(big, |tx| {
                store::rotation::seal_patrons_under_own_keys(tx, &k, 500, Utc::now().naive_utc())
            })
            .unwrap();
        if m == 0 {
            break;
        }
        moved += m;
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "rotate/sqlite_v1_to_v2_{n}: {moved} patrons moved under their own keys in {s:.2} s ({:.0} patrons/s)",
        moved as f64 / s
    );
}

fn raw_rewrite_all_v1(raw: &mut store::DbConn, k: &Keyring, lib: LibraryId, ids: &[PatronId]) {
    diesel::sql_query("BEGIN").execute(raw).unwrap();
    for (i, id) in ids.iter().enumerate() {
        make_v1(raw, k, lib, *id, &data(i));
    }
    diesel::sql_query("COMMIT").execute(raw).unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
