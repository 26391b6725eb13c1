//! What setting the tenant costs on PostgreSQL: a point read by primary key
//! done four ways, in one run, single client on loopback.
//!
//! - `one_round_trip`: the bare SELECT as the owner, no transaction (the ceiling).
//! - `four_round_trips`: BEGIN, set_config, SELECT, COMMIT sent one by one as the application role.
//! - `scoped_rls`: custodian's scope as the application role: BEGIN and set_config in one
//!   simple-protocol message, then the SELECT under row-level security, then COMMIT.
//! - `scoped_owner_no_rls`: the same three round trips as the owner, whom RLS does not
//!   filter, so `scoped_rls` against it isolates the cost of the RLS predicate.
//!
//! Run: `CUSTODIAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p store --bench tenant_scope`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use policy::staff::LibraryRole;
use std::time::Duration;
use store::accounts::NewAccount;
use store::libraries::{self, NewLibrary};
use store::{staff, Access, AccountId, DbConn, DbUrl, LibraryId, Store, StoreError};
use testkit::{postgres_url, PgTestDb};

#[derive(QueryableByName)]
struct Role {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    role: String,
}

const PER_LIBRARY: usize = 2_000;

fn seed(store: &Store) -> (LibraryId, AccountId) {
    let mut target = None;
    for (slug, name) in [("alpha", "Alpha"), ("beta", "Beta")] {
        let lib = store
            .consortium(Access::Write, |c| {
                libraries::create(
                    c,
                    &NewLibrary {
                        slug,
                        name,
                        jurisdiction: "missouri",
                    },
                )
            })
            .unwrap();
        let last = store
            .write(lib.id, |tx| {
                let mut last = None;
                for i in 0..PER_LIBRARY {
                    let email = format!("{slug}{i}@example.org");
                    let new = NewAccount {
                        email: &email,
                        display_name: "S",
                        password_hash: "x",
                        is_director: false,
                    };
                    let a = staff::create_account(tx, &new)?;
                    staff::add(tx, a.id, LibraryRole::Staff)?;
                    last = Some(a.id);
                }
                Ok::<_, StoreError>(last)
            })
            .unwrap();
        target = Some((lib.id, last.unwrap()));
    }
    target.unwrap()
}

fn bench(c: &mut Criterion) {
    let Some(admin) = postgres_url() else {
        eprintln!(
            "CUSTODIAN_TEST_POSTGRES_URL is not set: the tenant-scope benchmark needs PostgreSQL"
        );
        return;
    };
    let pg = PgTestDb::create(&admin);
    let app_url = DbUrl::parse(&pg.app_url).unwrap();
    let owner_url = DbUrl::parse(&pg.owner_url).unwrap();
    let store = Store::open(&app_url, 2, Duration::from_secs(5)).unwrap();
    let (library, account) = seed(&store);
    let point = "SELECT role FROM library_staff WHERE library_id = $1 AND account_id = $2";

    let mut owner = PgConnection::establish(&pg.owner_url).unwrap();
    owner.batch_execute("ANALYZE").unwrap();
    let mut app = PgConnection::establish(&pg.app_url).unwrap();
    let mut app_scoped = store::testing::raw_connection(&app_url).unwrap();
    let mut owner_scoped = store::testing::raw_connection(&owner_url).unwrap();

    let mut g = c.benchmark_group("tenant_scope_point_read");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(6));
    g.sample_size(40);

    g.bench_function("one_round_trip", |b| {
        b.iter(|| {
            diesel::sql_query(point)
                .bind::<BigInt, _>(library.0)
                .bind::<BigInt, _>(account.0)
                .get_result::<Role>(&mut owner)
                .unwrap()
        })
    });
    g.bench_function("four_round_trips", |b| {
        let set = format!(
            "SELECT set_config('custodian.library_id', '{}', true)",
            library.0
        );
        b.iter(|| {
            app.batch_execute("BEGIN").unwrap();
            app.batch_execute(&set).unwrap();
            let r = diesel::sql_query(point)
                .bind::<BigInt, _>(library.0)
                .bind::<BigInt, _>(account.0)
                .get_result::<Role>(&mut app)
                .unwrap();
            app.batch_execute("COMMIT").unwrap();
            r
        })
    });
    g.bench_function("scoped_rls", |b| {
        b.iter(|| {
            store::testing::scoped(&mut app_scoped, library, Access::Read, |tx| {
                staff::role_of(tx, account)
            })
            .unwrap()
        })
    });
    g.bench_function("scoped_owner_no_rls", |b| {
        b.iter(|| {
            store::testing::scoped(&mut owner_scoped, library, Access::Read, |tx| {
                staff::role_of(tx, account)
            })
            .unwrap()
        })
    });
    g.finish();

    // The plan the application role gets: the tenant index, not a scan.
    if let DbConn::Pg(c) = &mut app_scoped {
        #[derive(QueryableByName)]
        struct Plan {
            #[diesel(sql_type = Text)]
            #[diesel(column_name = "QUERY PLAN")]
            line: String,
        }
        c.batch_execute(&format!(
            "BEGIN; SELECT set_config('custodian.library_id', '{}', true)",
            library.0
        ))
        .unwrap();
        let plan: Vec<Plan> = diesel::sql_query(format!(
            "EXPLAIN SELECT role FROM library_staff WHERE library_id = {} AND account_id = {}",
            library.0, account.0
        ))
        .load(c)
        .unwrap();
        c.batch_execute("COMMIT").unwrap();
        eprintln!("plan as the application role:");
        for p in plan {
            eprintln!("  {}", p.line);
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
