//! HTTP-wide behaviour: security and cache headers on every kind of
//! response, and 405 with `Allow` for a wrong method.

use crate::app::support::*;
use serde_json::json;

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";
const DIRECTOR: &str = "director@demo.custodian.test";

fn assert_common(what: &str, r: &Reply) {
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{what}");
}

fn assert_private(what: &str, r: &Reply) {
    assert_common(what, r);
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "{what}: {:?}",
        r.headers
    );
}

fn raw_get(url: &str) -> (u16, std::collections::HashMap<String, String>, String) {
    let r = match ureq::get(url).call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let headers = r
        .headers_names()
        .into_iter()
        .map(|n| {
            (
                n.to_lowercase(),
                r.header(&n).unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (r.status(), headers, r.into_string().unwrap())
}

/// Every path of the README with the methods it takes.
const PATHS: &[(&str, &[&str])] = &[
    ("/healthz", &["GET"]),
    ("/readyz", &["GET"]),
    ("/directory", &["GET"]),
    ("/directory/1", &["GET"]),
    ("/requests/confirm/c1.x", &["GET", "POST"]),
    ("/api/v1/directory/libraries", &["GET"]),
    ("/api/v1/directory/libraries/1", &["GET", "PATCH"]),
    ("/api/v1/directory/libraries.csv", &["GET"]),
    ("/api/v1/directory/libraries.jsonld", &["GET"]),
    ("/api/v1/directory/libraries/1/jsonld", &["GET"]),
    ("/api/v1/directory/libraries/1/vcard", &["GET"]),
    ("/api/v1/directory/libraries/1/history", &["GET"]),
    ("/api/v1/directory/libraries/1/retire", &["POST"]),
    ("/api/v1/auth/sign-in", &["POST"]),
    ("/api/v1/auth/sign-out", &["POST"]),
    ("/api/v1/auth/me", &["GET"]),
    ("/api/v1/libraries", &["GET", "POST"]),
    ("/api/v1/directory/changes", &["GET"]),
    ("/api/v1/directory/changes/1/approve", &["POST"]),
    ("/api/v1/directory/changes/1/reject", &["POST"]),
    ("/api/v1/libraries/riverbend/staff", &["GET", "POST"]),
    (
        "/api/v1/libraries/riverbend/staff/1",
        &["GET", "PATCH", "DELETE"],
    ),
    ("/api/v1/libraries/riverbend/directory-entry", &["GET"]),
    (
        "/api/v1/libraries/riverbend/directory-entry/changes",
        &["POST"],
    ),
    ("/api/v1/libraries/riverbend/patrons", &["GET", "POST"]),
    (
        "/api/v1/libraries/riverbend/patrons/1",
        &["GET", "PATCH", "DELETE"],
    ),
    ("/api/v1/libraries/riverbend/patrons/1/records", &["GET"]),
    ("/api/v1/libraries/riverbend/patrons/1/consents", &["POST"]),
    ("/api/v1/libraries/riverbend/patrons/1/merge", &["POST"]),
    ("/api/v1/libraries/riverbend/records", &["POST", "GET"]),
    ("/api/v1/libraries/riverbend/records/feed", &["POST"]),
    ("/api/v1/libraries/riverbend/records/1", &["PATCH"]),
    ("/api/v1/libraries/riverbend/audit", &["GET"]),
    ("/api/v1/libraries/riverbend/statistics", &["GET"]),
    ("/api/v1/director/statistics", &["GET"]),
    ("/api/v1/director/inbound-mail", &["POST", "GET"]),
    ("/api/v1/director/requests", &["GET"]),
    ("/api/v1/director/requests/1", &["GET", "PATCH"]),
    ("/api/v1/director/requests/1/message", &["GET"]),
    ("/api/v1/director/requests/1/replies", &["POST"]),
    ("/api/v1/director/outbox", &["GET"]),
    ("/api/v1/director/outbox/1/retry", &["POST"]),
    ("/api/v1/libraries/riverbend/requests", &["GET"]),
    ("/api/v1/libraries/riverbend/requests/1", &["GET", "PATCH"]),
    ("/api/v1/libraries/riverbend/requests/1/message", &["GET"]),
    ("/api/v1/libraries/riverbend/requests/1/replies", &["POST"]),
    ("/api/v1/libraries/riverbend/patron/sign-in", &["POST"]),
    ("/api/v1/patron/sign-out", &["POST"]),
    ("/api/v1/patron/me", &["GET", "PATCH"]),
    ("/api/v1/patron/me/records", &["GET"]),
    ("/api/v1/patron/me/export", &["GET"]),
    ("/api/v1/patron/me/access-log", &["GET"]),
    ("/api/v1/patron/me/pin", &["PUT"]),
    ("/api/v1/patron/me/history", &["PUT"]),
    ("/api/v1/patron/me/deletion-request", &["POST"]),
];

#[test]
fn every_response_carries_security_and_cache_headers() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        // Pages: a CSP that forbids inline script and style, and a stylesheet of our own.
        let early = server.sign_in(ADMIN_A);
        let own = get(
            &server.url("/api/v1/libraries/riverbend/directory-entry"),
            Some(&early),
        );
        let id = own.body["entry"]["id"].as_i64().unwrap();
        for page in [
            "/",
            "/directory",
            &format!("/directory/{id}"),
            "/requests/confirm/c1.nonsense",
        ] {
            let (status, headers, body) = raw_get(&server.url(page));
            assert!(status < 500, "{page}: {status}");
            assert!(headers["content-type"].starts_with("text/html"), "{page}");
            let csp = &headers["content-security-policy"];
            assert!(csp.contains("default-src 'self'"), "{page}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{page}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{page}: {csp}");
            assert_eq!(headers["x-frame-options"], "DENY", "{page}");
            assert_eq!(headers["x-content-type-options"], "nosniff", "{page}");
            assert!(!body.contains("<style"), "{page} has an inline style");
            assert!(
                !body.contains(" style="),
                "{page} has an inline style attribute"
            );
            assert!(!body.contains("<script>"), "{page} has an inline script");
            assert!(
                body.contains("/static/custodian.css"),
                "{page} links the stylesheet"
            );
        }
        let (status, headers, css) = raw_get(&server.url("/static/custodian.css"));
        assert_eq!(status, 200);
        assert!(headers["content-type"].starts_with("text/css"));
        assert!(css.contains("font:"), "{css}");

        // The public directory keeps its own caching; everything else is no-store.
        let public = get(&server.url("/api/v1/directory/libraries"), None);
        assert_common("directory search", &public);
        assert!(public.header("cache-control").unwrap().contains("public"));
        assert!(public.header("etag").is_some());
        for (what, r) in [
            ("healthz", get(&server.url("/healthz"), None)),
            ("readyz", get(&server.url("/readyz"), None)),
        ] {
            assert_common(what, &r);
        }
        let sign_in = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": ADMIN_A, "password": server.password(ADMIN_A)}),
        );
        assert_private("sign-in", &sign_in);
        let admin = sign_in.body["token"].as_str().unwrap().to_owned();
        let director = server.sign_in(DIRECTOR);
        let lib = "/api/v1/libraries/riverbend";
        let r = post(
            &server.url(&format!("{lib}/patrons")),
            Some(&admin),
            &json!({"card_number": "21000333001", "pin": "4321", "name": "Cal Headers"}),
        );
        assert_private("register", &r);
        let patron = r.body["id"].as_i64().unwrap();
        let p = post(
            &server.url(&format!("{lib}/patron/sign-in")),
            None,
            &json!({"card_number": "21000333001", "pin": "4321"}),
        );
        assert_private("patron sign-in", &p);
        let patron_token = p.body["token"].as_str().unwrap().to_owned();
        for (what, path, token) in [
            ("me", "/api/v1/auth/me".to_owned(), &admin),
            (
                "patron read",
                format!("{lib}/patrons/{patron}?purpose=desk"),
                &admin,
            ),
            (
                "patron records",
                format!("{lib}/patrons/{patron}/records?purpose=desk"),
                &admin,
            ),
            ("records", format!("{lib}/records?purpose=desk"), &admin),
            ("audit", format!("{lib}/audit"), &admin),
            ("staff", format!("{lib}/staff"), &admin),
            ("library requests", format!("{lib}/requests"), &admin),
            (
                "director requests",
                "/api/v1/director/requests".to_owned(),
                &director,
            ),
            ("patron me", "/api/v1/patron/me".to_owned(), &patron_token),
            (
                "export",
                "/api/v1/patron/me/export".to_owned(),
                &patron_token,
            ),
            (
                "access log",
                "/api/v1/patron/me/access-log".to_owned(),
                &patron_token,
            ),
        ] {
            let r = get(&server.url(&path), Some(token));
            assert_eq!(r.status, 200, "{what}: {:?}", r.body);
            assert_private(what, &r);
        }
        let missing = get(&server.url("/api/v1/nothing"), None);
        assert_private("404", &missing);
        let unauthenticated = get(&server.url("/api/v1/auth/me"), None);
        assert_private("401", &unauthenticated);
    });
}

