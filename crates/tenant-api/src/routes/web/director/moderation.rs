//! Pages: directory moderation. The queue lists pending changes, each beside
//! the entry as published; the director approves or rejects with a reason.
//! The same functions as `routes::directory::moderation` do the work.

use crate::error::{ApiError, ApiResult};
use crate::guards::{DirectorAt, Moderation};
use crate::pages::moderation::{self, ChangeCard};
use crate::pages::paging::Pager;
use crate::routes::directory::moderation::{approve_change, reject_change};
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::routes::{Page, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;

const HERE: &str = "/director/moderation";

/// `?done=&cursor=` on the queue.
#[derive(Deserialize)]
pub struct QueueQuery {
    done: Option<String>,
    cursor: Option<String>,
}

/// A decision as posted.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// The pending changes after `cursor`, each with the entry as published.
async fn cards(
    state: &AppState,
    cursor: Option<String>,
) -> ApiResult<(Vec<ChangeCard>, Pager, Option<String>)> {
    let page: Page = PageQuery {
        limit: None,
        cursor: cursor.clone(),
    }
    .parse()?;
    let items = state
        .directory
        .changes(Some("pending".into()), page.after, page.limit)
        .await?;
    let paged = Paged::new(items, &page, |c| c.id);
    let mut out = Vec::new();
    for c in &paged.items {
        let current = match state.directory.entry(c.entry_id).await {
            Ok(d) => Some(d.item),
            Err(directory::DirectoryError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        out.push(ChangeCard {
            id: c.id,
            entry_id: c.entry_id,
            library: current
                .as_ref()
                .map(|i| i.name.clone())
                .unwrap_or_else(|| format!("Entry no. {}", c.entry_id)),
            submitted: crate::pages::audit::when(&c.submitted_at),
            rows: moderation::compare(current.as_ref(), c),
            reason: String::new(),
            reason_error: None,
        });
    }
    let pager = Pager::new(HERE, "", cursor.as_deref(), paged.next_cursor.as_deref());
    Ok((out, pager, cursor))
}

/// `GET /director/moderation`: the queue.
pub async fn queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<Moderation>,
    q: web::Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let notice = match q.done.as_deref() {
        Some("approved") => Some("The change was approved and is published."),
        Some("rejected") => Some("The change was rejected; the library admin sees your reason."),
        _ => None,
    };
    let bar = staff_bar(&req, &director.0, None)?;
    let (cards, pager, _) = cards(&state, q.cursor).await?;
    Ok(page(moderation::queue_page(&cards, &pager, notice, bar)?))
}

fn change_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

/// `POST /director/moderation/{id}/approve`
pub async fn approve(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<Moderation>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = change_id(&path)?;
    let reason = Some(form.into_inner().reason).filter(|r| !r.trim().is_empty());
    approve_change(&state, &director, id, reason).await?;
    Ok(see_other("/director/moderation?done=approved").finish())
}

/// `POST /director/moderation/{id}/reject`: a missing reason shows the queue
/// again with the refusal beside that change's reason.
pub async fn reject(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<Moderation>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = change_id(&path)?;
    let reason = form.into_inner().reason;
    match reject_change(&state, &director, id, reason.clone()).await {
        Ok(_) => Ok(see_other("/director/moderation?done=rejected").finish()),
        Err(e) => {
            let ApiError::Invalid { detail, .. } = &e else {
                return Err(e);
            };
            let detail = detail.clone();
            let bar = staff_bar(&req, &director.0, None)?;
            let (mut cards, pager, _) = cards(&state, None).await?;
            let Some(card) = cards.iter_mut().find(|c| c.id == id) else {
                return Err(e);
            };
            card.reason = reason;
            card.reason_error = Some(detail);
            Ok(refused(
                e.status_code(),
                moderation::queue_page(&cards, &pager, None, bar)?,
            ))
        }
    }
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/moderation", get => queue))
        .service(resource!("/director/moderation/{id}/approve", post => approve))
        .service(resource!("/director/moderation/{id}/reject", post => reject));
}
