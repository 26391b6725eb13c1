//! Pages: the legal-request register of a library (the list, the form staff
//! register a request with, a request's page with the custodian's decision,
//! the staff time and the package, and the yearly count).
//!
//! A page only shows what custody answered; whether a Decide form appears is
//! the caller's role, and custody refuses anyone else anyway.

use super::filters;
use super::form::{Field, Tick};
use super::layout::{Layout, SessionBar};
use super::nav;
use super::paging::Pager;
use super::patrons::{kind_name, when};
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use custody::legal::{DecisionView, LegalRequestView, INSTRUMENTS};
use custody::legal_documents::DocumentView;
use custody::legal_report::{Showing, YearCounts};
use policy::clause::Clause;
use policy::records::RecordKind;
use policy::staff::LibraryRole;

/// Where a page is: the library, and who is signed in there.
pub struct Office {
    /// The library's slug, in its addresses.
    pub slug: String,
    /// The caller's role there.
    pub role: LibraryRole,
    /// The header: who is signed in, and the session's form token.
    pub bar: SessionBar,
}

impl Office {
    /// `/libraries/{slug}/legal`
    pub fn register(&self) -> String {
        format!("/libraries/{}/legal", self.slug)
    }

    /// `/libraries/{slug}/legal/{id}`
    pub fn request(&self, id: i64) -> String {
        format!("/libraries/{}/legal/{id}", self.slug)
    }

    fn api(&self, id: i64) -> String {
        format!("/api/v1/libraries/{}/legal-requests/{id}", self.slug)
    }

    fn layout(&self, title: &str, error: bool, notice: Option<&str>) -> Layout {
        let title = if error {
            format!("Error: {title} – custodian")
        } else {
            format!("{title} – custodian")
        };
        // Every page of the register sits under the header's "Legal requests".
        let layout = Layout::signed_in(
            title,
            nav::library(&self.slug, self.role),
            self.register(),
            self.bar.clone(),
        );
        match notice {
            Some(n) => layout.notice(n),
            None => layout,
        }
    }
}

/// An instrument as the register says it.
pub fn instrument_name(instrument: &str) -> &'static str {
    match instrument {
        "court_order" => "Court order",
        "search_warrant" => "Search warrant",
        "subpoena" => "Subpoena",
        "agency_request" => "Agency request",
        "national_security_letter" => "National security letter",
        "emergency" => "Emergency",
        "patron_consent" => "Patron's written consent",
        _ => "Other",
    }
}

/// Where a request stands, in words.
pub fn status_name(status: &str) -> &'static str {
    match status {
        "received" => "Received, not yet decided",
        "allowed" => "Allowed",
        "denied" => "Refused",
        _ => "Unknown",
    }
}

/// A choice in a select.
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// What it says.
    pub label: &'static str,
    /// Whether it is chosen.
    pub selected: bool,
}

// ---- the register ----

struct Row {
    href: String,
    id: i64,
    instrument: &'static str,
    requester: String,
    received: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "legal/list.html")]
struct ListPage {
    layout: Layout,
    action: String,
    statuses: Vec<Choice>,
    rows: Vec<Row>,
    pager: Pager,
}

/// The statuses the register filters by, as (value, words).
pub const STATUSES: [(&str, &str); 4] = [
    ("", "Any status"),
    ("received", "Received, not yet decided"),
    ("allowed", "Allowed"),
    ("denied", "Refused"),
];

/// The register: the library's requests, a page at a time.
pub fn list_page(
    office: &Office,
    status: &str,
    items: &[LegalRequestView],
    pager: Pager,
    notice: Option<&str>,
) -> Result<String, ApiError> {
    let rows = items
        .iter()
        .map(|r| Row {
            href: office.request(r.id),
            id: r.id,
            instrument: instrument_name(&r.instrument),
            requester: requester_of(r),
            received: when(r.created_at),
            status: status_name(&r.status),
        })
        .collect();
    super::render(&ListPage {
        layout: office.layout("Legal requests", false, notice),
        action: office.register(),
        statuses: STATUSES
            .iter()
            .map(|(v, l)| Choice {
                value: (*v).to_owned(),
                label: l,
                selected: *v == status,
            })
            .collect(),
        rows,
        pager,
    })
}

