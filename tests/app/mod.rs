//! In-process tests: the whole application (`Application::build` on port 0)
//! in the test's own process, with a temporary data directory and the demo
//! consortium, driven over HTTP as a client would. What only a separate
//! process shows (signals, the CLI, the log, a worker killed mid-delivery)
//! stays in the black-box suite.
//!
//! Every test runs on SQLite with in-process fallbacks and, when
//! `CUSTODIAN_TEST_POSTGRES_URL` and `CUSTODIAN_TEST_REDIS_URL` are set, again
//! on PostgreSQL (as the application role) with Redis; a failure names the
//! backend it happened on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod crypto_erasure;
mod demo;
mod directory_public;
mod exports;
mod fuzz_corpus;
mod legal;
mod legal_documents;
mod legal_release;
mod legal_report;
mod openapi;
mod operations;
mod patrons;
mod people;
mod policy_notice;
mod privacy_policy;
mod retention;
mod sessions;
mod sign_in;
mod sip2;
mod staff;
mod statistics;
mod testkit_app;
mod trust_c;
mod trust_staff;
mod vendor_notices;
mod vendors;
mod web;
mod web_directory_admin;
mod web_legal;
mod web_my;
mod web_pages;
mod web_patrons;
mod web_privacy;
mod web_requests;
mod web_retention;
mod web_vendors;

/// What every test file here reads: the app, its backends and the client.
mod support {
    #[allow(unused_imports)]
    pub use super::people::{member, member_in_browser, patron};
    pub use testkit::app::{each_backend, Backend, TestApp};
    #[allow(unused_imports)]
    pub use testkit::browser::{csrf_of, my_sign_in, sign_in, Browser, Page};
    pub use testkit::http::*;
}
