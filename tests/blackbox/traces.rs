//! Traces over OTLP (#17) against the real binary: a receiver on loopback
//! decodes what custodian sends and checks the spans carry route patterns,
//! statuses and library slugs, and no one's name, email or card number.

use crate::blackbox::harness::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// An OTLP/HTTP receiver: every POSTed body, decoded, arrives on the channel.
fn receiver() -> (String, mpsc::Receiver<ExportTraceServiceRequest>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (send, got) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let send = send.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = l.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if let Ok(req) = ExportTraceServiceRequest::decode(body.as_slice()) {
                        let _ = send.send(req);
                    }
                    let _ = writer.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
                    );
                }
            });
        }
    });
    (url, got)
}

fn text(v: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| text(&a.value))
}

/// Every span the receiver got until it has been quiet for 3 s, with its service name.
fn collect(got: &mpsc::Receiver<ExportTraceServiceRequest>) -> Vec<(String, Span)> {
    let mut spans: Vec<(String, Span)> = Vec::new();
    while let Ok(req) = got.recv_timeout(Duration::from_secs(3)) {
        for rs in req.resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .map(|a| text(&a.value))
                .unwrap_or_default();
            for ss in rs.scope_spans {
                for s in ss.spans {
                    spans.push((service.clone(), s));
                }
            }
        }
    }
    spans
}

#[test]
fn spans_reach_an_otlp_receiver_with_routes_and_statuses_and_no_personal_data() {
    for backend in backends() {
        let on = format!("{backend:?}");
        let (url, got) = receiver();
        // A log quieted to warn still exports the (info) request spans.
        let mut server = Server::start(
            backend,
            &[
                ("CUSTODIAN__TELEMETRY__OTLP_ENDPOINT", &url),
                ("CUSTODIAN__LOG__LEVEL", "warn"),
            ],
        );
        let health = get(&server.url("/healthz"), None);
        assert_eq!(health.status, 200, "{on}");
        let health_id = health.header("x-request-id").unwrap_or_default().to_owned();
        let admin = server.sign_in("admin.riverbend@demo.custodian.test");
        let (card, name, email) = (
            "21000888001",
            "Tracey Spanner",
            "tracey.spanner@example.org",
        );
        register(
            &server,
            &admin,
            "riverbend",
            serde_json::json!({"card_number": card, "pin": "2468", "name": name, "email": email, "birth_date": "1980-01-01"}),
        );
        let status = server.terminate();
        assert!(status.success(), "{on}: {status}");

        let spans = collect(&got);
        assert!(!spans.is_empty(), "{on}: no spans arrived");
        assert!(
            spans.iter().all(|(svc, _)| svc == "custodian"),
            "{on}: service name"
        );

        let healthz = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.name == "GET /healthz")
            .unwrap_or_else(|| panic!("{on}: no span for /healthz"));
        assert_eq!(attr(healthz, "route").as_deref(), Some("/healthz"), "{on}");
        assert_eq!(
            attr(healthz, "http.response.status_code").as_deref(),
            Some("200"),
            "{on}"
        );
        // The request id a client sees is the trace's id.
        assert_eq!(hex::encode(&healthz.trace_id), health_id, "{on}");

        let register = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.name == "POST /api/v1/libraries/{library}/patrons")
            .unwrap_or_else(|| panic!("{on}: no span for registering a patron"));
        assert_eq!(
            attr(register, "library").as_deref(),
            Some("riverbend"),
            "{on}"
        );
        assert_eq!(
            attr(register, "http.response.status_code").as_deref(),
            Some("201"),
            "{on}"
        );
        // Its domain call and database work are its children, in its trace.
        let domain = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.name == "domain" && s.parent_span_id == register.span_id)
            .unwrap_or_else(|| panic!("{on}: no domain span under the registration"));
        assert!(
            spans.iter().any(|(_, s)| s.name == "db.transaction"
                && s.trace_id == register.trace_id
                && s.parent_span_id == domain.span_id),
            "{on}: no database span under the domain call"
        );

        for (_, s) in &spans {
            let mut values: Vec<String> = s.attributes.iter().map(|a| text(&a.value)).collect();
            values.push(s.name.clone());
            for e in &s.events {
                values.push(e.name.clone());
                values.extend(e.attributes.iter().map(|a| text(&a.value)));
            }
            for v in values {
                for secret in [card, name, email, "Tracey"] {
                    assert!(
                        !v.contains(secret),
                        "{on}: {secret:?} in span {:?}: {v:?}",
                        s.name
                    );
                }
            }
        }
    }
}

