//! What the workspace's tests and benches share: a throw-away PostgreSQL
//! database, migrated stores on every backend, fixtures, a real SMTP server
//! on loopback, an HTTP client, and (feature `app`) the whole application
//! running in the test's own process.
//!
//! A dev-dependency only. Its helpers panic on failure: in a test, the panic
//! is the report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "app")]
pub mod app;
#[cfg(feature = "app")]
pub mod browser;
pub mod fast_sink;
#[cfg(feature = "app")]
pub mod http;
pub mod postgres;
pub mod smtp_sink;
pub mod stores;

pub use postgres::{postgres_url, redis_url, PgTestDb, APP_ROLE, POSTGRES_ENV, REDIS_ENV};
pub use stores::{keyring, library, member_library, raw_stores, stores, RawStore, TestStore};
