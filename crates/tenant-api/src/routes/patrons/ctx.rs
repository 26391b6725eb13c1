//! What every staff endpoint on patron data shares: the role check, the stated
//! purpose, and deciding and recording a request before acting on it.
use crate::auth::LibraryAccess;
use crate::disclosure::{decide_and_record, Trace};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::Utc;
use policy::disclosure::{Basis, Decision, Relation, Request, Requester};
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
pub(crate) fn purpose_of(p: Option<&str>) -> ApiResult<String> {
    match p.map(str::trim) {
        Some(p) if !p.is_empty() && p.len() <= 500 => Ok(p.to_owned()),
        _ => Err(ApiError::Invalid {
            field: "purpose".into(),
            detail: "state why you need this patron's data (for example purpose=hold pickup); the reason is kept in the library's audit log".into(),
        }),
    }
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
    store: store::Store,
    keys: std::sync::Arc<Keyring>,
    policies: std::sync::Arc<crate::disclosure::Policies>,
    library: store::libraries::Library,
    role: LibraryRole,
    actor: String,
}

impl Ctx {
    /// Checks the caller may work with patrons and gathers what the closure needs.
    pub(crate) fn new(state: &AppState, access: &LibraryAccess) -> ApiResult<Self> {
        let role = worker(access)?;
        Ok(Ctx {
            store: state.store.clone(),
            keys: state.keys.clone(),
            policies: state.policies.clone(),
            library: access.library.clone(),
            role,
            actor: format!("account:{}", access.caller.id.0),
        })
    }

    /// The library's jurisdiction profile and policy document.
    pub(crate) fn policy(&self) -> ApiResult<(&'static Profile, &PolicyDocument)> {
        self.policies.of(&self.library.jurisdiction).ok_or_else(|| {
            ApiError::Internal(format!(
                "no policy for jurisdiction {}",
                self.library.jurisdiction
            ))
        })
    }

    /// Decides and records a staff request in a write scope, then runs `f` if allowed.
    pub(crate) fn decided<T>(
        &self,
        action: &str,
        subject: &str,
        purpose: &str,
        kinds: KindSet,
        fields: FieldSet,
        f: impl FnOnce(&mut LibraryTx<'_>, &Keyring) -> Result<T, ApiError>,
    ) -> ApiResult<T> {
        let (profile, document) = self.policy()?;
        let request = staff_request(self.role, &self.actor, purpose, kinds, fields);
        let trace = Trace {
            actor: &self.actor,
            action,
            subject,
            purpose,
        };
        let today = Utc::now().date_naive();
        // A refusal is recorded too, so it must commit: decide in one
        // transaction and act in the same one only when allowed.
        self.store.write(self.library.id, |tx| {
            match decide_and_record(tx, profile, document, &request, &trace, today)? {
                Decision::Allow { .. } => f(tx, &self.keys).map(Ok),
                Decision::Deny { reason, .. } => Ok(Err(ApiError::Refused(reason.text()))),
            }
        })?
    }
}
