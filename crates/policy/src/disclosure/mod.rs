//! Who may see which library records, on what legal basis, and what must
//! happen when they do. Every answer carries the clause that decides it.
//!
//! A request is allowed only for exactly what it asks: if it reaches past its
//! basis (a kind the consent does not name, a field the contract does not
//! grant) it is refused rather than trimmed, so that the requester learns
//! what the basis covers and the audit log shows what was asked.
//!
//! The one entry point is [`decide`]; each legal basis has its rule in a
//! module of its own: the patron and library operations here, [`consent`]
//! (written consent, guardians), [`legal`] (court orders, subpoenas,
//! emergencies, informal demands) and [`vendor`] (contracted vendors).

use crate::clause::Clause;
use crate::document::PolicyDocument;
use crate::jurisdiction::{CourtFinding, Profile};
use crate::records::{bitset, FieldSet, KindSet};
use crate::staff::LibraryRole;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

/// Who is asking, as far as the library knows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "role")]
pub enum Requester {
    /// A signed-in patron.
    Patron,
    /// A parent or legal guardian.
    Guardian,
    /// A member of the library's staff with the given role.
    Staff(LibraryRole),
    /// A contracted vendor's API client.
    Vendor,
    /// Anyone else: law enforcement, an agency, an attorney, a caller.
    Outside,
}

/// How the requester stands to the patron whose records are asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The requester is the patron.
    Subject,
    /// The requester is the patron's parent or guardian.
    Guardian,
    /// No relation.
    Unrelated,
}

/// A patron's written consent to disclosure, as recorded by the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consent<'a> {
    /// Whether it is in writing (signed form or signed electronic record).
    pub written: bool,
    /// To whom the patron consented.
    pub recipient: &'a str,
    /// Which kinds it covers.
    pub kinds: KindSet,
    /// Which fields it covers.
    pub fields: FieldSet,
    /// The day it was signed.
    pub signed_on: NaiveDate,
    /// The last day it is valid.
    pub expires_on: NaiveDate,
    /// Whether the patron has withdrawn it.
    pub revoked: bool,
}

/// A court order or a subpoena, as the custodian of records examined it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegalProcess {
    /// The role of whoever marked it verified; only the custodian's verification counts.
    pub verified_by: Option<LibraryRole>,
    /// What the court found.
    pub finding: CourtFinding,
    /// Whether it carries a non-disclosure order.
    pub nondisclosure_order: bool,
}

/// What a contracted vendor's contract grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorGrant<'a> {
    /// The vendor's identifier, matched against the requester's.
    pub vendor: &'a str,
    /// Kinds the contract covers.
    pub kinds: KindSet,
    /// Fields the contract covers.
    pub fields: FieldSet,
    /// The first day of the contract.
    pub starts_on: NaiveDate,
    /// The last day of the contract.
    pub ends_on: NaiveDate,
}

/// The legal basis a request claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis<'a> {
    /// The patron asks for their own records.
    PatronSelf {
        /// Whether the patron proved who they are (card and PIN, or identification at the desk).
        identity_verified: bool,
    },
    /// The patron's written consent.
    WrittenConsent(&'a Consent<'a>),
    /// An order of a court.
    CourtOrder(&'a LegalProcess),
    /// A subpoena without a court order.
    Subpoena(&'a LegalProcess),
    /// A letter or demand from an agency without a court order.
    AgencyRequest,
    /// A request by phone, email or in person without paper.
    InformalRequest,
    /// An emergency.
    Emergency {
        /// Whether someone's safety is in imminent danger.
        imminent_danger: bool,
    },
    /// A contracted vendor's grant.
    Vendor(&'a VendorGrant<'a>),
    /// Staff doing the library's own business.
    LibraryOperations {
        /// Why the record is read; must say something.
        purpose: &'a str,
    },
    /// A guardian asking for a minor's records.
    Guardian {
        /// The minor's date of birth.
        minor_date_of_birth: NaiveDate,
        /// Whether the library has verified the guardianship.
        relationship_verified: bool,
    },
}

/// A request to see library records about one patron.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisclosureRequest<'a> {
    /// Who asks.
    pub requester: Requester,
    /// The requester's identifier, matched against consents and grants.
    pub requester_id: &'a str,
    /// How they stand to the patron.
    pub relation: Relation,
    /// Which kinds of record.
    pub kinds: KindSet,
    /// Which fields.
    pub fields: FieldSet,
    /// On what basis.
    pub basis: Basis<'a>,
}

