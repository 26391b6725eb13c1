//! A library's staff: `/api/v1/libraries/{library}/staff`.

use super::{blocking, PageQuery, Paged};
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use policy::staff::{decide_staff, LibraryRole, StaffAction, StaffDecision, Standing};
use serde::{Deserialize, Serialize};
use store::accounts::{self, NewAccount};
use store::staff::{self, StaffMember};
use store::{audit, security_log, AccountId, LibraryId, StoreError};

/// How many entries one caller may write into the consortium's security log
/// per minute; further refusals in the minute are only counted.
///
/// Ten is more than a person mistyping a library's slug produces and small
/// enough that one account hammering the API adds at most 14,400 rows a day.
pub const SECURITY_LOG_PER_MINUTE: i64 = 10;

/// Asks the policy; a refusal to change anything is recorded before it is answered.
async fn authorize(
    state: &AppState,
    access: &LibraryAccess,
    action: StaffAction,
) -> ApiResult<StaffDecision> {
    let decision = decide_staff(access.standing, action);
    if decision != StaffDecision::Allow && action != StaffAction::View {
        record_refusal(state, access, decision).await?;
    }
    answer(decision)
}

fn answer(decision: StaffDecision) -> ApiResult<StaffDecision> {
    match decision {
        StaffDecision::Allow => Ok(decision),
        StaffDecision::Forbidden(why) => Err(ApiError::Forbidden(why)),
        StaffDecision::Hidden => Err(ApiError::NotFound),
    }
}

/// Writes a refusal where it belongs: a caller with standing in the library
/// (a member, the director) into the library's audit log; anybody else into
/// the consortium's security log, bounded per caller, because letting any
/// signed-in account append to another library's append-only chain would let
/// it grow that chain without limit.
async fn record_refusal(
    state: &AppState,
    access: &LibraryAccess,
    decision: StaffDecision,
) -> ApiResult<()> {
    let store = state.store.clone();
    let (library, actor) = (access.library.id, actor(access));
    blocking(move || {
        let now = Utc::now().naive_utc();
        if decision == StaffDecision::Hidden {
            let refusal = security_log::Refusal {
                actor: &actor,
                target: library,
                action: "staff.manage",
                clause: decision.clause(),
            };
            store.write(LibraryId::CONSORTIUM, |tx| {
                security_log::record(tx, &refusal, now, SECURITY_LOG_PER_MINUTE)
            })?;
        } else {
            store.write(library, |tx| {
                audit::append(tx, &entry(&actor, "staff.manage", "", decision), now)
            })?;
        }
        Ok(())
    })
    .await
}

fn actor(access: &LibraryAccess) -> String {
    format!("account:{}", access.caller.id.0)
}

fn entry<'a>(
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    decision: StaffDecision,
) -> audit::NewEntry<'a> {
    audit::NewEntry {
        actor,
        action,
        subject,
        purpose: "",
        decision: decision.verdict(),
        clause: decision.clause(),
        sealed: false,
    }
}

fn parse_role(field: &str, role: &str) -> ApiResult<LibraryRole> {
    role.parse()
        .map_err(|e: policy::staff::UnknownRole| ApiError::Invalid {
            field: field.into(),
            detail: e.to_string(),
        })
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
pub async fn list(
    state: web::Data<AppState>,
    access: LibraryAccess,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    authorize(&state, &access, StaffAction::View).await?;
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after.map(AccountId), page.limit);
    let items =
        blocking(move || Ok(store.read(access.library.id, |tx| staff::list(tx, after, limit))?))
            .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |m: &StaffMember| m.account_id.0)))
}

/// `POST …/staff`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    email: String,
    display_name: String,
    role: String,
    /// Omit to have one generated and returned once.
    password: Option<String>,
}

#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    member: StaffMember,
    /// Present only when custodian generated the password; shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_password: Option<String>,
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
pub async fn create(
    state: web::Data<AppState>,
    access: LibraryAccess,
    body: web::Json<NewStaff>,
) -> ApiResult<HttpResponse> {
    // Everybody but the director is decided before the body is looked at, so
    // an outsider's answer cannot depend on it; the director's depends on
    // whether the library has an admin yet, read in the creating transaction.
    if access.standing != Standing::Director {
        authorize(
            &state,
            &access,
            StaffAction::Create {
                role: LibraryRole::Staff,
                library_has_admin: true,
            },
        )
        .await?;
    }
    let who = actor(&access);
    let standing = access.standing;
    let NewStaff {
        email,
        display_name,
        role,
        password,
    } = body.into_inner();
    let role = parse_role("role", &role)?;
    let email = accounts::normalize_email(&email);
    if !looks_like_email(&email) {
        return Err(ApiError::Invalid {
            field: "email".into(),
            detail: "expected an email address such as name@library.org".into(),
        });
    }
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
    let library = access.library.id;
    let created = state
        .hashing
        .run(move || {
            let generated = password.is_none().then(passwords::generate);
            let plain = password.or_else(|| generated.clone()).unwrap_or_default();
            let hash = passwords::hash(&plain).map_err(ApiError::Internal)?;
            let outcome = store.write(library, |tx| {
                let library_has_admin = staff::admin_count(tx)? > 0;
                let decision = decide_staff(
                    standing,
                    StaffAction::Create {
                        role,
                        library_has_admin,
                    },
                );
                if decision != StaffDecision::Allow {
                    // Committed with the refusal, so the library sees the director tried.
                    audit::append(
                        tx,
                        &entry(&who, "staff.create", "", decision),
                        Utc::now().naive_utc(),
                    )?;
                    return Ok(Err(decision));
                }
                let account = staff::create_library_account(
                    tx,
                    &NewAccount {
                        email: &email,
                        display_name: display_name.trim(),
                        password_hash: &hash,
                        is_director: false,
                    },
                )
                .map_err(|e| {
                    match e {
                StoreError::Conflict(_) => ApiError::Conflict(
                    "this email is already on your library's staff; change that account instead"
                        .into(),
                ),
                other => other.into(),
            }
                })?;
                staff::add(tx, account.id, role)?;
                let subject = format!("account:{}", account.id.0);
                audit::append(
                    tx,
                    &entry(&who, "staff.create", &subject, decision),
                    Utc::now().naive_utc(),
                )?;
                Ok::<_, ApiError>(Ok(staff::get(tx, account.id)?))
            })?;
            let member = outcome.map_err(|d| answer(d).err().unwrap_or(ApiError::NotFound))?;
            Ok(Created {
                member,
                initial_password: generated,
            })
        })
        .await?;
    tracing::info!(library = %access.library.slug, account = created.member.account_id.0, role = %role, "staff account added");
    Ok(HttpResponse::Created().json(created))
}

