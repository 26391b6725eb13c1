//! A library's patrons, for its staff: search, register, read, correct, merge
//! duplicates and delete.
//!
//! Every read of a patron's data states a purpose and passes the gate; the
//! decision lands in the library's audit log in the same transaction as the
//! act. The minors rule (a guardian's consent before gated fields are stored)
//! and the retention rule (what a deletion does to the patron's records) live
//! here, so every page and endpoint applies the same ones.

use crate::actor::{StaffMember, Subject};
use crate::consents::{self, GuardianConsent};
use crate::error::{CustodyError, CustodyResult};
use crate::values::{CardNumber, Purpose};
use crate::Custody;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use policy::retention::PurgeMethod;
use serde::Serialize;
use store::patrons;
use store::{records, LibraryTx, StoreError};

pub use crate::consents::{gated_fields, guardian_consent_in_force};
pub use store::patrons::{ConsentRecord, Patron, PatronChange, PatronData, PatronSummary};
pub use store::PatronId;

/// The fields a patron's registration holds.
const REGISTRATION_FIELDS: [Field; 6] = [
    Field::Name,
    Field::CardNumber,
    Field::Address,
    Field::Phone,
    Field::Email,
    Field::DateOfBirth,
];

/// How records are read while deleting a patron, per page.
const DELETE_PAGE: i64 = 1000;

/// A PIN already hashed by the caller; custody never sees a PIN in clear.
#[derive(Clone)]
pub struct PinHash(String);

impl PinHash {
    /// Wraps the PHC string the password hasher made.
    pub fn new(hash: String) -> Self {
        PinHash(hash)
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A hash is a secret too: a stray `{:?}` must not print it.
impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHash(…)")
    }
}

/// How staff look for patrons.
// No `Debug`: a card number or an address typed in a search must not reach a log.
#[derive(Clone)]
pub enum Search {
    /// By card number (blind index), exactly as typed.
    Card(String),
    /// By email address (blind index).
    Email(String),
    /// Every patron, a page at a time.
    List {
        /// Patrons after this one.
        after: Option<PatronId>,
        /// How many.
        limit: i64,
    },
}

/// Finds patrons by card number or email, or lists them; cards shown by their last four only.
pub fn search(
    custody: &Custody,
    who: &StaffMember,
    purpose: &Purpose,
    how: Search,
) -> CustodyResult<Vec<PatronSummary>> {
    custody.staff_decided(
        who,
        "patron.search",
        &Subject::Nobody,
        purpose,
        KindSet::of(&[RecordKind::CardRegistration]),
        FieldSet::of(&[Field::Name, Field::CardNumber]),
        |tx, keys| {
            Ok(match how {
                Search::Card(card) => patrons::summary_by_card(tx, keys, &card)?,
                Search::Email(email) => patrons::by_email(tx, keys, &email)?,
                Search::List { after, limit } => patrons::list(tx, keys, after, limit)?,
            })
        },
    )
}

/// A patron's registration at the desk, its inputs already checked.
// No `Debug`: a registration is nothing but personal data.
#[derive(Clone)]
pub struct Registration {
    /// The library card number.
    pub card_number: CardNumber,
    /// Full name, trimmed and not empty.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Date of birth.
    pub birth_date: Option<NaiveDate>,
    /// Name and contact of the guardian of a minor.
    pub guardian: Option<String>,
    /// A guardian's consent given at the desk with the registration.
    pub guardian_consent: Option<GuardianConsent>,
}

/// Registers a patron. Storing a guardian-gated field for a patron under the
/// library's age needs a guardian's consent, given with the registration.
pub fn register(
    custody: &Custody,
    who: &StaffMember,
    registration: Registration,
    pin: &PinHash,
) -> CustodyResult<Patron> {
    let mut made = register_many(custody, who, vec![(registration, pin)], "registration")?;
    made.pop().ok_or_else(|| CustodyError::Invalid {
        field: "registration",
        detail: "nothing was registered".into(),
    })
}

