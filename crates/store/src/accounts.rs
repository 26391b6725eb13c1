//! Sign-in accounts and their sessions (consortium-wide tables).
//!
//! Session tokens are stored only as their SHA-256: a copy of the database
//! does not let anybody sign in.

use crate::connection::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::ids::{AccountId, LibraryId};
use crate::schema::{accounts, sessions};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use policy::staff::LibraryRole;

/// An account as stored, including its password hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct Account {
    /// Its id.
    #[diesel(deserialize_as = i64)]
    pub id: AccountId,
    /// Sign-in address, stored lowercase.
    pub email: String,
    /// The name shown to colleagues.
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether this is the consortium director.
    pub is_director: bool,
    /// A disabled account cannot sign in.
    pub disabled: bool,
    /// When it was created.
    pub created_at: NaiveDateTime,
}

/// An account to add.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    /// Sign-in address; [`create`] lowercases it.
    pub email: &'a str,
    /// The name shown to colleagues.
    pub display_name: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Whether this is the consortium director.
    pub is_director: bool,
}

/// Emails are compared without regard to case or surrounding space.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The unique sign-in key of `email` for accounts of `home` (`None`: the consortium's own).
///
/// Accounts are unique per home library and email, not per email, so that a
/// library admin adding an address cannot learn whether it has an account in
/// another library: the new account is this library's, whatever exists elsewhere.
fn login_key(home: Option<LibraryId>, email: &str) -> String {
    format!("{}:{}", home.map_or(0, |l| l.0), normalize_email(email))
}

/// Adds a consortium-level account (the director's, or one made by the CLI or the demo seed).
pub fn create(conn: &mut DbConn, new: &NewAccount<'_>) -> StoreResult<Account> {
    insert(conn, new, None)
}

/// Adds an account that belongs to library `home` (made by that library's admin, or its first admin).
pub fn create_in(conn: &mut DbConn, new: &NewAccount<'_>, home: LibraryId) -> StoreResult<Account> {
    insert(conn, new, Some(home))
}

fn insert(
    conn: &mut DbConn,
    new: &NewAccount<'_>,
    home: Option<LibraryId>,
) -> StoreResult<Account> {
    let email = normalize_email(new.email);
    let key = login_key(home, &email);
    let row = NewAccount {
        email: &email,
        ..new.clone()
    };
    // RETURNING with a Selectable is not available over both backends; the
    // login key is unique, so read the row back by it.
    diesel::insert_into(accounts::table)
        .values((&row, accounts::login_key.eq(&key)))
        .execute(conn)?;
    Ok(accounts::table
        .filter(accounts::login_key.eq(&key))
        .select(Account::as_select())
        .first(conn)?)
}

/// Creates an account, or gives an existing one with this email the new
/// password hash (and enables it); returns its id.
pub fn upsert(conn: &mut DbConn, new: &NewAccount<'_>) -> StoreResult<AccountId> {
    match by_email(conn, new.email) {
        Ok(existing) => {
            update(
                conn,
                existing.id,
                None,
                Some(new.password_hash),
                Some(false),
            )?;
            Ok(existing.id)
        }
        Err(StoreError::NotFound) => Ok(create(conn, new)?.id),
        Err(e) => Err(e),
    }
}

/// Finds the consortium-level account (the director's, the CLI's, the demo's) with this address.
pub fn by_email(conn: &mut DbConn, email: &str) -> StoreResult<Account> {
    Ok(accounts::table
        .filter(accounts::login_key.eq(login_key(None, email)))
        .select(Account::as_select())
        .first(conn)?)
}

/// Every account with this sign-in address, whichever library it belongs to, oldest first.
pub fn all_by_email(conn: &mut DbConn, email: &str) -> StoreResult<Vec<Account>> {
    Ok(accounts::table
        .filter(accounts::email.eq(normalize_email(email)))
        .order(accounts::id)
        .select(Account::as_select())
        .load(conn)?)
}

