//! Pages: the admin composes and publishes a version of the library's
//! privacy policy. The work is `custody::privacy_policy::draft` and
//! `publish`, what the JSON endpoint calls.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::pages::privacy_policy::{form_field, manage_page, Typed};
use crate::routes::blocking;
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::privacy_policy::{self as pp, NewPolicyVersion};
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
    let draft = blocking(move || Ok(pp::draft(&custody, &who)?)).await?;
    let notice = q.done.map(|v| match q.queued {
        Some(n) => format!("Version {v} is published. The notice was queued to {n} patron(s) with an email address."),
        None => format!("Version {v} is published."),
    });
    Ok(page(manage_page(
        &s.library.slug,
        &s.library.name,
        draft.current_version,
        &Typed {
            document_toml: &draft.document_toml,
            summary: "",
            new_uses: "",
        },
        None,
        notice.as_deref(),
        bar,
    )?))
}

/// The form as posted.
#[derive(Deserialize)]
pub struct PublishPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document_toml: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    new_uses: String,
}

/// `POST /libraries/{library}/privacy/manage`: publishes, or shows the form
/// again with what was typed and the refusal beside its field.
pub async fn publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    form: web::Form<PublishPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let s = &admin.0;
    let input = NewPolicyVersion {
        document: None,
        document_toml: Some(form.document_toml.replace("\r\n", "\n")),
        summary: form.summary.clone(),
        new_uses: form
            .new_uses
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let (custody, who) = (state.custody.clone(), s.member());
    let result = blocking(move || Ok(pp::publish(&custody, &who, &input)?)).await;
    let here = format!("/libraries/{}/privacy/manage", s.library.slug);
    match result {
        Ok(p) => {
            let to = match p.notice {
                Some(n) => format!("{here}?done={}&queued={}", p.version, n.queued),
                None => format!("{here}?done={}", p.version),
            };
            Ok(see_other(&to).finish())
        }
        Err(e) => {
            let ApiError::PolicyRefused { key, .. } = &e else {
                return Err(e);
            };
            let why = match &e {
                ApiError::PolicyRefused {
                    key,
                    rule,
                    clause: Some(c),
                } => format!("{key}: {rule}. {}.", c.text()),
                _ => e.to_string(),
            };
            let field = form_field(key);
            let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
            let (custody, who) = (state.custody.clone(), s.member());
            let draft = blocking(move || Ok(pp::draft(&custody, &who)?)).await?;
            Ok(refused(
                e.status_code(),
                manage_page(
                    &s.library.slug,
                    &s.library.name,
                    draft.current_version,
                    &Typed {
                        document_toml: &form.document_toml,
                        summary: &form.summary,
                        new_uses: &form.new_uses,
                    },
                    Some((field, &why)),
                    None,
                    bar,
                )?,
            ))
        }
    }
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/privacy/manage", get => show, post => publish));
}
