//! `/my/sign-in` and `/my/sign-out` (the patron's pages themselves are in `my.rs`).

use super::staff::TokenOnly;
use super::{form_error, form_page, refused, see_other};
use crate::error::{ApiError, ApiResult};
use crate::guards::Patron;
use crate::pages::signin::{self, LibraryChoice, MySignInForm};
use crate::patron_auth::COOKIE;
use crate::routes::auth::{removal_cookie, session_cookie};
use crate::routes::blocking;
use crate::routes::patron_session::{close_patron_session, open_patron_session};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;

/// The patron sign-in form as posted.
#[derive(Deserialize)]
pub struct MySignInPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    library: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    pin: String,
}

/// The member libraries, for the chooser.
async fn choices(state: &AppState) -> ApiResult<Vec<LibraryChoice>> {
    let store = state.store.clone();
    let all = blocking(move || Ok(custody::libraries::all(&store)?)).await?;
    Ok(all
        .into_iter()
        .map(|l| LibraryChoice {
            slug: l.slug,
            name: l.name,
        })
        .collect())
}

/// The patron sign-in form.
pub async fn sign_in_form(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (csrf, cookie) = crate::csrf::pre_session(&req, state.settings.server.cookies_secure());
    let libraries = choices(&state).await?;
    form_page(
        signin::my_sign_in_page(&csrf, &libraries, &MySignInForm::default())?,
        cookie,
    )
}

/// Signs a patron in from the form: 303 to `/my`, or the form again with the refusal beside its field.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<MySignInPost>,
) -> ApiResult<HttpResponse> {
    let MySignInPost {
        csrf,
        library,
        card_number,
        pin,
    } = form.into_inner();
    crate::csrf::check_pre_session(&req, &csrf)?;
    let outcome = if library.is_empty() {
        Err(ApiError::Invalid {
            field: "library".into(),
            detail: "Choose your library.".into(),
        })
    } else {
        open_patron_session(&state, &req, library.clone(), card_number.clone(), pin).await
    };
    let signed_in = match outcome {
        Ok(s) => s,
        Err(e) => {
            let Some((field, text)) = form_error(&e) else {
                return Err(e);
            };
            let libraries = choices(&state).await?;
            let form = MySignInForm {
                library: &library,
                card_number: &card_number,
                error: Some((field, &text)),
            };
            return Ok(refused(
                e.status_code(),
                signin::my_sign_in_page(&csrf, &libraries, &form)?,
            ));
        }
    };
    let hours = i64::from(state.settings.auth.session_hours);
    let cookie = session_cookie(
        COOKIE,
        signed_in.token.clone(),
        hours,
        state.settings.server.cookies_secure(),
    );
    Ok(see_other("/my").cookie(cookie).finish())
}

/// Ends the patron's session from the sign-out button and goes home.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    form: web::Form<TokenOnly>,
) -> ApiResult<HttpResponse> {
    crate::csrf::check_session(&req, COOKIE, form.token())?;
    close_patron_session(&state, &patron).await?;
    Ok(see_other("/").cookie(removal_cookie(COOKIE)).finish())
}

/// Registers the patron's pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/my/sign-in", get => sign_in_form, post => sign_in))
        .service(resource!("/my/sign-out", post => sign_out));
}
