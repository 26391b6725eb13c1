//! Legal requests for library records: the custodian of records' register.
//!
//! Staff register a request as it arrives at the desk; the custodian of
//! records asks the policy crate, whose decision is final and recorded; an
//! allowed request's package holds exactly the records in its scope, and
//! each release lands in each patron's access log, sealed while a
//! non-disclosure order runs. Every step is in the library's audit chain,
//! naming the clause.

use crate::actor::{StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{Entry, Ruling};
use crate::values::looks_like_email;
use crate::Custody;
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use policy::clause::Clause;
use policy::disclosure::{
    decide, Basis, Consent, Decision, DenyReason, DisclosureRequest, LegalProcess, Relation,
    Requester,
};
use policy::document::PolicyDocument;
use policy::jurisdiction::{CourtFinding, Profile};
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use policy::staff::LibraryRole;
use serde::{Deserialize, Serialize};
use store::legal::{self as sql, LegalRequest, NewLegalRequest};
use store::records::{self, Record};
use store::{audit, LibraryTx, PatronId};

/// What an emergency releases: who the person is, never what they borrowed
/// or asked. The name and card number identify a patron; the date of birth
/// tells two patrons of one name apart. Address, phone and email locate a
/// person elsewhere, which protecting people on the premises does not need.
pub const EMERGENCY_FIELDS: FieldSet =
    FieldSet::of(&[Field::Name, Field::CardNumber, Field::DateOfBirth]);

/// The instruments a request may arrive under.
pub const INSTRUMENTS: [&str; 7] = [
    "court_order",
    "search_warrant",
    "subpoena",
    "agency_request",
    "national_security_letter",
    "emergency",
    "patron_consent",
];

/// What the court found, beyond the bare `good_cause_shown`.
///
/// `good_cause_shown: true` alone records `as_statute_requires`: the order
/// was made on the showing the library's statute asks for (in Missouri, that
/// disclosure is necessary to protect public safety or to prosecute a crime,
/// RSMo 182.817.1(2)). `good_cause` is for an order that states good cause
/// and nothing more, which Missouri's statute since 2014 does not accept.
pub const FINDINGS: [&str; 5] = [
    "as_statute_requires",
    "good_cause",
    "necessary_for_public_safety",
    "necessary_to_prosecute_crime",
    "none",
];

/// Who serves the request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RequesterInput {
    /// The person.
    #[serde(default)]
    pub name: Option<String>,
    /// Their agency or firm.
    #[serde(default)]
    pub agency: Option<String>,
    /// Where the answer goes.
    #[serde(default)]
    pub email: Option<String>,
}

/// A legal request as staff enter it; every field is checked here, by name.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"instrument": "court_order", "requester": {"name": "Officer Example", "agency": "Riverside County Sheriff", "email": "records@sheriff.demo.custodian.test"}, "court": "Circuit Court of Riverside County", "case_number": "26-CV-0042", "issued_on": "2026-02-10", "good_cause_shown": true, "finding": "good_cause", "patron_ids": [12], "kinds": ["circulation"], "from": "2026-01-01", "to": "2026-01-31"}))]
pub struct Registration {
    /// One of [`INSTRUMENTS`].
    pub instrument: Option<String>,
    /// Who serves it.
    #[serde(default)]
    pub requester: Option<RequesterInput>,
    /// The issuing court.
    #[serde(default)]
    pub court: Option<String>,
    /// Its case number.
    #[serde(default)]
    pub case_number: Option<String>,
    /// The day it was issued.
    #[serde(default)]
    pub issued_on: Option<String>,
    /// Whether a showing of good cause was made in court.
    #[serde(default)]
    pub good_cause_shown: bool,
    /// What the order finds, when it says more than good cause (one of [`FINDINGS`]).
    #[serde(default)]
    pub finding: Option<String>,
    /// The patrons named.
    #[serde(default)]
    pub patron_ids: Vec<i64>,
    /// The record kinds asked for.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// The first day of the period.
    #[serde(default)]
    pub from: Option<String>,
    /// The last day of the period.
    #[serde(default)]
    pub to: Option<String>,
    /// The last day of a non-disclosure order.
    #[serde(default)]
    pub non_disclosure_until: Option<String>,
    /// The patron's consent, for `patron_consent`.
    #[serde(default)]
    pub consent_id: Option<i64>,
    /// For `emergency`: whether someone's safety is in imminent danger.
    #[serde(default)]
    pub imminent_danger: bool,
}

