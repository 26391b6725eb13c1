//! `custodian directory import`: loads the IMLS outlet file.

use super::{open_store, Outcome};
use crate::settings::Settings;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Imports the CSV at `path`, reporting progress on standard error and the counts on standard output.
pub async fn import(settings: &Settings, path: &Path) -> Outcome {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (outlets, skipped) = directory::import::read(std::io::BufReader::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for s in &skipped {
        eprintln!("line {}: skipped: {}", s.line, s.why);
    }
    let store = open_store(settings)?;
    let report = directory::import::import(&store, outlets, skipped, |done, total| {
        eprint!("\rimporting outlets: {done}/{total}");
        let _ = std::io::stderr().flush();
    })
    .map_err(|e| e.to_string())?;
    eprintln!();
    for (line, first) in &report.merged {
        println!("line {line}: the same outlet as line {first}; merged");
    }
    println!(
        "{} rows read: {} outlets added, {} updated, {} unchanged, {} repeated rows merged, {} rows skipped.",
        report.rows,
        report.inserted,
        report.updated,
        report.unchanged,
        report.merged.len(),
        report.skipped.len()
    );
    // A server with Redis shares its cache, so it must hear what changed; an
    // in-process cache lives in the server and refreshes within its TTL.
    if let (Some(url), false) = (&settings.redis.url, report.changed_ids.is_empty()) {
        let conn = redis::Client::open(url.expose())
            .map_err(|e| format!("redis.url: {e}"))?
            .get_connection_manager()
            .await
            .map_err(|e| format!("redis.url: {e}"))?;
        let cache = directory::Cache::redis(conn, &settings.redis.key_prefix);
        let service = directory::Directory::new(store.clone(), Arc::new(cache), "");
        service.imported(&report).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}
