//! Pages: patron search (purpose first) and a patron's page.

use actix_web::web;

/// Registers these pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
