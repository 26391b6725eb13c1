//! Unlinking returned loans at scale: the retention job against an UPDATE of
//! the same rows, in one run, on PostgreSQL and SQLite.
//!
//! The patron link lives in its own narrow table (`record_links`), so
//! anonymizing a returned loan is a DELETE there; a design that kept the
//! patron on the record itself would UPDATE the wide row instead. This builds
//! the loans, runs the real job (`custody::retention`, `--apply`), puts the
//! links back, times the bare set-based DELETE, then the UPDATE of the same
//! rows, and prints the figures and the ratios.
//!
//! `cargo bench -p custody --bench unlink` (PostgreSQL from
//! `CUSTODIAN_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`);
//! sizes from `UNLINK_PG_LOANS` (10,000,000) and `UNLINK_SQLITE_LOANS`
//! (1,000,000), the job's batch from `UNLINK_BATCH` (50,000) and batches side
//! by side from `UNLINK_WORKERS` (2; SQLite always runs one).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use chrono::NaiveDate;
use custody::retention::{self, RunOptions};
use custody::{Custody, Policies};
use diesel::connection::SimpleConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{DbConn, DbUrl, Store};
use testkit::postgres::PgTestDb;

const PATRONS: i64 = 10_000;

fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn exec(conn: &mut DbConn, sql: &str) {
    match conn {
        DbConn::Pg(c) => c.batch_execute(sql),
        DbConn::Sqlite(c) => c.batch_execute(sql),
    }
    .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

fn timed(conn: &mut DbConn, sql: &str) -> Duration {
    let t = Instant::now();
    exec(conn, sql);
    t.elapsed()
}

/// The rows a series of `n` numbers yields, in each dialect.
fn series(pg: bool, n: i64) -> String {
    if pg {
        format!("generate_series(1, {n}) AS s(i)")
    } else {
        format!(
            "(WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {n}) SELECT i FROM c) AS s"
        )
    }
}

fn build(raw: &mut DbConn, pg: bool, lib: i64, loans: i64) {
    let blob = if pg {
        "decode(lpad(to_hex(i), 16, '0'), 'hex')"
    } else {
        "CAST(printf('%016x', i) AS BLOB)"
    };
    let t = Instant::now();
    exec(
        raw,
        &format!(
            "INSERT INTO patrons (library_id, id, card_index, card_last4, card_sealed, pin_hash, name_sealed, keep_history, created_at, updated_at)
             SELECT {lib}, i, {blob}, '0000', 'x', 'x', 'x', FALSE, '2020-01-01 00:00:00', '2020-01-01 00:00:00' FROM {}",
            series(pg, PATRONS)
        ),
    );
    exec(
        raw,
        &format!(
            "INSERT INTO library_records (library_id, id, kind, source, external_id, occurred_at, ended_at, item, branch, status, created_at, updated_at)
             SELECT {lib}, i, 'circulation', 'bench', CAST(i AS TEXT), '2020-01-01 00:00:00', '2020-01-15 00:00:00', 'item ' || CAST(i % 50000 AS TEXT), 'Main', 'returned', '2020-01-01 00:00:00', '2020-01-15 00:00:00' FROM {}",
            series(pg, loans)
        ),
    );
    relink(raw, pg, lib, loans);
    if pg {
        exec(raw, "VACUUM ANALYZE patrons, library_records, record_links");
    } else {
        exec(raw, "ANALYZE");
    }
    eprintln!(
        "  built {loans} returned loans in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn relink(raw: &mut DbConn, pg: bool, lib: i64, loans: i64) {
    exec(
        raw,
        &format!(
            "INSERT INTO record_links (library_id, record_id, patron_id) SELECT {lib}, i, 1 + i % {PATRONS} FROM {}",
            series(pg, loans)
        ),
    );
    if pg {
        exec(raw, "VACUUM ANALYZE record_links");
    }
}

fn count_links(raw: &mut DbConn) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let q = diesel::sql_query("SELECT COUNT(*) AS n FROM record_links");
    match raw {
        DbConn::Pg(c) => q.get_result::<N>(c),
        DbConn::Sqlite(c) => q.get_result::<N>(c),
    }
    .unwrap()
    .n
}

fn run(backend: &str, store: Store, mut raw: DbConn, loans: i64) {
    let pg = backend == "postgresql";
    let library = testkit::member_library(&store, "bench");
    let lib = library.id.0;
    eprintln!("{backend}: building {loans} loans");
    build(&mut raw, pg, lib, loans);
    let custody = Custody::new(
        store,
        Arc::new(testkit::keyring()),
        Arc::new(Policies::load().unwrap()),
    );
    let batch = env_or("UNLINK_BATCH", 50_000) as usize;
    let workers = env_or("UNLINK_WORKERS", retention::DEFAULT_WORKERS as i64) as usize;
    let opts = RunOptions {
        apply: true,
        library: Some("bench".into()),
        batch,
        workers,
        today: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
    };
    let mut last = Instant::now();
    let t = Instant::now();
    let report = retention::run_exclusive(&custody, &opts, &mut |p| {
        if last.elapsed() >= Duration::from_secs(2) {
            eprintln!("  job: {} {} {}", p.library, p.kind, p.total);
            last = Instant::now();
        }
    })
    .unwrap();
    let job = t.elapsed();
    let done = report.libraries["bench"].kinds["circulation"].anonymized;
    assert_eq!(done as i64, loans, "the job anonymized every returned loan");
    assert_eq!(count_links(&mut raw), 0, "no link is left");

    relink(&mut raw, pg, lib, loans);
    let delete = timed(
        &mut raw,
        &format!(
            "DELETE FROM record_links WHERE library_id = {lib} AND record_id IN (SELECT id FROM library_records WHERE library_id = {lib} AND kind = 'circulation' AND ended_at < '2029-01-01')"
        ),
    );
    assert_eq!(count_links(&mut raw), 0);
    let update = timed(
        &mut raw,
        &format!(
            "UPDATE library_records SET status = 'anonymized', updated_at = '2030-01-01 00:00:00' WHERE library_id = {lib} AND kind = 'circulation' AND ended_at < '2029-01-01'"
        ),
    );
    let rate = |d: Duration| loans as f64 / d.as_secs_f64() / 1e6;
    println!(
        "{backend:<10} loans {loans:>10}  job (batch {batch}, workers {workers}) {:>6.2} s ({:.2} M/s)  bare DELETE {:>6.2} s ({:.2} M/s)  UPDATE {:>6.2} s ({:.2} M/s)  UPDATE/job {:.1}x  UPDATE/DELETE {:.1}x",
        job.as_secs_f64(),
        rate(job),
        delete.as_secs_f64(),
        rate(delete),
        update.as_secs_f64(),
        rate(update),
        update.as_secs_f64() / job.as_secs_f64(),
        update.as_secs_f64() / delete.as_secs_f64(),
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; build only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sqlite_loans = env_or("UNLINK_SQLITE_LOANS", 1_000_000);
    let pg_loans = env_or("UNLINK_PG_LOANS", 10_000_000);
    if sqlite_loans > 0 {
        let dir = tempfile::tempdir().unwrap();
        let url = DbUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("unlink.db").display()
        ))
        .unwrap();
        let mut raw = store::testing::raw_connection(&url).unwrap();
        store::migrations::run_pending(&mut raw).unwrap();
        let store = Store::open(&url, 2, Duration::from_secs(60)).unwrap();
        run("sqlite", store, raw, sqlite_loans);
        if std::env::var_os("UNLINK_KEEP").is_some() {
            eprintln!("kept database: {}", dir.path().display());
            std::mem::forget(dir);
        }
    }
    if pg_loans > 0 {
        let admin = std::env::var("CUSTODIAN_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let pg = PgTestDb::create(&admin);
        let store = Store::open(
            &DbUrl::parse(&pg.app_url).unwrap(),
            // A connection per worker, one for the lease, one spare.
            retention::MAX_WORKERS as u32 + 2,
            Duration::from_secs(60),
        )
        .unwrap();
        let raw = store::testing::raw_connection(&DbUrl::parse(&pg.owner_url).unwrap()).unwrap();
        run("postgresql", store, raw, pg_loans);
        if std::env::var_os("UNLINK_KEEP").is_some() {
            eprintln!("kept database: {}", pg.owner_url);
            std::mem::forget(pg);
        }
    }
}
