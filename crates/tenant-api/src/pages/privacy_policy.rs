//! A library's privacy policy for the public, with the difference between
//! two versions; the admin's page to publish one; the patron's notice and
//! opt-outs live on `/my` (see [`super::my`]).

use super::filters;
use super::form::Field;
use super::layout::{Layout, SessionBar, DIRECTORY_NAV};
use super::nav;
use crate::error::ApiError;
use askama::Template;
use custody::policy_form::{then_value, FormDraft, PolicyForm, BASES};
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
    statutes: &'a str,
    here: String,
    public_href: String,
    retention_href: String,
    csrf: String,
    problems: Vec<super::moderation::Problem>,
    general_error: Option<&'a str>,
    base_version: &'a str,
    text: &'a str,
    text_error: Option<&'a str>,
    naming: Vec<NamingChoice>,
    naming_error: Option<&'a str>,
    uses: Vec<UseRow<'a>>,
    kinds: Vec<KindView<'a>>,
    bases: Vec<BasisView<'a>>,
    summary: Field<'a>,
    exports: Vec<ExportLink>,
}

struct NamingChoice {
    id: String,
    value: &'static str,
    label: &'static str,
    checked: bool,
}

struct UseRow<'a> {
    n: usize,
    key_id: String,
    description_id: String,
    key: &'a str,
    description: &'a str,
    key_error: Option<&'a str>,
    description_error: Option<&'a str>,
}

struct KindView<'a> {
    label: &'a str,
    days_id: String,
    then_id: String,
    days: &'a str,
    then: &'a str,
    max_days: u32,
    must_delete: bool,
    days_error: Option<&'a str>,
    then_error: Option<&'a str>,
}

struct BasisView<'a> {
    id: String,
    key: &'static str,
    label: &'static str,
    hint: String,
    checked: bool,
    error: Option<&'a str>,
}

struct ExportLink {
    key: String,
    description: String,
    csv: String,
    json: String,
}

/// Blank use rows the form always offers for new uses.
pub const BLANK_USES: usize = 2;

/// The form's values as the version in force has them.
pub fn typed_from(draft: &FormDraft) -> PolicyForm {
    PolicyForm {
        base_version: draft.current_version.to_string(),
        text: draft.text.clone(),
        children_naming: draft.children_naming.as_str().to_owned(),
        uses: draft
            .uses
            .iter()
            .map(|u| (u.key.clone(), u.description.clone()))
            .collect(),
        retention: draft
            .retention
            .iter()
            .map(|k| {
                (
                    k.kind.to_owned(),
                    k.days.to_string(),
                    then_value(k.then).to_owned(),
                )
            })
            .collect(),
        bases_on: draft
            .bases
            .iter()
            .filter(|b| b.on)
            .map(|b| b.key.to_owned())
            .collect(),
        summary: String::new(),
    }
}

/// The form's input a refusal of the document key `key` belongs beside
/// (`retention.donations.keep_days` beside `days-donations`), or `None` for
/// a refusal about nothing on the form.
pub fn form_anchor(key: &str) -> Option<String> {
    if let Some(rest) = key.strip_prefix("retention.") {
        let (kind, part) = rest.split_once('.')?;
        return Some(match part {
            "then" => format!("then-{kind}"),
            _ => format!("days-{kind}"),
        });
    }
    if let Some(rest) = key.strip_prefix("uses[") {
        let (n, part) = rest.split_once("].")?;
        let n: usize = n.parse().ok()?;
        return Some(match part {
            "description" => format!("use-{n}-description"),
            _ => format!("use-{n}-key"),
        });
    }
    if let Some(basis) = key.strip_prefix("disclosure.") {
        return BASES.contains(&basis).then(|| format!("basis-{basis}"));
    }
    match key {
        "text" => Some("text".into()),
        "children_naming" => Some("naming-first_name_only".into()),
        "summary" => Some("summary".into()),
        "new_uses" => Some("use-0-key".into()),
        _ => None,
    }
}

fn basis_words(key: &str) -> &'static str {
    match key {
        "emergency" => "Release records in an emergency involving imminent danger",
        "accept_subpoena" => "Answer a subpoena without a court order",
        _ => "Let a parent or guardian see a minor's records",
    }
}

