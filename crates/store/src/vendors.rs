//! A library's contracted vendors and the API keys their services present.

use crate::error::{StoreError, StoreResult};
use crate::schema::{vendor_keys, vendors};
use crate::sequence::{self, IdSpace};
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A contract as custody checked it.
#[derive(Debug, Clone)]
pub struct NewVendor {
    /// The vendor's name.
    pub name: String,
    /// What it provides (`e-books`).
    pub service: String,
    /// Its privacy policy, http(s).
    pub privacy_policy_url: String,
    /// The first day of the contract (YYYY-MM-DD).
    pub contract_starts: String,
    /// The last day of the contract (YYYY-MM-DD).
    pub contract_ends: String,
    /// The fields granted, comma-separated.
    pub fields: String,
    /// Why the vendor may check cards.
    pub purpose: String,
    /// Whom to tell when a patron is deleted.
    pub erasure_contact: Option<String>,
    /// The optional use of the library's policy the contract serves, if any.
    pub use_key: Option<String>,
}

/// A stored contract.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = vendors)]
pub struct Vendor {
    /// Its library.
    pub library_id: i64,
    /// Its id.
    pub id: i64,
    /// The vendor's name.
    pub name: String,
    /// What it provides.
    pub service: String,
    /// Its privacy policy.
    pub privacy_policy_url: String,
    /// The first day of the contract.
    pub contract_starts: String,
    /// The last day of the contract.
    pub contract_ends: String,
    /// The fields granted, comma-separated.
    pub fields: String,
    /// Why.
    pub purpose: String,
    /// Whom to tell when a patron is deleted.
    pub erasure_contact: Option<String>,
    /// When it was entered.
    pub created_at: NaiveDateTime,
    /// When it last changed.
    pub updated_at: NaiveDateTime,
    /// The optional use of the library's policy the contract serves, if any.
    pub use_key: Option<String>,
}

/// A stored key (its secret only as a hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = vendor_keys)]
pub struct VendorKey {
    /// Its library.
    pub library_id: i64,
    /// `cvk_…`
    pub id: String,
    /// Its vendor.
    pub vendor_id: i64,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// When it was made.
    pub created_at: NaiveDateTime,
    /// When it last opened a request.
    pub last_used_at: Option<NaiveDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Enters a contract; returns its id.
pub fn insert(tx: &mut LibraryTx<'_>, new: &NewVendor, now: NaiveDateTime) -> StoreResult<i64> {
    let lib = tx.library_id().0;
    let id = sequence::allocate(tx, IdSpace::Vendors, 1)?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Conflict("no id for the vendor".into()))?;
    diesel::insert_into(vendors::table)
        .values((
            vendors::library_id.eq(lib),
            vendors::id.eq(id),
            vendors::name.eq(&new.name),
            vendors::service.eq(&new.service),
            vendors::privacy_policy_url.eq(&new.privacy_policy_url),
            vendors::contract_starts.eq(&new.contract_starts),
            vendors::contract_ends.eq(&new.contract_ends),
            vendors::fields.eq(&new.fields),
            vendors::purpose.eq(&new.purpose),
            vendors::erasure_contact.eq(&new.erasure_contact),
            vendors::use_key.eq(&new.use_key),
            vendors::created_at.eq(now),
            vendors::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(id)
}

/// One contract of the scoped library.
pub fn get(tx: &mut LibraryTx<'_>, id: i64) -> StoreResult<Vendor> {
    let lib = tx.library_id().0;
    Ok(vendors::table
        .filter(vendors::library_id.eq(lib))
        .filter(vendors::id.eq(id))
        .select(Vendor::as_select())
        .first(tx.conn())?)
}

/// Every contract of the scoped library, by id.
pub fn list(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<Vendor>> {
    let lib = tx.library_id().0;
    Ok(vendors::table
        .filter(vendors::library_id.eq(lib))
        .order(vendors::id)
        .select(Vendor::as_select())
        .load(tx.conn())?)
}

/// Rewrites a contract's changeable parts (custody checked them).
pub fn update(tx: &mut LibraryTx<'_>, v: &Vendor, now: NaiveDateTime) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::update(
        vendors::table
            .filter(vendors::library_id.eq(lib))
            .filter(vendors::id.eq(v.id)),
    )
    .set((
        vendors::name.eq(&v.name),
        vendors::service.eq(&v.service),
        vendors::privacy_policy_url.eq(&v.privacy_policy_url),
        vendors::contract_starts.eq(&v.contract_starts),
        vendors::contract_ends.eq(&v.contract_ends),
        vendors::purpose.eq(&v.purpose),
        vendors::erasure_contact.eq(&v.erasure_contact),
        vendors::updated_at.eq(now),
    ))
    .execute(tx.conn())?;
    Ok(())
}

/// Stores a new key for a vendor of the scoped library.
pub fn insert_key(
    tx: &mut LibraryTx<'_>,
    vendor: i64,
    id: &str,
    secret_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::insert_into(vendor_keys::table)
        .values((
            vendor_keys::library_id.eq(lib),
            vendor_keys::id.eq(id),
            vendor_keys::vendor_id.eq(vendor),
            vendor_keys::secret_hash.eq(secret_hash),
            vendor_keys::created_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// One key of the scoped library.
pub fn key(tx: &mut LibraryTx<'_>, id: &str) -> StoreResult<VendorKey> {
    let lib = tx.library_id().0;
    Ok(vendor_keys::table
        .filter(vendor_keys::library_id.eq(lib))
        .filter(vendor_keys::id.eq(id))
        .select(VendorKey::as_select())
        .first(tx.conn())?)
}

/// A vendor's keys, oldest first.
pub fn keys(tx: &mut LibraryTx<'_>, vendor: i64) -> StoreResult<Vec<VendorKey>> {
    let lib = tx.library_id().0;
    Ok(vendor_keys::table
        .filter(vendor_keys::library_id.eq(lib))
        .filter(vendor_keys::vendor_id.eq(vendor))
        .order((vendor_keys::created_at, vendor_keys::id))
        .select(VendorKey::as_select())
        .load(tx.conn())?)
}

/// Revokes a key of this vendor; a key already revoked stays as it was.
pub fn revoke_key(
    tx: &mut LibraryTx<'_>,
    vendor: i64,
    id: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    let n = diesel::update(
        vendor_keys::table
            .filter(vendor_keys::library_id.eq(lib))
            .filter(vendor_keys::vendor_id.eq(vendor))
            .filter(vendor_keys::id.eq(id))
            .filter(vendor_keys::revoked_at.is_null()),
    )
    .set(vendor_keys::revoked_at.eq(now))
    .execute(tx.conn())?;
    if n == 0 {
        // Either no such key of this vendor, or revoked already.
        key(tx, id).and_then(|k| {
            if k.vendor_id == vendor {
                Ok(())
            } else {
                Err(StoreError::NotFound)
            }
        })?;
    }
    Ok(())
}

/// Notes that a key opened a request.
pub fn touch_key(tx: &mut LibraryTx<'_>, id: &str, now: NaiveDateTime) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::update(
        vendor_keys::table
            .filter(vendor_keys::library_id.eq(lib))
            .filter(vendor_keys::id.eq(id)),
    )
    .set(vendor_keys::last_used_at.eq(now))
    .execute(tx.conn())?;
    Ok(())
}
