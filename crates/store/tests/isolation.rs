//! Tenant isolation, on SQLite always and on PostgreSQL when
//! `CUSTODIAN_TEST_POSTGRES_URL` is set: a scope for library A never reads or
//! writes library B's rows; on PostgreSQL the database itself refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use policy::staff::LibraryRole;
use std::time::Duration;
use store::accounts::{self, NewAccount};
use store::libraries::{self, NewLibrary};
use store::{staff, Access, AccountId, Backend, DbUrl, LibraryId, Store, StoreError};
use testkit::{postgres_url, PgTestDb};

/// A database for one test, and the store serving it (as the application role on PostgreSQL).
struct TestDb {
    store: Store,
    _pg: Option<PgTestDb>,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
    let mut conn = store::testing::raw_connection(&url).unwrap();
    store::migrations::run_pending(&mut conn).unwrap();
    TestDb {
        store: Store::open(&url, 4, Duration::from_secs(5)).unwrap(),
        _pg: None,
        _dir: Some(dir),
    }
}

fn postgres(admin: &str) -> TestDb {
    let pg = PgTestDb::create(admin);
    let url = DbUrl::parse(&pg.app_url).unwrap();
    TestDb {
        store: Store::open(&url, 4, Duration::from_secs(5)).unwrap(),
        _pg: Some(pg),
        _dir: None,
    }
}

/// Every backend this run can reach.
fn backends() -> Vec<TestDb> {
    let mut v = vec![sqlite()];
    if let Some(admin) = postgres_url() {
        v.push(postgres(&admin));
    }
    v
}

struct Seeded {
    a: LibraryId,
    b: LibraryId,
    a_staff: Vec<AccountId>,
    b_staff: Vec<AccountId>,
}

fn seed(store: &Store) -> Seeded {
    let (a, b) = store
        .consortium(Access::Write, |c| {
            let a = libraries::create(
                c,
                &NewLibrary {
                    slug: "alpha",
                    name: "Alpha Library",
                    jurisdiction: "missouri",
                },
            )?;
            let b = libraries::create(
                c,
                &NewLibrary {
                    slug: "beta",
                    name: "Beta Library",
                    jurisdiction: "kansas",
                },
            )?;
            Ok::<_, StoreError>((a.id, b.id))
        })
        .unwrap();
    let add = |lib: LibraryId, prefix: &str, n: usize| -> Vec<AccountId> {
        store
            .write(lib, |tx| {
                let mut ids = Vec::new();
                for i in 0..n {
                    let email = format!("{prefix}{i}@example.org");
                    let new = NewAccount {
                        email: &email,
                        display_name: "Staff",
                        password_hash: "x",
                        is_director: false,
                    };
                    let acc = staff::create_account(tx, &new)?;
                    staff::add(
                        tx,
                        acc.id,
                        if i == 0 {
                            LibraryRole::Admin
                        } else {
                            LibraryRole::Staff
                        },
                    )?;
                    ids.push(acc.id);
                }
                Ok::<_, StoreError>(ids)
            })
            .unwrap()
    };
    let a_staff = add(a, "a", 3);
    let b_staff = add(b, "b", 2);
    Seeded {
        a,
        b,
        a_staff,
        b_staff,
    }
}

#[test]
fn a_scope_reads_only_its_own_library() {
    for db in backends() {
        let s = seed(&db.store);
        let listed = db.store.read(s.a, |tx| staff::list(tx, None, 100)).unwrap();
        let ids: Vec<_> = listed.iter().map(|m| m.account_id).collect();
        assert_eq!(ids, s.a_staff, "{:?}", db.store.backend());
        for b in &s.b_staff {
            let got = db.store.read(s.a, |tx| staff::get(tx, *b));
            assert!(
                matches!(got, Err(StoreError::NotFound)),
                "{:?}",
                db.store.backend()
            );
            assert_eq!(
                db.store.read(s.a, |tx| staff::role_of(tx, *b)).unwrap(),
                None
            );
        }
        assert_eq!(
            db.store
                .read(s.b, |tx| staff::list(tx, None, 100))
                .unwrap()
                .len(),
            2
        );
    }
}

#[test]
fn a_scope_never_writes_another_librarys_rows() {
    for db in backends() {
        let s = seed(&db.store);
        let victim = s.b_staff[1];
        let removed = db.store.write(s.a, |tx| staff::remove(tx, victim)).unwrap();
        assert!(!removed);
        let changed = db
            .store
            .write(s.a, |tx| staff::set_role(tx, victim, LibraryRole::Admin));
        assert!(matches!(changed, Err(StoreError::NotFound)));
        let still = db.store.read(s.b, |tx| staff::get(tx, victim)).unwrap();
        assert_eq!(still.role, LibraryRole::Staff, "{:?}", db.store.backend());
    }
}

