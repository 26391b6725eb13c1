//! The pages people sign in and out with, the landing pages a sign-in leads
//! to, and HTML error pages for browsers. Each handler calls the same domain
//! function as its JSON endpoint (`routes::auth`, `routes::patron_session`).

pub mod errors;
pub mod patron;
pub mod staff;

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Registers the sign-in pages and landing pages at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    staff::configure_root(cfg);
    patron::configure_root(cfg);
}

/// A rendered page, never cached: every page here is about one session.
fn page(html: String) -> HttpResponse {
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
fn see_other(to: &str) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, to.to_owned()));
    res
}

/// A page with `status`: a refused form shown again answers what the JSON endpoint answers.
fn refused(status: actix_web::http::StatusCode, html: String) -> HttpResponse {
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
