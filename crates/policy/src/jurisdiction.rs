//! Jurisdiction profiles: what each statute allows, and the outer limits a
//! library's own policy document may tighten but never loosen.
//!
//! Retention limits are not in any of these statutes; they are the
//! consortium's reading of "the shortest length of time possible" and are the
//! same in every profile so that a library moving state keeps its promises.

use crate::clause::Clause;
use crate::records::{Field, FieldSet, KindSet, RecordKind, IDENTITY_FIELDS};
use crate::retention::{PurgeMethod, RetentionRule, Schedule};
use serde::{Deserialize, Serialize};

/// A legal regime a member library is subject to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// Missouri: RSMo 182.815 and 182.817.
    Missouri,
    /// Kansas: K.S.A. 45-221(a)(23).
    Kansas,
    /// North Carolina: G.S. 125-18 and 125-19.
    NorthCarolina,
    /// No state statute relied on: the ALA Code of Ethics, article III.
    Generic,
}

impl Jurisdiction {
    /// The clause that says aggregates are not library records under this statute.
    pub const fn aggregate_clause(self) -> Clause {
        match self {
            Jurisdiction::Missouri => Clause::Mo182815LibraryRecord,
            Jurisdiction::NorthCarolina => Clause::Nc12518LibraryRecord,
            Jurisdiction::Kansas | Jurisdiction::Generic => Clause::AggregatesNotRecords,
        }
    }

    /// Every jurisdiction.
    pub const ALL: [Jurisdiction; 4] = [
        Self::Missouri,
        Self::Kansas,
        Self::NorthCarolina,
        Self::Generic,
    ];

    /// The profile for this jurisdiction.
    pub const fn profile(self) -> &'static Profile {
        match self {
            Self::Missouri => &MISSOURI,
            Self::Kansas => &KANSAS,
            Self::NorthCarolina => &NORTH_CAROLINA,
            Self::Generic => &GENERIC,
        }
    }

    /// The stable name used in policy documents.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Missouri => "missouri",
            Self::Kansas => "kansas",
            Self::NorthCarolina => "north_carolina",
            Self::Generic => "generic",
        }
    }
}

/// What a court must have found before its order releases records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CourtFinding {
    /// Good cause was shown (ALA policy; RSMo 182.817 before 2014).
    GoodCause,
    /// Disclosure is necessary to protect public safety (RSMo 182.817.1(2)).
    NecessaryForPublicSafety,
    /// Disclosure is necessary to prosecute a crime (RSMo 182.817.1(2)).
    NecessaryToProsecuteCrime,
    /// The order was made on the showing its jurisdiction's statute requires
    /// (what staff record as "good cause shown"): for Missouri, that
    /// disclosure is necessary to protect public safety or to prosecute a crime.
    AsStatuteRequires,
    /// The order states no finding.
    None,
}

/// The rules of one jurisdiction, with the clause behind each.
///
/// An `Option<Clause>` that is `None` means the statute gives no such basis,
/// so no policy document can switch it on.
#[derive(Debug, PartialEq, Eq)]
pub struct Profile {
    /// Which jurisdiction this is.
    pub jurisdiction: Jurisdiction,
    /// A name for people.
    pub name: &'static str,
    /// The statutes relied on, as cited.
    pub statutes: &'static str,
    /// The rule that refuses anything not listed.
    pub confidentiality: Clause,
    /// The patron asking for their own records.
    pub patron_self: Clause,
    /// The patron's written consent.
    pub written_consent: Clause,
    /// A court order.
    pub court_order: Clause,
    /// Whether a good-cause finding suffices, or the order must find necessity.
    pub good_cause_suffices: bool,
    /// A subpoena without a court order.
    pub subpoena: Option<Clause>,
    /// An emergency involving imminent danger.
    pub emergency: Option<Clause>,
    /// Library staff in the course of library business.
    pub operations: Clause,
    /// A contracted vendor.
    pub vendors: Clause,
    /// A guardian of a minor.
    pub guardian: Option<Clause>,
    /// The youngest age at which a child's data may be collected without a guardian's consent.
    pub minor_age: u8,
    /// Fields that always need a guardian's consent before collection below `minor_age`.
    pub guardian_consent_fields: FieldSet,
    /// The longest a written consent may run, in days.
    pub consent_max_days: u32,
    /// Kinds a vendor grant may ever cover.
    pub vendor_kinds: KindSet,
    /// Fields a vendor grant may ever cover.
    pub vendor_fields: FieldSet,
    /// The longest each kind's identifying data may live, and what then happens.
    pub retention: [RetentionRule; RecordKind::COUNT],
}

