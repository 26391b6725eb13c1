//! Properties that must hold for every input, not just the examples.

use chrono::{Days, NaiveDate};
use policy::disclosure::{decide, Basis, Relation, Request, Requester};
use policy::document::PolicyDocument;
use policy::jurisdiction::Jurisdiction;
use policy::masking::{mask_card, mask_payment_card};
use policy::records::{FieldSet, KindSet, RecordKind};
use policy::retention::{purge_action, Charge, PurgeAction, RecordFacts, Schedule};
use proptest::prelude::*;

fn jurisdiction() -> impl Strategy<Value = Jurisdiction> {
    prop::sample::select(Jurisdiction::ALL.to_vec())
}

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or(NaiveDate::MIN)
}

proptest! {
    #[test]
    fn no_policy_document_loosens_its_statute(
        j in jurisdiction(),
        emergency in any::<bool>(),
        subpoena in any::<bool>(),
        guardian in any::<bool>(),
        consent_days in 0u32..1000,
        age in 0u8..30,
        keep in prop::collection::vec(0u32..4000, 8),
        delete in prop::collection::vec(any::<bool>(), 8),
    ) {
        let mut text = format!(
            "jurisdiction = \"{}\"\n[disclosure]\nemergency = {emergency}\naccept_subpoena = {subpoena}\nguardian_access = {guardian}\nconsent_max_days = {consent_days}\n[minors]\nage = {age}\n",
            j.as_str()
        );
        for (i, kind) in RecordKind::ALL.iter().enumerate() {
            let then = if delete[i] { "delete" } else { "anonymize" };
            text.push_str(&format!("[retention.{}]\nkeep_days = {}\nthen = \"{then}\"\n", kind.as_str(), keep[i]));
        }
        if let Ok(doc) = PolicyDocument::from_toml(&text) {
            let p = j.profile();
            prop_assert!(!doc.emergency() || p.emergency.is_some());
            prop_assert!(!doc.accept_subpoena() || p.subpoena.is_some());
            prop_assert!(!doc.guardian_access() || p.guardian.is_some());
            prop_assert!(doc.consent_max_days() <= p.consent_max_days);
            prop_assert!(doc.minor_age() >= p.minor_age);
            prop_assert!(p.guardian_consent_fields.is_subset(doc.guardian_consent_fields()));
            for kind in RecordKind::ALL {
                let rule = doc.schedule().rule(kind);
                let limit = p.retention_limit(kind);
                prop_assert!(rule.keep_days <= limit.keep_days);
                prop_assert!(rule.then.at_least_as_strict_as(limit.then));
            }
        }
    }

    #[test]
    fn no_request_without_a_valid_basis_is_allowed(
        j in jurisdiction(),
        kinds in 0u16..256,
        fields in 0u16..8192,
        which in 0u8..3,
        role in 0u8..5,
    ) {
        let basis = match which {
            0 => Basis::AgencyRequest,
            1 => Basis::InformalRequest,
            _ => Basis::LibraryOperations { purpose: "" },
        };
        let requester = match role {
            0 => Requester::Patron,
            1 => Requester::Guardian,
            2 => Requester::Vendor,
            3 => Requester::Outside,
            _ => Requester::Staff(policy::staff::LibraryRole::Custodian),
        };
        let r = Request {
            requester,
            requester_id: "x",
            relation: Relation::Unrelated,
            kinds: KindSet::from_bits(kinds),
            fields: FieldSet::from_bits(fields),
            basis,
        };
        let doc = PolicyDocument::widest(j.profile());
        prop_assert!(!decide(j.profile(), &doc, &r, base()).is_allowed());
    }

    #[test]
    fn masking_never_reveals_more_than_the_last_four(number in "[0-9A-Za-z -]{0,30}") {
        for masked in [mask_card(&number), mask_payment_card(&number)] {
            let shown: String = masked.chars().filter(|c| *c != '*').collect();
            prop_assert!(shown.chars().count() <= 4);
            let clean: String = number.chars().filter(|c| c.is_alphanumeric()).collect();
            prop_assert!(clean.ends_with(&shown) || shown.is_empty() || number.chars().filter(char::is_ascii_digit).collect::<String>().ends_with(&shown));
        }
    }

    #[test]
    fn retention_never_keeps_identifying_data_past_its_limit(
        j in jurisdiction(),
        kind in prop::sample::select(RecordKind::ALL.to_vec()),
        closed in 0u64..4000,
        settled in prop::option::of(0u64..4000),
        elapsed in 0u64..6000,
    ) {
        let schedule = Schedule::from_profile(j.profile());
        let closed_on = base().checked_add_days(Days::new(closed)).unwrap_or(NaiveDate::MAX);
        let charge = match settled {
            Some(d) => Charge::SettledOn(base().checked_add_days(Days::new(d)).unwrap_or(NaiveDate::MAX)),
            None => Charge::None,
        };
        let facts = RecordFacts { kind, linked: true, closed_on: Some(closed_on), history_opt_in: false, charge };
        let start = match charge { Charge::SettledOn(s) if s > closed_on => s, _ => closed_on };
        let deadline = start.checked_add_days(Days::new(u64::from(j.profile().retention_limit(kind).keep_days))).unwrap_or(NaiveDate::MAX);
        let today = base().checked_add_days(Days::new(elapsed)).unwrap_or(NaiveDate::MAX);
        let action = purge_action(&schedule, &facts, today);
        if today >= deadline {
            prop_assert!(action.is_due(), "{action:?}");
        }
        if let PurgeAction::Keep { until: Some(until), .. } = action {
            prop_assert!(until <= deadline);
        }
    }
}
