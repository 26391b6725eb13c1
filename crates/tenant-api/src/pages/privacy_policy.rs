//! A library's privacy policy for the public, with the difference between
//! two versions; the admin's page to publish one; the patron's notice and
//! opt-outs live on `/my` (see [`super::my`]).

use super::filters;
use super::form::Field;
use super::layout::{Layout, SessionBar, DIRECTORY_NAV};
use super::nav;
use crate::error::ApiError;
use askama::Template;
use custody::privacy_policy::{Difference, PublicPolicy};
use policy::staff::LibraryRole;

#[derive(Template)]
#[template(path = "privacy/public.html")]
struct PublicPage<'a> {
    layout: Layout,
    p: &'a PublicPolicy,
    published: String,
    paragraphs: Vec<&'a str>,
    numbers: Vec<i64>,
    from: i64,
    to: i64,
    difference: Option<&'a Difference>,
    action: String,
    vendors_href: String,
}

/// `/libraries/{slug}/privacy`: what `GET /api/v1/public/libraries/{slug}/privacy` answers, and a difference.
pub fn public_page(p: &PublicPolicy, difference: Option<&Difference>) -> Result<String, ApiError> {
    let mut numbers: Vec<i64> = p.versions.iter().map(|v| v.version).collect();
    numbers.push(p.current.version);
    numbers.sort_unstable();
    let (from, to) = difference.map_or((0, 0), |d| (d.from, d.to));
    super::render(&PublicPage {
        layout: Layout::new(format!("Privacy policy — {}", p.library), DIRECTORY_NAV),
        p,
        published: p
            .current
            .published_at
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        paragraphs: p
            .current
            .text
            .split("\n\n")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect(),
        numbers,
        from,
        to,
        difference,
        action: format!("/libraries/{}/privacy", p.slug),
        vendors_href: format!("/libraries/{}/vendors", p.slug),
    })
}

#[derive(Template)]
#[template(path = "privacy/manage.html")]
struct ManagePage<'a> {
    layout: Layout,
    library: &'a str,
    current_version: i64,
    here: String,
    public_href: String,
    retention_href: String,
    csrf: String,
    problems: Vec<super::moderation::Problem>,
    document_toml: &'a str,
    document_error: Option<&'a str>,
    summary: Field<'a>,
    new_uses: Field<'a>,
}

/// What the admin typed, kept across a refusal.
pub struct Typed<'a> {
    /// The document.
    pub document_toml: &'a str,
    /// What changed.
    pub summary: &'a str,
    /// The new uses, comma-separated.
    pub new_uses: &'a str,
}

/// The form's field a refusal of `key` belongs beside.
pub fn form_field(key: &str) -> &'static str {
    match key {
        "summary" => "summary",
        "new_uses" => "new_uses",
        _ => "document_toml",
    }
}

/// `/libraries/{slug}/privacy/manage`: the admin composes and publishes a version.
pub fn manage_page(
    slug: &str,
    library: &str,
    current_version: i64,
    typed: &Typed<'_>,
    error: Option<(&'static str, &str)>,
    notice: Option<&str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let here = format!("/libraries/{slug}/privacy/manage");
    let title = if error.is_some() {
        format!("Error: Privacy policy of {library} – custodian")
    } else {
        format!("Privacy policy of {library} – custodian")
    };
    let csrf = bar.csrf.clone();
    let mut layout = Layout::signed_in(
        title,
        nav::library(slug, LibraryRole::Admin),
        here.clone(),
        bar,
    );
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    let error_for = |name: &str| error.and_then(|(f, why)| (f == name).then_some(why));
    let mut summary = Field::new(
        "summary",
        "What changed (patrons read this)",
        Some(typed.summary),
        "",
    );
    summary.error = error_for("summary");
    let mut new_uses = Field::new(
        "new_uses",
        "Uses this version adds (their keys, separated by commas)",
        Some(typed.new_uses),
        "Leave empty when the version adds none; patrons are emailed when it adds any",
    );
    new_uses.error = error_for("new_uses");
    super::render(&ManagePage {
        layout,
        library,
        current_version,
        public_href: format!("/libraries/{slug}/privacy"),
        retention_href: format!("/libraries/{slug}/retention"),
        here,
        csrf,
        problems: error
            .iter()
            .map(|(field, text)| super::moderation::Problem {
                field: (*field).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
        document_toml: typed.document_toml,
        document_error: error_for("document_toml"),
        summary,
        new_uses,
    })
}
