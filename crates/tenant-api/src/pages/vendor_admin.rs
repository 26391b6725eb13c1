//! Pages: a library's vendor contracts for its admins (the list with the
//! form to add one, a contract's page with its keys, ending it early and its
//! erasure contact, and the page that shows a new key once).
//!
//! A page only shows what `custody::vendors` answered; the admin-only rule is
//! the guard's and custody's, never the page's.

use super::filters;
use super::form::{Field, Tick};
use super::layout::{Layout, SessionBar};
use super::nav;
use super::patrons::when;
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use chrono::{NaiveDate, Utc};
use custody::vendors::{KeyView, NewKey, VendorView, FIELDS};
use policy::staff::LibraryRole;

/// Where a page is: the library, and the admin signed in there.
pub struct Office {
    /// The library's slug, in its addresses.
    pub slug: String,
    /// The library's name, in headings.
    pub library: String,
    /// The header: who is signed in, and the session's form token.
    pub bar: SessionBar,
}

impl Office {
    /// `/libraries/{slug}/vendors/manage`
    pub fn list(&self) -> String {
        format!("/libraries/{}/vendors/manage", self.slug)
    }

    /// `/libraries/{slug}/vendors/manage/{id}`
    pub fn vendor(&self, id: i64) -> String {
        format!("{}/{id}", self.list())
    }

    fn layout(&self, title: &str, error: bool, notice: Option<&str>) -> Layout {
        let title = if error {
            format!("Error: {title} – custodian")
        } else {
            format!("{title} – custodian")
        };
        // Every vendor page sits under the header's "Vendors".
        let layout = Layout::signed_in(
            title,
            nav::library(&self.slug, LibraryRole::Admin),
            self.list(),
            self.bar.clone(),
        );
        match notice {
            Some(n) => layout.notice(n),
            None => layout,
        }
    }
}

/// A granted field as a librarian says it.
pub fn field_name(field: &str) -> &'static str {
    match field {
        "card_valid" => "Whether the card is in good standing",
        "name" => "The patron's name",
        "email" => "The patron's email address",
        "home_branch" => "The patron's home branch",
        "age_band" => "Adult or minor",
        "expires_on" => "The card's expiry date",
        _ => "Another field",
    }
}

/// Where a contract stands today: upcoming, running or ended.
pub fn status_name(v: &VendorView, today: NaiveDate) -> &'static str {
    let today = today.format("%Y-%m-%d").to_string();
    if v.in_force {
        "Running"
    } else if v.contract_starts > today {
        "Upcoming"
    } else {
        "Ended"
    }
}

fn fields_of(v: &VendorView) -> String {
    if v.fields.is_empty() {
        return "Only whether the card is valid".to_owned();
    }
    v.fields
        .iter()
        .map(|f| field_name(f))
        .collect::<Vec<_>>()
        .join(", ")
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

const DATE_HINT: &str = "Year-month-day, such as 2026-11-20";

// ---- the list and the add form ----

/// The add form as typed, kept across a refusal.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// The vendor's name.
    pub name: String,
    /// What it provides.
    pub service: String,
    /// Its privacy policy's address.
    pub privacy_policy_url: String,
    /// The contract's first day.
    pub contract_starts: String,
    /// Its last day.
    pub contract_ends: String,
    /// The fields ticked.
    pub fields: Vec<String>,
    /// Why the vendor checks cards.
    pub purpose: String,
    /// Whom to tell when a patron is deleted.
    pub erasure_contact: String,
    /// The key of the policy's optional use the contract serves, if any.
    pub use_key: String,
}

struct Row {
    href: String,
    name: String,
    service: String,
    period: String,
    status: &'static str,
    fields: String,
}

#[derive(Template)]
#[template(path = "vendors/list.html")]
struct ListPage<'a> {
    layout: Layout,
    csrf: String,
    library: &'a str,
    action: String,
    public: String,
    rows: Vec<Row>,
    problems: Vec<Problem<'a>>,
    about: Vec<Field<'a>>,
    contract: Vec<Field<'a>>,
    ticks: Vec<Tick>,
    fields_error: Option<&'a str>,
    purpose: Field<'a>,
    use_key: Field<'a>,
    erasure: Field<'a>,
}

