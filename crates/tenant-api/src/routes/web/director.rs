//! The director pages.

use actix_web::web;

/// Registers the director pages.
pub fn configure_root(_cfg: &mut web::ServiceConfig) {}