#[test]
fn a_failed_scope_rolls_back() {
    for db in backends() {
        let s = seed(&db.store);
        let outcome: Result<(), StoreError> = db.store.write(s.a, |tx| {
            staff::remove(tx, s.a_staff[2])?;
            Err(StoreError::NotFound)
        });
        assert!(outcome.is_err());
        assert_eq!(
            db.store
                .read(s.a, |tx| staff::list(tx, None, 100))
                .unwrap()
                .len(),
            3
        );
    }
}

#[test]
fn postgres_hides_other_tenants_even_from_an_unfiltered_query() {
    let Some(admin) = postgres_url() else { return };
    let db = postgres(&admin);
    assert_eq!(db.store.backend(), Backend::Postgres);
    let s = seed(&db.store);
    // What a query that forgets its library filter would reach: only A's rows.
    assert_eq!(db.store.read(s.a, staff::count_unfiltered).unwrap(), 3);
    assert_eq!(db.store.read(s.b, staff::count_unfiltered).unwrap(), 2);
    // Writing a B row from inside A's scope is refused by the database itself.
    let refused = db.store.write(s.a, |tx| {
        staff::insert_raw_for_library(tx, s.b.0, s.a_staff[1])
    });
    let err = refused.expect_err("RLS must refuse a row of another library");
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

#[test]
fn postgres_raw_sql_as_the_application_role() {
    let Some(admin) = postgres_url() else { return };
    let pg = PgTestDb::create(&admin);
    let store = Store::open(
        &DbUrl::parse(&pg.app_url).unwrap(),
        2,
        Duration::from_secs(5),
    )
    .unwrap();
    let s = seed(&store);
    let mut app = PgConnection::establish(&pg.app_url).unwrap();

    // No library set: no tenant rows at all.
    assert_eq!(
        count(&mut app, "SELECT count(*) AS n FROM library_staff"),
        0
    );

    // Library A set for one transaction: only A's rows; afterwards none again.
    app.batch_execute(&format!(
        "BEGIN; SELECT set_config('custodian.library_id', '{}', true)",
        s.a.0
    ))
    .unwrap();
    assert_eq!(
        count(&mut app, "SELECT count(*) AS n FROM library_staff"),
        3
    );
    assert_eq!(
        count(
            &mut app,
            &format!(
                "SELECT count(*) AS n FROM library_staff WHERE library_id = {}",
                s.b.0
            )
        ),
        0
    );
    let insert = app.batch_execute(&format!(
        "INSERT INTO library_staff (library_id, account_id, role) VALUES ({}, {}, 'staff')",
        s.b.0, s.a_staff[1].0
    ));
    assert!(insert
        .unwrap_err()
        .to_string()
        .contains("row-level security"));
    app.batch_execute("ROLLBACK").unwrap();
    assert_eq!(
        count(&mut app, "SELECT count(*) AS n FROM library_staff"),
        0
    );

    // Updating or deleting another library's rows touches nothing.
    app.batch_execute(&format!(
        "BEGIN; SELECT set_config('custodian.library_id', '{}', true)",
        s.a.0
    ))
    .unwrap();
    app.batch_execute(&format!(
        "DELETE FROM library_staff WHERE library_id = {}",
        s.b.0
    ))
    .unwrap();
    app.batch_execute(&format!(
        "UPDATE library_staff SET library_id = {} WHERE library_id = {}",
        s.a.0, s.b.0
    ))
    .unwrap();
    app.batch_execute("COMMIT").unwrap();
    assert_eq!(store.read(s.b, staff::count_unfiltered).unwrap(), 2);

    // Moving one of A's rows into B is refused too.
    app.batch_execute(&format!(
        "BEGIN; SELECT set_config('custodian.library_id', '{}', true)",
        s.a.0
    ))
    .unwrap();
    let moved = app.batch_execute(&format!(
        "UPDATE library_staff SET library_id = {} WHERE library_id = {}",
        s.b.0, s.a.0
    ));
    assert!(moved
        .unwrap_err()
        .to_string()
        .contains("row-level security"));
    app.batch_execute("ROLLBACK").unwrap();

    // The application role owns nothing and cannot bypass row-level security.
    let owned = count(&mut app, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user");
    assert_eq!(owned, 0);
    let bypass = count(&mut app, "SELECT count(*) AS n FROM pg_roles WHERE rolname = current_user AND (rolbypassrls OR rolsuper)");
    assert_eq!(bypass, 0);
    let mut conn = store::testing::raw_connection(&DbUrl::parse(&pg.app_url).unwrap()).unwrap();
    store::migrations::check_serving_role(&mut conn).unwrap();
}

#[test]
fn postgres_refuses_to_serve_as_a_role_that_bypasses_rls() {
    let Some(admin) = postgres_url() else { return };
    let pg = PgTestDb::create(&admin);
    let mut owner = store::testing::raw_connection(&DbUrl::parse(&pg.owner_url).unwrap()).unwrap();
    let refused = store::migrations::check_serving_role(&mut owner);
    if let Err(e) = refused {
        assert!(e.to_string().contains("bypasses row-level security"), "{e}");
    } else {
        // The test server's admin is not a superuser: nothing to prove here.
    }
}

#[test]
fn the_tenant_setting_does_not_outlive_its_transaction() {
    let Some(admin) = postgres_url() else { return };
    let db = postgres(&admin);
    let s = seed(&db.store);
    // One connection: a scope, then a raw read on the same connection.
    let mut conn = store::testing::pooled(&db.store).unwrap();
    let n = store::testing::scoped(&mut conn, s.a, Access::Read, staff::count_unfiltered).unwrap();
    assert_eq!(n, 3);
    let store::DbConn::Pg(pg) = &mut *conn else {
        panic!("postgres")
    };
    assert_eq!(count(pg, "SELECT count(*) AS n FROM library_staff"), 0);
}

#[test]
fn memberships_are_answered_narrowly_across_libraries() {
    for db in backends() {
        let s = seed(&db.store);
        let shared = s.a_staff[1];
        db.store
            .write(s.b, |tx| staff::add(tx, shared, LibraryRole::Custodian))
            .unwrap();
        let mut m = db
            .store
            .consortium(Access::Read, |c| accounts::memberships(c, shared))
            .unwrap();
        m.sort_by_key(|(l, _)| *l);
        assert_eq!(
            m,
            vec![(s.a, LibraryRole::Staff), (s.b, LibraryRole::Custodian)],
            "{:?}",
            db.store.backend()
        );
    }
}

#[test]
fn pending_migrations_are_counted_by_any_role() {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("p.db").display())).unwrap();
    let mut conn = store::testing::raw_connection(&url).unwrap();
    assert!(store::migrations::pending_count(&mut conn).unwrap() > 0);
    store::migrations::run_pending(&mut conn).unwrap();
    assert_eq!(store::migrations::pending_count(&mut conn).unwrap(), 0);
    if let Some(admin) = postgres_url() {
        // The application role cannot create diesel's bookkeeping table, yet can tell what is pending.
        let pg = PgTestDb::create(&admin);
        let mut app = store::testing::raw_connection(&DbUrl::parse(&pg.app_url).unwrap()).unwrap();
        assert_eq!(store::migrations::pending_count(&mut app).unwrap(), 0);
    }
}

