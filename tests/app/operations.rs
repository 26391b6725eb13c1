//! Health, readiness and errors: what any client sees.

use crate::app::support::*;

#[test]
fn healthz_and_readyz_report_as_json() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let health = get(&server.url("/healthz"), None);
        assert_eq!(health.status, 200);
        assert_eq!(health.body["status"], "ok");

        let ready = get(&server.url("/readyz"), None);
        assert_eq!(ready.status, 200, "{:?}", ready.body);
        assert_eq!(ready.body["status"], "ready");
        assert_eq!(ready.body["checks"]["database"]["ok"], true);
        assert_eq!(ready.body["checks"]["migrations"]["ok"], true);
        match backend {
            Backend::Sqlite => {
                assert_eq!(ready.body["checks"]["database"]["detail"], "sqlite");
                assert!(ready.body["checks"]["redis"].is_null());
            }
            Backend::Postgres => {
                assert_eq!(ready.body["checks"]["database"]["detail"], "postgresql");
                assert_eq!(ready.body["checks"]["redis"]["ok"], true);
            }
        }
    });
}

#[test]
fn unknown_routes_and_bad_bodies_are_problem_json() {
    let server = TestApp::spawn(Backend::Sqlite);
    get(&server.url("/api/v1/no-such-thing"), None).assert_problem(404, "not-found");
    get(&server.url("/nothing-here"), None).assert_problem(404, "not-found");
    let bad = post_raw(
        &server.url("/api/v1/auth/sign-in"),
        "application/json",
        "{not json",
    );
    bad.assert_problem(400, "malformed-body");
    let wrong_type = post_raw(&server.url("/api/v1/auth/sign-in"), "text/plain", "hello");
    wrong_type.assert_problem(400, "malformed-body");
    let missing = post_raw(
        &server.url("/api/v1/auth/sign-in"),
        "application/json",
        r#"{"email": "x@y.org"}"#,
    );
    missing.assert_problem(400, "malformed-body");
}
