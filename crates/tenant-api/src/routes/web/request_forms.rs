//! What the director's inbox and a library's queue share: the list's
//! filters, the reply form and the form that moves a request, each shown
//! again with its error beside the field when refused. Each calls the
//! function its JSON endpoint calls (`routes::mail::queue`).

use crate::error::{ApiError, ApiResult};
use crate::pages::paging::Pager;
use crate::pages::requests::{self, Filters, Queue, Typed};
use crate::routes::mail::queue::{self, ChangeBody, ListQuery, ReplyBody};
use crate::routes::web::{page, refused, see_other};
use crate::routes::PageQuery;
use crate::state::AppState;
use actix_web::{HttpResponse, ResponseError};
use notifier::requests::{parse_due, AccountId, LibraryId, MailRequestId};
use serde::Deserialize;

/// The worklist's filters as a GET form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    queue: Option<String>,
    due: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `?done=` after a form that worked, mapped to fixed words.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

impl Done {
    fn notice(&self) -> Option<&'static str> {
        match self.done.as_deref() {
            Some("reply") => Some("Reply sent."),
            Some("change") => Some("Changes saved."),
            Some("filed") => {
                Some("Filed as a directory change: approve it in Directory changes to publish it.")
            }
            _ => None,
        }
    }
}

/// A worklist's page: the director's (inbox and triage) or a library's queue.
pub(crate) async fn list(
    state: &AppState,
    queue: &Queue,
    scope: LibraryId,
    queues: &[&str],
    params: ListParams,
    me: AccountId,
    bar: crate::pages::layout::SessionBar,
) -> ApiResult<HttpResponse> {
    let filters = Filters {
        status: params
            .status
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "open".into()),
        queue: if queue.director {
            params.queue.clone().unwrap_or_default()
        } else {
            String::new()
        },
        due: params
            .due
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "any".into()),
    };
    let q = ListQuery {
        queue: Some(filters.queue.clone()),
        status: Some(if filters.status == "any" {
            String::new()
        } else {
            filters.status.clone()
        }),
        due: Some(filters.due.clone()),
        order: Some("overdue_first".into()),
        page: PageQuery {
            limit: params.limit.clone(),
            cursor: params.cursor.clone(),
        },
    };
    let now = crate::routes::mail::now();
    let paged = queue::list_requests(state, scope, &q, queues).await?;
    let pager = Pager::new(
        &queue.list_path(),
        &filters.query(),
        params.cursor.as_deref(),
        paged.next_cursor.as_deref(),
    );
    let title = if queue.director { "Inbox" } else { "Requests" };
    Ok(page(requests::list_page(
        queue,
        title,
        &filters,
        &paged.items,
        me,
        now,
        pager,
        bar,
    )?))
}

/// A request's page, with a notice after a form that worked.
pub(crate) async fn show(
    state: &AppState,
    queue: &Queue,
    scope: LibraryId,
    id: MailRequestId,
    me: AccountId,
    done: &Done,
    bar: crate::pages::layout::SessionBar,
) -> ApiResult<HttpResponse> {
    let read = queue::read_request(state, scope, id, me).await?;
    let typed = Typed {
        done: done.notice(),
        ..Typed::default()
    };
    let now = crate::routes::mail::now();
    Ok(page(requests::request_page(
        queue, &read, me, now, &typed, bar,
    )?))
}

/// The request's page again after a refused form, with the refusal beside
/// its field and what was typed kept, answering the JSON endpoint's status.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn show_refused(
    state: &AppState,
    queue: &Queue,
    scope: LibraryId,
    id: MailRequestId,
    me: AccountId,
    e: ApiError,
    typed: Typed<'_>,
    bar: crate::pages::layout::SessionBar,
) -> ApiResult<HttpResponse> {
    let read = queue::read_request(state, scope, id, me).await?;
    let now = crate::routes::mail::now();
    Ok(refused(
        e.status_code(),
        requests::request_page(queue, &read, me, now, &typed, bar)?,
    ))
}

