//! A library's staff: `/api/v1/libraries/{library}/staff`.
//!
//! The rules (who may add, change or remove whom, where a refusal is
//! recorded) live in `custody::accounts`; these handlers parse, hash
//! passwords off the async threads, and answer.

use super::{blocking, PageQuery, Paged};
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::accounts::{self, AccountId, StaffAccount, StaffManager};
use policy::staff::{LibraryRole, StaffAction, Standing};
use serde::{Deserialize, Serialize};

fn manager(access: &LibraryAccess) -> StaffManager {
    StaffManager {
        account: access.caller.id,
        library: access.library.clone(),
        standing: access.standing,
    }
}

/// Asks the policy off the async threads; a refusal is recorded before it is answered.
async fn authorize(
    state: &AppState,
    who: &StaffManager,
    action: StaffAction,
) -> ApiResult<accounts::StaffPermit> {
    let (store, who) = (state.store.clone(), who.clone());
    blocking(move || Ok(accounts::authorize(&store, &who, action)?)).await
}

fn check_password(p: &str) -> ApiResult<()> {
    if p.chars().count() < passwords::MIN_LENGTH {
        return Err(ApiError::Invalid {
            field: "password".into(),
            detail: format!(
                "a password needs at least {} characters",
                passwords::MIN_LENGTH
            ),
        });
    }
    Ok(())
}

/// Lists the library's staff.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/staff", tag = "staff", operation_id = "list_staff",
    summary = "The library's staff", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), PageQuery),
    responses((status = 200, description = "A page of staff accounts", body = Paged<StaffAccount>, example = json!({"items": [{"account_id": 12, "email": "ada.reyes@demo.custodian.test", "display_name": "Ada Reyes", "role": "staff", "disabled": false, "joined_at": "2026-01-05T09:00:00.000000Z"}], "next_cursor": null}))))]
pub async fn list(
    state: web::Data<AppState>,
    access: LibraryAccess,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let who = manager(&access);
    accounts::may_view(&who)?;
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after.map(AccountId), page.limit);
    let items = blocking(move || Ok(accounts::list(&store, &who, after, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |m: &StaffAccount| m.account_id.0)))
}

/// `POST …/staff`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada.reyes@demo.custodian.test", "display_name": "Ada Reyes", "role": "staff"}))]
pub struct NewStaff {
    /// Sign-in address.
    #[schema(format = Email)]
    pub email: String,
    /// The name colleagues see: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub display_name: String,
    /// `admin`, `staff` or `custodian`.
    #[schema(schema_with = roles)]
    pub role: String,
    /// Omit to have one generated and returned once; at least
    /// `passwords::MIN_LENGTH` (12) characters.
    #[schema(min_length = 12)]
    pub password: Option<String>,
}

/// The roles `policy::staff::LibraryRole` parses, for the document.
const ROLES: [&str; 3] = ["admin", "staff", "custodian"];

/// `role`'s schema on a new account.
fn roles() -> utoipa::openapi::Object {
    crate::openapi::one_of(&ROLES, "`admin`, `staff` or `custodian`.")
}

/// `role`'s schema on a change: one of the roles, or null to leave it.
fn optional_role() -> utoipa::openapi::Object {
    crate::openapi::one_of_or_null(
        &ROLES,
        "A new role: `admin`, `staff` or `custodian`; null leaves it.",
    )
}

/// A staff account just added.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = StaffCreated)]
pub struct Created {
    /// The account.
    #[serde(flatten)]
    pub member: StaffAccount,
    /// Present only when custodian generated the password; shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub initial_password: Option<String>,
}

/// Adds a staff account to the library.
///
/// The account is always a new account of this library, even when the address
/// has an account in another library: answering "already exists" would tell
/// an admin which addresses work elsewhere in the consortium, and joining the
/// existing account would let this library's admin reach (and reset) an
/// account another library relies on. So the answer for an address known
/// elsewhere is the same as for one known nowhere; only an address already on
/// this library's own staff is refused (409). Sign-in tells the two accounts
/// apart by their passwords, or by the `library` the person names.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/staff", tag = "staff", operation_id = "add_staff",
    summary = "Add a staff account (library admin, or the director for a library without one)", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug")),
    request_body(content = NewStaff, content_type = "application/json"),
    responses(
        (status = 201, description = "Added; `initial_password` is shown this once when custodian generated it", body = Created),
        (status = 409, description = "The address is already on this library's staff", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    access: LibraryAccess,
    body: web::Json<NewStaff>,
) -> ApiResult<HttpResponse> {
    let created = add_staff(&state, manager(&access), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Adds a staff account to `who`'s library, generating its password when none
/// is given: the JSON endpoint and the staff pages both call this.
pub async fn add_staff(state: &AppState, who: StaffManager, body: NewStaff) -> ApiResult<Created> {
    // Everybody but the director is decided before the body is looked at, so
    // an outsider's answer cannot depend on it; the director's depends on
    // whether the library has an admin yet, read in the creating transaction.
    if who.standing != Standing::Director {
        let create = StaffAction::Create {
            role: LibraryRole::Staff,
            library_has_admin: true,
        };
        authorize(state, &who, create).await?;
    }
    let NewStaff {
        email,
        display_name,
        role,
        password,
    } = body;
    let role = accounts::parse_role("role", &role)?;
    let email = accounts::sign_in_email(&email)?;
    if display_name.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "display_name".into(),
            detail: "a name is required".into(),
        });
    }
    if let Some(p) = &password {
        check_password(p)?;
    }
    let store = state.store.clone();
    let created_in = who.library.slug.clone();
    let created = state
        .hashing
        .run(move || {
            let generated = password.is_none().then(passwords::generate);
            let plain = password.or_else(|| generated.clone()).unwrap_or_default();
            let hash = passwords::hash(&plain).map_err(ApiError::Internal)?;
            let new = accounts::NewStaff {
                email: &email,
                display_name: display_name.trim(),
                role,
                password_hash: &hash,
            };
            Ok(Created {
                member: accounts::add(&store, &who, &new)?,
                initial_password: generated,
            })
        })
        .await?;
    tracing::info!(library = %created_in, account = created.member.account_id.0, role = %role, "staff account added");
    Ok(created)
}

