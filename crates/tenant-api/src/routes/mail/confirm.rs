//! The public page a confirmation link opens: a sender proves the From
//! address is theirs by pressing its button.

use super::now;
use crate::error::ApiResult;
use crate::pages::confirm::ConfirmButton;
use crate::routes::{blocking, confirmation_page};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use notifier::MailroomError;

fn link_problem(e: MailroomError) -> ApiResult<HttpResponse> {
    match e {
        MailroomError::LinkExpired => confirmation_page(
            StatusCode::GONE,
            "This link has expired",
            &e.to_string(),
            None,
        ),
        MailroomError::LinkSpent { .. } => confirmation_page(
            StatusCode::GONE,
            "This link was already used",
            &e.to_string(),
            None,
        ),
        MailroomError::LinkInvalid => confirmation_page(
            StatusCode::NOT_FOUND,
            "This link does not work",
            &e.to_string(),
            None,
        ),
        other => Err(other.into()),
    }
}

/// `GET /requests/confirm/{token}`: shows what confirming does, and a button.
/// Opening the link changes nothing, because mail scanners open links too.
pub async fn confirm_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let token = token.into_inner();
    let checked = blocking(move || Ok(room.check_link(&token, now()))).await?;
    match checked {
        Ok(asked) => confirmation_page(
            StatusCode::OK,
            &format!("Confirm request {}", asked.reference),
            &format!(
                "Request {} asks us to {}. Press the button to confirm that you sent it; {} will then handle it.",
                asked.reference, asked.asks_to, asked.handler
            ),
            Some(ConfirmButton {
                label: "Yes, I sent this request",
                otherwise: "If you did not send it, close this page: nothing will change.",
            }),
        ),
        Err(e) => link_problem(e),
    }
}

/// `POST /requests/confirm/{token}`: confirms; the link is then spent.
pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let token = token.into_inner();
    let confirmed = blocking(move || Ok(room.confirm(&token, now()))).await?;
    match confirmed {
        Ok(asked) => confirmation_page(
            StatusCode::OK,
            &format!("Thank you: request {} is confirmed", asked.reference),
            &format!(
                "{} will handle your request to {} and answer you by email.",
                asked.handler, asked.asks_to
            ),
            None,
        ),
        Err(e) => link_problem(e),
    }
}

/// Registers the request confirmation page at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/requests/confirm/{token}", get => confirm_page, post => confirm));
}
