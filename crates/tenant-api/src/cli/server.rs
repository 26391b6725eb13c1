//! `custodian serve`, `migrate` and `seed-demo`: the server and its database.

use super::{open_store, Outcome};
use crate::settings::Settings;
use crate::startup::{self, Application};
use crate::{demo, telemetry};

/// Runs the HTTP server until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> Outcome {
    let telemetry = telemetry::init(&settings.log, &settings.telemetry);
    let embedded = settings.database.url.is_none();
    let app = Application::build(settings.clone())
        .await
        .map_err(|e| e.to_string())?;
    let url = app.url();
    if let Some(sip2) = app.sip2_address() {
        tracing::info!(address = %sip2, "custodian sip2 listening");
        println!("custodian sip2 listening on {sip2}");
    }
    if let Some(metrics) = app.metrics_address() {
        tracing::info!(address = %metrics, "custodian metrics listening");
        println!("custodian metrics listening on http://{metrics}/metrics");
    }
    tracing::info!(%url, backend = if embedded { "sqlite (embedded)" } else { "configured" }, "custodian listening");
    println!("custodian listening on {url}");
    println!("Open {url}/ in a browser. Stop with Ctrl-C.");
    let served = app.run_until_stopped().await;
    tracing::info!("custodian stopped");
    // The spans of the last requests go out before the process ends.
    let _ = actix_web::rt::task::spawn_blocking(move || telemetry.shutdown()).await;
    served.map_err(|e| e.to_string())?;
    Ok(())
}

/// Applies pending migrations and names each one applied.
pub fn migrate(settings: &Settings) -> Outcome {
    let applied = startup::migrate(settings).map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for v in &applied {
            println!("applied {v}");
        }
        println!("{} migration(s) applied.", applied.len());
    }
    Ok(())
}

/// Seeds the demo consortium and prints its passwords once.
pub fn seed_demo(settings: &Settings) -> Outcome {
    let store = open_store(settings)?;
    let creds = demo::seed(&store).map_err(|e| e.to_string())?;
    if let Some(warning) = settings.public_url_warning() {
        eprintln!("warning: {warning}");
    }
    let base = settings.public_base(None);
    demo::print(&creds, &base);
    Ok(())
}
