//! Pages: the emailed requests' worklists (the director's inbox and triage,
//! a library's queue) and a request's page, shared by both. The message is
//! shown as text only, escaped like every value: never its HTML part.

use super::filters;
use super::layout::{Layout, NavLink, SessionBar};
use super::paging::Pager;
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use chrono::NaiveDateTime;
use notifier::requests::{AccountId, MailRequest, Received};

/// Whose queue a page is about: the director's, or one library's.
#[derive(Debug, Clone)]
pub struct Queue {
    /// Where its pages live: `/director` or `/libraries/{slug}`.
    pub base: String,
    /// The header's links.
    pub nav: Vec<NavLink>,
    /// Whether it is the director's (inbox and triage) rather than a library's.
    pub director: bool,
    /// Where the message as received downloads from (the JSON API's address).
    pub api: String,
}

impl Queue {
    /// The address of request `id`'s page.
    pub fn request_path(&self, id: i64) -> String {
        format!("{}/requests/{id}", self.base)
    }

    /// The address of the worklist itself.
    pub fn list_path(&self) -> String {
        if self.director {
            self.base.clone()
        } else {
            format!("{}/requests", self.base)
        }
    }
}

/// A date as people read it: "2 December 2026".
pub fn day(t: &NaiveDateTime) -> String {
    t.format("%-d %B %Y").to_string()
}

/// A time as people read it: "2 December 2026, 14:05 UTC".
pub fn moment(t: &NaiveDateTime) -> String {
    t.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// What a request asks for, in words.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "correct" => "Correction",
        "update" => "Update",
        "delete" => "Deletion",
        _ => "Other",
    }
}

/// Where a request stands, in words.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "received" => "Received",
        "awaiting_confirmation" => "Awaiting the sender's confirmation",
        "in_progress" => "In progress",
        "done" => "Done",
        "rejected" => "Rejected",
        "lapsed" => "Lapsed (never confirmed)",
        _ => "Unknown",
    }
}

fn queue_label(queue: &str) -> &'static str {
    match queue {
        "inbox" => "Inbox",
        "triage" => "Triage",
        _ => "Library queue",
    }
}

/// Who owns a request, in words: the caller is "you".
fn owner_label(owner: Option<AccountId>, me: AccountId, names: &[(AccountId, String)]) -> String {
    match owner {
        None => "Unassigned".into(),
        Some(o) if o == me => "You".into(),
        Some(o) => names
            .iter()
            .find(|(id, _)| *id == o)
            .map_or_else(|| "Another staff member".into(), |(_, n)| n.clone()),
    }
}

/// A choice in a select.
pub struct Choice {
    /// The value sent.
    pub value: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is chosen.
    pub selected: bool,
}

fn choices(options: &[(&'static str, &'static str)], chosen: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: *value == chosen,
        })
        .collect()
}

/// The worklist's filters as chosen (already checked by the list's query).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// open, any, or one status.
    pub status: String,
    /// "", inbox or triage.
    pub queue: String,
    /// any, overdue or week.
    pub due: String,
}

impl Filters {
    /// The filters as a query string, for the pager's links.
    pub fn query(&self) -> String {
        let mut q = vec![format!("status={}", super::paging::urlencode(&self.status))];
        if !self.queue.is_empty() {
            q.push(format!("queue={}", super::paging::urlencode(&self.queue)));
        }
        q.push(format!("due={}", super::paging::urlencode(&self.due)));
        q.join("&")
    }
}

/// One row of a worklist.
pub struct Row {
    href: String,
    id: i64,
    kind: &'static str,
    /// The sender's address, split after its `@` so it may wrap there.
    from: (String, String),
    subject: String,
    status: &'static str,
    owner: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "requests/list.html")]
struct ListPage<'a> {
    layout: Layout,
    heading: &'a str,
    intro: &'a str,
    action: String,
    director: bool,
    statuses: Vec<Choice>,
    queues: Vec<Choice>,
    dues: Vec<Choice>,
    rows: Vec<Row>,
    pager: Pager,
}

