//! Sign-in accounts and a library's staff: who may add, change or remove
//! whom (decided by `policy::staff`), and the audit entry every change leaves.
//!
//! An account row is consortium-wide, but a staff account belongs to one
//! library: it is created inside that library's write transaction with its
//! membership and its audit entry, so the three commit together or not at all.
//! Nothing here needs the keyring or the policies, so these functions take
//! the [`Store`] alone (the CLI creates accounts without any keys).

use crate::actor::{Actor, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{self, Entry, Ruling};
use crate::values::looks_like_email;
use chrono::{NaiveDateTime, Utc};
use policy::staff::{decide_staff, LibraryRole, StaffAction, StaffDecision, Standing};
use serde::Serialize;
use store::accounts::{self, NewAccount};
use store::libraries::{self, Library};
use store::{security_log, staff, Access, LibraryId, Store, StoreError};

pub use store::accounts::{normalize_email, Account};
pub use store::staff::StaffMember as StaffAccount;
pub use store::time::rfc3339;
pub use store::AccountId;

/// How many entries one caller may write into the consortium's security log
/// per minute; further refusals in the minute are only counted.
///
/// Ten is more than a person mistyping a library's slug produces and small
/// enough that one account hammering the API adds at most 14,400 rows a day.
pub const SECURITY_LOG_PER_MINUTE: i64 = 10;

/// The clause the audit log names for an account the operator created at the
/// server's console: whoever holds the database is outside the staff rules.
pub const OPERATOR_CLAUSE: &str = "custodian.staff.operator";

/// Why an admin may not reset or disable an account that also works in another library.
pub const SHARED_ACCOUNT: &str = "this account also works in another member library, so its password and disabled flag are not this library's to change; its holder changes their own password, or the consortium's operator does with custodian create-user";

/// A signed-in account managing one library's staff, and how it stands there.
#[derive(Clone, Debug)]
pub struct StaffManager {
    /// Who asks.
    pub account: AccountId,
    /// The library whose staff they manage.
    pub library: Library,
    /// How they stand there.
    pub standing: Standing,
}

impl StaffManager {
    fn actor(&self) -> Actor {
        match self.standing {
            Standing::Director => Actor::Director(self.account),
            _ => Actor::Staff(self.account),
        }
    }
}

/// Proof that a manager was allowed a staff action; only [`authorize`] makes one.
pub struct StaffPermit {
    who: StaffManager,
    ruling: Ruling,
}

impl StaffPermit {
    /// Who was allowed.
    pub fn manager(&self) -> &StaffManager {
        &self.who
    }
}

fn answer(decision: StaffDecision) -> CustodyResult<()> {
    match decision {
        StaffDecision::Allow => Ok(()),
        StaffDecision::Forbidden(why) => Err(CustodyError::Forbidden(why)),
        StaffDecision::Hidden => Err(CustodyError::NotFound),
    }
}

/// Asks the policy; a refusal to change anything is recorded before it is answered.
pub fn authorize(
    store: &Store,
    who: &StaffManager,
    action: StaffAction,
) -> CustodyResult<StaffPermit> {
    let decision = decide_staff(who.standing, action);
    if decision != StaffDecision::Allow && action != StaffAction::View {
        record_refusal(store, who, decision)?;
    }
    answer(decision)?;
    Ok(StaffPermit {
        who: who.clone(),
        ruling: Ruling::from(decision),
    })
}

/// Writes a refusal where it belongs: a caller with standing in the library
/// (a member, the director) into the library's audit log; anybody else into
/// the consortium's security log, bounded per caller, because letting any
/// signed-in account append to another library's append-only chain would let
/// it grow that chain without limit.
fn record_refusal(store: &Store, who: &StaffManager, decision: StaffDecision) -> CustodyResult<()> {
    let now = Utc::now().naive_utc();
    let actor = who.actor();
    if decision == StaffDecision::Hidden {
        let name = actor.to_string();
        let refusal = security_log::Refusal {
            actor: &name,
            target: who.library.id,
            action: "staff.manage",
            clause: decision.clause(),
        };
        store.write(LibraryId::CONSORTIUM, |tx| {
            security_log::record(tx, &refusal, now, SECURITY_LOG_PER_MINUTE)
        })?;
    } else {
        store.write(who.library.id, |tx| {
            let entry = Entry {
                actor: &actor,
                action: "staff.manage",
                subject: &Subject::Nobody,
                purpose: "",
                ruling: Ruling::from(decision),
            };
            gate::record(tx, &entry, now)
        })?;
    }
    Ok(())
}

/// A role as a request names it (`admin`, `staff`, `custodian`).
pub fn parse_role(field: &'static str, raw: &str) -> CustodyResult<LibraryRole> {
    raw.parse()
        .map_err(|e: policy::staff::UnknownRole| CustodyError::Invalid {
            field,
            detail: e.to_string(),
        })
}

/// A sign-in address, normalized as accounts store it and checked lightly.
pub fn sign_in_email(raw: &str) -> CustodyResult<String> {
    let email = accounts::normalize_email(raw);
    if looks_like_email(&email) {
        Ok(email)
    } else {
        Err(CustodyError::Invalid {
            field: "email",
            detail: "expected an email address such as name@library.org".into(),
        })
    }
}

/// Whether `who` may see the library's staff: deciding it writes nothing.
pub fn may_view(who: &StaffManager) -> CustodyResult<()> {
    answer(decide_staff(who.standing, StaffAction::View))
}

/// The library's staff, after id `after`, at most `limit`.
pub fn list(
    store: &Store,
    who: &StaffManager,
    after: Option<AccountId>,
    limit: i64,
) -> CustodyResult<Vec<StaffAccount>> {
    may_view(who)?;
    Ok(store.read(who.library.id, |tx| staff::list(tx, after, limit))?)
}

/// One staff member of the library.
pub fn get(store: &Store, who: &StaffManager, account: AccountId) -> CustodyResult<StaffAccount> {
    may_view(who)?;
    Ok(store.read(who.library.id, |tx| staff::get(tx, account))?)
}

/// A staff account to add to a library; the password is already hashed.
pub struct NewStaff<'a> {
    /// Sign-in address, normalized (see [`sign_in_email`]).
    pub email: &'a str,
    /// The name colleagues see, trimmed.
    pub display_name: &'a str,
    /// Their role.
    pub role: LibraryRole,
    /// argon2id PHC string.
    pub password_hash: &'a str,
}