/// A request as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 7, "status": "received", "instrument": "court_order", "requester": {"name": "Officer Example", "agency": "Riverside County Sheriff", "email": "records@sheriff.demo.custodian.test"}, "court": "Circuit Court of Riverside County", "case_number": "26-CV-0042", "issued_on": "2026-02-10", "good_cause_shown": true, "finding": "good_cause", "patron_ids": [12], "kinds": ["circulation"], "from": "2026-01-01", "to": "2026-01-31", "non_disclosure_until": null, "consent_id": null, "created_at": "2026-02-11T10:00:00Z", "clause": null, "imminent_danger": false}))]
pub struct LegalRequestView {
    /// Its id.
    pub id: i64,
    /// `received`, `allowed` or `denied`.
    pub status: String,
    /// The instrument.
    pub instrument: String,
    /// Who serves it.
    pub requester: RequesterInput,
    /// The issuing court.
    pub court: String,
    /// Its case number.
    pub case_number: String,
    /// The day it was issued.
    pub issued_on: Option<String>,
    /// Whether good cause was shown.
    pub good_cause_shown: bool,
    /// What the court found.
    pub finding: String,
    /// The patrons named.
    pub patron_ids: Vec<i64>,
    /// The kinds asked for.
    pub kinds: Vec<String>,
    /// The first day of the period.
    pub from: Option<String>,
    /// The last day of the period.
    pub to: Option<String>,
    /// The last day of a non-disclosure order.
    pub non_disclosure_until: Option<String>,
    /// The patron's consent.
    pub consent_id: Option<i64>,
    /// When it was registered.
    #[serde(with = "store::time::rfc3339")]
    pub created_at: NaiveDateTime,
    /// The deciding clause's code, once decided.
    pub clause: Option<String>,
    /// For an emergency: whether someone's safety is in imminent danger.
    pub imminent_danger: bool,
}

impl From<LegalRequest> for LegalRequestView {
    fn from(r: LegalRequest) -> Self {
        LegalRequestView {
            id: r.id,
            patron_ids: r.patrons(),
            kinds: r.kind_names(),
            status: r.status,
            instrument: r.instrument,
            requester: RequesterInput {
                name: Some(r.requester_name),
                agency: Some(r.requester_agency),
                email: Some(r.requester_email),
            },
            court: r.court,
            case_number: r.case_number,
            issued_on: r.issued_on,
            good_cause_shown: r.good_cause_shown,
            finding: r.finding,
            from: r.from_date,
            to: r.to_date,
            non_disclosure_until: r.non_disclosure_until,
            consent_id: r.consent_id,
            created_at: r.created_at,
            clause: r.clause,
            imminent_danger: r.imminent_danger,
        }
    }
}

/// The custodian's decision, as the requester and the audit log see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    /// The request.
    pub id: i64,
    /// `allowed` or `denied`.
    pub status: &'static str,
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// The deciding clause (code and text).
    pub clause: Clause,
    /// The clause's statute citation, as text.
    pub citation: &'static str,
    /// Why it was refused, for a denial.
    pub reason: Option<&'static str>,
    /// What the requester would need, for a denial.
    pub requester_needs: Option<String>,
}

/// What an allowed request releases.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = LegalPackage)]
pub struct Package {
    /// The request.
    pub request: i64,
    /// The clause that allowed it.
    pub clause: String,
    /// Exactly the records in scope (none for an emergency).
    pub records: Vec<Record>,
    /// `records`, or `identity` for an emergency, which releases who the
    /// patrons are and nothing they borrowed or asked.
    pub releases: &'static str,
    /// For an emergency: the identity fields of each patron named.
    pub identities: Vec<Identity>,
}

/// Who a patron is, as an emergency releases it ([`EMERGENCY_FIELDS`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ReleasedIdentity)]
pub struct Identity {
    /// The patron.
    pub patron_id: i64,
    /// Their name.
    pub name: String,
    /// Their card number.
    pub card_number: String,
    /// Their date of birth, if the library has it.
    pub birth_date: Option<String>,
}

fn text(s: Option<String>) -> String {
    s.map(|v| v.trim().to_owned()).unwrap_or_default()
}

