//! The gate: decide with the policy crate, record the decision in the
//! library's audit log, act — in one transaction.
//!
//! A refusal is recorded too, so it must commit: the decision is written in
//! the same write transaction as the act it governs, and the act runs only
//! when the decision allows it. A disclosure and its trace commit together
//! or not at all. Decisions made by other rules (staff management, an emailed
//! request's status) are recorded through [`record`] with their [`Ruling`],
//! so no audit entry anywhere is written with a literal verdict.

use crate::actor::{Actor, StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::values::Purpose;
use crate::Custody;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use policy::clause::Clause;
use policy::disclosure::{
    decide, Basis, Decision, DisclosureRequest, Obligation, Relation, Requester,
};
use policy::document::PolicyDocument;
use policy::jurisdiction::{Jurisdiction, Profile};
use policy::records::{FieldSet, KindSet};
use policy::staff::StaffDecision;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use store::encryption::Keyring;
use store::libraries::Library;
use store::{audit, LibraryId, LibraryTx, StoreError};

/// The policy documents in force: every jurisdiction's shipped document,
/// parsed once at start-up, and each library's published versions, parsed
/// once each the first time they are read (a version never changes, so the
/// number names its document for good).
pub struct Policies {
    by_jurisdiction: HashMap<&'static str, (Jurisdiction, Arc<PolicyDocument>)>,
    published: RwLock<HashMap<(LibraryId, i64), Arc<PolicyDocument>>>,
}

impl Policies {
    /// Loads the shipped document of every jurisdiction.
    pub fn load() -> Result<Self, String> {
        let mut by_jurisdiction = HashMap::new();
        for j in Jurisdiction::ALL {
            let doc = PolicyDocument::shipped(j)
                .map_err(|e| format!("policy document {}: {e}", j.as_str()))?;
            by_jurisdiction.insert(j.as_str(), (j, Arc::new(doc)));
        }
        Ok(Policies {
            by_jurisdiction,
            published: RwLock::new(HashMap::new()),
        })
    }

    /// The profile and shipped document for a jurisdiction (by its stored name).
    pub fn of(&self, jurisdiction: &str) -> Option<(&'static Profile, &PolicyDocument)> {
        self.by_jurisdiction
            .get(jurisdiction)
            .map(|(j, doc)| (j.profile(), &**doc))
    }

    /// The profile and shipped document of `library`'s jurisdiction (not its
    /// own published version: see [`Policies::in_force`]); a library whose
    /// jurisdiction has no document is a deployment bug, not a user error.
    pub fn for_library(
        &self,
        library: &Library,
    ) -> CustodyResult<(&'static Profile, &PolicyDocument)> {
        self.of(&library.jurisdiction).ok_or_else(|| {
            CustodyError::Internal(format!(
                "no policy for jurisdiction {}",
                library.jurisdiction
            ))
        })
    }

    /// The document of a library's published version, parsed the first time
    /// it is asked for. One that no longer validates (a profile tightened
    /// since) is a deployment problem, not the caller's.
    pub fn published(
        &self,
        library: LibraryId,
        version: i64,
        toml: &str,
    ) -> CustodyResult<Arc<PolicyDocument>> {
        if let Some(doc) = self
            .published
            .read()
            .ok()
            .and_then(|m| m.get(&(library, version)).cloned())
        {
            return Ok(doc);
        }
        let doc = Arc::new(PolicyDocument::from_toml(toml).map_err(|e| {
            CustodyError::Internal(format!(
                "privacy policy version {version} no longer validates: {e}"
            ))
        })?);
        // A poisoned lock only costs the cache, never the answer.
        if let Ok(mut m) = self.published.write() {
            m.insert((library, version), doc.clone());
        }
        Ok(doc)
    }

    /// The rules in force at `library`, read inside its transaction: its
    /// current published version, or its jurisdiction's shipped document
    /// while it has published none. Every decision about the library's
    /// patrons and records is made under these.
    pub fn in_force(
        &self,
        tx: &mut LibraryTx<'_>,
        library: &Library,
    ) -> CustodyResult<(&'static Profile, Arc<PolicyDocument>)> {
        let (j, shipped) = self
            .by_jurisdiction
            .get(library.jurisdiction.as_str())
            .ok_or_else(|| {
                CustodyError::Internal(format!(
                    "no policy for jurisdiction {}",
                    library.jurisdiction
                ))
            })?;
        match store::privacy_policy::current(tx)? {
            Some(v) => Ok((
                j.profile(),
                self.published(library.id, v.version, &v.document)?,
            )),
            None => Ok((j.profile(), shipped.clone())),
        }
    }
}

/// A disclosure asked of the gate: the policy's question and what the audit log keeps of it.
pub struct Ask<'a> {
    /// Who asks.
    pub actor: &'a Actor,
    /// `patron.read`, `patron.export`, …
    pub action: &'a str,
    /// Whom it concerns.
    pub subject: &'a Subject,
    /// Why, as stated.
    pub purpose: &'a Purpose,
    /// The question for [`policy::disclosure::decide`].
    pub request: DisclosureRequest<'a>,
}

/// A decision some rule made, as the audit log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ruling {
    /// Whether it was allowed.
    pub allowed: bool,
    /// The stable code of the clause that decided.
    pub clause: &'static str,
}