/// Adds a new account of the library to its staff.
///
/// Whether the library has an admin yet is read in the creating transaction,
/// so the director's first admin is decided on what is committed; a refusal
/// commits its audit entry, so the library sees the director tried.
pub fn add(store: &Store, who: &StaffManager, new: &NewStaff<'_>) -> CustodyResult<StaffAccount> {
    let actor = who.actor();
    let outcome = store.write(who.library.id, |tx| {
        let library_has_admin = staff::admin_count(tx)? > 0;
        let decision = decide_staff(
            who.standing,
            StaffAction::Create {
                role: new.role,
                library_has_admin,
            },
        );
        let now = Utc::now().naive_utc();
        if decision != StaffDecision::Allow {
            let entry = Entry {
                actor: &actor,
                action: "staff.create",
                subject: &Subject::Nobody,
                purpose: "",
                ruling: Ruling::from(decision),
            };
            gate::record(tx, &entry, now)?;
            return Ok(Err(decision));
        }
        let account = staff::create_library_account(
            tx,
            &NewAccount {
                email: new.email,
                display_name: new.display_name,
                password_hash: new.password_hash,
                is_director: false,
            },
        )
        .map_err(|e| match e {
            StoreError::Conflict(_) => CustodyError::Conflict(
                "this email is already on your library's staff; change that account instead".into(),
            ),
            other => other.into(),
        })?;
        staff::add(tx, account.id, new.role)?;
        let entry = Entry {
            actor: &actor,
            action: "staff.create",
            subject: &Subject::Account(account.id),
            purpose: "",
            ruling: Ruling::from(decision),
        };
        gate::record(tx, &entry, now)?;
        Ok::<_, CustodyError>(Ok(staff::get(tx, account.id)?))
    })?;
    outcome.map_err(|d| answer(d).err().unwrap_or(CustodyError::NotFound))
}

/// Why the last custodian of records cannot go: someone must answer legal
/// requests for the library's records (the seed policies name the custodian).
const LAST_CUSTODIAN: &str = "a library that has a custodian of records must keep one: legal requests for its records go to them; designate another custodian first";

/// What to change of a staff account; `None` leaves a field as it is.
#[derive(Default)]
pub struct StaffChange<'a> {
    /// A new role.
    pub role: Option<LibraryRole>,
    /// A new name, trimmed.
    pub display_name: Option<&'a str>,
    /// A new password, already hashed; every session of the account ends.
    pub password_hash: Option<&'a str>,
    /// Disable or enable the account.
    pub disabled: Option<bool>,
}