fn date(field: &'static str, s: Option<&str>) -> CustodyResult<Option<NaiveDate>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| CustodyError::Invalid {
                field,
                detail: format!("{field} must be a date such as 2026-12-02"),
            }),
    }
}

fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn invalid(field: &'static str, detail: &str) -> CustodyError {
    CustodyError::Invalid {
        field,
        detail: detail.to_owned(),
    }
}

/// Checks a registration, naming the first field that is wrong.
pub fn check(reg: Registration, registered_by: i64) -> CustodyResult<NewLegalRequest> {
    let instrument = text(reg.instrument);
    if !INSTRUMENTS.contains(&instrument.as_str()) {
        return Err(CustodyError::Invalid {
            field: "instrument",
            detail: format!("instrument must be one of {}", INSTRUMENTS.join(", ")),
        });
    }
    let requester = reg.requester.unwrap_or_default();
    let name = text(requester.name);
    if name.is_empty() {
        return Err(invalid("requester.name", "name who serves the request"));
    }
    let email = text(requester.email);
    if !email.is_empty() && !looks_like_email(&email) {
        return Err(invalid(
            "requester.email",
            "expected an email address such as name@example.org",
        ));
    }
    let finding = match reg.finding.map(|f| f.trim().to_owned()) {
        Some(f) if FINDINGS.contains(&f.as_str()) => f,
        Some(_) => {
            return Err(CustodyError::Invalid {
                field: "finding",
                detail: format!("finding must be one of {}", FINDINGS.join(", ")),
            })
        }
        None if reg.good_cause_shown => "as_statute_requires".to_owned(),
        None => "none".to_owned(),
    };
    if reg.patron_ids.is_empty() {
        return Err(invalid("patron_ids", "name at least one patron id"));
    }
    let emergency = instrument == "emergency";
    let mut kinds = reg.kinds;
    if emergency {
        // An emergency releases identity fields only; a kind beyond the
        // registration would let staff believe loans or questions go too.
        if kinds
            .iter()
            .any(|k| k != RecordKind::CardRegistration.as_str())
        {
            return Err(invalid(
                "kinds",
                "an emergency releases identity fields only (name, card number, date of birth), never loans, questions or other records: leave kinds out or name card_registration",
            ));
        }
        kinds = vec![RecordKind::CardRegistration.as_str().to_owned()];
    }
    if kinds.is_empty() {
        return Err(invalid("kinds", "name at least one record kind"));
    }
    for k in &kinds {
        if k.parse::<RecordKind>().is_err() {
            return Err(CustodyError::Invalid {
                field: "kinds",
                detail: format!(
                    "record kinds are {}",
                    RecordKind::ALL.map(RecordKind::as_str).join(", ")
                ),
            });
        }
    }
    let issued_on = date("issued_on", reg.issued_on.as_deref())?;
    let from = date("from", reg.from.as_deref())?;
    let to = date("to", reg.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(invalid("to", "the period must not end before it begins"));
        }
    }
    let until = date("non_disclosure_until", reg.non_disclosure_until.as_deref())?;
    if instrument == "patron_consent" && reg.consent_id.is_none() {
        return Err(invalid(
            "consent_id",
            "a patron_consent request names the consent",
        ));
    }
    let mut patron_ids = reg.patron_ids;
    patron_ids.sort_unstable();
    patron_ids.dedup();
    kinds.sort();
    kinds.dedup();
    Ok(NewLegalRequest {
        instrument,
        requester_name: name,
        requester_agency: text(requester.agency),
        requester_email: email,
        court: text(reg.court),
        case_number: text(reg.case_number),
        issued_on: day(issued_on),
        good_cause_shown: reg.good_cause_shown,
        finding,
        patron_ids,
        kinds,
        from_date: day(from),
        to_date: day(to),
        non_disclosure_until: day(until),
        consent_id: reg.consent_id,
        registered_by,
        imminent_danger: reg.imminent_danger,
    })
}

fn finding_of(code: &str) -> CourtFinding {
    match code {
        "good_cause" => CourtFinding::GoodCause,
        "necessary_for_public_safety" => CourtFinding::NecessaryForPublicSafety,
        "necessary_to_prosecute_crime" => CourtFinding::NecessaryToProsecuteCrime,
        "as_statute_requires" => CourtFinding::AsStatuteRequires,
        _ => CourtFinding::None,
    }
}

