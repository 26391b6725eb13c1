//! Logging, and the request id and span every request carries.
//!
//! Log lines carry the route pattern (`/api/v1/libraries/{library}/staff`),
//! never the concrete path or query string, which could hold a card number or
//! a patron's name.

use crate::settings::{LogSettings, TelemetrySettings};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use rand::RngCore;
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// The trace exporter, when one runs; flush it with [`Telemetry::shutdown`] before exit.
#[derive(Default)]
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered and stops the exporter (blocking: call it off the async threads).
    pub fn shutdown(self) {
        if let Some(p) = self.provider {
            if let Err(e) = p.shutdown() {
                tracing::warn!(error = %e, "traces: the last spans could not be sent");
            }
        }
    }
}

static TRACING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans go to an OTLP collector.
pub fn exporting() -> bool {
    TRACING.load(std::sync::atomic::Ordering::Relaxed)
}

fn exporter(url: &str) -> Option<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig;
    let built = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(url)
        .with_timeout(std::time::Duration::from_secs(5))
        .build();
    match built {
        Ok(exporter) => Some(
            opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name("custodian")
                        .build(),
                )
                .build(),
        ),
        Err(e) => {
            eprintln!("telemetry.otlp_endpoint: traces are off, the exporter did not start: {e}");
            None
        }
    }
}

/// Installs the global subscriber: human-readable text, or JSON lines; and,
/// when `telemetry` names a collector, spans over OTLP/HTTP.
pub fn init(log: &LogSettings, telemetry: &TelemetrySettings) -> Telemetry {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer as _;
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    // The blocking HTTP client must not be made (or later dropped) on an
    // async thread; the batch exporter then sends from a thread of its own.
    let provider = telemetry.traces_url().and_then(|url| {
        std::thread::spawn(move || exporter(&url))
            .join()
            .ok()
            .flatten()
    });
    // `log.level` filters the log lines only: an operator who quiets the log
    // to warn still gets every request's span (they are at info) over OTLP.
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("custodian"))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(otel);
    // A second init (tests) is harmless: the first subscriber stays.
    let installed = if log.format == "json" {
        registry
            .with(
                fmt.json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_filter(filter),
            )
            .try_init()
    } else {
        registry
            .with(
                fmt.with_target(false)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_filter(filter),
            )
            .try_init()
    };
    if installed.is_ok() && provider.is_some() {
        TRACING.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Telemetry { provider }
}

/// Runs `f` in `span`; mail queued meanwhile remembers the span, so its
/// delivery links back to this trace (only while traces are exported).
pub fn in_span<R>(span: tracing::Span, f: impl FnOnce() -> R) -> R {
    let parent = exporting().then(|| traceparent(&span)).flatten();
    store::outbox::with_trace_parent(parent, || span.in_scope(f))
}

/// The W3C `traceparent` of `span`, if it is part of an exported trace.
fn traceparent(span: &tracing::Span) -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let cx = span.context();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        )
    })
}

/// The id of the HTTP request being served (not a disclosure request nor a
/// patron's emailed correction request, the other two "requests").
#[derive(Clone, Debug)]
pub struct HttpRequestId(pub String);

/// The header carrying the HTTP request id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// A proxy's request id if it is short and plain.
fn request_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    (!v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| v.to_owned())
}

/// A new request id: 16 random bytes in hex, the size of a trace id.
fn fresh_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Middleware: a span per request with its id, one log line when it ends, and the id on the response.
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let offered = request_id(&req);
    let route = req.match_pattern().unwrap_or_else(|| "(unmatched)".into());
    let method = req.method().to_string();
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        request_id = tracing::field::Empty,
        method = %method,
        route = %route,
        library = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    // With traces on, a request id made here is the trace's id, so a line in
    // the log and a trace in the collector are found by the same value.
    let id = match offered {
        Some(id) => id,
        None if exporting() => {
            use opentelemetry::trace::TraceContextExt as _;
            use tracing_opentelemetry::OpenTelemetrySpanExt as _;
            let trace = span.context().span().span_context().trace_id();
            if trace == opentelemetry::trace::TraceId::INVALID {
                fresh_id()
            } else {
                trace.to_string()
            }
        }
        None => fresh_id(),
    };
    span.record("request_id", id.as_str());
    req.extensions_mut().insert(HttpRequestId(id.clone()));
    let started = Instant::now();
    async move {
        let mut res = next.call(req).await?;
        let status = res.status().as_u16();
        let current = tracing::Span::current();
        current.record("http.response.status_code", status);
        // Routing has filled the path's parameters by now. A library's slug is
        // public (the directory shows it); nothing else of the path is kept.
        let info = res.request().match_info();
        if let Some(l) = info.get("library").or_else(|| info.get("slug")) {
            current.record("library", l);
        }
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