impl Ruling {
    /// An allowance by the rule with this clause code.
    pub const fn allow(clause: &'static str) -> Self {
        Ruling {
            allowed: true,
            clause,
        }
    }

    /// An allowance by a policy clause.
    pub const fn allow_by(clause: Clause) -> Self {
        Ruling::allow(clause.code())
    }

    fn verdict(self) -> &'static str {
        if self.allowed {
            "allow"
        } else {
            "deny"
        }
    }
}

impl From<StaffDecision> for Ruling {
    fn from(d: StaffDecision) -> Self {
        Ruling {
            allowed: d == StaffDecision::Allow,
            clause: d.clause(),
        }
    }
}

impl From<&Decision> for Ruling {
    fn from(d: &Decision) -> Self {
        Ruling {
            allowed: d.is_allowed(),
            clause: d.clause().code(),
        }
    }
}

/// An audit entry for a decision already made.
pub struct Entry<'a> {
    /// Who acted.
    pub actor: &'a Actor,
    /// What was done.
    pub action: &'a str,
    /// Whom or what it concerned.
    pub subject: &'a Subject,
    /// Why, as stated; empty when nothing was stated.
    pub purpose: &'a str,
    /// What was decided, by which rule.
    pub ruling: Ruling,
}

/// Appends a decision some other rule made to the library's audit log.
pub fn record(
    tx: &mut LibraryTx<'_>,
    entry: &Entry<'_>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    append(tx, entry, false, now)
}

fn append(
    tx: &mut LibraryTx<'_>,
    entry: &Entry<'_>,
    sealed: bool,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let (actor, subject) = (entry.actor.to_string(), entry.subject.to_string());
    audit::append(
        tx,
        &audit::NewEntry {
            actor: &actor,
            action: entry.action,
            subject: &subject,
            purpose: entry.purpose,
            decision: entry.ruling.verdict(),
            clause: entry.ruling.clause,
            sealed,
        },
        now,
    )
    .map(drop)
}

/// Decides `ask` under a library's policy and appends the decision to its audit log,
/// for a caller already inside the library's write transaction.
pub fn decide_and_record(
    tx: &mut LibraryTx<'_>,
    profile: &Profile,
    document: &PolicyDocument,
    ask: &Ask<'_>,
    today: NaiveDate,
) -> Result<Decision, StoreError> {
    let decision = decide(profile, document, &ask.request, today);
    let sealed = match &decision {
        Decision::Allow { obligations, .. } => obligations.contains(Obligation::Seal),
        Decision::Deny { .. } => false,
    };
    let entry = Entry {
        actor: ask.actor,
        action: ask.action,
        subject: ask.subject,
        purpose: ask.purpose.as_str(),
        ruling: Ruling::from(&decision),
    };
    append(tx, &entry, sealed, Utc::now().naive_utc())?;
    Ok(decision)
}

impl Custody {
    /// The profile and the rules in force at `library` (see
    /// [`Policies::in_force`]), read in a transaction of their own.
    pub fn policy_of(
        &self,
        library: &Library,
    ) -> CustodyResult<(&'static Profile, Arc<PolicyDocument>)> {
        self.store()
            .read(library.id, |tx| self.policies().in_force(tx, library))
    }

    /// Decides `ask` under `library`'s policy in force (its current published
    /// version, else its jurisdiction's), records the decision, and runs
    /// `act` in the same write transaction when it is allowed; a refusal
    /// commits its audit entry and answers [`CustodyError::Refused`].
    pub fn decided<T>(
        &self,
        library: &Library,
        ask: &Ask<'_>,
        act: impl FnOnce(&mut LibraryTx<'_>, &Keyring, &Decision) -> CustodyResult<T>,
    ) -> CustodyResult<T> {
        let today = Utc::now().date_naive();
        let outcome = self.store().write(library.id, |tx| {
            // The library's own published version decides, read in the same
            // transaction as the act it governs.
            let (profile, document) = self.policies().in_force(tx, library)?;
            let decision = decide_and_record(tx, profile, &document, ask, today)?;
            match &decision {
                Decision::Allow { .. } => act(tx, self.keys(), &decision).map(Ok),
                Decision::Deny { reason, .. } => Ok(Err(CustodyError::Refused(reason.text()))),
            }
        })?;
        outcome
    }

    /// The gate for a staff member's work under library operations: decides
    /// whether `who` may see `kinds`/`fields` for `purpose`, records it, and
    /// runs `act` in the same transaction when allowed.
    #[allow(clippy::too_many_arguments)]
    pub fn staff_decided<T>(
        &self,
        who: &StaffMember,
        action: &str,
        subject: &Subject,
        purpose: &Purpose,
        kinds: KindSet,
        fields: FieldSet,
        act: impl FnOnce(&mut LibraryTx<'_>, &Keyring) -> CustodyResult<T>,
    ) -> CustodyResult<T> {
        let actor = who.actor();
        let requester_id = actor.to_string();
        let ask = Ask {
            actor: &actor,
            action,
            subject,
            purpose,
            request: DisclosureRequest {
                requester: Requester::Staff(who.role),
                requester_id: &requester_id,
                relation: Relation::Unrelated,
                kinds,
                fields,
                basis: Basis::LibraryOperations {
                    purpose: purpose.as_str(),
                },
            },
        };
        self.decided(&who.library, &ask, |tx, keys, _| act(tx, keys))
    }
}