/// Registers several patrons in one transaction and one audit entry, each
/// under the same minors rule as [`register`]; all or nothing. For bulk
/// loads (the demo), where a transaction per patron is what costs.
pub fn register_many(
    custody: &Custody,
    who: &StaffMember,
    registrations: Vec<(Registration, &PinHash)>,
    purpose: &str,
) -> CustodyResult<Vec<Patron>> {
    let (_, document) = custody.policy_of(&who.library)?;
    let document = &*document;
    let mut checked = Vec::with_capacity(registrations.len());
    for (registration, pin) in registrations {
        let consent = registration.guardian_consent;
        let data = PatronData {
            card_number: registration.card_number.into_string(),
            name: registration.name,
            address: registration.address,
            email: registration.email,
            phone: registration.phone,
            birth_date: registration.birth_date,
            guardian: registration.guardian,
        };
        let gated = gated_fields(document, &data, consent.is_some());
        if !gated.is_empty() {
            return Err(CustodyError::GuardianConsentRequired(gated));
        }
        checked.push((data, consent, pin));
    }
    custody.staff_decided(
        who,
        "patron.register",
        &Subject::Nobody,
        &Purpose::stated_by_custodian(purpose),
        KindSet::of(&[RecordKind::CardRegistration]),
        FieldSet::of(&REGISTRATION_FIELDS),
        |tx, keys| {
            let now = Utc::now().naive_utc();
            let mut made = Vec::with_capacity(checked.len());
            for (data, consent, pin) in &checked {
                let patron =
                    patrons::create(tx, keys, data, pin.as_str(), now).map_err(|e| match e {
                        StoreError::Conflict(_) => CustodyError::Conflict(
                            "this card number is already registered at this library".into(),
                        ),
                        other => other.into(),
                    })?;
                if let Some(c) = consent {
                    consents::record_guardian_consent(tx, keys, patron.id, c, now)?;
                }
                made.push(patron);
            }
            Ok(made)
        },
    )
}

/// A patron's data with the consents on record.
#[derive(Clone, Serialize)]
pub struct PatronFile {
    /// The patron.
    pub patron: Patron,
    /// Their consents.
    pub consents: Vec<ConsentRecord>,
}

/// One patron's data, for a stated purpose.
pub fn read(
    custody: &Custody,
    who: &StaffMember,
    purpose: &Purpose,
    id: PatronId,
) -> CustodyResult<PatronFile> {
    custody.staff_decided(
        who,
        "patron.read",
        &Subject::Patron(id),
        purpose,
        KindSet::of(&[RecordKind::CardRegistration]),
        FieldSet::of(&REGISTRATION_FIELDS),
        |tx, keys| {
            let patron = patrons::get(tx, keys, id)?;
            let consents = patrons::consents(tx, keys, id)?;
            Ok(PatronFile { patron, consents })
        },
    )
}

/// Applies a change to a patron's data in clear, to check it before storing it.
pub fn apply(data: &mut PatronData, c: &PatronChange) {
    if let Some(n) = &c.name {
        data.name = n.clone();
    }
    if let Some(v) = &c.address {
        data.address = v.clone();
    }
    if let Some(v) = &c.email {
        data.email = v.clone();
    }
    if let Some(v) = &c.phone {
        data.phone = v.clone();
    }
    if let Some(v) = c.birth_date {
        data.birth_date = v;
    }
    if let Some(v) = &c.guardian {
        data.guardian = v.clone();
    }
}

/// Corrects a patron's data; a child's gated fields still need a guardian's consent.
pub fn correct(
    custody: &Custody,
    who: &StaffMember,
    purpose: &Purpose,
    id: PatronId,
    change: &PatronChange,
) -> CustodyResult<Patron> {
    let (_, document) = custody.policy_of(&who.library)?;
    let document = &*document;
    custody.staff_decided(
        who,
        "patron.correct",
        &Subject::Patron(id),
        purpose,
        KindSet::of(&[RecordKind::CardRegistration]),
        FieldSet::of(&REGISTRATION_FIELDS),
        |tx, keys| {
            let current = patrons::get(tx, keys, id)?;
            let mut after = current.data.clone();
            apply(&mut after, change);
            let gated = gated_fields(document, &after, guardian_consent_in_force(tx, keys, id)?);
            // Refused inside the transaction, so the decision's entry rolls back with it.
            if !gated.is_empty() {
                return Err(CustodyError::GuardianConsentRequired(gated));
            }
            Ok(patrons::update(
                tx,
                keys,
                id,
                change,
                Utc::now().naive_utc(),
            )?)
        },
    )
}

/// Merges a duplicate registration into the patron to keep; returns how many records moved.
pub fn merge(
    custody: &Custody,
    who: &StaffMember,
    purpose: &Purpose,
    keep: PatronId,
    duplicate: PatronId,
) -> CustodyResult<usize> {
    custody.staff_decided(
        who,
        "patron.merge",
        &Subject::Patron(keep),
        purpose,
        KindSet::all(),
        FieldSet::all(),
        // The merge commits with the decision that allowed it, or neither does.
        |tx, keys| Ok(patrons::merge(tx, keys, keep, duplicate)?),
    )
}

