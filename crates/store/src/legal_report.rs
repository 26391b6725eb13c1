//! The yearly count of legal requests, the figure libraries publish in
//! transparency reports: how many arrived under each instrument and how
//! each was decided. Only the instrument and status are read, never who
//! was named or who asked.

use crate::error::StoreResult;
use crate::schema::legal_requests;
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The instrument and status of each request of the scoped library
/// registered at or after `from` and before `until`.
///
/// A library receives a handful of requests a year, so they are counted in
/// custody rather than with a GROUP BY that each backend would spell alike
/// anyway; no row carries more than these two words.
pub fn received_between(
    tx: &mut LibraryTx<'_>,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> StoreResult<Vec<(String, String)>> {
    let lib = tx.library_id().0;
    Ok(legal_requests::table
        .filter(legal_requests::library_id.eq(lib))
        .filter(legal_requests::created_at.ge(from))
        .filter(legal_requests::created_at.lt(until))
        .select((legal_requests::instrument, legal_requests::status))
        .load(tx.conn())?)
}
