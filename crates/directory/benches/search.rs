//! Uncached search latency (the search function called directly, no cache)
//! at 20,000 and 200,000 outlets: the real 2,000 copied under fresh system
//! ids (so fresh entries) with shifted coordinates, on SQLite and, when
//! `CUSTODIAN_TEST_POSTGRES_URL` is set, on PostgreSQL. Prints one line per
//! backend, size and query with the median (p50) and p90 of `RUNS` runs.
//!
//! Run: `cargo bench -p directory --bench search`
//! (with `CUSTODIAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL too;
//! `SIZES=20000` for one size; `BENCH_SQLITE_DIR=DIR` keeps and reuses the
//! SQLite files, `BENCH_PG_KEEP=DIR` the PostgreSQL databases, `SKIP_POSTGRES=1`
//! runs SQLite alone). `tests/bench/directory.sh`
//! runs it and the wrk comparison.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use directory::import::{self, Outlet};
use directory::search::{self, RawQuery};
use std::time::{Duration, Instant};
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
                // Spread over a 3.3° × 5.3° window, as more outlets in the same states would be.
                o.fields.latitude = o
                    .fields
                    .latitude
                    .map(|v| (v + 0.37 * (k % 10) as f64).min(89.0));
                o.fields.longitude = o
                    .fields
                    .longitude
                    .map(|v| (v + 0.53 * (k / 10) as f64).min(179.0));
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
            "radius" => r.radius = v,
            _ => unreachable!(),
        }
    }
    r
}

fn queries() -> Vec<(&'static str, RawQuery)> {
    vec![
        ("name q=lincoln", raw(&[("q", "lincoln")])),
        ("name q=public library", raw(&[("q", "public library")])),
        ("state=IL", raw(&[("state", "IL")])),
        (
            "near 40.1,-89.3 radius 50 km",
            raw(&[("near", "40.1,-89.3"), ("radius_km", "50")]),
        ),
        (
            "near ZIP 62656 radius 20 mi",
            raw(&[("near", "62656"), ("radius", "20")]),
        ),
        ("first page, no filter", RawQuery::default()),
    ]
}

const RUNS: usize = 41;

fn bench_backend(backend: &str, sizes: &[usize], make: &dyn Fn(usize) -> Store) {
    for &size in sizes {
        let copies = size / 2000;
        let t = Instant::now();
        let store = make(copies);
        eprintln!("{backend} {size}: filled in {:.1?}", t.elapsed());
        for (name, q) in queries() {
            let q = q.parse().unwrap();
            let mut times: Vec<Duration> = (0..RUNS)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(search::run(&store, &q).unwrap());
                    t.elapsed()
                })
                .collect();
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "| {name} | {size} | {backend} | {:.2} ms | {:.2} ms |",
                ms(times[RUNS / 2]),
                ms(times[RUNS * 9 / 10])
            );
        }
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "20000,200000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!("| query | outlets | backend | p50 | p90 |");
    println!("|---|---|---|---|---|");
    // BENCH_SQLITE_DIR keeps the SQLite files there and reuses them when
    // present, so a rerun skips the fill (minutes at 200,000 on a busy machine).
    let dir = tempfile::tempdir().unwrap();
    let keep = std::env::var("BENCH_SQLITE_DIR")
        .ok()
        .map(std::path::PathBuf::from);
    bench_backend("sqlite", &sizes, &|copies| {
        let path = keep
            .as_deref()
            .unwrap_or(dir.path())
            .join(format!("d{copies}.db"));
        let url = DbUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
        if path.exists() {
            store::migrations::apply(&url, None).unwrap();
            return Store::open(&url, 4, Duration::from_secs(10)).unwrap();
        }
        filled(&url, copies)
    });
    if std::env::var("SKIP_POSTGRES").is_ok() {
        return;
    }
    if let Some(admin) = postgres_url() {
        let dbs = std::cell::RefCell::new(Vec::new());
        // BENCH_PG_KEEP=DIR keeps each size's database and notes its URL in
        // DIR/pg{copies}.url, reusing it on the next run (and for EXPLAIN).
        let keep_pg = std::env::var("BENCH_PG_KEEP")
            .ok()
            .map(std::path::PathBuf::from);
        bench_backend("postgres", &sizes, &|copies| {
            let note = keep_pg.as_ref().map(|d| d.join(format!("pg{copies}.url")));
            if let Some(url) = note.as_ref().and_then(|n| std::fs::read_to_string(n).ok()) {
                let url = DbUrl::parse(url.trim()).unwrap();
                store::migrations::apply(&url, None).unwrap();
                return Store::open(&url, 4, Duration::from_secs(10)).unwrap();
            }
            let db = PgTestDb::create(&admin);
            let store = filled(&DbUrl::parse(&db.owner_url).unwrap(), copies);
            match note {
                Some(n) => {
                    std::fs::write(n, &db.owner_url).unwrap();
                    std::mem::forget(db);
                }
                None => dbs.borrow_mut().push(db),
            }
            store
        });
    }
}
