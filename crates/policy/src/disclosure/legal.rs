//! Disclosure under legal process: court orders, subpoenas (where the statute
//! and the library's policy accept them) and emergencies; informal demands are
//! refused in `decide` itself.

use super::{
    allow, deny, Decision, DenyReason as R, DisclosureRequest, LegalProcess, Obligation,
    Obligations, AUDIT,
};
use crate::clause::Clause;
use crate::document::PolicyDocument;
use crate::jurisdiction::Profile;
use crate::staff::LibraryRole;

/// A court order the custodian of records verified, with a finding the statute accepts.
pub(super) fn court_order(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &DisclosureRequest<'_>,
    order: &LegalProcess,
) -> Decision {
    if order.verified_by != Some(LibraryRole::Custodian) {
        return deny(R::NotVerifiedByCustodian, Clause::CustodianDecides);
    }
    if !profile.accepts_finding(order.finding) {
        return deny(R::FindingNotSufficient, profile.court_order);
    }
    allow(request, obligations(doc, order), profile.court_order, None)
}

/// A subpoena, only where the statute and the library's policy accept one without a court order.
pub(super) fn subpoena(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &DisclosureRequest<'_>,
    subpoena: &LegalProcess,
) -> Decision {
    let Some(clause) = profile.subpoena else {
        return deny(R::SubpoenaWithoutCourtOrder, profile.court_order);
    };
    if !doc.accept_subpoena() {
        return deny(
            R::LibraryRequiresCourtOrder,
            Clause::LibraryRequiresCourtOrder,
        );
    }
    if subpoena.verified_by != Some(LibraryRole::Custodian) {
        return deny(R::NotVerifiedByCustodian, Clause::CustodianDecides);
    }
    allow(request, obligations(doc, subpoena), clause, None)
}

/// An emergency, where the statute has the exception and the library has not turned it off.
pub(super) fn emergency(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &DisclosureRequest<'_>,
    imminent_danger: bool,
) -> Decision {
    let Some(clause) = profile.emergency else {
        return deny(R::NoEmergencyException, profile.confidentiality);
    };
    if !doc.emergency() {
        return deny(R::EmergencyDisabledByPolicy, Clause::LibraryDisabledBasis);
    }
    if !imminent_danger {
        return deny(R::DangerNotImminent, clause);
    }
    allow(
        request,
        AUDIT.with(Obligation::NotifyCustodian),
        clause,
        None,
    )
}

/// What every release under legal process brings: the audit entry, telling
/// the custodian, the search cost where the policy charges it, and a sealed
/// entry under a non-disclosure order.
fn obligations(doc: &PolicyDocument, process: &LegalProcess) -> Obligations {
    let mut o = AUDIT.with(Obligation::NotifyCustodian);
    if doc.charge_search_cost() {
        o = o.with(Obligation::ChargeSearchCost);
    }
    if process.nondisclosure_order {
        o = o.with(Obligation::Seal);
    }
    o
}
