//! The consortium and its member libraries (consortium-wide tables).

use crate::connection::DbConn;
use crate::error::StoreResult;
use crate::ids::LibraryId;
use crate::schema::{consortium, libraries};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

/// A member library.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = libraries)]
pub struct Library {
    /// Its id, the tenant key.
    #[diesel(deserialize_as = i64)]
    pub id: LibraryId,
    /// The short name used in URLs (`/api/v1/libraries/{slug}`).
    pub slug: String,
    /// The library's name.
    pub name: String,
    /// The jurisdiction profile whose statute governs its records (e.g. `missouri`).
    pub jurisdiction: String,
    /// When it joined custodian.
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// A library to add.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = libraries)]
pub struct NewLibrary<'a> {
    /// URL name: lowercase letters, digits and dashes.
    pub slug: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Jurisdiction profile name.
    pub jurisdiction: &'a str,
}

/// Whether a slug can name a library in a URL.
pub fn valid_slug(slug: &str) -> bool {
    let mut chars = slug.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && slug.len() <= 63
}

/// Adds a member library and returns it.
pub fn create(conn: &mut DbConn, new: &NewLibrary<'_>) -> StoreResult<Library> {
    // RETURNING with a Selectable is not available over both backends; the
    // slug is unique, so read the row back by it.
    diesel::insert_into(libraries::table)
        .values(new)
        .execute(conn)?;
    by_slug(conn, new.slug)
}

/// Finds a library by its slug.
pub fn by_slug(conn: &mut DbConn, slug: &str) -> StoreResult<Library> {
    Ok(libraries::table
        .filter(libraries::slug.eq(slug))
        .select(Library::as_select())
        .first(conn)?)
}

/// Lists libraries by id, after `after` (keyset pagination), at most `limit`.
pub fn list(conn: &mut DbConn, after: Option<LibraryId>, limit: i64) -> StoreResult<Vec<Library>> {
    let mut q = libraries::table
        .select(Library::as_select())
        .order(libraries::id)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(libraries::id.gt(after.0));
    }
    Ok(q.limit(limit).load(conn)?)
}

/// How many member libraries there are.
pub fn count(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(libraries::table.count().get_result(conn)?)
}

/// The consortium's name, if one has been set up.
pub fn consortium_name(conn: &mut DbConn) -> StoreResult<Option<String>> {
    Ok(consortium::table
        .select(consortium::name)
        .first(conn)
        .optional()?)
}

/// Names the consortium (there is exactly one per deployment).
pub fn set_consortium_name(conn: &mut DbConn, name: &str) -> StoreResult<()> {
    let updated = diesel::update(consortium::table.filter(consortium::id.eq(1)))
        .set(consortium::name.eq(name))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(consortium::table)
            .values((consortium::id.eq(1), consortium::name.eq(name)))
            .execute(conn)?;
    }
    Ok(())
}

/// Finds a library by id.
pub fn by_id(conn: &mut DbConn, id: LibraryId) -> StoreResult<Library> {
    Ok(libraries::table
        .find(id.0)
        .select(Library::as_select())
        .first(conn)?)
}