fn requester_of(r: &LegalRequestView) -> String {
    let name = r.requester.name.clone().unwrap_or_default();
    match r.requester.agency.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => format!("{name}, {a}"),
        None => name,
    }
}

// ---- registering a request ----

/// The registration form as typed, kept across a refusal.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// The instrument chosen.
    pub instrument: String,
    /// Who serves it.
    pub requester_name: String,
    /// Their agency.
    pub requester_agency: String,
    /// Their address.
    pub requester_email: String,
    /// The issuing court.
    pub court: String,
    /// Its case number.
    pub case_number: String,
    /// The day it was issued.
    pub issued_on: String,
    /// Whether good cause was shown.
    pub good_cause_shown: bool,
    /// The patrons' ids, as typed.
    pub patron_ids: String,
    /// The record kinds ticked.
    pub kinds: Vec<String>,
    /// The period's first day.
    pub from: String,
    /// Its last day.
    pub to: String,
    /// The non-disclosure order's last day.
    pub non_disclosure_until: String,
    /// The patron's consent, for a consent request.
    pub consent_id: String,
}

#[derive(Template)]
#[template(path = "legal/new.html")]
struct NewPage<'a> {
    layout: Layout,
    csrf: String,
    action: String,
    back: String,
    problems: Vec<Problem<'a>>,
    instruments: Vec<Choice>,
    instrument_error: Option<&'a str>,
    requester: Vec<Field<'a>>,
    order: Vec<Field<'a>>,
    good_cause: bool,
    good_cause_error: Option<&'a str>,
    showing: &'a Showing,
    patrons: Field<'a>,
    kinds: Vec<Tick>,
    kinds_error: Option<&'a str>,
    period: Vec<Field<'a>>,
}

/// The form's input for a refused field of custody's (`requester.name` …).
pub fn form_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "instrument" => "instrument",
        "requester.name" | "requester_name" => "requester_name",
        "requester.email" | "requester_email" => "requester_email",
        "court" => "court",
        "case_number" => "case_number",
        "issued_on" => "issued_on",
        "finding" | "good_cause_shown" => "good_cause_shown",
        "patron_ids" => "patron_ids",
        "kinds" => "kinds",
        "from" => "from",
        "to" => "to",
        "non_disclosure_until" => "non_disclosure_until",
        "consent_id" => "consent_id",
        _ => return None,
    })
}

const DATE_HINT: &str = "Year-month-day, such as 2026-11-20";

