//! The page behind a link sent by email (a mail request's or a new address's
//! confirmation). A GET only shows it: mail scanners open links, so only the
//! button's POST confirms.

use super::filters;
use super::layout::Layout;
use crate::error::ApiError;
use askama::Template;
use notifier::templates::ConfirmButton;

#[derive(Template)]
#[template(path = "confirm.html")]
struct Confirm<'a> {
    layout: Layout,
    message: &'a str,
    button: Option<ConfirmButton<'a>>,
}

/// The page titled `title` saying `message`, with the confirm button when
/// there is still something to confirm.
pub fn page(
    title: &str,
    message: &str,
    button: Option<ConfirmButton<'_>>,
) -> Result<String, ApiError> {
    // No site links: the address holds a token, and the page stands alone.
    super::render(&Confirm {
        layout: Layout::new(title, &[]).noindex(),
        message,
        button,
    })
}
