//! Pages: the member libraries and onboarding one with its first admin. The
//! work is `routes::libraries::onboard` and `routes::staff::add_staff`, what
//! `POST /api/v1/libraries` and the director's `POST …/staff` do.

use crate::error::{ApiError, ApiResult};
use crate::guards::{DirectorAt, MemberLibraries};
use crate::pages::members::{self, OnboardForm, Onboarded};
use crate::pages::paging::Pager;
use crate::routes::libraries::{onboard, Onboard};
use crate::routes::staff::{add_staff, NewStaff};
use crate::routes::web::{check_staff_form, page, refused, staff_bar};
use crate::routes::{blocking, Paged};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::accounts::StaffManager;
use custody::libraries::{self, LibraryId, Member};
use policy::staff::Standing;
use serde::Deserialize;

const HERE: &str = "/director/libraries";

/// The onboarding form as posted.
#[derive(Deserialize)]
pub struct OnboardPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    admin_email: String,
    #[serde(default)]
    admin_name: String,
}

/// The field a refusal is about, and the words shown beside it, when it is
/// about the form (anything else becomes an error page).
fn form_error(e: &ApiError) -> Option<(&'static str, String)> {
    match e {
        ApiError::Invalid { field, detail } => {
            let field = match field.as_str() {
                "slug" => "slug",
                "jurisdiction" => "jurisdiction",
                "email" => "admin_email",
                "display_name" => "admin_name",
                _ => "name",
            };
            Some((field, detail.clone()))
        }
        ApiError::Conflict(_) => Some((
            "slug",
            "A member library already has this slug; choose another.".into(),
        )),
        _ => None,
    }
}

async fn members_page(state: &AppState, cursor: Option<String>) -> ApiResult<(Vec<Member>, Pager)> {
    let page = crate::routes::PageQuery {
        limit: None,
        cursor: cursor.clone(),
    }
    .parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after.map(LibraryId), page.limit);
    let items = blocking(move || Ok(libraries::members(&store, after, limit)?)).await?;
    let paged = Paged::new(items, &page, |m: &Member| m.library.id.0);
    let pager = Pager::new(HERE, "", cursor.as_deref(), paged.next_cursor.as_deref());
    Ok((paged.items, pager))
}

/// `?cursor=` on the list.
#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

/// `GET /director/libraries`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<MemberLibraries>,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let bar = staff_bar(&req, &director.0, None)?;
    let (items, pager) = members_page(&state, q.into_inner().cursor).await?;
    let form = OnboardForm {
        jurisdiction: "generic",
        ..Default::default()
    };
    Ok(page(members::list_page(&items, &pager, &form, None, bar)?))
}

/// `POST /director/libraries`: onboards the library, then adds its first
/// admin; the answer shows the admin's one-time password, once (so it is a
/// page, 201, not a redirect that would have to carry the password).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<MemberLibraries>,
    form: web::Form<OnboardPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let f = form.into_inner();
    // The admin's address and name are checked before the library is made,
    // so a typo there does not leave a library without an admin.
    let checked = custody::accounts::sign_in_email(&f.admin_email)
        .map_err(ApiError::from)
        .and_then(|_| {
            if f.admin_name.trim().is_empty() {
                Err(ApiError::Invalid {
                    field: "display_name".into(),
                    detail: "the first admin needs a name".into(),
                })
            } else {
                Ok(())
            }
        });
    let result = match checked {
        Ok(()) => {
            onboard(
                &state,
                Onboard {
                    slug: f.slug.trim().to_owned(),
                    name: f.name.clone(),
                    jurisdiction: f.jurisdiction.clone(),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    let library = match result {
        Ok(l) => l,
        Err(e) => {
            let Some((field, text)) = form_error(&e) else {
                return Err(e);
            };
            let bar = staff_bar(&req, &director.0, None)?;
            let (items, pager) = members_page(&state, None).await?;
            let form = OnboardForm {
                name: &f.name,
                slug: &f.slug,
                jurisdiction: &f.jurisdiction,
                admin_email: &f.admin_email,
                admin_name: &f.admin_name,
                error: Some((field, &text)),
            };
            return Ok(refused(
                e.status_code(),
                members::list_page(&items, &pager, &form, None, bar)?,
            ));
        }
    };
    let who = StaffManager {
        account: director.0.id,
        library: library.clone(),
        standing: Standing::Director,
    };
    let created = add_staff(
        &state,
        who,
        NewStaff {
            email: f.admin_email.clone(),
            display_name: f.admin_name.clone(),
            role: "admin".into(),
            password: None,
        },
    )
    .await?;
    let bar = staff_bar(&req, &director.0, None)?;
    let (items, pager) = members_page(&state, None).await?;
    let onboarded = Onboarded {
        library: &library.name,
        slug: &library.slug,
        admin_name: &created.member.display_name,
        admin_email: &created.member.email,
        password: created.initial_password.as_deref().unwrap_or_default(),
    };
    let form = OnboardForm {
        jurisdiction: "generic",
        ..Default::default()
    };
    Ok(refused(
        StatusCode::CREATED,
        members::list_page(&items, &pager, &form, Some(onboarded), bar)?,
    ))
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/libraries", get => list, post => create));
}
