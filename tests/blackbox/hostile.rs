//! Hostile input at every JSON field and query parameter of the README's
//! endpoints: NUL, a megabyte, CR/LF, bytes that are not UTF-8 and
//! spreadsheet formulas. Nothing answers 5xx; NUL, oversize and invalid UTF-8
//! are refused naming the field; CR/LF and formulas are kept as text where a
//! name may hold them, and break neither a header nor a CSV.

use crate::blackbox::harness::*;
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";
const DIRECTOR: &str = "director@demo.custodian.test";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";
const CRLF: &str = "Line one\r\nX-Injected: yes";

/// Sends raw bytes, so a body may hold what `serde_json` would never write.
fn send(method: &str, url: &str, token: Option<&str>, body: Option<&[u8]>) -> Reply {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let mut req = agent.request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let result = match body {
        Some(b) => req.set("Content-Type", "application/json").send_bytes(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!(
            "{method} {}: {e}",
            url.chars().take(120).collect::<String>()
        ),
    };
    let status = resp.status();
    let mut headers = std::collections::HashMap::new();
    for name in resp.headers_names() {
        let values: Vec<String> = resp.all(&name).into_iter().map(str::to_owned).collect();
        headers.insert(name.to_lowercase(), values);
    }
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
        backend: "",
    }
}

/// A JSON endpoint, a body it takes, and the string fields to attack.
struct Case {
    method: &'static str,
    path: String,
    token: Option<String>,
    body: Value,
    fields: &'static [&'static str],
}

/// The body with `field` set to `marker`, serialized, and the marker replaced by `raw` bytes.
fn body_with(base: &Value, field: &str, raw: &[u8]) -> Vec<u8> {
    let mut body = base.clone();
    body[field] = json!("@@HOSTILE@@");
    let text = serde_json::to_string(&body).unwrap();
    let (before, after) = text.split_once("@@HOSTILE@@").unwrap();
    let mut out = before.as_bytes().to_vec();
    out.extend_from_slice(raw);
    out.extend_from_slice(after.as_bytes());
    out
}

struct Checks {
    count: usize,
}

impl Checks {
    fn no_5xx(&mut self, what: &str, r: &Reply) {
        self.count += 1;
        assert!(r.status < 500, "{what}: {} {:?}", r.status, r.body);
    }

    fn refused(&mut self, what: &str, r: &Reply, status: u16, field: &str) {
        self.no_5xx(what, r);
        self.count += 1;
        assert_eq!(r.status, status, "{what}: {:?}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{what}"
        );
        assert_eq!(r.body["field"], field, "{what}: {:?}", r.body);
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(field), "{what}: {detail}");
    }
}