/// One staff member.
pub async fn get(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    authorize(&state, &access, StaffAction::View).await?;
    let account = AccountId(path.into_inner().1);
    let store = state.store.clone();
    let member =
        blocking(move || Ok(store.read(access.library.id, |tx| staff::get(tx, account))?)).await?;
    Ok(HttpResponse::Ok().json(member))
}

/// `PATCH …/staff/{account}`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffChange {
    role: Option<String>,
    display_name: Option<String>,
    disabled: Option<bool>,
    password: Option<String>,
}

/// Why an admin may not reset or disable an account that also works in another library.
const SHARED_ACCOUNT: &str = "this account also works in another member library, so its password and disabled flag are not this library's to change; its holder changes their own password, or the consortium's operator does with custodian create-user";

/// Changes a staff member's role, name, password or disabled flag.
pub async fn update(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<StaffChange>,
) -> ApiResult<HttpResponse> {
    let decision = authorize(&state, &access, StaffAction::Manage).await?;
    let who = actor(&access);
    let account = AccountId(path.into_inner().1);
    let change = body.into_inner();
    let role = change
        .role
        .as_deref()
        .map(|r| parse_role("role", r))
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
    let library = access.library.id;
    // Only a password change hashes; the other changes need no hashing slot.
    let permit = match change.password {
        Some(_) => Some(state.hashing.enter().await?),
        None => None,
    };
    let member = blocking(move || {
        let _permit = permit;
        let hash = change
            .password
            .as_deref()
            .map(passwords::hash)
            .transpose()
            .map_err(ApiError::Internal)?;
        store.write(library, |tx| {
            let current = staff::get(tx, account)?;
            if (hash.is_some() || change.disabled.is_some()) && staff::works_elsewhere(tx, account)?
            {
                return Err(ApiError::Forbidden(SHARED_ACCOUNT));
            }
            let loses_admin = current.role == LibraryRole::Admin
                && (role.is_some_and(|r| r != LibraryRole::Admin) || change.disabled == Some(true));
            if loses_admin && staff::admin_count(tx)? <= 1 {
                return Err(ApiError::Conflict(
                    "a library must keep at least one enabled admin".into(),
                ));
            }
            if let Some(role) = role {
                staff::set_role(tx, account, role)?;
            }
            staff::update_account(
                tx,
                account,
                change.display_name.as_deref().map(str::trim),
                hash.as_deref(),
                change.disabled,
            )?;
            if hash.is_some() {
                staff::revoke_sessions(tx, account)?;
            }
            let subject = format!("account:{}", account.0);
            audit::append(
                tx,
                &entry(&who, "staff.update", &subject, decision),
                Utc::now().naive_utc(),
            )?;
            Ok(staff::get(tx, account)?)
        })
    })
    .await?;
    tracing::info!(library = %access.library.slug, account = account.0, "staff account changed");
    Ok(HttpResponse::Ok().json(member))
}

/// Removes a staff member from the library (and their account, if they work nowhere else).
pub async fn remove(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let decision = authorize(&state, &access, StaffAction::Manage).await?;
    let who = actor(&access);
    let account = AccountId(path.into_inner().1);
    let store = state.store.clone();
    let library = access.library.id;
    blocking(move || {
        store.write(library, |tx| {
            let current = staff::get(tx, account)?;
            if current.role == LibraryRole::Admin && staff::admin_count(tx)? <= 1 {
                return Err(ApiError::Conflict(
                    "a library must keep at least one admin; add another admin first".into(),
                ));
            }
            staff::remove_member(tx, account)?;
            let subject = format!("account:{}", account.0);
            audit::append(
                tx,
                &entry(&who, "staff.remove", &subject, decision),
                Utc::now().naive_utc(),
            )?;
            Ok(())
        })
    })
    .await?;
    tracing::info!(library = %access.library.slug, account = account.0, "staff account removed");
    Ok(HttpResponse::NoContent().finish())
}

/// A light check that catches typos; the real check is the mail arriving.
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Registers a library's staff endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/staff", get => list, post => create))
        .service(resource!("/libraries/{library}/staff/{account}", get => get, patch => update, delete => remove));
}
