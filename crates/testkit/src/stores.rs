//! Migrated stores on every backend this run can reach, and the fixtures the
//! store, notifier and directory tests and benches each used to write again.

use crate::postgres::{postgres_url, PgTestDb};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use store::encryption::Keyring;
use store::libraries::{self, NewLibrary};
use store::{Access, DbConn, DbUrl, LibraryId, Store};

/// A migrated store for one test, on one backend, and what keeps it alive.
pub struct TestStore {
    /// The store, connected as the serving (application) role.
    pub store: Store,
    /// "sqlite" or "postgresql", for assertion messages.
    pub backend: &'static str,
    _pg: Option<PgTestDb>,
    _dir: Option<std::path::PathBuf>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(dir) = &self._dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A fresh SQLite store, and a fresh PostgreSQL one when
/// `CUSTODIAN_TEST_POSTGRES_URL` is set: run a test body over each.
pub fn stores(pool_size: u32) -> Vec<TestStore> {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let timeout = Duration::from_secs(10);
    let dir = std::env::temp_dir().join(format!(
        "custodian-test-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let url =
        DbUrl::parse(&format!("sqlite://{}", dir.join("test.db").display())).expect("sqlite url");
    let mut conn = store::testing::raw_connection(&url).expect("sqlite connects");
    store::migrations::run_pending(&mut conn).expect("sqlite migrations");
    let mut out = vec![TestStore {
        store: Store::open(&url, pool_size, timeout).expect("sqlite store"),
        backend: "sqlite",
        _pg: None,
        _dir: Some(dir),
    }];
    if let Some(admin) = postgres_url() {
        let pg = PgTestDb::create(&admin);
        let url = DbUrl::parse(&pg.app_url).expect("postgres url");
        out.push(TestStore {
            store: Store::open(&url, pool_size, timeout).expect("postgres store"),
            backend: "postgresql",
            _pg: Some(pg),
            _dir: None,
        });
    }
    out
}

/// A store and, beside it, a connection that reaches past the application's
/// rules, as someone with the owner's keys or the database file could.
pub struct RawStore {
    /// The store, connected as the serving (application) role.
    pub store: Store,
    /// The owner's connection (PostgreSQL) or the file's (SQLite).
    pub raw: DbConn,
    /// "sqlite" or "postgresql", for assertion messages.
    pub backend: &'static str,
    _pg: Option<PgTestDb>,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite store with its raw connection, and a PostgreSQL one when
/// `CUSTODIAN_TEST_POSTGRES_URL` is set; pools of four, five-second timeouts.
pub fn raw_stores() -> Vec<RawStore> {
    let timeout = Duration::from_secs(5);
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("raw.db").display()))
        .expect("sqlite url");
    let mut raw = store::testing::raw_connection(&url).expect("sqlite connects");
    store::migrations::run_pending(&mut raw).expect("sqlite migrations");
    let mut v = vec![RawStore {
        store: Store::open(&url, 4, timeout).expect("sqlite store"),
        raw,
        backend: "sqlite",
        _pg: None,
        _dir: Some(dir),
    }];
    if let Some(admin) = postgres_url() {
        let pg = PgTestDb::create(&admin);
        let store = Store::open(
            &DbUrl::parse(&pg.app_url).expect("postgres url"),
            4,
            timeout,
        )
        .expect("postgres store");
        let raw = store::testing::raw_connection(
            &DbUrl::parse(&pg.owner_url).expect("postgres owner url"),
        )
        .expect("connect as owner");
        v.push(RawStore {
            store,
            raw,
            backend: "postgresql",
            _pg: Some(pg),
            _dir: None,
        });
    }
    v
}

/// A fixed key ring for tests.
pub fn keyring() -> Keyring {
    use base64::Engine;
    let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
    Keyring::new(&[("k1".into(), b64(1))], "k1", &b64(2)).expect("test keys")
}

/// A member library under Missouri's rules, named by its slug.
pub fn library(store: &Store, slug: &str) -> LibraryId {
    member_library(store, slug).id
}

/// A member library under Missouri's rules, named by its slug: the whole row.
pub fn member_library(store: &Store, slug: &str) -> libraries::Library {
    store
        .consortium(Access::Write, |c| {
            libraries::create(
                c,
                &NewLibrary {
                    slug,
                    name: slug,
                    jurisdiction: "missouri",
                },
            )
        })
        .expect("create a library")
}
