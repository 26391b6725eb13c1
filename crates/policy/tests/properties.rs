//! The promises that must hold for every input, not just the examples.

use chrono::{Days, NaiveDate};
use policy::disclosure::{
    decide, Basis, Consent, DisclosureRequest, LegalProcess, Relation, Requester, VendorGrant,
};
use policy::document::PolicyDocument;
use policy::jurisdiction::{CourtFinding, Jurisdiction};
use policy::records::{FieldSet, KindSet, RecordKind};
use policy::retention::{purge_action, Charge, PurgeMethod, RecordFacts};
use policy::staff::LibraryRole;
use proptest::prelude::*;

fn jurisdiction() -> impl Strategy<Value = Jurisdiction> {
    prop::sample::select(Jurisdiction::ALL.to_vec())
}

fn kind() -> impl Strategy<Value = RecordKind> {
    prop::sample::select(RecordKind::ALL.to_vec())
}

fn day() -> impl Strategy<Value = NaiveDate> {
    (0u64..20_000)
        .prop_map(|d| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN) + Days::new(d))
}

fn kinds() -> impl Strategy<Value = KindSet> {
    (1u16..(1 << RecordKind::COUNT)).prop_map(KindSet::from_bits)
}

fn fields() -> impl Strategy<Value = FieldSet> {
    (1u16..(1 << 13)).prop_map(FieldSet::from_bits)
}

/// The values a library may set, drawn around its profile's limits so that
/// about half the documents are acceptable and half loosen something.
#[derive(Debug, Clone)]
struct Draft {
    j: Jurisdiction,
    emergency: bool,
    subpoena: bool,
    guardian: bool,
    consent_days: u32,
    age: u8,
    retention: Vec<(u32, bool)>,
    opt_in: bool,
}

impl Draft {
    fn toml(&self) -> String {
        let mut t = format!(
            "jurisdiction = \"{}\"\n[disclosure]\nemergency = {}\naccept_subpoena = {}\nguardian_access = {}\nconsent_max_days = {}\n[minors]\nage = {}\n[retention]\ncheckout_history_opt_in = {}\n",
            self.j.as_str(), self.emergency, self.subpoena, self.guardian, self.consent_days, self.age, self.opt_in
        );
        for (k, (days, delete)) in RecordKind::ALL.iter().zip(&self.retention) {
            t.push_str(&format!(
                "[retention.{}]\nkeep_days = {days}\nthen = \"{}\"\n",
                k.as_str(),
                if *delete { "delete" } else { "anonymize" }
            ));
        }
        t
    }

    /// Whether the statute allows every value (what the parser must decide).
    fn within_statute(&self) -> bool {
        let p = self.j.profile();
        (!self.emergency || p.emergency.is_some())
            && (!self.subpoena || p.subpoena.is_some())
            && (!self.guardian || p.guardian.is_some())
            && self.consent_days <= p.consent_max_days
            && self.age >= p.minor_age
            && self.age <= policy::document::MAX_MINOR_AGE
            && RecordKind::ALL
                .iter()
                .zip(&self.retention)
                .all(|(k, (days, delete))| {
                    let limit = p.retention[k.index()];
                    let then = if *delete {
                        PurgeMethod::Delete
                    } else {
                        PurgeMethod::Anonymize
                    };
                    *days <= limit.keep_days && then.at_least_as_strict_as(limit.then)
                })
    }
}

fn rarely() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.06)
}