/// What a refused requester would have to bring, in words.
pub fn requester_needs(profile: &Profile, reason: DenyReason) -> String {
    let order = if profile.good_cause_suffices {
        "an order of a court of competent jurisdiction made on a proper showing of good cause"
    } else {
        "an order of a court of competent jurisdiction finding disclosure necessary to protect public safety or to prosecute a crime"
    };
    match reason {
        DenyReason::SubpoenaWithoutCourtOrder
        | DenyReason::LibraryRequiresCourtOrder
        | DenyReason::AgencyRequestRefused
        | DenyReason::InformalRequestRefused
        | DenyReason::FindingNotSufficient => {
            format!("{order}, or the written consent of each patron named")
        }
        DenyReason::NotVerifiedByCustodian => {
            "the library's custodian of records must examine and decide the request".to_owned()
        }
        other => other.text().to_owned(),
    }
}

fn kind_set(r: &LegalRequest) -> KindSet {
    let kinds: Vec<RecordKind> = r
        .kind_names()
        .iter()
        .filter_map(|k| k.parse().ok())
        .collect();
    KindSet::of(&kinds)
}

fn clause_code(code: Option<&str>) -> &'static str {
    code.and_then(Clause::from_code)
        .unwrap_or(Clause::CustodianDecides)
        .code()
}

/// The routes admit any staff of the library and leave this to custody: a
/// legal request is the custodian of records' alone (not even an admin's),
/// and an admin's final "decision" would be a refusal nobody could undo.
pub(crate) fn only_custodian(who: &StaffMember) -> CustodyResult<()> {
    if who.role == LibraryRole::Custodian {
        Ok(())
    } else {
        Err(CustodyError::Forbidden(
            "only the library's custodian of records decides a legal request, reads its package and opens its documents",
        ))
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Appends one step to the library's chain and returns its sequence number,
/// which a release keeps so its seal can lapse with the order.
pub(crate) fn step(
    tx: &mut store::LibraryTx<'_>,
    entry: &Entry<'_>,
    sealed: bool,
) -> store::StoreResult<i64> {
    let (actor, subject) = (entry.actor.to_string(), entry.subject.to_string());
    audit::append(
        tx,
        &audit::NewEntry {
            actor: &actor,
            action: entry.action,
            subject: &subject,
            purpose: entry.purpose,
            decision: if entry.ruling.allowed {
                "allow"
            } else {
                "deny"
            },
            clause: entry.ruling.clause,
            sealed,
        },
        Utc::now().naive_utc(),
    )
    .map(|e| e.seq)
}

/// Registers a request as it arrived; the chain records it under the clause
/// that leaves the decision to the custodian of records.
pub fn register(
    custody: &Custody,
    who: &StaffMember,
    reg: Registration,
) -> CustodyResult<LegalRequestView> {
    let new = check(reg, who.account.0)?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        let wanted: Vec<PatronId> = new.patron_ids.iter().copied().map(PatronId).collect();
        let found = records::existing_patrons(tx, &wanted)?;
        if found.len() != wanted.len() {
            return Err(invalid(
                "patron_ids",
                "every patron id must be a patron of this library",
            ));
        }
        if let Some(consent) = new
            .consent_id
            .filter(|_| new.instrument == "patron_consent")
        {
            consent_of_patron(tx, consent, &new.patron_ids)?;
        }
        let id = sql::insert(tx, custody.keys(), &new, Utc::now().naive_utc())?;
        let purpose = format!("{} registered", new.instrument);
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.registered",
                subject: &Subject::LegalRequest(id),
                purpose: &purpose,
                ruling: Ruling {
                    allowed: true,
                    clause: Clause::CustodianDecides.code(),
                },
            },
            false,
        )?;
        Ok(sql::get(tx, custody.keys(), id)?.into())
    })
}

/// Checks that `consent` is a written consent to disclosure of the one
/// patron the request names; the consent of another patron, or a guardian's
/// consent to registration, is no consent to this.
fn consent_of_patron(tx: &mut LibraryTx<'_>, consent: i64, patrons: &[i64]) -> CustodyResult<()> {
    let Some((owner, kind)) = sql::consent_owner(tx, consent)? else {
        return Err(CustodyError::Invalid {
            field: "consent_id",
            detail: format!(
                "this library has no consent {consent}; record the patron's written consent first"
            ),
        });
    };
    if patrons != [owner] {
        return Err(CustodyError::Invalid {
            field: "consent_id",
            detail: format!(
                "consent {consent} is another patron's: a patron_consent request names exactly the patron who gave it (patron_ids: [{owner}])"
            ),
        });
    }
    if kind != "disclosure" {
        return Err(CustodyError::Invalid {
            field: "consent_id",
            detail: format!(
                "consent {consent} is a {kind} consent, not the patron's written consent to disclosure"
            ),
        });
    }
    Ok(())
}

