//! The printable invoice of a legal request: the requester charged, the
//! staff time line by line, and the total at the library's hourly rate.

use super::filters;
use super::layout::Layout;
use crate::error::ApiError;
use askama::Template;
use custody::legal_cost::Invoice;

/// One line as the page shows it.
struct Line {
    date: String,
    by: String,
    what: String,
    minutes: i64,
    amount: String,
}

#[derive(Template)]
#[template(path = "legal/invoice.html")]
struct InvoicePage {
    layout: Layout,
    request: i64,
    library: String,
    name: String,
    agency: String,
    email: String,
    rate: String,
    lines: Vec<Line>,
    total: String,
}

/// `cents` as dollars and cents, e.g. `$56.25`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}${}.{:02}", c / 100, c % 100)
}

/// The invoice as a page that prints on its own (no site links).
pub fn invoice_page(inv: Invoice) -> Result<String, ApiError> {
    let title = format!("Invoice for legal request {}", inv.request);
    super::render(&InvoicePage {
        layout: Layout::new(title, &[]).noindex(),
        request: inv.request,
        library: inv.library,
        name: inv.requester.name.unwrap_or_default(),
        agency: inv.requester.agency.unwrap_or_default(),
        email: inv.requester.email.unwrap_or_default(),
        rate: money(inv.hourly_rate_cents),
        lines: inv
            .lines
            .into_iter()
            .map(|l| Line {
                amount: money(l.cents),
                date: l.date,
                by: l.by,
                what: l.what,
                minutes: l.minutes,
            })
            .collect(),
        total: money(inv.total_cents),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use custody::legal::RequesterInput;
    use custody::legal_cost::InvoiceLine;

    #[test]
    fn the_invoice_page_names_the_requester_and_the_total() {
        let html = invoice_page(Invoice {
            request: 7,
            library: "Riverbend".into(),
            requester: RequesterInput {
                name: Some("Det. <Ray>".into()),
                agency: Some("Sheriff".into()),
                email: None,
            },
            lines: vec![InvoiceLine {
                date: "2026-12-02".into(),
                by: "The custodian".into(),
                what: "search".into(),
                minutes: 90,
                cents: 3750,
            }],
            hourly_rate_cents: 2500,
            total_cents: 3750,
        })
        .unwrap();
        assert!(html.contains("Det. &lt;Ray&gt;"), "{html}");
        assert!(html.contains("$37.50"), "{html}");
        assert!(html.contains("<caption>"), "{html}");
        assert!(html.contains("<th scope=\"col\">Minutes</th>"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert_eq!(money(5625), "$56.25");
        assert_eq!(money(5), "$0.05");
    }
}
