//! The my pages.

use actix_web::web;

/// Registers the my pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
