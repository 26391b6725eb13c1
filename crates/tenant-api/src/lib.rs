//! The custodian web application: routes, authentication, configuration and start-up.

pub mod anchors;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod csrf;
pub mod demo;
pub mod error;
pub mod guards;
pub mod hashing;
pub mod headers;
pub mod input;
pub mod keys;
pub mod mail;
pub mod metrics;
pub mod pages;
pub mod passwords;
pub mod patron_auth;
pub mod retention;
pub mod routes;
pub mod settings;
pub mod sip2;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod visits;
