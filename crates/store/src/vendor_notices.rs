//! The marks that make a contract's end notices go out once (#14): when the
//! library's admins were told a contract ends soon, and that it ended.

use crate::error::StoreResult;
use crate::schema::vendors;
use crate::tenant::LibraryTx;
use crate::vendors::Vendor;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A contract with its notice marks.
#[derive(Debug, Clone)]
pub struct NoticeState {
    /// The contract.
    pub vendor: Vendor,
    /// When the admins were told it ends within 30 days.
    pub notified_soon_at: Option<NaiveDateTime>,
    /// When the admins were told it ended.
    pub notified_ended_at: Option<NaiveDateTime>,
}

/// The scoped library's contracts whose "ended" notice has not gone out, by id.
pub fn untold(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<NoticeState>> {
    let lib = tx.library_id().0;
    let rows: Vec<(Vendor, Option<NaiveDateTime>, Option<NaiveDateTime>)> = vendors::table
        .filter(vendors::library_id.eq(lib))
        .filter(vendors::notified_ended_at.is_null())
        .order(vendors::id)
        .select((
            Vendor::as_select(),
            vendors::notified_soon_at,
            vendors::notified_ended_at,
        ))
        .load(tx.conn())?;
    Ok(rows
        .into_iter()
        .map(
            |(vendor, notified_soon_at, notified_ended_at)| NoticeState {
                vendor,
                notified_soon_at,
                notified_ended_at,
            },
        )
        .collect())
}

/// Marks the "ends soon" notice sent; `false` when another run marked it first.
pub fn mark_soon(tx: &mut LibraryTx<'_>, id: i64, now: NaiveDateTime) -> StoreResult<bool> {
    let lib = tx.library_id().0;
    let n = diesel::update(
        vendors::table
            .filter(vendors::library_id.eq(lib))
            .filter(vendors::id.eq(id))
            .filter(vendors::notified_soon_at.is_null()),
    )
    .set(vendors::notified_soon_at.eq(now))
    .execute(tx.conn())?;
    Ok(n == 1)
}

/// Marks the "ended" notice sent (and the "ends soon" one, which it makes
/// moot); `false` when another run marked it first.
pub fn mark_ended(tx: &mut LibraryTx<'_>, id: i64, now: NaiveDateTime) -> StoreResult<bool> {
    let lib = tx.library_id().0;
    let n = diesel::update(
        vendors::table
            .filter(vendors::library_id.eq(lib))
            .filter(vendors::id.eq(id))
            .filter(vendors::notified_ended_at.is_null()),
    )
    .set(vendors::notified_ended_at.eq(now))
    .execute(tx.conn())?;
    if n == 1 {
        diesel::update(
            vendors::table
                .filter(vendors::library_id.eq(lib))
                .filter(vendors::id.eq(id))
                .filter(vendors::notified_soon_at.is_null()),
        )
        .set(vendors::notified_soon_at.eq(now))
        .execute(tx.conn())?;
    }
    Ok(n == 1)
}
