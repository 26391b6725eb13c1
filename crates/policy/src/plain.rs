//! A library's published policy in plain words, the line-by-line difference
//! between two versions, and the decision on an optional use for one patron.
//!
//! The public page and its JSON say what is collected, how long it is kept,
//! who may receive it and on what basis, and how children are named, all
//! derived from the validated document, so the words cannot promise more than
//! the rules enforce.

use crate::clause::Clause;
use crate::document::PolicyDocument;
use crate::minors::field_label;
use crate::records::{RecordKind, IDENTITY_FIELDS};
use crate::retention::PurgeMethod;
use serde::Serialize;

/// The rules of a policy document, in sentences for the public.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlainRules {
    /// What the library collects and keeps about patrons.
    pub collected: Vec<String>,
    /// How long each kind of record stays linked to a patron.
    pub kept: Vec<String>,
    /// Who may receive patrons' records, and on what basis.
    pub recipients: Vec<String>,
    /// How children are named in public, with an example.
    pub children: String,
    /// The optional uses, each a patron may opt out of.
    pub uses: Vec<String>,
}

/// Plain words for a record kind.
pub const fn kind_label(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Circulation => "loans",
        RecordKind::CardRegistration => "your card registration",
        RecordKind::HoldsAndInterlibraryLoans => "holds and interlibrary loans",
        RecordKind::EventRegistration => "event registrations and attendance",
        RecordKind::ReferenceRequests => "reference questions",
        RecordKind::Donations => "donations",
        RecordKind::DigitalUse => "computer, internet and e-resource use",
        RecordKind::FinesAndPayments => "fines, fees and payments",
    }
}

fn cite(clause: Clause) -> &'static str {
    // The citation is the text up to its first colon ("RSMo 182.817.1(2)").
    let text = clause.text();
    match text.find(':') {
        Some(i) => text.split_at(i).0,
        None => text,
    }
}

fn list(items: impl Iterator<Item = &'static str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// The rules of `doc` in plain words.
pub fn rules(doc: &PolicyDocument) -> PlainRules {
    let profile = doc.jurisdiction().profile();
    let collected = vec![
        format!(
            "To register a card: {}.",
            list(IDENTITY_FIELDS.iter().map(field_label))
        ),
        format!(
            "While you use the library: {}.",
            list(
                RecordKind::ALL
                    .into_iter()
                    .filter(|k| *k != RecordKind::CardRegistration)
                    .map(kind_label)
            )
        ),
    ];
    let kept = RecordKind::ALL
        .into_iter()
        .map(|k| {
            let rule = doc.schedule().rule(k);
            let then = match rule.then {
                PurgeMethod::Anonymize => "unlinked from you (the rest kept without your name)",
                PurgeMethod::Delete => "deleted",
            };
            let when = match (k, rule.keep_days) {
                (RecordKind::Circulation, 0) if doc.schedule().checkout_history_opt_in() => {
                    "at return, unless you turn checkout history on".to_owned()
                }
                (_, 0) => "as soon as it is no longer in use".to_owned(),
                (_, 1) => "1 day after it is no longer in use".to_owned(),
                (_, d) => format!("{d} days after it is no longer in use"),
            };
            let label = kind_label(k);
            let mut first = label.chars();
            let label = first
                .next()
                .map(|c| c.to_uppercase().chain(first).collect::<String>())
                .unwrap_or_default();
            format!("{label}: {then} {when}.")
        })
        .collect();
    let mut recipients = vec![
        format!(
            "You, about your own records ({}).",
            cite(Clause::PatronOwnRecords)
        ),
        format!(
            "Anyone you name in a written consent, for at most {} days ({}).",
            doc.consent_max_days(),
            cite(profile.written_consent)
        ),
        format!(
            "Law enforcement and courts only under a court order ({}).",
            cite(profile.court_order)
        ),
    ];
    if doc.accept_subpoena() {
        if let Some(c) = profile.subpoena {
            recipients.push(format!("A subpoena ({}).", cite(c)));
        }
    } else {
        recipients.push(format!(
            "Not on a subpoena or an informal request alone ({}).",
            cite(profile.court_order)
        ));
    }
    if doc.emergency() {
        if let Some(c) = profile.emergency {
            recipients.push(format!(
                "Law enforcement when someone is in imminent danger ({}).",
                cite(c)
            ));
        }
    }
    if doc.guardian_access() {
        if let Some(c) = profile.guardian {
            recipients.push(format!(
                "A parent or guardian, about a child under {} ({}).",
                doc.minor_age(),
                cite(c)
            ));
        }
    }
    if doc.vendor_kinds().is_empty() {
        recipients.push("No contracted service receives patrons' records.".to_owned());
    } else {
        recipients.push(format!(
            "Services under contract with the library, only {} and only while the contract runs ({}).",
            list(doc.vendor_fields().iter().map(field_label)),
            cite(profile.vendors)
        ));
    }
    let uses = doc
        .uses()
        .iter()
        .map(|u| format!("{} ({}): you may opt out.", u.description, u.key))
        .collect();
    PlainRules {
        collected,
        kept,
        recipients,
        children: doc.children_naming().words().to_owned(),
        uses,
    }
}

/// The version as lines of text, the library's words first: what the public
/// difference between two versions compares.
pub fn as_lines(doc: &PolicyDocument) -> Vec<String> {
    let r = rules(doc);
    let mut out: Vec<String> = doc.text().lines().map(str::to_owned).collect();
    for (title, items) in [
        ("What we collect", &r.collected),
        ("How long we keep it", &r.kept),
        ("Who may receive it", &r.recipients),
        ("Optional uses", &r.uses),
    ] {
        out.push(format!("{title}:"));
        out.extend(items.iter().map(|i| format!("• {i}")));
    }
    out.push("Children:".to_owned());
    out.push(format!("• {}", r.children));
    out
}

/// One line of a difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    /// `same`, `added` or `removed`.
    #[schema(value_type = String, pattern = "^(same|added|removed)$")]
    pub change: &'static str,
    /// The line.
    pub text: String,
}

