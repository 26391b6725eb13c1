//! Taking in inbound mail: the ledger entry, the classification, the route to
//! a queue, and the confirmation or routing notice to the sender.

use super::links::{new_token, token_hash};
use super::{consortium_name, handler_name, kind_phrase, reference, Mailroom, MailroomError};
use crate::classify::{classify, Classification};
use crate::inbound::{self, Automatic};
use crate::route::{self, Routed};
use crate::templates;
use chrono::{Duration, NaiveDateTime};
use policy::requests::RequestStatus;
use serde::Serialize;
use store::requests as stored;
use store::{inbound as ledger, Access, StoreError};

/// Which channel a message came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `custodian mail ingest` reading standard input.
    Stdin,
    /// `custodian mail ingest --maildir`.
    Maildir,
    /// The mail gateway's HTTP endpoint.
    Gateway,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Stdin => "stdin",
            Channel::Maildir => "maildir",
            Channel::Gateway => "gateway",
        }
    }
}

/// What became of an inbound message. Names no one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = InboundOutcome)]
pub struct Ingested {
    /// request, auto_reply, bounce or duplicate.
    #[schema(value_type = String)]
    pub outcome: &'static str,
    /// correct, update, delete or other, for a request.
    #[schema(value_type = Option<String>)]
    pub kind: Option<&'static str>,
    /// director, library or triage, for a request.
    #[schema(value_type = Option<String>)]
    pub route: Option<&'static str>,
    /// The slugs of the libraries a patron's request went to.
    pub libraries: Vec<String>,
    /// Why.
    pub reason: String,
}

impl Ingested {
    fn duplicate() -> Self {
        Ingested {
            outcome: "duplicate",
            kind: None,
            route: None,
            libraries: Vec::new(),
            reason: "a message with this Message-ID was ingested before".into(),
        }
    }
}

