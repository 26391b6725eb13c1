//! Pages: the dead letters and the mail ledger.

use actix_web::web;

/// Registers these pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
