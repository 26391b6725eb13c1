//! The periodic sweep: one reminder for an unconfirmed request, and lapsing
//! once its link has expired.

use super::links::{new_token, token_hash};
use super::{consortium_name, handler_name, kind_phrase, reference, Mailroom, MailroomError};
use crate::templates;
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use store::requests as stored;
use store::{Access, LibraryId, StoreError};

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sweep {
    /// Reminders queued.
    pub reminded: usize,
    /// Requests that lapsed.
    pub lapsed: usize,
}

impl Mailroom {
    /// Sends the one reminder to requests unconfirmed for `remind_after_hours`
    /// and lets those whose link expired lapse.
    pub fn sweep(&self, now: NaiveDateTime) -> Result<Sweep, MailroomError> {
        let scopes = self
            .store
            .consortium(Access::Read, stored::scopes_awaiting_confirmation)?;
        let asked_before = now - Duration::hours(self.settings.remind_after_hours);
        let mut sweep = Sweep::default();
        for scope in scopes {
            let (handler, consortium) = self.store.consortium(Access::Read, |c| {
                Ok::<_, StoreError>((handler_name(c, scope)?, consortium_name(c)?))
            })?;
            let done = self.store.write(scope, |tx| {
                let mut done = Sweep::default();
                let (remind, lapse) = stored::unconfirmed(tx, asked_before, now)?;
                for id in lapse {
                    if stored::set_status_if(
                        tx,
                        &self.keys,
                        id,
                        "awaiting_confirmation",
                        "lapsed",
                        now,
                    )? {
                        done.lapsed += 1;
                    }
                }
                for id in remind {
                    let token = new_token(scope);
                    if !stored::remind(tx, &self.keys, id, &token_hash(&token), now)? {
                        continue;
                    }
                    let request = stored::get(tx, &self.keys, id)?;
                    let rendered = templates::confirm(
                        &templates::Confirm {
                            received: store::time::format(&request.received_at),
                            kind_phrase: kind_phrase(&request.kind, &request.queue).into(),
                            handler: handler.clone(),
                            library: scope != LibraryId::CONSORTIUM,
                            link: self.link(&token),
                            expires: store::time::format(
                                &request.confirm_expires_at.unwrap_or(now),
                            ),
                            reference: reference(scope, id),
                            consortium: consortium.clone(),
                        },
                        true,
                    )?;
                    self.queue(
                        tx,
                        &request.sender,
                        &rendered,
                        request.in_reply_to.as_deref(),
                        "auto-generated",
                        now,
                    )?;
                    done.reminded += 1;
                }
                Ok::<_, MailroomError>(done)
            })?;
            sweep.reminded += done.reminded;
            sweep.lapsed += done.lapsed;
        }
        if sweep.reminded > 0 {
            self.waker.notify();
        }
        Ok(sweep)
    }
}
