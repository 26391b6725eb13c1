//! `custodian audit verify`: re-computes the libraries' hash chains.

use super::{no_such_library, open_store, Outcome};
use crate::settings::Settings;
use custody::libraries;
use custody::CustodyError;

/// Verifies one library's chain (by slug) or every library's; `Err` when any is broken.
pub fn verify(settings: &Settings, only: Option<&str>) -> Outcome {
    let store = open_store(settings)?;
    let targets = match only {
        Some(slug) => libraries::by_slug(&store, slug).map(|l| vec![l]),
        None => libraries::all(&store),
    }
    .map_err(|e| match e {
        CustodyError::NotFound => no_such_library(only),
        other => other.to_string(),
    })?;
    let mut broken = 0;
    for library in &targets {
        let v = libraries::verify_audit_chain(&store, library.id).map_err(|e| e.to_string())?;
        match v.first_break {
            None => println!("{}: {} entries, chain intact", library.slug, v.entries),
            Some(b) => {
                broken += 1;
                println!(
                    "{}: BROKEN at entry {} ({}); {} entries read",
                    library.slug, b.seq, b.reason, v.entries
                );
            }
        }
    }
    if broken > 0 {
        return Err(format!(
            "{broken} of {} audit chain(s) are broken",
            targets.len()
        ));
    }
    println!("{} audit chain(s) verified.", targets.len());
    Ok(())
}
