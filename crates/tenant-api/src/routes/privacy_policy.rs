//! A library's privacy policy (#16): its admin publishes versions,
//! `POST /api/v1/libraries/{library}/privacy-policy/versions`; anyone reads
//! it, `GET /api/v1/public/libraries/{library}/privacy` (and `…/difference`);
//! a patron reads and sets their opt-outs, `GET`/`PUT
//! /api/v1/patron/me/opt-outs`, and dismisses the notice of a version,
//! `GET /api/v1/patron/me/policy-notice`, `POST …/policy-notice/dismiss`.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::{LibraryAdmin, Patron as PatronCaller};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::privacy_policy::{
    self as pp, CurrentPolicy, Difference, NewPolicyVersion, NoticeQueued, OptOuts, PatronNotice,
    PolicyVendor, PublicPolicy, Published, UseView, VersionSummary,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The answer of the notice endpoint.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PolicyNoticeAnswer)]
pub struct NoticeAnswer {
    /// The notice not yet dismissed, if any.
    notice: Option<PatronNotice>,
}

/// The privacy policy endpoints of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(publish, public, difference, opt_outs, set_opt_outs, notice, dismiss),
    components(schemas(
        NewPolicyVersion,
        Published,
        NoticeQueued,
        PublicPolicy,
        CurrentPolicy,
        VersionSummary,
        UseView,
        PolicyVendor,
        Difference,
        policy::plain::DiffLine,
        policy::minors::ChildNaming,
        OptOuts,
        PatronNotice,
        NoticeAnswer,
        Dismiss
    ))
)]
pub struct ApiDoc;

/// Publishes a version; 201 with `version`, `published_at` and `notice`
/// (`{"queued": N}` when it adds uses, queued before the answer); 422 naming
/// the key and the clause when the policy crate refuses it.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/privacy-policy/versions", tag = "privacy",
    operation_id = "publish_privacy_policy", params(("library" = String, Path, description = "The library's slug", example = "riverside")), request_body = NewPolicyVersion,
    responses(
        (status = 201, description = "Published; a version that adds uses has its notices queued", body = Published),
        (status = 400, description = "The body gives neither or both of `document` and `document_toml`, or a field is not valid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another version was published at the same moment", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The policy crate refuses the version: `field` names the key, `clause` the statute", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn publish(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    body: web::Json<NewPolicyVersion>,
) -> ApiResult<HttpResponse> {
    let (custody, who, input) = (state.custody.clone(), admin.0.member(), body.into_inner());
    let published = blocking(move || Ok(pp::publish(&custody, &who, &input)?)).await?;
    Ok(HttpResponse::Created().json(published))
}

/// The policy in force in plain words and every earlier version; no sign-in.
#[utoipa::path(get, path = "/api/v1/public/libraries/{library}/privacy", tag = "privacy",
    operation_id = "public_privacy_policy", params(("library" = String, Path, description = "The library's slug", example = "riverside")),
    responses(
        (status = 200, description = "The policy in force in plain words, and every earlier version", body = PublicPolicy),
        (status = 404, description = "No such library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn public(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (custody, slug) = (state.custody.clone(), path.into_inner());
    let policy = blocking(move || Ok(pp::public(&custody, &slug)?)).await?;
    Ok(HttpResponse::Ok().json(policy))
}

/// Which two versions to compare.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Between {
    /// The older version.
    pub from: i64,
    /// The newer version.
    pub to: i64,
}

/// The line-by-line difference between two versions; no sign-in.
#[utoipa::path(get, path = "/api/v1/public/libraries/{library}/privacy/difference", tag = "privacy",
    operation_id = "privacy_policy_difference",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"),
        ("from" = i64, Query, description = "The older version", example = 1),
        ("to" = i64, Query, description = "The newer version", example = 2),
    ),
    responses(
        (status = 200, description = "The line-by-line difference", body = Difference),
        (status = 400, description = "`from` or `to` is missing or not a number", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such library, or no such version", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn difference(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<Between>,
) -> ApiResult<HttpResponse> {
    let (custody, slug, q) = (state.custody.clone(), path.into_inner(), q.into_inner());
    let d = blocking(move || Ok(pp::difference(&custody, &slug, q.from, q.to)?)).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The patron's opt-outs: every optional use of the current policy, `true` = opted out.
#[utoipa::path(get, path = "/api/v1/patron/me/opt-outs", tag = "patron",
    operation_id = "my_opt_outs",
    responses(
        (status = 200, description = "Every optional use of the policy in force; `true` = opted out", body = OptOuts),
    ),
    security(("patron_cookie" = []), ("bearer" = [])))]