/// `/libraries/{slug}/privacy/manage`: the admin composes a version on a
/// form that starts from `draft` (the version in force) and shows `typed`,
/// with a refusal `(document key, words)` beside its field.
#[allow(clippy::too_many_arguments)]
pub fn manage_page(
    slug: &str,
    library: &str,
    draft: &FormDraft,
    typed: &PolicyForm,
    error: Option<(&str, &str)>,
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
    let anchor = error.and_then(|(key, _)| form_anchor(key));
    let why = error.map(|(_, w)| w);
    let at = |id: &str| -> Option<&str> {
        match &anchor {
            Some(a) if a == id => why,
            _ => None,
        }
    };
    let naming = [
        ("first_name_only", "First name only (“Ada”)"),
        (
            "first_name_last_initial",
            "First name and the last name’s initial (“Ada L.”)",
        ),
    ]
    .into_iter()
    .map(|(value, label)| NamingChoice {
        id: format!("naming-{value}"),
        value,
        label,
        checked: typed.children_naming == value,
    })
    .collect();
    let mut rows: Vec<(&str, &str)> = typed
        .uses
        .iter()
        .map(|(k, d)| (k.as_str(), d.as_str()))
        .collect();
    let filled = rows
        .iter()
        .rposition(|(k, d)| !k.trim().is_empty() || !d.trim().is_empty())
        .map_or(0, |i| i + 1);
    rows.truncate(filled);
    rows.extend(std::iter::repeat_n(("", ""), BLANK_USES));
    let uses = rows
        .into_iter()
        .enumerate()
        .map(|(i, (key, description))| {
            let (key_id, description_id) = (format!("use-{i}-key"), format!("use-{i}-description"));
            UseRow {
                n: i + 1,
                key_error: at(&key_id),
                description_error: at(&description_id),
                key_id,
                description_id,
                key,
                description,
            }
        })
        .collect();
    let kinds = draft
        .retention
        .iter()
        .map(|k| {
            let (days, then) = typed
                .retention
                .iter()
                .find(|(kind, _, _)| kind == k.kind)
                .map_or(("", ""), |(_, d, t)| (d.as_str(), t.as_str()));
            let (days_id, then_id) = (format!("days-{}", k.kind), format!("then-{}", k.kind));
            KindView {
                label: &k.label,
                days_error: at(&days_id),
                then_error: at(&then_id),
                days_id,
                then_id,
                days,
                then,
                max_days: k.max_days,
                must_delete: k.must_delete,
            }
        })
        .collect();
    let bases = draft
        .bases
        .iter()
        .map(|b| {
            let id = format!("basis-{}", b.key);
            BasisView {
                error: at(&id),
                id,
                key: b.key,
                label: basis_words(b.key),
                hint: match b.permitted_by {
                    Some(clause) => format!("Permitted by {clause}."),
                    None => format!("{} does not allow it.", draft.statutes),
                },
                checked: typed.bases_on.iter().any(|on| on == b.key),
            }
        })
        .collect();
    let mut summary = Field::new(
        "summary",
        "What changed (patrons read this)",
        Some(&typed.summary),
        "In plain words; every earlier version stays public with its summary",
    );
    summary.error = at("summary");
    let problems = error
        .iter()
        .map(|(_, text)| super::moderation::Problem {
            field: anchor.clone().unwrap_or_else(|| "policy-form".to_owned()),
            text: (*text).to_owned(),
        })
        .collect();
    super::render(&ManagePage {
        layout,
        library,
        current_version: draft.current_version,
        statutes: draft.statutes,
        public_href: format!("/libraries/{slug}/privacy"),
        retention_href: format!("/libraries/{slug}/retention"),
        here,
        csrf,
        problems,
        general_error: if anchor.is_none() { why } else { None },
        base_version: &typed.base_version,
        text: &typed.text,
        text_error: at("text"),
        naming,
        naming_error: at("naming-first_name_only"),
        uses,
        kinds,
        bases,
        summary,
        exports: draft
            .uses
            .iter()
            .map(|u| ExportLink {
                key: u.key.clone(),
                description: u.description.clone(),
                csv: format!("/api/v1/libraries/{slug}/exports/{}?format=csv", u.key),
                json: format!("/api/v1/libraries/{slug}/exports/{}", u.key),
            })
            .collect(),
    })
}