/// The words a form shows beside a field, or `None` when the refusal is
/// not about the form (it then becomes an error page).
pub(crate) fn form_error(e: &ApiError, fields: &[&'static str]) -> Option<(&'static str, String)> {
    match e {
        ApiError::Invalid { field, detail } => {
            let field = match field.as_str() {
                "owner_id" => "owner",
                f => fields
                    .iter()
                    .copied()
                    .find(|x| *x == f)
                    .unwrap_or(fields[0]),
            };
            Some((field, detail.clone()))
        }
        ApiError::Transition(why) => Some((fields[0], format!("{why}."))),
        _ => None,
    }
}

/// The reply form as posted.
#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

impl ReplyForm {
    /// The form token it carried.
    pub fn token(&self) -> &str {
        &self.csrf
    }
}

/// Sends the reply form: 303 back to the request with a notice, or the page
/// again with the refusal beside the reply.
pub(crate) async fn reply(
    state: &AppState,
    queue: &Queue,
    scope: LibraryId,
    id: MailRequestId,
    me: AccountId,
    form: ReplyForm,
    bar: crate::pages::layout::SessionBar,
) -> ApiResult<HttpResponse> {
    let body = ReplyBody {
        text: form.text.clone(),
    };
    match queue::reply_request(state, scope, id, me, body).await {
        Ok(_) => Ok(see_other(&format!("{}?done=reply", queue.request_path(id.0))).finish()),
        Err(e) => {
            let Some(error) = form_error(&e, &["text"]) else {
                return Err(e);
            };
            let typed = Typed {
                reply: &form.text,
                error: Some(error),
                ..Typed::default()
            };
            show_refused(state, queue, scope, id, me, e, typed, bar).await
        }
    }
}

/// The form that moves a request, as posted.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    was_status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    was_due: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    notice: String,
}

impl ChangeForm {
    /// The form token it carried.
    pub fn token(&self) -> &str {
        &self.csrf
    }

    /// The JSON PATCH's body for what changed.
    fn body(&self, me: AccountId) -> ApiResult<ChangeBody> {
        let due = if self.due.trim().is_empty() || self.due.trim() == self.was_due.trim() {
            None
        } else {
            parse_due(&self.due).map_err(|detail| ApiError::Invalid {
                field: "due".into(),
                detail,
            })?
        };
        Ok(ChangeBody {
            status: Some(self.status.clone()).filter(|s| !s.is_empty() && *s != self.was_status),
            owner_id: match self.owner.as_str() {
                "me" => Some(Some(me.0)),
                "none" => Some(None),
                _ => None,
            },
            due,
            note: Some(self.note.clone()).filter(|n| !n.trim().is_empty()),
            notice: Some(self.notice.clone()).filter(|n| !n.trim().is_empty()),
        })
    }

    fn typed(&self, error: (&'static str, String)) -> Typed<'_> {
        Typed {
            due: &self.due,
            note: &self.note,
            notice: &self.notice,
            status: Some(&self.status),
            error: Some(error),
            ..Typed::default()
        }
    }
}

/// Applies the form that moves a request: 303 back to it with a notice, or
/// the page again with the refusal beside its field.
pub(crate) async fn change(
    state: &AppState,
    queue: &Queue,
    scope: LibraryId,
    id: MailRequestId,
    me: AccountId,
    form: ChangeForm,
    bar: crate::pages::layout::SessionBar,
) -> ApiResult<HttpResponse> {
    const FIELDS: &[&str] = &["status", "owner", "due", "note", "notice"];
    let done = match form.body(me) {
        Ok(body) => queue::update_request(state, scope, id, me, body).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Ok(see_other(&format!("{}?done=change", queue.request_path(id.0))).finish()),
        Err(e) => {
            let Some(error) = form_error(&e, FIELDS) else {
                return Err(e);
            };
            let typed = form.typed(error);
            show_refused(state, queue, scope, id, me, e, typed, bar).await
        }
    }
}
