//! A library's patrons and records, for its staff: `/api/v1/libraries/{library}/patrons`, `/records`.
//!
//! Every read of a patron's data states a purpose and is decided by the
//! policy crate; the decision lands in the library's audit log in the same
//! transaction as the read.

use super::{blocking, PageQuery, Paged};
use crate::auth::LibraryAccess;
use crate::disclosure::{decide_and_record, Trace};
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use policy::disclosure::{Basis, Decision, Relation, Request, Requester};
use policy::document::PolicyDocument;
use policy::jurisdiction::Profile;
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use policy::staff::{decide_patron_work, LibraryRole, StaffDecision, Standing};
use serde::Deserialize;
use store::patrons::{self, NewConsent, PatronChange, PatronData, PatronId, PatronSummary};
use store::records::{self, NewRecord, Record};
use store::sealing::Keyring;
use store::{audit, LibraryTx, StoreError};

/// The staff member's role, once the library lets them work with patrons at all.
fn worker(access: &LibraryAccess) -> ApiResult<LibraryRole> {
    match (decide_patron_work(access.standing), access.standing) {
        (StaffDecision::Allow, Standing::Member(role)) => Ok(role),
        (StaffDecision::Forbidden(why), _) => Err(ApiError::Forbidden(why)),
        _ => Err(ApiError::NotFound),
    }
}

fn purpose_of(p: Option<&str>) -> ApiResult<String> {
    match p.map(str::trim) {
        Some(p) if !p.is_empty() && p.len() <= 500 => Ok(p.to_owned()),
        _ => Err(ApiError::Invalid {
            field: "purpose".into(),
            detail: "state why you need this patron's data (for example purpose=hold pickup); the reason is kept in the library's audit log".into(),
        }),
    }
}

/// What a staff request under library operations asks for.
fn staff_request<'a>(
    role: LibraryRole,
    actor: &'a str,
    purpose: &'a str,
    kinds: KindSet,
    fields: FieldSet,
) -> Request<'a> {
    Request {
        requester: Requester::Staff(role),
        requester_id: actor,
        relation: Relation::Unrelated,
        kinds,
        fields,
        basis: Basis::LibraryOperations { purpose },
    }
}

/// Everything a staff endpoint needs inside its blocking closure.
struct Ctx {
    store: store::Store,
    keys: std::sync::Arc<Keyring>,
    policies: std::sync::Arc<crate::disclosure::Policies>,
    library: store::libraries::Library,
    role: LibraryRole,
    actor: String,
}

impl Ctx {
    fn new(state: &AppState, access: &LibraryAccess) -> ApiResult<Self> {
        let role = worker(access)?;
        Ok(Ctx {
            store: state.store.clone(),
            keys: state.keys.clone(),
            policies: state.policies.clone(),
            library: access.library.clone(),
            role,
            actor: format!("account:{}", access.caller.id.0),
        })
    }

    fn policy(&self) -> ApiResult<(&'static Profile, &PolicyDocument)> {
        self.policies.of(&self.library.jurisdiction).ok_or_else(|| {
            ApiError::Internal(format!(
                "no policy for jurisdiction {}",
                self.library.jurisdiction
            ))
        })
    }

