//! What the director's inbox and a library's queue share: the list's
//! filter, staff's change and reply as they arrive, and the calls to the
//! mailroom, each within one scope (the consortium's, or the library's).

use super::{now, one_of};
use crate::error::{ApiError, ApiResult};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{http::header, HttpResponse};
use chrono::NaiveDateTime;
use notifier::requests::{
    parse_due, worklist_key, AccountId, Due, Filter, LibraryId, MailRequest, MailRequestId,
    Received, RequestDetail, StaffChange, Worklist,
};
use serde::Deserialize;

/// `?queue=&status=&due=&order=&limit=&cursor=`
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// inbox, triage or library (each queue's own).
    pub queue: Option<String>,
    /// open, or a comma-separated list of statuses.
    pub status: Option<String>,
    /// overdue, week (due within 7 days, overdue included), or any.
    pub due: Option<String>,
    /// newest (the default) or overdue_first.
    pub order: Option<String>,
    /// The page.
    #[serde(flatten)]
    pub page: PageQuery,
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

    fn worklist(&self, queues: &[&str]) -> ApiResult<Worklist> {
        let due = match self.due.as_deref() {
            None | Some("" | "any") => Due::Any,
            Some("overdue") => Due::Overdue,
            Some("week") => Due::Within(7),
            Some(d) => {
                return Err(ApiError::Invalid {
                    field: "due".into(),
                    detail: format!("expected overdue, week or any, got {d:?}"),
                })
            }
        };
        let overdue_first = match self.order.as_deref() {
            None | Some("" | "newest") => false,
            Some("overdue_first") => true,
            Some(o) => {
                return Err(ApiError::Invalid {
                    field: "order".into(),
                    detail: format!("expected newest or overdue_first, got {o:?}"),
                })
            }
        };
        Ok(Worklist {
            filter: self.filter(queues)?,
            due,
            overdue_first,
        })
    }
}

/// What staff may change: `{"status", "owner_id", "due", "note", "notice"}`.
/// `note` is internal (kept in the history, never sent); `notice` is what
/// the closing notice tells the requester.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "in_progress", "owner_id": 3, "due": "2026-03-30"}))]
pub struct ChangeBody {
    /// The new status.
    pub status: Option<String>,
    /// The new owner (`Some(None)` clears it).
    #[serde(default, with = "crate::routes::double_option")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<Option<i64>>,
    /// The new due time.
    #[serde(default, deserialize_with = "due_date")]
    #[schema(value_type = Option<String>)]
    pub due: Option<NaiveDateTime>,
    /// Staff's internal note.
    pub note: Option<String>,
    /// Words for the requester in the closing notice.
    pub notice: Option<String>,
}

/// A due date as staff give it (see [`parse_due`]).
fn due_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
    use serde::de::Error;
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    parse_due(&s).map_err(D::Error::custom)
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Thank you; we have corrected your address."}))]
pub struct ReplyBody {
    /// The reply: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub text: String,
}

/// The queue's requests a page at a time: newest first, or overdue first.
/// The JSON list and the pages' lists both read it.
pub(crate) async fn list_requests(
    state: &AppState,
    scope: LibraryId,
    q: &ListQuery,
    queues: &[&str],
) -> ApiResult<Paged<MailRequest>> {
    let page = q.page.parse()?;
    let list = q.worklist(queues)?;
    let room = state.mailroom.clone();
    let (limit, cursor, at) = (page.limit, page.after, now());
    let (items, list) = blocking(move || {
        let items = room.worklist(scope, &list, cursor, limit, at)?;
        Ok((items, list))
    })
    .await?;
    Ok(Paged::new(items, &page, |r| worklist_key(&list, r, at)))
}

/// The queue's requests, newest first, a page at a time.
pub(super) async fn list_in(
    state: &AppState,
    scope: LibraryId,
    q: &ListQuery,
    queues: &[&str],
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(list_requests(state, scope, q, queues).await?))
}

/// One request as it arrived, its history and the staff it names (the
/// reading audited): the JSON detail and the request's page both read it.
pub(crate) async fn read_request(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    reader: AccountId,
) -> ApiResult<Received> {
    let room = state.mailroom.clone();
    blocking(move || Ok(room.read_received(scope, id, reader, now())?)).await
}

/// One request and its history.
pub(super) async fn get_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    reader: AccountId,
) -> ApiResult<HttpResponse> {
    let read = read_request(state, scope, id, reader).await?;
    Ok(HttpResponse::Ok().json(read.detail))
}

/// The message as it arrived, as a download.
pub(super) async fn raw_in(
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

/// Staff's change to a request: the JSON PATCH and the pages' form apply it.
pub(crate) async fn update_request(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    actor: AccountId,
    body: ChangeBody,
) -> ApiResult<RequestDetail> {
    let change = body.into_change()?;
    let room = state.mailroom.clone();
    blocking(move || Ok(room.update(scope, id, actor, &change, now())?)).await
}

/// Staff's change to a request.
pub(super) async fn update_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    actor: AccountId,
    body: ChangeBody,
) -> ApiResult<HttpResponse> {
    let detail = update_request(state, scope, id, actor, body).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Staff's reply to a request's sender: the JSON reply and the pages' form send it.
pub(crate) async fn reply_request(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    actor: AccountId,
    body: ReplyBody,
) -> ApiResult<RequestDetail> {
    if body.text.len() > 20_000 {
        return Err(ApiError::Invalid {
            field: "text".into(),
            detail: "the reply is longer than 20,000 characters".into(),
        });
    }
    let room = state.mailroom.clone();
    blocking(move || Ok(room.reply(scope, id, actor, &body.text, now())?)).await
}

/// Staff's reply to a request's sender.
pub(super) async fn reply_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    actor: AccountId,
    body: ReplyBody,
) -> ApiResult<HttpResponse> {
    let detail = reply_request(state, scope, id, actor, body).await?;
    Ok(HttpResponse::Created().json(detail))
}
