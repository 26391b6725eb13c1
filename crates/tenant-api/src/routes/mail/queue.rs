//! What the director's inbox and a library's queue share: the list's
//! filter, staff's change and reply as they arrive, and the calls to the
//! mailroom, each within one scope (the consortium's, or the library's).

use super::{now, one_of};
use crate::error::{ApiError, ApiResult};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{http::header, HttpResponse};
use chrono::NaiveDateTime;
use notifier::requests::{parse_due, AccountId, Filter, LibraryId, MailRequestId, StaffChange};
use serde::Deserialize;

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

/// What staff may change: `{"status", "owner_id", "due", "note", "notice"}`.
/// `note` is internal (kept in the history, never sent); `notice` is what
/// the closing notice tells the requester.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    status: Option<String>,
    #[serde(default, with = "crate::routes::double_option")]
    owner_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "due_date")]
    due: Option<NaiveDateTime>,
    note: Option<String>,
    notice: Option<String>,
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    text: String,
}

/// The queue's requests, newest first, a page at a time.
pub(super) async fn list_in(
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

/// One request and its history.
pub(super) async fn get_in(
    state: &AppState,
    scope: LibraryId,
    id: MailRequestId,
    reader: AccountId,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let detail = blocking(move || Ok(room.get(scope, id, reader, now())?)).await?;
    Ok(HttpResponse::Ok().json(detail))
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

/// Staff's change to a request.
pub(super) async fn update_in(
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

/// Staff's reply to a request's sender.
pub(super) async fn reply_in(
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