/// The library's requests, by id after `after`, optionally in one status.
pub fn list(
    custody: &Custody,
    who: &StaffMember,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<LegalRequestView>> {
    if let Some(s) = status {
        if !["received", "allowed", "denied"].contains(&s) {
            return Err(invalid("status", "status is received, allowed or denied"));
        }
    }
    custody.store().read(who.library.id, |tx| {
        Ok(sql::list(tx, custody.keys(), status, after, limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    })
}

/// One request of the library.
pub fn get(custody: &Custody, who: &StaffMember, id: i64) -> CustodyResult<LegalRequestView> {
    custody.store().read(who.library.id, |tx| {
        Ok(sql::get(tx, custody.keys(), id)?.into())
    })
}

/// The patron's written consent as the policy reads it. The consent record
/// names no recipient, so the requester named in the request is taken as
/// the one it was given to; its scope names the record kinds it covers
/// (`circulation, reference`), and one naming none covers none. A consent
/// without an end lapses after the longest the library allows.
fn consent_terms(
    tx: &mut LibraryTx<'_>,
    custody: &Custody,
    doc: &PolicyDocument,
    r: &LegalRequest,
) -> CustodyResult<(bool, KindSet, NaiveDate, NaiveDate, bool)> {
    let consent = r
        .consent_id
        .ok_or_else(|| invalid("consent_id", "a patron_consent request names the consent"))?;
    consent_of_patron(tx, consent, &r.patrons())?;
    let patron = PatronId(r.patrons().first().copied().unwrap_or_default());
    let record = store::patrons::consents(tx, custody.keys(), patron)?
        .into_iter()
        .find(|c| c.id == consent)
        .ok_or_else(|| invalid("consent_id", "the consent is no longer on record"))?;
    let kinds: Vec<RecordKind> = record
        .scope
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter_map(|w| w.to_ascii_lowercase().parse().ok())
        .collect();
    let now = Utc::now().naive_utc();
    let signed_on = record.granted_at.date();
    let expires_on = match record.expires_at {
        // Ended earlier today: no longer in force, though the date is today's.
        Some(e) if e <= now => today() - Duration::days(1),
        Some(e) => e.date(),
        None => signed_on + Duration::days(i64::from(doc.consent_max_days())),
    };
    Ok((
        record.kind == "disclosure",
        KindSet::of(&kinds),
        signed_on,
        expires_on,
        record.revoked_at.is_some(),
    ))
}

/// The policy's question for a registered request, decided by `who`.
fn basis_decision(
    tx: &mut LibraryTx<'_>,
    custody: &Custody,
    who: &StaffMember,
    r: &LegalRequest,
) -> CustodyResult<(&'static Profile, Decision)> {
    // The library's published version decides, as everywhere the gate does.
    let (profile, document) = custody.policies().in_force(tx, &who.library)?;
    let document = &*document;
    let process = LegalProcess {
        verified_by: Some(who.role),
        finding: finding_of(&r.finding),
        nondisclosure_order: r.non_disclosure_until.is_some(),
    };
    let requester_id = if r.requester_agency.is_empty() {
        r.requester_name.clone()
    } else {
        r.requester_agency.clone()
    };
    let terms = if r.instrument == "patron_consent" {
        Some(consent_terms(tx, custody, document, r)?)
    } else {
        None
    };
    let consent = terms.map(|(written, kinds, signed_on, expires_on, revoked)| Consent {
        written,
        recipient: &requester_id,
        kinds,
        fields: FieldSet::all(),
        signed_on,
        expires_on,
        revoked,
    });
    let (basis, fields) = match (r.instrument.as_str(), consent.as_ref()) {
        ("court_order" | "search_warrant", _) => (Basis::CourtOrder(&process), FieldSet::all()),
        ("subpoena", _) => (Basis::Subpoena(&process), FieldSet::all()),
        ("agency_request" | "national_security_letter", _) => {
            (Basis::AgencyRequest, FieldSet::all())
        }
        ("emergency", _) => (
            Basis::Emergency {
                imminent_danger: r.imminent_danger,
            },
            EMERGENCY_FIELDS,
        ),
        ("patron_consent", Some(c)) => (Basis::WrittenConsent(c), FieldSet::all()),
        _ => {
            return Err(invalid(
                "instrument",
                "the request's instrument is not one custodian can decide",
            ))
        }
    };
    let request = DisclosureRequest {
        requester: Requester::Outside,
        requester_id: &requester_id,
        relation: Relation::Unrelated,
        kinds: kind_set(r),
        fields,
        basis,
    };
    Ok((profile, decide(profile, document, &request, today())))
}

fn view_of(id: i64, profile: &Profile, decision: &Decision) -> DecisionView {
    let clause = decision.clause();
    let reason = match decision {
        Decision::Allow { .. } => None,
        Decision::Deny { reason, .. } => Some(*reason),
    };
    let allowed = reason.is_none();
    DecisionView {
        id,
        status: if allowed { "allowed" } else { "denied" },
        decision: if allowed { "allow" } else { "deny" },
        clause,
        citation: clause.text(),
        reason: reason.map(DenyReason::text),
        requester_needs: reason.map(|r| requester_needs(profile, r)),
    }
}

/// What the policy would decide, shown to the custodian of records before
/// they decide; nothing is recorded, since nothing is released or refused.
pub fn review(custody: &Custody, who: &StaffMember, id: i64) -> CustodyResult<DecisionView> {
    only_custodian(who)?;
    custody.store().read(who.library.id, |tx| {
        let r = sql::get(tx, custody.keys(), id)?;
        let (profile, decision) = basis_decision(tx, custody, who, &r)?;
        Ok(view_of(id, profile, &decision))
    })
}

/// The custodian of records decides a request; the decision is final
/// (a second one is a conflict) and lands in the chain with its clause.
pub fn decide_request(
    custody: &Custody,
    who: &StaffMember,
    id: i64,
) -> CustodyResult<DecisionView> {
    only_custodian(who)?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        let r = sql::get(tx, custody.keys(), id)?;
        if r.status != "received" {
            return Err(CustodyError::Conflict(
                "the legal request has already been decided".into(),
            ));
        }
        let (profile, decision) = basis_decision(tx, custody, who, &r)?;
        let view = view_of(id, profile, &decision);
        let allowed = view.decision == "allow";
        sql::decide(
            tx,
            id,
            allowed,
            view.clause.code(),
            view.reason,
            who.account.0,
            Utc::now().naive_utc(),
        )?;
        let purpose = format!("{} decided", r.instrument);
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.decided",
                subject: &Subject::LegalRequest(id),
                purpose: &purpose,
                ruling: Ruling {
                    allowed,
                    clause: view.clause.code(),
                },
            },
            false,
        )?;
        Ok(view)
    })
}

