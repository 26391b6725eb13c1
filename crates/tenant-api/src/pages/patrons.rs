//! Pages: staff working with patrons. The search and every patron page ask
//! for a purpose before they show any personal data; a patron's page shows
//! the profile, consents and records a page at a time, and leads to
//! correcting, merging and deleting, each with its own confirmation.
//!
//! The titles never carry a patron's name (they end up in browser history);
//! the headings do.

use super::filters;
use super::form::Field;
use super::layout::{Layout, SessionBar};
use super::nav;
use super::paging::{urlencode, Pager};
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use custody::patrons::{ConsentRecord, Patron, PatronSummary, STAFF_PURPOSES};
use custody::records::Record;
use policy::staff::LibraryRole;

/// Where a page is: the library, and who is signed in there.
pub struct Desk {
    /// The library's slug, in its addresses.
    pub slug: String,
    /// The caller's role there.
    pub role: LibraryRole,
    /// The header: who is signed in, and the session's form token.
    pub bar: SessionBar,
}

impl Desk {
    /// `/libraries/{slug}/patrons`
    pub fn patrons(&self) -> String {
        format!("/libraries/{}/patrons", self.slug)
    }

    /// `/libraries/{slug}/patrons/{id}`
    pub fn patron(&self, id: i64) -> String {
        format!("/libraries/{}/patrons/{id}", self.slug)
    }

    fn layout(&self, title: &str, error: bool) -> Layout {
        let title = if error {
            format!("Error: {title} – custodian")
        } else {
            format!("{title} – custodian")
        };
        // Every patron page sits under the header's "Patrons" link.
        Layout::signed_in(
            title,
            nav::library(&self.slug, self.role),
            self.patrons(),
            self.bar.clone(),
        )
    }
}

/// One choice of the purpose select.
pub struct Choice {
    /// The value sent.
    pub value: &'static str,
    /// What the staff member reads.
    pub label: &'static str,
    /// Whether it is the one chosen.
    pub selected: bool,
}

/// The purpose select, with the refusal beside it when there was one.
pub struct PurposeSelect<'a> {
    /// The purposes custody offers.
    pub choices: Vec<Choice>,
    /// Why the last submission was refused.
    pub error: Option<&'a str>,
}

impl<'a> PurposeSelect<'a> {
    fn new(chosen: &str, error: Option<&'a str>) -> Self {
        PurposeSelect {
            choices: STAFF_PURPOSES
                .iter()
                .map(|p| Choice {
                    value: p,
                    label: p,
                    selected: *p == chosen,
                })
                .collect(),
            error,
        }
    }

    /// The ids describing the select.
    pub fn described_by(&self) -> &'static str {
        if self.error.is_some() {
            "purpose-hint purpose-error"
        } else {
            "purpose-hint"
        }
    }
}

/// A refusal's words, as a sentence: "A name cannot be empty."
pub fn sentence(detail: &str) -> String {
    let mut chars = detail.trim().chars();
    let mut s = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect::<String>(),
        None => return String::new(),
    };
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// A date as people read it: "4 March 2025".
pub fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A moment as people read it: "4 March 2025, 14:05 UTC".
pub fn when(t: NaiveDateTime) -> String {
    t.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// A record kind as a librarian says it.
pub fn kind_name(kind: &str) -> &str {
    match kind {
        "circulation" => "Loan",
        "card_registration" => "Card registration",
        "holds_and_interlibrary_loans" => "Hold or interlibrary loan",
        "event_registration" => "Event registration",
        "reference_requests" => "Reference question",
        "donations" => "Donation",
        "digital_use" => "Computer or e-resource use",
        "fines_and_payments" => "Fine or payment",
        other => other,
    }
}

/// How a patron wants to be contacted, as the form offers it.
pub fn contact_name(how: &str) -> &str {
    match how {
        "email" => "Email",
        "phone" => "Phone",
        "mail" => "Post",
        "none" => "Do not contact",
        other => other,
    }
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}${}.{:02}", c / 100, c % 100)
}

// ---- the search ----

#[derive(Template)]
#[template(path = "patrons/search.html")]
struct SearchPage<'a> {
    layout: Layout,
    action: String,
    problems: Vec<Problem<'a>>,
    purpose: PurposeSelect<'a>,
    query: Field<'a>,
    found: Option<Found>,
    pager: Pager,
}

/// What the search form shows: what was chosen and typed, and a refusal.
#[derive(Default)]
pub struct SearchForm<'a> {
    /// The purpose chosen.
    pub purpose: &'a str,
    /// The card number or email typed.
    pub q: &'a str,
    /// A refusal: the field it is about and why.
    pub error: Option<(&'static str, &'a str)>,
}

