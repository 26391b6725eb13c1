//! Sign-in, wrong passwords, throttling, sign-out.

use crate::app::support::*;
use serde_json::json;

const DIRECTOR: &str = "director@demo.custodian.test";
const ADMIN: &str = "admin.riverbend@demo.custodian.test";

#[test]
fn sign_in_gives_a_token_and_a_strict_cookie() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let r = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": ADMIN, "password": server.password(ADMIN)}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["token_type"], "Bearer");
        assert_eq!(r.body["account"]["email"], ADMIN);
        assert_eq!(r.body["account"]["is_director"], false);
        assert_eq!(
            r.body["account"]["libraries"],
            json!([{"slug": "riverbend", "name": "Riverbend Public Library", "role": "admin"}])
        );
        let cookie = r.header("set-cookie").expect("a session cookie");
        assert!(cookie.starts_with("custodian_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(
            !cookie.contains("Secure"),
            "not behind TLS by default: {cookie}"
        );

        let token = r.body["token"].as_str().unwrap();
        let me = get(&server.url("/api/v1/auth/me"), Some(token));
        assert_eq!(me.status, 200);
        assert_eq!(me.body["email"], ADMIN);

        let pair = cookie.split(';').next().unwrap();
        let by_cookie = get_with_cookie(&server.url("/api/v1/auth/me"), pair);
        assert_eq!(by_cookie.status, 200, "{:?}", by_cookie.body);

        let director = server.sign_in(DIRECTOR);
        let me = get(&server.url("/api/v1/auth/me"), Some(&director));
        assert_eq!(me.body["is_director"], true);
    });
}

#[test]
fn cookies_are_secure_when_configured_behind_tls() {
    let server = TestApp::builder(Backend::Sqlite)
        .with_config(|s| s.server.secure_cookies = true)
        .spawn();
    let r = post(
        &server.url("/api/v1/auth/sign-in"),
        None,
        &json!({"email": ADMIN, "password": server.password(ADMIN)}),
    );
    assert!(r.header("set-cookie").unwrap().contains("Secure"));
}

#[test]
fn a_wrong_password_or_unknown_email_is_refused_alike() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let wrong = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": ADMIN, "password": "not the password"}),
        );
        wrong.assert_problem(401, "bad-credentials");
        let unknown = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": "nobody@example.org", "password": "whatever123"}),
        );
        unknown.assert_problem(401, "bad-credentials");
        assert_eq!(wrong.body["detail"], unknown.body["detail"]);
        let empty = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": "", "password": "x"}),
        );
        empty.assert_problem(400, "invalid-parameter");
        assert_eq!(empty.body["field"], "email");
        get(&server.url("/api/v1/auth/me"), None).assert_problem(401, "unauthenticated");
        get(&server.url("/api/v1/auth/me"), Some("made-up-token"))
            .assert_problem(401, "unauthenticated");
    });
}

#[test]
fn repeated_failures_throttle_the_account_and_then_the_address() {
    each_backend(|backend| {
        let server = TestApp::builder(backend)
            .with_config(|s| {
                s.auth.failures_per_account = 3;
                s.auth.failures_per_address = 6;
            })
            .spawn();
        let url = server.url("/api/v1/auth/sign-in");
        for _ in 0..3 {
            post(
                &url,
                None,
                &json!({"email": ADMIN, "password": "guess-guess-guess"}),
            )
            .assert_problem(401, "bad-credentials");
        }
        // Even the right password waits now.
        let blocked = post(
            &url,
            None,
            &json!({"email": ADMIN, "password": server.password(ADMIN)}),
        );
        blocked.assert_problem(429, "too-many-attempts");
        let retry: u64 = blocked
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!(retry > 0 && retry <= 900, "{retry}");

        // Another account is not blocked by this account's failures...
        let other = "admin.lakeshore@demo.custodian.test";
        assert_eq!(
            post(
                &url,
                None,
                &json!({"email": other, "password": server.password(other)})
            )
            .status,
            200
        );
        // ...until the address itself has failed too often.
        for i in 0..3 {
            let r = post(
                &url,
                None,
                &json!({"email": format!("nobody{i}@example.org"), "password": "guess-guess"}),
            );
            r.assert_problem(401, "bad-credentials");
        }
        let by_address = post(
            &url,
            None,
            &json!({"email": other, "password": server.password(other)}),
        );
        by_address.assert_problem(429, "too-many-attempts");
    });
}

#[test]
fn sign_out_revokes_the_token_and_the_cookie() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let token = server.sign_in(ADMIN);
        let other = server.sign_in(ADMIN);
        assert_eq!(
            get(&server.url("/api/v1/auth/me"), Some(&token)).status,
            200
        );
        let out = post(
            &server.url("/api/v1/auth/sign-out"),
            Some(&token),
            &json!({}),
        );
        assert_eq!(out.status, 204);
        assert!(
            out.header("set-cookie").unwrap().contains("Max-Age=0"),
            "{:?}",
            out.headers
        );
        get(&server.url("/api/v1/auth/me"), Some(&token)).assert_problem(401, "unauthenticated");
        post(
            &server.url("/api/v1/auth/sign-out"),
            Some(&token),
            &json!({}),
        )
        .assert_problem(401, "unauthenticated");
        // Only that session ends.
        assert_eq!(
            get(&server.url("/api/v1/auth/me"), Some(&other)).status,
            200
        );

        let r = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": ADMIN, "password": server.password(ADMIN)}),
        );
        let pair = r
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(
            post_with_cookie(&server.url("/api/v1/auth/sign-out"), &pair).status,
            204
        );
        assert_eq!(
            get_with_cookie(&server.url("/api/v1/auth/me"), &pair).status,
            401
        );
    });
}
