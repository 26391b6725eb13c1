//! The patron's own pages under `/my`: their account at a glance, their
//! records, who saw their data, their requests, and their settings (history,
//! contact data, PIN, deletion). Dates are written as people read them.

use super::filters;
use super::form::Field;
use super::layout::{Layout, SessionBar, DIRECTORY_NAV};
use super::nav;
use super::paging::Pager;
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use custody::audit::AccessEntry;
use custody::me::{MailRequest, Overview, Patron, Record};

/// A day as people read it: "2 April 1985".
pub fn day(d: &NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A moment as people read it: "2 April 2026, 14:05 UTC".
pub fn moment(t: &NaiveDateTime) -> String {
    t.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// A record kind as a patron says it.
pub fn kind_name(kind: &str) -> &str {
    match kind {
        "circulation" => "Loans",
        "card_registration" => "Card registration",
        "holds_and_interlibrary_loans" => "Holds and interlibrary loans",
        "event_registration" => "Events and reading clubs",
        "reference_requests" => "Questions to the library",
        "donations" => "Donations",
        "digital_use" => "Computer and online use",
        "fines_and_payments" => "Fines and payments",
        other => other,
    }
}

/// What an entry of the access log says was done, as a patron reads it.
fn action_name(action: &str) -> &str {
    match action {
        "patron.read" => "Opened your account",
        "patron.search" => "Found you in a search",
        "patron.records" => "Read your records",
        "patron.correct" => "Corrected your account",
        "patron.consent" => "Recorded a consent",
        "patron.merge" => "Merged a duplicate account into yours",
        "patron.register" => "Registered you",
        "patron.delete" => "Deleted your account",
        "records.feed" => "Added records",
        "records.list" => "Listed records",
        "records.update" => "Changed a record",
        other => other,
    }
}

/// A request's status as a patron reads it.
fn status_name(status: &str) -> &str {
    match status {
        "received" => "Received, waiting for the library",
        "awaiting_confirmation" => "Waiting for you to confirm it by the emailed link",
        "in_progress" => "The library is working on it",
        "done" => "Done",
        "rejected" => "Refused",
        "lapsed" => "Lapsed (not confirmed in time)",
        other => other,
    }
}

/// A request's kind as a patron reads it.
fn request_kind(kind: &str) -> &str {
    match kind {
        "delete" => "Delete my account",
        "correct" => "Correct my data",
        "update" => "Update my data",
        "other" => "Other request",
        other => other,
    }
}

/// How a patron asked to be contacted, as they read it.
fn contact_name(how: &str) -> &str {
    match how {
        "email" => "By email",
        "phone" => "By phone",
        "mail" => "By post",
        "none" => "Not at all",
        other => other,
    }
}

/// The title of a page, "Error: " first when a form on it was refused.
fn title(base: &str, refused: bool) -> String {
    if refused {
        format!("Error: {base} – custodian")
    } else {
        format!("{base} – custodian")
    }
}

/// One line of a definition list.
pub struct Fact {
    /// What it is.
    pub label: &'static str,
    /// Its value, as shown.
    pub value: String,
}

/// One consent, as shown.
pub struct ConsentLine {
    /// Guardian's or disclosure.
    pub kind: &'static str,
    /// What it covers.
    pub scope: String,
    /// Who gave it.
    pub given_by: String,
    /// When, and until when, or when it was withdrawn.
    pub when: String,
}

#[derive(Template)]
#[template(path = "my/home.html")]
struct Home<'a> {
    layout: Layout,
    library: &'a str,
    facts: Vec<Fact>,
    pending_email: Option<&'a str>,
    keep_history: bool,
    deletion_requested: Option<String>,
    consents: Vec<ConsentLine>,
    kinds: Vec<(&'a str, i64)>,
    total: i64,
    csrf: String,
    notice: Option<&'a custody::privacy_policy::PatronNotice>,
    policy_href: String,
    uses: Vec<UseChoice<'a>>,
}

/// One optional use on `/my`, with the patron's choice.
pub struct UseChoice<'a> {
    /// Its key, the checkbox's value.
    pub key: &'a str,
    /// What the library does.
    pub description: &'a str,
    /// Whether the patron opted out.
    pub opted_out: bool,
    /// The checkbox's id.
    pub id: String,
}

fn profile_facts(p: &Patron) -> Vec<Fact> {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "None given".into());
    let mut facts = vec![
        Fact {
            label: "Name",
            value: p.data.name.clone(),
        },
        Fact {
            label: "Card number",
            value: p.data.card_number.clone(),
        },
        Fact {
            label: "Email address",
            value: or_none(&p.data.email),
        },
        Fact {
            label: "Phone",
            value: or_none(&p.data.phone),
        },
        Fact {
            label: "Postal address",
            value: or_none(&p.data.address),
        },
        Fact {
            label: "Date of birth",
            value: p
                .data
                .birth_date
                .as_ref()
                .map(day)
                .unwrap_or_else(|| "None given".into()),
        },
    ];
    if let Some(g) = &p.data.guardian {
        facts.push(Fact {
            label: "Guardian",
            value: g.clone(),
        });
    }
    facts.push(Fact {
        label: "Contact me",
        value: contact_name(&p.contact_by).to_owned(),
    });
    facts.push(Fact {
        label: "Account opened",
        value: day(&p.created_at.date()),
    });
    facts
}