/// One patron found.
pub struct FoundRow {
    /// Their page, carrying the purpose.
    pub href: String,
    /// Their name.
    pub name: String,
    /// Their card's last four.
    pub card_last4: String,
}

/// The patrons a search found.
pub struct Found {
    /// The heading over them.
    pub heading: &'static str,
    /// The patrons.
    pub rows: Vec<FoundRow>,
}

/// The search page: the form, and the patrons found once a purpose is given.
pub fn search_page(
    desk: &Desk,
    form: &SearchForm<'_>,
    found: Option<(Vec<PatronSummary>, Option<String>)>,
    cursor: Option<&str>,
    notice: Option<String>,
) -> Result<String, ApiError> {
    let mut problems = Vec::new();
    let mut purpose_error = None;
    let mut query = Field::new(
        "q",
        "Card number or email address",
        Some(form.q),
        "Leave empty to list the library's patrons",
    );
    if let Some((field, text)) = form.error {
        if field == "purpose" {
            purpose_error = Some(text);
        } else {
            query.error = Some(text);
        }
        problems.push(Problem {
            field: if field == "purpose" { "purpose" } else { "q" },
            text,
        });
    }
    let purpose_q = urlencode(form.purpose);
    let mut pager = Pager::default();
    let found = found.map(|(items, next)| {
        let listing = form.q.is_empty();
        if listing {
            pager = Pager::new(
                &desk.patrons(),
                &format!("purpose={purpose_q}"),
                cursor,
                next.as_deref(),
            );
        }
        Found {
            heading: if listing {
                "The library's patrons"
            } else {
                "Patrons found"
            },
            rows: items
                .into_iter()
                .map(|p| FoundRow {
                    href: format!("{}?purpose={purpose_q}", desk.patron(p.id.0)),
                    name: p.name,
                    card_last4: p.card_last4,
                })
                .collect(),
        }
    });
    let mut layout = desk.layout("Patrons", !problems.is_empty());
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    super::render(&SearchPage {
        layout,
        action: desk.patrons(),
        problems,
        purpose: PurposeSelect::new(form.purpose, purpose_error),
        query,
        found,
        pager,
    })
}

// ---- the purpose, before a patron's page ----

#[derive(Template)]
#[template(path = "patrons/purpose.html")]
struct PurposePage<'a> {
    layout: Layout,
    action: &'a str,
    heading: &'a str,
    problems: Vec<Problem<'a>>,
    purpose: PurposeSelect<'a>,
    search: String,
}

/// The form that asks for a purpose before a patron's page shows anything.
pub fn purpose_page(
    desk: &Desk,
    action: &str,
    heading: &str,
    chosen: &str,
    error: Option<&str>,
) -> Result<String, ApiError> {
    let problems = error
        .map(|text| {
            vec![Problem {
                field: "purpose",
                text,
            }]
        })
        .unwrap_or_default();
    super::render(&PurposePage {
        layout: desk.layout("State a purpose", error.is_some()),
        action,
        heading,
        problems,
        purpose: PurposeSelect::new(chosen, error),
        search: desk.patrons(),
    })
}

// ---- a patron's page ----

/// A line of the profile.
pub struct Line {
    /// What it is.
    pub label: &'static str,
    /// Its value, or a dash.
    pub value: String,
}

/// A consent, as a row.
pub struct ConsentRow {
    /// A guardian's, or a written consent to a disclosure.
    pub kind: &'static str,
    /// What it covers.
    pub scope: String,
    /// Who gave it.
    pub given_by: String,
    /// When.
    pub granted: String,
    /// Whether it holds now, and until when.
    pub state: String,
}

/// A record, as a row.
pub struct RecordRow {
    /// Its kind.
    pub kind: String,
    /// When it happened.
    pub date: String,
    /// The item or event.
    pub item: String,
    /// The branch.
    pub branch: String,
    /// Its status, with when it ended.
    pub status: String,
    /// An amount, when there is one.
    pub amount: String,
    /// Identifying free text.
    pub details: String,
}

#[derive(Template)]
#[template(path = "patrons/patron.html")]
struct PatronPage<'a> {
    layout: Layout,
    name: &'a str,
    purpose: &'a str,
    purpose_q: String,
    here: String,
    profile: Vec<Line>,
    consents: Vec<ConsentRow>,
    guardian_note: Option<&'static str>,
    records: Vec<RecordRow>,
    pager: Pager,
    merge_card: Field<'a>,
}

