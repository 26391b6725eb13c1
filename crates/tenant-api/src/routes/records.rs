//! A library's records, for its staff: `/api/v1/libraries/{library}/records`
//! and a patron's records under `/patrons/{patron}/records`.
//!
//! Every read states a purpose and is decided by the policy crate; the
//! decision lands in the library's audit log in the same transaction.
use super::{blocking, PageQuery, Paged};
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::records::{self, Feed, FeedLine, PatronId, Record, RecordId, RecordUpdate};
use custody::Purpose;
use serde::Deserialize;

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
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<RecordsQuery>,
) -> ApiResult<HttpResponse> {
    let purpose = Purpose::parse(q.purpose.as_deref())?;
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let patron = PatronId(path.into_inner().1);
    let (custody, who) = (state.custody.clone(), staff.member());
    let (before, limit) = (page.after, page.limit);
    let items = blocking(move || {
        Ok(records::of_patron(
            &custody, &who, patron, &purpose, before, limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |r: &Record| r.id)))
}

/// The most records one feed request may carry.
pub const FEED_LIMIT: usize = records::FEED_LIMIT;

/// Adds one record.
pub async fn add_record(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    body: web::Json<FeedLine>,
) -> ApiResult<HttpResponse> {
    let feed = Feed::one(body.into_inner())?;
    let done = ingest(&state, &staff, feed).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "ids": done.ids, "unlinked_on_arrival": done.unlinked, "deleted_on_arrival": done.deleted })))
}

/// Adds up to 10,000 records sent as JSON lines; all or nothing, the first bad line reported.
pub async fn feed(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let feed = Feed::parse(&body)?;
    let count = feed.len();
    let done = ingest(&state, &staff, feed).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "received": count,
        "stored": done.ids.len(),
        "unlinked_on_arrival": done.unlinked,
        "deleted_on_arrival": done.deleted,
        "first_id": done.ids.first(),
        "last_id": done.ids.last(),
    })))
}

async fn ingest(
    state: &AppState,
    staff: &LibraryStaff,
    feed: Feed,
) -> ApiResult<records::Ingested> {
    let (custody, who) = (state.custody.clone(), staff.member());
    blocking(move || Ok(records::ingest(&custody, &who, feed)?)).await
}

/// Applies a feed's update to a record (a return, a fine, its settlement); retention then does at once what is due.
pub async fn update_record(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    body: web::Json<RecordUpdate>,
) -> ApiResult<HttpResponse> {
    let id = RecordId(path.into_inner().1);
    let change = body.into_inner();
    let (custody, who) = (state.custody.clone(), staff.member());
    let out = blocking(move || Ok(records::update(&custody, &who, id, &change)?)).await?;
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
    staff: LibraryStaff,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let purpose = Purpose::parse(q.purpose.as_deref())?;
    let kind = q.kind.as_deref().map(records::kind_param).transpose()?;
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let (custody, who) = (state.custody.clone(), staff.member());
    let (after, limit) = (page.after, page.limit);
    let items =
        blocking(move || Ok(records::list(&custody, &who, kind, &purpose, after, limit)?)).await?;
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
