//! Who may see which library records, on what legal basis, and what must
//! happen when they do. Every answer carries the clause that decides it.
//!
//! A request is allowed only for exactly what it asks: if it reaches past its
//! basis (a kind the consent does not name, a field the contract does not
//! grant) it is refused rather than trimmed, so that the requester learns
//! what the basis covers and the audit log shows what was asked.

use crate::clause::Clause;
use crate::document::PolicyDocument;
use crate::jurisdiction::{CourtFinding, Profile};
use crate::minors::age_on;
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
pub struct Request<'a> {
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

const fn deny(reason: DenyReason, clause: Clause) -> Decision {
    Decision::Deny { reason, clause }
}

const AUDIT: Obligations = Obligations::of(&[Obligation::AuditLog]);

/// Decides a disclosure request under a profile and a library's policy on `today`.
pub fn decide(
    profile: &Profile,
    doc: &PolicyDocument,
    request: &Request<'_>,
    today: NaiveDate,
) -> Decision {
    use DenyReason as R;
    if doc.jurisdiction() != profile.jurisdiction {
        return deny(R::ProfileMismatch, profile.confidentiality);
    }
    if request.kinds.is_empty() || request.fields.is_empty() {
        return deny(R::NothingRequested, profile.confidentiality);
    }
    let asked = Scope {
        kinds: request.kinds,
        fields: request.fields,
        until: None,
    };
    let allow =
        |obligations: Obligations, clause: Clause, until: Option<NaiveDate>| Decision::Allow {
            scope: Scope { until, ..asked },
            obligations,
            clause,
        };

    match request.basis {
        Basis::PatronSelf { identity_verified } => {
            let clause = profile.patron_self;
            if request.requester != Requester::Patron || request.relation != Relation::Subject {
                return deny(R::NotTheSubject, clause);
            }
            if !identity_verified {
                return deny(R::IdentityNotVerified, clause);
            }
            allow(AUDIT, clause, None)
        }
        Basis::WrittenConsent(consent) => {
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
            if !request.kinds.is_subset(consent.kinds) || !request.fields.is_subset(consent.fields)
            {
                return deny(R::OutsideConsent, clause);
            }
            allow(AUDIT, clause, Some(consent.expires_on))
        }
        Basis::CourtOrder(order) => {
            if order.verified_by != Some(LibraryRole::Custodian) {
                return deny(R::NotVerifiedByCustodian, Clause::CustodianDecides);
            }
            if !profile.accepts_finding(order.finding) {
                return deny(R::FindingNotSufficient, profile.court_order);
            }
            allow(legal_obligations(doc, order), profile.court_order, None)
        }
        Basis::Subpoena(subpoena) => {
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
            allow(legal_obligations(doc, subpoena), clause, None)
        }
        Basis::AgencyRequest => deny(R::AgencyRequestRefused, Clause::InformalDemandRefused),
        Basis::InformalRequest => deny(R::InformalRequestRefused, Clause::InformalDemandRefused),
        Basis::Emergency { imminent_danger } => {
            let Some(clause) = profile.emergency else {
                return deny(R::NoEmergencyException, profile.confidentiality);
            };
            if !doc.emergency() {
                return deny(R::EmergencyDisabledByPolicy, Clause::LibraryDisabledBasis);
            }
            if !imminent_danger {
                return deny(R::DangerNotImminent, clause);
            }
            allow(AUDIT.with(Obligation::NotifyCustodian), clause, None)
        }
        Basis::Vendor(grant) => {
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
            allow(AUDIT, clause, Some(grant.ends_on))
        }
        Basis::LibraryOperations { purpose } => {
            let clause = profile.operations;
            if !matches!(request.requester, Requester::Staff(_)) {
                return deny(R::RequesterDoesNotFitBasis, clause);
            }
            if purpose.trim().is_empty() {
                return deny(R::NoStatedPurpose, Clause::LibraryOperations);
            }
            allow(AUDIT, clause, None)
        }
        Basis::Guardian {
            minor_date_of_birth,
            relationship_verified,
        } => {
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
            allow(AUDIT, clause, None)
        }
    }
}

