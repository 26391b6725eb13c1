//! `custodian privacy-policy notify`: finishes notices a crash interrupted.

use super::Outcome;
use crate::settings::Settings;

/// Queues what is left of every notice; returns how many messages it queued.
pub fn run(settings: &Settings) -> Result<u64, String> {
    let (_, custody) = super::mail::mailroom_and_custody(settings)?;
    custody::privacy_policy::resume_notices(&custody).map_err(|e| e.to_string())
}

/// Queues what is left and prints the count; the outbox workers deliver it.
pub async fn notify(settings: &Settings) -> Outcome {
    let settings = settings.clone();
    // The database work blocks: off the runtime's thread.
    let queued = actix_web::rt::task::spawn_blocking(move || run(&settings))
        .await
        .map_err(|e| e.to_string())??;
    println!("{queued} privacy policy notice(s) queued; the outbox delivers them.");
    Ok(())
}
