//! The public page of a library's vendors under contract today.

use super::filters;
use super::layout::{Layout, DIRECTORY_NAV};
use crate::error::ApiError;
use askama::Template;
use custody::vendors::PublicVendor;

#[derive(Template)]
#[template(path = "vendors_public.html")]
struct PublicVendors<'a> {
    layout: Layout,
    library: &'a str,
    vendors: &'a [PublicVendor],
}

/// `/libraries/{slug}/vendors`: the same list as `GET /api/v1/public/libraries/{slug}/vendors`.
pub fn public_page(library: &str, vendors: &[PublicVendor]) -> Result<String, ApiError> {
    super::render(&PublicVendors {
        layout: Layout::new(format!("Vendors — {library}"), DIRECTORY_NAV),
        library,
        vendors,
    })
}
