//! Prometheus metrics on a listener of their own (`metrics.bind`), for the
//! operator: requests by route pattern and status with latency, sign-in
//! failures and throttles, the outbox, inbound mail, retention, the pool and
//! the directory cache's hits and misses.
//!
//! Labels are route patterns (`/api/v1/libraries/{library}/patrons`), kinds and
//! states: never a concrete path, a library's patron, an address or a card.

use crate::state::AppState;
use actix_web::{web, App, HttpResponse, HttpServer};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static ON: AtomicBool = AtomicBool::new(false);

/// Request latency buckets, in seconds: a cached read to a slow page.
const LATENCY: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder, installed on first use (a second server in the
/// same process, as in tests, shares it).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("custodian_http_request_duration_seconds".into()),
                    LATENCY,
                )
                .and_then(PrometheusBuilder::install_recorder);
            match built {
                Ok(h) => {
                    describe();
                    ON.store(true, Ordering::Relaxed);
                    Some(h)
                }
                Err(e) => {
                    tracing::error!(error = %e, "metrics could not start; /metrics will be empty");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "custodian_http_requests_total",
        "HTTP requests answered, by route pattern, method and status"
    );
    describe_histogram!(
        "custodian_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern and method"
    );
    describe_counter!(
        "custodian_sign_in_failures_total",
        "Sign-ins refused for a wrong secret, by kind (account or patron)"
    );
    describe_counter!(
        "custodian_sign_in_throttled_total",
        "Sign-ins refused because too many failed first, by kind"
    );
    describe_gauge!("custodian_outbox_messages", "Outbox messages, by state");
    describe_gauge!(
        "custodian_outbox_oldest_waiting_seconds",
        Unit::Seconds,
        "Age of the oldest message waiting for delivery (0 when none)"
    );
    describe_gauge!(
        "custodian_outbox_dead_letters",
        "Messages that could not be delivered and wait for the director"
    );
    describe_gauge!(
        "custodian_inbound_messages",
        "Inbound messages taken in, by outcome"
    );
    describe_gauge!(
        "custodian_retention_lag_seconds",
        Unit::Seconds,
        "Time since the library whose last applied retention run is oldest had it"
    );
    describe_gauge!(
        "custodian_retention_libraries_never_run",
        "Libraries that have never had an applied retention run"
    );
    describe_gauge!(
        "custodian_db_pool_connections",
        "Open database connections in this process's pool, by state (busy or idle)"
    );
    describe_counter!(
        "custodian_directory_cache_hits_total",
        "Directory reads answered from the cache, by kind (search, library, export)"
    );
    describe_counter!(
        "custodian_directory_cache_misses_total",
        "Directory reads the cache did not have, so loaded or waited for a load, by kind"
    );
    describe_gauge!(
        "custodian_metrics_snapshot_ok",
        "1 when the last scrape could read the database, else 0"
    );
}

/// Whether metrics are being recorded (the listener is on).
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Counts one answered request.
pub fn request(route: &str, method: &str, status: u16, secs: f64) {
    if !on() {
        return;
    }
    let (route, method) = (route.to_owned(), method.to_owned());
    metrics::counter!("custodian_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("custodian_http_request_duration_seconds", "route" => route, "method" => method).record(secs);
}

/// Counts a refused sign-in: a wrong secret (`throttled` false) or too many failures first.
pub fn sign_in_refused(kind: &'static str, throttled: bool) {
    if !on() {
        return;
    }
    if throttled {
        metrics::counter!("custodian_sign_in_throttled_total", "kind" => kind).increment(1);
    } else {
        metrics::counter!("custodian_sign_in_failures_total", "kind" => kind).increment(1);
    }
}

fn set_gauges(s: &custody::operations::Snapshot) {
    let mut dead = 0;
    for state in ["pending", "sending", "sent", "dead", "expired"] {
        let n = s
            .outbox
            .iter()
            .find(|(st, _)| st == state)
            .map_or(0, |(_, n)| *n);
        if state == "dead" {
            dead = n;
        }
        metrics::gauge!("custodian_outbox_messages", "state" => state).set(n as f64);
    }
    metrics::gauge!("custodian_outbox_dead_letters").set(dead as f64);
    metrics::gauge!("custodian_outbox_oldest_waiting_seconds").set(s.oldest_waiting_secs);
    for outcome in ["request", "auto_reply", "bounce"] {
        let n = s
            .inbound
            .iter()
            .find(|(o, _)| o == outcome)
            .map_or(0, |(_, n)| *n);
        metrics::gauge!("custodian_inbound_messages", "outcome" => outcome).set(n as f64);
    }
    metrics::gauge!("custodian_retention_lag_seconds").set(s.retention_lag_secs.unwrap_or(0.0));
    metrics::gauge!("custodian_retention_libraries_never_run").set(s.retention_never_run as f64);
    let (open, idle) = s.pool;
    metrics::gauge!("custodian_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("custodian_db_pool_connections", "state" => "busy")
        .set(f64::from(open.saturating_sub(idle)));
}

/// The directory cache's hit and miss counts, kept as relaxed atomics in the
/// cache itself (two adds at most on a read) and copied here at scrape time.
fn set_directory_cache(cache: &directory::cache::Cache) {
    for (kind, hits, misses) in cache.stats_by_kind() {
        let kind = kind.label();
        metrics::counter!("custodian_directory_cache_hits_total", "kind" => kind).absolute(hits);
        metrics::counter!("custodian_directory_cache_misses_total", "kind" => kind)
            .absolute(misses);
    }
}

/// `GET /metrics`: the figures read now, in Prometheus text.
async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    set_directory_cache(state.directory.cache());
    let custody = state.custody.clone();
    let snap = web::block(move || custody::operations::snapshot(&custody)).await;
    match snap {
        Ok(Ok(s)) => {
            set_gauges(&s);
            metrics::gauge!("custodian_metrics_snapshot_ok").set(1.0);
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: the database could not be read for this scrape");
            metrics::gauge!("custodian_metrics_snapshot_ok").set(0.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the scrape's read did not run");
            metrics::gauge!("custodian_metrics_snapshot_ok").set(0.0);
        }
    }
    let body = handle().map_or_else(String::new, |h| {
        h.run_upkeep();
        h.render()
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(body)
}

/// Starts the metrics listener on `listener` with one worker; stopped with the app.
pub fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
) -> std::io::Result<actix_web::dev::Server> {
    handle();
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}
