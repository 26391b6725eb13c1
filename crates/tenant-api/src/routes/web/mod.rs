//! The pages people sign in and out with, the landing pages a sign-in leads
//! to, and HTML error pages for browsers. Each handler calls the same domain
//! function as its JSON endpoint (`routes::auth`, `routes::patron_session`).

pub mod director;
pub mod errors;
pub mod library;
pub mod my;
pub mod patron;
pub mod request_forms;
pub mod staff;
pub mod statistics;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::layout::SessionBar;
use crate::pages::nav;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use policy::staff::LibraryRole;

/// Registers the sign-in pages and landing pages at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    staff::configure_root(cfg);
    patron::configure_root(cfg);
    director::configure_root(cfg);
    library::configure_root(cfg);
    my::configure_root(cfg);
    statistics::configure_root(cfg);
}

/// The header of a staff page: who is signed in and the sign-out button
/// carrying the session's form token (which the page's own forms carry too).
pub fn staff_bar(
    req: &HttpRequest,
    caller: &Caller,
    role: Option<(LibraryRole, &str)>,
) -> Result<SessionBar, ApiError> {
    let who = match role {
        Some((role, library)) => format!(
            "{}, {} at {library}",
            caller.display_name,
            nav::role_name(role)
        ),
        None if caller.is_director => format!("{}, consortium director", caller.display_name),
        None => caller.display_name.clone(),
    };
    Ok(SessionBar {
        who,
        csrf: crate::csrf::for_request(req, crate::auth::COOKIE)
            .ok_or(ApiError::Unauthenticated)?,
        sign_out: "/sign-out",
    })
}

/// The header of a patron's page: their library and the sign-out button.
pub fn patron_bar(req: &HttpRequest, library_name: &str) -> Result<SessionBar, ApiError> {
    Ok(SessionBar {
        who: format!("a patron of {library_name}"),
        csrf: crate::csrf::for_request(req, crate::patron_auth::COOKIE)
            .ok_or(ApiError::Unauthenticated)?,
        sign_out: "/my/sign-out",
    })
}

/// Refuses a staff form whose token is not this session's (403, nothing changed).
/// Call it first in every POST handler of a staff page.
pub fn check_staff_form(req: &HttpRequest, token: &str) -> Result<(), ApiError> {
    crate::csrf::check_session(req, crate::auth::COOKIE, token)
}

/// Refuses a patron's form whose token is not this session's (403, nothing changed).
pub fn check_patron_form(req: &HttpRequest, token: &str) -> Result<(), ApiError> {
    crate::csrf::check_session(req, crate::patron_auth::COOKIE, token)
}

/// A rendered page, never cached: every page here is about one session.
pub fn page(html: String) -> HttpResponse {
    refused(actix_web::http::StatusCode::OK, html)
}

/// A sign-in form's page, setting the form's double-submit cookie when it is new.
fn form_page(
    html: String,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> Result<HttpResponse, ApiError> {
    let mut res = page(html);
    if let Some(c) = cookie {
        res.add_cookie(&c)
            .map_err(|e| ApiError::Internal(format!("setting the form cookie: {e}")))?;
    }
    Ok(res)
}

/// A 303 to `to`, the answer to a form that worked (so reloading does not post again).
pub fn see_other(to: &str) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, to.to_owned()));
    res
}

/// A page with `status`: a refused form shown again answers what the JSON endpoint answers.
pub fn refused(status: actix_web::http::StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(crate::pages::HTML)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// The words a form shows beside a field for a refusal of sign-in, or `None`
/// when the refusal is not about the form (it then becomes an error page).
fn form_error(e: &ApiError) -> Option<(&'static str, String)> {
    match e {
        ApiError::Invalid { field, detail } => {
            let field = match field.as_str() {
                "password" => "password",
                "library" => "library",
                "pin" => "pin",
                "card_number" => "card_number",
                _ => "email",
            };
            Some((field, detail.clone()))
        }
        ApiError::BadCredentials => Some((
            "password",
            "Wrong email or password. Check both and try again; after several failures sign-in is paused for a while.".into(),
        )),
        ApiError::BadPatronCredentials => Some((
            "pin",
            "Wrong card number or PIN. Check both and try again; if you forgot your PIN, your library can reset it.".into(),
        )),
        _ => None,
    }
}
