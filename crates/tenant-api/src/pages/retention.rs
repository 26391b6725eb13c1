//! The retention page of a library (admins): its periods per record kind as
//! a form, and what the last run did.

use super::audit::when;
use super::filters;
use super::layout::{Layout, SessionBar};
use super::moderation::Problem;
use super::nav;
use crate::error::ApiError;
use askama::Template;
use custody::retention::{kind_label, LastRun, RetentionSettings};
use policy::records::RecordKind;
use policy::retention::PurgeMethod;
use policy::staff::LibraryRole;
use std::collections::HashMap;

/// One kind's row of the form, as shown (what was typed, after a refusal).
pub struct KindRow {
    /// The kind as a librarian reads it.
    pub label: String,
    /// The days input's name and id.
    pub days_id: String,
    /// The select's name and id.
    pub then_id: String,
    /// The days as typed or stored.
    pub days: String,
    /// `anonymize` or `delete`, as chosen or stored.
    pub then: String,
    /// The policy's longest period.
    pub max_days: u32,
    /// Whether the policy allows only delete.
    pub must_delete: bool,
    /// Whether the library set this period itself.
    pub own: bool,
    /// Why days was refused.
    pub days_error: Option<String>,
    /// Why then was refused.
    pub then_error: Option<String>,
}

/// A row of the last run's table.
pub struct RunRow {
    /// The kind or place.
    pub label: String,
    /// Records anonymized.
    pub anonymized: u64,
    /// Records (or copies) deleted.
    pub deleted: u64,
}

#[derive(Template)]
#[template(path = "retention/settings.html")]
struct SettingsPage<'a> {
    layout: Layout,
    csrf: String,
    here: String,
    library: &'a str,
    problems: Vec<Problem>,
    kinds: Vec<KindRow>,
    history: bool,
    last_when: Option<String>,
    runs: Vec<RunRow>,
}

/// The form's field names for a kind: `circulation_days`, `circulation_then`.
pub fn field_ids(kind: RecordKind) -> (String, String) {
    (
        format!("{}_days", kind.as_str()),
        format!("{}_then", kind.as_str()),
    )
}

/// The form's field id for a refusal's field (`kinds.circulation.days` → `circulation_days`).
pub fn form_field(field: &str) -> String {
    field
        .strip_prefix("kinds.")
        .unwrap_or(field)
        .replace('.', "_")
}

fn run_rows(last: &LastRun) -> Vec<RunRow> {
    let mut rows: Vec<RunRow> = RecordKind::ALL
        .iter()
        .map(|k| {
            let c = last
                .report
                .kinds
                .get(k.as_str())
                .copied()
                .unwrap_or_default();
            RunRow {
                label: kind_label(*k),
                anonymized: c.anonymized,
                deleted: c.deleted,
            }
        })
        .collect();
    for (place, n) in &last.report.copies {
        let label = match place.as_str() {
            "patron_sessions" => "Ended patron sign-ins".to_owned(),
            "email_confirmation_links" => "Expired email confirmation links".to_owned(),
            "dead_letters" => "Undeliverable messages, after 30 days".to_owned(),
            "closed_mail_requests" => {
                "Emailed requests' messages, 90 days after closing".to_owned()
            }
            other => other.replace('_', " "),
        };
        rows.push(RunRow {
            label,
            anonymized: 0,
            deleted: *n,
        });
    }
    rows
}

/// The page: `typed` holds what was posted when re-shown after `error` (field id, text).
pub fn settings_page(
    slug: &str,
    library: &str,
    settings: &RetentionSettings,
    typed: Option<&HashMap<String, String>>,
    error: Option<(String, String)>,
    notice: Option<&'static str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let here = format!("/libraries/{slug}/retention");
    let problems: Vec<Problem> = error
        .iter()
        .map(|(field, text)| Problem {
            field: field.clone(),
            text: text.clone(),
        })
        .collect();
    let title = if problems.is_empty() {
        format!("Retention at {library} – custodian")
    } else {
        format!("Error: Retention at {library} – custodian")
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
    let kinds = RecordKind::ALL
        .iter()
        .filter_map(|k| {
            settings
                .kinds
                .iter()
                .find(|p| p.kind == k.as_str())
                .map(|p| (k, p))
        })
        .map(|(k, p)| {
            let (days_id, then_id) = field_ids(*k);
            let err_for = |id: &str| {
                error
                    .as_ref()
                    .filter(|(f, _)| f == id)
                    .map(|(_, t)| t.clone())
            };
            let then_stored = match p.then {
                PurgeMethod::Anonymize => "anonymize",
                PurgeMethod::Delete => "delete",
            };
            KindRow {
                label: kind_label(*k),
                days: typed
                    .and_then(|t| t.get(&days_id).cloned())
                    .unwrap_or_else(|| p.days.to_string()),
                then: typed
                    .and_then(|t| t.get(&then_id).cloned())
                    .unwrap_or_else(|| then_stored.to_owned()),
                max_days: p.max_days,
                must_delete: p.at_least == PurgeMethod::Delete,
                own: p.own,
                days_error: err_for(&days_id),
                then_error: err_for(&then_id),
                days_id,
                then_id,
            }
        })
        .collect();
    let (last_when, runs) = match &settings.last_run {
        Some(l) => (Some(when(&l.ran_at)), run_rows(l)),
        None => (None, Vec::new()),
    };
    super::render(&SettingsPage {
        layout,
        csrf,
        here,
        library,
        problems,
        kinds,
        history: settings.checkout_history_opt_in,
        last_when,
        runs,
    })
}
