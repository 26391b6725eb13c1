//! The patron's own pages under `/my` (besides sign-in and the landing page in `patron.rs`).

use actix_web::web;

/// Registers the patron's pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
