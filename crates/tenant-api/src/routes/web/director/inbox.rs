//! Pages: the director's inbox and triage, and a request's page.

use actix_web::web;

/// Registers these pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