/// Changes a staff member's role, name, password or disabled flag.
pub fn change(
    store: &Store,
    permit: &StaffPermit,
    account: AccountId,
    change: &StaffChange<'_>,
) -> CustodyResult<StaffAccount> {
    let who = &permit.who;
    let actor = who.actor();
    store.write(who.library.id, |tx| {
        let current = staff::get(tx, account)?;
        let consortium_wide = change.password_hash.is_some() || change.disabled.is_some();
        if consortium_wide && staff::works_elsewhere(tx, account)? {
            return Err(CustodyError::Forbidden(SHARED_ACCOUNT));
        }
        let loses_admin = current.role == LibraryRole::Admin
            && (change.role.is_some_and(|r| r != LibraryRole::Admin)
                || change.disabled == Some(true));
        if loses_admin && staff::admin_count(tx)? <= 1 {
            return Err(CustodyError::Conflict(
                "a library must keep at least one enabled admin".into(),
            ));
        }
        let loses_custodian = current.role == LibraryRole::Custodian
            && (change.role.is_some_and(|r| r != LibraryRole::Custodian)
                || change.disabled == Some(true));
        if loses_custodian && staff::role_count(tx, LibraryRole::Custodian)? <= 1 {
            return Err(CustodyError::Conflict(LAST_CUSTODIAN.into()));
        }
        if let Some(role) = change.role {
            staff::set_role(tx, account, role)?;
        }
        staff::update_account(
            tx,
            account,
            change.display_name,
            change.password_hash,
            change.disabled,
        )?;
        // A new password, a new role or a disabled account each end every
        // session: what a session was opened with no longer holds, and a
        // session must not outlive the standing that opened it.
        let new_role = change.role.is_some_and(|r| r != current.role);
        if change.password_hash.is_some() || new_role || change.disabled == Some(true) {
            staff::revoke_sessions(tx, account)?;
        }
        let entry = Entry {
            actor: &actor,
            action: "staff.update",
            subject: &Subject::Account(account),
            purpose: "",
            ruling: permit.ruling,
        };
        gate::record(tx, &entry, Utc::now().naive_utc())?;
        Ok(staff::get(tx, account)?)
    })
}

/// Removes a staff member from the library (and their account, if they work nowhere else).
pub fn remove(store: &Store, permit: &StaffPermit, account: AccountId) -> CustodyResult<()> {
    let who = &permit.who;
    let actor = who.actor();
    store.write(who.library.id, |tx| {
        let current = staff::get(tx, account)?;
        if current.role == LibraryRole::Admin && staff::admin_count(tx)? <= 1 {
            return Err(CustodyError::Conflict(
                "a library must keep at least one admin; add another admin first".into(),
            ));
        }
        if current.role == LibraryRole::Custodian
            && !current.disabled
            && staff::role_count(tx, LibraryRole::Custodian)? <= 1
        {
            return Err(CustodyError::Conflict(LAST_CUSTODIAN.into()));
        }
        staff::remove_member(tx, account)?;
        let entry = Entry {
            actor: &actor,
            action: "staff.remove",
            subject: &Subject::Account(account),
            purpose: "",
            ruling: permit.ruling,
        };
        gate::record(tx, &entry, Utc::now().naive_utc())?;
        Ok(())
    })
}

/// An account the operator creates at the server's console.
pub struct OperatorAccount<'a> {
    /// Sign-in address, normalized (see [`sign_in_email`]).
    pub email: &'a str,
    /// The name colleagues see.
    pub display_name: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
}

/// The operator adds a staff account with `role` to the library with `slug`.
///
/// Every account given to a library shows in its audit log, whoever made it.
/// An address with any account answers [`CustodyError::Conflict`]; an unknown
/// slug [`CustodyError::NotFound`].
pub fn operator_adds_staff(
    store: &Store,
    slug: &str,
    role: LibraryRole,
    new: &OperatorAccount<'_>,
) -> CustodyResult<()> {
    let library = store
        .consortium(Access::Read, |c| libraries::by_slug(c, slug))
        .map_err(operator_error)?;
    store
        .write(library.id, |tx| {
            let account = staff::create_account(tx, &operator_new(new, false))?;
            staff::add(tx, account.id, role)?;
            let entry = Entry {
                actor: &Actor::System("cli"),
                action: "staff.create",
                subject: &Subject::Account(account.id),
                purpose: "",
                ruling: Ruling::allow(OPERATOR_CLAUSE),
            };
            gate::record(tx, &entry, Utc::now().naive_utc())
        })
        .map_err(operator_error)
}

/// The operator creates the consortium director's account.
pub fn operator_creates_director(store: &Store, new: &OperatorAccount<'_>) -> CustodyResult<()> {
    store
        .consortium(Access::Write, |c| {
            accounts::create(c, &operator_new(new, true)).map(drop)
        })
        .map_err(operator_error)
}