/// A worklist's page: the filters (a GET form), the requests overdue first, and the pager.
#[allow(clippy::too_many_arguments)]
pub fn list_page(
    queue: &Queue,
    title: &str,
    filters: &Filters,
    items: &[MailRequest],
    me: AccountId,
    now: NaiveDateTime,
    pager: Pager,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let rows = items
        .iter()
        .map(|r| {
            let overdue = notifier::requests::is_overdue(r, now);
            Row {
                href: queue.request_path(r.id.0),
                id: r.id.0,
                kind: kind_label(&r.kind),
                from: match r.sender.split_once('@') {
                    _ if r.sender.is_empty() => ("(no address)".into(), String::new()),
                    Some((local, domain)) => (format!("{local}@"), domain.to_owned()),
                    None => (r.sender.clone(), String::new()),
                },
                subject: if r.subject.trim().is_empty() {
                    "(no subject)".into()
                } else {
                    r.subject.clone()
                },
                status: status_label(&r.status),
                owner: owner_label(r.owner_id, me, &[]),
                due: day(&r.due_at),
                overdue,
            }
        })
        .collect();
    let (heading, intro) = if queue.director {
        (
            "Inbox and triage",
            "Emailed requests for the consortium's office (the inbox) and those no library could be told about (triage). Overdue requests come first.",
        )
    } else {
        (
            "Requests",
            "Emailed requests routed to your library, and those your patrons filed. Overdue requests come first. Every reading is recorded in the audit log.",
        )
    };
    super::render(&ListPage {
        layout: Layout::signed_in(
            format!("{title} – custodian"),
            queue.nav.clone(),
            queue.list_path(),
            bar,
        ),
        heading,
        intro,
        action: queue.list_path(),
        director: queue.director,
        statuses: choices(
            &[
                ("open", "Open (not closed)"),
                ("any", "Any status"),
                ("awaiting_confirmation", "Awaiting confirmation"),
                ("received", "Received"),
                ("in_progress", "In progress"),
                ("done", "Done"),
                ("rejected", "Rejected"),
                ("lapsed", "Lapsed"),
            ],
            &filters.status,
        ),
        queues: choices(
            &[
                ("", "Inbox and triage"),
                ("inbox", "Inbox"),
                ("triage", "Triage"),
            ],
            &filters.queue,
        ),
        dues: choices(
            &[
                ("any", "Any due date"),
                ("overdue", "Overdue"),
                ("week", "Due within 7 days (or overdue)"),
            ],
            &filters.due,
        ),
        rows,
        pager,
    })
}

/// One event of a request's history, in words.
pub struct HistoryItem {
    when: String,
    who: String,
    what: String,
    note: Option<String>,
}

/// An event's action and detail in words: statuses by their labels, an
/// owner by name, due dates as dates.
fn event_words(action: &str, detail: &str, me: AccountId, names: &[(AccountId, String)]) -> String {
    let label = action_label(action);
    let status =
        |s: &str| policy::requests::RequestStatus::parse(s.trim()).map(|_| status_label(s.trim()));
    let due = |s: &str| notifier::time::parse(s).map(|t| day(&t));
    if detail.is_empty() {
        return label.to_owned();
    }
    if let Some((from, to)) = detail.split_once(" → ") {
        if let (Some(f), Some(t)) = (status(from), status(to)) {
            return format!("{label}: from {f} to {t}");
        }
        if let (Some(f), Some(t)) = (due(from), due(to)) {
            return format!("{label}: from {f} to {t}");
        }
    }
    if let Some(s) = status(detail) {
        return format!("{label}: {s}");
    }
    if action == "owner" {
        let who = match detail
            .strip_prefix("account ")
            .and_then(|n| n.parse::<i64>().ok())
        {
            Some(n) => owner_label(Some(AccountId(n)), me, names),
            None => "Unassigned".into(),
        };
        return format!("{label}: now {who}");
    }
    format!("{label}: {detail}")
}