/// The patron's account page: everything held about them at a glance.
pub fn home(
    overview: &Overview,
    library: &str,
    slug: &str,
    flash: Option<&str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let p = &overview.patron;
    let now = chrono::Utc::now().naive_utc();
    let consents = overview
        .consents
        .iter()
        .map(|c| ConsentLine {
            kind: match c.kind.as_str() {
                "guardian" => "Guardian's consent",
                "opt_out" => "Opted out of",
                "opt_in" => "Opted back in to",
                _ => "Consent to share",
            },
            scope: c.scope.clone(),
            given_by: c.given_by.clone(),
            when: match (c.revoked_at, c.expires_at) {
                (Some(r), _) => format!(
                    "Given {}, withdrawn {}",
                    day(&c.granted_at.date()),
                    day(&r.date())
                ),
                (None, Some(e)) if e <= now => format!(
                    "Given {}, lapsed {}",
                    day(&c.granted_at.date()),
                    day(&e.date())
                ),
                (None, Some(e)) => format!(
                    "Given {}, in force until {}",
                    day(&c.granted_at.date()),
                    day(&e.date())
                ),
                (None, None) => format!("Given {}, in force", day(&c.granted_at.date())),
            },
        })
        .collect();
    let csrf = bar.csrf.clone();
    let mut layout = Layout::signed_in("My account – custodian", nav::patron(), "/my", bar);
    if let Some(text) = flash {
        layout = layout.notice(text);
    }
    super::render(&Home {
        layout,
        csrf,
        notice: overview.policy_notice.as_ref(),
        policy_href: format!("/libraries/{slug}/privacy"),
        uses: overview
            .opt_outs
            .uses
            .iter()
            .map(|u| UseChoice {
                key: &u.key,
                description: &u.description,
                opted_out: overview
                    .opt_outs
                    .opt_outs
                    .get(&u.key)
                    .copied()
                    .unwrap_or(false),
                id: format!("use-{}", u.key),
            })
            .collect(),
        library,
        facts: profile_facts(p),
        pending_email: p.pending_email.as_deref(),
        keep_history: p.keep_history,
        deletion_requested: p.deletion_requested_at.as_ref().map(|t| day(&t.date())),
        consents,
        kinds: overview
            .record_kinds
            .iter()
            .map(|(k, n)| (kind_name(k), *n))
            .collect(),
        total: overview.record_kinds.iter().map(|(_, n)| n).sum(),
    })
}

/// One record, as the records table shows it.
pub struct RecordLine {
    /// The kind, in words.
    pub kind: String,
    /// The item or event.
    pub item: String,
    /// The branch.
    pub branch: String,
    /// When it happened, and ended.
    pub when: String,
    /// The source's status, with an amount when there is one.
    pub status: String,
}

#[derive(Template)]
#[template(path = "my/records.html")]
struct Records {
    layout: Layout,
    records: Vec<RecordLine>,
    pager: Pager,
    first_page: bool,
}