/// The consortium's retention limits, indexed by [`RecordKind::index`].
///
/// The clock for each kind starts when the record stops being in use: a loan
/// at return, a hold when filled or cancelled, an event when held, a reference
/// question when answered, a card when it expires, a donation when
/// acknowledged, a computer session when it ends, a charge when settled.
pub const RETENTION_LIMITS: [RetentionRule; RecordKind::COUNT] = [
    // Circulation: unlinked at return unless the patron opted in.
    RetentionRule::new(0, PurgeMethod::Anonymize),
    // Card registration: three years after the card lapses.
    RetentionRule::new(3 * 365, PurgeMethod::Delete),
    // Holds and interlibrary loans.
    RetentionRule::new(30, PurgeMethod::Anonymize),
    // Event registration and attendance.
    RetentionRule::new(30, PurgeMethod::Anonymize),
    // Reference requests: the question itself can identify, so nothing is kept.
    RetentionRule::new(30, PurgeMethod::Delete),
    // Donations: seven years, the span auditors and tax receipts ask for.
    RetentionRule::new(7 * 365, PurgeMethod::Anonymize),
    // Computer, internet and e-resource use: gone when the session ends.
    RetentionRule::new(0, PurgeMethod::Delete),
    // Fines and payments: ninety days after settlement for disputes and refunds.
    RetentionRule::new(90, PurgeMethod::Anonymize),
];

/// Fields collected from a child only with a guardian's consent: all that
/// locate or contact them (the library assigns the card number itself).
pub const CHILD_CONTACT_FIELDS: FieldSet =
    IDENTITY_FIELDS.difference(FieldSet::of(&[Field::CardNumber]));

/// Missouri: RSMo 182.815 and 182.817 (as amended in 2014).
pub static MISSOURI: Profile = Profile {
    jurisdiction: Jurisdiction::Missouri,
    name: "Missouri",
    statutes: "RSMo 182.815, 182.817",
    confidentiality: Clause::Mo182817ReleaseOnlyAsListed,
    patron_self: Clause::Mo182817WrittenRequest,
    written_consent: Clause::Mo182817WrittenRequest,
    court_order: Clause::Mo182817CourtOrder,
    good_cause_suffices: false,
    subpoena: None,
    emergency: None,
    operations: Clause::LibraryOperations,
    vendors: Clause::Mo182817ContractedThirdParty,
    guardian: None,
    minor_age: 13,
    guardian_consent_fields: CHILD_CONTACT_FIELDS,
    consent_max_days: 365,
    vendor_kinds: KindSet::all(),
    vendor_fields: FieldSet::all(),
    retention: RETENTION_LIMITS,
};

/// Kansas: K.S.A. 45-221(a)(23) only exempts; the rest is library policy.
pub static KANSAS: Profile = Profile {
    jurisdiction: Jurisdiction::Kansas,
    name: "Kansas",
    statutes: "K.S.A. 45-221(a)(23)",
    confidentiality: Clause::Ks45221Exempt,
    patron_self: Clause::PatronOwnRecords,
    written_consent: Clause::PatronWrittenConsent,
    court_order: Clause::AlaGoodCause,
    good_cause_suffices: true,
    subpoena: None,
    emergency: Some(Clause::EmergencyImminentDanger),
    operations: Clause::LibraryOperations,
    vendors: Clause::VendorContract,
    guardian: Some(Clause::GuardianOfMinor),
    minor_age: 13,
    guardian_consent_fields: CHILD_CONTACT_FIELDS,
    consent_max_days: 365,
    vendor_kinds: KindSet::all(),
    vendor_fields: FieldSet::all(),
    retention: RETENTION_LIMITS,
};

/// North Carolina: G.S. 125-18 and 125-19.
pub static NORTH_CAROLINA: Profile = Profile {
    jurisdiction: Jurisdiction::NorthCarolina,
    name: "North Carolina",
    statutes: "G.S. 125-18, 125-19",
    confidentiality: Clause::Nc12519NoDisclosure,
    patron_self: Clause::PatronOwnRecords,
    written_consent: Clause::Nc12519WrittenConsent,
    court_order: Clause::Nc12519LegalProcess,
    good_cause_suffices: true,
    subpoena: Some(Clause::Nc12519LegalProcess),
    emergency: None,
    operations: Clause::Nc12519Operations,
    vendors: Clause::Nc12519Operations,
    guardian: None,
    minor_age: 13,
    guardian_consent_fields: CHILD_CONTACT_FIELDS,
    consent_max_days: 365,
    vendor_kinds: KindSet::all(),
    vendor_fields: FieldSet::all(),
    retention: RETENTION_LIMITS,
};

