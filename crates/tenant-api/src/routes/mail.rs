//! Mail: the gateway's inbound endpoint, the director's inbox and triage,
//! each library's request queue, the outbox's dead letters, and the public
//! page a confirmation link opens.

use super::confirmation_page;
use super::{blocking, PageQuery, Paged};
use crate::auth::{Caller, LibraryAccess};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use futures_util::StreamExt;
use notifier::requests::{Channel, StaffChange};
use notifier::templates::ConfirmButton;
use notifier::MailroomError;
use policy::staff::{decide_patron_work, StaffDecision};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::requests::Filter;
use store::{AccountId, LibraryId, MailRequestId};

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

fn director(caller: &Caller) -> ApiResult<()> {
    if caller.is_director {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the consortium director works the director's inbox",
        ))
    }
}

/// The library scope a staff member may work requests in.
fn library_scope(access: &LibraryAccess) -> ApiResult<LibraryId> {
    match decide_patron_work(access.standing) {
        StaffDecision::Allow => Ok(access.library.id),
        StaffDecision::Forbidden(why) => Err(ApiError::Forbidden(why)),
        StaffDecision::Hidden => Err(ApiError::NotFound),
    }
}

/// Compares the gateway's token without leaking its length or prefix through timing.
fn token_matches(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `POST /api/v1/director/inbound-mail`: one raw RFC 5322 message from the
/// mail gateway, authenticated by `mail.inbound_token`. Answers only after
/// the message is stored, so a gateway that gets no 2xx keeps it and retries.
pub async fn inbound(
    state: web::Data<AppState>,
    req: HttpRequest,
    mut body: web::Payload,
) -> ApiResult<HttpResponse> {
    let Some(expected) = state.settings.mail.inbound_token.as_ref() else {
        return Err(ApiError::NotFound);
    };
    let presented = crate::auth::bearer(&req).flatten().unwrap_or_default();
    if presented.is_empty() || !token_matches(&presented, expected.expose()) {
        return Err(ApiError::Unauthenticated);
    }
    let max = state.settings.mail.inbound_max_bytes;
    let mut raw = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::Body(e.to_string()))?;
        if raw.len() + chunk.len() > max {
            return Err(ApiError::TooLarge(format!(
                "the message is larger than mail.inbound_max_bytes ({max} bytes)"
            )));
        }
        raw.extend_from_slice(&chunk);
    }
    let room = state.mailroom.clone();
    let outcome = blocking(move || Ok(room.ingest(&raw, Channel::Gateway, now())?)).await?;
    let status = if outcome.outcome == "duplicate" {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(outcome))
}

/// An optional query parameter that must be one of `allowed`.
fn one_of(field: &str, value: Option<&str>, allowed: &[&str]) -> ApiResult<Option<String>> {
    match value {
        None | Some("") => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
        Some(v) => Err(ApiError::Invalid {
            field: field.into(),
            detail: format!("expected one of {}, got {v:?}", allowed.join(", ")),
        }),
    }
}

/// `?queue=&status=&limit=&cursor=`
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    queue: Option<String>,
    status: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

impl ListQuery {
    fn filter(&self, queues: &[&str]) -> ApiResult<Filter> {
        let queue = one_of("queue", self.queue.as_deref(), queues)?;
        let statuses = match self.status.as_deref() {
            None | Some("") => Vec::new(),
            // "open" is the working view: everything not yet closed.
            Some("open") => vec![
                "awaiting_confirmation".into(),
                "received".into(),
                "in_progress".into(),
            ],
            Some(list) => list
                .split(',')
                .map(|s| {
                    policy::requests::RequestStatus::parse(s.trim())
                        .map(|s| s.as_str().to_owned())
                        .ok_or_else(|| ApiError::Invalid {
                            field: "status".into(),
                            detail: format!("expected open, or a comma-separated list of received, awaiting_confirmation, in_progress, done, rejected, lapsed; got {s:?}"),
                        })
                })
                .collect::<ApiResult<_>>()?,
        };
        Ok(Filter {
            queue,
            statuses,
            owner: None,
        })
    }
}

async fn list_in(
    state: &AppState,
    scope: LibraryId,
    q: &ListQuery,
    queues: &[&str],
) -> ApiResult<HttpResponse> {
    let page = q.page.parse()?;
    let filter = q.filter(queues)?;
    let room = state.mailroom.clone();
    let limit = page.limit;
    let before = page.after;
    let items = blocking(move || Ok(room.list(scope, &filter, before, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |r| r.id.0)))
}

/// What staff may change: `{"status", "owner_id", "due", "note", "notice"}`.
/// `note` is internal (kept in the history, never sent); `notice` is what
/// the closing notice tells the requester.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    status: Option<String>,
    #[serde(default, with = "super::double_option")]
    owner_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "due_date")]
    due: Option<NaiveDateTime>,
    note: Option<String>,
    notice: Option<String>,
}

