//! Exports for a purpose (#16): the contact of every patron an optional use
//! of the library's policy may include (a newsletter's mailing list, say),
//! leaving out everyone who opted out of that use.
//!
//! The export is a disclosure by the library's admin under library
//! operations: the gate decides and records it, and the list is read in the
//! same transaction, under the same policy version the gate decided by.

use crate::actor::{StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::privacy_policy::{use_filter, UseView};
use crate::values::Purpose;
use crate::Custody;
use policy::plain::UseDecision;
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use policy::staff::LibraryRole;
use serde::Serialize;
use std::collections::HashMap;
use store::PatronId;

/// Patrons read per query.
const BATCH: i64 = 1_000;

/// One patron's contact, as the export lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UseContact {
    /// The name on the card.
    pub name: String,
    /// The email address.
    pub email: String,
}

/// The contacts a use may reach.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UseExport {
    /// The use, as the policy describes it.
    #[serde(rename = "use")]
    pub use_view: UseView,
    /// The policy version whose use it is.
    pub policy_version: i64,
    /// Patrons with an email address who opted out, and so are left out.
    pub left_out: u64,
    /// Everyone else with an email address, by card registration.
    pub patrons: Vec<UseContact>,
}

/// The contact of every patron with an email address whom `use_key` may
/// include: the library's admin only; a use the policy in force does not
/// name is refused (nothing is exported for a purpose the patrons were not
/// told of); patrons who opted out are left out. Audited as
/// `patron.export_for_use`.
pub fn for_use(custody: &Custody, who: &StaffMember, use_key: &str) -> CustodyResult<UseExport> {
    if who.role != LibraryRole::Admin {
        return Err(CustodyError::Forbidden(
            "only the library's admin exports patrons' contact for a use",
        ));
    }
    let (_, doc) = custody.policy_of(&who.library)?;
    let Some(named) = doc.optional_use(use_key) else {
        return Err(CustodyError::Invalid {
            field: "use_key",
            detail: if policy::document::is_use_key(use_key) {
                format!("{use_key} is not an optional use of the library's privacy policy")
            } else {
                "not an optional use of the library's privacy policy".to_owned()
            },
        });
    };
    let purpose = Purpose::stated_by_custodian(format!(
        "contact exported for {}: {}",
        named.key, named.description
    ));
    let library = who.library.clone();
    custody.staff_decided(
        who,
        "patron.export_for_use",
        &Subject::Nobody,
        &purpose,
        KindSet::of(&[RecordKind::CardRegistration]),
        FieldSet::of(&[Field::Name, Field::Email]),
        |tx, keys| {
            // Decided under the version in force in this transaction.
            let filter = use_filter(tx, custody, &library, use_key)?;
            let mut patrons = Vec::new();
            let mut left_out = 0u64;
            let mut after = PatronId(0);
            loop {
                let emails = store::patrons::emails_after(tx, keys, after, BATCH)?;
                let Some(last) = emails.last().map(|(p, _)| *p) else {
                    break;
                };
                let names = names_through(tx, keys, after, last)?;
                for (p, email) in emails {
                    match filter.allows(p) {
                        UseDecision::Allow => patrons.push(UseContact {
                            name: names.get(&p).cloned().unwrap_or_default(),
                            email,
                        }),
                        UseDecision::Refuse(_) => left_out += 1,
                    }
                }
                after = last;
            }
            Ok(UseExport {
                use_view: UseView::from(named),
                policy_version: filter.version(),
                left_out,
                patrons,
            })
        },
    )
}

// The names of the patrons after `after` up to and including `last`.
fn names_through(
    tx: &mut store::LibraryTx<'_>,
    keys: &store::encryption::Keyring,
    after: PatronId,
    last: PatronId,
) -> CustodyResult<HashMap<PatronId, String>> {
    let mut names = HashMap::new();
    let mut cursor = after;
    loop {
        let page = store::patrons::list(tx, keys, Some(cursor), BATCH)?;
        let full = page.len() as i64 == BATCH;
        let Some(end) = page.last().map(|s| s.id) else {
            break;
        };
        for s in page {
            if s.id <= last {
                names.insert(s.id, s.name);
            }
        }
        if !full || end >= last {
            break;
        }
        cursor = end;
    }
    Ok(names)
}

fn csv_field(s: &str) -> String {
    // A leading =, +, - or @ would be a formula to a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The export as CSV: `name,email`, one patron a line.
pub fn as_csv(e: &UseExport) -> String {
    let mut out = String::from("name,email\n");
    for c in &e.patrons {
        out.push_str(&csv_field(&c.name));
        out.push(',');
        out.push_str(&csv_field(&c.email));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("Ada, Countess"), "\"Ada, Countess\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("ada@example.org"), "ada@example.org");
    }
}
