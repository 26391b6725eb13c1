//! The landing page at `/`: what custodian is and where to go from here.

use super::filters;
use super::layout::{Layout, DIRECTORY_NAV};
use crate::error::ApiError;
use askama::Template;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    layout: Layout,
}

/// The landing page.
pub fn page() -> Result<String, ApiError> {
    super::render(&Home {
        layout: Layout::new("custodian", DIRECTORY_NAV),
    })
}