fn operator_new<'a>(new: &OperatorAccount<'a>, is_director: bool) -> NewAccount<'a> {
    NewAccount {
        email: new.email,
        display_name: new.display_name,
        password_hash: new.password_hash,
        is_director,
    }
}

fn operator_error(e: StoreError) -> CustodyError {
    match e {
        StoreError::Conflict(what) => CustodyError::Conflict(what),
        other => other.into(),
    }
}

/// An account as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// Its id.
    pub id: i64,
    /// Sign-in address.
    pub email: String,
    /// The name colleagues see.
    pub display_name: String,
    /// Whether it is the consortium director's.
    pub is_director: bool,
    /// The libraries it works in.
    pub libraries: Vec<Membership>,
}

/// A library the account works in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Membership {
    /// The library's slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// The account's role there.
    pub role: String,
}

fn me(conn: &mut store::DbConn, account: &Account) -> Result<Me, StoreError> {
    let mut libs = Vec::new();
    for (library_id, role) in accounts::memberships(conn, account.id)? {
        let lib = libraries::by_id(conn, library_id)?;
        libs.push(Membership {
            slug: lib.slug,
            name: lib.name,
            role: role.to_string(),
        });
    }
    Ok(Me {
        id: account.id.0,
        email: account.email.clone(),
        display_name: account.display_name.clone(),
        is_director: account.is_director,
        libraries: libs,
    })
}

/// The signed-in account `id` and the libraries it works in.
pub fn whoami(store: &Store, id: AccountId) -> CustodyResult<Me> {
    Ok(store.consortium(Access::Read, |c| {
        let account = accounts::by_id(c, id)?;
        me(c, &account)
    })?)
}

/// A staff sign-in's candidates: every account with this address, or only
/// those working at the library with `slug` when one is named (none when the
/// slug is unknown, exactly as for a library they do not work at).
///
/// Accounts are unique per library and email (see `accounts::create_in`),
/// so one address may open several; the caller checks each against the password.
pub fn sign_in_candidates(
    store: &Store,
    email: &str,
    slug: Option<&str>,
) -> CustodyResult<Vec<Account>> {
    Ok(store.consortium(Access::Read, |c| {
        let found = accounts::all_by_email(c, email)?;
        let Some(slug) = slug else {
            return Ok(found);
        };
        let wanted = match libraries::by_slug(c, slug) {
            Ok(l) => Some(l.id),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let mut kept = Vec::new();
        for a in found {
            let works_there = accounts::memberships(c, a.id)?
                .iter()
                .any(|(l, _)| Some(*l) == wanted);
            if works_there {
                kept.push(a);
            }
        }
        Ok::<_, StoreError>(kept)
    })?)
}

/// Opens a session for `account` under the token's hash until `expires_at`.
pub fn open_session(
    store: &Store,
    account: &Account,
    token_hash: &[u8],
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> CustodyResult<Me> {
    Ok(store.consortium(Access::Write, |c| {
        accounts::create_session(c, token_hash, account.id, now, expires_at)?;
        me(c, account)
    })?)
}

/// Ends the session or token with this hash.
pub fn close_session(store: &Store, token_hash: &[u8], now: NaiveDateTime) -> CustodyResult<()> {
    store.consortium(Access::Write, |c| {
        accounts::revoke_session(c, token_hash, now)
    })?;
    Ok(())
}

/// The account whose session or token has this hash, if it is live now.
pub fn session_account(
    store: &Store,
    token_hash: &[u8],
    idle: chrono::Duration,
) -> CustodyResult<Option<Account>> {
    let now = Utc::now().naive_utc();
    match store.consortium(Access::Read, |c| {
        accounts::session_account(c, token_hash, now, now - idle)
    }) {
        Ok((a, seen)) => {
            // Written at most once a minute per session, not on every request.
            if seen < now - SESSION_TOUCH_EVERY {
                store.consortium(Access::Write, |c| {
                    accounts::touch_session(c, token_hash, now)
                })?;
            }
            Ok(Some(a))
        }
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// How stale a session's last use may be before a request records it again:
/// the idle expiry is this precise, and a busy session costs one write a minute.
pub const SESSION_TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// The library with this slug and how `account` stands there; the director
/// stands as the director everywhere and is never a member.
pub fn standing(
    store: &Store,
    slug: &str,
    account: AccountId,
    is_director: bool,
) -> CustodyResult<(Library, Standing)> {
    if !libraries::valid_slug(slug) {
        return Err(CustodyError::NotFound);
    }
    let (library, role) = store.library_standing(slug, (!is_director).then_some(account))?;
    let standing = if is_director {
        Standing::Director
    } else {
        role.map_or(Standing::Outsider, Standing::Member)
    };
    Ok((library, standing))
}
