//! `/sign-in`, `/sign-out`, and the landing page `/libraries/{library}` (the
//! director's, `/director`, is the inbox: `director::inbox`).

use super::{form_error, form_page, page, refused, see_other};
use crate::auth::{Caller, COOKIE};
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::pages::signin::{self, SignInForm};
use crate::routes::auth::{
    close_staff_session, open_staff_session, removal_cookie, session_cookie,
};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::accounts;
use serde::Deserialize;

/// The sign-in form as posted.
#[derive(Deserialize)]
pub struct SignInPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    library: Option<String>,
}

/// A form that only carries its CSRF token (sign-out).
#[derive(Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

impl TokenOnly {
    /// The token the form carried.
    pub fn token(&self) -> &str {
        &self.csrf
    }
}

/// The staff sign-in form.
pub async fn sign_in_form(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (csrf, cookie) = crate::csrf::pre_session(&req, state.settings.server.cookies_secure());
    form_page(signin::sign_in_page(&csrf, &SignInForm::default())?, cookie)
}

/// Signs in from the form: 303 to the account's landing page, or the form
/// again with the refusal beside its field.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignInPost>,
) -> ApiResult<HttpResponse> {
    let SignInPost {
        csrf,
        email,
        password,
        library,
    } = form.into_inner();
    // Before anything is counted or opened.
    crate::csrf::check_pre_session(&req, &csrf)?;
    let library = library.filter(|l| !l.trim().is_empty());
    let signed_in =
        match open_staff_session(&state, &req, email.clone(), password, library.clone()).await {
            Ok(s) => s,
            Err(e) => {
                let Some((field, text)) = form_error(&e) else {
                    return Err(e);
                };
                let form = SignInForm {
                    email: &email,
                    library: library.as_deref(),
                    ask_library: library.is_some() || field == "library",
                    error: Some((field, &text)),
                };
                return Ok(refused(
                    e.status_code(),
                    signin::sign_in_page(&csrf, &form)?,
                ));
            }
        };
    let to = landing(&signed_in.account);
    let hours = i64::from(state.settings.auth.session_hours);
    let cookie = session_cookie(
        COOKIE,
        signed_in.token.clone(),
        hours,
        state.settings.server.cookies_secure(),
    );
    Ok(see_other(&to).cookie(cookie).finish())
}

/// Where an account lands after sign-in: the director's page, else its first library's.
fn landing(me: &accounts::Me) -> String {
    if me.is_director {
        return "/director".into();
    }
    match me.libraries.first() {
        Some(m) => format!("/libraries/{}", m.slug),
        None => "/".into(),
    }
}

/// Ends the session from the sign-out button and goes home.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    form: web::Form<TokenOnly>,
) -> ApiResult<HttpResponse> {
    crate::csrf::check_session(&req, COOKIE, &form.csrf)?;
    close_staff_session(&state, &caller).await?;
    Ok(see_other("/").cookie(removal_cookie(COOKIE)).finish())
}

/// A library account's landing page; another library's answers 404 like one that does not exist.
pub async fn library_home(req: HttpRequest, staff: LibraryStaff) -> ApiResult<HttpResponse> {
    let bar = super::staff_bar(&req, &staff.caller, Some((staff.role, &staff.library.name)))?;
    Ok(page(signin::library_home(
        &staff.caller.display_name,
        staff.role,
        &staff.library.slug,
        &staff.library.name,
        bar,
    )?))
}

/// Registers the staff pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/sign-in", get => sign_in_form, post => sign_in))
        .service(resource!("/sign-out", post => sign_out))
        .service(resource!("/libraries/{library}", get => library_home));
}