fn draft() -> impl Strategy<Value = Draft> {
    jurisdiction().prop_flat_map(|j| {
        let p = j.profile();
        let retention: Vec<_> = RecordKind::ALL
            .iter()
            .map(|k| {
                let limit = p.retention[k.index()].keep_days;
                // Mostly within the limit, now and then a little past it.
                (prop_oneof![15 => 0..=limit, 1 => (limit + 1)..=(limit + 30)], prop::bool::weighted(0.5))
            })
            .collect();
        (
            rarely(),
            rarely(),
            rarely(),
            prop_oneof![15 => 0..=p.consent_max_days, 1 => (p.consent_max_days + 1)..=(p.consent_max_days + 100)],
            prop_oneof![15 => p.minor_age..=18u8, 1 => 0u8..=25],
            retention,
            any::<bool>(),
        )
            .prop_map(move |(emergency, subpoena, guardian, consent_days, age, retention, opt_in)| Draft {
                j,
                emergency,
                subpoena,
                guardian,
                consent_days,
                age,
                retention,
                opt_in,
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever a library writes, an accepted document is never looser than its statute.
    #[test]
    fn no_policy_document_loosens_its_statute(d in draft()) {
        let parsed = PolicyDocument::from_toml(&d.toml());
        // Accepted exactly when every value is within the statute; refusals name their key.
        prop_assert_eq!(parsed.is_ok(), d.within_statute(), "{:?}", parsed.as_ref().err().map(|e| e.to_string()));
        let Ok(doc) = parsed else { return Ok(()) };
        let j = d.j;
        let p = j.profile();
        prop_assert_eq!(doc.jurisdiction(), j);
        prop_assert!(doc.minor_age() >= p.minor_age);
        prop_assert!(doc.consent_max_days() <= p.consent_max_days);
        prop_assert!(!doc.emergency() || p.emergency.is_some());
        prop_assert!(!doc.accept_subpoena() || p.subpoena.is_some());
        prop_assert!(!doc.guardian_access() || p.guardian.is_some());
        prop_assert!(p.guardian_consent_fields.is_subset(doc.guardian_consent_fields()));
        prop_assert!(doc.vendor_kinds().is_subset(p.vendor_kinds));
        prop_assert!(doc.vendor_fields().is_subset(p.vendor_fields));
        for k in RecordKind::ALL {
            let (mine, limit) = (doc.schedule().rule(k), p.retention[k.index()]);
            prop_assert!(mine.keep_days <= limit.keep_days, "{:?} kept {} > {}", k, mine.keep_days, limit.keep_days);
            prop_assert!(mine.then.at_least_as_strict_as(limit.then));
        }
    }

    /// A subpoena, an agency's letter, a phone call, an unverified court order,
    /// staff without a purpose, an unverified patron, a consent that is not a
    /// valid written one, or a vendor outside its contract: never allowed.
    #[test]
    fn no_request_without_a_valid_basis_is_allowed(
        j in jurisdiction(),
        which in 0usize..9,
        role in prop::sample::select(LibraryRole::ALL.to_vec()),
        requester_pick in 0usize..5,
        k in kinds(),
        f in fields(),
        today in day(),
        offset in 1u64..400,
        blank in "[ \t]{0,3}",
    ) {
        let doc = PolicyDocument::shipped(j).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let requester = [Requester::Patron, Requester::Guardian, Requester::Staff(role), Requester::Vendor, Requester::Outside][requester_pick];
        let unverified = LegalProcess { verified_by: Some(LibraryRole::Staff), finding: CourtFinding::GoodCause, nondisclosure_order: false };
        let subpoena = LegalProcess { verified_by: Some(LibraryRole::Custodian), finding: CourtFinding::GoodCause, nondisclosure_order: false };
        let expired = Consent { written: true, recipient: "x", kinds: k, fields: f, signed_on: today - Days::new(offset + 30), expires_on: today - Days::new(offset), revoked: false };
        let unwritten = Consent { written: false, recipient: "x", kinds: k, fields: f, signed_on: today, expires_on: today + Days::new(30), revoked: false };
        let revoked = Consent { revoked: true, ..unwritten };
        let lapsed = VendorGrant { vendor: "x", kinds: KindSet::all(), fields: FieldSet::all(), starts_on: today - Days::new(offset + 30), ends_on: today - Days::new(offset) };
        let basis = match which {
            0 => Basis::Subpoena(&subpoena),
            1 => Basis::AgencyRequest,
            2 => Basis::InformalRequest,
            3 => Basis::CourtOrder(&unverified),
            4 => Basis::LibraryOperations { purpose: &blank },
            5 => Basis::PatronSelf { identity_verified: false },
            6 => Basis::WrittenConsent(&expired),
            7 => Basis::WrittenConsent(if offset % 2 == 0 { &unwritten } else { &revoked }),
            _ => Basis::Vendor(&lapsed),
        };
        // A subpoena is the one basis a profile may accept; none of ours does.
        prop_assume!(!(which == 0 && j.profile().subpoena.is_some() && doc.accept_subpoena()));
        let request = DisclosureRequest { requester, requester_id: "x", relation: Relation::Unrelated, kinds: k, fields: f, basis };
        let decision = decide(j.profile(), &doc, &request, today);
        prop_assert!(!decision.is_allowed(), "{:?} allowed {:?}", which, decision);
    }

    /// Once its time is up, a linked record that owes nothing and was not opted
    /// into history is always purged; nothing keeps it past the limit.
    #[test]
    fn retention_never_keeps_identifying_data_past_its_limit(
        j in jurisdiction(),
        k in kind(),
        closed in day(),
        settled_after in prop::option::of(0u64..400),
        late in 0u64..3_000,
        opt_in in any::<bool>(),
    ) {
        let doc = PolicyDocument::shipped(j).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let charge = match settled_after {
            Some(d) => Charge::SettledOn(closed + Days::new(d)),
            None => Charge::None,
        };
        let start = match charge { Charge::SettledOn(s) => s, _ => closed };
        let limit = doc.schedule().rule(k).keep_days;
        let today = start + Days::new(u64::from(limit) + late);
        let history = opt_in && k == RecordKind::Circulation && doc.schedule().checkout_history_opt_in();
        let facts = RecordFacts { kind: k, linked: true, closed_on: Some(closed), history_opt_in: opt_in, charge };
        let action = purge_action(doc.schedule(), &facts, today);
        if history {
            prop_assert!(!action.is_due());
        } else {
            prop_assert!(action.is_due(), "{:?} kept at day {} past a limit of {}: {:?}", k, late, limit, action);
            let want = doc.schedule().rule(k).then;
            let deletes = matches!(action, policy::retention::PurgeAction::Delete { .. });
            prop_assert_eq!(deletes, want == PurgeMethod::Delete);
        }
        // Before the limit, and while a charge is owed, it stays.
        let owed = RecordFacts { charge: Charge::Outstanding, ..facts };
        prop_assert!(!purge_action(doc.schedule(), &owed, today).is_due());
    }
}
