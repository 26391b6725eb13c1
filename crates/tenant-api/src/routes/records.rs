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
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// Why staff read these records (stated for the audit log).
    purpose: Option<String>,
    /// How many items, 1 to 200 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// One patron's records, newest first, for a stated purpose.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/patrons/{patron}/records", tag = "records", operation_id = "patron_records_for_staff",
    summary = "A patron's records, with a stated purpose (audited)", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("patron" = i64, Path, description = "The patron's id"), RecordsQuery),
    responses((status = 200, description = "A page of records", body = Paged<Record>, example = json!({"items": [{"id": 901, "kind": "circulation", "source": "ils", "external_id": "loan-901", "occurred_at": "2026-02-01T10:00:00.000000Z", "ended_at": null, "item": "Item 31234", "branch": "Main", "status": "out", "amount_cents": null, "settled_at": null, "details": null, "patron_id": 55}], "next_cursor": null})), (status = 409, description = "A guardian's consent is needed first", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
/// What adding one record did.
#[derive(utoipa::ToSchema)]
pub struct Added {
    /// The new record's id (empty when retention deleted it on arrival).
    pub ids: Vec<i64>,
    /// Stored without its patron link, retention being due at once.
    pub unlinked_on_arrival: u64,
    /// Not stored at all, retention being due at once.
    pub deleted_on_arrival: u64,
}

/// What a feed did.
#[derive(utoipa::ToSchema)]
pub struct FeedDone {
    /// Lines received.
    pub received: u64,
    /// Records stored.
    pub stored: u64,
    /// Stored without their patron link.
    pub unlinked_on_arrival: u64,
    /// Not stored at all.
    pub deleted_on_arrival: u64,
    /// The first new record's id; null when none was stored.
    pub first_id: Option<i64>,
    /// The last new record's id; null when none was stored.
    pub last_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/libraries/{library}/records", tag = "records", operation_id = "add_record",
    summary = "Add one record", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug")),
    request_body(content = FeedLine, content_type = "application/json"),
    responses((status = 201, description = "Stored", body = Added, example = json!({"ids": [902], "unlinked_on_arrival": 0, "deleted_on_arrival": 0})), (status = 409, description = "A record with this source and external id exists", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
#[utoipa::path(post, path = "/api/v1/libraries/{library}/records/feed", tag = "records", operation_id = "records_feed",
    summary = "Add records in bulk: one JSON record (a FeedLine) per line; all or nothing", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug")),
    request_body(content = String, content_type = "application/x-ndjson", description = "JSON lines, each a FeedLine"),
    responses((status = 201, description = "Stored", body = FeedDone, example = json!({"received": 2, "stored": 2, "unlinked_on_arrival": 0, "deleted_on_arrival": 0, "first_id": 903, "last_id": 904})), (status = 409, description = "A record with this source and external id exists", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
#[utoipa::path(patch, path = "/api/v1/libraries/{library}/records/{record}", tag = "records", operation_id = "update_record",
    summary = "A feed's update to a record (a return, a fine, its settlement)", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("record" = i64, Path, description = "The record's id")),
    request_body(content = RecordUpdate, content_type = "application/json"),
    responses((status = 200, description = "The record now, and what retention did", body = records::Updated)))]
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
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only records of this kind (`circulation`, `event_registration`, …).
    kind: Option<String>,
    /// Why staff read these records (stated for the audit log).
    purpose: Option<String>,
    /// How many items, 1 to 200 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The library's records by id, optionally of one kind, for a stated purpose.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/records", tag = "records", operation_id = "list_records",
    summary = "The library's records, with a stated purpose (audited)", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ListQuery),
    responses((status = 200, description = "A page of records", body = Paged<Record>)))]
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

/// The records' operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(patron_records, add_record, feed, update_record, list_records),
    components(schemas(
        Record,
        FeedLine,
        custody::records::NewRecord,
        RecordUpdate,
        records::Updated,
        Added,
        FeedDone
    ))
)]
pub struct ApiDoc;

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