/// A due date as staff give it: a date (the end of that day, UTC, as it
/// always was), or an RFC 3339 timestamp with its offset.
fn due_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
    use serde::de::Error;
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    if let Ok(day) = s.trim().parse::<NaiveDate>() {
        return Ok(day.and_hms_opt(23, 59, 59));
    }
    store::time::parse(&s).map(Some).ok_or_else(|| {
        D::Error::custom(format!(
            "expected a date such as 2026-12-31 (the end of that day, UTC) or {}",
            store::time::EXPECTED
        ))
    })
}

impl ChangeBody {
    fn into_change(self) -> ApiResult<StaffChange> {
        for (field, text) in [("note", &self.note), ("notice", &self.notice)] {
            if text.as_ref().is_some_and(|t| t.len() > 20_000) {
                return Err(ApiError::Invalid {
                    field: field.into(),
                    detail: format!("the {field} is longer than 20,000 characters"),
                });
            }
        }
        Ok(StaffChange {
            status: self.status,
            owner: self.owner_id.map(|o| o.map(AccountId)),
            due: self.due,
            note: self.note.filter(|n| !n.trim().is_empty()),
            notice: self
                .notice
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
        })
    }
}

/// `{"text": "…"}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    text: String,
}

async fn get_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    reader: AccountId,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let detail = blocking(move || Ok(room.get(scope, id, reader, now())?)).await?;
    Ok(HttpResponse::Ok().json(detail))
}

async fn raw_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    reader: AccountId,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let raw = blocking(move || Ok(room.raw(scope, id, reader, now())?)).await?;
    Ok(HttpResponse::Ok()
        .content_type("message/rfc822")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"request-{id}.eml\""),
        ))
        .body(raw))
}

async fn update_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    actor: AccountId,
    body: ChangeBody,
) -> ApiResult<HttpResponse> {
    let change = body.into_change()?;
    let room = state.mailroom.clone();
    let detail = blocking(move || Ok(room.update(scope, id, actor, &change, now())?)).await?;
    Ok(HttpResponse::Ok().json(detail))
}

async fn reply_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    actor: AccountId,
    body: ReplyBody,
) -> ApiResult<HttpResponse> {
    if body.text.len() > 20_000 {
        return Err(ApiError::Invalid {
            field: "text".into(),
            detail: "the reply is longer than 20,000 characters".into(),
        });
    }
    let room = state.mailroom.clone();
    let detail = blocking(move || Ok(room.reply(scope, id, actor, &body.text, now())?)).await?;
    Ok(HttpResponse::Created().json(detail))
}

const DIRECTOR_QUEUES: [&str; 2] = ["inbox", "triage"];

/// `GET /api/v1/director/requests`
pub async fn director_list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    list_in(&state, LibraryId::CONSORTIUM, &q, &DIRECTOR_QUEUES).await
}

/// `GET /api/v1/director/requests/{id}`
pub async fn director_get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<MailRequestId>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    get_in(&state, LibraryId::CONSORTIUM, id.into_inner(), caller.id).await
}

/// `GET /api/v1/director/requests/{id}/message`
pub async fn director_raw(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<MailRequestId>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    raw_in(&state, LibraryId::CONSORTIUM, id.into_inner(), caller.id).await
}

/// `PATCH /api/v1/director/requests/{id}`
pub async fn director_update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<MailRequestId>,
    body: web::Json<ChangeBody>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    update_in(
        &state,
        LibraryId::CONSORTIUM,
        id.into_inner(),
        caller.id,
        body.into_inner(),
    )
    .await
}

/// `POST /api/v1/director/requests/{id}/replies`
pub async fn director_reply(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<MailRequestId>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    reply_in(
        &state,
        LibraryId::CONSORTIUM,
        id.into_inner(),
        caller.id,
        body.into_inner(),
    )
    .await
}

/// `?route=&limit=&cursor=`
#[derive(Debug, Deserialize)]
pub struct LedgerQuery {
    route: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// `GET /api/v1/director/inbound-mail`: every message taken in and where it
/// went; for a patron's request only the library, never what they wrote.
pub async fn ledger(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<LedgerQuery>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    let page = q.page.parse()?;
    let route = one_of(
        "route",
        q.route.as_deref(),
        &["director", "library", "triage"],
    )?;
    let room = state.mailroom.clone();
    let (limit, before) = (page.limit, page.after);
    let items = blocking(move || Ok(room.ledger(route.as_deref(), before, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |l| l.id)))
}

/// `?status=&limit=&cursor=`
#[derive(Debug, Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// `GET /api/v1/director/outbox`: queued, sent and dead messages (masked recipients, no content).
pub async fn outbox(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<OutboxQuery>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    let page = q.page.parse()?;
    let status = one_of(
        "status",
        q.status.as_deref(),
        &["pending", "sending", "sent", "dead"],
    )?;
    let room = state.mailroom.clone();
    let (limit, before) = (page.limit, page.after);
    let items = blocking(move || Ok(room.outbox(status.as_deref(), before, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |m| m.id)))
}

/// `POST /api/v1/director/outbox/{id}/retry`: a dead message goes back in the queue.
pub async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    let room = state.mailroom.clone();
    let id = id.into_inner();
    let summary = blocking(move || Ok(room.retry(id, now())?)).await?;
    Ok(HttpResponse::Ok().json(summary))
}

