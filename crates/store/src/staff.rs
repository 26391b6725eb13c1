//! Who works at a library (a tenant table, reached only through [`LibraryTx`]).

use crate::error::{StoreError, StoreResult};
use crate::ids::AccountId;
use crate::schema::{accounts, library_staff};
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use policy::staff::LibraryRole;
use serde::Serialize;

/// A staff member of the scoped library, as colleagues see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffMember {
    /// The account's id.
    pub account_id: AccountId,
    /// Sign-in address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role at this library: `admin`, `staff` or `custodian`.
    #[schema(value_type = String, example = "staff")]
    pub role: LibraryRole,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When they joined this library.
    #[serde(with = "crate::time::rfc3339")]
    pub joined_at: NaiveDateTime,
}

type Row = (i64, String, String, String, bool, NaiveDateTime);

fn member(row: Row) -> StoreResult<StaffMember> {
    let (id, email, display_name, role, disabled, joined_at) = row;
    Ok(StaffMember {
        account_id: AccountId(id),
        email,
        display_name,
        role: role
            .parse()
            .map_err(|_| StoreError::Migration(format!("unknown role in library_staff: {role}")))?,
        disabled,
        joined_at,
    })
}

macro_rules! staff_columns {
    () => {
        (
            accounts::id,
            accounts::email,
            accounts::display_name,
            library_staff::role,
            accounts::disabled,
            library_staff::created_at,
        )
    };
}

