//! A library's records, for its staff: `/api/v1/libraries/{library}/records`
//! and a patron's records under `/patrons/{patron}/records`.
//!
//! Every read states a purpose and is decided by the policy crate; the
//! decision lands in the library's audit log in the same transaction.
use super::patrons::ctx::{purpose_of, Ctx};
use super::{blocking, PageQuery, Paged};
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use custody::{Purpose, Subject};
use policy::records::{FieldSet, KindSet, RecordKind};
use serde::Deserialize;
use store::patrons::{self};
use store::records::{self, NewRecord, Record};
use store::PatronId;
use store::StoreError;
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
    let subject = Subject::Patron(id);
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
        let purpose = Purpose::stated_by_custodian(format!("feed of {n} record(s)"));
        ctx.decided("records.feed", &Subject::Nobody, &purpose, KindSet::all(), FieldSet::all(), |tx, keys| {
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
            &Subject::Record(store::RecordId(id)),
            &Purpose::stated_by_custodian("feed update"),
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
            &Subject::Nobody,
            &purpose,
            KindSet::all(),
            FieldSet::all(),
            |tx, keys| Ok(records::list(tx, keys, kind.as_deref(), after, limit)?),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |r: &Record| r.id)))
}
/// Registers the records endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/patrons/{patron}/records", get => patron_records))
        .service(resource!("/libraries/{library}/records", post => add_record, get => list_records))
        // Before `records/{record}`, which would take `feed` for a record id.
        .service(
            resource!("/libraries/{library}/records/feed", post => feed)
                .app_data(web::PayloadConfig::new(crate::input::FEED_BODY_LIMIT)),
        )
        .service(resource!("/libraries/{library}/records/{record}", patch => update_record));
}
