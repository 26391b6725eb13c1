//! Black-box tests: the real `custodian` binary on a free port with a
//! temporary data directory, driven over HTTP as a client would.
//!
//! Every test runs on the embedded default (SQLite, in-process throttling) and,
//! when `CUSTODIAN_TEST_POSTGRES_URL` and `CUSTODIAN_TEST_REDIS_URL` are set,
//! again on PostgreSQL (serving as the application role) with Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adversarial;
mod audit;
mod backup;
mod browser;
mod crash;
mod directory;
mod harness;
mod hostile;
mod keys;
mod mail;
mod metrics;
mod operations;
mod patrons;
mod retention;
mod sign_in;
mod sip2;
mod statistics;
mod traces;
mod trust_c;
mod trust_staff;
mod vendor_notices;
mod web;
