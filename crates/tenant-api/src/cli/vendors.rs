//! `custodian vendors notify`: the contract-end notices, now.

use super::Outcome;
use crate::settings::Settings;
use custody::vendor_notices::{ContractNoticeKind, NoticeReport};

/// Queues the contract notices due on `today` and returns what was sent;
/// the outbox workers (`serve`, `mail work`) deliver them.
pub fn run(settings: &Settings, today: chrono::NaiveDate) -> Result<NoticeReport, String> {
    let (_, custody) = super::mail::mailroom_and_custody(settings)?;
    custody::vendor_notices::notify_contracts(&custody, today).map_err(|e| e.to_string())
}

/// Queues the notices due today and prints one line a notice, then the counts.
pub async fn notify(settings: &Settings) -> Outcome {
    let settings = settings.clone();
    // The database work blocks: off the runtime's thread.
    let report = actix_web::rt::task::spawn_blocking(move || {
        run(&settings, chrono::Utc::now().date_naive())
    })
    .await
    .map_err(|e| e.to_string())??;
    for s in &report.sent {
        let what = match s.kind {
            ContractNoticeKind::EndsSoon => "ends on",
            ContractNoticeKind::Ended => "ended on",
        };
        println!(
            "{}: vendor {} ({}) {what} {}: told {} admin(s)",
            s.library, s.vendor_id, s.vendor, s.contract_ends, s.admins
        );
    }
    if report.waiting_for_admin > 0 {
        println!(
            "{} contract(s) due a notice wait: their library has no admin to tell; add one and run this again",
            report.waiting_for_admin
        );
    }
    println!(
        "{} \"ends soon\" and {} \"ended\" notice(s) queued, {} email(s) in all; the outbox delivers them.",
        report.ends_soon(),
        report.ended(),
        report.emails()
    );
    Ok(())
}
