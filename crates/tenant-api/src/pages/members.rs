//! Pages: the consortium's member libraries for the director, and the form
//! that onboards one with its first admin.

use super::filters;
use super::form::Field;
use super::layout::{Layout, SessionBar};
use super::nav;
use super::paging::Pager;
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use custody::libraries::{Member, JURISDICTIONS};

/// A jurisdiction profile in words.
pub fn jurisdiction_words(j: &str) -> &'static str {
    match j {
        "missouri" => "Missouri",
        "kansas" => "Kansas",
        "north_carolina" => "North Carolina",
        "generic" => "Other (generic rules)",
        _ => "Unknown",
    }
}

/// The onboarding form as typed, and why it was refused.
#[derive(Default)]
pub struct OnboardForm<'a> {
    /// The library's name.
    pub name: &'a str,
    /// Its slug.
    pub slug: &'a str,
    /// Its jurisdiction profile.
    pub jurisdiction: &'a str,
    /// The first admin's address.
    pub admin_email: &'a str,
    /// The first admin's name.
    pub admin_name: &'a str,
    /// A refusal: the field it is about and why.
    pub error: Option<(&'static str, &'a str)>,
}

/// A library just onboarded, with its first admin's one-time password.
pub struct Onboarded<'a> {
    /// The library's name.
    pub library: &'a str,
    /// Its slug.
    pub slug: &'a str,
    /// The first admin's name.
    pub admin_name: &'a str,
    /// Their sign-in address.
    pub admin_email: &'a str,
    /// Their generated password, shown this once.
    pub password: &'a str,
}

/// One row of the list.
pub struct Row {
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Jurisdiction in words.
    pub jurisdiction: &'static str,
    /// "2 admins: Ada Reyes and 1 more", or that there is none.
    pub admins: String,
    /// The public directory entry.
    pub entry_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "members/list.html")]
struct List<'a> {
    layout: Layout,
    csrf: String,
    rows: Vec<Row>,
    onboarded: Option<Onboarded<'a>>,
    problems: Vec<Problem<'a>>,
    fields: Vec<Field<'a>>,
    admin_fields: Vec<Field<'a>>,
    jurisdictions: Vec<(&'static str, &'static str)>,
    jurisdiction: &'a str,
    jurisdiction_error: Option<&'a str>,
    pager: String,
}

fn admins_words(m: &Member) -> String {
    match m.admins.as_slice() {
        [] => "No admin yet".into(),
        [one] => format!("{} ({})", one.display_name, one.email),
        [first, rest @ ..] => format!(
            "{} ({}) and {} more",
            first.display_name,
            first.email,
            rest.len()
        ),
    }
}

/// The director's page of member libraries.
pub fn list_page<'a>(
    members: &[Member],
    pager: &Pager,
    form: &OnboardForm<'a>,
    onboarded: Option<Onboarded<'a>>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let rows = members
        .iter()
        .map(|m| Row {
            name: m.library.name.clone(),
            slug: m.library.slug.clone(),
            jurisdiction: jurisdiction_words(&m.library.jurisdiction),
            admins: admins_words(m),
            entry_id: m.entry_id,
        })
        .collect();
    let mut name = Field::new("name", "Library name", Some(form.name), "");
    let mut slug = Field::new(
        "slug",
        "Short name (slug)",
        Some(form.slug),
        "Lowercase letters, digits and dashes, as in its addresses: riverbend",
    );
    let mut admin_email = Field::new(
        "admin_email",
        "First admin's email address",
        Some(form.admin_email),
        "They sign in with it",
    );
    let mut admin_name = Field::new(
        "admin_name",
        "First admin's name",
        Some(form.admin_name),
        "",
    );
    let mut jurisdiction_error = None;
    let mut problems = Vec::new();
    if let Some((field, text)) = form.error {
        let field = match field {
            "slug" => {
                slug.error = Some(text);
                "slug"
            }
            "jurisdiction" => {
                jurisdiction_error = Some(text);
                "jurisdiction"
            }
            "admin_email" => {
                admin_email.error = Some(text);
                "admin_email"
            }
            "admin_name" => {
                admin_name.error = Some(text);
                "admin_name"
            }
            _ => {
                name.error = Some(text);
                "name"
            }
        };
        problems.push(Problem { field, text });
    }
    let title = if problems.is_empty() {
        "Member libraries – custodian"
    } else {
        "Error: Member libraries – custodian"
    };
    let csrf = bar.csrf.clone();
    super::render(&List {
        layout: Layout::signed_in(title, nav::director(), "/director/libraries", bar),
        csrf,
        rows,
        onboarded,
        problems,
        fields: vec![name, slug],
        admin_fields: vec![admin_email, admin_name],
        jurisdictions: JURISDICTIONS
            .iter()
            .map(|j| (*j, jurisdiction_words(j)))
            .collect(),
        jurisdiction: form.jurisdiction,
        jurisdiction_error,
        pager: pager.html(),
    })
}