/// The add form's input for a refused field of custody's, or `None` when
/// the refusal is about nothing on the form.
pub fn form_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "name",
        "service" => "service",
        "privacy_policy_url" => "privacy_policy_url",
        "contract_starts" => "contract_starts",
        "contract_ends" => "contract_ends",
        "fields" => "fields",
        "purpose" => "purpose",
        "erasure_contact" => "erasure_contact",
        "use" => "use",
        _ => return None,
    })
}

/// The library's contracts and the form to add one, with `error` (field,
/// words) beside its field.
pub fn list_page<'a>(
    office: &'a Office,
    vendors: &[VendorView],
    typed: &'a Typed,
    error: Option<(&'static str, &'a str)>,
    notice: Option<&str>,
) -> Result<String, ApiError> {
    let t = today();
    let rows = vendors
        .iter()
        .map(|v| Row {
            href: office.vendor(v.id),
            name: v.name.clone(),
            service: v.service.clone(),
            period: format!("{} to {}", v.contract_starts, v.contract_ends),
            status: status_name(v, t),
            fields: fields_of(v),
        })
        .collect();
    let mut about = vec![
        Field::new("name", "Vendor's name", Some(&typed.name), ""),
        Field::new(
            "service",
            "Service",
            Some(&typed.service),
            "What the vendor provides, such as e-books or museum passes",
        ),
        Field::new(
            "privacy_policy_url",
            "Privacy policy address",
            Some(&typed.privacy_policy_url),
            "Starting with https://; anyone can follow it from the library's public vendors page",
        ),
    ];
    let mut contract = vec![
        Field::new(
            "contract_starts",
            "Contract starts",
            Some(&typed.contract_starts),
            DATE_HINT,
        ),
        Field::new(
            "contract_ends",
            "Contract ends",
            Some(&typed.contract_ends),
            "The last day its keys work; year-month-day",
        ),
    ];
    let mut purpose = Field::new(
        "purpose",
        "Why the vendor checks cards",
        Some(&typed.purpose),
        "Such as: patron sign-in for e-book loans. Patrons read it in their access log",
    );
    let mut use_key = Field::new(
        "use",
        "The optional use it serves (optional)",
        Some(&typed.use_key),
        "The key of an optional use in the library's privacy policy, such as reading_program. A patron who opted out of that use is not valid for this vendor. Leave it empty when the contract serves none",
    );
    let mut erasure = Field::new(
        "erasure_contact",
        "Erasure contact (optional)",
        Some(&typed.erasure_contact),
        "The vendor's email address to tell when a patron's record is deleted",
    );
    let mut fields_error = None;
    let mut problems = Vec::new();
    if let Some((field, text)) = error {
        // The summary links to the first box of the group.
        let anchor = if field == "fields" {
            "field-card_valid"
        } else {
            field
        };
        problems.push(Problem {
            field: anchor,
            text,
        });
        match field {
            "fields" => fields_error = Some(text),
            "purpose" => purpose.error = Some(text),
            "use" => use_key.error = Some(text),
            "erasure_contact" => erasure.error = Some(text),
            _ => {
                for f in about.iter_mut().chain(contract.iter_mut()) {
                    if f.name == field {
                        f.error = Some(text);
                    }
                }
            }
        }
    }
    super::render(&ListPage {
        layout: office.layout(
            &format!("Vendors of {}", office.library),
            !problems.is_empty(),
            notice,
        ),
        csrf: office.bar.csrf.clone(),
        library: &office.library,
        action: office.list(),
        public: format!("/libraries/{}/vendors", office.slug),
        rows,
        problems,
        about,
        contract,
        ticks: FIELDS
            .iter()
            .map(|f| Tick {
                value: f,
                label: field_name(f),
                checked: typed.fields.iter().any(|t| t == f),
            })
            .collect(),
        fields_error,
        purpose,
        use_key,
        erasure,
    })
}

// ---- a contract ----

/// The contract page's two forms as typed, and a refusal (field, words).
#[derive(Debug, Clone, Default)]
pub struct Changes<'a> {
    /// The last day typed in "End the contract early"; today when empty.
    pub contract_ends: &'a str,
    /// The erasure contact typed; the contract's own when `None`.
    pub erasure_contact: Option<&'a str>,
    /// Why the last change was refused.
    pub error: Option<(&'static str, &'a str)>,
}

