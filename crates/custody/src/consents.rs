//! Consents: a guardian's, needed before a minor's gated fields are stored, and
//! a patron's written consent to a disclosure.

use crate::actor::{StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::values::Purpose;
use crate::Custody;
use chrono::{NaiveDateTime, Utc};
use policy::document::PolicyDocument;
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use serde::Deserialize;
use store::encryption::Keyring;
use store::patrons::{self, NewConsent, PatronData};
use store::{LibraryTx, PatronId};

/// A guardian's consent, as staff record it at the desk with a registration.
// No `Debug`: who gave a consent is personal data.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardianConsent {
    /// Who gave it.
    pub given_by: String,
    /// What it covers.
    #[serde(default = "default_scope")]
    pub scope: String,
}

fn default_scope() -> String {
    "registration and contact".into()
}

/// The kinds of consent a library records.
const KINDS: [&str; 2] = ["guardian", "disclosure"];

/// A consent as staff record it: a guardian's or a patron's written consent.
// No `Debug`: who gave a consent is personal data.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "disclosure", "given_by": "the patron, in writing", "scope": "reading history for the book club"}))]
pub struct Consent {
    /// `guardian` or `disclosure`.
    #[schema(schema_with = consent_kinds)]
    pub kind: String,
    /// Who gave it: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub given_by: String,
    /// What it covers.
    #[serde(default = "default_scope")]
    pub scope: String,
    /// When it lapses, if it does.
    #[serde(default, with = "store::time::rfc3339_option")]
    pub expires_at: Option<NaiveDateTime>,
}

/// `kind`'s schema, from the list [`Consent::check`] holds it to.
fn consent_kinds() -> utoipa::openapi::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(KINDS))
        .description(Some("`guardian` or `disclosure`."))
        .build()
}

impl Consent {
    /// Refuses an unknown kind or a consent nobody gave.
    pub fn check(&self) -> CustodyResult<()> {
        if !KINDS.contains(&self.kind.as_str()) {
            return Err(CustodyError::Invalid {
                field: "kind",
                detail: "expected guardian or disclosure".into(),
            });
        }
        if self.given_by.trim().is_empty() {
            return Err(CustodyError::Invalid {
                field: "given_by",
                detail: "name who gave the consent".into(),
            });
        }
        Ok(())
    }
}

/// Records a consent for one of the library's patrons; returns its id.
pub fn add_consent(
    custody: &Custody,
    who: &StaffMember,
    patron: PatronId,
    consent: &Consent,
) -> CustodyResult<i64> {
    consent.check()?;
    custody.staff_decided(
        who,
        "patron.consent",
        &Subject::Patron(patron),
        &Purpose::stated_by_custodian("recording a consent"),
        KindSet::of(&[RecordKind::CardRegistration]),
        FieldSet::of(&[Field::Name]),
        |tx, keys| {
            patrons::get(tx, keys, patron)?;
            let new = NewConsent {
                kind: &consent.kind,
                scope: &consent.scope,
                given_by: consent.given_by.trim(),
                granted_at: Utc::now().naive_utc(),
                expires_at: consent.expires_at,
            };
            Ok(patrons::add_consent(tx, keys, patron, &new)?)
        },
    )
}

/// Records the guardian's consent given with a registration, in its transaction.
pub(crate) fn record_guardian_consent(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
    consent: &GuardianConsent,
    now: NaiveDateTime,
) -> CustodyResult<i64> {
    let new = NewConsent {
        kind: "guardian",
        scope: &consent.scope,
        given_by: &consent.given_by,
        granted_at: now,
        expires_at: None,
    };
    Ok(patrons::add_consent(tx, keys, patron, &new)?)
}

/// The guardian-gated fields this data would store, named for people; empty
/// for an adult, or when a guardian's consent is on record.
pub fn gated_fields(
    document: &PolicyDocument,
    data: &PatronData,
    consent_recorded: bool,
) -> String {
    let mut collecting = FieldSet::EMPTY;
    for (field, present) in [
        (Field::Name, !data.name.is_empty()),
        (Field::CardNumber, !data.card_number.is_empty()),
        (Field::Address, data.address.is_some()),
        (Field::Phone, data.phone.is_some()),
        (Field::Email, data.email.is_some()),
        (Field::DateOfBirth, data.birth_date.is_some()),
    ] {
        if present {
            collecting = collecting.with(field);
        }
    }
    let today = Utc::now().date_naive();
    let need = policy::minors::fields_needing_consent(
        document,
        data.birth_date,
        today,
        collecting,
        consent_recorded,
    );
    need.iter()
        .map(policy::minors::field_label)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a guardian's consent for this patron holds now.
pub fn guardian_consent_in_force(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
) -> CustodyResult<bool> {
    let now = Utc::now().naive_utc();
    Ok(patrons::consents(tx, keys, patron)?
        .iter()
        .any(|c| c.kind == "guardian" && c.in_force(now)))
}