fn start_of(d: Option<&str>) -> CustodyResult<Option<NaiveDateTime>> {
    Ok(date("from", d)?.and_then(|d| d.and_hms_opt(0, 0, 0)))
}

fn end_of(d: Option<&str>) -> CustodyResult<Option<NaiveDateTime>> {
    Ok(date("to", d)?
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// The records an allowed request releases; each patron's release is an
/// audit entry about them, sealed while the non-disclosure order runs.
pub fn package(custody: &Custody, who: &StaffMember, id: i64) -> CustodyResult<Package> {
    only_custodian(who)?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        let r = sql::get(tx, custody.keys(), id)?;
        if r.status != "allowed" {
            return Err(CustodyError::Conflict(if r.status == "denied" {
                "the legal request was denied; nothing is released".into()
            } else {
                "the legal request has not been decided; nothing is released yet".into()
            }));
        }
        let clause = clause_code(r.clause.as_deref());
        let patrons: Vec<PatronId> = r.patrons().into_iter().map(PatronId).collect();
        let emergency = r.instrument == "emergency";
        let (found, identities) = if emergency {
            let mut people = Vec::with_capacity(patrons.len());
            for p in &patrons {
                let patron = store::patrons::get(tx, custody.keys(), *p)?;
                people.push(Identity {
                    patron_id: p.0,
                    name: patron.data.name,
                    card_number: patron.data.card_number,
                    birth_date: day(patron.data.birth_date),
                });
            }
            (Vec::new(), people)
        } else {
            let found = records::in_scope(
                tx,
                custody.keys(),
                &patrons,
                &r.kind_names(),
                start_of(r.from_date.as_deref())?,
                end_of(r.to_date.as_deref())?,
            )?;
            (found, Vec::new())
        };
        let sealed = date("non_disclosure_until", r.non_disclosure_until.as_deref())?
            .is_some_and(|until| until > today());
        // The patron is told once, at the first release; reading the package
        // again records another release but sends no second letter.
        let first_release = !sql::released_before(tx, id)?;
        if !sealed && first_release {
            if let Some(notifier) = custody.release_notifier() {
                tell_patrons(tx, custody, notifier, who, &r, clause, &patrons)?;
            }
        }
        let purpose = format!("legal request {id}: {}", r.instrument);
        for p in &patrons {
            let subject = Subject::Patron(*p);
            let seq = step(
                tx,
                &Entry {
                    actor: &actor,
                    action: "legal.release",
                    subject: &subject,
                    purpose: &purpose,
                    ruling: Ruling {
                        allowed: true,
                        clause,
                    },
                },
                sealed,
            )?;
            sql::record_release(tx, id, seq, &subject.to_string())?;
        }
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.package",
                subject: &Subject::LegalRequest(id),
                purpose: &purpose,
                ruling: Ruling {
                    allowed: true,
                    clause,
                },
            },
            false,
        )?;
        Ok(Package {
            request: id,
            clause: clause.to_owned(),
            records: found,
            releases: if emergency { "identity" } else { "records" },
            identities,
        })
    })
}

