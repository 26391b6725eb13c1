//! The director pages, one module per page family.

use actix_web::web;

pub mod directory;
pub mod inbox;
pub mod libraries;
pub mod mail;
pub mod moderation;

/// Registers the director pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    inbox::configure_root(cfg);
    mail::configure_root(cfg);
    moderation::configure_root(cfg);
    libraries::configure_root(cfg);
    directory::configure_root(cfg);
}
