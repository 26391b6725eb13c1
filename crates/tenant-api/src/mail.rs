//! Wiring the notifier to the settings: the mailroom, the transport the
//! outbox delivers through, and the delivery threads inside `serve`.

use crate::settings::Settings;
use notifier::delivery::{Policy, Transport, TransportError, Worker};
use notifier::requests::Settings as RoomSettings;
use notifier::wake::Waker;
use notifier::Mailroom;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Why mail could not be set up; each names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    /// The transport could not be built.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The CA file could not be read.
    #[error("mail.smtp_ca_file: cannot read {0}")]
    Ca(String),
    /// The sender address is not an address.
    #[error("mail.from: {0}")]
    From(String),
    /// Redis could not be used for wake-ups.
    #[error("redis.url: {0}")]
    Redis(String),
}

/// The bell: Redis when configured, in process otherwise.
pub fn waker(settings: &Settings) -> Result<Waker, MailSetupError> {
    match &settings.redis.url {
        Some(url) => Waker::redis(
            url.expose(),
            &format!("{}outbox:wake", settings.redis.key_prefix),
        )
        .map_err(|e| MailSetupError::Redis(e.to_string())),
        None => Ok(Waker::local()),
    }
}

/// The mailroom for these settings; `public_url` is where confirmation links point.
pub fn mailroom(
    settings: &Settings,
    store: store::Store,
    keys: store::encryption::Keyring,
    public_url: &str,
    waker: Waker,
) -> Result<Mailroom, MailSetupError> {
    let from = settings
        .mail
        .from
        .parse()
        .map_err(|e: lettre::address::AddressError| MailSetupError::From(e.to_string()))?;
    Ok(Mailroom::new(
        store,
        keys,
        RoomSettings {
            from,
            public_url: public_url.to_owned(),
            due_days: settings.requests.due_days,
            confirm_days: settings.requests.confirm_days,
            remind_after_hours: settings.requests.remind_after_hours,
        },
        waker,
    ))
}

/// SMTP when `mail.smtp_url` is set, `.eml` files in the outbox folder otherwise.
pub fn transport(settings: &Settings) -> Result<Transport, MailSetupError> {
    match &settings.mail.smtp_url {
        None => Ok(Transport::Files(settings.outbox_dir())),
        Some(url) => {
            let ca = match &settings.mail.smtp_ca_file {
                Some(path) => Some(
                    std::fs::read(path)
                        .map_err(|e| MailSetupError::Ca(format!("{}: {e}", path.display())))?,
                ),
                None => None,
            };
            Ok(Transport::smtp(
                url.expose(),
                ca.as_deref(),
                Duration::from_secs(settings.mail.smtp_timeout_secs),
            )?
            .with_single_write(settings.mail.smtp_single_write))
        }
    }
}

/// The retry policy from `[mail]`.
pub fn policy(settings: &Settings) -> Policy {
    Policy {
        max_attempts: settings.mail.max_attempts,
        backoff_base: Duration::from_secs(settings.mail.retry_base_secs),
        backoff_cap: Duration::from_secs(settings.mail.retry_cap_secs),
        lease: Duration::from_secs(settings.mail.lease_secs),
        // Two commits a pass (claim, outcomes), and a PostgreSQL commit waits
        // for its fsync: a pass of 64 keeps that under 1 ms a message.
        batch: (settings.mail.parallel as i64 * 8).max(20),
        poll: Duration::from_secs(settings.mail.poll_secs),
        parallel: settings.mail.parallel,
    }
}

/// The custody a mail process sends vendor notices with: the mailroom renders them.
pub fn custody(
    room: &Mailroom,
    store: store::Store,
    keys: store::encryption::Keyring,
) -> Result<custody::Custody, String> {
    let policies = custody::Policies::load().map_err(|e| e.to_string())?;
    Ok(
        custody::Custody::new(store, Arc::new(keys), Arc::new(policies))
            .with_release_notifier(Arc::new(room.clone()))
            .with_vendor_notifier(Arc::new(room.clone()))
            .with_policy_notifier(Arc::new(room.clone())),
    )
}

/// One pass of the vendor contract notices (blocking), logged by counts only.
pub fn vendor_notices(custody: &custody::Custody) {
    let today = chrono::Utc::now().date_naive();
    match custody::vendor_notices::notify_contracts(custody, today) {
        Ok(r) if !r.sent.is_empty() || r.waiting_for_admin > 0 => tracing::info!(
            ends_soon = r.ends_soon(),
            ended = r.ended(),
            emails = r.emails(),
            waiting_for_admin = r.waiting_for_admin,
            "vendor contract notices"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "vendor contract notices failed"),
    }
}

// Whether `every` has passed since the last time this said yes (yes the first time).
fn due(last: &std::sync::Mutex<Option<std::time::Instant>>, every: Duration) -> bool {
    match last.lock() {
        Ok(mut l) => {
            let due = l.is_none_or(|t: std::time::Instant| t.elapsed() >= every);
            if due {
                *l = Some(std::time::Instant::now());
            }
            due
        }
        Err(_) => false,
    }
}

/// Starts `threads` delivery workers that also run the reminder sweep about
/// once a minute and, given a custody, the vendor contract notices at start
/// and hourly; they stop when `stop` is set.
pub fn spawn_workers(
    room: &Mailroom,
    transport: Transport,
    policy: Policy,
    threads: usize,
    stop: Arc<AtomicBool>,
    vendors: Option<custody::Custody>,
) -> Vec<std::thread::JoinHandle<()>> {
    let sweeper = room.clone();
    let last = std::sync::Mutex::new(None::<std::time::Instant>);
    let last_vendors = std::sync::Mutex::new(None::<std::time::Instant>);
    let make = {
        let room = room.clone();
        move || -> Worker { room.worker(transport.clone(), policy.clone()) }
    };
    notifier::delivery::spawn(make, threads, room.waker().clone(), stop, move || {
        if let Some(c) = &vendors {
            if due(&last_vendors, Duration::from_secs(3600)) {
                vendor_notices(c);
            }
        }
        if due(&last, Duration::from_secs(60)) {
            match sweeper.sweep(chrono::Utc::now().naive_utc()) {
                Ok(s) if s.reminded + s.lapsed > 0 => {
                    tracing::info!(
                        reminded = s.reminded,
                        lapsed = s.lapsed,
                        "request reminder sweep"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "request reminder sweep failed"),
            }
        }
    })
}