/// No state statute: the ALA Code of Ethics and Policy on Confidentiality.
pub static GENERIC: Profile = Profile {
    jurisdiction: Jurisdiction::Generic,
    name: "Generic (ALA)",
    statutes: "ALA Code of Ethics, article III",
    confidentiality: Clause::AlaEthicsIII,
    patron_self: Clause::PatronOwnRecords,
    written_consent: Clause::PatronWrittenConsent,
    court_order: Clause::AlaGoodCause,
    good_cause_suffices: true,
    subpoena: None,
    emergency: Some(Clause::EmergencyImminentDanger),
    operations: Clause::LibraryOperations,
    vendors: Clause::VendorContract,
    guardian: Some(Clause::GuardianOfMinor),
    minor_age: 13,
    guardian_consent_fields: CHILD_CONTACT_FIELDS,
    consent_max_days: 365,
    vendor_kinds: KindSet::all(),
    vendor_fields: FieldSet::all(),
    retention: RETENTION_LIMITS,
};

impl Profile {
    /// The profile's own retention limits as a schedule, with checkout history available on request.
    pub const fn schedule(&self) -> Schedule {
        Schedule::new(self.retention, true)
    }

    /// Whether a court order with this finding meets the statute.
    pub const fn accepts_finding(&self, finding: CourtFinding) -> bool {
        match finding {
            CourtFinding::NecessaryForPublicSafety
            | CourtFinding::NecessaryToProsecuteCrime
            | CourtFinding::AsStatuteRequires => true,
            CourtFinding::GoodCause => self.good_cause_suffices,
            CourtFinding::None => false,
        }
    }

    /// The retention limit for one kind.
    pub const fn retention_limit(&self, kind: RecordKind) -> RetentionRule {
        self.retention[kind.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missouri_allows_only_consent_and_court_orders() {
        let p = Jurisdiction::Missouri.profile();
        assert_eq!(p.subpoena, None);
        assert_eq!(p.emergency, None);
        assert_eq!(p.guardian, None);
        assert_eq!(p.written_consent, Clause::Mo182817WrittenRequest);
        assert_eq!(p.court_order, Clause::Mo182817CourtOrder);
        assert_eq!(p.vendors, Clause::Mo182817ContractedThirdParty);
    }

    #[test]
    fn missouri_court_orders_need_a_finding_of_necessity() {
        let p = &MISSOURI;
        assert!(!p.accepts_finding(CourtFinding::GoodCause));
        assert!(!p.accepts_finding(CourtFinding::None));
        assert!(p.accepts_finding(CourtFinding::NecessaryForPublicSafety));
        assert!(p.accepts_finding(CourtFinding::NecessaryToProsecuteCrime));
        assert!(p.accepts_finding(CourtFinding::AsStatuteRequires));
    }

    #[test]
    fn other_profiles_take_good_cause_but_never_no_finding() {
        for p in [&KANSAS, &NORTH_CAROLINA, &GENERIC] {
            assert!(p.accepts_finding(CourtFinding::GoodCause));
            assert!(!p.accepts_finding(CourtFinding::None));
        }
    }

    #[test]
    fn north_carolina_lists_subpoena_and_operations() {
        let p = Jurisdiction::NorthCarolina.profile();
        assert_eq!(p.subpoena, Some(Clause::Nc12519LegalProcess));
        assert_eq!(p.operations, Clause::Nc12519Operations);
        assert_eq!(p.written_consent, Clause::Nc12519WrittenConsent);
        assert_eq!(p.confidentiality, Clause::Nc12519NoDisclosure);
        assert_eq!(p.emergency, None);
    }

    #[test]
    fn kansas_statute_exempts_and_policy_decides() {
        let p = Jurisdiction::Kansas.profile();
        assert_eq!(p.confidentiality, Clause::Ks45221Exempt);
        assert_eq!(p.emergency, Some(Clause::EmergencyImminentDanger));
        assert_eq!(p.subpoena, None);
    }

    #[test]
    fn generic_rests_on_the_ala_code() {
        let p = Jurisdiction::Generic.profile();
        assert_eq!(p.confidentiality, Clause::AlaEthicsIII);
        assert_eq!(p.court_order, Clause::AlaGoodCause);
    }

    #[test]
    fn profiles_match_their_jurisdiction_and_age() {
        for j in Jurisdiction::ALL {
            assert_eq!(j.profile().jurisdiction, j);
            assert_eq!(j.profile().minor_age, 13);
            assert!(!j
                .profile()
                .guardian_consent_fields
                .contains(Field::CardNumber));
        }
    }

    #[test]
    fn checkout_history_is_unlinked_at_return_by_default() {
        let rule = MISSOURI.retention_limit(RecordKind::Circulation);
        assert_eq!(rule.keep_days, 0);
        assert_eq!(rule.then, PurgeMethod::Anonymize);
        assert_eq!(
            MISSOURI.retention_limit(RecordKind::DigitalUse).then,
            PurgeMethod::Delete
        );
    }
}
