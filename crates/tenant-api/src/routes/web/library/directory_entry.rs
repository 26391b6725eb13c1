//! Pages: the library's directory entry and its changes (admins).

use actix_web::web;

/// Registers these pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
