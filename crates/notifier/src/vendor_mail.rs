//! The letters vendor contracts cause (#14): to a library's admins when a
//! contract ends within 30 days and when it has ended, and to a vendor's
//! erasure contact when a patron it was told about is deleted.
//!
//! custody decides when each is sent and what it says
//! ([`custody::vendor_notices`]); the mailroom implements its
//! [`VendorNotifier`] and the application hands it to custody at start, as
//! with the legal release notice.

use crate::requests::{Mailroom, MailroomError};
use crate::templates::Rendered;
use askama::Template;
use chrono::Utc;
use custody::vendor_notices::{ContractNotice, ErasureNotice, VendorNotifier};
use custody::{CustodyError, CustodyResult};
use store::LibraryTx;

#[derive(Template)]
#[template(path = "vendor_contract.txt")]
struct ContractText<'a> {
    m: &'a ContractNotice,
    public_list: &'a str,
}

#[derive(Template)]
#[template(path = "vendor_contract.html")]
struct ContractHtml<'a> {
    m: &'a ContractNotice,
    public_list: &'a str,
}

#[derive(Template)]
#[template(path = "vendor_erasure.txt")]
struct ErasureText<'a> {
    m: &'a ErasureNotice,
    fields: &'a str,
}

#[derive(Template)]
#[template(path = "vendor_erasure.html")]
struct ErasureHtml<'a> {
    m: &'a ErasureNotice,
    fields: &'a str,
}

/// Renders the notice to a library's admin; `base` is custodian's public URL.
pub fn render_contract(m: &ContractNotice, base: &str) -> Result<Rendered, askama::Error> {
    let public_list = format!(
        "{}/libraries/{}/vendors",
        base.trim_end_matches('/'),
        m.library_slug
    );
    let subject = if m.ended() {
        format!(
            "{}: the contract with {} ended on {}",
            m.library, m.vendor, m.contract_ends
        )
    } else {
        format!(
            "{}: the contract with {} ends on {}",
            m.library, m.vendor, m.contract_ends
        )
    };
    Ok(Rendered {
        template: if m.ended() {
            "vendor_contract_ended"
        } else {
            "vendor_contract_ends_soon"
        },
        subject,
        text: ContractText {
            m,
            public_list: &public_list,
        }
        .render()?,
        html: ContractHtml {
            m,
            public_list: &public_list,
        }
        .render()?,
    })
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Renders the notice to a vendor that a patron was deleted. The card number
/// is in the body only, never in the subject (mail logs keep subjects).
pub fn render_erasure(m: &ErasureNotice) -> Result<Rendered, askama::Error> {
    let fields = and_list(&m.identifying);
    Ok(Rendered {
        template: "vendor_erasure",
        subject: format!(
            "{}: a patron was deleted; please erase their data",
            m.library
        ),
        text: ErasureText { m, fields: &fields }.render()?,
        html: ErasureHtml { m, fields: &fields }.render()?,
    })
}

fn queue_error(e: MailroomError, what: &'static str) -> CustodyError {
    match e {
        MailroomError::Store(s) => s.into(),
        // The address was stored earlier and no longer parses; say whose, not what.
        MailroomError::Invalid { .. } | MailroomError::Refused(_) => {
            CustodyError::Internal(format!("the {what} address could not be used"))
        }
        other => CustodyError::Internal(other.to_string()),
    }
}

impl VendorNotifier for Mailroom {
    fn queue_contract_notice(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        notice: &ContractNotice,
    ) -> CustodyResult<()> {
        let rendered = render_contract(notice, self.public_url())
            .map_err(|e| CustodyError::Internal(e.to_string()))?;
        self.queue_in(tx, to, &rendered, Utc::now().naive_utc())
            .map_err(|e| queue_error(e, "library admin's"))?;
        self.waker().notify();
        Ok(())
    }

    fn queue_erasure_notice(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        notice: &ErasureNotice,
    ) -> CustodyResult<bool> {
        let rendered = render_erasure(notice).map_err(|e| CustodyError::Internal(e.to_string()))?;
        match self.queue_in(tx, to, &rendered, Utc::now().naive_utc()) {
            Ok(()) => {
                self.waker().notify();
                Ok(true)
            }
            // The vendor's address cannot receive mail: the deletion goes on,
            // and custody records that this vendor was not told.
            Err(MailroomError::Invalid { .. } | MailroomError::Refused(_)) => Ok(false),
            Err(e) => Err(queue_error(e, "vendor's erasure contact")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custody::vendor_notices::ContractNoticeKind;

    fn contract(kind: ContractNoticeKind, days_left: i64) -> ContractNotice {
        ContractNotice {
            kind,
            library: "Riverbend <Public> Library".into(),
            library_slug: "riverbend".into(),
            vendor: "Readwell".into(),
            service: "e-books".into(),
            contract_starts: "2026-01-01".into(),
            contract_ends: "2026-12-23".into(),
            days_left,
        }
    }

    #[test]
    fn the_contract_letters_say_which_contract_when_and_what_to_do() {
        let r = render_contract(
            &contract(ContractNoticeKind::EndsSoon, 20),
            "https://c.example/",
        )
        .unwrap();
        assert!(r.subject.contains("ends on 2026-12-23"), "{}", r.subject);
        for part in [&r.text, &r.html] {
            assert!(part.contains("Readwell"), "{part}");
            assert!(part.contains("in 20 days"), "{part}");
            assert!(part.contains("enter a new contract"), "{part}");
            assert!(
                part.contains("https://c.example/libraries/riverbend/vendors"),
                "{part}"
            );
        }
        assert!(!r.html.contains("<Public>"));
        let r = render_contract(&contract(ContractNoticeKind::Ended, -1), "").unwrap();
        assert!(r.subject.contains("ended on 2026-12-23"), "{}", r.subject);
        assert!(r.text.contains("no longer work"), "{}", r.text);
    }

    #[test]
    fn the_erasure_letter_names_the_card_in_the_body_only() {
        let m = ErasureNotice {
            library: "Riverbend Public Library".into(),
            vendor: "Readwell".into(),
            service: "e-books".into(),
            card_number: "21000777001".into(),
            identifying: vec!["name".into(), "email address".into()],
            deleted_on: "2026-12-03".into(),
        };
        let r = render_erasure(&m).unwrap();
        assert!(!r.subject.contains("21000777001"));
        for part in [&r.text, &r.html] {
            assert!(part.contains("21000777001"), "{part}");
            assert!(part.contains("name and email address"), "{part}");
            assert!(part.contains("Erase what you hold"), "{part}");
        }
    }
}
