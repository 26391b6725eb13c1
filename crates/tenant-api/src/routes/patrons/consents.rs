//! `POST …/patrons/{id}/consents`: a guardian's consent, needed before a
//! minor's gated fields are stored, or a patron's written consent to a disclosure.
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::routes::blocking;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::consents::{self, Consent};
use custody::patrons::PatronId;

/// Records a guardian's consent or a patron's written consent.
/// A consent just recorded.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ConsentAdded {
    /// Its id.
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/libraries/{library}/patrons/{patron}/consents", tag = "patrons", operation_id = "add_consent",
    summary = "Record a guardian's or a patron's written consent", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("patron" = i64, Path, description = "The patron's id")),
    request_body(content = Consent, content_type = "application/json"),
    responses((status = 201, description = "Recorded", body = ConsentAdded, example = json!({"id": 7}))))]
pub async fn add_consent(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    body: web::Json<Consent>,
) -> ApiResult<HttpResponse> {
    let consent = body.into_inner();
    let id = PatronId(path.into_inner().1);
    let (custody, who) = (state.custody.clone(), staff.member());
    let consent_id =
        blocking(move || Ok(consents::add_consent(&custody, &who, id, &consent)?)).await?;
    Ok(HttpResponse::Created().json(ConsentAdded { id: consent_id }))
}