fn world_cases(server: &Server) -> Vec<Case> {
    let admin = server.sign_in(ADMIN_A);
    let director = server.sign_in(DIRECTOR);
    let lib = "/api/v1/libraries/riverbend";
    let r = post(
        &server.url(&format!("{lib}/patrons")),
        Some(&admin),
        &json!({"card_number": "21000444001", "pin": "4321", "name": "Hal Testwell", "email": "hal@example.org"}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let patron = r.body["id"].as_i64().unwrap();
    let r = post(
        &server.url(&format!("{lib}/patron/sign-in")),
        None,
        &json!({"card_number": "21000444001", "pin": "4321"}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let patron_token = r.body["token"].as_str().unwrap().to_owned();
    let r = post(
        &server.url(&format!("{lib}/records")),
        Some(&admin),
        &json!({"kind": "event_registration", "source": "events", "external_id": "h-1", "occurred_at": "2026-11-01T18:00:00", "patron_id": patron}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let record = r.body["ids"][0].as_i64().unwrap();
    // A staff account of its own, so a password sent in an attack changes nobody the test signs in as.
    let staff = post(
        &server.url(&format!("{lib}/staff")),
        Some(&admin),
        &json!({"email": "patch.me@example.org", "display_name": "Patch Me", "role": "staff"}),
    );
    assert_eq!(staff.status, 201, "{:?}", staff.body);
    let account = staff.body["account_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{:?}", staff.body));
    let a = Some(admin);
    let d = Some(director);
    let p = Some(patron_token);
    vec![
        Case {
            method: "POST",
            path: "/api/v1/auth/sign-in".into(),
            token: None,
            body: json!({"email": "nobody@example.org", "password": "not it"}),
            fields: &["email", "password"],
        },
        Case {
            method: "POST",
            path: "/api/v1/libraries".into(),
            token: d.clone(),
            body: json!({"slug": "hostile-town", "name": "Hostile Town", "jurisdiction": "missouri"}),
            fields: &["slug", "name", "jurisdiction"],
        },
        Case {
            method: "POST",
            path: format!("{lib}/staff"),
            token: a.clone(),
            body: json!({"email": "new.staff@example.org", "display_name": "New Staff", "role": "staff"}),
            fields: &["email", "display_name", "role", "password"],
        },
        Case {
            method: "PATCH",
            path: format!("{lib}/staff/{account}"),
            token: a.clone(),
            body: json!({"display_name": "Renamed"}),
            fields: &["display_name", "role", "password"],
        },
        Case {
            method: "POST",
            path: format!("{lib}/patrons"),
            token: a.clone(),
            body: json!({"card_number": "21000444999", "pin": "1234", "name": "Ida Hostile"}),
            fields: &[
                "card_number",
                "pin",
                "name",
                "address",
                "email",
                "phone",
                "guardian",
            ],
        },
        Case {
            method: "PATCH",
            path: format!("{lib}/patrons/{patron}"),
            token: a.clone(),
            body: json!({"purpose": "desk correction"}),
            fields: &[
                "purpose",
                "name",
                "address",
                "email",
                "phone",
                "guardian",
                "contact_by",
            ],
        },
        Case {
            method: "POST",
            path: format!("{lib}/patrons/{patron}/consents"),
            token: a.clone(),
            body: json!({"kind": "disclosure", "given_by": "the patron"}),
            fields: &["kind", "given_by", "scope"],
        },
        Case {
            method: "POST",
            path: format!("{lib}/patrons/{patron}/merge"),
            token: a.clone(),
            body: json!({"duplicate_id": 999_999, "purpose": "duplicate card"}),
            fields: &["purpose"],
        },
        Case {
            method: "POST",
            path: format!("{lib}/records"),
            token: a.clone(),
            body: json!({"kind": "event_registration", "source": "events", "external_id": "h-2", "occurred_at": "2026-11-01T18:00:00", "patron_id": patron}),
            fields: &[
                "kind",
                "source",
                "external_id",
                "item",
                "branch",
                "status",
                "details",
                "card_number",
            ],
        },
        Case {
            method: "PATCH",
            path: format!("{lib}/records/{record}"),
            token: a.clone(),
            body: json!({"status": "attended"}),
            fields: &["status"],
        },
        Case {
            method: "POST",
            path: format!("{lib}/directory-entry/changes"),
            token: a.clone(),
            body: json!({"hours": "Mon-Fri 9-5"}),
            fields: &[
                "name", "address", "city", "county", "state", "zip", "phone", "website", "email",
                "hours", "services",
            ],
        },
        Case {
            method: "POST",
            path: "/api/v1/directory/changes/999999/reject".into(),
            token: d.clone(),
            body: json!({"reason": "no"}),
            fields: &["reason"],
        },
        Case {
            method: "POST",
            path: "/api/v1/directory/changes/999999/approve".into(),
            token: d.clone(),
            body: json!({"reason": "yes"}),
            fields: &["reason"],
        },
        Case {
            method: "PATCH",
            path: "/api/v1/director/requests/999999".into(),
            token: d.clone(),
            body: json!({"note": "closing"}),
            fields: &["status", "note"],
        },
        Case {
            method: "POST",
            path: "/api/v1/director/requests/999999/replies".into(),
            token: d.clone(),
            body: json!({"text": "hello"}),
            fields: &["text"],
        },
        Case {
            method: "PATCH",
            path: format!("{lib}/requests/999999"),
            token: a.clone(),
            body: json!({"note": "closing"}),
            fields: &["status", "note"],
        },
        Case {
            method: "POST",
            path: format!("{lib}/requests/999999/replies"),
            token: a.clone(),
            body: json!({"text": "hello"}),
            fields: &["text"],
        },
        Case {
            method: "POST",
            path: format!("{lib}/patron/sign-in"),
            token: None,
            body: json!({"card_number": "00000000", "pin": "0000"}),
            fields: &["card_number", "pin"],
        },
        Case {
            method: "PATCH",
            path: "/api/v1/patron/me".into(),
            token: p.clone(),
            body: json!({"contact_by": "email"}),
            fields: &["contact_by"],
        },
        Case {
            method: "PUT",
            path: "/api/v1/patron/me/pin".into(),
            token: p.clone(),
            body: json!({"current_pin": "0000", "new_pin": "9999"}),
            fields: &["current_pin", "new_pin"],
        },
        Case {
            method: "POST",
            path: "/api/v1/patron/me/deletion-request".into(),
            token: p.clone(),
            body: json!({}),
            fields: &["reason"],
        },
    ]
}

fn attack_json(server: &Server, checks: &mut Checks) {
    for case in world_cases(server) {
        let url = server.url(&case.path);
        let token = case.token.as_deref();
        for field in case.fields {
            let what = |kind: &str| format!("{} {} {field} {kind}", case.method, case.path);
            let r = send(
                case.method,
                &url,
                token,
                Some(&body_with(&case.body, field, b"a\\u0000b")),
            );
            checks.refused(&what("NUL"), &r, 400, field);
            let long = "x".repeat(5000);
            let r = send(
                case.method,
                &url,
                token,
                Some(&body_with(&case.body, field, long.as_bytes())),
            );
            checks.refused(&what("5000 characters"), &r, 422, field);
            let huge = "x".repeat(1024 * 1024);
            let r = send(
                case.method,
                &url,
                token,
                Some(&body_with(&case.body, field, huge.as_bytes())),
            );
            checks.no_5xx(&what("1 MB"), &r);
            checks.count += 1;
            assert_eq!(r.status, 413, "{}: {:?}", what("1 MB"), r.body);
            let r = send(
                case.method,
                &url,
                token,
                Some(&body_with(&case.body, field, b"caf\xe9 \xff")),
            );
            checks.refused(&what("invalid UTF-8"), &r, 400, field);
            for (kind, value) in [("CR/LF", CRLF), ("formula", FORMULA)] {
                let mut body = case.body.clone();
                body[*field] = json!(value);
                let r = send(
                    case.method,
                    &url,
                    token,
                    Some(serde_json::to_string(&body).unwrap().as_bytes()),
                );
                checks.no_5xx(&what(kind), &r);
                checks.count += 1;
                assert!(r.header("x-injected").is_none(), "{}", what(kind));
            }
        }
    }
}

/// Every query parameter of the README's endpoints, with the token that reaches it.
fn query_cases(server: &Server) -> Vec<(String, Option<String>, &'static [&'static str])> {
    let admin = Some(server.sign_in(ADMIN_A));
    let director = Some(server.sign_in(DIRECTOR));
    let lib = "/api/v1/libraries/riverbend";
    const DIRECTORY: &[&str] = &[
        "q",
        "state",
        "county",
        "city",
        "zip",
        "system",
        "near",
        "radius_km",
        "limit",
        "cursor",
    ];
    vec![
        ("/api/v1/directory/libraries".into(), None, DIRECTORY),
        ("/api/v1/directory/libraries.csv".into(), None, DIRECTORY),
        ("/api/v1/directory/libraries.jsonld".into(), None, DIRECTORY),
        ("/directory".into(), None, DIRECTORY),
        (
            "/api/v1/directory/changes".into(),
            director.clone(),
            &["status", "limit", "cursor"],
        ),
        (
            "/api/v1/libraries".into(),
            director.clone(),
            &["limit", "cursor"],
        ),
        (format!("{lib}/staff"), admin.clone(), &["limit", "cursor"]),
        (
            format!("{lib}/patrons"),
            admin.clone(),
            &["card", "email", "purpose", "limit", "cursor"],
        ),
        (format!("{lib}/patrons/1"), admin.clone(), &["purpose"]),
        (
            format!("{lib}/patrons/1/records"),
            admin.clone(),
            &["purpose", "limit", "cursor"],
        ),
        (
            format!("{lib}/records"),
            admin.clone(),
            &["kind", "purpose", "limit", "cursor"],
        ),
        (format!("{lib}/audit"), admin.clone(), &["limit", "cursor"]),
        (
            format!("{lib}/requests"),
            admin.clone(),
            &["status", "limit", "cursor"],
        ),
        (
            "/api/v1/director/requests".into(),
            director.clone(),
            &["queue", "status", "limit", "cursor"],
        ),
        (
            "/api/v1/director/inbound-mail".into(),
            director.clone(),
            &["route", "limit", "cursor"],
        ),
        (
            "/api/v1/director/outbox".into(),
            director,
            &["status", "limit", "cursor"],
        ),
        (
            "/api/v1/patron/me/records".into(),
            None,
            &["limit", "cursor"],
        ),
    ]
}

fn attack_queries(server: &Server, checks: &mut Checks) {
    for (path, token, params) in query_cases(server) {
        let token = token.as_deref();
        for param in params {
            let what = |kind: &str| format!("GET {path}?{param} {kind}");
            let url = |v: &str| server.url(&format!("{path}?{param}={v}"));
            let r = send("GET", &url("a%00b"), token, None);
            checks.refused(&what("NUL"), &r, 400, param);
            let r = send("GET", &url("caf%E9%FF"), token, None);
            checks.refused(&what("invalid UTF-8"), &r, 400, param);
            let r = send("GET", &url(&"x".repeat(5000)), token, None);
            checks.refused(&what("5000 characters"), &r, 422, param);
            // A megabyte does not fit in a request head: the server refuses it before routing.
            let r = send("GET", &url(&"x".repeat(1024 * 1024)), token, None);
            checks.no_5xx(&what("1 MB"), &r);
            checks.count += 1;
            assert_eq!(r.status, 431, "{}", what("1 MB"));
            for (kind, value) in [
                ("CR/LF", "a%0D%0AX-Injected:%20yes"),
                ("formula", "%3DHYPERLINK(%22x%22)"),
            ] {
                let r = send("GET", &url(value), token, None);
                checks.no_5xx(&what(kind), &r);
                checks.count += 1;
                assert!(r.header("x-injected").is_none(), "{}", what(kind));
            }
        }
    }
    // A NUL in the path would reach a look-up by library slug.
    let admin = server.sign_in(ADMIN_A);
    let r = send(
        "GET",
        &server.url("/api/v1/libraries/river%00bend/staff"),
        Some(&admin),
        None,
    );
    checks.refused("NUL in the path", &r, 400, "path");
}

fn attack_feed(server: &Server, checks: &mut Checks) {
    let admin = server.sign_in(ADMIN_A);
    let url = server.url("/api/v1/libraries/riverbend/records/feed");
    let good = r#"{"kind":"event_registration","source":"events","external_id":"f-1","occurred_at":"2026-11-01T18:00:00","item":"Story time"}"#;
    let bad_nul = r#"{"kind":"event_registration","source":"events","external_id":"f-2","occurred_at":"2026-11-01T18:00:00","item":"Story\u0000time"}"#;
    let r = post_raw_auth(
        &url,
        &admin,
        "application/x-ndjson",
        &format!("{good}\n{bad_nul}\n"),
    );
    checks.no_5xx("feed NUL", &r);
    checks.count += 1;
    r.assert_problem(400, "invalid-feed-line");
    assert_eq!(r.body["line"], 2);
    assert!(
        r.body["detail"].as_str().unwrap().contains("item"),
        "{:?}",
        r.body
    );
    let long = good.replace("Story time", &"x".repeat(5000));
    let r = post_raw_auth(
        &url,
        &admin,
        "application/x-ndjson",
        &format!("{good}\n\n{long}\n"),
    );
    checks.no_5xx("feed oversize", &r);
    checks.count += 1;
    r.assert_problem(400, "invalid-feed-line");
    assert_eq!(r.body["line"], 3);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("item: at most 500 characters, got 5000"),
        "{:?}",
        r.body
    );
    let mut raw = format!("{good}\n").into_bytes();
    raw.extend_from_slice(b"{\"kind\":\"\xff\"}\n");
    let agent = ureq::AgentBuilder::new().build();
    let r = match agent
        .post(&url)
        .set("Authorization", &format!("Bearer {admin}"))
        .set("Content-Type", "application/x-ndjson")
        .send_bytes(&raw)
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r.status(),
        Err(e) => panic!("{e}"),
    };
    checks.count += 1;
    assert_eq!(r, 400, "feed invalid UTF-8");
}

/// Names that hold CR/LF and formulas are kept as written, and break neither a header nor a CSV.
fn names_stay_text(server: &Server, checks: &mut Checks) {
    let admin = server.sign_in(ADMIN_A);
    let director = server.sign_in(DIRECTOR);
    let name = format!("{FORMULA}{CRLF}");
    let r = post(
        &server.url("/api/v1/libraries/riverbend/patrons"),
        Some(&admin),
        &json!({"card_number": "21000444777", "pin": "4321", "name": name, "address": "=1+1\r\n2 Main St"}),
    );
    checks.count += 1;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let read = get(
        &server.url(&format!(
            "/api/v1/libraries/riverbend/patrons/{id}?purpose=desk%20check"
        )),
        Some(&admin),
    );
    checks.count += 1;
    assert_eq!(read.status, 200, "{:?}", read.body);
    let shown = serde_json::to_string(&read.body).unwrap();
    assert!(shown.contains("=HYPERLINK"), "{shown}");
    let r = post(
        &server.url("/api/v1/libraries/riverbend/patron/sign-in"),
        None,
        &json!({"card_number": "21000444777", "pin": "4321"}),
    );
    let patron = r.body["token"].as_str().unwrap().to_owned();
    let export = get(&server.url("/api/v1/patron/me/export"), Some(&patron));
    checks.count += 1;
    assert_eq!(export.status, 200, "{:?}", export.body);
    assert!(export.header("x-injected").is_none());

    // A directory name is one line: CR/LF there is refused, naming the field.
    let url = server.url("/api/v1/libraries/riverbend/directory-entry/changes");
    let r = post(&url, Some(&admin), &json!({"name": name}));
    checks.refused("directory name with CR/LF", &r, 400, "name");
    let change = post(
        &url,
        Some(&admin),
        &json!({"name": FORMULA, "hours": "@SUM(1+1)"}),
    );
    checks.count += 1;
    assert_eq!(change.status, 202, "{:?}", change.body);
    let cid = change.body["id"].as_i64().unwrap();
    let approved = post_raw_auth(
        &server.url(&format!("/api/v1/directory/changes/{cid}/approve")),
        &director,
        "application/json",
        "",
    );
    checks.count += 1;
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    let csv = get(&server.url("/api/v1/directory/libraries.csv"), None);
    checks.count += 1;
    assert_eq!(csv.status, 200);
    assert!(csv.header("x-injected").is_none());
    let text = csv.body.as_str().unwrap().to_owned();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let width = reader.headers().unwrap().len();
    let mut found = false;
    for row in reader.records() {
        let row = row.unwrap();
        checks.count += 1;
        assert_eq!(row.len(), width, "a CR/LF split a CSV row: {row:?}");
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']) || cell.parse::<f64>().is_ok(),
                "a cell starts a formula: {cell:?}"
            );
            found |= cell.contains("HYPERLINK");
        }
    }
    assert!(found, "the approved name is in the CSV");
}

#[test]
fn hostile_input_never_5xx_and_is_refused_naming_the_field() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let mut checks = Checks { count: 0 };
        attack_json(&server, &mut checks);
        attack_queries(&server, &mut checks);
        attack_feed(&server, &mut checks);
        names_stay_text(&server, &mut checks);
        eprintln!("{backend:?}: {} hostile-input checks passed", checks.count);
        let log = server.log();
        assert!(
            !log.contains("Hal Testwell") && !log.contains("HYPERLINK"),
            "personal data reached the log"
        );
        assert!(!log.contains("status=500"), "a 500 was logged:\n{log}");
    }
}
