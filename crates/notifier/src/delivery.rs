//! Delivering the outbox: SMTP (lettre; STARTTLS and authentication as the
//! URL says) or `.eml` files, with retries, backoff and a dead-letter state.

use crate::smtp::{SendError, SmtpClient, SmtpUrl};
use crate::wake::Waker;
use chrono::{NaiveDateTime, Utc};
use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, TlsParameters};
use rand::Rng;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::{outbox, Access, Store};

/// Where delivered mail goes.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP relay; clones share its open connections.
    Smtp(Arc<SmtpClient>),
    /// A folder of `.eml` files, one per message, named by its Message-ID.
    Files(PathBuf),
}

/// Why a transport could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The SMTP URL could not be used.
    #[error("mail.smtp_url: {0}")]
    Url(String),
    /// The CA file could not be read or parsed.
    #[error("mail.smtp_ca_file: {0}")]
    Ca(String),
}

impl Transport {
    /// An SMTP transport from a URL such as `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://…` (TLS from the start) or `smtp://host:25` (loopback
    /// relays only); `ca_pem` adds a private CA to trust.
    pub fn smtp(
        url: &str,
        ca_pem: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        let parsed = SmtpUrl::parse(url).map_err(TransportError::Url)?;
        let tls = match ca_pem {
            Some(pem) => {
                let cert =
                    Certificate::from_pem(pem).map_err(|e| TransportError::Ca(e.to_string()))?;
                Some(
                    TlsParameters::builder(parsed.host.clone())
                        .add_root_certificate(cert)
                        .build_rustls()
                        .map_err(|e| TransportError::Ca(e.to_string()))?,
                )
            }
            None => None,
        };
        let client = SmtpClient::new(&parsed, tls, timeout)
            .map_err(|e| TransportError::Url(e.to_string()))?;
        Ok(Transport::Smtp(Arc::new(client)))
    }

    /// `mail.smtp_single_write`: `false` sends each message as lettre does,
    /// waiting out a delayed ACK per message (kept to measure the difference).
    pub fn with_single_write(self, single_write: bool) -> Self {
        match self {
            Transport::Smtp(client) => match Arc::try_unwrap(client) {
                Ok(c) => Transport::Smtp(Arc::new(c.with_single_write(single_write))),
                Err(shared) => Transport::Smtp(shared),
            },
            files => files,
        }
    }

    fn send(&self, claimed: &outbox::Claimed) -> Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => {
                let parse = |a: &str| {
                    a.parse::<lettre::Address>()
                        .map_err(|_| Failure::permanent("an envelope address is not valid"))
                };
                let from = if claimed.envelope_from.is_empty() {
                    None
                } else {
                    Some(parse(&claimed.envelope_from)?)
                };
                let to = claimed
                    .envelope_to
                    .iter()
                    .map(|a| parse(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let envelope = Envelope::new(from, to)
                    .map_err(|_| Failure::permanent("the message has no recipient"))?;
                smtp.send(&envelope, &claimed.message).map_err(|e| match e {
                    SendError::Unsendable(why) => Failure::permanent(why),
                    SendError::Smtp(e) => Failure::from_smtp(&e),
                })
            }
            Transport::Files(dir) => write_file(dir, claimed).map_err(|e| Failure {
                permanent: false,
                reason: format!("writing to the outbox folder failed: {}", e.kind()),
            }),
        }
    }
}

/// Writes the message atomically under a name taken from its Message-ID, so
/// delivering the same message again replaces the file instead of adding one.
fn write_file(dir: &std::path::Path, claimed: &outbox::Claimed) -> std::io::Result<()> {
    use std::io::Write;
    let stem: String = claimed
        .message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{stem}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(claimed.message.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(format!("{stem}.eml")))
}

/// A failed attempt: whether trying again could help, and why, in words that
/// name no one (an SMTP reply may quote the address; it is not kept).
#[derive(Debug, Clone)]
struct Failure {
    permanent: bool,
    reason: String,
}

impl Failure {
    fn permanent(reason: &str) -> Self {
        Failure {
            permanent: true,
            reason: reason.to_owned(),
        }
    }

    fn from_smtp(e: &lettre::transport::smtp::Error) -> Self {
        let code = e.status().map(|c| c.to_string());
        let reason = if e.is_permanent() {
            format!(
                "the mail server refused the message permanently (SMTP {})",
                code.unwrap_or_default()
            )
        } else if e.is_transient() {
            format!(
                "the mail server refused the message for now (SMTP {})",
                code.unwrap_or_default()
            )
        } else if e.is_timeout() {
            "the mail server did not answer in time".to_owned()
        } else if e.is_tls() {
            // TLS and network errors describe the connection, never the message.
            format!("the TLS connection to the mail server failed ({e})")
        } else {
            format!("the mail server could not be reached ({e})")
        };
        Failure {
            permanent: e.is_permanent(),
            reason,
        }
    }
}