/// What a patron is told when records about them were released and no
/// non-disclosure order keeps it from them.
#[derive(Debug, Clone)]
pub struct ReleaseNotice {
    /// The library, by name.
    pub library: String,
    /// The legal request.
    pub request: i64,
    /// The instrument, in words (`a court order`).
    pub instrument: String,
    /// What was released, in words (`circulation records`, or identity fields for an emergency).
    pub released: String,
    /// The period, in words (`from 2026-10-01 to 2026-10-31`, or `of any date`).
    pub period: String,
    /// To whom: the agency, or the person where no agency was named.
    pub recipient: String,
    /// The issuing court, if any.
    pub court: String,
    /// Its case number, if any.
    pub case_number: String,
    /// The clause that allowed it, as text with its citation.
    pub clause: String,
}

/// Queues the release notice to one patron in the release's transaction.
///
/// custody cannot depend on notifier (notifier depends on custody), so the
/// mail is rendered and queued by an implementation the application hands
/// to [`Custody::with_release_notifier`]: notifier keeps its templates and
/// its outbox composer, custody decides when a patron is told and what.
pub trait ReleaseNotifier: Send + Sync {
    /// Renders the notice and queues it to `to` through the outbox, inside `tx`.
    fn queue_release_notice(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        notice: &ReleaseNotice,
    ) -> CustodyResult<()>;
}

fn instrument_words(instrument: &str) -> &'static str {
    match instrument {
        "court_order" => "a court order",
        "search_warrant" => "a search warrant",
        "subpoena" => "a subpoena",
        "agency_request" => "an agency's request",
        "national_security_letter" => "a national security letter",
        "emergency" => "an emergency involving imminent danger",
        "patron_consent" => "your written consent",
        _ => "a legal request",
    }
}

