//! Anchored audit heads (#19): signed checkpoints of each library's audit
//! chain, written to three places the database's writer does not all
//! control: the `audit_checkpoints` table, an append-only JSON-lines file
//! (`audit.checkpoint_file`) and a log line. `custodian audit verify` checks
//! the chains against them. A thread inside `serve` makes them as they fall
//! due; `custodian audit checkpoint` makes one of every chain now.

use crate::settings::Settings;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDateTime;
use custody::audit::{self, Checkpoint, CheckpointKey, CheckpointSchedule};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use store::encryption::Keyring;
use store::{LibraryId, Store};

/// What a key derived from the ring is derived for (changing it orphans every checkpoint).
const DERIVE_PURPOSE: &str = "audit checkpoint v1";

/// The keys checkpoints are signed and checked with: the first signs.
///
/// `audit.checkpoint_key` (id `audit`) when set; the one derived from the
/// ring's index key (id `index`) always checks too, so checkpoints made
/// before the setting was added still verify.
pub fn keys(settings: &Settings, ring: &Keyring) -> Result<Vec<CheckpointKey>, String> {
    let derived = named("index", ring.derive_key(DERIVE_PURPOSE));
    let Some(own) = &settings.audit.checkpoint_key else {
        return Ok(vec![derived]);
    };
    let bytes: [u8; 32] = STANDARD
        .decode(own.expose().trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("audit.checkpoint_key: expected 32 bytes in base64")?;
    Ok(vec![named("audit", bytes), derived])
}

/// A key named by where it comes from and a fingerprint (the start of the
/// SHA-256 of a MAC under it), so that a checkpoint names the key it needs
/// and a verify run with other keys says so instead of calling it forged.
fn named(source: &str, key: [u8; 32]) -> CheckpointKey {
    use sha2::{Digest, Sha256};
    let print = Sha256::digest(
        CheckpointKey::new("", key)
            .sign(
                0,
                0,
                b"custodian-checkpoint-key-fingerprint".to_vec(),
                chrono::DateTime::UNIX_EPOCH.naive_utc(),
            )
            .signature,
    );
    CheckpointKey::new(&format!("{source}-{}", hex::encode(&print[..4])), key)
}

/// One line of the checkpoint file.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    library_id: i64,
    /// For the reader; the signature covers the id.
    library: String,
    seq: i64,
    head: String,
    #[serde(with = "store::time::rfc3339")]
    at: NaiveDateTime,
    key: String,
    signature: String,
}

/// Appends `c` to the checkpoint file as one JSON line, and waits for the disk.
pub fn append(path: &Path, slug: &str, c: &Checkpoint) -> Result<(), String> {
    let line = Line {
        library_id: c.library_id,
        library: slug.to_owned(),
        seq: c.seq,
        head: hex::encode(&c.head_hash),
        at: c.at,
        key: c.key_id.clone(),
        signature: hex::encode(&c.signature),
    };
    let mut text = serde_json::to_string(&line).map_err(|e| e.to_string())?;
    text.push('\n');
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        // One write of one line, so lines from two processes do not interleave.
        f.write_all(text.as_bytes())?;
        f.sync_data()
    };
    write().map_err(|e| format!("cannot append to {}: {e}", path.display()))
}

/// Every checkpoint in the file at `path`; a line that is not one is an error naming it.
pub fn read_file(path: &Path) -> Result<Vec<Checkpoint>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let bad = |why: String| {
            format!(
                "{} line {}: not a checkpoint ({why})",
                path.display(),
                n + 1
            )
        };
        let line: Line = serde_json::from_str(raw).map_err(|e| bad(e.to_string()))?;
        out.push(Checkpoint {
            library_id: line.library_id,
            seq: line.seq,
            head_hash: hex::decode(&line.head).map_err(|e| bad(e.to_string()))?,
            at: line.at,
            key_id: line.key,
            signature: hex::decode(&line.signature).map_err(|e| bad(e.to_string()))?,
        });
    }
    Ok(out)
}

/// When checkpoints fall due, from the settings.
pub fn schedule(settings: &Settings) -> CheckpointSchedule {
    CheckpointSchedule {
        every: settings.audit.checkpoint_every.max(1),
        max_age: chrono::Duration::hours(
            i64::try_from(settings.audit.checkpoint_hours.max(1)).unwrap_or(24),
        ),
    }
}

/// Makes the checkpoints due (every library's when `force`), each written to
/// the file, then the log, then the table; returns them with their library's slug.
pub fn run_once(
    store: &Store,
    settings: &Settings,
    key: &CheckpointKey,
    only: Option<&[(LibraryId, String)]>,
    force: bool,
) -> Result<Vec<(String, Checkpoint)>, String> {
    let targets: Vec<(LibraryId, String)> = match only {
        Some(t) => t.to_vec(),
        None => custody::libraries::all(store)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|l| (l.id, l.slug))
            .collect(),
    };
    let file = settings.checkpoint_file();
    let due = schedule(settings);
    let mut made = Vec::new();
    for (library, slug) in targets {
        let now = chrono::Utc::now().naive_utc();
        let mut publish = |c: &Checkpoint| {
            append(&file, &slug, c)?;
            // The third copy, for whoever collects the logs: no personal data, only the head.
            tracing::info!(
                target: "custodian::audit_checkpoint",
                library = %slug,
                library_id = c.library_id,
                seq = c.seq,
                head = %hex::encode(&c.head_hash),
                at = %c.at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                key = %c.key_id,
                signature = %hex::encode(&c.signature),
                "audit checkpoint"
            );
            Ok(())
        };
        let schedule = (!force).then_some(&due);
        match audit::checkpoint(store, library, key, schedule, now, &mut publish) {
            Ok(Some(c)) => made.push((slug, c)),
            Ok(None) => {}
            Err(e) => return Err(format!("{slug}: {e}")),
        }
    }
    Ok(made)
}

/// Starts the thread inside `serve` that makes checkpoints as they fall due; it stops when `stop` is set.
pub fn spawn(
    settings: &Settings,
    store: Store,
    key: CheckpointKey,
    stop: Arc<AtomicBool>,
) -> Option<JoinHandle<()>> {
    let settings = settings.clone();
    let every = Duration::from_secs(settings.audit.checkpoint_look_secs.max(1));
    let spawned = std::thread::Builder::new()
        .name("audit-checkpoints".into())
        .spawn(move || {
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    next = Instant::now() + every;
                    if let Err(e) = run_once(&store, &settings, &key, None, false) {
                        tracing::error!(error = %e, "audit checkpoints could not be made; the next look retries");
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
    match spawned {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::error!(error = %e, "the audit checkpoint thread could not start");
            None
        }
    }
}