fn or_dash(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.trim().is_empty() => s.to_owned(),
        _ => "—".into(),
    }
}

fn consent_row(c: &ConsentRecord, now: NaiveDateTime) -> ConsentRow {
    let state = if let Some(r) = c.revoked_at {
        format!("Withdrawn on {}", when(r))
    } else if c.in_force(now) {
        match c.expires_at {
            Some(e) => format!("In force until {}", when(e)),
            None => "In force".into(),
        }
    } else {
        match c.expires_at {
            Some(e) => format!("Lapsed on {}", when(e)),
            None => "Not in force".into(),
        }
    };
    ConsentRow {
        kind: if c.kind == "guardian" {
            "Guardian's consent"
        } else {
            "Written consent to a disclosure"
        },
        scope: c.scope.clone(),
        given_by: c.given_by.clone(),
        granted: when(c.granted_at),
        state,
    }
}

fn record_row(r: &Record) -> RecordRow {
    let mut status = r.status.clone();
    if let Some(end) = r.ended_at {
        status = if status.is_empty() {
            format!("ended {}", date(end.date()))
        } else {
            format!("{status}, ended {}", date(end.date()))
        };
    }
    let amount = match r.amount_cents {
        None => String::new(),
        Some(c) => match r.settled_at {
            Some(s) => format!("{} (settled {})", money(c), date(s.date())),
            None => money(c),
        },
    };
    RecordRow {
        kind: kind_name(&r.kind).to_owned(),
        date: date(r.occurred_at.date()),
        item: r.item.clone(),
        branch: r.branch.clone(),
        status,
        amount,
        details: r.details.clone().unwrap_or_default(),
    }
}

/// A patron's page: profile, consents, one page of records and the actions.
#[allow(clippy::too_many_arguments)]
pub fn patron_page(
    desk: &Desk,
    purpose: &str,
    patron: &Patron,
    consents: &[ConsentRecord],
    records: &[Record],
    limit: Option<i64>,
    cursor: Option<&str>,
    next_cursor: Option<&str>,
    notice: Option<&'static str>,
) -> Result<String, ApiError> {
    let d = &patron.data;
    let mut profile = vec![
        Line {
            label: "Name",
            value: d.name.clone(),
        },
        Line {
            label: "Card number",
            value: d.card_number.clone(),
        },
        Line {
            label: "Address",
            value: or_dash(d.address.as_deref()),
        },
        Line {
            label: "Email",
            value: or_dash(d.email.as_deref()),
        },
    ];
    if let Some(p) = &patron.pending_email {
        profile.push(Line {
            label: "New email, not yet confirmed",
            value: p.clone(),
        });
    }
    profile.extend([
        Line {
            label: "Phone",
            value: or_dash(d.phone.as_deref()),
        },
        Line {
            label: "Date of birth",
            value: d.birth_date.map(date).unwrap_or_else(|| "—".into()),
        },
        Line {
            label: "Guardian",
            value: or_dash(d.guardian.as_deref()),
        },
        Line {
            label: "Contact by",
            value: contact_name(&patron.contact_by).to_owned(),
        },
        Line {
            label: "Checkout history",
            value: if patron.keep_history {
                "Kept after return (the patron chose this)".into()
            } else {
                "Not kept after return".into()
            },
        },
    ]);
    if let Some(at) = patron.deletion_requested_at {
        profile.push(Line {
            label: "Deletion asked for",
            value: when(at),
        });
    }
    profile.extend([
        Line {
            label: "Registered",
            value: when(patron.created_at),
        },
        Line {
            label: "Last changed",
            value: when(patron.updated_at),
        },
    ]);
    let now = chrono::Utc::now().naive_utc();
    let guardian_in_force = consents
        .iter()
        .any(|c| c.kind == "guardian" && c.in_force(now));
    let guardian_note = (d.guardian.is_some() && !guardian_in_force)
        .then_some("No guardian's consent is in force for this patron.");
    let here = desk.patron(patron.id.0);
    let purpose_q = urlencode(purpose);
    let filters = match limit {
        Some(n) => format!("purpose={purpose_q}&limit={n}"),
        None => format!("purpose={purpose_q}"),
    };
    let pager = Pager::new(&here, &filters, cursor, next_cursor);
    let mut layout = desk.layout("Patron record", false);
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    super::render(&PatronPage {
        layout,
        name: &d.name,
        purpose,
        purpose_q,
        here,
        profile,
        consents: consents.iter().map(|c| consent_row(c, now)).collect(),
        guardian_note,
        records: records.iter().map(record_row).collect(),
        pager,
        merge_card: Field::new(
            "card",
            "Card number of the duplicate registration",
            None,
            "The card whose registration is to be merged into this one",
        ),
    })
}

