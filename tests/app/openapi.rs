//! The OpenAPI document against the routes the app really registers.
//!
//! The rule for which routes the document must describe: every route under
//! `/api/` (the JSON API, with its CSV, JSON-LD and vCard exports) and the
//! JSON health checks `/healthz` and `/readyz`. Excluded: `/api/docs` (the
//! HTML page rendered from the document) and every other route at the site
//! root, which are the server-rendered pages and the links sent by email.
//! The route table comes from `resource!` itself (routes::registry), so a
//! route added anywhere shows up here without this test being touched.

use crate::app::support::*;
use std::collections::BTreeSet;

fn documented_by_rule(path: &str) -> bool {
    (path.starts_with("/api/") && path != "/api/docs") || path == "/healthz" || path == "/readyz"
}

#[test]
fn every_api_route_is_documented_and_every_documented_operation_exists() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let r = get(&server.url("/api/v1/openapi.json"), None);
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.body["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, item) in r.body["paths"].as_object().expect("paths") {
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some() {
                    documented.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        let mut registered = BTreeSet::new();
        for (path, methods) in tenant_api::routes::registry::routes() {
            if documented_by_rule(&path) {
                for m in methods {
                    registered.insert(format!("{} {path}", m.to_uppercase()));
                }
            }
        }
        let missing: Vec<_> = registered.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&registered).collect();
        for op in &missing {
            eprintln!("not in the OpenAPI document: {op}");
        }
        for op in &extra {
            eprintln!("documented but not a route: {op}");
        }
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{} route(s) undocumented, {} documented operation(s) without a route (listed above)",
            missing.len(),
            extra.len()
        );
    });
}

#[test]
fn the_reference_page_is_rendered_from_the_document() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let r = get(&server.url("/api/docs"), None);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let html = r.body.as_str().unwrap_or_default();
        assert!(html.contains("<h1>API reference</h1>"), "{html}");
        assert!(html.contains("href=\"#main\""), "no skip link");
        assert!(html.contains("<code>GET /api/v1/auth/me</code>"), "{html}");
        assert!(html.contains("<code>session_cookie</code>"));
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "an external asset"
        );
    });
}
