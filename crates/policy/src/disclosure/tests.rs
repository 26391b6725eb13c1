//! The disclosure rules, basis by basis, with the clause each answer cites.
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

fn request(requester: Requester, relation: Relation, basis: Basis<'_>) -> DisclosureRequest<'_> {
    let (kinds, fields) = loans();
    DisclosureRequest {
        requester,
        requester_id: "someone",
        relation,
        kinds,
        fields,
        basis,
    }
}

fn run(j: Jurisdiction, r: &DisclosureRequest<'_>) -> Decision {
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

fn card_check<'a>(g: &'a VendorGrant<'a>) -> DisclosureRequest<'a> {
    DisclosureRequest {
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
