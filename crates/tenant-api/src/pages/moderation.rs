//! Pages: the director's queue of directory changes (each proposed change
//! beside the entry as published), and a library admin's own entry with the
//! form to propose a change.

use super::filters;
use super::form::Field;
use super::layout::{Layout, SessionBar};
use super::nav;
use super::paging::Pager;
use crate::error::ApiError;
use askama::Template;
use directory::moderation::{ChangeView, Patch};
use directory::search::Item;
use policy::staff::LibraryRole;

/// A refused field, for the error summary (its id made at run time).
#[derive(Debug, Clone)]
pub struct Problem {
    /// The field's id, linked from the summary.
    pub field: String,
    /// Why it was refused.
    pub text: String,
}

/// An entry's fields as a person reads them, in the order the pages show them:
/// (form name, label, value).
pub fn entry_fields(item: &Item) -> Vec<(&'static str, &'static str, String)> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("name", "Name", item.name.clone()),
        ("address", "Street address", item.address.clone()),
        ("city", "City", item.city.clone()),
        ("county", "County", item.county.clone()),
        ("state", "State", item.state.clone()),
        ("zip", "ZIP code", item.zip.clone()),
        ("phone", "Telephone", opt(&item.phone)),
        ("website", "Website", opt(&item.website)),
        ("email", "Public email", opt(&item.email)),
        ("hours", "Opening hours", opt(&item.hours)),
        ("services", "Services", opt(&item.services)),
        (
            "opening_hours",
            "Weekly hours",
            item.opening_hours
                .as_ref()
                .map(|h| h.to_text())
                .unwrap_or_default(),
        ),
    ]
}

fn patch_value(patch: &Patch, field: &str) -> Option<String> {
    if field == "opening_hours" {
        return patch.opening_hours.as_ref().map(|h| h.to_text());
    }
    let v = match field {
        "name" => &patch.name,
        "address" => &patch.address,
        "city" => &patch.city,
        "county" => &patch.county,
        "state" => &patch.state,
        "zip" => &patch.zip,
        "phone" => &patch.phone,
        "website" => &patch.website,
        "email" => &patch.email,
        "hours" => &patch.hours,
        "services" => &patch.services,
        _ => &None,
    };
    v.as_ref().map(|s| {
        let s = s.trim();
        if field == "state" {
            s.to_ascii_uppercase()
        } else {
            s.to_owned()
        }
    })
}

/// One field of a proposed change beside the published entry.
#[derive(Debug, Clone)]
pub struct FieldRow {
    /// What the field is.
    pub label: &'static str,
    /// As published now.
    pub current: String,
    /// As proposed.
    pub proposed: String,
    /// Whether the change alters it.
    pub changed: bool,
}

/// Every field of the entry with the change applied, the changed ones marked.
pub fn compare(current: Option<&Item>, change: &ChangeView) -> Vec<FieldRow> {
    let patch: Patch = serde_json::from_value(change.changes.clone()).unwrap_or_default();
    let fields = current
        .map(entry_fields)
        .unwrap_or_else(|| entry_fields(&Item::default()));
    let mut rows: Vec<FieldRow> = fields
        .into_iter()
        .map(|(name, label, current)| {
            let proposed = patch_value(&patch, name).unwrap_or_else(|| current.clone());
            FieldRow {
                label,
                changed: proposed != current,
                current,
                proposed,
            }
        })
        .collect();
    if let (Some(la), Some(lo)) = (patch.latitude, patch.longitude) {
        let current = current
            .and_then(|i| Some(format!("{}, {}", i.latitude?, i.longitude?)))
            .unwrap_or_default();
        let proposed = format!("{la}, {lo}");
        rows.push(FieldRow {
            label: "Location (latitude, longitude)",
            changed: proposed != current,
            current,
            proposed,
        });
    }
    rows
}

/// A pending change as the director's queue shows it.
pub struct ChangeCard {
    /// The change's id.
    pub id: i64,
    /// The entry's public page.
    pub entry_id: i64,
    /// The library's name as published.
    pub library: String,
    /// When it was submitted, as people read dates.
    pub submitted: String,
    /// The fields, current beside proposed.
    pub rows: Vec<FieldRow>,
    /// What was typed as the rejection's reason (kept after a refusal).
    pub reason: String,
    /// Why the last rejection was refused.
    pub reason_error: Option<String>,
}

impl ChangeCard {
    /// How many fields the change alters.
    pub fn changed_count(&self) -> usize {
        self.rows.iter().filter(|r| r.changed).count()
    }
}

#[derive(Template)]
#[template(path = "moderation/queue.html")]
struct Queue<'a> {
    layout: Layout,
    csrf: String,
    problems: Vec<Problem>,
    changes: &'a [ChangeCard],
    pager: String,
}