fn legal_obligations(doc: &PolicyDocument, process: &LegalProcess) -> Obligations {
    let mut o = AUDIT.with(Obligation::NotifyCustodian);
    if doc.charge_search_cost() {
        o = o.with(Obligation::ChargeSearchCost);
    }
    if process.nondisclosure_order {
        o = o.with(Obligation::Seal);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction::Jurisdiction;
    use crate::records::{Field, RecordKind};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or(NaiveDate::MIN)
    }

    const TODAY: &str = "2025-06-01";

    fn doc(j: Jurisdiction) -> PolicyDocument {
        PolicyDocument::shipped(j).unwrap_or_else(|_| PolicyDocument::widest(j.profile()))
    }

    fn loans() -> (KindSet, FieldSet) {
        (
            KindSet::of(&[RecordKind::Circulation]),
            FieldSet::of(&[Field::Name, Field::CardNumber, Field::TitlesBorrowed]),
        )
    }

    fn request(requester: Requester, relation: Relation, basis: Basis<'_>) -> Request<'_> {
        let (kinds, fields) = loans();
        Request {
            requester,
            requester_id: "someone",
            relation,
            kinds,
            fields,
            basis,
        }
    }

    fn run(j: Jurisdiction, r: &Request<'_>) -> Decision {
        decide(j.profile(), &doc(j), r, day(TODAY))
    }

    fn denied(d: Decision) -> (DenyReason, Clause) {
        match d {
            Decision::Deny { reason, clause } => (reason, clause),
            Decision::Allow { .. } => panic!("expected a denial, got {d:?}"),
        }
    }

    fn allowed(d: Decision) -> (Scope, Obligations, Clause) {
        match d {
            Decision::Allow {
                scope,
                obligations,
                clause,
            } => (scope, obligations, clause),
            Decision::Deny { .. } => panic!("expected an allowance, got {d:?}"),
        }
    }

    fn order(finding: CourtFinding) -> LegalProcess {
        LegalProcess {
            verified_by: Some(LibraryRole::Custodian),
            finding,
            nondisclosure_order: false,
        }
    }

    #[test]
    fn patron_sees_own_records_in_missouri_under_182_817_1_1() {
        let r = request(
            Requester::Patron,
            Relation::Subject,
            Basis::PatronSelf {
                identity_verified: true,
            },
        );
        let (scope, obligations, clause) = allowed(run(Jurisdiction::Missouri, &r));
        assert_eq!(clause, Clause::Mo182817WrittenRequest);
        assert_eq!(scope.kinds, r.kinds);
        assert!(obligations.contains(Obligation::AuditLog));
    }

    #[test]
    fn patron_self_needs_the_patron_and_a_verified_identity() {
        let r = request(
            Requester::Patron,
            Relation::Unrelated,
            Basis::PatronSelf {
                identity_verified: true,
            },
        );
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)).0,
            DenyReason::NotTheSubject
        );
        let r = request(
            Requester::Staff(LibraryRole::Staff),
            Relation::Subject,
            Basis::PatronSelf {
                identity_verified: true,
            },
        );
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)).0,
            DenyReason::NotTheSubject
        );
        let r = request(
            Requester::Patron,
            Relation::Subject,
            Basis::PatronSelf {
                identity_verified: false,
            },
        );
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)),
            (DenyReason::IdentityNotVerified, Clause::PatronOwnRecords)
        );
    }

    fn consent(kinds: KindSet, fields: FieldSet) -> Consent<'static> {
        Consent {
            written: true,
            recipient: "someone",
            kinds,
            fields,
            signed_on: day("2025-05-01"),
            expires_on: day("2025-08-01"),
            revoked: false,
        }
    }

    #[test]
    fn written_consent_allows_what_it_names_until_it_expires() {
        let (k, f) = loans();
        let c = consent(k, f);
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::WrittenConsent(&c),
        );
        let (scope, _, clause) = allowed(run(Jurisdiction::NorthCarolina, &r));
        assert_eq!(clause, Clause::Nc12519WrittenConsent);
        assert_eq!(scope.until, Some(day("2025-08-01")));
        let (_, _, clause) = allowed(run(Jurisdiction::Missouri, &r));
        assert_eq!(clause, Clause::Mo182817WrittenRequest);
    }

    #[test]
    fn consent_is_scoped_to_its_kinds_and_fields() {
        let (k, f) = loans();
        let narrow = consent(k, FieldSet::of(&[Field::Name]));
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::WrittenConsent(&narrow),
        );
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &r)).0,
            DenyReason::OutsideConsent
        );
        let other_kind = consent(KindSet::of(&[RecordKind::EventRegistration]), f);
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::WrittenConsent(&other_kind),
        );
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &r)).0,
            DenyReason::OutsideConsent
        );
    }

    #[test]
    fn consent_must_be_written_current_unrevoked_and_addressed() {
        let (k, f) = loans();
        let cases = [
            (
                Consent {
                    written: false,
                    ..consent(k, f)
                },
                DenyReason::ConsentNotWritten,
            ),
            (
                Consent {
                    revoked: true,
                    ..consent(k, f)
                },
                DenyReason::ConsentRevoked,
            ),
            (
                Consent {
                    expires_on: day("2025-05-31"),
                    ..consent(k, f)
                },
                DenyReason::ConsentNotInForce,
            ),
            (
                Consent {
                    signed_on: day("2025-06-02"),
                    ..consent(k, f)
                },
                DenyReason::ConsentNotInForce,
            ),
            (
                Consent {
                    expires_on: day("2026-06-01"),
                    ..consent(k, f)
                },
                DenyReason::ConsentTooLong,
            ),
            (
                Consent {
                    recipient: "someone else",
                    ..consent(k, f)
                },
                DenyReason::ConsentForSomeoneElse,
            ),
        ];
        for (c, reason) in cases {
            let r = request(
                Requester::Outside,
                Relation::Unrelated,
                Basis::WrittenConsent(&c),
            );
            assert_eq!(denied(run(Jurisdiction::Generic, &r)).0, reason);
        }
    }

    #[test]
    fn missouri_court_order_needs_the_2014_finding() {
        let good_cause = order(CourtFinding::GoodCause);
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::CourtOrder(&good_cause),
        );
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &r)),
            (DenyReason::FindingNotSufficient, Clause::Mo182817CourtOrder)
        );
        let safety = order(CourtFinding::NecessaryForPublicSafety);
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::CourtOrder(&safety),
        );
        let (_, obligations, clause) = allowed(run(Jurisdiction::Missouri, &r));
        assert_eq!(clause, Clause::Mo182817CourtOrder);
        assert!(obligations.contains(Obligation::ChargeSearchCost));
        assert!(obligations.contains(Obligation::AuditLog));
        assert!(!obligations.contains(Obligation::Seal));
    }

    #[test]
    fn court_order_elsewhere_needs_good_cause_shown() {
        let none = order(CourtFinding::None);
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::CourtOrder(&none),
        );
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)),
            (DenyReason::FindingNotSufficient, Clause::AlaGoodCause)
        );
        let good = order(CourtFinding::GoodCause);
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::CourtOrder(&good),
        );
        assert_eq!(
            allowed(run(Jurisdiction::Kansas, &r)).2,
            Clause::AlaGoodCause
        );
        assert_eq!(
            allowed(run(Jurisdiction::Generic, &r)).2,
            Clause::AlaGoodCause
        );
        assert_eq!(
            allowed(run(Jurisdiction::NorthCarolina, &r)).2,
            Clause::Nc12519LegalProcess
        );
    }

    #[test]
    fn only_the_custodian_verifies_legal_process() {
        for verified_by in [None, Some(LibraryRole::Staff), Some(LibraryRole::Admin)] {
            let o = LegalProcess {
                verified_by,
                ..order(CourtFinding::NecessaryToProsecuteCrime)
            };
            let r = request(
                Requester::Outside,
                Relation::Unrelated,
                Basis::CourtOrder(&o),
            );
            assert_eq!(
                denied(run(Jurisdiction::Missouri, &r)),
                (DenyReason::NotVerifiedByCustodian, Clause::CustodianDecides)
            );
        }
    }

    #[test]
    fn a_nondisclosure_order_seals_and_search_cost_follows_policy() {
        let o = LegalProcess {
            nondisclosure_order: true,
            ..order(CourtFinding::GoodCause)
        };
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::CourtOrder(&o),
        );
        let (_, obligations, _) = allowed(run(Jurisdiction::Generic, &r));
        assert!(obligations.contains(Obligation::Seal));
        assert!(obligations.contains(Obligation::NotifyCustodian));
        let no_charge = PolicyDocument::from_toml(
            "jurisdiction = \"generic\"\n[disclosure]\ncharge_search_cost = false\n",
        );
        if let Ok(no_charge) = no_charge {
            let (_, obligations, _) = allowed(decide(
                Jurisdiction::Generic.profile(),
                &no_charge,
                &r,
                day(TODAY),
            ));
            assert!(!obligations.contains(Obligation::ChargeSearchCost));
        } else {
            panic!("document should parse");
        }
    }

    #[test]
    fn subpoenas_agency_letters_and_phone_calls_are_refused() {
        let s = order(CourtFinding::None);
        for j in [
            Jurisdiction::Missouri,
            Jurisdiction::Kansas,
            Jurisdiction::Generic,
        ] {
            let r = request(Requester::Outside, Relation::Unrelated, Basis::Subpoena(&s));
            assert_eq!(denied(run(j, &r)).0, DenyReason::SubpoenaWithoutCourtOrder);
        }
        let r = request(Requester::Outside, Relation::Unrelated, Basis::Subpoena(&s));
        assert_eq!(
            denied(run(Jurisdiction::NorthCarolina, &r)),
            (
                DenyReason::LibraryRequiresCourtOrder,
                Clause::LibraryRequiresCourtOrder
            )
        );
        for j in Jurisdiction::ALL {
            let r = request(
                Requester::Outside,
                Relation::Unrelated,
                Basis::AgencyRequest,
            );
            assert_eq!(
                denied(run(j, &r)),
                (
                    DenyReason::AgencyRequestRefused,
                    Clause::InformalDemandRefused
                )
            );
            let r = request(
                Requester::Outside,
                Relation::Unrelated,
                Basis::InformalRequest,
            );
            assert_eq!(
                denied(run(j, &r)),
                (
                    DenyReason::InformalRequestRefused,
                    Clause::InformalDemandRefused
                )
            );
        }
    }

    #[test]
    fn north_carolina_subpoena_where_the_library_accepts_it() {
        let nc = PolicyDocument::widest(Jurisdiction::NorthCarolina.profile());
        let s = LegalProcess {
            nondisclosure_order: true,
            ..order(CourtFinding::None)
        };
        let r = request(Requester::Outside, Relation::Unrelated, Basis::Subpoena(&s));
        let (_, obligations, clause) = allowed(decide(
            Jurisdiction::NorthCarolina.profile(),
            &nc,
            &r,
            day(TODAY),
        ));
        assert_eq!(clause, Clause::Nc12519LegalProcess);
        assert!(obligations.contains(Obligation::Seal));
        let unverified = LegalProcess {
            verified_by: None,
            ..s
        };
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::Subpoena(&unverified),
        );
        assert_eq!(
            denied(decide(
                Jurisdiction::NorthCarolina.profile(),
                &nc,
                &r,
                day(TODAY)
            ))
            .0,
            DenyReason::NotVerifiedByCustodian
        );
    }

    #[test]
    fn emergency_only_where_the_profile_and_policy_allow() {
        let e = Basis::Emergency {
            imminent_danger: true,
        };
        let r = request(Requester::Outside, Relation::Unrelated, e);
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &r)),
            (
                DenyReason::NoEmergencyException,
                Clause::Mo182817ReleaseOnlyAsListed
            )
        );
        assert_eq!(
            denied(run(Jurisdiction::NorthCarolina, &r)),
            (
                DenyReason::NoEmergencyException,
                Clause::Nc12519NoDisclosure
            )
        );
        let (_, obligations, clause) = allowed(run(Jurisdiction::Kansas, &r));
        assert_eq!(clause, Clause::EmergencyImminentDanger);
        assert!(obligations.contains(Obligation::NotifyCustodian));
        let off = PolicyDocument::from_toml("jurisdiction = \"kansas\"\n")
            .unwrap_or_else(|_| doc(Jurisdiction::Kansas));
        assert_eq!(
            denied(decide(Jurisdiction::Kansas.profile(), &off, &r, day(TODAY))).0,
            DenyReason::EmergencyDisabledByPolicy
        );
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::Emergency {
                imminent_danger: false,
            },
        );
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)).0,
            DenyReason::DangerNotImminent
        );
    }

    fn grant() -> VendorGrant<'static> {
        VendorGrant {
            vendor: "someone",
            kinds: KindSet::of(&[RecordKind::CardRegistration]),
            fields: FieldSet::of(&[Field::CardNumber, Field::Name]),
            starts_on: day("2025-01-01"),
            ends_on: day("2025-12-31"),
        }
    }

    fn card_check<'a>(g: &'a VendorGrant<'a>) -> Request<'a> {
        Request {
            requester: Requester::Vendor,
            requester_id: "someone",
            relation: Relation::Unrelated,
            kinds: KindSet::of(&[RecordKind::CardRegistration]),
            fields: FieldSet::of(&[Field::CardNumber]),
            basis: Basis::Vendor(g),
        }
    }

    #[test]
    fn vendor_within_grant_and_contract() {
        let g = grant();
        let (scope, _, clause) = allowed(run(Jurisdiction::Missouri, &card_check(&g)));
        assert_eq!(clause, Clause::Mo182817ContractedThirdParty);
        assert_eq!(scope.until, Some(day("2025-12-31")));
        assert_eq!(
            allowed(run(Jurisdiction::Kansas, &card_check(&g))).2,
            Clause::VendorContract
        );
    }

    #[test]
    fn vendor_outside_grant_contract_or_policy_is_refused() {
        let ended = VendorGrant {
            ends_on: day("2025-05-31"),
            ..grant()
        };
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &card_check(&ended))).0,
            DenyReason::ContractNotInForce
        );
        let narrow = VendorGrant {
            fields: FieldSet::of(&[Field::Name]),
            ..grant()
        };
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &card_check(&narrow))).0,
            DenyReason::OutsideVendorGrant
        );
        let other = VendorGrant {
            vendor: "other",
            ..grant()
        };
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &card_check(&other))).0,
            DenyReason::GrantForSomeoneElse
        );
        // Kansas's document permits vendors only card registration and digital use.
        let wide = VendorGrant {
            kinds: KindSet::all(),
            fields: FieldSet::all(),
            ..grant()
        };
        let mut r = card_check(&wide);
        r.kinds = KindSet::of(&[RecordKind::Circulation]);
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)),
            (
                DenyReason::GrantNotPermittedByPolicy,
                Clause::VendorContract
            )
        );
        r.requester = Requester::Outside;
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)).0,
            DenyReason::RequesterDoesNotFitBasis
        );
    }

    #[test]
    fn staff_operations_need_a_stated_purpose() {
        let staff = Requester::Staff(LibraryRole::Staff);
        let r = request(
            staff,
            Relation::Unrelated,
            Basis::LibraryOperations {
                purpose: "overdue notice",
            },
        );
        assert_eq!(
            allowed(run(Jurisdiction::Missouri, &r)).2,
            Clause::LibraryOperations
        );
        assert_eq!(
            allowed(run(Jurisdiction::NorthCarolina, &r)).2,
            Clause::Nc12519Operations
        );
        let r = request(
            staff,
            Relation::Unrelated,
            Basis::LibraryOperations { purpose: "  " },
        );
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &r)),
            (DenyReason::NoStatedPurpose, Clause::LibraryOperations)
        );
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::LibraryOperations { purpose: "curious" },
        );
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &r)).0,
            DenyReason::RequesterDoesNotFitBasis
        );
    }

    #[test]
    fn guardian_of_a_young_child_where_allowed() {
        let basis = Basis::Guardian {
            minor_date_of_birth: day("2015-06-02"),
            relationship_verified: true,
        };
        let r = request(Requester::Guardian, Relation::Guardian, basis);
        assert_eq!(
            allowed(run(Jurisdiction::Generic, &r)).2,
            Clause::GuardianOfMinor
        );
        assert_eq!(
            denied(run(Jurisdiction::Missouri, &r)),
            (
                DenyReason::NoGuardianException,
                Clause::Mo182817ReleaseOnlyAsListed
            )
        );
        assert_eq!(
            denied(run(Jurisdiction::Kansas, &r)),
            (
                DenyReason::GuardianAccessDisabledByPolicy,
                Clause::ChildrenSamePrivacy
            )
        );
        let thirteen = Basis::Guardian {
            minor_date_of_birth: day("2012-06-01"),
            relationship_verified: true,
        };
        let r = request(Requester::Guardian, Relation::Guardian, thirteen);
        assert_eq!(
            denied(run(Jurisdiction::Generic, &r)).0,
            DenyReason::NotAMinor
        );
        let unverified = Basis::Guardian {
            minor_date_of_birth: day("2015-06-02"),
            relationship_verified: false,
        };
        let r = request(Requester::Guardian, Relation::Guardian, unverified);
        assert_eq!(
            denied(run(Jurisdiction::Generic, &r)).0,
            DenyReason::GuardianNotVerified
        );
    }

    #[test]
    fn empty_requests_and_mismatched_documents_are_refused() {
        let mut r = request(
            Requester::Patron,
            Relation::Subject,
            Basis::PatronSelf {
                identity_verified: true,
            },
        );
        r.fields = FieldSet::EMPTY;
        assert_eq!(
            denied(run(Jurisdiction::Generic, &r)).0,
            DenyReason::NothingRequested
        );
        let r = request(
            Requester::Patron,
            Relation::Subject,
            Basis::PatronSelf {
                identity_verified: true,
            },
        );
        let d = decide(
            Jurisdiction::Missouri.profile(),
            &doc(Jurisdiction::Kansas),
            &r,
            day(TODAY),
        );
        assert_eq!(denied(d).0, DenyReason::ProfileMismatch);
    }

    #[test]
    fn decisions_serialize_for_the_audit_log() {
        let r = request(
            Requester::Outside,
            Relation::Unrelated,
            Basis::AgencyRequest,
        );
        let json = serde_json::to_string(&run(Jurisdiction::Missouri, &r)).unwrap_or_default();
        assert!(json.contains(r#""outcome":"deny""#), "{json}");
        assert!(
            json.contains(r#""code":"agency_request_refused""#),
            "{json}"
        );
        assert!(
            json.contains(r#""code":"library.court_order_required""#),
            "{json}"
        );
        let r = request(
            Requester::Patron,
            Relation::Subject,
            Basis::PatronSelf {
                identity_verified: true,
            },
        );
        let json = serde_json::to_string(&run(Jurisdiction::Missouri, &r)).unwrap_or_default();
        assert!(json.contains(r#""obligations":["audit_log"]"#), "{json}");
        assert!(json.contains(r#""kinds":["circulation"]"#), "{json}");
    }
}
