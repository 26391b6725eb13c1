//! `custodian audit verify`: re-computes the libraries' hash chains and checks
//! them against their signed checkpoints; `custodian audit checkpoint` makes one now.

use super::{no_such_library, open_store, Outcome};
use crate::anchors;
use crate::settings::Settings;
use custody::audit::{Checkpoint, Finding};
use custody::libraries::{self, Library};
use custody::CustodyError;
use std::path::Path;

fn t(at: &chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn targets(store: &store::Store, only: Option<&str>) -> Result<Vec<Library>, String> {
    match only {
        Some(slug) => libraries::by_slug(store, slug).map(|l| vec![l]),
        None => libraries::all(store),
    }
    .map_err(|e| match e {
        CustodyError::NotFound => no_such_library(only),
        other => other.to_string(),
    })
}

fn describe(f: &Finding) -> String {
    match f {
        Finding::Broken(b) => format!("BROKEN at entry {} ({})", b.seq, b.reason),
        Finding::Forged { seq, at } => format!(
            "FORGED CHECKPOINT: the checkpoint of {} at entry {seq} does not carry a signature of this installation's checkpoint key",
            t(at)
        ),
        Finding::UnknownKey { seq, at, key_id } => format!(
            "UNCHECKED CHECKPOINT: the checkpoint of {} at entry {seq} names the key {key_id:?}, which this configuration does not have (run verify with the keys the server runs with)",
            t(at)
        ),
        Finding::Truncated {
            last_seq,
            checkpoint_seq,
            at,
        } => format!(
            "TRUNCATED: the chain ends at entry {last_seq} but the checkpoint of {} saw entry {checkpoint_seq}: {} entries were cut off",
            t(at),
            checkpoint_seq - last_seq
        ),
        Finding::Rewritten { seq, at, last_good } => format!(
            "REWRITTEN: entry {seq} is not the entry the checkpoint of {} signed; the tail after {} was written again",
            t(at),
            match last_good {
                Some(s) => format!("entry {s}"),
                None => "the start".into(),
            }
        ),
    }
}

/// Verifies one library's chain (by slug) or every library's, against the
/// checkpoints in `checkpoints` (the operator's file) or else the table; `Err` when any is broken.
pub fn verify(settings: &Settings, only: Option<&str>, checkpoints: Option<&Path>) -> Outcome {
    let store = open_store(settings)?;
    let targets = targets(&store, only)?;
    let (ring, _) = crate::keys::load(settings)?;
    let keys = anchors::keys(settings, &ring)?;
    let from_file = checkpoints.map(anchors::read_file).transpose()?;
    let mut broken = 0;
    for library in &targets {
        let anchors: Vec<Checkpoint> = match &from_file {
            Some(all) => all.clone(),
            None => {
                custody::audit::stored_checkpoints(&store, library.id).map_err(|e| e.to_string())?
            }
        };
        let v = custody::audit::verify_anchored(&store, library.id, &anchors, &keys)
            .map_err(|e| e.to_string())?;
        if v.findings.is_empty() {
            let anchored = match &v.anchor {
                Some(c) => format!(
                    "; matches the checkpoint of {} at entry {} ({} checkpoint(s) checked)",
                    t(&c.at),
                    c.seq,
                    v.signed
                ),
                None => "; no checkpoint yet".into(),
            };
            println!(
                "{}: {} entries, chain intact{anchored}",
                library.slug, v.chain.entries
            );
            continue;
        }
        broken += 1;
        for f in &v.findings {
            println!(
                "{}: {}; {} entries read",
                library.slug,
                describe(f),
                v.chain.entries
            );
        }
    }
    if broken > 0 {
        return Err(format!(
            "{broken} of {} audit chain(s) are broken",
            targets.len()
        ));
    }
    let source = match checkpoints {
        Some(p) => format!(" against the checkpoints in {}", p.display()),
        None => " against the stored checkpoints".into(),
    };
    println!("{} audit chain(s) verified{source}.", targets.len());
    Ok(())
}

/// Makes a signed checkpoint of one library's chain or every library's now:
/// into the checkpoint file, the log and the table.
pub fn checkpoint(settings: &Settings, only: Option<&str>) -> Outcome {
    let store = open_store(settings)?;
    let targets: Vec<_> = targets(&store, only)?
        .into_iter()
        .map(|l| (l.id, l.slug))
        .collect();
    let (ring, _) = crate::keys::load(settings)?;
    let keys = anchors::keys(settings, &ring)?;
    let key = keys.first().ok_or("no checkpoint key")?;
    let made = anchors::run_once(&store, settings, key, Some(&targets), true)?;
    for (slug, c) in &made {
        println!(
            "{slug}: checkpoint at entry {} ({}), head {}",
            c.seq,
            t(&c.at),
            hex::encode(&c.head_hash)
        );
    }
    println!(
        "{} checkpoint(s) appended to {}.",
        made.len(),
        settings.checkpoint_file().display()
    );
    Ok(())
}
