//! Disclosure on a patron's written consent, and to a minor's guardian.

use super::{
    allow, deny, Consent, Decision, DenyReason as R, DisclosureRequest, Relation, Requester, AUDIT,
};
use crate::clause::Clause;
use crate::document::PolicyDocument;
use crate::jurisdiction::Profile;
use crate::minors::age_on;
use chrono::NaiveDate;

/// A written consent in force, for the recipient it names, covering everything asked.
pub(super) fn written(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &DisclosureRequest<'_>,
    consent: &Consent<'_>,
    today: NaiveDate,
) -> Decision {
    let clause = profile.written_consent;
    if !consent.written {
        return deny(R::ConsentNotWritten, clause);
    }
    if consent.revoked {
        return deny(R::ConsentRevoked, clause);
    }
    if today < consent.signed_on || today > consent.expires_on {
        return deny(R::ConsentNotInForce, clause);
    }
    let runs = (consent.expires_on - consent.signed_on).num_days();
    if runs > i64::from(doc.consent_max_days()) {
        return deny(R::ConsentTooLong, clause);
    }
    if consent.recipient != request.requester_id {
        return deny(R::ConsentForSomeoneElse, clause);
    }
    if !request.kinds.is_subset(consent.kinds) || !request.fields.is_subset(consent.fields) {
        return deny(R::OutsideConsent, clause);
    }
    allow(request, AUDIT, clause, Some(consent.expires_on))
}

/// A verified guardian of a patron under the library's age, where statute and policy allow it.
pub(super) fn guardian(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &DisclosureRequest<'_>,
    minor_date_of_birth: NaiveDate,
    relationship_verified: bool,
    today: NaiveDate,
) -> Decision {
    let Some(clause) = profile.guardian else {
        return deny(R::NoGuardianException, profile.confidentiality);
    };
    if !doc.guardian_access() {
        return deny(
            R::GuardianAccessDisabledByPolicy,
            Clause::ChildrenSamePrivacy,
        );
    }
    if request.requester != Requester::Guardian || request.relation != Relation::Guardian {
        return deny(R::RequesterDoesNotFitBasis, clause);
    }
    if !relationship_verified {
        return deny(R::GuardianNotVerified, clause);
    }
    match age_on(minor_date_of_birth, today) {
        Some(age) if age < u32::from(doc.minor_age()) => {}
        _ => return deny(R::NotAMinor, clause),
    }
    allow(request, AUDIT, clause, None)
}
