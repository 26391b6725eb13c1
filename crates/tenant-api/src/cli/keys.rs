//! `custodian keys rotate`: everything sealed brought under the current key,
//! and patrons' fields under their own keys; a progress line per batch on
//! stderr, the summary on stdout.

use super::retention::custody;
use super::{no_such_library, Outcome};
use crate::settings::Settings;
use custody::keys::{self, RotateOptions, Rotation};
use custody::CustodyError;
use std::io::Write;

/// Runs the rotation once; a rerun continues where a stopped one ended.
pub fn rotate(settings: &Settings, library: Option<&str>, batch: i64, json: bool) -> Outcome {
    let custody = custody(settings)?;
    let opts = RotateOptions {
        library: library.map(str::to_owned),
        batch,
    };
    let mut err = std::io::stderr();
    let report = keys::rotate(&custody, &opts, &mut |p| {
        // A closed stderr must not stop the work.
        let _ = writeln!(
            err,
            "keys rotate: {} {} {}/{}",
            p.library, p.stage, p.done, p.total
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

/// The summary as a plain table, one line per library.
pub fn table(report: &Rotation) -> String {
    let mut out = format!(
        "{:<16} {:>11} {:>9} {:>9} {:>7} {:>14}\n",
        "library", "patron keys", "patrons", "consents", "other", "orphans erased"
    );
    for (slug, r) in &report.libraries {
        out.push_str(&format!(
            "{slug:<16} {:>11} {:>9} {:>9} {:>7} {:>14}\n",
            r.patron_keys, r.patrons, r.consents, r.other, r.orphan_keys_erased
        ));
    }
    let nothing = report.libraries.values().all(|r| r.is_empty());
    if nothing {
        out.push_str(&format!(
            "Nothing to do: everything is sealed under key {:?}.\n",
            report.current_key
        ));
    } else {
        out.push_str(&format!(
            "Everything is now sealed under key {:?}; old keys may be removed from encryption.keys.\n",
            report.current_key
        ));
    }
    out
}