pub async fn opt_outs(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let (custody, me) = (state.custody.clone(), caller.own());
    let o = blocking(move || Ok(pp::my_opt_outs(&custody, &me)?)).await?;
    Ok(HttpResponse::Ok().json(o))
}

/// Sets the patron's opt-outs (a map from use key to `true` = opted out); uses not named stay.
#[utoipa::path(put, path = "/api/v1/patron/me/opt-outs", tag = "patron",
    operation_id = "set_my_opt_outs",
    request_body(content = BTreeMap<String, bool>, description = "Use key to `true` (opt out) or `false`; uses not named stay",
        example = json!({"reading_program": true})),
    responses(
        (status = 200, description = "The opt-outs as they now are", body = OptOuts),
        (status = 400, description = "A key is not a use of the policy in force", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("patron_cookie" = []), ("bearer" = [])))]
pub async fn set_opt_outs(
    state: web::Data<AppState>,
    caller: PatronCaller,
    body: web::Json<BTreeMap<String, bool>>,
) -> ApiResult<HttpResponse> {
    let (custody, me, choices) = (state.custody.clone(), caller.own(), body.into_inner());
    let o = blocking(move || Ok(pp::set_my_opt_outs(&custody, &me, &choices)?)).await?;
    Ok(HttpResponse::Ok().json(o))
}

/// The notice the patron has not dismissed, or `{"notice": null}`.
#[utoipa::path(get, path = "/api/v1/patron/me/policy-notice", tag = "patron",
    operation_id = "my_policy_notice",
    responses(
        (status = 200, description = "The notice not yet dismissed, or `{\"notice\": null}`", body = NoticeAnswer),
    ),
    security(("patron_cookie" = []), ("bearer" = [])))]
pub async fn notice(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let (custody, me) = (state.custody.clone(), caller.own());
    let n = blocking(move || Ok(pp::my_notice(&custody, &me)?)).await?;
    Ok(HttpResponse::Ok().json(NoticeAnswer { notice: n }))
}

/// Which notice to dismiss.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = DismissNotice, example = json!({"version": 2}))]
#[serde(deny_unknown_fields)]
pub struct Dismiss {
    /// The version whose notice goes (with every earlier one).
    pub version: i64,
}

/// Dismisses a notice; 204.
#[utoipa::path(post, path = "/api/v1/patron/me/policy-notice/dismiss", tag = "patron",
    operation_id = "dismiss_my_policy_notice", request_body = Dismiss,
    responses(
        (status = 204, description = "Dismissed, with every earlier notice"),
        (status = 404, description = "No such version", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("patron_cookie" = []), ("bearer" = [])))]
pub async fn dismiss(
    state: web::Data<AppState>,
    caller: PatronCaller,
    body: web::Json<Dismiss>,
) -> ApiResult<HttpResponse> {
    let (custody, me, version) = (state.custody.clone(), caller.own(), body.version);
    blocking(move || Ok(pp::dismiss_notice(&custody, &me, version)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which two versions the page compares, if the reader chose.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The older version.
    pub from: Option<i64>,
    /// The newer version.
    pub to: Option<i64>,
}

/// `/libraries/{slug}/privacy`: the same as the JSON, with a difference
/// between two versions (the last two unless chosen); no sign-in.
pub async fn public_page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (custody, slug) = (state.custody.clone(), path.into_inner());
    let between = q.from.zip(q.to);
    let (policy, difference) =
        blocking(move || Ok(pp::public_page(&custody, &slug, between)?)).await?;
    Ok(HttpResponse::Ok().content_type(crate::pages::HTML).body(
        crate::pages::privacy_policy::public_page(&policy, difference.as_ref())?,
    ))
}

/// Registers the public privacy policy page at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/privacy", get => public_page));
}

/// Registers the privacy policy endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/privacy-policy/versions", post => publish))
        .service(resource!("/public/libraries/{library}/privacy", get => public))
        .service(resource!("/public/libraries/{library}/privacy/difference", get => difference))
        .service(resource!("/patron/me/opt-outs", get => opt_outs, put => set_opt_outs))
        .service(resource!("/patron/me/policy-notice", get => notice))
        .service(resource!("/patron/me/policy-notice/dismiss", post => dismiss));
}