/// The form to register a request, with `error` (field, words) beside its field.
pub fn new_page<'a>(
    office: &Office,
    showing: &'a Showing,
    typed: &'a Typed,
    error: Option<(&'static str, &'a str)>,
) -> Result<String, ApiError> {
    let mut requester = vec![
        Field::new(
            "requester_name",
            "Who serves it",
            Some(&typed.requester_name),
            "The person who brought or sent the request",
        ),
        Field::new(
            "requester_agency",
            "Their agency or firm (optional)",
            Some(&typed.requester_agency),
            "",
        ),
        Field::new(
            "requester_email",
            "Their email address (optional)",
            Some(&typed.requester_email),
            "Where the invoice goes",
        ),
    ];
    let mut order = vec![
        Field::new("court", "Issuing court (optional)", Some(&typed.court), ""),
        Field::new(
            "case_number",
            "Case number (optional)",
            Some(&typed.case_number),
            "",
        ),
        Field::new(
            "issued_on",
            "Issued on (optional)",
            Some(&typed.issued_on),
            DATE_HINT,
        ),
    ];
    let mut patrons = Field::new(
        "patron_ids",
        "Patrons named",
        Some(&typed.patron_ids),
        "Their patron numbers (the number at the end of a patron's page address), separated by commas or spaces",
    );
    let mut period = vec![
        Field::new(
            "from",
            "Records from (optional)",
            Some(&typed.from),
            DATE_HINT,
        ),
        Field::new("to", "Records up to (optional)", Some(&typed.to), DATE_HINT),
        Field::new(
            "non_disclosure_until",
            "Non-disclosure order until (optional)",
            Some(&typed.non_disclosure_until),
            "While it runs, the release stays hidden from the patrons",
        ),
        Field::new(
            "consent_id",
            "Consent number (for a patron's written consent)",
            Some(&typed.consent_id),
            "As shown among the consents on the patron's page",
        ),
    ];
    let (mut instrument_error, mut good_cause_error, mut kinds_error) = (None, None, None);
    let mut problems = Vec::new();
    if let Some((field, text)) = error {
        problems.push(Problem { field, text });
        match field {
            "instrument" => instrument_error = Some(text),
            "good_cause_shown" => good_cause_error = Some(text),
            "kinds" => kinds_error = Some(text),
            "patron_ids" => patrons.error = Some(text),
            _ => {
                for f in requester
                    .iter_mut()
                    .chain(order.iter_mut())
                    .chain(period.iter_mut())
                {
                    if f.name == field {
                        f.error = Some(text);
                    }
                }
            }
        }
    }
    // The summary links to the first box of a group of boxes.
    for p in &mut problems {
        if p.field == "kinds" {
            p.field = "kind-circulation";
        }
    }
    let csrf = office.bar.csrf.clone();
    super::render(&NewPage {
        layout: office.layout("Register a legal request", !problems.is_empty(), None),
        csrf,
        action: format!("{}/new", office.register()),
        back: office.register(),
        problems,
        instruments: INSTRUMENTS
            .iter()
            .map(|i| Choice {
                value: (*i).to_owned(),
                label: instrument_name(i),
                selected: *i == typed.instrument,
            })
            .collect(),
        instrument_error,
        requester,
        order,
        good_cause: typed.good_cause_shown,
        good_cause_error,
        showing,
        patrons,
        kinds: RecordKind::ALL
            .iter()
            .map(|k| Tick {
                value: k.as_str(),
                label: kind_name(k.as_str()),
                checked: typed.kinds.iter().any(|t| t == k.as_str()),
            })
            .collect(),
        kinds_error,
        period,
    })
}

// ---- a request ----

/// What a request's page shows beyond the request itself.
pub struct Sections<'a> {
    /// The policy's reasoning, for the custodian of an undecided request
    /// (or why it could not be reviewed).
    pub review: Option<Result<DecisionView, String>>,
    /// The documents attached.
    pub documents: &'a [DocumentView],
    /// The time form as typed, and a refusal (field, words).
    pub time: (&'a str, &'a str, Option<(&'static str, &'a str)>),
    /// A notice above the page.
    pub notice: Option<&'a str>,
    /// Why the document form's file was refused.
    pub upload_error: Option<&'a str>,
}

struct Fact {
    label: &'static str,
    value: String,
}

struct Doc {
    name: String,
    size: String,
    href: String,
    uploaded: String,
}

#[derive(Template)]
#[template(path = "legal/request.html")]
struct RequestPage<'a> {
    layout: Layout,
    csrf: String,
    heading: String,
    back: String,
    action: String,
    facts: Vec<Fact>,
    allowed: bool,
    custodian: bool,
    decided: Option<(&'static str, String)>,
    review: Option<Result<DecisionView, String>>,
    package_json: String,
    package_csv: String,
    invoice: String,
    documents: Vec<Doc>,
    problems: Vec<Problem<'a>>,
    minutes: Field<'a>,
    what: Field<'a>,
    upload_error: Option<&'a str>,
}

fn or_dash(v: Option<&str>) -> String {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => v.to_owned(),
        None => "—".to_owned(),
    }
}