/// Composes each claimed message on a shared body for its patron (the
/// letter's recipient and Message-ID added to the body the outbox kept once);
/// a message whose patron no longer has an address (deleted, or the address
/// removed) or whose letter cannot be used fails for good, naming no one.
fn compose_shared(
    claimed: Vec<outbox::Claimed>,
) -> (Vec<outbox::Claimed>, Vec<(outbox::Claimed, Failure)>) {
    let mut ready = Vec::with_capacity(claimed.len());
    let mut unusable = Vec::new();
    for mut m in claimed {
        if !m.shared_body {
            ready.push(m);
            continue;
        }
        let Some(to) = m.envelope_to.first().cloned() else {
            unusable.push((
                m,
                Failure::permanent("the patron no longer has an email address"),
            ));
            continue;
        };
        let composed = serde_json::from_str::<crate::message::SharedLetter>(&m.message)
            .map_err(|_| Failure::permanent("the shared letter could not be read"))
            .and_then(|letter| {
                letter.compose_to(&to, &m.message_id).map_err(|e| match e {
                    crate::message::ComposeError::BadRecipient => {
                        Failure::permanent("the patron's email address cannot receive mail")
                    }
                    crate::message::ComposeError::Build(_) => {
                        Failure::permanent("the message could not be composed")
                    }
                })
            });
        match composed {
            Ok(c) => {
                m.envelope_from = c.envelope_from;
                m.envelope_to = c.envelope_to;
                m.message = c.bytes;
                m.shared_body = false;
                ready.push(m);
            }
            Err(f) => unusable.push((m, f)),
        }
    }
    (ready, unusable)
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Attempts before a message is dead.
    pub max_attempts: i32,
    /// The first retry's delay; each later one doubles, with jitter.
    pub backoff_base: Duration,
    /// The longest delay between attempts.
    pub backoff_cap: Duration,
    /// How long a claim lasts; a worker that dies holds its messages this long.
    pub lease: Duration,
    /// Messages claimed at a time.
    pub batch: i64,
    /// How long to sleep when there is nothing to do and no wake-up comes.
    pub poll: Duration,
    /// Messages of a batch sent at once, each lane on its own SMTP
    /// connection (kept open between messages and passes).
    pub parallel: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 8,
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(6 * 3600),
            lease: Duration::from_secs(300),
            batch: 64,
            poll: Duration::from_secs(2),
            parallel: 8,
        }
    }
}

impl Policy {
    /// When to try again after `attempts` failed attempts: base · 2^(n-1),
    /// capped, times a random factor in [0.5, 1.5) so that messages failed
    /// together do not all come back together.
    pub fn retry_delay(&self, attempts: i32) -> Duration {
        let exp = attempts.saturating_sub(1).clamp(0, 30) as u32;
        let raw = self
            .backoff_base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.backoff_cap);
        raw.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
    }
}

/// What one pass over the outbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed and will be tried again.
    pub retrying: usize,
    /// Messages that failed for good.
    pub dead: usize,
}

/// An outbox worker: claims, delivers, records.
pub struct Worker {
    store: Store,
    keys: store::encryption::Keyring,
    transport: Transport,
    policy: Policy,
    id: String,
}

/// The span of one delivery attempt: ids and counts only (never an address),
/// linked to the span of the request that queued the message, when that
/// request was traced, so a trace continues across the outbox.
fn delivery_span(m: &outbox::Claimed) -> tracing::Span {
    let span = tracing::info_span!(
        parent: None,
        "mail.deliver",
        outbox_id = m.id,
        attempt = m.attempts,
        outcome = tracing::field::Empty,
    );
    if let Some(cx) = m.trace_parent.as_deref().and_then(span_context) {
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        span.add_link(cx);
    }
    span
}

/// Reads a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`).
fn span_context(traceparent: &str) -> Option<opentelemetry::trace::SpanContext> {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    let mut parts = traceparent.split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version != "00" || parts.next().is_some() || trace.len() != 32 || span.len() != 16 {
        return None;
    }
    let cx = SpanContext::new(
        TraceId::from_hex(trace).ok()?,
        SpanId::from_hex(span).ok()?,
        TraceFlags::new(u8::from_str_radix(flags, 16).ok()?),
        true,
        TraceState::default(),
    );
    cx.is_valid().then_some(cx)
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn later(d: Duration) -> NaiveDateTime {
    now() + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(1))
}

impl Worker {
    /// A worker with an id that names its process (for the outbox's claims).
    pub fn new(
        store: Store,
        keys: store::encryption::Keyring,
        transport: Transport,
        policy: Policy,
    ) -> Self {
        let id = format!(
            "{}-{}-{:08x}",
            std::process::id(),
            std::thread::current().name().unwrap_or("worker"),
            rand::thread_rng().gen::<u32>()
        );
        Worker {
            store,
            keys,
            transport,
            policy,
            id,
        }
    }

