//! Pages: a library's audit log, newest first, filtered by action and by who
//! acted, every actor named as a person reads it ("Ada Reyes, staff").

use super::filters;
use super::layout::{Layout, SessionBar};
use super::nav;
use super::paging::Pager;
use crate::error::ApiError;
use askama::Template;
use chrono::NaiveDateTime;
use custody::audit::{ActorName, NamedLog};
use policy::staff::LibraryRole;

/// A moment as people read it: "2 December 2026, 05:35 UTC".
pub fn when(at: &NaiveDateTime) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// Who acted, in words: "Ada Reyes, staff", "the patron", "the director (Dana Cruz)".
pub fn actor_words(actor: &ActorName) -> String {
    match actor {
        ActorName::Staff {
            name,
            role: Some(role),
        } => format!("{name}, {}", nav::role_name(*role)),
        ActorName::Staff { name, role: None } => format!("{name}, former staff"),
        ActorName::Director { name } => format!("the director ({name})"),
        ActorName::Patron => "the patron".into(),
        ActorName::Vendor => "a contracted vendor".into(),
        ActorName::System(job) => match job.as_str() {
            "" => "a system job".into(),
            "cli" => "a system job (the server console)".into(),
            "retention" => "a system job (retention)".into(),
            "mail" => "a system job (mail)".into(),
            other => format!("a system job ({other})"),
        },
        ActorName::Unknown => "an account that no longer exists".into(),
    }
}

/// The filter's choice list label for a kind of actor.
fn choice_words(actor: &ActorName) -> String {
    match actor {
        ActorName::Patron => "Any patron".into(),
        ActorName::Vendor => "Any contracted vendor".into(),
        ActorName::System(_) => "Any system job".into(),
        other => actor_words(other),
    }
}

/// One row of the log as shown.
pub struct Row {
    /// When.
    pub at: String,
    /// Who, in words.
    pub who: String,
    /// What was done (`staff.create`).
    pub action: String,
    /// What it concerned, in words.
    pub about: String,
    /// The purpose stated.
    pub purpose: String,
    /// "Allowed" or "Refused", and the deciding clause.
    pub decision: String,
    /// The clause's code.
    pub clause: String,
    /// Kept out of the patron's access log.
    pub sealed: bool,
}

/// A choice of a filter's list.
pub struct Choice {
    /// Its value.
    pub value: String,
    /// What it says.
    pub label: String,
    /// Whether it is the one chosen.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct Log<'a> {
    layout: Layout,
    library: &'a str,
    here: String,
    rows: Vec<Row>,
    actions: Vec<Choice>,
    actors: Vec<Choice>,
    filtered: bool,
    pager: String,
}

/// The audit log's page for the library `slug`.
#[allow(clippy::too_many_arguments)]
pub fn log_page(
    slug: &str,
    library: &str,
    role: LibraryRole,
    log: NamedLog,
    action: Option<&str>,
    actor: Option<&str>,
    pager: &Pager,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let here = format!("/libraries/{slug}/audit");
    let rows = log
        .entries
        .into_iter()
        .map(|n| Row {
            at: when(&n.entry.at),
            who: actor_words(&n.actor),
            action: n.entry.action,
            about: n.subject,
            purpose: n.entry.purpose,
            decision: if n.entry.decision == "allow" {
                "Allowed".into()
            } else {
                "Refused".into()
            },
            clause: n.entry.clause,
            sealed: n.entry.sealed,
        })
        .collect();
    let actions = log
        .actions
        .into_iter()
        .map(|a| Choice {
            selected: action == Some(a.as_str()),
            label: a.clone(),
            value: a,
        })
        .collect();
    let actors = log
        .actors
        .into_iter()
        .map(|c| Choice {
            selected: actor == Some(c.value.as_str()),
            label: choice_words(&c.actor),
            value: c.value,
        })
        .collect();
    super::render(&Log {
        layout: Layout::signed_in(
            format!("Audit log of {library} – custodian"),
            nav::library(slug, role),
            here.clone(),
            bar,
        ),
        library,
        here,
        rows,
        actions,
        actors,
        filtered: action.is_some() || actor.is_some(),
        pager: pager.html(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_read_as_people_say_them() {
        let staff = ActorName::Staff {
            name: "Ada Reyes".into(),
            role: Some(LibraryRole::Staff),
        };
        assert_eq!(actor_words(&staff), "Ada Reyes, staff");
        assert_eq!(actor_words(&ActorName::Patron), "the patron");
        assert_eq!(
            actor_words(&ActorName::System("cli".into())),
            "a system job (the server console)"
        );
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(5, 35, 0)
            .unwrap();
        assert_eq!(when(&at), "2 December 2026, 05:35 UTC");
    }
}
