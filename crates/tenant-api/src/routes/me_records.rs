//! What custodian holds about the signed-in patron: their records, who looked at them, and an export of it all.
use super::me::as_self;
use crate::error::{ApiError, ApiResult};
use crate::patron_auth::PatronCaller;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use store::audit;
use store::patrons;
use store::records::{self, Record};
/// `?cursor=` over the patron's own records.
#[derive(Deserialize)]
pub struct RecordsQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// The patron's own library records, newest first.
pub async fn my_records(
    state: web::Data<AppState>,
    caller: PatronCaller,
    q: web::Query<RecordsQuery>,
) -> ApiResult<HttpResponse> {
    let page = super::PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let id = caller.patron;
    let (before, limit) = (page.after, page.limit);
    let items = as_self(&state, &caller, "patron.self.records", move |tx, keys| {
        Ok(records::for_patron(tx, keys, id, before, limit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(super::Paged::new(items, &page, |r: &Record| r.id)))
}

/// One entry of a patron's access log.
#[derive(Serialize)]
pub struct AccessEntry {
    #[serde(with = "store::time::rfc3339")]
    at: NaiveDateTime,
    who: String,
    action: String,
    purpose: String,
    decision: String,
    clause: String,
}

fn describe_actor(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("account", id)) => format!("library staff (account {id})"),
        Some(("vendor", id)) => format!("contracted vendor {id}"),
        Some(("patron", _)) => "a patron".into(),
        _ => actor.to_owned(),
    }
}

fn access_entries(
    tx: &mut store::LibraryTx<'_>,
    subject: &str,
    limit: i64,
) -> Result<Vec<AccessEntry>, ApiError> {
    let mut out = Vec::new();
    let mut before = None;
    // Entries the patron made themself are not "who looked at my records".
    while (out.len() as i64) < limit {
        let batch = audit::about(tx, subject, before, 500)?;
        let Some(last) = batch.last() else { break };
        before = Some(last.seq);
        out.extend(
            batch
                .into_iter()
                .filter(|e| e.actor != subject)
                .map(|e| AccessEntry {
                    at: e.at,
                    who: describe_actor(&e.actor),
                    action: e.action,
                    purpose: e.purpose,
                    decision: e.decision,
                    clause: e.clause,
                }),
        );
    }
    out.truncate(limit as usize);
    Ok(out)
}

/// Who looked at the patron's records, when and why (sealed legal requests excepted).
pub async fn access_log(
    state: web::Data<AppState>,
    caller: PatronCaller,
) -> ApiResult<HttpResponse> {
    let subject = caller.subject();
    let items = as_self(&state, &caller, "patron.self.access-log", move |tx, _| {
        access_entries(tx, &subject, 500)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Everything held about the patron, as one JSON document to download.
pub async fn export(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let id = caller.patron;
    let subject = caller.subject();
    let lib = caller.library;
    let doc = as_self(&state, &caller, "patron.self.export", move |tx, keys| {
        let patron = patrons::get(tx, keys, id)?;
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = records::for_patron(tx, keys, id, before, 1000)?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            all.extend(page);
        }
        let consents = patrons::consents(tx, keys, id)?;
        let access = access_entries(tx, &subject, i64::MAX)?;
        Ok(serde_json::json!({
            "exported_at": store::time::format(&Utc::now().naive_utc()),
            "library_id": lib.0,
            "patron": patron,
            "records": all,
            "consents": consents,
            "access_log": access,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"my-library-data.json\"",
        ))
        .json(doc))
}
/// Registers the patron's records, export and access log under `/api/v1/patron/me`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/patron/me/records", get => my_records))
        .service(resource!("/patron/me/export", get => export))
        .service(resource!("/patron/me/access-log", get => access_log));
}