/// Above this many lines a side, the difference is every old line removed and
/// every new one added, so a huge document cannot cost quadratic time.
pub const MAX_DIFF_LINES: usize = 2_000;

/// The line-by-line difference from `old` to `new` (longest common subsequence).
pub fn diff(old: &[String], new: &[String]) -> Vec<DiffLine> {
    let line = |change, text: &String| DiffLine {
        change,
        text: text.clone(),
    };
    if old.len() > MAX_DIFF_LINES || new.len() > MAX_DIFF_LINES {
        return old
            .iter()
            .map(|t| line("removed", t))
            .chain(new.iter().map(|t| line("added", t)))
            .collect();
    }
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push(line("same", &old[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(line("added", &new[j]));
            j += 1;
        } else {
            out.push(line("removed", &old[i]));
            i += 1;
        }
    }
    out
}

/// Whether an optional use may include one patron.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseDecision {
    /// The policy names the use and the patron has not opted out.
    Allow,
    /// Refused, by this clause.
    Refuse(Clause),
}

/// Decides whether `use_key` may include a patron who has (or has not) opted out of it.
pub fn decide_use(doc: &PolicyDocument, use_key: &str, opted_out: bool) -> UseDecision {
    if doc.optional_use(use_key).is_none() {
        UseDecision::Refuse(Clause::UseNotInPolicy)
    } else if opted_out {
        UseDecision::Refuse(Clause::OptedOutOfUse)
    } else {
        UseDecision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction::Jurisdiction;

    fn doc(extra: &str) -> PolicyDocument {
        PolicyDocument::from_toml(&format!("jurisdiction = \"missouri\"\n{extra}")).unwrap()
    }

    #[test]
    fn missouri_words_name_the_court_order_and_refuse_subpoenas() {
        let r = rules(&PolicyDocument::shipped(Jurisdiction::Missouri).unwrap());
        let all = r.recipients.join("\n");
        assert!(all.contains("court order (RSMo 182.817.1(2))"), "{all}");
        assert!(all.contains("Not on a subpoena"), "{all}");
        assert!(r.kept.iter().any(|k| k.starts_with("Loans: unlinked")));
        assert!(r.children.contains("\"Ada L.\""));
    }

    #[test]
    fn a_use_is_refused_when_opted_out_or_not_in_the_policy() {
        let d = doc("[[uses]]\nkey = \"newsletter\"\ndescription = \"A newsletter.\"\n");
        assert_eq!(decide_use(&d, "newsletter", false), UseDecision::Allow);
        assert_eq!(
            decide_use(&d, "newsletter", true),
            UseDecision::Refuse(Clause::OptedOutOfUse)
        );
        assert_eq!(
            decide_use(&d, "statistics", false),
            UseDecision::Refuse(Clause::UseNotInPolicy)
        );
    }

    #[test]
    fn the_difference_keeps_common_lines_and_marks_the_rest() {
        let a: Vec<String> = ["one", "two", "three"].map(String::from).to_vec();
        let b: Vec<String> = ["one", "2", "three", "four"].map(String::from).to_vec();
        let shown: Vec<String> = diff(&a, &b)
            .iter()
            .map(|l| format!("{}:{}", l.change, l.text))
            .collect();
        assert_eq!(
            shown,
            [
                "same:one",
                "added:2",
                "removed:two",
                "same:three",
                "added:four"
            ]
        );
    }

    #[test]
    fn the_lines_change_with_the_naming_rule() {
        let a = as_lines(&doc(""));
        let b = as_lines(&doc("children_naming = \"first_name_only\"\n"));
        let d = diff(&a, &b);
        assert!(d
            .iter()
            .any(|l| l.change == "added" && l.text.contains("\"Ada\"")));
        assert_eq!(d.iter().filter(|l| l.change != "same").count(), 2);
    }
}
