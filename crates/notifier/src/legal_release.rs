//! The letter that tells a patron their records were released under a legal
//! request no non-disclosure order keeps from them: what, for which period,
//! to whom and under what, in plain words.
//!
//! custody decides when a patron is told and what the letter says
//! ([`custody::legal::ReleaseNotice`]); it cannot depend on this crate, so the
//! mailroom implements custody's [`ReleaseNotifier`] and the application
//! hands it to custody at start.

use crate::requests::{Mailroom, MailroomError};
use crate::templates::Rendered;
use askama::Template;
use chrono::Utc;
use custody::legal::{ReleaseNotice, ReleaseNotifier};
use custody::{CustodyError, CustodyResult};
use store::LibraryTx;

#[derive(Template)]
#[template(path = "legal_release.txt")]
struct Text<'a> {
    m: &'a ReleaseNotice,
}

#[derive(Template)]
#[template(path = "legal_release.html")]
struct Html<'a> {
    m: &'a ReleaseNotice,
}

/// Renders the letter to a patron whose records were released.
pub fn render(m: &ReleaseNotice) -> Result<Rendered, askama::Error> {
    Ok(Rendered {
        template: "legal_release",
        subject: format!("{} released library records about you", m.library),
        text: Text { m }.render()?,
        html: Html { m }.render()?,
    })
}

impl ReleaseNotifier for Mailroom {
    fn queue_release_notice(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        notice: &ReleaseNotice,
    ) -> CustodyResult<()> {
        let rendered = render(notice).map_err(|e| CustodyError::Internal(e.to_string()))?;
        self.queue_in(tx, to, &rendered, Utc::now().naive_utc())
            .map_err(|e| match e {
                MailroomError::Store(s) => s.into(),
                // The address was on the patron's record; it does not parse.
                MailroomError::Invalid { .. } => CustodyError::Internal(
                    "a patron's email address could not be used for the release notice".into(),
                ),
                other => CustodyError::Internal(other.to_string()),
            })?;
        self.waker().notify();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letter_says_what_to_whom_and_under_what_and_escapes_html() {
        let m = ReleaseNotice {
            library: "Riverbend <Public> Library".into(),
            request: 7,
            instrument: "a court order".into(),
            released: "circulation records".into(),
            period: "from 2026-10-01 to 2026-10-31".into(),
            recipient: "Greene County Sheriff".into(),
            court: "31st Judicial Circuit".into(),
            case_number: "26-CR-0412".into(),
            clause: "RSMo 182.817.1(2) (mo_182_817_court_order)".into(),
        };
        let r = render(&m).unwrap();
        for part in [&r.text, &r.html] {
            assert!(part.contains("circulation records"), "{part}");
            assert!(part.contains("Greene County Sheriff"), "{part}");
            assert!(part.contains("26-CR-0412"), "{part}");
            assert!(part.contains("31st Judicial Circuit"), "{part}");
            assert!(part.contains("RSMo 182.817"), "{part}");
        }
        assert!(!r.html.contains("<Public>"));
    }
}
