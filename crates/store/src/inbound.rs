//! The ledger of inbound mail: one row per message ever ingested, so a message
//! fed in twice (a gateway retry, a Maildir read again) becomes one request.
//! It holds no content; for a patron's request, only where it went.

use crate::error::StoreResult;
use crate::ids::LibraryId;
use crate::schema::{inbound_mail, inbound_mail_routes, libraries};
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

/// What an inbound message turned out to be.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    /// SHA-256 of its Message-ID, or of the whole message when it has none.
    pub fingerprint: &'a [u8],
    /// When custodian took it in.
    pub received_at: NaiveDateTime,
    /// stdin, maildir or gateway.
    pub channel: &'a str,
    /// request, auto_reply or bounce.
    pub outcome: &'a str,
    /// director, library or triage, for a request.
    pub route: Option<&'a str>,
    /// Why, in words that name no one.
    pub reason: &'a str,
    /// Its size in bytes.
    pub size_bytes: i64,
}

/// Records a message; `None` when one with the same fingerprint was recorded before.
pub fn record(conn: &mut DbConn, new: &NewInbound<'_>) -> StoreResult<Option<i64>> {
    let inserted = crate::on_backend!(conn, |c| diesel::insert_into(inbound_mail::table)
        .values((
            inbound_mail::fingerprint.eq(new.fingerprint),
            inbound_mail::received_at.eq(new.received_at),
            inbound_mail::channel.eq(new.channel),
            inbound_mail::outcome.eq(new.outcome),
            inbound_mail::route.eq(new.route),
            inbound_mail::reason.eq(new.reason),
            inbound_mail::size_bytes.eq(new.size_bytes),
        ))
        .on_conflict(inbound_mail::fingerprint)
        .do_nothing()
        .execute(c))?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(Some(
        inbound_mail::table
            .filter(inbound_mail::fingerprint.eq(new.fingerprint))
            .select(inbound_mail::id)
            .first(conn)?,
    ))
}

/// Whether a message with this fingerprint was recorded.
pub fn seen(conn: &mut DbConn, fingerprint: &[u8]) -> StoreResult<bool> {
    use diesel::dsl::exists;
    Ok(diesel::select(exists(
        inbound_mail::table.filter(inbound_mail::fingerprint.eq(fingerprint)),
    ))
    .get_result(conn)?)
}

/// Notes that a message went to `library`'s queue.
pub fn add_route(conn: &mut DbConn, inbound: i64, library: LibraryId) -> StoreResult<()> {
    diesel::insert_into(inbound_mail_routes::table)
        .values((
            inbound_mail_routes::inbound_id.eq(inbound),
            inbound_mail_routes::library_id.eq(library.0),
        ))
        .execute(conn)?;
    Ok(())
}

/// A message as the director's log shows it: what it was and where it went.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Logged {
    /// Ledger id.
    pub id: i64,
    /// When it came in.
    #[serde(with = "crate::time::rfc3339")]
    pub received_at: NaiveDateTime,
    /// stdin, maildir or gateway.
    pub channel: String,
    /// request, auto_reply or bounce.
    pub outcome: String,
    /// director, library or triage.
    pub route: Option<String>,
    /// The slugs of the libraries a patron's request went to.
    pub libraries: Vec<String>,
    /// Why it was handled so.
    pub reason: String,
}

/// The ledger, newest first, optionally only one route, before the id `before`.
pub fn list(
    conn: &mut DbConn,
    route: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Logged>> {
    let mut query = inbound_mail::table
        .select((
            inbound_mail::id,
            inbound_mail::received_at,
            inbound_mail::channel,
            inbound_mail::outcome,
            inbound_mail::route,
            inbound_mail::reason,
        ))
        .order(inbound_mail::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(r) = route {
        query = query.filter(inbound_mail::route.eq(r.to_owned()));
    }
    if let Some(b) = before {
        query = query.filter(inbound_mail::id.lt(b));
    }
    type Row = (i64, NaiveDateTime, String, String, Option<String>, String);
    let rows: Vec<Row> = query.load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let routes: Vec<(i64, String)> = inbound_mail_routes::table
        .inner_join(libraries::table.on(libraries::id.eq(inbound_mail_routes::library_id)))
        .filter(inbound_mail_routes::inbound_id.eq_any(&ids))
        .select((inbound_mail_routes::inbound_id, libraries::slug))
        .order((inbound_mail_routes::inbound_id, libraries::slug))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, received_at, channel, outcome, route, reason)| Logged {
                id,
                received_at,
                channel,
                outcome,
                route,
                libraries: routes
                    .iter()
                    .filter(|(i, _)| *i == id)
                    .map(|(_, s)| s.clone())
                    .collect(),
                reason,
            },
        )
        .collect())
}