struct Fact {
    label: &'static str,
    value: String,
}

struct KeyRow {
    id: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "vendors/vendor.html")]
struct VendorPage<'a> {
    layout: Layout,
    csrf: String,
    heading: String,
    name: &'a str,
    back: String,
    action: String,
    facts: Vec<Fact>,
    policy: &'a str,
    keys: Vec<KeyRow>,
    ended: bool,
    problems: Vec<Problem<'a>>,
    ends: Field<'a>,
    erasure: Field<'a>,
}

/// One contract's page: its facts, its keys, and the forms that change it.
pub fn vendor_page<'a>(
    office: &Office,
    v: &'a VendorView,
    keys: &[KeyView],
    changes: &Changes<'a>,
    notice: Option<&str>,
) -> Result<String, ApiError> {
    let t = today();
    let status = status_name(v, t);
    let facts = vec![
        Fact {
            label: "Status",
            value: status.to_owned(),
        },
        Fact {
            label: "Service",
            value: v.service.clone(),
        },
        Fact {
            label: "Contract",
            value: format!("{} to {}", v.contract_starts, v.contract_ends),
        },
        Fact {
            label: "May see",
            value: fields_of(v),
        },
        Fact {
            label: "Why it checks cards",
            value: v.purpose.clone(),
        },
        Fact {
            label: "Serves the use",
            value: v
                .use_key
                .clone()
                .unwrap_or_else(|| "None of the policy's optional uses".to_owned()),
        },
        Fact {
            label: "Erasure contact",
            value: v
                .erasure_contact
                .clone()
                .unwrap_or_else(|| "None".to_owned()),
        },
        Fact {
            label: "Entered",
            value: when(v.created_at),
        },
        Fact {
            label: "Last changed",
            value: when(v.updated_at),
        },
    ];
    let keys = keys
        .iter()
        .map(|k| KeyRow {
            id: k.id.clone(),
            created: when(k.created_at),
            last_used: k.last_used_at.map_or_else(|| "Never".to_owned(), when),
            revoked: k.revoked_at.map(when),
        })
        .collect();
    let today_text = t.format("%Y-%m-%d").to_string();
    let ends_value = if changes.contract_ends.is_empty() {
        today_text.as_str()
    } else {
        changes.contract_ends
    };
    let mut ends = Field::new(
        "contract_ends",
        "Last day of the contract",
        Some(ends_value),
        "Year-month-day. Its keys work through this day; to stop them at once, revoke them",
    );
    let mut erasure = Field::new(
        "erasure_contact",
        "Email address to tell",
        Some(
            changes
                .erasure_contact
                .unwrap_or(v.erasure_contact.as_deref().unwrap_or("")),
        ),
        "The vendor's email address to tell when a patron's record is deleted; leave it empty for none",
    );
    let mut problems = Vec::new();
    if let Some((field, text)) = changes.error {
        problems.push(Problem { field, text });
        if field == "contract_ends" {
            ends.error = Some(text);
        } else {
            erasure.error = Some(text);
        }
    }
    super::render(&VendorPage {
        layout: office.layout(&v.name, !problems.is_empty(), notice),
        csrf: office.bar.csrf.clone(),
        heading: format!("{}: {}", v.name, v.service),
        name: &v.name,
        back: office.list(),
        action: office.vendor(v.id),
        facts,
        policy: &v.privacy_policy_url,
        keys,
        ended: status == "Ended",
        problems,
        ends,
        erasure,
    })
}

// ---- a new key ----

#[derive(Template)]
#[template(path = "vendors/key_shown.html")]
struct KeyShown<'a> {
    layout: Layout,
    name: &'a str,
    back: String,
    key: &'a NewKey,
}

/// The answer to "Create a key": the whole key, this once, and how the vendor uses it.
pub fn key_page(office: &Office, v: &VendorView, key: &NewKey) -> Result<String, ApiError> {
    super::render(&KeyShown {
        layout: office.layout(&format!("A new key for {}", v.name), false, None),
        name: &v.name,
        back: office.vendor(v.id),
        key,
    })
}
