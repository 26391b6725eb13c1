//! The HTML pages, rendered on the server with askama: one layout
//! (`templates/layout.html`) under every page, so a page only says what is
//! its own. The pages work without JavaScript, label every control, keep a
//! heading outline, and escape every value they show (askama escapes by
//! default; the few values that are already safe say so by type).
//!
//! A page module turns domain data into a page; the handler that serves it
//! stays in `routes`, so a page never decides anything itself.

pub mod api_docs;
pub mod audit;
pub mod confirm;
pub mod directory;
pub mod filters;
pub mod form;
pub mod home;
pub mod layout;
pub mod legal;
pub mod legal_register;
pub mod mailroom;
pub mod members;
pub mod moderation;
pub mod my;
pub mod nav;
pub mod paging;
pub mod patrons;
pub mod privacy_policy;
pub mod requests;
pub mod retention;
pub mod signin;
pub mod staff;
pub mod statistics;
pub mod vendor_admin;
pub mod vendors;

use crate::error::ApiError;

/// The content type every page is sent with.
pub const HTML: &str = "text/html; charset=utf-8";

/// The stylesheet of every page, served at `/static/custodian.css`: the pages
/// carry no inline style, so the Content-Security-Policy can forbid it.
pub const STYLESHEET: &str = include_str!("../../static/custodian.css");

/// Renders a page; a failure here is a bug in a template, not the caller's.
pub fn render(page: &impl askama::Template) -> Result<String, ApiError> {
    page.render()
        .map_err(|e| ApiError::Internal(format!("rendering a page: {e}")))
}