#[test]
fn every_tenant_table_has_forced_row_level_security() {
    let Some(admin) = postgres_url() else { return };
    let pg = PgTestDb::create(&admin);
    let mut owner = PgConnection::establish(&pg.owner_url).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        enabled: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        forced: bool,
    }
    let tables: Vec<Table> = diesel::sql_query(
        "SELECT c.relname::text AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'library_id' AND a.attnotnull \
         WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1",
    )
    .load(&mut owner)
    .unwrap();
    // Consortium tables that name a library without holding its patrons' data:
    // where inbound mail went, and directory change proposals.
    let consortium = ["directory_changes", "inbound_mail_routes"];
    let mut checked = Vec::new();
    for t in &tables {
        if consortium.contains(&t.name.as_str()) {
            continue;
        }
        assert!(
            t.enabled && t.forced,
            "{} lacks forced row-level security",
            t.name
        );
        checked.push(t.name.as_str());
    }
    for expected in [
        "patrons",
        "library_records",
        "audit_log",
        "mail_requests",
        "mail_request_events",
        "outbox",
    ] {
        assert!(
            checked.contains(&expected),
            "{expected} was not checked: {checked:?}"
        );
    }
}

fn queue(store: &Store, library: LibraryId, n: usize) {
    let keys = testkit::keyring();
    let now = chrono::Utc::now().naive_utc();
    store
        .write(library, |tx| {
            for i in 0..n {
                let message_id = format!("<{}.{i}@custodian.test>", library.0);
                store::outbox::enqueue(
                    tx,
                    &keys,
                    &store::outbox::NewMessage {
                        message_id: &message_id,
                        template: "test",
                        recipient_hint: "p***@example.org",
                        envelope_from: "director@example.org",
                        envelope_to: &["patron@example.org".to_owned()],
                        message: "Subject: hello\r\n\r\nHello.\r\n",
                        now,
                    },
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

#[test]
fn postgres_outbox_rows_are_seen_only_in_their_librarys_scope() {
    let Some(admin) = postgres_url() else { return };
    let pg = PgTestDb::create(&admin);
    let store = Store::open(
        &DbUrl::parse(&pg.app_url).unwrap(),
        2,
        Duration::from_secs(5),
    )
    .unwrap();
    let s = seed(&store);
    queue(&store, s.a, 2);
    queue(&store, s.b, 3);
    queue(&store, LibraryId::CONSORTIUM, 1);
    let mut app = PgConnection::establish(&pg.app_url).unwrap();

    // No scope: no messages at all, though six are queued.
    assert_eq!(count(&mut app, "SELECT count(*) AS n FROM outbox"), 0);

    for (lib, n) in [(s.a, 2), (s.b, 3), (LibraryId::CONSORTIUM, 1)] {
        app.batch_execute(&format!(
            "BEGIN; SELECT set_config('custodian.library_id', '{}', true)",
            lib.0
        ))
        .unwrap();
        assert_eq!(count(&mut app, "SELECT count(*) AS n FROM outbox"), n);
        assert_eq!(
            count(
                &mut app,
                &format!(
                    "SELECT count(*) AS n FROM outbox WHERE library_id <> {}",
                    lib.0
                )
            ),
            0
        );
        // Even its own messages cannot be changed behind the workers' back.
        let changed = app.batch_execute("UPDATE outbox SET status = 'dead'");
        assert!(changed.is_err(), "the application role updated the outbox");
        app.batch_execute("ROLLBACK").unwrap();
    }

    // A library's scope cannot queue a message in another library's outbox.
    app.batch_execute(&format!(
        "BEGIN; SELECT set_config('custodian.library_id', '{}', true)",
        s.a.0
    ))
    .unwrap();
    let forged = app.batch_execute(&format!(
        "INSERT INTO outbox (library_id, message_id, template, recipient_hint, envelope_sealed, \
         message_sealed, next_attempt_at, created_at) \
         VALUES ({}, '<x@y>', 't', 'h', '', '', now(), now())",
        s.b.0
    ));
    assert!(forged
        .unwrap_err()
        .to_string()
        .contains("row-level security"));
    app.batch_execute("ROLLBACK").unwrap();

    // Workers still see every library's messages, through the narrow functions.
    let mut conn = store::testing::pooled(&store).unwrap();
    let far = chrono::Utc::now().naive_utc() + chrono::Duration::days(1);
    let claimed = store
        .claim_outbox(
            &testkit::keyring(),
            "w",
            far,
            far + chrono::Duration::minutes(5),
            100,
        )
        .unwrap();
    assert_eq!(claimed.len(), 6);
    let c = &claimed[0];
    store::outbox::mark_failed(&mut conn, c.library, c.id, "refused", None).unwrap();
    let dead = store::outbox::list(&mut conn, Some("dead"), None, 10).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, c.id);
    store::outbox::retry(&mut conn, c.id, far).unwrap();
    assert!(matches!(
        store::outbox::retry(&mut conn, c.id, far),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store::outbox::retry(&mut conn, 999_999, far),
        Err(StoreError::NotFound)
    ));
    for c in &claimed[1..] {
        store::outbox::mark_sent(&mut conn, c.library, c.id, far).unwrap();
    }
    let counts = store::outbox::counts(&mut conn).unwrap();
    assert_eq!(
        counts,
        vec![("pending".to_owned(), 1), ("sent".to_owned(), 5)]
    );
}

/// The scope a consortium write hands out is as narrow as one opened alone:
/// each library in turn sees only its own staff, and on PostgreSQL even a
/// query that forgets its filter reaches only the bound library's rows.
#[test]
fn a_library_scope_taken_across_libraries_sees_only_its_library() {
    for db in backends() {
        let s = seed(&db.store);
        let backend = db.store.backend();
        let (a, b, others_in_a) = db
            .store
            .across_libraries(|c| {
                let a: Vec<_> = staff::list(&mut c.library(s.a)?, None, 100)?
                    .iter()
                    .map(|m| m.account_id)
                    .collect();
                let b: Vec<_> = staff::list(&mut c.library(s.b)?, None, 100)?
                    .iter()
                    .map(|m| m.account_id)
                    .collect();
                let mut again = c.library(s.a)?;
                let mut others = Vec::new();
                for id in &s.b_staff {
                    others.push(staff::role_of(&mut again, *id)?);
                }
                Ok::<_, StoreError>((a, b, others))
            })
            .unwrap();
        assert_eq!(a, s.a_staff, "{backend:?}");
        assert_eq!(b, s.b_staff, "{backend:?}");
        assert!(others_in_a.iter().all(Option::is_none), "{backend:?}");
        if backend == Backend::Postgres {
            let counts = db
                .store
                .across_libraries(|c| {
                    let a = staff::count_unfiltered(&mut c.library(s.a)?)?;
                    let b = staff::count_unfiltered(&mut c.library(s.b)?)?;
                    Ok::<_, StoreError>((a, b))
                })
                .unwrap();
            assert_eq!(counts, (3, 2));
        }
    }
}