// ---- correcting ----

/// The profile fields the correction form holds, as text.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Full name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Email address.
    pub email: String,
    /// Telephone number.
    pub phone: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Name and contact of the guardian of a minor.
    pub guardian: String,
    /// How to be contacted.
    pub contact_by: String,
}

impl Profile {
    /// The patron's data as the form shows it.
    pub fn of(p: &Patron) -> Self {
        let d = &p.data;
        Profile {
            name: d.name.clone(),
            address: d.address.clone().unwrap_or_default(),
            email: d.email.clone().unwrap_or_default(),
            phone: d.phone.clone().unwrap_or_default(),
            birth_date: d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
            guardian: d.guardian.clone().unwrap_or_default(),
            contact_by: p.contact_by.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "patrons/correct.html")]
struct CorrectPage<'a> {
    layout: Layout,
    csrf: &'a str,
    action: String,
    back: String,
    name: &'a str,
    purpose: &'a str,
    problems: Vec<Problem<'a>>,
    fields: Vec<Field<'a>>,
    contact: Vec<Choice>,
    contact_error: Option<&'a str>,
    was: Vec<(&'static str, &'a str)>,
}

/// The correction form: the profile as typed, what it was before (so only
/// what changed is sent), and a refusal beside its field.
pub fn correct_page(
    desk: &Desk,
    id: i64,
    purpose: &str,
    typed: &Profile,
    was: &Profile,
    error: Option<(&'static str, &str)>,
) -> Result<String, ApiError> {
    let mut fields = vec![
        Field::new("name", "Full name", Some(&typed.name), ""),
        Field::new("address", "Postal address", Some(&typed.address), ""),
        Field::new(
            "email",
            "Email address",
            Some(&typed.email),
            "Changed here, it is in force at once; leave empty to remove it",
        ),
        Field::new("phone", "Phone", Some(&typed.phone), ""),
        Field::new(
            "birth_date",
            "Date of birth",
            Some(&typed.birth_date),
            "Year-month-day, for example 2014-05-30",
        ),
        Field::new(
            "guardian",
            "Guardian",
            Some(&typed.guardian),
            "Name and contact of a minor's guardian",
        ),
    ];
    let mut problems = Vec::new();
    let mut contact_error = None;
    if let Some((field, text)) = error {
        if field == "contact_by" {
            contact_error = Some(text);
        } else if let Some(f) = fields.iter_mut().find(|f| f.name == field) {
            f.error = Some(text);
        }
        problems.push(Problem { field, text });
    }
    let contact = crate::routes::CONTACT_CHOICES
        .iter()
        .map(|c| Choice {
            value: c,
            label: contact_name(c),
            selected: *c == typed.contact_by,
        })
        .collect();
    super::render(&CorrectPage {
        layout: desk.layout("Correct a patron's data", !problems.is_empty()),
        csrf: &desk.bar.csrf,
        action: format!("{}/correct", desk.patron(id)),
        back: format!("{}?purpose={}", desk.patron(id), urlencode(purpose)),
        name: &was.name,
        purpose,
        problems,
        fields,
        contact,
        contact_error,
        was: vec![
            ("was_name", &was.name),
            ("was_address", &was.address),
            ("was_email", &was.email),
            ("was_phone", &was.phone),
            ("was_birth_date", &was.birth_date),
            ("was_guardian", &was.guardian),
            ("was_contact_by", &was.contact_by),
        ],
    })
}

// ---- merging ----

#[derive(Template)]
#[template(path = "patrons/merge.html")]
struct MergePage<'a> {
    layout: Layout,
    csrf: &'a str,
    action: String,
    back: String,
    name: &'a str,
    purpose: &'a str,
    problems: Vec<Problem<'a>>,
    card: Field<'a>,
    duplicate: Option<&'a PatronSummary>,
    keep_last4: String,
}

