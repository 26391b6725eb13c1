//! What an operator watches (outbox, inbound mail) as counts and times only:
//! nothing here returns what a message says or whom it is for.

use crate::error::StoreResult;
use crate::schema::inbound_mail;
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamp};

#[derive(QueryableByName)]
struct Oldest {
    #[diesel(sql_type = Nullable<Timestamp>)]
    at: Option<NaiveDateTime>,
}

/// When the oldest message still waiting for delivery (pending or being sent) was queued.
pub fn outbox_oldest_waiting(conn: &mut DbConn) -> StoreResult<Option<NaiveDateTime>> {
    let sql = match conn {
        DbConn::Pg(_) => "SELECT outbox_oldest_waiting() AS at",
        DbConn::Sqlite(_) => {
            "SELECT min(created_at) AS at FROM outbox WHERE status IN ('pending', 'sending')"
        }
    };
    Ok(diesel::sql_query(sql).get_result::<Oldest>(conn)?.at)
}

/// How many inbound messages were taken in, per outcome (`request`, `auto_reply`, `bounce`).
pub fn inbound_by_outcome(conn: &mut DbConn) -> StoreResult<Vec<(String, i64)>> {
    Ok(inbound_mail::table
        .group_by(inbound_mail::outcome)
        .select((inbound_mail::outcome, diesel::dsl::count_star()))
        .order(inbound_mail::outcome)
        .load(conn)?)
}