/// What deleting a patron did to their records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    /// Records deleted outright, as the library's schedule says for their kind.
    pub records_deleted: usize,
    /// Records kept as non-identifying facts, without the link to the patron.
    pub records_kept_without_link: usize,
    /// Vendors asked to erase what they were told about the patron
    /// ([`crate::vendor_notices`]).
    pub vendors_told: usize,
}

/// Deletes a patron; their records are deleted or kept without the link, as
/// the library's retention schedule says per kind.
pub fn delete(
    custody: &Custody,
    who: &StaffMember,
    purpose: &Purpose,
    id: PatronId,
) -> CustodyResult<Deletion> {
    let schedule = crate::retention::schedule_of(custody, &who.library)?;
    custody.staff_decided(
        who,
        "patron.delete",
        &Subject::Patron(id),
        purpose,
        KindSet::all(),
        FieldSet::all(),
        |tx, keys| {
            let card = patrons::get(tx, keys, id)?.data.card_number;
            let mut kept = 0usize;
            let mut before = None;
            let mut to_delete = Vec::new();
            loop {
                let page = records::for_patron(tx, keys, id, before, DELETE_PAGE)?;
                let Some(last) = page.last() else { break };
                before = Some(last.id);
                for r in page {
                    // A kind the schedule does not know is kept: deleting is the irreversible choice.
                    let deletes = r
                        .kind
                        .parse::<RecordKind>()
                        .ok()
                        .is_some_and(|k| schedule.rule(k).then == PurgeMethod::Delete);
                    if deletes {
                        to_delete.push(r.id);
                    } else {
                        kept += 1;
                    }
                }
            }
            let records_deleted = records::delete(tx, &to_delete)?;
            patrons::delete(tx, id)?;
            // In the deletion's transaction: a deletion that fails tells no vendor.
            let vendors_told = crate::vendor_notices::queue_erasure_notices(
                custody,
                tx,
                who,
                &card,
                chrono::Utc::now().date_naive(),
            )?;
            Ok(Deletion {
                records_deleted,
                records_kept_without_link: kept,
                vendors_told,
            })
        },
    )
}

/// Turns a patron's checkout history on or off, for a caller already inside
/// the library's write transaction; turning it off unlinks their returned,
/// settled loans at once. Returns how many were unlinked.
pub fn set_keep_history(
    tx: &mut LibraryTx<'_>,
    id: PatronId,
    keep: bool,
    now: NaiveDateTime,
) -> CustodyResult<usize> {
    patrons::set_history_choice(tx, id, keep, now)?;
    if keep {
        return Ok(0);
    }
    Ok(records::unlink_returned_loans(tx, id)?)
}

/// The purposes the staff pages offer for reading a patron's data. The
/// policy allows a read for any purpose of the library's own business
/// (`Basis::LibraryOperations`), and the JSON API takes any such text; the
/// pages offer these, so the audit log reads the same words for the same work.
pub const STAFF_PURPOSES: [&str; 8] = [
    "circulation at the desk",
    "hold pickup",
    "overdue notice",
    "the patron's own request",
    "correcting the patron's registration",
    "merging duplicate registrations",
    "deleting at the patron's request",
    "answering a mail request",
];

/// A patron's page for staff: their data, as [`read`] gives it, and one page
/// of their records, as [`crate::records::of_patron`] gives it (newest
/// first, before record `before`). Each read is decided and audited with the
/// purpose exactly as the JSON API's two reads are.
pub fn read_with_records(
    custody: &Custody,
    who: &StaffMember,
    purpose: &Purpose,
    id: PatronId,
    before: Option<i64>,
    limit: i64,
) -> CustodyResult<(PatronFile, Vec<records::Record>)> {
    let file = read(custody, who, purpose, id)?;
    let records = crate::records::of_patron(custody, who, id, purpose, before, limit)?;
    Ok((file, records))
}

/// What a merge into `keep` would join, before anything changes: the patron
/// kept, as [`read`] gives it, and the patron with the card `card`, found as
/// [`search`] finds by card (none when no card is given or none matches).
pub fn merge_preview(
    custody: &Custody,
    who: &StaffMember,
    purpose: &Purpose,
    keep: PatronId,
    card: Option<String>,
) -> CustodyResult<(PatronFile, Option<PatronSummary>)> {
    let file = read(custody, who, purpose, keep)?;
    let duplicate = match card {
        Some(card) => search(custody, who, purpose, Search::Card(card))?
            .into_iter()
            .next(),
        None => None,
    };
    Ok((file, duplicate))
}
