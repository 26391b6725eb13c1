//! The director's view of the mail plumbing: the inbound ledger, the outbox
//! and its dead letters, and the delivery workers.

use super::{Mailroom, MailroomError};
use crate::delivery::Transport;
use chrono::NaiveDateTime;
use store::{inbound as ledger, outbox, Access, StoreError};

impl Mailroom {
    /// A delivery worker for this mailroom's outbox.
    pub fn worker(
        &self,
        transport: Transport,
        policy: crate::delivery::Policy,
    ) -> crate::delivery::Worker {
        crate::delivery::Worker::new(self.store.clone(), self.keys.clone(), transport, policy)
    }

    /// The inbound ledger for the director: what came in and where it went,
    /// never what a patron wrote.
    pub fn ledger(
        &self,
        route: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ledger::Logged>, MailroomError> {
        Ok(self
            .store
            .consortium(Access::Read, |c| ledger::list(c, route, before, limit))?)
    }

    /// Outbox messages for the director (dead letters with `status = dead`).
    pub fn outbox(
        &self,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<outbox::Summary>, MailroomError> {
        Ok(self
            .store
            .consortium(Access::Read, |c| outbox::list(c, status, before, limit))?)
    }

    /// Puts a dead message back in the queue.
    pub fn retry(&self, id: i64, now: NaiveDateTime) -> Result<outbox::Summary, MailroomError> {
        let summary = self.store.consortium(Access::Write, |c| {
            outbox::retry(c, id, now).map_err(|e| match e {
                StoreError::Conflict(_) => MailroomError::Refused(
                    "only a dead message can be retried; this one is still queued or was delivered",
                ),
                other => other.into(),
            })?;
            Ok::<_, MailroomError>(outbox::get(c, id)?)
        })?;
        self.waker.notify();
        Ok(summary)
    }
}