/// Something that must happen when a disclosure is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// Write the disclosure to the library's audit log.
    AuditLog,
    /// Tell the custodian of records.
    NotifyCustodian,
    /// Charge the cost of the search to the requester.
    ChargeSearchCost,
    /// Keep it out of the patron's access log (a non-disclosure order).
    Seal,
}

impl Obligation {
    /// Every obligation.
    pub const ALL: [Obligation; 4] = [
        Self::AuditLog,
        Self::NotifyCustodian,
        Self::ChargeSearchCost,
        Self::Seal,
    ];
}

bitset!(
    /// The obligations attached to an allowed disclosure.
    Obligations of Obligation
);

/// What an allowed disclosure covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// The kinds that may be disclosed.
    pub kinds: KindSet,
    /// The fields that may be disclosed.
    pub fields: FieldSet,
    /// The last day the permission holds, when the basis expires.
    pub until: Option<NaiveDate>,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The policy document is for another jurisdiction than the profile.
    ProfileMismatch,
    /// No kind or no field was asked for.
    NothingRequested,
    /// The requester's role does not fit the basis claimed.
    RequesterDoesNotFitBasis,
    /// The requester is not the patron.
    NotTheSubject,
    /// The patron's identity was not verified.
    IdentityNotVerified,
    /// The consent is not in writing.
    ConsentNotWritten,
    /// The consent was withdrawn.
    ConsentRevoked,
    /// The consent is not yet or no longer valid.
    ConsentNotInForce,
    /// The consent runs longer than the library allows.
    ConsentTooLong,
    /// The consent names someone else.
    ConsentForSomeoneElse,
    /// The request reaches past what the consent names.
    OutsideConsent,
    /// The custodian of records has not verified the legal process.
    NotVerifiedByCustodian,
    /// The court made no finding the statute requires.
    FindingNotSufficient,
    /// A subpoena is not a court order.
    SubpoenaWithoutCourtOrder,
    /// The library answers legal process only under a court order.
    LibraryRequiresCourtOrder,
    /// An agency's letter is not a court order.
    AgencyRequestRefused,
    /// A request without paper is not a court order.
    InformalRequestRefused,
    /// The statute has no emergency exception.
    NoEmergencyException,
    /// The library has switched off emergency disclosure.
    EmergencyDisabledByPolicy,
    /// No imminent danger was stated.
    DangerNotImminent,
    /// The vendor's contract has not begun or has ended.
    ContractNotInForce,
    /// The grant belongs to another vendor.
    GrantForSomeoneElse,
    /// The request reaches past the vendor's grant.
    OutsideVendorGrant,
    /// The grant reaches past what the library's policy permits vendors.
    GrantNotPermittedByPolicy,
    /// Staff stated no purpose.
    NoStatedPurpose,
    /// The statute gives guardians no access.
    NoGuardianException,
    /// The library has switched off guardian access.
    GuardianAccessDisabledByPolicy,
    /// The guardianship is not verified.
    GuardianNotVerified,
    /// The patron is not below the library's age for guardian access.
    NotAMinor,
}

impl DenyReason {
    /// The reason in words, for the requester and the audit log.
    pub const fn text(self) -> &'static str {
        match self {
            Self::ProfileMismatch => {
                "the library's policy document is for a different jurisdiction"
            }
            Self::NothingRequested => "the request names no record kind or field",
            Self::RequesterDoesNotFitBasis => "the requester cannot claim this basis",
            Self::NotTheSubject => "only the patron may ask for their own records",
            Self::IdentityNotVerified => "the patron's identity was not verified",
            Self::ConsentNotWritten => "consent must be in writing",
            Self::ConsentRevoked => "the patron withdrew the consent",
            Self::ConsentNotInForce => "the consent is not valid on this date",
            Self::ConsentTooLong => "the consent runs longer than the library allows",
            Self::ConsentForSomeoneElse => "the consent names a different recipient",
            Self::OutsideConsent => {
                "the request reaches past the kinds or fields the consent names"
            }
            Self::NotVerifiedByCustodian => {
                "the custodian of records has not verified the legal process"
            }
            Self::FindingNotSufficient => "the court order lacks the finding the statute requires",
            Self::SubpoenaWithoutCourtOrder => "a subpoena without a court order is refused",
            Self::LibraryRequiresCourtOrder => {
                "the library answers legal process only under a court order"
            }
            Self::AgencyRequestRefused => "an agency's request without a court order is refused",
            Self::InformalRequestRefused => {
                "a request without a court order or written consent is refused"
            }
            Self::NoEmergencyException => "the statute has no emergency exception",
            Self::EmergencyDisabledByPolicy => "the library does not disclose in emergencies",
            Self::DangerNotImminent => "no imminent danger was stated",
            Self::ContractNotInForce => "the vendor's contract is not in force on this date",
            Self::GrantForSomeoneElse => "the grant belongs to a different vendor",
            Self::OutsideVendorGrant => "the request reaches past the vendor's contract",
            Self::GrantNotPermittedByPolicy => {
                "the library's policy does not permit vendors these records"
            }
            Self::NoStatedPurpose => "staff must state a purpose",
            Self::NoGuardianException => "the statute gives guardians no access",
            Self::GuardianAccessDisabledByPolicy => "the library gives guardians no access",
            Self::GuardianNotVerified => "the guardianship is not verified",
            Self::NotAMinor => "the patron is not below the library's age for guardian access",
        }
    }
}