/// One staff member.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/staff/{account}", tag = "staff", operation_id = "get_staff",
    summary = "One staff account", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("account" = i64, Path, description = "The staff account's id")),
    responses((status = 200, description = "The account", body = StaffAccount, example = json!({"account_id": 12, "email": "ada.reyes@demo.custodian.test", "display_name": "Ada Reyes", "role": "staff", "disabled": false, "joined_at": "2026-01-05T09:00:00.000000Z"}))))]
pub async fn get(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let who = manager(&access);
    accounts::may_view(&who)?;
    let account = AccountId(path.into_inner().1);
    let store = state.store.clone();
    let member = blocking(move || Ok(accounts::get(&store, &who, account)?)).await?;
    Ok(HttpResponse::Ok().json(member))
}

/// `PATCH …/staff/{account}`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[derive(Default)]
#[schema(example = json!({"role": "custodian"}))]
pub struct StaffChange {
    /// A new role: `admin`, `staff` or `custodian`.
    #[schema(schema_with = optional_role)]
    pub role: Option<String>,
    /// A new name: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub display_name: Option<String>,
    /// Disable or enable the account.
    pub disabled: Option<bool>,
    /// A new password, at least `passwords::MIN_LENGTH` (12) characters.
    #[schema(min_length = 12)]
    pub password: Option<String>,
}

/// Changes a staff member's role, name, password or disabled flag.
#[utoipa::path(patch, path = "/api/v1/libraries/{library}/staff/{account}", tag = "staff", operation_id = "change_staff",
    summary = "Change a staff member's role, name, password or disabled flag", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("account" = i64, Path, description = "The staff account's id")),
    request_body(content = StaffChange, content_type = "application/json"),
    responses((status = 200, description = "The changed account", body = StaffAccount, example = json!({"account_id": 12, "email": "ada.reyes@demo.custodian.test", "display_name": "Ada Reyes", "role": "staff", "disabled": false, "joined_at": "2026-01-05T09:00:00.000000Z"})), (status = 409, description = "The change would leave the library without an admin, or clashes", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<StaffChange>,
) -> ApiResult<HttpResponse> {
    let account = AccountId(path.into_inner().1);
    let member = change_staff(&state, manager(&access), account, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(member))
}

/// Changes a staff member's role, name, password or disabled flag: the JSON
/// endpoint and the staff pages both call this.
pub async fn change_staff(
    state: &AppState,
    who: StaffManager,
    account: AccountId,
    change: StaffChange,
) -> ApiResult<StaffAccount> {
    let permit = authorize(state, &who, StaffAction::Manage).await?;
    let role = change
        .role
        .as_deref()
        .map(|r| accounts::parse_role("role", r))
        .transpose()?;
    if let Some(p) = &change.password {
        check_password(p)?;
    }
    if matches!(&change.display_name, Some(n) if n.trim().is_empty()) {
        return Err(ApiError::Invalid {
            field: "display_name".into(),
            detail: "a name cannot be empty".into(),
        });
    }
    let store = state.store.clone();
    // Only a password change hashes; the other changes need no hashing slot.
    let slot = match change.password {
        Some(_) => Some(state.hashing.enter().await?),
        None => None,
    };
    let member = blocking(move || {
        let _slot = slot;
        let hash = change
            .password
            .as_deref()
            .map(passwords::hash)
            .transpose()
            .map_err(ApiError::Internal)?;
        let wanted = accounts::StaffChange {
            role,
            display_name: change.display_name.as_deref().map(str::trim),
            password_hash: hash.as_deref(),
            disabled: change.disabled,
        };
        Ok(accounts::change(&store, &permit, account, &wanted)?)
    })
    .await?;
    tracing::info!(library = %who.library.slug, account = account.0, "staff account changed");
    Ok(member)
}

/// Removes a staff member from the library (and their account, if they work nowhere else).
#[utoipa::path(delete, path = "/api/v1/libraries/{library}/staff/{account}", tag = "staff", operation_id = "remove_staff",
    summary = "Remove a staff member from the library", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("account" = i64, Path, description = "The staff account's id")),
    responses((status = 204, description = "Removed"), (status = 409, description = "The library would be left without an admin", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn remove(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let account = AccountId(path.into_inner().1);
    remove_staff(&state, manager(&access), account).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a staff member from `who`'s library: the JSON endpoint and the
/// staff pages both call this.
pub async fn remove_staff(
    state: &AppState,
    who: StaffManager,
    account: AccountId,
) -> ApiResult<()> {
    let permit = authorize(state, &who, StaffAction::Manage).await?;
    let store = state.store.clone();
    blocking(move || Ok(accounts::remove(&store, &permit, account)?)).await?;
    tracing::info!(library = %who.library.slug, account = account.0, "staff account removed");
    Ok(())
}

/// The staff accounts' operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, create, get, update, remove),
    components(schemas(StaffAccount, NewStaff, Created, StaffChange))
)]
pub struct ApiDoc;

/// Registers a library's staff endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/staff", get => list, post => create))
        .service(resource!("/libraries/{library}/staff/{account}", get => get, patch => update, delete => remove));
}
