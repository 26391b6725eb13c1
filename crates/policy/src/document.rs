//! A library's own privacy policy as TOML, checked against its jurisdiction:
//! it may tighten its profile, never loosen it.
//!
//! A key left out takes the stricter reading: bases a statute merely permits
//! (emergency, subpoena, guardian access) stay off, vendors get nothing, and
//! retention takes the profile's limit.

use crate::clause::Clause;
use crate::jurisdiction::{Jurisdiction, Profile};
use crate::minors::ChildNaming;
use crate::records::{FieldSet, KindSet, RecordKind};
use crate::retention::{RetentionRule, Schedule};
use serde::Deserialize;

/// A policy document that broke a rule of its profile, or could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not TOML, or a key or value the format does not know.
    #[error("policy document could not be read: {0}")]
    Syntax(String),
    /// A value the format reads but the document may not hold (a use without a description).
    #[error("{key}: {detail}")]
    Invalid {
        /// The key, dotted as in the document.
        key: String,
        /// What is wrong and what to write instead.
        detail: String,
    },
    /// A key whose value would loosen what the profile requires.
    #[error("{key}: {rule} ({clause})")]
    Loosens {
        /// The key, dotted as in the document.
        key: String,
        /// The rule it breaks, with the limit.
        rule: String,
        /// The clause behind the rule.
        clause: Clause,
    },
}

