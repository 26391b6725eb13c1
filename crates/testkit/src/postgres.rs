//! A throw-away PostgreSQL database per test, dropped afterwards.
//!
//! Tests find the server through `CUSTODIAN_TEST_POSTGRES_URL`, a URL of a role
//! that may create databases (for example `postgres://postgres@127.0.0.1:5432/postgres`).
//! Each test gets its own database, so tests run in parallel without sharing rows.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::sync::atomic::{AtomicU32, Ordering};
use store::{migrations, DbUrl};

/// The variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "CUSTODIAN_TEST_POSTGRES_URL";
/// The variable naming the Redis server for tests.
pub const REDIS_ENV: &str = "CUSTODIAN_TEST_REDIS_URL";
/// The application role tests serve as.
pub const APP_ROLE: &str = "custodian_app";

/// The PostgreSQL admin URL, if tests should run against PostgreSQL.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())
}

/// The Redis URL, if tests should run against Redis.
pub fn redis_url() -> Option<String> {
    std::env::var(REDIS_ENV).ok().filter(|s| !s.is_empty())
}

/// A fresh, migrated PostgreSQL database; dropped when this is dropped.
pub struct PgTestDb {
    admin_url: String,
    name: String,
    /// URL of the owner (the role that ran migrations).
    pub owner_url: String,
    /// URL of the application role, subject to row-level security.
    pub app_url: String,
}

struct UrlParts {
    scheme: String,
    userinfo: String,
    host: String,
    query: String,
}

fn split(url: &str) -> UrlParts {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (userinfo, rest) = match rest.rsplit_once('@') {
        Some((u, r)) => (u.to_owned(), r),
        None => (String::new(), rest),
    };
    let (hostpath, query) = match rest.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (rest, String::new()),
    };
    let host = hostpath.split('/').next().unwrap_or_default().to_owned();
    UrlParts {
        scheme: scheme.to_owned(),
        userinfo,
        host,
        query,
    }
}

fn build(p: &UrlParts, userinfo: &str, db: &str) -> String {
    let at = if userinfo.is_empty() {
        String::new()
    } else {
        format!("{userinfo}@")
    };
    format!("{}://{at}{}/{db}{}", p.scheme, p.host, p.query)
}

impl PgTestDb {
    /// Creates and migrates a new database on the server at `admin_url`.
    pub fn create(admin_url: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "custodian_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        );
        let mut admin =
            PgConnection::establish(admin_url).expect("connect to CUSTODIAN_TEST_POSTGRES_URL");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let parts = split(admin_url);
        let owner_url = build(&parts, &parts.userinfo, &name);
        let app_url = build(&parts, APP_ROLE, &name);
        let db = PgTestDb {
            admin_url: admin_url.to_owned(),
            name,
            owner_url,
            app_url,
        };
        let mut owner = store::testing::raw_connection(&DbUrl::parse(&db.owner_url).unwrap())
            .expect("connect as owner");
        migrations::run_pending(&mut owner).expect("migrate");
        // Concurrent tests may race to create the cluster-wide role; retry once.
        if migrations::ensure_app_role(&mut owner, APP_ROLE, None).is_err() {
            std::thread::sleep(std::time::Duration::from_millis(200));
            migrations::ensure_app_role(&mut owner, APP_ROLE, None)
                .expect("grant application role");
        }
        db
    }
}

fn rand_suffix() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() % 1_000_000
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_host_and_query_and_swap_user_and_db() {
        let p = split("postgres://postgres:pw@127.0.0.1:5432/postgres?sslmode=disable");
        assert_eq!(
            build(&p, APP_ROLE, "t1"),
            "postgres://custodian_app@127.0.0.1:5432/t1?sslmode=disable"
        );
        assert_eq!(
            build(&p, &p.userinfo, "t1"),
            "postgres://postgres:pw@127.0.0.1:5432/t1?sslmode=disable"
        );
    }
}
