//! Prometheus metrics (#17) against the real binary: a listener of their
//! own, off unless `metrics.bind` is set, with counts and states only.

use crate::blackbox::harness::*;

fn metrics_url(server: &Server) -> String {
    let log = server.log();
    let address = log
        .lines()
        .find(|l| l.contains("custodian metrics listening"))
        .and_then(|l| l.split("address=").nth(1))
        .map(|a| a.split_whitespace().next().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no metrics address in the log:\n{log}"));
    format!("http://{address}/metrics")
}

/// The value of the sample whose line starts with `series` (name and labels as written).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_count_requests_and_refused_sign_ins_on_their_own_listener_and_name_no_one() {
    for backend in backends() {
        let on = format!("{backend:?}");
        let server = Server::start(backend, &[("CUSTODIAN__METRICS__BIND", "127.0.0.1:0")]);
        let url = metrics_url(&server);
        // The application's own port has no /metrics.
        assert_eq!(get(&server.url("/metrics"), None).status, 404, "{on}");

        for _ in 0..3 {
            assert_eq!(get(&server.url("/healthz"), None).status, 200, "{on}");
        }
        let email = "admin.riverbend@demo.custodian.test";
        let wrong = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &serde_json::json!({"email": email, "password": "not the password at all"}),
        );
        assert_eq!(wrong.status, 401, "{on}: {:?}", wrong.body);
        let admin = server.sign_in(email);
        let card = "21000777001";
        register(
            &server,
            &admin,
            "riverbend",
            serde_json::json!({"card_number": card, "pin": "2468", "name": "Metrics Patron", "email": "metrics.patron@example.org", "birth_date": "1980-01-01"}),
        );

        let r = get(&url, None);
        assert_eq!(r.status, 200, "{on}");
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("text/plain"),
            "{on}: {:?}",
            r.headers
        );
        let text = r.body.as_str().unwrap_or_default().to_owned();
        let healthz = sample(
            &text,
            r#"custodian_http_requests_total{route="/healthz",method="GET",status="200"}"#,
        );
        assert_eq!(healthz, Some(3.0), "{on}:\n{text}");
        assert!(
            text.contains(r#"custodian_http_request_duration_seconds_bucket{route="/healthz",method="GET",le="0.005"}"#),
            "{on}: a latency histogram per route:\n{text}"
        );
        assert!(
            text.contains(r#"route="/api/v1/libraries/{library}/patrons""#),
            "{on}: routes are patterns:\n{text}"
        );
        assert_eq!(
            sample(&text, r#"custodian_sign_in_failures_total{kind="account"}"#),
            Some(1.0),
            "{on}:\n{text}"
        );
        for series in [
            r#"custodian_outbox_messages{state="pending"}"#,
            r#"custodian_outbox_messages{state="dead"}"#,
            "custodian_outbox_oldest_waiting_seconds",
            "custodian_outbox_dead_letters",
            r#"custodian_inbound_messages{outcome="request"}"#,
            "custodian_retention_libraries_never_run",
            r#"custodian_db_pool_connections{state="idle"}"#,
        ] {
            assert!(
                sample(&text, series).is_some(),
                "{on}: no {series}:\n{text}"
            );
        }
        assert_eq!(
            sample(&text, "custodian_metrics_snapshot_ok"),
            Some(1.0),
            "{on}:\n{text}"
        );
        // The demo has five libraries and no retention run yet.
        assert_eq!(
            sample(&text, "custodian_retention_libraries_never_run"),
            Some(5.0),
            "{on}:\n{text}"
        );
        // A repeated directory read is a cache hit, counted by kind.
        let hits = |text: &str, kind: &str| {
            let series = format!(r#"custodian_directory_cache_hits_total{{kind="{kind}"}}"#);
            sample(text, &series).unwrap_or(0.0)
        };
        let before = hits(&text, "search");
        let search = server.url("/api/v1/directory/libraries?state=MO&limit=5");
        for _ in 0..2 {
            assert_eq!(get(&search, None).status, 200, "{on}");
        }
        let after = get(&url, None).body.as_str().unwrap_or_default().to_owned();
        assert!(
            hits(&after, "search") >= before + 1.0,
            "{on}: the second read of a search page is a hit:\n{after}"
        );
        assert!(
            sample(
                &after,
                r#"custodian_directory_cache_misses_total{kind="search"}"#
            )
            .is_some_and(|m| m >= 1.0),
            "{on}: the first read was a miss:\n{after}"
        );
        for secret in [
            card,
            "Metrics Patron",
            "metrics.patron@example.org",
            email,
            "21000777001",
        ] {
            assert!(!text.contains(secret), "{on}: {secret} is in the metrics");
        }
    }
}

#[test]
fn metrics_are_off_unless_a_bind_is_set() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        assert!(
            !server.log().contains("custodian metrics listening"),
            "{backend:?}: {}",
            server.log()
        );
        assert_eq!(
            get(&server.url("/metrics"), None).status,
            404,
            "{backend:?}"
        );
    }
}
