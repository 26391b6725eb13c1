//! Confirming a patron's new email address: the pages behind the link `PATCH /api/v1/patron/me` sends.
use super::{blocking, confirmation_page};
use crate::error::{ApiError, ApiResult};
use crate::pages::confirm::ConfirmButton;
use crate::passwords;
use crate::patron_auth;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use custody::me::{self, EmailLink};

fn email_link_page(link: Result<EmailLink, ApiError>, confirmed: bool) -> ApiResult<HttpResponse> {
    match link {
        Ok(EmailLink::Usable(..)) if confirmed => confirmation_page(
            StatusCode::OK,
            "Your new email address is confirmed",
            "Your library will use this address from now on. You can close this page.",
            None,
        ),
        Ok(EmailLink::Usable(..)) => confirmation_page(
            StatusCode::OK,
            "Confirm your new email address",
            "Press the button to use this address for your library account. Until you do, nothing changes.",
            Some(ConfirmButton {
                label: "Yes, use this address",
                otherwise: "If you did not ask for this change, close this page: nothing will change.",
            }),
        ),
        Ok(EmailLink::Expired) => confirmation_page(
            StatusCode::GONE,
            "This link has expired",
            "Your email address was not changed. Sign in and change it again to get a new link.",
            None,
        ),
        Err(ApiError::NotFound) => confirmation_page(
            StatusCode::NOT_FOUND,
            "This link does not work",
            "It has been used already, a newer link replaced it, or it was copied incompletely. Your email address was not changed by it.",
            None,
        ),
        Err(e) => Err(e),
    }
}

/// `GET /patron/email/confirm/{token}`: a page with a button; opening the link changes nothing.
pub async fn email_confirm_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let Some(library) = patron_auth::email_token_library(&token) else {
        return email_link_page(Err(ApiError::NotFound), false);
    };
    let custody = state.custody.clone();
    let hash = passwords::token_hash(&token);
    let link =
        blocking(move || Ok(me::email_link(&custody, library, &hash).map_err(ApiError::from)))
            .await?;
    email_link_page(link, false)
}

/// `POST /patron/email/confirm/{token}`: puts the new address in force; the link is then spent.
pub async fn email_confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let Some(library) = patron_auth::email_token_library(&token) else {
        return email_link_page(Err(ApiError::NotFound), true);
    };
    let custody = state.custody.clone();
    let hash = passwords::token_hash(&token);
    let link =
        blocking(move || Ok(me::confirm_email(&custody, library, &hash).map_err(ApiError::from)))
            .await?;
    if let Ok(EmailLink::Usable(id, _)) = &link {
        tracing::info!(library = library.0, patron = id.0, "patron email confirmed");
    }
    email_link_page(link, true)
}

/// Registers the confirmation page at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/patron/email/confirm/{token}", get => email_confirm_page, post => email_confirm));
}