/// A trace continues across the outbox: the span delivering a message links
/// to the request that queued it, though it runs later, on a worker thread.
#[test]
fn a_delivery_span_links_to_the_request_that_queued_the_message() {
    const TOKEN: &str = "gateway-token-0123456789abcdef";
    for backend in backends() {
        let on = format!("{backend:?}");
        let (url, got) = receiver();
        let mut server = Server::start(
            backend,
            &[
                ("CUSTODIAN__TELEMETRY__OTLP_ENDPOINT", &url),
                ("CUSTODIAN__MAIL__INBOUND_TOKEN", TOKEN),
                ("CUSTODIAN__MAIL__POLL_SECS", "1"),
            ],
        );
        let admin = server.sign_in("admin.riverbend@demo.custodian.test");
        let email = "linda.linkwell@example.org";
        register(
            &server,
            &admin,
            "riverbend",
            serde_json::json!({"card_number": "21000888002", "pin": "2468", "name": "Linda Linkwell", "email": email, "birth_date": "1980-01-01"}),
        );
        let raw = format!(
            "From: Linda Linkwell <{email}>\r\nTo: director@evergreen.example.org\r\nSubject: Please delete my library account\r\nMessage-ID: <trace-1@mail.example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease delete my account.\r\n"
        );
        let queued = post_raw_auth(
            &server.url("/api/v1/director/inbound-mail"),
            TOKEN,
            "message/rfc822",
            &raw,
        );
        assert_eq!(queued.status, 201, "{on}: {:?}", queued.body);
        let request_trace = queued.header("x-request-id").unwrap_or_default().to_owned();
        // The confirmation asked of the patron is delivered to the outbox folder.
        let outbox = server
            .log_path
            .parent()
            .unwrap()
            .join("data")
            .join("outbox");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::fs::read_dir(&outbox).map_or(0, |d| d.count()) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{on}: nothing was delivered"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let status = server.terminate();
        assert!(status.success(), "{on}: {status}");

        let spans = collect(&got);
        let request = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.name == "POST /api/v1/director/inbound-mail")
            .unwrap_or_else(|| panic!("{on}: no span for the inbound message"));
        assert_eq!(hex::encode(&request.trace_id), request_trace, "{on}");
        let delivery = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| {
                s.name == "mail.deliver"
                    && s.links
                        .iter()
                        .any(|l| hex::encode(&l.trace_id) == request_trace)
            })
            .unwrap_or_else(|| {
                panic!(
                    "{on}: no delivery span links to the request; delivery spans: {:?}",
                    spans
                        .iter()
                        .filter(|(_, s)| s.name == "mail.deliver")
                        .map(|(_, s)| s.links.len())
                        .collect::<Vec<_>>()
                )
            });
        // Its own trace, begun by the worker; the link names a span of the request's trace.
        assert!(
            delivery.parent_span_id.is_empty(),
            "{on}: delivery has a parent"
        );
        assert_ne!(delivery.trace_id, request.trace_id, "{on}");
        let link = delivery
            .links
            .iter()
            .find(|l| hex::encode(&l.trace_id) == request_trace)
            .unwrap();
        assert!(
            spans
                .iter()
                .any(|(_, s)| s.trace_id == request.trace_id && s.span_id == link.span_id),
            "{on}: the link names no span of the request"
        );
        assert_eq!(attr(delivery, "outcome").as_deref(), Some("sent"), "{on}");
        for (_, s) in &spans {
            for v in s
                .attributes
                .iter()
                .map(|a| text(&a.value))
                .chain([s.name.clone()])
            {
                for secret in [email, "Linda", "Linkwell", "21000888002"] {
                    assert!(!v.contains(secret), "{on}: {secret:?} in span {:?}", s.name);
                }
            }
        }
    }
}