/// The merge page: the duplicate's card asked for (with a refusal beside it),
/// or, once found, exactly what the merge will do and the button that does it.
pub fn merge_page(
    desk: &Desk,
    purpose: &str,
    keep: &Patron,
    card: &str,
    duplicate: Option<&PatronSummary>,
    error: Option<&str>,
) -> Result<String, ApiError> {
    let mut field = Field::new(
        "card",
        "Card number of the duplicate registration",
        Some(card),
        "The card whose registration is to be merged into this one",
    );
    field.error = error;
    let problems = error
        .map(|text| {
            vec![Problem {
                field: "card",
                text,
            }]
        })
        .unwrap_or_default();
    let c = &keep.data.card_number;
    let keep_last4 = c
        .char_indices()
        .rev()
        .nth(3)
        .map(|(i, _)| c[i..].to_owned())
        .unwrap_or_else(|| c.clone());
    let title = if duplicate.is_some() {
        "Confirm the merge"
    } else {
        "Merge a duplicate registration"
    };
    super::render(&MergePage {
        layout: desk.layout(title, !problems.is_empty()),
        csrf: &desk.bar.csrf,
        action: format!("{}/merge", desk.patron(keep.id.0)),
        back: format!("{}?purpose={}", desk.patron(keep.id.0), urlencode(purpose)),
        name: &keep.data.name,
        purpose,
        problems,
        card: field,
        duplicate,
        keep_last4,
    })
}

// ---- deleting ----

#[derive(Template)]
#[template(path = "patrons/delete.html")]
struct DeletePage<'a> {
    layout: Layout,
    csrf: &'a str,
    action: String,
    back: String,
    name: &'a str,
    purpose: &'a str,
}

/// The confirmation step before a patron's record is deleted.
pub fn delete_page(desk: &Desk, purpose: &str, patron: &Patron) -> Result<String, ApiError> {
    super::render(&DeletePage {
        layout: desk.layout("Delete a patron's record", false),
        csrf: &desk.bar.csrf,
        action: format!("{}/delete", desk.patron(patron.id.0)),
        back: format!(
            "{}?purpose={}",
            desk.patron(patron.id.0),
            urlencode(purpose)
        ),
        name: &patron.data.name,
        purpose,
    })
}

// ---- registering ----

/// The registration form as typed (never the PIN).
#[derive(Debug, Clone, Default)]
pub struct NewPatron {
    /// The library card number.
    pub card_number: String,
    /// Full name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Email address.
    pub email: String,
    /// Telephone number.
    pub phone: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Name and contact of the guardian of a minor.
    pub guardian: String,
    /// Who gave a guardian's consent at the desk, if someone did.
    pub consent_by: String,
}

#[derive(Template)]
#[template(path = "patrons/new.html")]
struct NewPage<'a> {
    layout: Layout,
    csrf: &'a str,
    action: String,
    back: String,
    problems: Vec<Problem<'a>>,
    card: Field<'a>,
    pin_error: Option<&'a str>,
    fields: Vec<Field<'a>>,
}

/// The registration form, with a refusal beside its field and what was typed kept (the PIN never).
pub fn new_patron_page(
    desk: &Desk,
    typed: &NewPatron,
    error: Option<(&'static str, &str)>,
) -> Result<String, ApiError> {
    let mut card = Field::new(
        "card_number",
        "Card number",
        Some(&typed.card_number),
        "The number on the new library card",
    );
    let mut fields = vec![
        Field::new("name", "Full name", Some(&typed.name), ""),
        Field::new("address", "Postal address", Some(&typed.address), ""),
        Field::new("email", "Email address", Some(&typed.email), ""),
        Field::new("phone", "Phone", Some(&typed.phone), ""),
        Field::new(
            "birth_date",
            "Date of birth",
            Some(&typed.birth_date),
            "Year-month-day, for example 2014-05-30",
        ),
        Field::new(
            "guardian",
            "Guardian",
            Some(&typed.guardian),
            "Name and contact of a minor's guardian",
        ),
        Field::new(
            "consent_by",
            "Guardian's consent given by",
            Some(&typed.consent_by),
            "For a child under the library's age: who gave consent at the desk; leave empty when no one did",
        ),
    ];
    let mut problems = Vec::new();
    let mut pin_error = None;
    if let Some((field, text)) = error {
        match field {
            "card_number" => card.error = Some(text),
            "pin" => pin_error = Some(text),
            other => {
                if let Some(f) = fields.iter_mut().find(|f| f.name == other) {
                    f.error = Some(text);
                }
            }
        }
        problems.push(Problem { field, text });
    }
    super::render(&NewPage {
        layout: desk.layout("Register a patron", !problems.is_empty()),
        csrf: &desk.bar.csrf,
        action: format!("{}/new", desk.patrons()),
        back: desk.patrons(),
        problems,
        card,
        pin_error,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_sentences_and_amounts_as_money() {
        assert_eq!(
            sentence("a name cannot be empty"),
            "A name cannot be empty."
        );
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(money(1234), "$12.34");
        assert_eq!(money(-5), "-$0.05");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()),
            "4 March 2025"
        );
        assert_eq!(kind_name("circulation"), "Loan");
    }
}
