//! Disclosure to a contracted vendor, within its contract and the library's policy.

use super::{
    allow, deny, Decision, DenyReason as R, DisclosureRequest, Requester, VendorGrant, AUDIT,
};
use crate::clause::Clause;
use crate::document::PolicyDocument;
use crate::jurisdiction::Profile;
use chrono::NaiveDate;

/// A vendor asking within a contract in force that grants everything asked, and that the policy permits.
pub(super) fn grant(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &DisclosureRequest<'_>,
    grant: &VendorGrant<'_>,
    today: NaiveDate,
) -> Decision {
    let clause = profile.vendors;
    if request.requester != Requester::Vendor {
        return deny(R::RequesterDoesNotFitBasis, clause);
    }
    if grant.vendor != request.requester_id {
        return deny(R::GrantForSomeoneElse, clause);
    }
    if today < grant.starts_on || today > grant.ends_on {
        return deny(R::ContractNotInForce, clause);
    }
    if !request.kinds.is_subset(grant.kinds) || !request.fields.is_subset(grant.fields) {
        return deny(R::OutsideVendorGrant, clause);
    }
    if !request.kinds.is_subset(doc.vendor_kinds())
        || !request.fields.is_subset(doc.vendor_fields())
    {
        return deny(R::GrantNotPermittedByPolicy, Clause::VendorContract);
    }
    allow(request, AUDIT, clause, Some(grant.ends_on))
}
