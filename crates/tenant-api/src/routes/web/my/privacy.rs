//! `/my`'s privacy forms: dismissing the notice of a policy change, and the
//! opt-outs, the functions `POST /api/v1/patron/me/policy-notice/dismiss` and
//! `PUT /api/v1/patron/me/opt-outs` call.

use super::super::{check_patron_form, see_other};
use crate::error::{ApiError, ApiResult};
use crate::guards::Patron;
use crate::routes::blocking;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use custody::privacy_policy as pp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The dismiss form as posted.
#[derive(Deserialize)]
pub struct DismissPost {
    #[serde(default)]
    csrf: String,
    version: i64,
}

/// Dismisses the notice; back to `/my`.
pub async fn dismiss(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    form: web::Form<DismissPost>,
) -> ApiResult<HttpResponse> {
    check_patron_form(&req, &form.csrf)?;
    let (custody, me, version) = (state.custody.clone(), patron.own(), form.version);
    blocking(move || Ok(pp::dismiss_notice(&custody, &me, version)?)).await?;
    Ok(see_other("/my?done=dismissed").finish())
}

/// Saves the opt-outs: every use the form listed (`use`) is allowed when
/// ticked (`allow`) and opted out of otherwise. Checkboxes repeat a name,
/// which `web::Form` cannot read, so the body is read pair by pair.
pub async fn set_opt_outs(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (mut csrf, mut listed, mut allowed) = (String::new(), Vec::new(), Vec::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "use" => listed.push(v.into_owned()),
            "allow" => allowed.push(v.into_owned()),
            _ => {}
        }
    }
    check_patron_form(&req, &csrf)?;
    if listed.is_empty() {
        return Err(ApiError::Invalid {
            field: "use".into(),
            detail: "the form named no use".into(),
        });
    }
    let choices: BTreeMap<String, bool> = listed
        .into_iter()
        .map(|k| {
            let out = !allowed.contains(&k);
            (k, out)
        })
        .collect();
    let (custody, me) = (state.custody.clone(), patron.own());
    blocking(move || Ok(pp::set_my_opt_outs(&custody, &me, &choices)?)).await?;
    Ok(see_other("/my?done=opt-outs#uses").finish())
}