    /// Claims one batch and delivers it.
    pub fn pass(&self) -> Result<Pass, store::StoreError> {
        let claimed = self.store.claim_outbox(
            &self.keys,
            &self.id,
            now(),
            later(self.policy.lease),
            self.policy.batch,
        )?;
        let (claimed, unusable) = compose_shared(claimed);
        let lanes = self.policy.parallel.clamp(1, 64).min(claimed.len().max(1));
        let mut chunks: Vec<Vec<&outbox::Claimed>> = vec![Vec::new(); lanes];
        for (i, message) in claimed.iter().enumerate() {
            chunks[i % lanes].push(message);
        }
        let outcomes: Vec<(&outbox::Claimed, Result<(), Failure>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .into_iter()
                            .map(|m| {
                                let span = delivery_span(m);
                                let outcome = span.in_scope(|| self.transport.send(m));
                                span.record(
                                    "outcome",
                                    if outcome.is_ok() { "sent" } else { "failed" },
                                );
                                (m, outcome)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    // A lane that panicked leaves its messages claimed; the
                    // lease brings them back.
                    h.join().unwrap_or_default()
                })
                .collect()
        });
        let mut outcomes = outcomes;
        outcomes.extend(unusable.iter().map(|(m, f)| (m, Err(f.clone()))));
        self.record(&outcomes)
    }

    /// Records a pass's outcomes in one transaction: one commit (one fsync on
    /// SQLite, where commits do not group) for the whole batch rather than one
    /// a message. A crash between sending and recording repeats at most this
    /// pass's messages, each with its Message-ID, once their lease runs out.
    ///
    /// No database connection is held across an SMTP exchange, so parallel
    /// lanes never take connections the server's requests need.
    fn record(
        &self,
        outcomes: &[(&outbox::Claimed, Result<(), Failure>)],
    ) -> Result<Pass, store::StoreError> {
        let mut pass = Pass::default();
        let sent: Vec<_> = outcomes
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(m, _)| (m.library, m.id))
            .collect();
        pass.sent = sent.len();
        let at = now();
        self.store.consortium(Access::Write, |c| {
            outbox::mark_sent_many(c, &sent, at)?;
            for (message, outcome) in outcomes {
                let Err(failure) = outcome else { continue };
                let give_up = failure.permanent || message.attempts >= self.policy.max_attempts;
                let retry_at = (!give_up).then(|| later(self.policy.retry_delay(message.attempts)));
                outbox::mark_failed(c, message.library, message.id, &failure.reason, retry_at)?;
            }
            Ok::<_, store::StoreError>(())
        })?;
        for (message, outcome) in outcomes {
            let Err(failure) = outcome else { continue };
            if failure.permanent || message.attempts >= self.policy.max_attempts {
                pass.dead += 1;
                tracing::warn!(outbox_id = message.id, attempts = message.attempts, reason = %failure.reason, "mail dead-lettered");
            } else {
                pass.retrying += 1;
                tracing::info!(outbox_id = message.id, attempts = message.attempts, reason = %failure.reason, "mail delivery failed; will retry");
            }
        }
        Ok(pass)
    }

    /// Delivers everything due now, pass after pass, until a pass finds
    /// nothing; what failed is left to retry later (`custodian mail work --once`).
    pub fn drain(&self) -> Result<Pass, store::StoreError> {
        let mut total = Pass::default();
        loop {
            let p = self.pass()?;
            total.sent += p.sent;
            total.retrying += p.retrying;
            total.dead += p.dead;
            if p.sent + p.retrying + p.dead == 0 {
                return Ok(total);
            }
        }
    }

    /// Delivers until `stop` is set: a pass, then (when the pass found nothing)
    /// a wait for a wake-up or the poll interval. `tick` runs between passes
    /// (the reminder sweep).
    pub fn run(&self, waker: &Waker, stop: &AtomicBool, mut tick: impl FnMut()) {
        let mut subscription = waker.subscribe();
        while !stop.load(Ordering::Relaxed) {
            tick();
            let busy = match self.pass() {
                Ok(p) => p.sent + p.retrying + p.dead > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox pass failed; will try again");
                    false
                }
            };
            if !busy {
                subscription.wait(self.policy.poll);
            }
        }
    }
}

/// Starts `threads` workers on their own OS threads (delivery blocks on the
/// network and the database, so it stays off the async executor).
pub fn spawn(
    worker: impl Fn() -> Worker,
    threads: usize,
    waker: Waker,
    stop: Arc<AtomicBool>,
    tick: impl Fn() + Send + Sync + 'static,
) -> Vec<std::thread::JoinHandle<()>> {
    let tick = Arc::new(tick);
    (0..threads)
        .filter_map(|i| {
            let w = worker();
            let waker = waker.clone();
            let stop = stop.clone();
            let tick = tick.clone();
            std::thread::Builder::new()
                .name(format!("outbox-{i}"))
                .spawn(move || w.run(&waker, &stop, || tick()))
                .map_err(|e| tracing::error!(error = %e, "could not start an outbox worker"))
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = Policy {
            backoff_base: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(100),
            ..Policy::default()
        };
        for _ in 0..100 {
            let d1 = p.retry_delay(1).as_secs_f64();
            assert!((5.0..15.0).contains(&d1), "{d1}");
            let d3 = p.retry_delay(3).as_secs_f64();
            assert!((20.0..60.0).contains(&d3), "{d3}");
            let d9 = p.retry_delay(9).as_secs_f64();
            assert!((50.0..150.0).contains(&d9), "{d9}");
        }
    }
}
