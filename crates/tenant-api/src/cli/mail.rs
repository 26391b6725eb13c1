//! `custodian mail ingest` and `mail work`: inbound mail and the outbox.

use super::{open_store, Outcome};
use crate::settings::Settings;
use crate::telemetry;
use notifier::requests::Channel;
use notifier::MailroomError;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn mailroom(settings: &Settings) -> Result<notifier::Mailroom, String> {
    mailroom_and_custody(settings).map(|(room, _)| room)
}

/// The mailroom, and the custody that sends vendor notices through it.
pub(crate) fn mailroom_and_custody(
    settings: &Settings,
) -> Result<(notifier::Mailroom, custody::Custody), String> {
    let store = open_store(settings)?;
    let (keys, _) = crate::keys::load(settings)?;
    if let Some(warning) = settings.public_url_warning() {
        eprintln!("warning: {warning}");
    }
    let base = settings.public_base(None);
    let waker = crate::mail::waker(settings).map_err(|e| e.to_string())?;
    let room = crate::mail::mailroom(settings, store.clone(), keys.clone(), &base, waker)
        .map_err(|e| e.to_string())?;
    let custody = crate::mail::custody(&room, store, keys)?;
    Ok((room, custody))
}

/// Takes in one message from standard input (printing its outcome as JSON), or a whole Maildir.
pub fn ingest(settings: &Settings, maildir: Option<&Path>) -> Outcome {
    let room = mailroom(settings)?;
    let Some(dir) = maildir else {
        let mut raw = Vec::new();
        std::io::stdin()
            .read_to_end(&mut raw)
            .map_err(|e| format!("reading standard input: {e}"))?;
        let outcome = room
            .ingest(&raw, Channel::Stdin, chrono::Utc::now().naive_utc())
            .map_err(|e| match e {
                MailroomError::Unreadable(why) => format!("refused: {why}; nothing was filed"),
                other => other.to_string(),
            })?;
        println!(
            "{}",
            serde_json::to_string(&outcome).map_err(|e| e.to_string())?
        );
        return Ok(());
    };
    let summary = room
        .ingest_maildir(dir, &mut std::io::stderr())
        .map_err(|e| e.to_string())?;
    if summary.failed > 0 {
        return Err(format!(
            "{} of {} message(s) could not be taken in (named above)",
            summary.failed, summary.total
        ));
    }
    Ok(())
}

/// Delivers the outbox: what is due now and exit (`--once`), or until Ctrl-C or SIGTERM.
pub async fn work(settings: &Settings, once: bool, threads: usize) -> Outcome {
    let telemetry = telemetry::init(&settings.log, &settings.telemetry);
    let (room, custody) = mailroom_and_custody(settings)?;
    let transport = crate::mail::transport(settings).map_err(|e| e.to_string())?;
    let policy = crate::mail::policy(settings);
    if once {
        let worker = room.worker(transport, policy);
        let (sweep, notices, passes) = actix_web::rt::task::spawn_blocking(move || {
            // Reminders, lapses and contract notices are due work too, and
            // what they queue goes out now.
            let sweep = room
                .sweep(chrono::Utc::now().naive_utc())
                .map_err(|e| e.to_string())?;
            let notices = custody::vendor_notices::notify_contracts(
                &custody,
                chrono::Utc::now().date_naive(),
            )
            .map_err(|e| e.to_string())?;
            let passes = worker.drain().map_err(|e| e.to_string())?;
            Ok::<_, String>((sweep, notices, passes))
        })
        .await
        .map_err(|e| e.to_string())??;
        println!(
            "{} sent, {} to retry later, {} dead; {} reminder(s) queued, {} unconfirmed request(s) lapsed",
            passes.sent, passes.retrying, passes.dead, sweep.reminded, sweep.lapsed
        );
        if !notices.sent.is_empty() {
            println!(
                "{} vendor contract notice(s) queued to {} admin address(es)",
                notices.sent.len(),
                notices.emails()
            );
        }
        let _ = actix_web::rt::task::spawn_blocking(move || telemetry.shutdown()).await;
        return Ok(());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = crate::mail::spawn_workers(
        &room,
        transport,
        policy,
        threads.max(1),
        stop.clone(),
        Some(custody.clone()),
    );
    if settings.retention.daily() {
        // The same custody (one store, one keyring) as the delivery workers.
        handles.extend(crate::retention::spawn_daily(
            settings,
            custody,
            stop.clone(),
        ));
    }
    eprintln!(
        "delivering the outbox with {} thread(s); stop with Ctrl-C",
        handles.len()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    stop.store(true, Ordering::Relaxed);
    actix_web::rt::task::spawn_blocking(move || {
        for h in handles {
            let _ = h.join();
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}