/// One page of the patron's records, newest first.
pub fn records(items: &[Record], pager: &Pager, bar: SessionBar) -> Result<String, ApiError> {
    let records = items
        .iter()
        .map(|r| {
            let mut status = r.status.clone();
            if let Some(c) = r.amount_cents {
                let amount = format!("{}.{:02}", c / 100, (c % 100).abs());
                status = match r.settled_at {
                    Some(s) => format!("{status}; {amount}, settled {}", day(&s.date())),
                    None => format!("{status}; {amount}"),
                };
            }
            RecordLine {
                kind: kind_name(&r.kind).to_owned(),
                item: r.item.clone(),
                branch: r.branch.clone(),
                when: match r.ended_at {
                    Some(e) => format!("{} to {}", day(&r.occurred_at.date()), day(&e.date())),
                    None => day(&r.occurred_at.date()),
                },
                status,
            }
        })
        .collect();
    super::render(&Records {
        layout: Layout::signed_in("My records – custodian", nav::patron(), "/my/records", bar),
        records,
        first_page: pager.first.is_none(),
        pager: pager.clone(),
    })
}

/// One entry of the access log, as shown.
pub struct AccessLine {
    /// When.
    pub when: String,
    /// Who, as the log describes them.
    pub who: String,
    /// What was done, in words.
    pub what: String,
    /// Why, as they stated it.
    pub purpose: String,
    /// Allowed or refused, with the clause.
    pub decision: String,
}

#[derive(Template)]
#[template(path = "my/access_log.html")]
struct AccessLog {
    layout: Layout,
    entries: Vec<AccessLine>,
}

/// Who saw the patron's data, when and why.
pub fn access_log(items: &[AccessEntry], bar: SessionBar) -> Result<String, ApiError> {
    let entries = items
        .iter()
        .map(|e| AccessLine {
            when: moment(&e.at),
            who: e.who.clone(),
            what: action_name(&e.action).to_owned(),
            purpose: if e.purpose.is_empty() {
                "None stated".into()
            } else {
                e.purpose.clone()
            },
            decision: match e.decision.as_str() {
                "allow" => "Allowed".to_owned(),
                "deny" => format!("Refused ({})", e.clause),
                other => other.to_owned(),
            },
        })
        .collect();
    super::render(&AccessLog {
        layout: Layout::signed_in(
            "Who saw my data – custodian",
            nav::patron(),
            "/my/access-log",
            bar,
        ),
        entries,
    })
}

/// One of the patron's requests, as shown.
pub struct RequestLine {
    /// Its number, as staff quote it.
    pub number: String,
    /// What was asked, in words.
    pub kind: String,
    /// Portal or email.
    pub how: &'static str,
    /// When it arrived.
    pub received: String,
    /// Its status, in words.
    pub status: String,
    /// When the library must answer by, while it is open.
    pub due: String,
}

#[derive(Template)]
#[template(path = "my/requests.html")]
struct Requests {
    layout: Layout,
    requests: Vec<RequestLine>,
}

/// The patron's own requests and their status.
pub fn requests(
    items: &[MailRequest],
    number: impl Fn(i64) -> String,
    notice: Option<&str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let requests = items
        .iter()
        .map(|r| {
            let open = matches!(
                r.status.as_str(),
                "received" | "in_progress" | "awaiting_confirmation"
            );
            RequestLine {
                number: number(r.id.0),
                kind: request_kind(&r.kind).to_owned(),
                how: if r.source == "portal" {
                    "Here, signed in"
                } else {
                    "By email"
                },
                received: day(&r.received_at.date()),
                status: if open {
                    status_name(&r.status).to_owned()
                } else {
                    format!("{} ({})", status_name(&r.status), day(&r.updated_at.date()))
                },
                due: if open {
                    day(&r.due_at.date())
                } else {
                    "—".into()
                },
            }
        })
        .collect();
    let mut layout = Layout::signed_in(
        "My requests – custodian",
        nav::patron(),
        "/my/requests",
        bar,
    );
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    super::render(&Requests { layout, requests })
}

/// What the contact form holds: the patron's data, or what they typed.
#[derive(Debug, Clone, Default)]
pub struct ContactForm<'a> {
    /// Email address.
    pub email: &'a str,
    /// Phone.
    pub phone: &'a str,
    /// Postal address.
    pub address: &'a str,
    /// How they wish to be contacted.
    pub contact_by: &'a str,
}

