//! Logging, and the request id and span every request carries.
//!
//! Log lines carry the route pattern (`/api/v1/libraries/{library}/staff`),
//! never the concrete path or query string, which could hold a card number or
//! a patron's name.

use crate::settings::LogSettings;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use rand::RngCore;
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: human-readable text, or JSON lines.
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if log.format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
}

/// The id of the HTTP request being served (not a disclosure request nor a
/// patron's emailed correction request, the other two "requests").
#[derive(Clone, Debug)]
pub struct HttpRequestId(pub String);

/// The header carrying the HTTP request id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

fn request_id(req: &ServiceRequest) -> String {
    // Accept a proxy's id if it is short and plain, else make one.
    if let Some(v) = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()) {
        if !v.is_empty()
            && v.len() <= 64
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return v.to_owned();
        }
    }
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Middleware: a span per request with its id, one log line when it ends, and the id on the response.
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    let route = req.match_pattern().unwrap_or_else(|| "(unmatched)".into());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    req.extensions_mut().insert(HttpRequestId(id.clone()));
    let started = Instant::now();
    async move {
        let mut res = next.call(req).await?;
        let status = res.status().as_u16();
        let secs = started.elapsed().as_secs_f64();
        let ms = secs * 1000.0;
        crate::metrics::request(&route, &method, status, secs);
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static(REQUEST_ID), value);
        }
        if status >= 500 {
            tracing::warn!(status, elapsed_ms = ms, "request finished");
        } else {
            tracing::info!(status, elapsed_ms = ms, "request finished");
        }
        Ok(res)
    }
    .instrument(span)
    .await
}
