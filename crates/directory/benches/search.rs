//! Uncached search latency (SQL filter + in-process ranking + one page) at the
//! real 2,000 outlets and at 20,000 (the real rows copied ten times under new
//! system ids, coordinates nudged), on SQLite and, when
//! `CUSTODIAN_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! Run: `cargo bench -p directory --bench search`
//! (with `CUSTODIAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL too).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use directory::import::{self, Outlet};
use directory::search::{self, RawQuery};
use std::time::Duration;
use store::{DbUrl, Store};
use testkit::{postgres_url, PgTestDb};

const OUTLETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/library_outlets.csv"
);

fn outlets(copies: usize) -> Vec<Outlet> {
    let (real, _) = import::read(std::fs::File::open(OUTLETS).unwrap()).unwrap();
    let mut all = Vec::new();
    for k in 0..copies {
        for o in &real {
            let mut o = o.clone();
            if k > 0 {
                o.system = format!("{}-{k}", o.system);
                o.fields.latitude = o.fields.latitude.map(|v| v + 0.01 * k as f64);
            }
            all.push(o);
        }
    }
    all
}

fn filled(url: &DbUrl, copies: usize) -> Store {
    store::migrations::apply(url, None).unwrap();
    let store = Store::open(url, 4, Duration::from_secs(10)).unwrap();
    import::import(&store, outlets(copies), Vec::new(), |_, _| {}).unwrap();
    store
}

fn raw(pairs: &[(&str, &str)]) -> RawQuery {
    let mut r = RawQuery::default();
    for (k, v) in pairs {
        let v = Some((*v).to_owned());
        match *k {
            "q" => r.q = v,
            "state" => r.state = v,
            "near" => r.near = v,
            "radius_km" => r.radius_km = v,
            _ => unreachable!(),
        }
    }
    r
}

fn queries() -> Vec<(&'static str, RawQuery)> {
    vec![
        ("q_two_words", raw(&[("q", "public library")])),
        ("q_rare_word", raw(&[("q", "lincoln")])),
        ("state", raw(&[("state", "NY")])),
        (
            "near_50km",
            raw(&[("near", "40.1,-89.3"), ("radius_km", "50")]),
        ),
        ("near_all", raw(&[("near", "40.1,-89.3")])),
        ("first_page_all", RawQuery::default()),
    ]
}

fn bench_backend(c: &mut Criterion, backend: &str, make: &dyn Fn(usize) -> Store) {
    for copies in [1usize, 10] {
        let store = make(copies);
        let mut g = c.benchmark_group(format!("search_uncached/{backend}/{}", copies * 2000));
        g.sample_size(20).measurement_time(Duration::from_secs(3));
        for (name, q) in queries() {
            let q = q.parse().unwrap();
            g.bench_function(name, |b| b.iter(|| search::run(&store, &q).unwrap()));
        }
        g.finish();
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    bench_backend(c, "sqlite", &|copies| {
        let path = dir.path().join(format!("d{copies}.db"));
        filled(
            &DbUrl::parse(&format!("sqlite://{}", path.display())).unwrap(),
            copies,
        )
    });
    if let Some(admin) = postgres_url() {
        let dbs = std::cell::RefCell::new(Vec::new());
        bench_backend(c, "postgres", &|copies| {
            let db = PgTestDb::create(&admin);
            let store = filled(&DbUrl::parse(&db.owner_url).unwrap(), copies);
            dbs.borrow_mut().push(db);
            store
        });
    }
}

criterion_group!(directory_search, benches);
criterion_main!(directory_search);
