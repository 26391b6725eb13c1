//! The message that asks a patron to confirm a new email address, and the
//! page its link opens. The address changes only when the patron presses the
//! button on that page: opening the link changes nothing, since mail scanners
//! open links too.

use crate::templates::Rendered;
use askama::Template;

/// What the confirmation message says.
#[derive(Debug, Clone)]
pub struct EmailConfirm {
    /// The patron's library, by name.
    pub library: String,
    /// The single-use link.
    pub link: String,
    /// When the link expires, as a date and time (UTC).
    pub expires: String,
}

#[derive(Template)]
#[template(path = "email_confirm.txt")]
struct Text<'a> {
    m: &'a EmailConfirm,
}

#[derive(Template)]
#[template(path = "email_confirm.html")]
struct Html<'a> {
    m: &'a EmailConfirm,
}

/// Renders the message sent to the new address.
pub fn render(m: &EmailConfirm) -> Result<Rendered, askama::Error> {
    Ok(Rendered {
        template: "email_confirm",
        subject: format!("Please confirm your new email address at {}", m.library),
        text: Text { m }.render()?,
        html: Html { m }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_carries_the_link_and_escapes_the_library_name() {
        let m = EmailConfirm {
            library: "Riverbend <Public> Library".into(),
            link: "http://localhost:8080/patron/email/confirm/e1.abc".into(),
            expires: "2026-12-03 10:00 UTC".into(),
        };
        let r = render(&m).unwrap();
        assert!(r
            .text
            .contains("http://localhost:8080/patron/email/confirm/e1.abc"));
        assert!(r
            .html
            .contains("http://localhost:8080/patron/email/confirm/e1.abc"));
        assert!(!r.html.contains("<Public>"));
        assert!(r.subject.contains("Riverbend"));
    }
}
