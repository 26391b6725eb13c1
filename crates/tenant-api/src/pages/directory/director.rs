//! The director's pages for any directory entry, imported ones included:
//! find it, correct it (published at once), retire it (it leaves every list),
//! and read every version it has had.

use crate::error::ApiError;
use crate::pages::filters;
use crate::pages::form::Field;
use crate::pages::layout::{Layout, SessionBar};
use crate::pages::moderation::{entry_fields, AreaField, EntryForm, Problem};
use crate::pages::nav;
use askama::Template;
use directory::moderation::History;
use directory::search::Page;

/// Where the director finds entries.
pub const FIND: &str = "/director/directory";

/// One found entry, linked to its page.
struct Found {
    href: String,
    name: String,
    place: String,
}

#[derive(Template)]
#[template(path = "directory_director_find.html")]
struct FindPage<'a> {
    layout: Layout,
    q: &'a str,
    error: Option<&'a str>,
    found: Vec<Found>,
    count: String,
    next: Option<String>,
}

/// The director's search for an entry to correct: `outcome` is the
/// search's answer (every outlet, members or not) or the refusal of `q`,
/// none before anything was asked.
pub fn find_page(
    q: &str,
    outcome: Option<Result<&Page, &str>>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let (found, count, next, error) = match outcome {
        None => (Vec::new(), String::new(), None, None),
        Some(Ok(p)) => (
            p.items
                .iter()
                .map(|i| Found {
                    href: format!("{FIND}/{}", i.id),
                    name: i.name.clone(),
                    place: [i.address.as_str(), i.city.as_str(), i.state.as_str()]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            match p.total {
                0 => "No entry matches.".to_owned(),
                1 => "1 entry matches.".to_owned(),
                n => format!("{n} entries match; the first {} are shown.", p.items.len()),
            },
            p.next_cursor.as_ref().map(|c| {
                format!(
                    "{FIND}?q={}&cursor={}",
                    super::urlencode(q),
                    super::urlencode(c)
                )
            }),
            None,
        ),
        Some(Err(why)) => (Vec::new(), String::new(), None, Some(why)),
    };
    let title = if error.is_some() {
        "Error: Directory entries – custodian"
    } else {
        "Directory entries – custodian"
    };
    super::super::render(&FindPage {
        layout: Layout::signed_in(title, nav::director(), FIND, bar),
        q,
        error,
        found,
        count,
        next,
    })
}

/// One version in the entry's history, in words.
struct VersionRow {
    version: i64,
    when: String,
    source: &'static str,
    detail: String,
}

#[derive(Template)]
#[template(path = "directory_director_entry.html")]
struct EntryPage<'a> {
    layout: Layout,
    csrf: String,
    here: String,
    name: &'a str,
    entry_id: i64,
    version: i64,
    retired: Option<String>,
    problems: Vec<Problem>,
    fields: Vec<Field<'a>>,
    areas: Vec<AreaField<'a>>,
    reason: &'a str,
    reason_error: Option<&'a str>,
    versions: Vec<VersionRow>,
}

fn source_words(source: &str) -> &'static str {
    match source {
        "import" => "Imported from the survey",
        "created" => "Created for a member library",
        "change" => "A library admin's change, approved",
        "director" => "Corrected by the director",
        "retired" => "Retired by the director",
        _ => "Changed",
    }
}

fn hint(name: &str) -> &'static str {
    match name {
        "state" => "Two letters, such as MO",
        "zip" => "Five digits",
        "website" => "Starting with https://",
        "email" => "The library's public address, not a person's",
        _ => "",
    }
}

/// What the director typed in the retirement form, and why it was refused.
pub struct Retirement<'a> {
    /// The reason as typed.
    pub reason: &'a str,
    /// Why it was refused.
    pub error: Option<&'a str>,
}

/// The director's page for one entry: the correction form (filled with
/// `form`), the retirement form and the entry's history.
pub fn entry_page(
    h: &History,
    form: &EntryForm,
    retirement: Retirement<'_>,
    notice: Option<&'static str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let here = format!("{FIND}/{}", h.entry.id);
    let mut problems = Vec::new();
    if let Some((field, text)) = &form.error {
        problems.push(Problem {
            field: (*field).to_owned(),
            text: text.clone(),
        });
    }
    if let Some(text) = retirement.error {
        problems.push(Problem {
            field: "reason".to_owned(),
            text: text.to_owned(),
        });
    }
    let title = if problems.is_empty() {
        format!("{} – directory entry – custodian", h.entry.name)
    } else {
        format!("Error: {} – directory entry – custodian", h.entry.name)
    };
    let csrf = bar.csrf.clone();
    let mut layout = Layout::signed_in(title, nav::director(), FIND, bar);
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    let error_for = |name: &str| {
        form.error
            .as_ref()
            .filter(|(f, _)| *f == name)
            .map(|(_, t)| t.as_str())
    };
    let labels = entry_fields(&h.entry);
    let (mut fields, mut areas) = (Vec::new(), Vec::new());
    for (name, value) in &form.values {
        let label = labels
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, l, _)| *l)
            .unwrap_or("");
        if matches!(*name, "hours" | "services" | "opening_hours") {
            areas.push(AreaField {
                name,
                label,
                value,
                error: error_for(name),
            });
        } else {
            let mut f = Field::new(name, label, Some(value), hint(name));
            f.error = error_for(name);
            fields.push(f);
        }
    }
    let versions = h
        .versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            when: crate::pages::audit::when(&v.changed_at),
            source: source_words(&v.source),
            detail: match (
                &v.source[..],
                v.fields.get("reason").and_then(|r| r.as_str()),
            ) {
                ("retired", Some(r)) => format!("Reason: {r}"),
                _ => v
                    .change_id
                    .map(|c| format!("Change no. {c}"))
                    .unwrap_or_default(),
            },
        })
        .collect();
    super::super::render(&EntryPage {
        layout,
        csrf,
        here,
        name: &h.entry.name,
        entry_id: h.entry.id,
        version: h.version,
        retired: h.retired_at.as_ref().map(crate::pages::audit::when),
        problems,
        fields,
        areas,
        reason: retirement.reason,
        reason_error: retirement.error,
        versions,
    })
}
