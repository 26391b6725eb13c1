//! What every staff endpoint on patron data shares: the role check, the stated
//! purpose, and deciding and recording a request before acting on it.
//!
//! Only `routes/records.rs` and `routes/audit.rs` still use it; the patron
//! handlers take `LibraryStaff` and call custody. Delete it when they move too.
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use custody::gate::Ask;
use custody::{Actor, Purpose, Subject};
use policy::disclosure::{Basis, Relation, Request, Requester};
use policy::document::PolicyDocument;
use policy::jurisdiction::Profile;
use policy::records::{FieldSet, KindSet};
use policy::staff::{decide_patron_work, LibraryRole, StaffDecision, Standing};
use store::sealing::Keyring;
use store::LibraryTx;
/// The staff member's role, once the library lets them work with patrons at all.
pub(crate) fn worker(access: &LibraryAccess) -> ApiResult<LibraryRole> {
    match (decide_patron_work(access.standing), access.standing) {
        (StaffDecision::Allow, Standing::Member(role)) => Ok(role),
        (StaffDecision::Forbidden(why), _) => Err(ApiError::Forbidden(why)),
        _ => Err(ApiError::NotFound),
    }
}

/// The purpose a staff member states for a read: required, at most 500 bytes.
pub(crate) fn purpose_of(p: Option<&str>) -> ApiResult<Purpose> {
    Ok(Purpose::parse(p)?)
}

/// What a staff request under library operations asks for.
fn staff_request<'a>(
    role: LibraryRole,
    actor: &'a str,
    purpose: &'a str,
    kinds: KindSet,
    fields: FieldSet,
) -> Request<'a> {
    Request {
        requester: Requester::Staff(role),
        requester_id: actor,
        relation: Relation::Unrelated,
        kinds,
        fields,
        basis: Basis::LibraryOperations { purpose },
    }
}

/// Everything a staff endpoint needs inside its blocking closure.
pub(crate) struct Ctx {
    custody: custody::Custody,
    library: store::libraries::Library,
    role: LibraryRole,
    actor: Actor,
}

impl Ctx {
    /// Checks the caller may work with patrons and gathers what the closure needs.
    pub(crate) fn new(state: &AppState, access: &LibraryAccess) -> ApiResult<Self> {
        let role = worker(access)?;
        Ok(Ctx {
            custody: state.custody.clone(),
            library: access.library.clone(),
            role,
            actor: Actor::Staff(access.caller.id),
        })
    }

    /// The library's jurisdiction profile and policy document.
    pub(crate) fn policy(&self) -> ApiResult<(&'static Profile, &PolicyDocument)> {
        Ok(self.custody.policies().for_library(&self.library)?)
    }

    /// Decides and records a staff request in a write scope, then runs `f` if allowed.
    pub(crate) fn decided<T>(
        &self,
        action: &str,
        subject: &Subject,
        purpose: &Purpose,
        kinds: KindSet,
        fields: FieldSet,
        f: impl FnOnce(&mut LibraryTx<'_>, &Keyring) -> Result<T, ApiError>,
    ) -> ApiResult<T> {
        let actor = self.actor.to_string();
        let request = staff_request(self.role, &actor, purpose.as_str(), kinds, fields);
        let ask = Ask {
            actor: &self.actor,
            action,
            subject,
            purpose,
            request,
        };
        // The act's own error is kept aside; the gate sees a failure, so the
        // transaction rolls back exactly as before.
        let mut failed = None;
        let outcome = self.custody.decided(&self.library, &ask, |tx, keys, _| {
            f(tx, keys).map_err(|e| {
                failed = Some(e);
                custody::CustodyError::Internal("the act failed".into())
            })
        });
        match (outcome, failed) {
            (_, Some(e)) => Err(e),
            (Ok(value), None) => Ok(value),
            (Err(e), None) => Err(e.into()),
        }
    }
}
