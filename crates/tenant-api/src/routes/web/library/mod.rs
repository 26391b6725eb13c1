//! The library pages, one module per page family.

use actix_web::web;

pub mod audit;
pub mod directory_entry;
pub mod legal;
pub mod legal_documents;
pub mod legal_request;
pub mod patrons;
pub mod privacy;
pub mod requests;
pub mod retention;
pub mod staff;
pub mod vendor;
pub mod vendors;

/// Registers the library pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    requests::configure_root(cfg);
    patrons::configure_root(cfg);
    staff::configure_root(cfg);
    directory_entry::configure_root(cfg);
    audit::configure_root(cfg);
    legal::configure_root(cfg);
    legal_documents::configure_root(cfg);
    vendors::configure_root(cfg);
    retention::configure_root(cfg);
    privacy::configure_root(cfg);
}