/// The policy documents that ship with the platform, one per profile.
pub const fn shipped_toml(jurisdiction: Jurisdiction) -> &'static str {
    match jurisdiction {
        Jurisdiction::Missouri => include_str!("../documents/missouri.toml"),
        Jurisdiction::Kansas => include_str!("../documents/kansas.toml"),
        Jurisdiction::NorthCarolina => include_str!("../documents/north_carolina.toml"),
        Jurisdiction::Generic => include_str!("../documents/generic.toml"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    jurisdiction: Jurisdiction,
    library: Option<String>,
    version: Option<String>,
    #[serde(default)]
    disclosure: RawDisclosure,
    #[serde(default)]
    minors: RawMinors,
    #[serde(default)]
    vendors: RawVendors,
    #[serde(default)]
    retention: RawRetention,
    /// The library's own words, shown to the public above the rules.
    text: Option<String>,
    children_naming: Option<ChildNaming>,
    #[serde(default)]
    uses: Vec<RawUse>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUse {
    key: String,
    description: String,
}

/// An optional use a library makes of its patrons' data, which a patron may opt out of.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OptionalUse {
    /// A short stable name: lowercase letters, digits and `_` (`newsletter`).
    pub key: String,
    /// What the library does, in plain words.
    pub description: String,
}

/// The longest a use's key may be.
pub const MAX_USE_KEY: usize = 40;
/// The longest a use's description may be.
pub const MAX_USE_DESCRIPTION: usize = 500;
/// The longest the library's own text may be.
pub const MAX_TEXT: usize = 20_000;

/// Whether `key` could name an optional use.
pub fn is_use_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_USE_KEY
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_uses(raw: Vec<RawUse>) -> Result<Vec<OptionalUse>, DocumentError> {
    let mut uses: Vec<OptionalUse> = Vec::with_capacity(raw.len());
    for (i, u) in raw.into_iter().enumerate() {
        let invalid = |key: &str, detail: String| DocumentError::Invalid {
            key: format!("uses[{i}].{key}"),
            detail,
        };
        if !is_use_key(&u.key) {
            return Err(invalid(
                "key",
                format!("use lowercase letters, digits and _ (at most {MAX_USE_KEY})"),
            ));
        }
        if uses.iter().any(|o| o.key == u.key) {
            return Err(invalid("key", format!("{} is named twice", u.key)));
        }
        let description = u.description.trim();
        if description.is_empty() || description.chars().count() > MAX_USE_DESCRIPTION {
            return Err(invalid(
                "description",
                format!("say in plain words what the library does (1 to {MAX_USE_DESCRIPTION} characters)"),
            ));
        }
        uses.push(OptionalUse {
            key: u.key,
            description: description.to_owned(),
        });
    }
    Ok(uses)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDisclosure {
    emergency: Option<bool>,
    accept_subpoena: Option<bool>,
    guardian_access: Option<bool>,
    consent_max_days: Option<u32>,
    charge_search_cost: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMinors {
    age: Option<u8>,
    guardian_consent_fields: Option<FieldSet>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawVendors {
    kinds: Option<KindSet>,
    fields: Option<FieldSet>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    checkout_history_opt_in: Option<bool>,
    circulation: Option<RetentionRule>,
    card_registration: Option<RetentionRule>,
    holds_and_interlibrary_loans: Option<RetentionRule>,
    event_registration: Option<RetentionRule>,
    reference_requests: Option<RetentionRule>,
    donations: Option<RetentionRule>,
    digital_use: Option<RetentionRule>,
    fines_and_payments: Option<RetentionRule>,
}

impl RawRetention {
    fn rule(&self, kind: RecordKind) -> Option<RetentionRule> {
        match kind {
            RecordKind::Circulation => self.circulation,
            RecordKind::CardRegistration => self.card_registration,
            RecordKind::HoldsAndInterlibraryLoans => self.holds_and_interlibrary_loans,
            RecordKind::EventRegistration => self.event_registration,
            RecordKind::ReferenceRequests => self.reference_requests,
            RecordKind::Donations => self.donations,
            RecordKind::DigitalUse => self.digital_use,
            RecordKind::FinesAndPayments => self.fines_and_payments,
        }
    }
}

/// A library's policy, validated against its jurisdiction's profile.
///
/// Fields are private so that the only way to get one is through validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    jurisdiction: Jurisdiction,
    library: Option<String>,
    version: Option<String>,
    emergency: bool,
    accept_subpoena: bool,
    guardian_access: bool,
    consent_max_days: u32,
    charge_search_cost: bool,
    minor_age: u8,
    guardian_consent_fields: FieldSet,
    vendor_kinds: KindSet,
    vendor_fields: FieldSet,
    schedule: Schedule,
    text: String,
    children_naming: ChildNaming,
    uses: Vec<OptionalUse>,
}

fn loosens(key: impl Into<String>, rule: impl Into<String>, clause: Clause) -> DocumentError {
    DocumentError::Loosens {
        key: key.into(),
        rule: rule.into(),
        clause,
    }
}

/// The oldest age at which a guardian's consent can still be asked for: adulthood.
pub const MAX_MINOR_AGE: u8 = 18;

impl PolicyDocument {
    /// Reads and validates a policy document against its jurisdiction's profile.
    pub fn from_toml(text: &str) -> Result<PolicyDocument, DocumentError> {
        let raw: RawDocument =
            toml::from_str(text).map_err(|e| DocumentError::Syntax(e.to_string()))?;
        Self::resolve(raw)
    }

    /// The document that ships for a jurisdiction.
    pub fn shipped(jurisdiction: Jurisdiction) -> Result<PolicyDocument, DocumentError> {
        Self::from_toml(shipped_toml(jurisdiction))
    }

    /// The widest document a profile allows: every permitted basis on, every limit at its maximum.
    pub fn widest(profile: &Profile) -> PolicyDocument {
        PolicyDocument {
            jurisdiction: profile.jurisdiction,
            library: None,
            version: None,
            emergency: profile.emergency.is_some(),
            accept_subpoena: profile.subpoena.is_some(),
            guardian_access: profile.guardian.is_some(),
            consent_max_days: profile.consent_max_days,
            charge_search_cost: true,
            minor_age: profile.minor_age,
            guardian_consent_fields: profile.guardian_consent_fields,
            vendor_kinds: profile.vendor_kinds,
            vendor_fields: profile.vendor_fields,
            schedule: profile.schedule(),
            text: String::new(),
            children_naming: ChildNaming::default(),
            uses: Vec::new(),
        }
    }

    fn resolve(raw: RawDocument) -> Result<PolicyDocument, DocumentError> {
        let profile = raw.jurisdiction.profile();
        let d = &raw.disclosure;

        let emergency = d.emergency.unwrap_or(false);
        if emergency && profile.emergency.is_none() {
            return Err(loosens(
                "disclosure.emergency",
                format!("{} gives no emergency exception", profile.statutes),
                profile.confidentiality,
            ));
        }
        let accept_subpoena = d.accept_subpoena.unwrap_or(false);
        if accept_subpoena && profile.subpoena.is_none() {
            return Err(loosens(
                "disclosure.accept_subpoena",
                format!(
                    "under {} a subpoena without a court order is not enough",
                    profile.statutes
                ),
                profile.court_order,
            ));
        }
        let guardian_access = d.guardian_access.unwrap_or(false);
        if guardian_access && profile.guardian.is_none() {
            return Err(loosens(
                "disclosure.guardian_access",
                format!(
                    "{} lets no one but the patron consent to disclosure",
                    profile.statutes
                ),
                profile.confidentiality,
            ));
        }
        let consent_max_days = d.consent_max_days.unwrap_or(profile.consent_max_days);
        if consent_max_days > profile.consent_max_days {
            return Err(loosens(
                "disclosure.consent_max_days",
                format!(
                    "a written consent may run at most {} days",
                    profile.consent_max_days
                ),
                profile.written_consent,
            ));
        }

        let minor_age = raw.minors.age.unwrap_or(profile.minor_age);
        if minor_age < profile.minor_age || minor_age > MAX_MINOR_AGE {
            return Err(loosens(
                "minors.age",
                format!("must be between {} and {MAX_MINOR_AGE}", profile.minor_age),
                Clause::GuardianConsentToCollect,
            ));
        }
        let guardian_consent_fields = raw
            .minors
            .guardian_consent_fields
            .unwrap_or(profile.guardian_consent_fields);
        if let Some(missing) = profile
            .guardian_consent_fields
            .difference(guardian_consent_fields)
            .iter()
            .next()
        {
            return Err(loosens(
                "minors.guardian_consent_fields",
                format!("must include {}", missing.as_str()),
                Clause::GuardianConsentToCollect,
            ));
        }

        let vendor_kinds = raw.vendors.kinds.unwrap_or(KindSet::EMPTY);
        if let Some(extra) = vendor_kinds.difference(profile.vendor_kinds).iter().next() {
            return Err(loosens(
                "vendors.kinds",
                format!("vendors may not be granted {}", extra.as_str()),
                profile.vendors,
            ));
        }
        let vendor_fields = raw.vendors.fields.unwrap_or(FieldSet::EMPTY);
        if let Some(extra) = vendor_fields
            .difference(profile.vendor_fields)
            .iter()
            .next()
        {
            return Err(loosens(
                "vendors.fields",
                format!("vendors may not be granted {}", extra.as_str()),
                profile.vendors,
            ));
        }

        let mut rules = profile.retention;
        for kind in RecordKind::ALL {
            let limit = profile.retention_limit(kind);
            let Some(rule) = raw.retention.rule(kind) else {
                continue;
            };
            let clause = if kind == RecordKind::Circulation {
                Clause::CheckoutHistoryAtReturn
            } else {
                Clause::ShortestTimePossible
            };
            if rule.keep_days > limit.keep_days {
                return Err(loosens(
                    format!("retention.{}.keep_days", kind.as_str()),
                    format!("may be at most {} days", limit.keep_days),
                    clause,
                ));
            }
            if !rule.then.at_least_as_strict_as(limit.then) {
                return Err(loosens(
                    format!("retention.{}.then", kind.as_str()),
                    "must delete; anonymizing would keep what the profile removes",
                    clause,
                ));
            }
            rules[kind.index()] = rule;
        }
        let opt_in = raw.retention.checkout_history_opt_in.unwrap_or(true);
        let text = raw.text.unwrap_or_default().trim().to_owned();
        if text.chars().count() > MAX_TEXT {
            return Err(DocumentError::Invalid {
                key: "text".into(),
                detail: format!("at most {MAX_TEXT} characters"),
            });
        }
        let uses = check_uses(raw.uses)?;

        Ok(PolicyDocument {
            jurisdiction: raw.jurisdiction,
            library: raw.library,
            version: raw.version,
            emergency,
            accept_subpoena,
            guardian_access,
            consent_max_days,
            charge_search_cost: d.charge_search_cost.unwrap_or(true),
            minor_age,
            guardian_consent_fields,
            vendor_kinds,
            vendor_fields,
            schedule: Schedule::new(rules, opt_in),
            text,
            children_naming: raw.children_naming.unwrap_or_default(),
            uses,
        })
    }

    /// The jurisdiction it was validated against.
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    /// The library it belongs to, if named.
    pub fn library(&self) -> Option<&str> {
        self.library.as_deref()
    }

    /// The policy's version label, if given.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Whether the library discloses in an emergency involving imminent danger.
    pub fn emergency(&self) -> bool {
        self.emergency
    }

    /// Whether the library answers a subpoena without a court order.
    pub fn accept_subpoena(&self) -> bool {
        self.accept_subpoena
    }

    /// Whether a guardian may see a minor's records.
    pub fn guardian_access(&self) -> bool {
        self.guardian_access
    }

    /// The longest a written consent may run, in days.
    pub fn consent_max_days(&self) -> u32 {
        self.consent_max_days
    }

    /// Whether the cost of a search for a legal request is charged to the requester.
    pub fn charge_search_cost(&self) -> bool {
        self.charge_search_cost
    }

    /// Below this age a guardian consents before a child's data is collected.
    pub fn minor_age(&self) -> u8 {
        self.minor_age
    }

    /// Fields needing a guardian's consent before collection from a child.
    pub fn guardian_consent_fields(&self) -> FieldSet {
        self.guardian_consent_fields
    }

    /// Kinds a vendor grant may cover.
    pub fn vendor_kinds(&self) -> KindSet {
        self.vendor_kinds
    }

    /// Fields a vendor grant may cover.
    pub fn vendor_fields(&self) -> FieldSet {
        self.vendor_fields
    }

    /// The retention schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The library's own plain-language text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How the library names a child in public.
    pub fn children_naming(&self) -> ChildNaming {
        self.children_naming
    }

    /// The optional uses the library makes of patrons' data.
    pub fn uses(&self) -> &[OptionalUse] {
        &self.uses
    }

    /// The optional use with this key, if the policy names it.
    pub fn optional_use(&self, key: &str) -> Option<&OptionalUse> {
        self.uses.iter().find(|u| u.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Field;
    use crate::retention::PurgeMethod;

    fn err(text: &str) -> DocumentError {
        match PolicyDocument::from_toml(text) {
            Err(e) => e,
            Ok(doc) => panic!("expected an error, got {doc:?}"),
        }
    }

    fn key_of(e: &DocumentError) -> &str {
        match e {
            DocumentError::Loosens { key, .. } => key,
            DocumentError::Syntax(_) | DocumentError::Invalid { .. } => "",
        }
    }

    #[test]
    fn shipped_documents_are_valid_and_match_their_profile() {
        for j in Jurisdiction::ALL {
            let doc = PolicyDocument::shipped(j);
            assert!(doc.is_ok(), "{j:?}: {doc:?}");
            if let Ok(doc) = doc {
                assert_eq!(doc.jurisdiction(), j);
                assert!(doc.version().is_some());
            }
        }
    }

    #[test]
    fn missouri_document_cannot_add_an_emergency_exception() {
        let e = err("jurisdiction = \"missouri\"\n[disclosure]\nemergency = true\n");
        assert_eq!(key_of(&e), "disclosure.emergency");
        assert!(matches!(
            e,
            DocumentError::Loosens {
                clause: Clause::Mo182817ReleaseOnlyAsListed,
                ..
            }
        ));
        assert!(e.to_string().contains("RSMo 182.817.1"));
    }

    #[test]
    fn missouri_document_cannot_accept_subpoenas() {
        let e = err("jurisdiction = \"missouri\"\n[disclosure]\naccept_subpoena = true\n");
        assert_eq!(key_of(&e), "disclosure.accept_subpoena");
        assert!(matches!(
            e,
            DocumentError::Loosens {
                clause: Clause::Mo182817CourtOrder,
                ..
            }
        ));
    }

    #[test]
    fn north_carolina_document_may_accept_subpoenas() {
        let doc = PolicyDocument::from_toml(
            "jurisdiction = \"north_carolina\"\n[disclosure]\naccept_subpoena = true\n",
        );
        assert!(doc.map(|d| d.accept_subpoena()).unwrap_or(false));
    }

    #[test]
    fn guardian_access_only_where_the_statute_leaves_room() {
        let e = err("jurisdiction = \"north_carolina\"\n[disclosure]\nguardian_access = true\n");
        assert_eq!(key_of(&e), "disclosure.guardian_access");
        let ok = PolicyDocument::from_toml(
            "jurisdiction = \"kansas\"\n[disclosure]\nguardian_access = true\n",
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn retention_may_shorten_but_not_lengthen() {
        let e = err("jurisdiction = \"kansas\"\n[retention.holds_and_interlibrary_loans]\nkeep_days = 31\nthen = \"anonymize\"\n");
        assert_eq!(
            key_of(&e),
            "retention.holds_and_interlibrary_loans.keep_days"
        );
        assert!(e.to_string().contains("at most 30 days"));
        let doc = PolicyDocument::from_toml(
            "jurisdiction = \"kansas\"\n[retention.holds_and_interlibrary_loans]\nkeep_days = 7\nthen = \"delete\"\n",
        );
        let rule = doc.map(|d| d.schedule().rule(RecordKind::HoldsAndInterlibraryLoans));
        assert_eq!(rule, Ok(RetentionRule::new(7, PurgeMethod::Delete)));
    }

    #[test]
    fn retention_may_not_anonymize_what_must_be_deleted() {
        let e = err("jurisdiction = \"generic\"\n[retention.digital_use]\nkeep_days = 0\nthen = \"anonymize\"\n");
        assert_eq!(key_of(&e), "retention.digital_use.then");
    }

    #[test]
    fn checkout_history_cannot_outlive_the_return() {
        let e = err("jurisdiction = \"missouri\"\n[retention.circulation]\nkeep_days = 14\nthen = \"anonymize\"\n");
        assert!(matches!(
            e,
            DocumentError::Loosens {
                clause: Clause::CheckoutHistoryAtReturn,
                ..
            }
        ));
    }

    #[test]
    fn minors_age_may_rise_not_fall() {
        let e = err("jurisdiction = \"generic\"\n[minors]\nage = 12\n");
        assert_eq!(key_of(&e), "minors.age");
        let e = err("jurisdiction = \"generic\"\n[minors]\nage = 19\n");
        assert_eq!(key_of(&e), "minors.age");
        let doc = PolicyDocument::from_toml("jurisdiction = \"generic\"\n[minors]\nage = 16\n");
        assert_eq!(doc.map(|d| d.minor_age()), Ok(16));
    }

    #[test]
    fn guardian_consent_fields_may_grow_not_shrink() {
        let e = err("jurisdiction = \"generic\"\n[minors]\nguardian_consent_fields = [\"name\"]\n");
        assert_eq!(key_of(&e), "minors.guardian_consent_fields");
        assert!(e.to_string().contains("must include address"));
    }

    #[test]
    fn consent_cannot_run_longer_than_the_profile_allows() {
        let e = err("jurisdiction = \"north_carolina\"\n[disclosure]\nconsent_max_days = 366\n");
        assert!(matches!(
            e,
            DocumentError::Loosens {
                clause: Clause::Nc12519WrittenConsent,
                ..
            }
        ));
    }

    #[test]
    fn unknown_keys_and_jurisdictions_are_named() {
        let e = err("jurisdiction = \"missouri\"\n[disclosure]\nemergncy = true\n");
        assert!(
            matches!(&e, DocumentError::Syntax(m) if m.contains("emergncy")),
            "{e}"
        );
        let e = err("jurisdiction = \"texas\"\n");
        assert!(
            matches!(&e, DocumentError::Syntax(m) if m.contains("texas")),
            "{e}"
        );
        let e = err("jurisdiction = \"kansas\"\n[vendors]\nfields = [\"shoe_size\"]\n");
        assert!(
            matches!(&e, DocumentError::Syntax(m) if m.contains("shoe_size")),
            "{e}"
        );
    }

    #[test]
    fn left_out_keys_take_the_stricter_reading() {
        let doc = PolicyDocument::from_toml("jurisdiction = \"generic\"\n");
        assert!(doc.is_ok());
        if let Ok(doc) = doc {
            assert!(!doc.emergency());
            assert!(!doc.guardian_access());
            assert!(!doc.accept_subpoena());
            assert!(doc.vendor_fields().is_empty());
            assert!(doc.charge_search_cost());
            assert_eq!(doc.schedule(), &Jurisdiction::Generic.profile().schedule());
        }
    }

    #[test]
    fn the_widest_document_is_what_the_profile_allows() {
        let nc = PolicyDocument::widest(Jurisdiction::NorthCarolina.profile());
        assert!(nc.accept_subpoena());
        assert!(!nc.emergency());
        let ks = PolicyDocument::widest(Jurisdiction::Kansas.profile());
        assert!(ks.emergency());
        assert!(ks.vendor_fields().contains(Field::CardNumber));
    }

    #[test]
    fn kansas_document_follows_manhattan() {
        let doc = PolicyDocument::shipped(Jurisdiction::Kansas);
        assert!(doc.is_ok());
        if let Ok(doc) = doc {
            // MNG-1 regulation 1 (immediate action), 7 (card number to subscribed services), 14 (children).
            assert!(doc.emergency());
            assert!(doc.vendor_fields().contains(Field::CardNumber));
            assert!(!doc.guardian_access());
        }
    }

    #[test]
    fn uses_naming_and_text_are_read_and_checked() {
        let doc = PolicyDocument::from_toml(
            "jurisdiction = \"missouri\"\nchildren_naming = \"first_name_only\"\ntext = \" We keep little. \"\n[[uses]]\nkey = \"newsletter\"\ndescription = \"A monthly newsletter.\"\n",
        )
        .unwrap();
        assert_eq!(doc.children_naming(), ChildNaming::FirstNameOnly);
        assert_eq!(doc.text(), "We keep little.");
        assert_eq!(doc.uses().len(), 1);
        assert!(doc.optional_use("newsletter").is_some());
        let bad = err(
            "jurisdiction = \"kansas\"\n[[uses]]\nkey = \"News Letter\"\ndescription = \"x\"\n",
        );
        assert!(matches!(bad, DocumentError::Invalid { ref key, .. } if key == "uses[0].key"));
        let twice = err("jurisdiction = \"kansas\"\n[[uses]]\nkey = \"a\"\ndescription = \"x\"\n[[uses]]\nkey = \"a\"\ndescription = \"y\"\n");
        assert!(twice.to_string().contains("named twice"));
        let plain = PolicyDocument::from_toml("jurisdiction = \"kansas\"\n").unwrap();
        assert_eq!(plain.children_naming(), ChildNaming::FirstNameLastInitial);
    }
}
