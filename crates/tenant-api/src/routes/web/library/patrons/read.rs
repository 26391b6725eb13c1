//! Finding a patron and reading their page.

use super::{desk_of, purpose_of, stated, CHOOSE_A_PURPOSE, RECORDS_PER_PAGE};
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::pages::patrons::{self as pages, SearchForm};
use crate::routes::web::{page, refused};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::patrons::{self, PatronId, Search};
use serde::Deserialize;

/// `?purpose=&q=&cursor=` (and, after a deletion or a registration, `done=` with the counts)
#[derive(Deserialize)]
pub struct SearchQuery {
    purpose: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
    removed: Option<String>,
    kept: Option<String>,
}

/// The notice after a deletion: fixed words and the counts as numbers, never text from the address.
fn done_notice(q: &SearchQuery) -> Option<String> {
    if q.done.as_deref() == Some("registered") {
        return Some(
            "The patron was registered. Search their card number to open their record.".into(),
        );
    }
    if q.done.as_deref() != Some("deleted") {
        return None;
    }
    let count = |v: &Option<String>| v.as_deref().and_then(|n| n.parse::<u64>().ok());
    Some(match (count(&q.removed), count(&q.kept)) {
        (Some(removed), Some(kept)) => format!(
            "The patron's record was deleted: {removed} of their records deleted, {kept} kept without the link to them, as the retention schedule says."
        ),
        _ => "The patron's record was deleted.".into(),
    })
}

/// `GET /libraries/{library}/patrons`: the search form; patrons found once a purpose is given.
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    q: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let desk = desk_of(&req, &staff)?;
    let typed = q.q.as_deref().unwrap_or("").trim().to_owned();
    let chosen = q.purpose.as_deref().unwrap_or("");
    if q.purpose.is_none() && q.q.is_none() {
        let form = SearchForm::default();
        return Ok(page(pages::search_page(
            &desk,
            &form,
            None,
            None,
            done_notice(&q),
        )?));
    }
    let purpose = match purpose_of(q.purpose.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            let form = SearchForm {
                purpose: chosen,
                q: &typed,
                error: Some(("purpose", CHOOSE_A_PURPOSE)),
            };
            return Ok(refused(
                e.status_code(),
                pages::search_page(&desk, &form, None, None, None)?,
            ));
        }
    };
    let page_q = PageQuery {
        limit: None,
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let how = if typed.is_empty() {
        Search::List {
            after: page_q.after.map(PatronId),
            limit: page_q.limit,
        }
    } else if typed.contains('@') {
        Search::Email(typed.clone())
    } else {
        Search::Card(typed.clone())
    };
    let (custody, who) = (state.custody.clone(), staff.member());
    let items = blocking(move || Ok(patrons::search(&custody, &who, &purpose, how)?)).await?;
    let found = Paged::new(items, &page_q, |p| p.id.0);
    let form = SearchForm {
        purpose: chosen,
        q: &typed,
        error: None,
    };
    Ok(page(pages::search_page(
        &desk,
        &form,
        Some((found.items, found.next_cursor)),
        q.cursor.as_deref(),
        None,
    )?))
}

/// `?purpose=&limit=&cursor=&done=`
#[derive(Deserialize)]
pub struct PatronQuery {
    purpose: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// `GET /libraries/{library}/patrons/{patron}`: a patron's profile, consents and
/// records, read (and audited) for the purpose given, as the JSON reads are.
pub async fn patron(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<PatronQuery>,
) -> ApiResult<HttpResponse> {
    let id = PatronId(path.into_inner().1);
    let desk = desk_of(&req, &staff)?;
    let here = desk.patron(id.0);
    let purpose = match stated(&desk, &here, "Open a patron's record", q.purpose.as_deref())? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let page_q = PageQuery {
        limit: Some(q.limit.clone().unwrap_or_else(|| RECORDS_PER_PAGE.into())),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    // A page size asked for stays on the page links, as the JSON API's does.
    let limit_kept = q.limit.as_ref().map(|_| page_q.limit);
    let shown = purpose.as_str().to_owned();
    let (custody, who) = (state.custody.clone(), staff.member());
    let (before, limit) = (page_q.after, page_q.limit);
    let (file, items) = blocking(move || {
        Ok(patrons::read_with_records(
            &custody, &who, &purpose, id, before, limit,
        )?)
    })
    .await?;
    let recs = Paged::new(items, &page_q, |r| r.id);
    let notice = match q.done.as_deref() {
        Some("corrected") => Some("The correction was saved."),
        Some("merged") => Some("The duplicate registration was merged into this record."),
        _ => None,
    };
    Ok(page(pages::patron_page(
        &desk,
        &shown,
        &file.patron,
        &file.consents,
        &recs.items,
        limit_kept,
        q.cursor.as_deref(),
        recs.next_cursor.as_deref(),
        notice,
    )?))
}