    /// Decides and records a staff request in a write scope, then runs `f` if allowed.
    fn decided<T>(
        &self,
        action: &str,
        subject: &str,
        purpose: &str,
        kinds: KindSet,
        fields: FieldSet,
        f: impl FnOnce(&mut LibraryTx<'_>, &Keyring) -> Result<T, ApiError>,
    ) -> ApiResult<T> {
        let (profile, document) = self.policy()?;
        let request = staff_request(self.role, &self.actor, purpose, kinds, fields);
        let trace = Trace {
            actor: &self.actor,
            action,
            subject,
            purpose,
        };
        let today = Utc::now().date_naive();
        // A refusal is recorded too, so it must commit: decide in one
        // transaction and act in the same one only when allowed.
        self.store.write(self.library.id, |tx| {
            match decide_and_record(tx, profile, document, &request, &trace, today)? {
                Decision::Allow { .. } => f(tx, &self.keys).map(Ok),
                Decision::Deny { reason, .. } => Ok(Err(ApiError::Refused(reason.text()))),
            }
        })?
    }
}

/// `?card=&email=&purpose=&limit=&cursor=`
#[derive(Deserialize)]
pub struct SearchQuery {
    card: Option<String>,
    email: Option<String>,
    purpose: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Finds patrons by card number or email (blind index), or lists them; cards shown by their last four only.
pub async fn search(
    state: web::Data<AppState>,
    access: LibraryAccess,
    q: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let (card, email) = (q.card.clone(), q.email.clone());
    let fields = FieldSet::of(&[Field::Name, Field::CardNumber]);
    let kinds = KindSet::of(&[RecordKind::CardRegistration]);
    let items = blocking(move || {
        ctx.decided("patron.search", "", &purpose, kinds, fields, |tx, keys| {
            Ok(match (card, email) {
                (Some(card), _) => patrons::summary_by_card(tx, keys, &card)?,
                (None, Some(email)) => patrons::by_email(tx, keys, &email)?,
                (None, None) => patrons::list(tx, keys, page.after.map(PatronId), page.limit)?,
            })
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |p: &PatronSummary| p.id.0)))
}

/// `POST …/patrons`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    card_number: String,
    pin: String,
    name: String,
    address: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    birth_date: Option<NaiveDate>,
    guardian: Option<String>,
    /// A guardian's consent given at the desk with the registration.
    guardian_consent: Option<GuardianConsent>,
}

/// A guardian's consent, as staff record it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianConsent {
    given_by: String,
    #[serde(default = "default_scope")]
    scope: String,
}

fn default_scope() -> String {
    "registration and contact".into()
}

/// The guardian-gated fields this data would store, named for people; empty
/// for an adult, or when a guardian's consent is on record.
pub(crate) fn gated_fields(
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

pub(crate) fn guardian_consent_in_force(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
) -> ApiResult<bool> {
    let now = Utc::now().naive_utc();
    Ok(patrons::consents(tx, keys, patron)?
        .iter()
        .any(|c| c.kind == "guardian" && c.in_force(now)))
}

/// Registers a patron. Storing a guardian-gated field for a patron under the library's age needs a guardian's consent.
pub async fn register(
    state: web::Data<AppState>,
    access: LibraryAccess,
    body: web::Json<Registration>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let r = body.into_inner();
    if r.card_number.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "card_number".into(),
            detail: "a card number is required".into(),
        });
    }
    if r.name.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "name".into(),
            detail: "a name is required".into(),
        });
    }
    if r.pin.chars().count() < super::patron::MIN_PIN {
        return Err(ApiError::Invalid {
            field: "pin".into(),
            detail: format!("a PIN has at least {} characters", super::patron::MIN_PIN),
        });
    }
    super::check_email(r.email.as_deref())?;
    let data = PatronData {
        card_number: r.card_number.trim().to_owned(),
        name: r.name.trim().to_owned(),
        address: r.address,
        email: r.email,
        phone: r.phone,
        birth_date: r.birth_date,
        guardian: r.guardian,
    };
    let consent = r.guardian_consent;
    let pin = r.pin;
    let patron = state
        .hashing
        .run(move || {
            let pin_hash = passwords::hash(&pin).map_err(ApiError::Internal)?;
            let (_, document) = ctx.policy()?;
            let gated = gated_fields(document, &data, consent.is_some());
            if !gated.is_empty() {
                return Err(ApiError::GuardianConsentRequired(gated));
            }
            let fields = FieldSet::of(&[
                Field::Name,
                Field::CardNumber,
                Field::Address,
                Field::Phone,
                Field::Email,
                Field::DateOfBirth,
            ]);
            ctx.decided(
                "patron.register",
                "",
                "registration",
                KindSet::of(&[RecordKind::CardRegistration]),
                fields,
                |tx, keys| {
                    let now = Utc::now().naive_utc();
                    let patron =
                        patrons::create(tx, keys, &data, &pin_hash, now).map_err(|e| match e {
                            StoreError::Conflict(_) => ApiError::Conflict(
                                "this card number is already registered at this library".into(),
                            ),
                            other => other.into(),
                        })?;
                    if let Some(c) = &consent {
                        let new = NewConsent {
                            kind: "guardian",
                            scope: &c.scope,
                            given_by: &c.given_by,
                            granted_at: now,
                            expires_at: None,
                        };
                        patrons::add_consent(tx, keys, patron.id, &new)?;
                    }
                    Ok(patron)
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(patron))
}

/// `?purpose=`
#[derive(Deserialize)]
pub struct Purpose {
    purpose: Option<String>,
}

/// One patron's data, for a stated purpose.
pub async fn read(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    q: web::Query<Purpose>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    let id = PatronId(path.into_inner().1);
    let subject = format!("patron:{}", id.0);
    let fields = FieldSet::of(&[
        Field::Name,
        Field::CardNumber,
        Field::Address,
        Field::Phone,
        Field::Email,
        Field::DateOfBirth,
    ]);
    let patron = blocking(move || {
        ctx.decided(
            "patron.read",
            &subject,
            &purpose,
            KindSet::of(&[RecordKind::CardRegistration]),
            fields,
            |tx, keys| {
                let p = patrons::get(tx, keys, id)?;
                let consents = patrons::consents(tx, keys, id)?;
                Ok(serde_json::json!({ "patron": p, "consents": consents }))
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(patron))
}

/// `?purpose=&limit=&cursor=`
#[derive(Deserialize)]
pub struct RecordsQuery {
    purpose: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// One patron's records, newest first, for a stated purpose.
pub async fn patron_records(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    q: web::Query<RecordsQuery>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let id = PatronId(path.into_inner().1);
    let subject = format!("patron:{}", id.0);
    let (before, limit) = (page.after, page.limit);
    let items = blocking(move || {
        ctx.decided(
            "patron.records",
            &subject,
            &purpose,
            KindSet::all(),
            FieldSet::all(),
            |tx, keys| {
                patrons::get(tx, keys, id)?;
                Ok(records::for_patron(tx, keys, id, before, limit)?)
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |r: &Record| r.id)))
}

/// `PATCH …/patrons/{id}`: absent fields stay, `null` clears.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    purpose: Option<String>,
    name: Option<String>,
    #[serde(default, with = "super::double_option")]
    address: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    email: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    phone: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    birth_date: Option<Option<NaiveDate>>,
    #[serde(default, with = "super::double_option")]
    guardian: Option<Option<String>>,
    contact_by: Option<String>,
}

/// Corrects a patron's data.
pub async fn correct(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<Correction>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let c = body.into_inner();
    let purpose = purpose_of(c.purpose.as_deref())?;
    if matches!(&c.name, Some(n) if n.trim().is_empty()) {
        return Err(ApiError::Invalid {
            field: "name".into(),
            detail: "a name cannot be empty".into(),
        });
    }
    super::check_contact_by(c.contact_by.as_deref())?;
    let change = PatronChange {
        name: c.name.map(|n| n.trim().to_owned()),
        address: c.address,
        email: c.email,
        phone: c.phone,
        birth_date: c.birth_date,
        guardian: c.guardian,
        contact_by: c.contact_by,
    };
    super::check_email(change.email.as_ref().and_then(|e| e.as_deref()))?;
    let id = PatronId(path.into_inner().1);
    let subject = format!("patron:{}", id.0);
    let fields = FieldSet::of(&[
        Field::Name,
        Field::CardNumber,
        Field::Address,
        Field::Phone,
        Field::Email,
        Field::DateOfBirth,
    ]);
    let patron = blocking(move || {
        let (_, document) = ctx.policy()?;
        let document = document.clone();
        ctx.decided(
            "patron.correct",
            &subject,
            &purpose,
            KindSet::of(&[RecordKind::CardRegistration]),
            fields,
            |tx, keys| {
                let current = patrons::get(tx, keys, id)?;
                let mut after = current.data.clone();
                apply(&mut after, &change);
                let gated =
                    gated_fields(&document, &after, guardian_consent_in_force(tx, keys, id)?);
                if !gated.is_empty() {
                    return Err(ApiError::GuardianConsentRequired(gated));
                }
                Ok(patrons::update(
                    tx,
                    keys,
                    id,
                    &change,
                    Utc::now().naive_utc(),
                )?)
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(patron))
}

pub(crate) fn apply(data: &mut PatronData, c: &PatronChange) {
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

/// `POST …/patrons/{id}/consents`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    kind: String,
    given_by: String,
    #[serde(default = "default_scope")]
    scope: String,
    #[serde(default, with = "store::time::rfc3339_option")]
    expires_at: Option<NaiveDateTime>,
}

/// Records a guardian's consent or a patron's written consent.
pub async fn add_consent(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<ConsentBody>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let c = body.into_inner();
    if !["guardian", "disclosure"].contains(&c.kind.as_str()) {
        return Err(ApiError::Invalid {
            field: "kind".into(),
            detail: "expected guardian or disclosure".into(),
        });
    }
    if c.given_by.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "given_by".into(),
            detail: "name who gave the consent".into(),
        });
    }
    let id = PatronId(path.into_inner().1);
    let subject = format!("patron:{}", id.0);
    let consent_id = blocking(move || {
        ctx.decided(
            "patron.consent",
            &subject,
            "recording a consent",
            KindSet::of(&[RecordKind::CardRegistration]),
            FieldSet::of(&[Field::Name]),
            |tx, keys| {
                patrons::get(tx, keys, id)?;
                let new = NewConsent {
                    kind: &c.kind,
                    scope: &c.scope,
                    given_by: c.given_by.trim(),
                    granted_at: Utc::now().naive_utc(),
                    expires_at: c.expires_at,
                };
                Ok(patrons::add_consent(tx, keys, id, &new)?)
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": consent_id })))
}

/// `POST …/patrons/{id}/merge`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    duplicate_id: i64,
    purpose: Option<String>,
}

/// Merges a duplicate registration into this patron.
pub async fn merge(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<Merge>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let keep = PatronId(path.into_inner().1);
    let duplicate = PatronId(body.duplicate_id);
    let purpose = purpose_of(
        body.purpose
            .as_deref()
            .or(Some("merging duplicate registrations")),
    )?;
    let subject = format!("patron:{}", keep.0);
    let moved = blocking(move || {
        ctx.decided(
            "patron.merge",
            &subject,
            &purpose,
            KindSet::all(),
            FieldSet::all(),
            // The merge commits with the decision that allowed it, or neither does.
            |tx, _| Ok(patrons::merge(tx, keep, duplicate)?),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        serde_json::json!({ "kept": keep.0, "removed": duplicate.0, "records_moved": moved }),
    ))
}

/// Deletes a patron; their records are deleted or kept without the link, as the library's policy says per kind.
pub async fn delete(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    q: web::Query<Purpose>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    let id = PatronId(path.into_inner().1);
    let subject = format!("patron:{}", id.0);
    let report = blocking(move || {
        let (_, document) = ctx.policy()?;
        let schedule = *document.schedule();
        ctx.decided("patron.delete", &subject, &purpose, KindSet::all(), FieldSet::all(), |tx, keys| {
            patrons::get(tx, keys, id)?;
            let mut deleted = 0usize;
            let mut anonymized = 0usize;
            let mut before = None;
            let mut to_delete = Vec::new();
            loop {
                let page = records::for_patron(tx, keys, id, before, 1000)?;
                let Some(last) = page.last() else { break };
                before = Some(last.id);
                for r in page {
                    let deletes = r
                        .kind
                        .parse::<RecordKind>()
                        .ok()
                        .is_some_and(|k| schedule.rule(k).then == policy::retention::PurgeMethod::Delete);
                    if deletes {
                        to_delete.push(r.id);
                    } else {
                        anonymized += 1;
                    }
                }
            }
            deleted += records::delete(tx, &to_delete)?;
            patrons::delete(tx, id)?;
            Ok(serde_json::json!({ "deleted": true, "records_deleted": deleted, "records_kept_without_link": anonymized }))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

fn check_kind(kind: &str) -> Result<(), String> {
    kind.parse::<RecordKind>().map(drop).map_err(|_| {
        let known: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "unknown record kind {kind:?}; expected one of {}",
            known.join(", ")
        )
    })
}

/// What the retention schedule says about a record right now.
fn retention_now(
    schedule: &policy::retention::Schedule,
    kind: &str,
    linked: bool,
    ended_at: Option<NaiveDateTime>,
    amount: Option<i64>,
    settled: Option<NaiveDateTime>,
    opted_in: bool,
) -> policy::retention::PurgeAction {
    use policy::retention::{purge_action, Charge, RecordFacts};
    let Ok(kind) = kind.parse::<RecordKind>() else {
        return policy::retention::PurgeAction::Nothing {
            clause: policy::clause::Clause::AggregatesNotRecords,
        };
    };
    let charge = match (amount, settled) {
        (Some(a), None) if a > 0 => Charge::Outstanding,
        (Some(_), Some(s)) => Charge::SettledOn(s.date()),
        _ => Charge::None,
    };
    let facts = RecordFacts {
        kind,
        linked,
        closed_on: ended_at.map(|e| e.date()),
        history_opt_in: opted_in,
        charge,
    };
    purge_action(schedule, &facts, Utc::now().date_naive())
}

/// A line of a feed: a record, naming its patron by id or by card number.
#[derive(Deserialize)]
pub struct FeedLine {
    #[serde(flatten)]
    record: NewRecord,
    card_number: Option<String>,
}

/// The most records one feed request may carry.
pub const FEED_LIMIT: usize = 10_000;

/// Adds one record.
pub async fn add_record(
    state: web::Data<AppState>,
    access: LibraryAccess,
    body: web::Json<FeedLine>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let done = ingest(ctx, vec![body.into_inner()]).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "ids": done.ids, "unlinked_on_arrival": done.unlinked, "deleted_on_arrival": done.deleted })))
}

/// Adds up to 10,000 records sent as JSON lines; all or nothing, the first bad line reported.
pub async fn feed(
    state: web::Data<AppState>,
    access: LibraryAccess,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let text = std::str::from_utf8(&body).map_err(|e| ApiError::FeedLine {
        line: 1 + body[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        detail: "not UTF-8 text".into(),
    })?;
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        if lines.len() == FEED_LIMIT {
            return Err(ApiError::FeedLine { line: i + 1, detail: format!("a request carries at most {FEED_LIMIT} records; send the rest in another request") });
        }
        let parsed: FeedLine = serde_json::from_str(raw).map_err(|e| ApiError::FeedLine {
            line: i + 1,
            detail: format!("not a record: {e}"),
        })?;
        check_kind(&parsed.record.kind).map_err(|detail| ApiError::FeedLine {
            line: i + 1,
            detail,
        })?;
        lines.push((i + 1, parsed));
    }
    if lines.is_empty() {
        return Err(ApiError::Invalid {
            field: "body".into(),
            detail: "the feed is empty: send one JSON record per line".into(),
        });
    }
    let count = lines.len();
    let done = ingest_numbered(ctx, lines).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "received": count,
        "stored": done.ids.len(),
        "unlinked_on_arrival": done.unlinked,
        "deleted_on_arrival": done.deleted,
        "first_id": done.ids.first(),
        "last_id": done.ids.last(),
    })))
}

async fn ingest(ctx: Ctx, batch: Vec<FeedLine>) -> ApiResult<Ingested> {
    for line in &batch {
        check_kind(&line.record.kind).map_err(|detail| ApiError::Invalid {
            field: "kind".into(),
            detail,
        })?;
    }
    ingest_numbered(
        ctx,
        batch
            .into_iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .collect(),
    )
    .await
}

async fn ingest_numbered(ctx: Ctx, lines: Vec<(usize, FeedLine)>) -> ApiResult<Ingested> {
    blocking(move || {
        let schedule = *ctx.policy()?.1.schedule();
        let n = lines.len();
        let purpose = format!("feed of {n} record(s)");
        ctx.decided("records.feed", "", &purpose, KindSet::all(), FieldSet::all(), |tx, keys| {
            let mut batch = Vec::with_capacity(n);
            let mut wanted = Vec::new();
            for (line, l) in &lines {
                let mut record = l.record.clone();
                if let Some(card) = &l.card_number {
                    match patrons::by_card(tx, keys, card) {
                        Ok(p) => record.patron_id = Some(p),
                        Err(StoreError::NotFound) => {
                            return Err(ApiError::FeedLine { line: *line, detail: "no patron of this library holds that card number".into() })
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                if let Some(p) = record.patron_id {
                    wanted.push((*line, p));
                }
                batch.push(record);
            }
            let ids: Vec<PatronId> = wanted.iter().map(|(_, p)| *p).collect();
            let known = records::existing_patrons(tx, &ids)?;
            if let Some((line, _)) = wanted.iter().find(|(_, p)| !known.contains(p)) {
                return Err(ApiError::FeedLine { line: *line, detail: "no patron of this library has that patron_id".into() });
            }
            // A loan that arrives already returned is unlinked on arrival
            // unless its patron keeps a history; whatever retention says is
            // due now is done before anything is stored.
            let opted_in = records::history_opt_ins(tx, &ids)?;
            let mut unlinked = 0usize;
            let mut deleted = 0usize;
            let mut kept = Vec::with_capacity(batch.len());
            for mut r in batch {
                if let Some(p) = r.patron_id {
                    let action = retention_now(&schedule, &r.kind, true, r.ended_at, r.amount_cents, r.settled_at, opted_in.contains(&p));
                    match action {
                        policy::retention::PurgeAction::Anonymize { .. } => {
                            r.patron_id = None;
                            unlinked += 1;
                        }
                        policy::retention::PurgeAction::Delete { .. } => {
                            deleted += 1;
                            continue;
                        }
                        _ => {}
                    }
                }
                kept.push(r);
            }
            let ids = records::ingest(tx, keys, &kept, Utc::now().naive_utc()).map_err(|e| match e {
                StoreError::Conflict(_) => ApiError::Conflict("a record with the same source and external_id is already stored; send only new records".into()),
                other => other.into(),
            })?;
            Ok(Ingested { ids, unlinked, deleted })
        })
    })
    .await
}

/// What a feed stored.
struct Ingested {
    ids: Vec<i64>,
    unlinked: usize,
    deleted: usize,
}

/// Lists the library's audit log (admins and the custodian of records).
pub async fn audit_log(
    state: web::Data<AppState>,
    access: LibraryAccess,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let role = worker(&access)?;
    if role == LibraryRole::Staff {
        return Err(ApiError::Forbidden(
            "only a library admin or the custodian of records may read the audit log",
        ));
    }
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after, page.limit);
    let items =
        blocking(move || Ok(store.read(access.library.id, |tx| audit::list(tx, after, limit))?))
            .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |e: &audit::Entry| e.seq)))
}

/// Applies a feed's update to a record (a return, a fine, its settlement); retention then does at once what is due.
pub async fn update_record(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<records::RecordUpdate>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let id = path.into_inner().1;
    let change = body.into_inner();
    let out = blocking(move || {
        let schedule = *ctx.policy()?.1.schedule();
        ctx.decided(
            "records.update",
            &format!("record:{id}"),
            "feed update",
            KindSet::all(),
            FieldSet::all(),
            |tx, keys| {
                let r = records::update(tx, keys, id, &change, Utc::now().naive_utc())?;
                let opted_in = match r.patron_id {
                    Some(p) => records::history_opt_ins(tx, &[p])?.contains(&p),
                    None => false,
                };
                let action = retention_now(
                    &schedule,
                    &r.kind,
                    r.patron_id.is_some(),
                    r.ended_at,
                    r.amount_cents,
                    r.settled_at,
                    opted_in,
                );
                match action {
                    policy::retention::PurgeAction::Anonymize { .. } => {
                        records::unlink(tx, &[id])?;
                    }
                    policy::retention::PurgeAction::Delete { .. } => {
                        records::delete(tx, &[id])?;
                    }
                    _ => {}
                }
                let record = if matches!(action, policy::retention::PurgeAction::Delete { .. }) {
                    None
                } else {
                    Some(records::get(tx, keys, id)?)
                };
                Ok(serde_json::json!({ "record": record, "retention": action }))
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// `?kind=&purpose=&limit=&cursor=`
#[derive(Deserialize)]
pub struct ListQuery {
    kind: Option<String>,
    purpose: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// The library's records by id, optionally of one kind, for a stated purpose.
pub async fn list_records(
    state: web::Data<AppState>,
    access: LibraryAccess,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    if let Some(k) = &q.kind {
        check_kind(k).map_err(|detail| ApiError::Invalid {
            field: "kind".into(),
            detail,
        })?;
    }
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let kind = q.kind.clone();
    let (after, limit) = (page.after, page.limit);
    let items = blocking(move || {
        ctx.decided(
            "records.list",
            "",
            &purpose,
            KindSet::all(),
            FieldSet::all(),
            |tx, keys| Ok(records::list(tx, keys, kind.as_deref(), after, limit)?),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |r: &Record| r.id)))
}
