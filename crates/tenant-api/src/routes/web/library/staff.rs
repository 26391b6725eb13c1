//! Pages: staff management (admins). The work is `routes::staff`'s
//! `add_staff`, `change_staff` and `remove_staff`, what the JSON endpoints do.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::pages::paging::Pager;
use crate::pages::staff::{self, AddForm, Added};
use crate::routes::staff::{add_staff, change_staff, remove_staff, NewStaff, StaffChange};
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::accounts::{self, AccountId, StaffAccount, StaffManager};
use policy::staff::{LibraryRole, Standing};
use serde::Deserialize;

fn manager(admin: &LibraryAdmin) -> StaffManager {
    StaffManager {
        account: admin.0.caller.id,
        library: admin.0.library.clone(),
        standing: Standing::Member(LibraryRole::Admin),
    }
}

fn here(admin: &LibraryAdmin) -> String {
    format!("/libraries/{}/staff", admin.0.library.slug)
}

/// `?done=&cursor=` on the list.
#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
    cursor: Option<String>,
}

/// The add form as posted.
#[derive(Deserialize)]
pub struct AddPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

/// A role change as posted.
#[derive(Deserialize)]
pub struct RolePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Disable or enable, as posted.
#[derive(Deserialize)]
pub struct EnabledPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enabled: String,
}

/// The confirmed removal, as posted.
#[derive(Deserialize)]
pub struct TokenPost {
    #[serde(default)]
    csrf: String,
}

async fn staff_list(
    state: &AppState,
    admin: &LibraryAdmin,
    cursor: Option<String>,
) -> ApiResult<(Vec<StaffAccount>, Pager)> {
    let page = PageQuery {
        limit: None,
        cursor: cursor.clone(),
    }
    .parse()?;
    let (store, who) = (state.store.clone(), manager(admin));
    let (after, limit) = (page.after.map(AccountId), page.limit);
    let items = blocking(move || Ok(accounts::list(&store, &who, after, limit)?)).await?;
    let paged = Paged::new(items, &page, |m: &StaffAccount| m.account_id.0);
    let pager = Pager::new(
        &here(admin),
        "",
        cursor.as_deref(),
        paged.next_cursor.as_deref(),
    );
    Ok((paged.items, pager))
}

/// `GET /libraries/{library}/staff`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let notice = match q.done.as_deref() {
        Some("role") => Some("The role was changed."),
        Some("disabled") => Some("The account was disabled; it cannot sign in until enabled."),
        Some("enabled") => Some("The account was enabled."),
        Some("removed") => Some("The staff member was removed."),
        _ => None,
    };
    let s = &admin.0;
    let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
    let (items, pager) = staff_list(&state, &admin, q.cursor).await?;
    Ok(page(staff::list_page(
        &s.library.slug,
        &s.library.name,
        s.caller.id.0,
        &items,
        &pager,
        &AddForm::default(),
        None,
        notice,
        bar,
    )?))
}

fn add_error(e: &ApiError) -> Option<(&'static str, String)> {
    match e {
        ApiError::Invalid { field, detail } => Some((
            match field.as_str() {
                "display_name" => "display_name",
                "role" => "role",
                _ => "email",
            },
            detail.clone(),
        )),
        ApiError::Conflict(what) => Some(("email", what.clone())),
        _ => None,
    }
}

/// `POST /libraries/{library}/staff`: adds a member; the answer (201) shows
/// the one-time password once, above the list that now holds them.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    form: web::Form<AddPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let f = form.into_inner();
    let s = &admin.0;
    let result = add_staff(
        &state,
        manager(&admin),
        NewStaff {
            email: f.email.clone(),
            display_name: f.display_name.clone(),
            role: f.role.clone(),
            password: None,
        },
    )
    .await;
    let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
    match result {
        Ok(created) => {
            let (items, pager) = staff_list(&state, &admin, None).await?;
            let added = Added {
                name: &created.member.display_name,
                email: &created.member.email,
                password: created.initial_password.as_deref().unwrap_or_default(),
            };
            Ok(refused(
                StatusCode::CREATED,
                staff::list_page(
                    &s.library.slug,
                    &s.library.name,
                    s.caller.id.0,
                    &items,
                    &pager,
                    &AddForm::default(),
                    Some(added),
                    None,
                    bar,
                )?,
            ))
        }
        Err(e) => {
            let Some((field, text)) = add_error(&e) else {
                return Err(e);
            };
            let (items, pager) = staff_list(&state, &admin, None).await?;
            let form = AddForm {
                email: &f.email,
                display_name: &f.display_name,
                role: &f.role,
                error: Some((field, &text)),
            };
            Ok(refused(
                e.status_code(),
                staff::list_page(
                    &s.library.slug,
                    &s.library.name,
                    s.caller.id.0,
                    &items,
                    &pager,
                    &form,
                    None,
                    None,
                    bar,
                )?,
            ))
        }
    }
}

/// `POST /libraries/{library}/staff/{account}/role`
pub async fn set_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    form: web::Form<RolePost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let account = AccountId(path.into_inner().1);
    let change = StaffChange {
        role: Some(form.into_inner().role),
        ..Default::default()
    };
    change_staff(&state, manager(&admin), account, change).await?;
    Ok(see_other(&format!("{}?done=role", here(&admin))).finish())
}

/// `POST /libraries/{library}/staff/{account}/enabled`
pub async fn set_enabled(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    form: web::Form<EnabledPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let account = AccountId(path.into_inner().1);
    let enable = match form.enabled.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(ApiError::Invalid {
                field: "enabled".into(),
                detail: "expected yes or no".into(),
            })
        }
    };
    let change = StaffChange {
        disabled: Some(!enable),
        ..Default::default()
    };
    change_staff(&state, manager(&admin), account, change).await?;
    let done = if enable { "enabled" } else { "disabled" };
    Ok(see_other(&format!("{}?done={done}", here(&admin))).finish())
}

/// `GET /libraries/{library}/staff/{account}/remove`: the confirmation step.
pub async fn confirm_remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let account = AccountId(path.into_inner().1);
    let (store, who) = (state.store.clone(), manager(&admin));
    let member = blocking(move || Ok(accounts::get(&store, &who, account)?)).await?;
    let s = &admin.0;
    let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
    Ok(page(staff::remove_page(
        &s.library.slug,
        &s.library.name,
        &member,
        bar,
    )?))
}

/// `POST /libraries/{library}/staff/{account}/remove`: removes them.
pub async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    form: web::Form<TokenPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let account = AccountId(path.into_inner().1);
    remove_staff(&state, manager(&admin), account).await?;
    Ok(see_other(&format!("{}?done=removed", here(&admin))).finish())
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/staff", get => list, post => add))
        .service(resource!("/libraries/{library}/staff/{account}/role", post => set_role))
        .service(resource!("/libraries/{library}/staff/{account}/enabled", post => set_enabled))
        .service(resource!("/libraries/{library}/staff/{account}/remove", get => confirm_remove, post => remove));
}