/// Finds an account by id.
pub fn by_id(conn: &mut DbConn, id: AccountId) -> StoreResult<Account> {
    Ok(accounts::table
        .find(id.0)
        .select(Account::as_select())
        .first(conn)?)
}

/// Updates name, password or disabled flag; `None` leaves a field as it is.
pub fn update(
    conn: &mut DbConn,
    id: AccountId,
    display_name: Option<&str>,
    password_hash: Option<&str>,
    disabled: Option<bool>,
) -> StoreResult<()> {
    #[derive(AsChangeset)]
    #[diesel(table_name = accounts)]
    struct Change<'a> {
        display_name: Option<&'a str>,
        password_hash: Option<&'a str>,
        disabled: Option<bool>,
    }
    if display_name.is_none() && password_hash.is_none() && disabled.is_none() {
        return Ok(());
    }
    let n = diesel::update(accounts::table.find(id.0))
        .set(Change {
            display_name,
            password_hash,
            disabled,
        })
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    if disabled == Some(true) {
        revoke_all(conn, id, chrono::Utc::now().naive_utc())?;
    }
    Ok(())
}

/// Deletes an account; its sessions and memberships go with it.
pub fn delete(conn: &mut DbConn, id: AccountId) -> StoreResult<()> {
    match diesel::delete(accounts::table.find(id.0)).execute(conn)? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Whether any director account exists.
pub fn director_exists(conn: &mut DbConn) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        accounts::table.filter(accounts::is_director.eq(true)),
    ))
    .get_result(conn)?)
}

/// Records a new session under the token's hash.
pub fn create_session(
    conn: &mut DbConn,
    token_hash: &[u8],
    account: AccountId,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::account_id.eq(account.0),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The enabled account behind a live session token hash (unrevoked, before
/// its expiry, and used since `idle_since`), with when it was last used.
pub fn session_account(
    conn: &mut DbConn,
    token_hash: &[u8],
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> StoreResult<(Account, NaiveDateTime)> {
    Ok(sessions::table
        .inner_join(accounts::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(idle_since))
        .filter(accounts::disabled.eq(false))
        .select((Account::as_select(), sessions::last_seen_at))
        .first(conn)?)
}

/// Marks a session used at `now` (it then lasts another idle period).
pub fn touch_session(conn: &mut DbConn, token_hash: &[u8], now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(sessions::table.filter(sessions::token_hash.eq(token_hash)))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Revokes one session; true if it was live.
pub fn revoke_session(
    conn: &mut DbConn,
    token_hash: &[u8],
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::token_hash.eq(token_hash))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n > 0)
}

/// Revokes every session of an account (on disabling it or changing its password).
pub fn revoke_all(conn: &mut DbConn, account: AccountId, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::account_id.eq(account.0))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?)
}

/// Deletes sessions that expired before `cutoff`; returns how many.
pub fn purge_sessions(conn: &mut DbConn, cutoff: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.lt(cutoff))).execute(conn)?)
}

/// The libraries an account works in, with its role in each.
///
/// A consortium-wide question: on PostgreSQL it goes through the narrow
/// SECURITY DEFINER function `staff_memberships`, which returns ids and roles
/// only, because the application role cannot see across tenants.
pub fn memberships(
    conn: &mut DbConn,
    account: AccountId,
) -> StoreResult<Vec<(LibraryId, LibraryRole)>> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        library_id: i64,
        #[diesel(sql_type = Text)]
        role: String,
    }
    let rows: Vec<Row> = match conn {
        DbConn::Pg(c) => diesel::sql_query("SELECT library_id, role FROM staff_memberships($1)")
            .bind::<BigInt, _>(account.0)
            .load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT library_id, role FROM library_staff WHERE account_id = ? ORDER BY library_id",
        )
        .bind::<BigInt, _>(account.0)
        .load(c)?,
    };
    rows.into_iter()
        .map(|r| {
            let role = r.role.parse().map_err(|_| {
                StoreError::Migration(format!("unknown role in library_staff: {}", r.role))
            })?;
            Ok((LibraryId(r.library_id), role))
        })
        .collect()
}
