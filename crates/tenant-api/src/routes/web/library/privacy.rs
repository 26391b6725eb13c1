//! Pages: the admin composes and publishes a version of the library's
//! privacy policy on a form. The work is `custody::policy_form::form_draft`
//! and `publish_form`, which publishes through `custody::privacy_policy::publish`,
//! what the JSON endpoint calls.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::pages::privacy_policy::{manage_page, typed_from};
use crate::routes::blocking;
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::policy_form::{self as pf, PolicyForm};
use serde::Deserialize;

/// `?done=` on the page.
#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<i64>,
    queued: Option<u64>,
}

/// `GET /libraries/{library}/privacy/manage`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    q: web::Query<DoneQuery>,
) -> ApiResult<HttpResponse> {
    let s = &admin.0;
    let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
    let (custody, who) = (state.custody.clone(), s.member());
    let draft = blocking(move || Ok(pf::form_draft(&custody, &who)?)).await?;
    let notice = q.done.map(|v| match q.queued {
        Some(n) => format!("Version {v} is published. The notice was queued to {n} patron(s) with an email address."),
        None => format!("Version {v} is published."),
    });
    Ok(page(manage_page(
        &s.library.slug,
        &s.library.name,
        &draft,
        &typed_from(&draft),
        None,
        notice.as_deref(),
        bar,
    )?))
}

/// The form as posted: uses come as repeated `use_key`/`use_description`
/// pairs and bases once per ticked box, which `web::Form` cannot read, so
/// the body is read pair by pair. (csrf, the form.)
fn form_of(body: &[u8]) -> (String, PolicyForm) {
    let mut csrf = String::new();
    let mut f = PolicyForm::default();
    let (mut keys, mut descriptions) = (Vec::new(), Vec::new());
    let mut days = Vec::new();
    let mut thens = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "csrf" => csrf = v,
            "base_version" => f.base_version = v,
            "text" => f.text = v,
            "children_naming" => f.children_naming = v,
            "use_key" => keys.push(v),
            "use_description" => descriptions.push(v),
            "basis" => f.bases_on.push(v),
            "summary" => f.summary = v,
            other => {
                if let Some(kind) = other.strip_prefix("days-") {
                    days.push((kind.to_owned(), v));
                } else if let Some(kind) = other.strip_prefix("then-") {
                    thens.push((kind.to_owned(), v));
                }
            }
        }
    }
    let rows = keys.len().max(descriptions.len());
    f.uses = (0..rows)
        .map(|i| {
            (
                keys.get(i).cloned().unwrap_or_default(),
                descriptions.get(i).cloned().unwrap_or_default(),
            )
        })
        .collect();
    f.retention = days
        .into_iter()
        .map(|(kind, d)| {
            let then = thens
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            (kind, d, then)
        })
        .collect();
    (csrf, f)
}

/// The words beside a refused field: the rule, and the clause (with its
/// statute) that refused it.
fn words(key: &str, rule: &str, clause: Option<&policy::clause::Clause>) -> String {
    let kind = key
        .strip_prefix("retention.")
        .and_then(|r| r.split('.').next())
        .and_then(|k| k.parse::<policy::records::RecordKind>().ok())
        .map(custody::retention::kind_label);
    let rule = match kind {
        Some(label) if !rule.starts_with(&label) => format!("{label}: {rule}"),
        _ => rule.to_owned(),
    };
    match clause {
        Some(c) => format!("{rule}. Refused under {}.", c.text()),
        None => format!("{rule}."),
    }
}

/// `POST /libraries/{library}/privacy/manage`: publishes, or shows the form
/// again with what was typed and the refusal beside its field.
pub async fn publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (csrf, form) = form_of(&body);
    check_staff_form(&req, &csrf)?;
    let s = &admin.0;
    let (custody, who, input) = (state.custody.clone(), s.member(), form.clone());
    let result = blocking(move || Ok(pf::publish_form(&custody, &who, &input)?)).await;
    let here = format!("/libraries/{}/privacy/manage", s.library.slug);
    let e = match result {
        Ok(p) => {
            let to = match p.notice {
                Some(n) => format!("{here}?done={}&queued={}", p.version, n.queued),
                None => format!("{here}?done={}", p.version),
            };
            return Ok(see_other(&to).finish());
        }
        Err(e) => e,
    };
    let ApiError::PolicyRefused { key, rule, clause } = &e else {
        return Err(e);
    };
    let why = words(key, rule, clause.as_ref());
    let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
    let (custody, who) = (state.custody.clone(), s.member());
    let draft = blocking(move || Ok(pf::form_draft(&custody, &who)?)).await?;
    Ok(refused(
        e.status_code(),
        manage_page(
            &s.library.slug,
            &s.library.name,
            &draft,
            &form,
            Some((key, &why)),
            None,
            bar,
        )?,
    ))
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/privacy/manage", get => show, post => publish));
}
