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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::layout::{Flash, FlashKind};

    #[test]
    fn the_landing_page_says_what_runs_here() {
        let html = page().unwrap();
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<h1>custodian is running</h1>"), "{html}");
        assert!(html.contains("<code>{\"email\": \"…\", \"password\": \"…\"}</code>"));
        assert!(html.contains("<a href=\"/directory\">Library directory</a>"));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/custodian.css\" />"));
        assert!(!html.contains("noindex"));
    }

    #[test]
    fn the_layout_shows_messages_before_the_content_escaped() {
        let mut layout = Layout::new("custodian", DIRECTORY_NAV);
        layout.flash = vec![
            Flash {
                kind: FlashKind::Notice,
                text: "Saved.".into(),
            },
            Flash {
                kind: FlashKind::Error,
                text: "Check <the> \"card\".".into(),
            },
        ];
        let html = super::super::render(&Home { layout }).unwrap();
        let notice = html
            .find("<p class=\"notice\" role=\"status\">Saved.</p>")
            .unwrap();
        let error = html
            .find("<p class=\"error\" role=\"alert\">Check &lt;the&gt; &quot;card&quot;.</p>")
            .unwrap();
        let heading = html.find("<h1>").unwrap();
        assert!(notice < error && error < heading, "{html}");
    }
}
