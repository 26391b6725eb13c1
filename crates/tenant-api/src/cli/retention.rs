//! `custodian retention run`: what retention would do (or, with `--apply`,
//! does) to records past their library's periods.

use super::{no_such_library, open_store, Outcome};
use crate::settings::Settings;
use custody::retention::{self, Report, RunOptions};
use custody::{Custody, CustodyError};
use std::io::Write;
use std::sync::Arc;

/// The custody a command outside `serve` works with.
pub fn custody(settings: &Settings) -> Result<Custody, String> {
    let store = open_store(settings)?;
    let (keys, _) = crate::keys::load(settings)?;
    let policies = custody::Policies::load()?;
    Ok(Custody::new(store, Arc::new(keys), Arc::new(policies)))
}

/// Runs retention once, a progress line per batch on stderr, the report on stdout.
pub fn run(settings: &Settings, apply: bool, library: Option<&str>, json: bool) -> Outcome {
    let custody = custody(settings)?;
    let opts = RunOptions {
        apply,
        library: library.map(str::to_owned),
        batch: settings.retention.batch,
        workers: settings.retention.workers,
        ..RunOptions::dry()
    };
    let verb = if apply { "done" } else { "due" };
    let mut err = std::io::stderr();
    let report = retention::run_exclusive(&custody, &opts, &mut |p| {
        // A closed stderr must not stop the work.
        let _ = writeln!(
            err,
            "retention: {} {}: {} {verb} in this batch, {} so far",
            p.library, p.kind, p.count, p.total
        );
    })
    .map_err(|e| match e {
        CustodyError::NotFound => no_such_library(library),
        other => other.to_string(),
    })?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}

/// The report as a plain table, one line per library and kind or place.
pub fn table(report: &Report) -> String {
    let mut out = format!(
        "{:<16} {:<28} {:>11} {:>9}\n",
        "library", "kind", "anonymized", "deleted"
    );
    for (slug, lib) in &report.libraries {
        for (kind, c) in &lib.kinds {
            out.push_str(&format!(
                "{slug:<16} {kind:<28} {:>11} {:>9}\n",
                c.anonymized, c.deleted
            ));
        }
        for (place, n) in &lib.copies {
            out.push_str(&format!("{slug:<16} {place:<28} {:>11} {n:>9}\n", "-"));
        }
    }
    for (place, n) in &report.consortium {
        out.push_str(&format!(
            "{:<16} {place:<28} {:>11} {n:>9}\n",
            "(consortium)", "-"
        ));
    }
    if report.dry_run {
        out.push_str("Dry run: nothing was changed. Run again with --apply to do it.\n");
    }
    out
}
