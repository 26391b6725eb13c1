//! The daily retention run inside `serve` and `custodian mail work`: a
//! thread of its own (the job blocks on the database, never on the async
//! executor) that runs the job once a day, one runner at a time across
//! processes (custody's lease decides which).

use custody::retention::{self, RunOptions};
use custody::{Custody, CustodyError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the runner looks whether a run is due.
const LOOK_EVERY: Duration = Duration::from_secs(600);

/// Starts the daily runner when `retention.schedule` is `daily`; it stops when `stop` is set.
pub fn spawn_daily(
    settings: &crate::settings::Settings,
    custody: Custody,
    stop: Arc<AtomicBool>,
) -> Option<JoinHandle<()>> {
    if !settings.retention.daily() {
        return None;
    }
    let (batch, workers) = (settings.retention.batch, settings.retention.workers);
    let spawned = std::thread::Builder::new()
        .name("retention".into())
        .spawn(move || {
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    next = Instant::now() + LOOK_EVERY;
                    once(&custody, batch, workers);
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
    match spawned {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::error!(error = %e, "the daily retention runner could not start");
            None
        }
    }
}

/// One look: runs the job on every library if a run is due and no one else runs it.
fn once(custody: &Custody, batch: usize, workers: usize) {
    match retention::daily_run_due(custody) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not tell whether retention is due; looking again later");
            return;
        }
    }
    let opts = RunOptions {
        apply: true,
        batch,
        workers,
        ..RunOptions::dry()
    };
    let mut batches = 0u64;
    match retention::run_exclusive(custody, &opts, &mut |_| batches += 1) {
        Ok(report) => {
            let (mut anonymized, mut deleted) = (0u64, 0u64);
            for lib in report.libraries.values() {
                for c in lib.kinds.values() {
                    anonymized += c.anonymized;
                    deleted += c.deleted;
                }
            }
            tracing::info!(
                libraries = report.libraries.len(),
                anonymized,
                deleted,
                batches,
                "daily retention run finished"
            );
        }
        Err(CustodyError::Conflict(_)) => {
            tracing::info!("another process is running retention; this one waits for tomorrow");
        }
        Err(e) => {
            tracing::warn!(error = %e, "the daily retention run failed; the next look retries it")
        }
    }
}
