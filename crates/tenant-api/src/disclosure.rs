//! Asking the policy crate about a patron's records, and recording the answer.
//!
//! Every decision, allowed or refused, is appended to the library's audit log
//! in the same transaction as the read or change it governs, so a disclosure
//! and its trace commit together or not at all.

use chrono::{NaiveDate, Utc};
use policy::disclosure::{decide, Decision, Obligation, Request};
use policy::document::PolicyDocument;
use policy::jurisdiction::{Jurisdiction, Profile};
use std::collections::HashMap;
use store::{audit, LibraryTx, StoreError};

/// The policy documents in force, parsed once at start-up.
pub struct Policies {
    by_jurisdiction: HashMap<&'static str, (Jurisdiction, PolicyDocument)>,
}

impl Policies {
    /// Loads the shipped document of every jurisdiction.
    pub fn load() -> Result<Self, String> {
        let mut by_jurisdiction = HashMap::new();
        for j in Jurisdiction::ALL {
            let doc = PolicyDocument::shipped(j)
                .map_err(|e| format!("policy document {}: {e}", j.as_str()))?;
            by_jurisdiction.insert(j.as_str(), (j, doc));
        }
        Ok(Policies { by_jurisdiction })
    }

    /// The profile and document for a library's jurisdiction (by its stored name).
    pub fn of(&self, jurisdiction: &str) -> Option<(&'static Profile, &PolicyDocument)> {
        self.by_jurisdiction
            .get(jurisdiction)
            .map(|(j, doc)| (j.profile(), doc))
    }
}

/// Who did what to whom, for the audit entry of a decision.
pub struct Trace<'a> {
    /// `account:12` or `patron:55`.
    pub actor: &'a str,
    /// `patron.read`, `patron.export`, …
    pub action: &'a str,
    /// `patron:55`.
    pub subject: &'a str,
    /// The purpose stated, if any.
    pub purpose: &'a str,
}

/// Decides `request` under the library's policy and appends the decision to its audit log.
pub fn decide_and_record(
    tx: &mut LibraryTx<'_>,
    profile: &Profile,
    document: &PolicyDocument,
    request: &Request<'_>,
    trace: &Trace<'_>,
    today: NaiveDate,
) -> Result<Decision, StoreError> {
    let decision = decide(profile, document, request, today);
    let sealed = match &decision {
        Decision::Allow { obligations, .. } => obligations.contains(Obligation::Seal),
        Decision::Deny { .. } => false,
    };
    audit::append(
        tx,
        &audit::NewEntry {
            actor: trace.actor,
            action: trace.action,
            subject: trace.subject,
            purpose: trace.purpose,
            decision: if decision.is_allowed() {
                "allow"
            } else {
                "deny"
            },
            clause: decision.clause().code(),
            sealed,
        },
        Utc::now().naive_utc(),
    )?;
    Ok(decision)
}