/// A request's page.
pub fn request_page(
    office: &Office,
    r: &LegalRequestView,
    s: Sections<'_>,
) -> Result<String, ApiError> {
    let custodian = office.role == LibraryRole::Custodian;
    let period = match (r.from.as_deref(), r.to.as_deref()) {
        (None, None) => "Any date".to_owned(),
        (f, t) => format!("{} to {}", or_dash(f), or_dash(t)),
    };
    let facts = vec![
        Fact {
            label: "Status",
            value: status_name(&r.status).to_owned(),
        },
        Fact {
            label: "Instrument",
            value: instrument_name(&r.instrument).to_owned(),
        },
        Fact {
            label: "Served by",
            value: requester_of(r),
        },
        Fact {
            label: "Their email",
            value: or_dash(r.requester.email.as_deref()),
        },
        Fact {
            label: "Court",
            value: or_dash(Some(&r.court)),
        },
        Fact {
            label: "Case number",
            value: or_dash(Some(&r.case_number)),
        },
        Fact {
            label: "Issued on",
            value: or_dash(r.issued_on.as_deref()),
        },
        Fact {
            label: "Good cause shown in court",
            value: if r.good_cause_shown { "Yes" } else { "No" }.to_owned(),
        },
        Fact {
            label: "Patrons named",
            value: r
                .patron_ids
                .iter()
                .map(|p| format!("patron {p}"))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Fact {
            label: "Records asked for",
            value: r
                .kinds
                .iter()
                .map(|k| kind_name(k))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Fact {
            label: "Period",
            value: period,
        },
        Fact {
            label: "Non-disclosure order until",
            value: or_dash(r.non_disclosure_until.as_deref()),
        },
        Fact {
            label: "Registered",
            value: when(r.created_at),
        },
    ];
    let decided = r
        .clause
        .as_deref()
        .filter(|_| r.status != "received")
        .map(|code| {
            let text = Clause::from_code(code).map_or_else(|| code.to_owned(), |c| c.text().into());
            (status_name(&r.status), text)
        });
    let (minutes, what, time_error) = s.time;
    let mut minutes = Field::new(
        "minutes",
        "Minutes spent",
        Some(minutes),
        "A whole number, at most a day",
    );
    let mut what = Field::new(
        "what",
        "What for",
        Some(what),
        "Such as: searching the circulation records",
    );
    let mut problems = Vec::new();
    if let Some((field, text)) = time_error {
        problems.push(Problem { field, text });
        if field == "minutes" {
            minutes.error = Some(text);
        } else {
            what.error = Some(text);
        }
    }
    if let Some(text) = s.upload_error {
        problems.push(Problem {
            field: "file",
            text,
        });
    }
    let api = office.api(r.id);
    let here = office.request(r.id);
    let documents = s
        .documents
        .iter()
        .map(|d| Doc {
            name: d.name.clone(),
            size: format!("{} KB", (d.size_bytes + 1023) / 1024),
            href: format!("{here}/documents/{}", d.id),
            uploaded: when(d.uploaded_at),
        })
        .collect();
    let title = format!("Legal request {}", r.id);
    super::render(&RequestPage {
        layout: office.layout(&title, !problems.is_empty(), s.notice),
        csrf: office.bar.csrf.clone(),
        heading: format!("Legal request {}: {}", r.id, instrument_name(&r.instrument)),
        back: office.register(),
        action: here,
        facts,
        allowed: r.status == "allowed",
        custodian,
        decided,
        review: s.review,
        package_json: format!("{api}/package?format=json"),
        package_csv: format!("{api}/package?format=csv"),
        invoice: format!("{api}/invoice?format=html"),
        documents,
        problems,
        minutes,
        what,
        upload_error: s.upload_error,
    })
}

// ---- the yearly count ----

#[derive(Template)]
#[template(path = "legal/counts.html")]
struct CountsPage {
    layout: Layout,
    action: String,
    back: String,
    years: Vec<Choice>,
    counts: YearCounts,
}

/// The yearly count: requests registered in `counts.year`, by instrument and decision.
pub fn counts_page(
    office: &Office,
    counts: YearCounts,
    this_year: i32,
) -> Result<String, ApiError> {
    let years = (custody::legal_report::FIRST_YEAR..=this_year)
        .rev()
        .map(|y| Choice {
            value: y.to_string(),
            label: "",
            selected: y == counts.year,
        })
        .collect();
    super::render(&CountsPage {
        layout: office.layout(&format!("Legal requests in {}", counts.year), false, None),
        action: format!("{}/counts", office.register()),
        back: office.register(),
        years,
        counts,
    })
}

impl CountsPage {
    fn instrument(&self, i: &str) -> &'static str {
        instrument_name(i)
    }
}
