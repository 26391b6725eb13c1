//! The library pages.

use actix_web::web;

/// Registers the library pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
