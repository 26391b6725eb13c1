//! Pages: directory moderation.

use actix_web::web;

/// Registers these pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