/// The answer to a disclosure request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// Disclose this scope and meet these obligations.
    Allow {
        /// What may be disclosed.
        scope: Scope,
        /// What must happen.
        obligations: Obligations,
        /// The clause that allows it.
        clause: Clause,
    },
    /// Refuse.
    Deny {
        /// Why.
        #[serde(serialize_with = "reason_with_text")]
        reason: DenyReason,
        /// The clause that refuses it.
        clause: Clause,
    },
}

fn reason_with_text<S: Serializer>(reason: &DenyReason, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut s = serializer.serialize_struct("DenyReason", 2)?;
    s.serialize_field("code", reason)?;
    s.serialize_field("text", reason.text())?;
    s.end()
}

impl Decision {
    /// Whether the request is allowed.
    pub const fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow { .. })
    }

    /// The clause that decides.
    pub const fn clause(&self) -> Clause {
        match self {
            Self::Allow { clause, .. } | Self::Deny { clause, .. } => *clause,
        }
    }
}

mod consent;
mod legal;
#[cfg(test)]
mod tests;
mod vendor;

const fn deny(reason: DenyReason, clause: Clause) -> Decision {
    Decision::Deny { reason, clause }
}

const AUDIT: Obligations = Obligations::of(&[Obligation::AuditLog]);

/// An allowance of exactly what was asked, until `until`.
fn allow(
    request: &DisclosureRequest<'_>,
    obligations: Obligations,
    clause: Clause,
    until: Option<NaiveDate>,
) -> Decision {
    Decision::Allow {
        scope: Scope {
            kinds: request.kinds,
            fields: request.fields,
            until,
        },
        obligations,
        clause,
    }
}

/// Decides a disclosure request under a profile and a library's policy on `today`.
pub fn decide(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &DisclosureRequest<'_>,
    today: NaiveDate,
) -> Decision {
    use DenyReason as R;
    if doc.jurisdiction() != profile.jurisdiction {
        return deny(R::ProfileMismatch, profile.confidentiality);
    }
    if request.kinds.is_empty() || request.fields.is_empty() {
        return deny(R::NothingRequested, profile.confidentiality);
    }
    match request.basis {
        Basis::PatronSelf { identity_verified } => {
            let clause = profile.patron_self;
            if request.requester != Requester::Patron || request.relation != Relation::Subject {
                return deny(R::NotTheSubject, clause);
            }
            if !identity_verified {
                return deny(R::IdentityNotVerified, clause);
            }
            allow(request, AUDIT, clause, None)
        }
        Basis::LibraryOperations { purpose } => {
            let clause = profile.operations;
            if !matches!(request.requester, Requester::Staff(_)) {
                return deny(R::RequesterDoesNotFitBasis, clause);
            }
            if purpose.trim().is_empty() {
                return deny(R::NoStatedPurpose, Clause::LibraryOperations);
            }
            allow(request, AUDIT, clause, None)
        }
        Basis::WrittenConsent(consent) => consent::written(profile, doc, request, consent, today),
        Basis::Guardian {
            minor_date_of_birth,
            relationship_verified,
        } => consent::guardian(
            profile,
            doc,
            request,
            minor_date_of_birth,
            relationship_verified,
            today,
        ),
        Basis::CourtOrder(order) => legal::court_order(profile, doc, request, order),
        Basis::Subpoena(subpoena) => legal::subpoena(profile, doc, request, subpoena),
        Basis::AgencyRequest => deny(R::AgencyRequestRefused, Clause::InformalDemandRefused),
        Basis::InformalRequest => deny(R::InformalRequestRefused, Clause::InformalDemandRefused),
        Basis::Emergency { imminent_danger } => {
            legal::emergency(profile, doc, request, imminent_danger)
        }
        Basis::Vendor(grant) => vendor::grant(profile, doc, request, grant, today),
    }
}