/// One notice to each named patron who has an email address.
fn tell_patrons(
    tx: &mut LibraryTx<'_>,
    custody: &Custody,
    notifier: &dyn ReleaseNotifier,
    who: &StaffMember,
    r: &LegalRequest,
    clause: &'static str,
    patrons: &[PatronId],
) -> CustodyResult<()> {
    let released = if r.instrument == "emergency" {
        "who you are (your name, card number and date of birth), and none of your records"
            .to_owned()
    } else {
        format!("{} records", r.kind_names().join(", ").replace('_', " "))
    };
    let period = match (r.from_date.as_deref(), r.to_date.as_deref()) {
        (Some(f), Some(t)) => format!("from {f} to {t}"),
        (Some(f), None) => format!("from {f} on"),
        (None, Some(t)) => format!("up to {t}"),
        (None, None) => "of any date".to_owned(),
    };
    let recipient = if r.requester_agency.is_empty() {
        r.requester_name.clone()
    } else {
        r.requester_agency.clone()
    };
    let clause_text = Clause::from_code(clause)
        .map(|c| format!("{} ({})", c.text(), c.code()))
        .unwrap_or_else(|| clause.to_owned());
    let notice = ReleaseNotice {
        library: who.library.name.clone(),
        request: r.id,
        instrument: instrument_words(&r.instrument).to_owned(),
        released,
        period,
        recipient,
        court: r.court.clone(),
        case_number: r.case_number.clone(),
        clause: clause_text,
    };
    for p in patrons {
        let patron = store::patrons::get(tx, custody.keys(), *p)?;
        if let Some(to) = patron.data.email.filter(|e| !e.trim().is_empty()) {
            notifier.queue_release_notice(tx, &to, &notice)?;
        }
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The package as CSV, one record a line (an emergency's: one patron a line).
pub fn package_csv(p: &Package) -> String {
    if p.releases == "identity" {
        let mut out = String::from("patron_id,name,card_number,birth_date\n");
        for i in &p.identities {
            let line = [
                i.patron_id.to_string(),
                csv_field(&i.name),
                csv_field(&i.card_number),
                i.birth_date.clone().unwrap_or_default(),
            ];
            out.push_str(&line.join(","));
            out.push('\n');
        }
        return out;
    }
    let mut out = String::from(
        "patron_id,record_id,kind,occurred_at,ended_at,item,branch,status,amount_cents,details\n",
    );
    for r in &p.records {
        let line = [
            r.patron_id.map(|p| p.0.to_string()).unwrap_or_default(),
            r.id.to_string(),
            csv_field(&r.kind),
            store::time::format(&r.occurred_at),
            r.ended_at
                .map(|t| store::time::format(&t))
                .unwrap_or_default(),
            csv_field(&r.item),
            csv_field(&r.branch),
            csv_field(&r.status),
            r.amount_cents.map(|a| a.to_string()).unwrap_or_default(),
            csv_field(r.details.as_deref().unwrap_or("")),
        ];
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy::jurisdiction::MISSOURI;

    fn reg() -> Registration {
        Registration {
            instrument: Some("subpoena".into()),
            requester: Some(RequesterInput {
                name: Some("Det. Ray".into()),
                agency: Some("County Sheriff".into()),
                email: None,
            }),
            patron_ids: vec![3, 2, 3],
            kinds: vec!["circulation".into()],
            ..Registration::default()
        }
    }

    #[test]
    fn a_registration_names_the_wrong_field() {
        let mut r = reg();
        r.instrument = Some("letter".into());
        assert!(matches!(
            check(r, 1),
            Err(CustodyError::Invalid {
                field: "instrument",
                ..
            })
        ));
        let mut r = reg();
        r.kinds = vec!["diary".into()];
        assert!(matches!(
            check(r, 1),
            Err(CustodyError::Invalid { field: "kinds", .. })
        ));
        let mut r = reg();
        r.from = Some("2026-13-01".into());
        assert!(matches!(
            check(r, 1),
            Err(CustodyError::Invalid { field: "from", .. })
        ));
        let mut r = reg();
        r.requester = None;
        assert!(matches!(
            check(r, 1),
            Err(CustodyError::Invalid {
                field: "requester.name",
                ..
            })
        ));
        let ok = check(reg(), 1).unwrap();
        assert_eq!(ok.patron_ids, vec![2, 3]);
        assert_eq!(ok.finding, "none");
    }

    #[test]
    fn good_cause_shown_is_the_statutes_showing_unless_the_order_says_more() {
        let mut r = reg();
        r.good_cause_shown = true;
        assert_eq!(check(r.clone(), 1).unwrap().finding, "as_statute_requires");
        r.finding = Some("necessary_to_prosecute_crime".into());
        assert_eq!(check(r, 1).unwrap().finding, "necessary_to_prosecute_crime");
    }

    #[test]
    fn a_refused_subpoena_says_a_court_order_is_needed() {
        let needs = requester_needs(&MISSOURI, DenyReason::SubpoenaWithoutCourtOrder);
        assert!(needs.contains("court of competent jurisdiction"), "{needs}");
        assert!(needs.contains("prosecute a crime"), "{needs}");
    }
}
