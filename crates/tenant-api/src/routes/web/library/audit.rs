//! Pages: the audit log (admins and custodians), newest first, filtered by
//! action and by who acted. The work is `custody::audit::named_log`, which
//! reads through `custody::audit::search` as the JSON endpoint does.

use crate::error::ApiResult;
use crate::guards::Custodian;
use crate::pages::audit as audit_page;
use crate::pages::paging::{urlencode, Pager};
use crate::routes::web::{page, staff_bar};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use custody::audit::{self, Filter};
use serde::Deserialize;

/// `?action=&actor=&cursor=`
#[derive(Deserialize)]
pub struct LogQuery {
    action: Option<String>,
    actor: Option<String>,
    cursor: Option<String>,
}

/// `GET /libraries/{library}/audit`
pub async fn log(
    state: web::Data<AppState>,
    req: HttpRequest,
    Custodian(staff): Custodian,
    q: web::Query<LogQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let action = q.action.filter(|a| !a.is_empty());
    let actor = q.actor.filter(|a| !a.is_empty());
    let page_q = PageQuery {
        limit: None,
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let filter = Filter {
        action: action.clone(),
        actor: actor.clone(),
        newest_first: true,
    };
    let (custody, who) = (state.custody.clone(), staff.member());
    let (cursor, limit) = (page_q.after, page_q.limit);
    let mut named =
        blocking(move || Ok(audit::named_log(&custody, &who, &filter, cursor, limit)?)).await?;
    let entries = std::mem::take(&mut named.entries);
    let paged = Paged::new(entries, &page_q, |e| e.entry.seq);
    named.entries = paged.items;
    let mut filters = Vec::new();
    if let Some(a) = &action {
        filters.push(format!("action={}", urlencode(a)));
    }
    if let Some(a) = &actor {
        filters.push(format!("actor={}", urlencode(a)));
    }
    let here = format!("/libraries/{}/audit", staff.library.slug);
    let pager = Pager::new(
        &here,
        &filters.join("&"),
        q.cursor.as_deref(),
        paged.next_cursor.as_deref(),
    );
    let bar = staff_bar(&req, &staff.caller, Some((staff.role, &staff.library.name)))?;
    Ok(page(audit_page::log_page(
        &staff.library.slug,
        &staff.library.name,
        staff.role,
        named,
        action.as_deref(),
        actor.as_deref(),
        &pager,
        bar,
    )?))
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/audit", get => log));
}
