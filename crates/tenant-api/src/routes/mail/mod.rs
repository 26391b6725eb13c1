//! Mail: the gateway's inbound endpoint and its ledger, the director's inbox
//! and triage, each library's queue of emailed requests, the outbox's dead
//! letters, and the public page a confirmation link opens.
//!
//! "Request" in these paths is an emailed correction, update or deletion
//! request (`notifier::requests`), never an HTTP request or a disclosure.
//! Every handler here calls the notifier's mailroom and nothing beneath it.

mod confirm;
pub(crate) mod inbound;
pub(crate) mod inbox;
pub(crate) mod library_queue;
pub(crate) mod outbox;
pub(crate) mod queue;

use crate::error::{ApiError, ApiResult};
use crate::guards::{DirectorAt, Inbox};
use actix_web::web;
use chrono::Utc;

pub(crate) fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

/// The director at the inbox.
pub type MailDirector = DirectorAt<Inbox>;

/// An optional query parameter that must be one of `allowed`.
pub(crate) fn one_of(
    field: &str,
    value: Option<&str>,
    allowed: &[&str],
) -> ApiResult<Option<String>> {
    match value {
        None | Some("") => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
        Some(v) => Err(ApiError::Invalid {
            field: field.into(),
            detail: format!("expected one of {}, got {v:?}", allowed.join(", ")),
        }),
    }
}

/// Registers the request confirmation page at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    confirm::configure_root(cfg);
}

/// Registers inbound mail, the requests queues and the outbox under `/api/v1`.
/// The mail operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        inbound::inbound,
        inbound::ledger,
        inbox::director_list,
        inbox::director_get,
        inbox::director_raw,
        inbox::director_update,
        inbox::director_reply,
        outbox::outbox,
        outbox::retry,
        library_queue::library_list,
        library_queue::library_get,
        library_queue::library_raw,
        library_queue::library_update,
        library_queue::library_reply,
    ),
    components(schemas(
        queue::ChangeBody,
        queue::ReplyBody,
        notifier::requests::MailRequest,
        notifier::requests::RequestDetail,
        notifier::requests::Ingested,
        notifier::requests::Event,
        notifier::OutboxLetter,
        notifier::Logged
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    inbound::configure(cfg);
    inbox::configure(cfg);
    outbox::configure(cfg);
    library_queue::configure(cfg);
}
