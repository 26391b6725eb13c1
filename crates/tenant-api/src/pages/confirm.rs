//! The page behind a link sent by email (a mail request's or a new address's
//! confirmation). A GET only shows it: mail scanners open links, so only the
//! button's POST confirms.

use super::filters;
use super::layout::Layout;
use crate::error::ApiError;
use askama::Template;

/// The button of a confirmation page and what to do instead of pressing it.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmButton<'a> {
    /// The button's words.
    pub label: &'a str,
    /// The line under it, for someone who did not ask for this.
    pub otherwise: &'a str,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_shows_the_button_and_an_outcome_shows_none() {
        let html = page(
            "Confirm your request",
            "Press the button to send request <R-1> & more.",
            Some(ConfirmButton {
                label: "Confirm",
                otherwise: "If you did not ask, ignore this email.",
            }),
        )
        .unwrap();
        assert!(
            html.contains("<title>Confirm your request</title>"),
            "{html}"
        );
        assert!(html.contains("<h1>Confirm your request</h1>"), "{html}");
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\" />"));
        assert!(html.contains("request &lt;R-1&gt; &amp; more."), "{html}");
        assert!(
            html.contains("<form method=\"post\"><button type=\"submit\">Confirm</button></form>")
        );
        assert!(html.contains("/static/custodian.css"));
        // The address holds a token: the page links nowhere.
        assert!(!html.contains("<a href=\"/"), "{html}");
        let done = page("Confirmed", "Your request was confirmed.", None).unwrap();
        assert!(!done.contains("<form"), "{done}");
        assert!(
            done.contains("<p>Your request was confirmed.</p>"),
            "{done}"
        );
    }
}
