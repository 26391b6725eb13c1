//! The figures an operator scrapes: queues, inbound mail, retention and the
//! database pool, as counts and ages only, never a name, address or message.

use crate::error::CustodyResult;
use crate::Custody;
use chrono::Utc;
use store::operations as sql;
use store::Access;

/// One look at the consortium's moving parts.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Outbox messages per state (`pending`, `sending`, `sent`, `dead`, `expired`).
    pub outbox: Vec<(String, i64)>,
    /// Seconds since the oldest message still waiting was queued (0 when none waits).
    pub oldest_waiting_secs: f64,
    /// Inbound messages taken in, per outcome.
    pub inbound: Vec<(String, i64)>,
    /// Seconds since the library whose last applied retention run is oldest had it.
    pub retention_lag_secs: Option<f64>,
    /// Libraries that have never had an applied retention run.
    pub retention_never_run: u64,
    /// Open database connections and, of those, idle ones.
    pub pool: (u32, u32),
}

/// Takes the snapshot: a few consortium reads and one per library for retention.
pub fn snapshot(custody: &Custody) -> CustodyResult<Snapshot> {
    let store = custody.store();
    let now = Utc::now().naive_utc();
    let (outbox, oldest, inbound) = store.consortium(Access::Read, |c| {
        Ok::<_, crate::CustodyError>((
            store::outbox::counts(c)?,
            sql::outbox_oldest_waiting(c)?,
            sql::inbound_by_outcome(c)?,
        ))
    })?;
    let mut lag: Option<f64> = None;
    let mut never = 0;
    for library in crate::libraries::all(store)? {
        match store.read(library.id, store::retention::last_run)? {
            Some((at, false, _)) => {
                let secs = (now - at).num_milliseconds().max(0) as f64 / 1000.0;
                lag = Some(lag.map_or(secs, |l| l.max(secs)));
            }
            _ => never += 1,
        }
    }
    Ok(Snapshot {
        outbox,
        oldest_waiting_secs: oldest.map_or(0.0, |at| {
            (now - at).num_milliseconds().max(0) as f64 / 1000.0
        }),
        inbound,
        retention_lag_secs: lag,
        retention_never_run: never,
        pool: store.pool_state(),
    })
}