impl Mailroom {
    /// Takes in one raw message: records it once, classifies it, files the
    /// request in the right queue and queues the confirmation, in one
    /// transaction.
    pub fn ingest(
        &self,
        raw: &[u8],
        channel: Channel,
        now: NaiveDateTime,
    ) -> Result<Ingested, MailroomError> {
        let message = inbound::parse(raw)?;
        let size = i64::try_from(message.size).unwrap_or(i64::MAX);
        if self
            .store
            .consortium(Access::Read, |c| ledger::seen(c, &message.fingerprint))?
        {
            return Ok(Ingested::duplicate());
        }
        if let Some(auto) = &message.automatic {
            let (outcome, reason) = match auto {
                Automatic::AutoReply(r) => ("auto_reply", format!("an automatic reply: {r}")),
                Automatic::Bounce(r) => ("bounce", format!("a delivery failure report: {r}")),
            };
            let recorded = self.store.consortium(Access::Write, |c| {
                ledger::record(
                    c,
                    &ledger::NewInbound {
                        fingerprint: &message.fingerprint,
                        received_at: now,
                        channel: channel.as_str(),
                        outcome,
                        route: None,
                        reason: &reason,
                        size_bytes: size,
                    },
                )
            })?;
            return Ok(match recorded {
                None => Ingested::duplicate(),
                Some(_) => Ingested {
                    outcome,
                    kind: None,
                    route: None,
                    libraries: Vec::new(),
                    reason,
                },
            });
        }
        let Classification {
            kind,
            reason: kind_reason,
        } = classify(&message.subject, &message.text);
        let sender = message.from.clone();
        let Routed {
            route,
            queue,
            scopes,
            reason: route_reason,
        } = route::route(
            sender.as_deref(),
            |address| {
                let contacts = self.store.consortium(Access::Read, |c| {
                    store::directory::libraries_with_contact(c, address)
                })?;
                Ok::<_, MailroomError>(!contacts.is_empty())
            },
            |address| {
                Ok(self.store.consortium(Access::Read, |c| {
                    store::patrons::libraries_with_email(c, &self.keys, address)
                })?)
            },
        )?;
        let reason = format!("{kind_reason}; {route_reason}");
        let attachments =
            serde_json::to_string(&message.attachments).unwrap_or_else(|_| "[]".into());
        let outcome = self.store.across_libraries(|conn| {
            let Some(inbound_id) = ledger::record(
                conn,
                &ledger::NewInbound {
                    fingerprint: &message.fingerprint,
                    received_at: now,
                    channel: channel.as_str(),
                    outcome: "request",
                    route: Some(route),
                    reason: if route == "library" {
                        route_reason
                    } else {
                        &reason
                    },
                    size_bytes: size,
                },
            )?
            else {
                return Ok::<_, MailroomError>(None);
            };
            let consortium = consortium_name(conn)?;
            let mut slugs = Vec::new();
            for scope in &scopes {
                let handler = handler_name(conn, *scope)?;
                if route == "library" {
                    ledger::add_route(conn, inbound_id, *scope)?;
                    slugs.push(store::libraries::by_id(conn, *scope)?.slug);
                }
                let mut tx = conn.library(*scope)?;
                let confirm = kind.needs_confirmation() && sender.is_some();
                let token = confirm.then(|| new_token(*scope));
                let hash = token.as_deref().map(token_hash);
                let expires = now + Duration::days(self.settings.confirm_days);
                let status = if confirm {
                    RequestStatus::AwaitingConfirmation
                } else {
                    RequestStatus::Received
                };
                let id = stored::create(
                    &mut tx,
                    &self.keys,
                    &stored::NewMailRequest {
                        inbound_id: Some(inbound_id),
                        source: "email",
                        patron_id: None,
                        reply_to: message.reply_to.as_deref(),
                        confirmed_at: None,
                        queue,
                        kind: kind.as_str(),
                        reason: &reason,
                        status: status.as_str(),
                        due_at: now + Duration::days(self.settings.due_days),
                        sender: sender.as_deref().unwrap_or_default(),
                        subject: &message.subject,
                        body: &message.text,
                        attachments: &attachments,
                        raw,
                        in_reply_to: message.message_id.as_deref(),
                        confirm_hash: hash.as_deref(),
                        confirm_expires_at: confirm.then_some(expires),
                        now,
                    },
                )?;
                let Some(to) = sender.as_deref() else {
                    continue;
                };
                let rendered = match &token {
                    Some(token) => templates::confirm(
                        &templates::Confirm {
                            received: store::time::format(&now),
                            kind_phrase: kind_phrase(kind.as_str(), queue).into(),
                            handler: handler.clone(),
                            library: route == "library",
                            link: self.link(token),
                            expires: store::time::format(&expires),
                            reference: reference(*scope, id),
                            consortium: consortium.clone(),
                        },
                        false,
                    )?,
                    None if route == "library" => templates::routed(&templates::Routed {
                        received: store::time::format(&now),
                        handler: handler.clone(),
                        reference: reference(*scope, id),
                        consortium: consortium.clone(),
                    })?,
                    None => continue,
                };
                match self.queue(
                    &mut tx,
                    to,
                    &rendered,
                    message.message_id.as_deref(),
                    "auto-replied",
                    now,
                ) {
                    Ok(_) => {}
                    // An address lettre cannot send to: the request stands
                    // for staff to handle; nothing is queued.
                    Err(MailroomError::Refused(_)) => {
                        stored::add_event(
                            &mut tx,
                            &self.keys,
                            id,
                            None,
                            "no_reply",
                            "the sender's address cannot receive mail",
                            None,
                            now,
                        )?;
                    }
                    Err(e) => return Err(e),
                }
            }
            slugs.sort();
            Ok(Some(slugs))
        });
        let outcome = match outcome {
            Ok(o) => o,
            // Two copies ingested at once: the second lost the race on the ledger.
            Err(MailroomError::Store(StoreError::Conflict(_))) => None,
            Err(e) => return Err(e),
        };
        let Some(libraries) = outcome else {
            return Ok(Ingested::duplicate());
        };
        self.waker.notify();
        Ok(Ingested {
            outcome: "request",
            kind: Some(kind.as_str()),
            route: Some(route),
            libraries,
            reason,
        })
    }
}