/// One choice of the contact select.
pub struct Choice {
    /// Its value.
    pub value: &'static str,
    /// What it says.
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "my/settings.html")]
struct Settings<'a> {
    layout: Layout,
    csrf: String,
    problems: Vec<Problem<'a>>,
    keep_history: bool,
    email_in_force: Option<&'a str>,
    pending_email: Option<&'a str>,
    email: Field<'a>,
    phone: Field<'a>,
    address: Field<'a>,
    contact_by: &'a str,
    contact_error: Option<&'a str>,
    choices: Vec<Choice>,
    current_pin_error: Option<&'a str>,
    new_pin_error: Option<&'a str>,
    new_pin_again_error: Option<&'a str>,
    deletion_requested: Option<String>,
}

/// The settings page: history, contact data, PIN, deletion. After a refused
/// form, `typed` is what was typed in the contact form and `problem` the
/// field refused and why.
pub fn settings<'a>(
    profile: &'a Patron,
    typed: Option<ContactForm<'a>>,
    problem: Option<(&'static str, &'a str)>,
    notice: Option<String>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let form = typed.unwrap_or_else(|| ContactForm {
        email: profile.data.email.as_deref().unwrap_or(""),
        phone: profile.data.phone.as_deref().unwrap_or(""),
        address: profile.data.address.as_deref().unwrap_or(""),
        contact_by: &profile.contact_by,
    });
    let mut email = Field::new(
        "email",
        "Email address",
        Some(form.email),
        "A new address changes only when you open the link we send to it",
    );
    let mut phone = Field::new("phone", "Phone", Some(form.phone), "");
    let mut address = Field::new("address", "Postal address", Some(form.address), "");
    let (mut contact_error, mut current_pin_error, mut new_pin_error, mut new_pin_again_error) =
        (None, None, None, None);
    let mut problems = Vec::new();
    if let Some((field, text)) = problem {
        match field {
            "email" => email.error = Some(text),
            "phone" => phone.error = Some(text),
            "address" => address.error = Some(text),
            "contact_by" => contact_error = Some(text),
            "current_pin" => current_pin_error = Some(text),
            "new_pin" => new_pin_error = Some(text),
            _ => new_pin_again_error = Some(text),
        }
        problems.push(Problem { field, text });
    }
    let csrf = bar.csrf.clone();
    let mut layout = Layout::signed_in(
        title("Settings", !problems.is_empty()),
        nav::patron(),
        "/my/settings",
        bar,
    );
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    super::render(&Settings {
        layout,
        csrf,
        problems,
        keep_history: profile.keep_history,
        email_in_force: profile.data.email.as_deref(),
        pending_email: profile.pending_email.as_deref(),
        email,
        phone,
        address,
        contact_by: form.contact_by,
        contact_error,
        choices: crate::routes::CONTACT_CHOICES
            .iter()
            .map(|v| Choice {
                value: v,
                label: contact_name(v),
            })
            .collect(),
        current_pin_error,
        new_pin_error,
        new_pin_again_error,
        deletion_requested: profile
            .deletion_requested_at
            .as_ref()
            .map(|t| day(&t.date())),
    })
}

#[derive(Template)]
#[template(path = "my/delete.html")]
struct Delete {
    layout: Layout,
    csrf: String,
    due_days: i64,
    requested: Option<String>,
}

/// The step before a deletion request: what happens, and the button.
pub fn delete_confirm(
    profile: &Patron,
    due_days: i64,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let csrf = bar.csrf.clone();
    super::render(&Delete {
        layout: Layout::signed_in(
            "Delete my account – custodian",
            nav::patron(),
            "/my/settings/delete",
            bar,
        ),
        csrf,
        due_days,
        requested: profile
            .deletion_requested_at
            .as_ref()
            .map(|t| day(&t.date())),
    })
}

#[derive(Template)]
#[template(path = "my/pin_changed.html")]
struct PinChanged {
    layout: Layout,
}

/// After a PIN change every session has ended: where to sign in again.
pub fn pin_changed() -> Result<String, ApiError> {
    super::render(&PinChanged {
        layout: Layout::new("Your PIN is changed – custodian", DIRECTORY_NAV).noindex(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_people_write_them() {
        let d = NaiveDate::from_ymd_opt(1985, 4, 2).unwrap();
        assert_eq!(day(&d), "2 April 1985");
        assert_eq!(
            moment(&d.and_hms_opt(14, 5, 0).unwrap()),
            "2 April 1985, 14:05 UTC"
        );
        assert_eq!(kind_name("circulation"), "Loans");
        assert_eq!(request_kind("delete"), "Delete my account");
    }
}