fn action_label(action: &str) -> &'static str {
    match action {
        "received" => "Received",
        "confirmed" => "Confirmed by the sender",
        "reminded" => "Reminder sent",
        "lapsed" => "Lapsed",
        "status" => "Status changed",
        "owner" => "Owner changed",
        "due" => "Due date changed",
        "replied" => "Reply sent",
        "note" => "Internal note",
        _ => "Changed",
    }
}

/// What the request page's forms show after a refusal: the field, why, and what was typed.
#[derive(Debug, Default)]
pub struct Typed<'a> {
    /// The notice after a form that worked ("Reply sent.").
    pub done: Option<&'static str>,
    /// The reply typed.
    pub reply: &'a str,
    /// The due date typed.
    pub due: &'a str,
    /// The internal note typed.
    pub note: &'a str,
    /// The closing notice typed.
    pub notice: &'a str,
    /// The status chosen.
    pub status: Option<&'a str>,
    /// The directory field chosen and the value typed.
    pub entry_field: &'a str,
    /// The value typed for the directory entry.
    pub entry_value: &'a str,
    /// A refusal: which field (`text`, `status`, `owner`, `due`, `note`, `notice`, `value`) and why.
    pub error: Option<(&'static str, String)>,
}

/// A member library whose directory contact sent an organizational correction.
pub struct Member {
    slug: String,
    name: String,
    entry: Option<String>,
}

#[derive(Template)]
#[template(path = "requests/request.html")]
struct RequestPage<'a> {
    layout: Layout,
    csrf: String,
    problems: Vec<Problem<'a>>,
    error_of: Vec<(&'static str, String)>,
    reference: String,
    action: String,
    download: String,
    back: String,
    subject: String,
    kind: &'static str,
    reason: &'a str,
    queue: &'static str,
    status: &'static str,
    current_status: &'a str,
    was_due: String,
    owner: String,
    due: String,
    overdue: bool,
    closed: bool,
    received: String,
    sender: &'a str,
    reply_to: Option<&'a str>,
    to: String,
    date: String,
    body: &'a str,
    attachments: Vec<String>,
    history: Vec<HistoryItem>,
    statuses: Vec<Choice>,
    owners: Vec<Choice>,
    due_value: String,
    typed: &'a Typed<'a>,
    members: Vec<Member>,
    entry_fields: Vec<Choice>,
}

impl RequestPage<'_> {
    /// The error beside `field`, if the last submission was refused for it.
    fn error(&self, field: &str) -> Option<&str> {
        self.error_of
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, t)| t.as_str())
    }
}

