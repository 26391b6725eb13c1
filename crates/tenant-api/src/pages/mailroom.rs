//! Pages: the director's view of the mail plumbing, the outbox's dead
//! letters (with a retry button each) and the inbound mail ledger. Neither
//! shows what a message said: recipients are masked, and a patron's
//! request is shown by the library it went to.

use super::filters;
use super::layout::{Layout, SessionBar};
use super::nav;
use super::paging::Pager;
use super::requests::moment;
use crate::error::ApiError;
use askama::Template;
use notifier::Logged;
use notifier::OutboxLetter as Summary;

/// One dead letter as the page shows it.
pub struct Letter {
    id: i64,
    template: String,
    to: String,
    attempts: i32,
    error: String,
    queued: String,
}

#[derive(Template)]
#[template(path = "mailroom/dead_letters.html")]
struct DeadLetters {
    layout: Layout,
    csrf: String,
    letters: Vec<Letter>,
    pager: Pager,
}

/// The dead letters' page; `done` is a notice after a retry.
pub fn dead_letters_page(
    items: &[Summary],
    pager: Pager,
    done: Option<&'static str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let csrf = bar.csrf.clone();
    let mut layout = Layout::signed_in(
        "Dead letters – custodian",
        nav::director(),
        "/director/dead-letters",
        bar,
    );
    if let Some(text) = done {
        layout = layout.notice(text);
    }
    super::render(&DeadLetters {
        layout,
        csrf,
        letters: items
            .iter()
            .map(|m| Letter {
                id: m.id,
                template: m.template.clone(),
                to: m.recipient_hint.clone(),
                attempts: m.attempts,
                error: m.last_error.clone().unwrap_or_default(),
                queued: moment(&m.created_at),
            })
            .collect(),
        pager,
    })
}

/// One message of the ledger as the page shows it.
pub struct Entry {
    when: String,
    channel: &'static str,
    outcome: &'static str,
    route: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "mailroom/ledger.html")]
struct Ledger {
    layout: Layout,
    entries: Vec<Entry>,
    pager: Pager,
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "request" => "A request",
        "auto_reply" => "An automatic reply",
        "bounce" => "A delivery failure report",
        "duplicate" => "A duplicate",
        _ => "Other",
    }
}

/// The inbound mail ledger's page.
pub fn ledger_page(items: &[Logged], pager: Pager, bar: SessionBar) -> Result<String, ApiError> {
    super::render(&Ledger {
        layout: Layout::signed_in(
            "Mail ledger – custodian",
            nav::director(),
            "/director/mail-ledger",
            bar,
        ),
        entries: items
            .iter()
            .map(|l| Entry {
                when: moment(&l.received_at),
                channel: match l.channel.as_str() {
                    "gateway" => "The mail gateway",
                    "maildir" => "A Maildir",
                    _ => "The command line",
                },
                outcome: outcome_label(&l.outcome),
                route: match l.route.as_deref() {
                    Some("director") => "The director's inbox".into(),
                    Some("triage") => "Triage".into(),
                    Some("library") => format!("Library queue: {}", l.libraries.join(", ")),
                    _ => "Nowhere (not a request)".into(),
                },
                reason: l.reason.clone(),
            })
            .collect(),
        pager,
    })
}
