//! Pages: the outbox's dead letters (`/director/dead-letters`, a retry
//! button each) and the inbound mail ledger (`/director/mail-ledger`), each
//! calling what its JSON endpoint calls (`routes::mail::{outbox, inbound}`).

use crate::error::ApiResult;
use crate::pages::mailroom;
use crate::pages::paging::Pager;
use crate::routes::mail::inbound::{ledger_page, LedgerQuery};
use crate::routes::mail::outbox::{outbox_page, retry_letter, OutboxQuery};
use crate::routes::mail::MailDirector;
use crate::routes::web::{check_staff_form, page, see_other, staff_bar};
use crate::routes::PageQuery;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// `?cursor=&done=` on the mail pages.
#[derive(Debug, Default, Deserialize)]
pub struct MailParams {
    cursor: Option<String>,
    done: Option<String>,
}

/// `GET /director/dead-letters`
pub async fn dead_letters(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: MailDirector,
    params: web::Query<MailParams>,
) -> ApiResult<HttpResponse> {
    let bar = staff_bar(&req, &director.0 .0, None)?;
    let q = OutboxQuery {
        status: Some("dead".into()),
        page: PageQuery {
            limit: None,
            cursor: params.cursor.clone(),
        },
    };
    let paged = outbox_page(&state, &q).await?;
    let pager = Pager::new(
        "/director/dead-letters",
        "",
        params.cursor.as_deref(),
        paged.next_cursor.as_deref(),
    );
    let done = match params.done.as_deref() {
        Some("retry") => Some("The message is back in the queue; the workers will try it again."),
        _ => None,
    };
    Ok(page(mailroom::dead_letters_page(
        &paged.items,
        pager,
        done,
        bar,
    )?))
}

/// The retry button's form.
#[derive(Debug, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /director/dead-letters/{id}/retry`
pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    _director: MailDirector,
    id: web::Path<i64>,
    form: web::Form<RetryForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    retry_letter(&state, id.into_inner()).await?;
    Ok(see_other("/director/dead-letters?done=retry").finish())
}

/// `GET /director/mail-ledger`
pub async fn ledger(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: MailDirector,
    params: web::Query<MailParams>,
) -> ApiResult<HttpResponse> {
    let bar = staff_bar(&req, &director.0 .0, None)?;
    let q = LedgerQuery {
        route: None,
        page: PageQuery {
            limit: None,
            cursor: params.cursor.clone(),
        },
    };
    let paged = ledger_page(&state, &q).await?;
    let pager = Pager::new(
        "/director/mail-ledger",
        "",
        params.cursor.as_deref(),
        paged.next_cursor.as_deref(),
    );
    Ok(page(mailroom::ledger_page(&paged.items, pager, bar)?))
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/dead-letters", get => dead_letters))
        .service(resource!("/director/dead-letters/{id}/retry", post => retry))
        .service(resource!("/director/mail-ledger", get => ledger));
}