#[test]
fn a_wrong_method_answers_405_with_allow_and_unknown_paths_stay_404() {
    let server = TestApp::spawn(Backend::Sqlite);
    let agent = ureq::AgentBuilder::new().build();
    let mut checked = 0;
    for (path, allowed) in PATHS {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let resp = match agent.request(method, &server.url(path)).call() {
                Ok(r) | Err(ureq::Error::Status(_, r)) => r,
                Err(e) => panic!("{method} {path}: {e}"),
            };
            let status = resp.status();
            if allowed.contains(&method) {
                assert_ne!(status, 405, "{method} {path}");
                continue;
            }
            assert_eq!(status, 405, "{method} {path}");
            let allow = resp.header("allow").unwrap_or_default().to_owned();
            let mut got: Vec<&str> = allow.split(", ").collect();
            let mut want = allowed.to_vec();
            if want.contains(&"GET") {
                want.push("HEAD");
            }
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "Allow of {path}");
            assert_eq!(resp.content_type(), "application/problem+json");
            let body: serde_json::Value =
                serde_json::from_str(&resp.into_string().unwrap()).unwrap();
            assert_eq!(body["type"], "urn:custodian:problem:method-not-allowed");
            assert!(body["detail"].as_str().unwrap().contains(allowed[0]));
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
    // HEAD goes with GET.
    let head = agent.head(&server.url("/healthz")).call().unwrap();
    assert_eq!(head.status(), 200);
    let head = match agent.head(&server.url("/api/v1/auth/sign-in")).call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(head.status(), 405);
    for path in [
        "/api/v1/no-such-thing",
        "/nothing",
        "/api/v1/libraries/riverbend/nope",
    ] {
        get(&server.url(path), None).assert_problem(404, "not-found");
        post(&server.url(path), None, &json!({})).assert_problem(404, "not-found");
    }
}