/// Adds an account to the scoped library with a role.
pub fn add(tx: &mut LibraryTx<'_>, account: AccountId, role: LibraryRole) -> StoreResult<()> {
    let library = tx.library_id();
    diesel::insert_into(library_staff::table)
        .values((
            library_staff::library_id.eq(library.0),
            library_staff::account_id.eq(account.0),
            library_staff::role.eq(role.as_str()),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// The account's role at the scoped library, if it is a member.
pub fn role_of(tx: &mut LibraryTx<'_>, account: AccountId) -> StoreResult<Option<LibraryRole>> {
    let library = tx.library_id();
    let role: Option<String> = library_staff::table
        .filter(library_staff::library_id.eq(library.0))
        .filter(library_staff::account_id.eq(account.0))
        .select(library_staff::role)
        .first(tx.conn())
        .optional()?;
    role.map(|r| {
        r.parse()
            .map_err(|_| StoreError::Migration(format!("unknown role in library_staff: {r}")))
    })
    .transpose()
}

/// Lists the scoped library's staff by account id, after `after`, at most `limit`.
pub fn list(
    tx: &mut LibraryTx<'_>,
    after: Option<AccountId>,
    limit: i64,
) -> StoreResult<Vec<StaffMember>> {
    let library = tx.library_id();
    let mut q = library_staff::table
        .inner_join(accounts::table)
        .filter(library_staff::library_id.eq(library.0))
        .select(staff_columns!())
        .order(accounts::id)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(accounts::id.gt(after.0));
    }
    q.limit(limit)
        .load::<Row>(tx.conn())?
        .into_iter()
        .map(member)
        .collect()
}

/// One staff member of the scoped library.
pub fn get(tx: &mut LibraryTx<'_>, account: AccountId) -> StoreResult<StaffMember> {
    let library = tx.library_id();
    let row: Row = library_staff::table
        .inner_join(accounts::table)
        .filter(library_staff::library_id.eq(library.0))
        .filter(library_staff::account_id.eq(account.0))
        .select(staff_columns!())
        .first(tx.conn())?;
    member(row)
}

/// Changes a member's role at the scoped library.
pub fn set_role(tx: &mut LibraryTx<'_>, account: AccountId, role: LibraryRole) -> StoreResult<()> {
    let library = tx.library_id();
    let n = diesel::update(
        library_staff::table
            .filter(library_staff::library_id.eq(library.0))
            .filter(library_staff::account_id.eq(account.0)),
    )
    .set(library_staff::role.eq(role.as_str()))
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Removes a member from the scoped library; true if they were one.
pub fn remove(tx: &mut LibraryTx<'_>, account: AccountId) -> StoreResult<bool> {
    let library = tx.library_id();
    let n = diesel::delete(
        library_staff::table
            .filter(library_staff::library_id.eq(library.0))
            .filter(library_staff::account_id.eq(account.0)),
    )
    .execute(tx.conn())?;
    Ok(n > 0)
}

/// How many enabled admins the scoped library has (a library must keep at least one).
pub fn admin_count(tx: &mut LibraryTx<'_>) -> StoreResult<i64> {
    role_count(tx, LibraryRole::Admin)
}

/// How many enabled members of the scoped library hold `role`.
pub fn role_count(tx: &mut LibraryTx<'_>, role: LibraryRole) -> StoreResult<i64> {
    let library = tx.library_id();
    Ok(library_staff::table
        .inner_join(accounts::table)
        .filter(library_staff::library_id.eq(library.0))
        .filter(library_staff::role.eq(role.as_str()))
        .filter(accounts::disabled.eq(false))
        .count()
        .get_result(tx.conn())?)
}

/// Creates a consortium-level sign-in account in the same transaction as its membership (the CLI's).
pub fn create_account(
    tx: &mut LibraryTx<'_>,
    new: &crate::accounts::NewAccount<'_>,
) -> StoreResult<crate::accounts::Account> {
    crate::accounts::create(tx.conn(), new)
}

/// Creates a sign-in account of the scoped library, in the same transaction as its membership.
///
/// Whether the address has an account in another library makes no difference
/// (see `accounts::create_in`); only an address already on this library's
/// staff is refused, with [`StoreError::Conflict`].
pub fn create_library_account(
    tx: &mut LibraryTx<'_>,
    new: &crate::accounts::NewAccount<'_>,
) -> StoreResult<crate::accounts::Account> {
    let library = tx.library_id();
    let email = crate::accounts::normalize_email(new.email);
    let taken: bool = diesel::select(diesel::dsl::exists(
        library_staff::table
            .inner_join(accounts::table)
            .filter(library_staff::library_id.eq(library.0))
            .filter(accounts::email.eq(&email)),
    ))
    .get_result(tx.conn())?;
    if taken {
        return Err(StoreError::Conflict(
            "email already on this library's staff".into(),
        ));
    }
    crate::accounts::create_in(tx.conn(), new, library)
}

/// Whether the account works in any library other than the scoped one.
///
/// An account's password and disabled flag are consortium-wide, so an admin
/// who could change them for an account that also works elsewhere could take
/// it over there.
pub fn works_elsewhere(tx: &mut LibraryTx<'_>, account: AccountId) -> StoreResult<bool> {
    let library = tx.library_id();
    Ok(crate::accounts::memberships(tx.conn(), account)?
        .iter()
        .any(|(l, _)| *l != library))
}

/// Ends every session of a member (after a password change).
pub fn revoke_sessions(tx: &mut LibraryTx<'_>, account: AccountId) -> StoreResult<usize> {
    crate::accounts::revoke_all(tx.conn(), account, chrono::Utc::now().naive_utc())
}

/// Removes a member from the scoped library; an account left working nowhere
/// (and not the director's) is deleted with its sessions.
pub fn remove_member(tx: &mut LibraryTx<'_>, account: AccountId) -> StoreResult<()> {
    if !remove(tx, account)? {
        return Err(StoreError::NotFound);
    }
    let elsewhere = crate::accounts::memberships(tx.conn(), account)?;
    let is_director = crate::accounts::by_id(tx.conn(), account)?.is_director;
    if elsewhere.is_empty() && !is_director {
        // In a savepoint: a directory change the account submitted or decided,
        // or a request it owns, still names it, and the database refuses to
        // delete a row so named (found by schemathesis as a 500). The row then
        // stays, in no library and disabled, so its password opens no
        // session, and the history keeps its name; anything else still fails
        // the removal.
        let deleted = tx
            .conn()
            .transaction(|c| crate::accounts::delete(c, account));
        match deleted {
            Ok(()) => {}
            Err(StoreError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            ))) => crate::accounts::update(tx.conn(), account, None, None, Some(true))?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Updates an account's own fields from inside a library scope (the account
/// row is consortium-wide; membership in this library was checked by the caller).
pub fn update_account(
    tx: &mut LibraryTx<'_>,
    account: AccountId,
    display_name: Option<&str>,
    password_hash: Option<&str>,
    disabled: Option<bool>,
) -> StoreResult<()> {
    crate::accounts::update(tx.conn(), account, display_name, password_hash, disabled)
}

/// Raw access for tests that must prove what the database itself refuses.
#[doc(hidden)]
pub fn insert_raw_for_library(
    tx: &mut LibraryTx<'_>,
    library: i64,
    account: AccountId,
) -> StoreResult<()> {
    diesel::insert_into(library_staff::table)
        .values((
            library_staff::library_id.eq(library),
            library_staff::account_id.eq(account.0),
            library_staff::role.eq("staff"),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// Counts every library_staff row the connection can see, with no filter:
/// what a query that forgets its filter would reach.
#[doc(hidden)]
pub fn count_unfiltered(tx: &mut LibraryTx<'_>) -> StoreResult<i64> {
    Ok(library_staff::table.count().get_result(tx.conn())?)
}

/// Creates an account, or gives an existing one with this email the new password hash.
pub fn upsert_account(
    tx: &mut LibraryTx<'_>,
    new: &crate::accounts::NewAccount<'_>,
) -> StoreResult<AccountId> {
    crate::accounts::upsert(tx.conn(), new)
}

/// An account as the audit log's readers see it: its name, whether it is the
/// director's, and its role at the scoped library if it still works there.
#[derive(Debug, Clone)]
pub struct AccountName {
    /// The account's id.
    pub account_id: AccountId,
    /// Display name.
    pub display_name: String,
    /// Whether it is the consortium director's account.
    pub is_director: bool,
    /// Its role at the scoped library; none if it no longer works there.
    pub role: Option<LibraryRole>,
}

/// The names of the accounts `ids` (unknown ids are left out).
pub fn names(tx: &mut LibraryTx<'_>, ids: &[i64]) -> StoreResult<Vec<AccountName>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let library = tx.library_id();
    let rows: Vec<(i64, String, bool)> = accounts::table
        .filter(accounts::id.eq_any(ids))
        .select((accounts::id, accounts::display_name, accounts::is_director))
        .load(tx.conn())?;
    let roles: Vec<(i64, String)> = library_staff::table
        .filter(library_staff::library_id.eq(library.0))
        .filter(library_staff::account_id.eq_any(ids))
        .select((library_staff::account_id, library_staff::role))
        .load(tx.conn())?;
    Ok(rows
        .into_iter()
        .map(|(id, display_name, is_director)| AccountName {
            account_id: AccountId(id),
            display_name,
            is_director,
            role: roles
                .iter()
                .find(|(a, _)| *a == id)
                .and_then(|(_, r)| r.parse().ok()),
        })
        .collect())
}

/// The consortium director's accounts (id and name): the audit log's readers
/// may look for what the director did in their library.
pub fn directors(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<(AccountId, String)>> {
    Ok(accounts::table
        .filter(accounts::is_director.eq(true))
        .select((accounts::id, accounts::display_name))
        .order(accounts::id)
        .load::<(i64, String)>(tx.conn())?
        .into_iter()
        .map(|(id, name)| (AccountId(id), name))
        .collect())
}
