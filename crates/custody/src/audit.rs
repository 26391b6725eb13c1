//! Reading a library's audit log: the whole log for those who keep it, and a
//! patron's access log (who looked at their records, when and why).

use crate::actor::{Actor, StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::Custody;
use chrono::NaiveDateTime;
use policy::staff::LibraryRole;
use serde::Serialize;
use store::{audit, LibraryTx, StoreError};

pub use store::audit::Entry;

/// The library's audit log after entry `after`, oldest first, for its admins
/// and its custodian of records.
pub fn list(
    custody: &Custody,
    who: &StaffMember,
    after: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<Entry>> {
    if who.role == LibraryRole::Staff {
        return Err(CustodyError::Forbidden(
            "only a library admin or the custodian of records may read the audit log",
        ));
    }
    Ok(custody
        .store()
        .read(who.library.id, |tx| audit::list(tx, after, limit))?)
}

/// One entry of a patron's access log, in words the patron can read.
#[derive(Debug, Clone, Serialize)]
pub struct AccessEntry {
    /// When.
    #[serde(with = "store::time::rfc3339")]
    pub at: NaiveDateTime,
    /// Who, described (`library staff (account 12)`).
    pub who: String,
    /// What was done.
    pub action: String,
    /// Why, as stated.
    pub purpose: String,
    /// `allow` or `deny`.
    pub decision: String,
    /// The deciding clause's code.
    pub clause: String,
}

fn describe_actor(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("account", id)) => format!("library staff (account {id})"),
        Some(("vendor", id)) => format!("contracted vendor {id}"),
        Some(("patron", _)) => "a patron".into(),
        _ => actor.to_owned(),
    }
}

/// The newest `limit` unsealed entries about `subject` made by someone other
/// than the subject, inside the caller's transaction.
pub fn access_entries(
    tx: &mut LibraryTx<'_>,
    subject: &Subject,
    limit: i64,
) -> Result<Vec<AccessEntry>, StoreError> {
    let about = subject.to_string();
    // The subject acting on their own data is not "who looked at my records";
    // the log names the patron as actor and as subject the same way.
    let own = match subject {
        Subject::Patron(p) => Actor::Patron(*p).to_string(),
        _ => String::new(),
    };
    let mut out = Vec::new();
    let mut before = None;
    while (out.len() as i64) < limit {
        let batch = audit::about(tx, &about, before, 500)?;
        let Some(last) = batch.last() else { break };
        before = Some(last.seq);
        out.extend(
            batch
                .into_iter()
                .filter(|e| e.actor != own)
                .map(|e| AccessEntry {
                    at: e.at,
                    who: describe_actor(&e.actor),
                    action: e.action,
                    purpose: e.purpose,
                    decision: e.decision,
                    clause: e.clause,
                }),
        );
    }
    out.truncate(limit as usize);
    Ok(out)
}