/// The director's queue of pending directory changes.
pub fn queue_page(
    changes: &[ChangeCard],
    pager: &Pager,
    notice: Option<&'static str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let problems: Vec<Problem> = changes
        .iter()
        .filter_map(|c| {
            c.reason_error.as_ref().map(|e| Problem {
                field: format!("reason-{}", c.id),
                text: e.clone(),
            })
        })
        .collect();
    let title = if problems.is_empty() {
        "Directory changes – custodian"
    } else {
        "Error: Directory changes – custodian"
    };
    let csrf = bar.csrf.clone();
    let mut layout = Layout::signed_in(title, nav::director(), "/director/moderation", bar);
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    super::render(&Queue {
        layout,
        csrf,
        problems,
        changes,
        pager: pager.html(),
    })
}

/// The form to propose a change, with what was typed and the refusal.
pub struct EntryForm {
    /// (name, value) of each field as typed, or as published.
    pub values: Vec<(&'static str, String)>,
    /// A refusal: the field it is about and why.
    pub error: Option<(&'static str, String)>,
}

impl EntryForm {
    /// The form filled with the entry as published.
    pub fn from_item(item: &Item) -> Self {
        EntryForm {
            values: entry_fields(item)
                .into_iter()
                .map(|(n, _, v)| (n, v))
                .collect(),
            error: None,
        }
    }
}

/// A multi-line field of the entry form.
pub struct AreaField<'a> {
    /// Its name and id.
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// What it holds.
    pub value: &'a str,
    /// Why it was refused.
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "moderation/entry.html")]
struct EntryPage<'a> {
    layout: Layout,
    csrf: String,
    here: String,
    library: &'a str,
    problems: Vec<Problem>,
    current: Vec<(&'static str, &'static str, String)>,
    version: i64,
    entry_id: i64,
    pending: Vec<(String, Vec<FieldRow>)>,
    fields: Vec<Field<'a>>,
    areas: Vec<AreaField<'a>>,
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

/// A library admin's page for the library's directory entry.
pub fn entry_page(
    slug: &str,
    library: &str,
    own: &directory::moderation::OwnEntry,
    form: &EntryForm,
    notice: Option<&'static str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let here = format!("/libraries/{slug}/directory-entry");
    let mut problems = Vec::new();
    if let Some((field, text)) = &form.error {
        problems.push(Problem {
            field: (*field).to_owned(),
            text: text.clone(),
        });
    }
    let title = if problems.is_empty() {
        format!("Directory entry of {library} – custodian")
    } else {
        format!("Error: Directory entry of {library} – custodian")
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
    let error_for = |name: &str| {
        form.error
            .as_ref()
            .filter(|(f, _)| *f == name)
            .map(|(_, t)| t.as_str())
    };
    let labels = entry_fields(&own.entry);
    let mut fields = Vec::new();
    let mut areas = Vec::new();
    for (name, value) in &form.values {
        let label = labels
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, l, _)| *l)
            .unwrap_or("");
        if matches!(*name, "hours" | "services") {
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
    let pending = own
        .pending
        .iter()
        .map(|c| {
            (
                super::audit::when(&c.submitted_at),
                compare(Some(&own.entry), c)
                    .into_iter()
                    .filter(|r| r.changed)
                    .collect(),
            )
        })
        .collect();
    super::render(&EntryPage {
        layout,
        csrf,
        here,
        library,
        problems,
        current: entry_fields(&own.entry),
        version: own.version,
        entry_id: own.entry.id,
        pending,
        fields,
        areas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_marks_only_the_fields_it_alters() {
        let mut item: Item = serde_json::from_value(serde_json::json!({
            "id": 3, "name": "Lakeshore", "address": "", "city": "", "county": "",
            "state": "MI", "zip": "", "phone": "555", "website": null, "email": null,
            "hours": "Mon-Fri 9-5", "services": null, "latitude": null, "longitude": null,
            "system_id": null, "parent_id": null
        }))
        .unwrap();
        item.id = 3;
        let change: ChangeView = ChangeView {
            id: 1,
            entry_id: 3,
            library_id: 5,
            submitted_by: 2,
            submitted_at: chrono::NaiveDateTime::default(),
            changes: serde_json::json!({"hours": "Mon-Sat 10-18", "phone": "555", "state": "mi"}),
            status: "pending".into(),
            decided_by: None,
            decided_at: None,
            reason: None,
        };
        let rows = compare(Some(&item), &change);
        let changed: Vec<&str> = rows.iter().filter(|r| r.changed).map(|r| r.label).collect();
        assert_eq!(changed, ["Opening hours"]);
        let hours = rows.iter().find(|r| r.label == "Opening hours").unwrap();
        assert_eq!(
            (hours.current.as_str(), hours.proposed.as_str()),
            ("Mon-Fri 9-5", "Mon-Sat 10-18")
        );
    }
}