/// A request's page: the message as received, its history, the reply form,
/// the form for status, owner and due date, and for an organizational
/// correction its library's directory entry and the form that files the change.
pub fn request_page<'a>(
    queue: &Queue,
    read: &'a Received,
    me: AccountId,
    now: NaiveDateTime,
    typed: &'a Typed<'a>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let r = &read.detail.request;
    let id = r.id.0;
    let names = &read.names;
    let subject = if r.subject.trim().is_empty() {
        "(no subject)".to_owned()
    } else {
        r.subject.clone()
    };
    let mut problems = Vec::new();
    let mut error_of = Vec::new();
    if let Some((field, text)) = &typed.error {
        problems.push(Problem {
            field: match *field {
                "text" => "text",
                "status" => "status",
                "owner" => "owner",
                "due" => "due",
                "note" => "note",
                "notice" => "notice",
                _ => "value",
            },
            text: text.as_str(),
        });
        error_of.push((*field, text.clone()));
    }
    let title = if problems.is_empty() {
        format!("Request {id} – custodian")
    } else {
        format!("Error: Request {id} – custodian")
    };
    let history = read
        .detail
        .history
        .iter()
        .map(|e| HistoryItem {
            when: moment(&e.at),
            who: match e.actor_id {
                None => "custodian, automatically".into(),
                Some(a) if a == me => "you".into(),
                Some(a) => owner_label(Some(a), me, names),
            },
            what: event_words(&e.action, &e.detail, me, names),
            note: e.note.clone(),
        })
        .collect();
    let attachments = r
        .attachments
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    let name = x
                        .get("name")
                        .and_then(|n| n.as_str())
                        .unwrap_or("(unnamed)");
                    let ct = x.get("content_type").and_then(|n| n.as_str()).unwrap_or("");
                    let size = x.get("size").and_then(|n| n.as_u64()).unwrap_or(0);
                    format!("{name} ({ct}, {size} bytes)")
                })
                .collect()
        })
        .unwrap_or_default();
    let status_now = typed.status.unwrap_or(&r.status);
    let mut statuses: Vec<Choice> = ["received", "in_progress", "done", "rejected"]
        .iter()
        .map(|s| Choice {
            value: s,
            label: status_label(s),
            selected: *s == status_now,
        })
        .collect();
    if !statuses.iter().any(|c| c.value == r.status) {
        if let Some(p) = policy::requests::RequestStatus::parse(&r.status) {
            statuses.insert(
                0,
                Choice {
                    value: p.as_str(),
                    label: status_label(&r.status),
                    selected: p.as_str() == status_now,
                },
            );
        }
    }
    let owners = vec![
        Choice {
            value: "keep",
            label: "Keep the current owner",
            selected: true,
        },
        Choice {
            value: "me",
            label: "Me",
            selected: false,
        },
        Choice {
            value: "none",
            label: "No one (unassigned)",
            selected: false,
        },
    ];
    let members = read
        .member_libraries
        .iter()
        .map(|(l, entry)| Member {
            slug: l.slug.clone(),
            name: l.name.clone(),
            entry: entry.map(|e| format!("/directory/{e}")),
        })
        .collect();
    let entry_field = if typed.entry_field.is_empty() {
        "hours"
    } else {
        typed.entry_field
    };
    super::render(&RequestPage {
        layout: {
            let layout = Layout::signed_in(
                title,
                queue.nav.clone(),
                queue.request_path(id),
                bar.clone(),
            );
            match typed.done {
                Some(text) => layout.notice(text),
                None => layout,
            }
        },
        current_status: &r.status,
        was_due: r.due_at.format("%Y-%m-%d").to_string(),
        csrf: bar.csrf.clone(),
        problems,
        error_of,
        reference: format!("Request {id}"),
        action: queue.request_path(id),
        download: format!("{}/requests/{id}/message", queue.api),
        back: queue.list_path(),
        subject,
        kind: kind_label(&r.kind),
        reason: &r.reason,
        queue: queue_label(&r.queue),
        status: status_label(&r.status),
        owner: owner_label(r.owner_id, me, names),
        due: day(&r.due_at),
        overdue: notifier::requests::is_overdue(r, now),
        closed: policy::requests::RequestStatus::parse(&r.status).is_some_and(|s| s.is_closed()),
        received: moment(&r.received_at),
        sender: &r.sender,
        reply_to: r.reply_to.as_deref(),
        to: read.envelope.to.join(", "),
        date: read.envelope.date.as_ref().map(moment).unwrap_or_default(),
        body: &r.body,
        attachments,
        history,
        statuses,
        owners,
        due_value: if typed.due.is_empty() {
            r.due_at.format("%Y-%m-%d").to_string()
        } else {
            typed.due.to_owned()
        },
        typed,
        members,
        entry_fields: choices(
            &[
                ("name", "Name"),
                ("address", "Street address"),
                ("city", "City"),
                ("phone", "Telephone"),
                ("email", "Public email"),
                ("website", "Web site"),
                ("hours", "Opening hours"),
                ("services", "Services"),
            ],
            entry_field,
        ),
    })
}