const LIBRARY_QUEUES: [&str; 1] = ["library"];

/// `GET /api/v1/libraries/{library}/requests`
pub async fn library_list(
    state: web::Data<AppState>,
    access: LibraryAccess,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let scope = library_scope(&access)?;
    list_in(&state, scope, &q, &LIBRARY_QUEUES).await
}

/// `GET /api/v1/libraries/{library}/requests/{id}`
pub async fn library_get(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, MailRequestId)>,
) -> ApiResult<HttpResponse> {
    let scope = library_scope(&access)?;
    get_in(&state, scope, path.into_inner().1, access.caller.id).await
}

/// `GET /api/v1/libraries/{library}/requests/{id}/message`
pub async fn library_raw(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, MailRequestId)>,
) -> ApiResult<HttpResponse> {
    let scope = library_scope(&access)?;
    raw_in(&state, scope, path.into_inner().1, access.caller.id).await
}

/// `PATCH /api/v1/libraries/{library}/requests/{id}`
pub async fn library_update(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, MailRequestId)>,
    body: web::Json<ChangeBody>,
) -> ApiResult<HttpResponse> {
    let scope = library_scope(&access)?;
    update_in(
        &state,
        scope,
        path.into_inner().1,
        access.caller.id,
        body.into_inner(),
    )
    .await
}

/// `POST /api/v1/libraries/{library}/requests/{id}/replies`
pub async fn library_reply(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, MailRequestId)>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    let scope = library_scope(&access)?;
    reply_in(
        &state,
        scope,
        path.into_inner().1,
        access.caller.id,
        body.into_inner(),
    )
    .await
}

fn link_problem(e: MailroomError) -> ApiResult<HttpResponse> {
    use actix_web::http::StatusCode;
    match e {
        MailroomError::LinkExpired => confirmation_page(
            StatusCode::GONE,
            "This link has expired",
            &e.to_string(),
            None,
        ),
        MailroomError::LinkInvalid => confirmation_page(
            StatusCode::NOT_FOUND,
            "This link does not work",
            &e.to_string(),
            None,
        ),
        other => Err(other.into()),
    }
}

/// `GET /requests/confirm/{token}`: shows what confirming does, and a button.
/// Opening the link changes nothing, because mail scanners open links too.
pub async fn confirm_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let token = token.into_inner();
    let checked = blocking(move || Ok(room.check_link(&token, now()))).await?;
    match checked {
        Ok(handler) => confirmation_page(
            actix_web::http::StatusCode::OK,
            "Confirm your request",
            &format!("Press the button to confirm that you sent this request. {handler} will then handle it."),
            Some(ConfirmButton {
                label: "Yes, I sent this request",
                otherwise: "If you did not send it, close this page: nothing will change.",
            }),
        ),
        Err(e) => link_problem(e),
    }
}

/// `POST /requests/confirm/{token}`: confirms; the link is then spent.
pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let token = token.into_inner();
    let confirmed = blocking(move || Ok(room.confirm(&token, now()))).await?;
    match confirmed {
        Ok(handler) => confirmation_page(
            actix_web::http::StatusCode::OK,
            "Thank you: your request is confirmed",
            &format!("{handler} will handle your request and answer you by email."),
            None,
        ),
        Err(e) => link_problem(e),
    }
}

/// Registers the request confirmation page at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/requests/confirm/{token}", get => confirm_page, post => confirm));
}

/// Registers inbound mail, the requests queues and the outbox under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/inbound-mail", post => inbound, get => ledger))
        .service(resource!("/director/requests", get => director_list))
        .service(resource!("/director/requests/{id}", get => director_get, patch => director_update))
        .service(resource!("/director/requests/{id}/message", get => director_raw))
        .service(resource!("/director/requests/{id}/replies", post => director_reply))
        .service(resource!("/director/outbox", get => outbox))
        .service(resource!("/director/outbox/{id}/retry", post => retry))
        .service(resource!("/libraries/{library}/requests", get => library_list))
        .service(resource!("/libraries/{library}/requests/{id}", get => library_get, patch => library_update))
        .service(resource!("/libraries/{library}/requests/{id}/message", get => library_raw))
        .service(resource!("/libraries/{library}/requests/{id}/replies", post => library_reply));
}
