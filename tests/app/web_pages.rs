//! The sign-in pages, CSRF and HTML errors, driven as a browser would: forms
//! posted urlencoded, cookies kept, 303s followed by hand so each is checked.

use crate::app::support::*;
use serde_json::json;

const DIRECTOR: &str = "director@demo.custodian.test";
const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";
const ADMIN_B: &str = "admin.cedar-county@demo.custodian.test";

#[test]
fn the_director_and_an_admin_sign_in_through_the_form_and_out_again() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        let (to, page) = sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        assert_eq!(to, "/director", "[{backend}]");
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        assert!(
            page.body.contains("<h1>Inbox and triage</h1>")
                && page.body.contains(", consortium director"),
            "{}",
            page.body
        );
        assert!(b.cookies.contains_key("custodian_session"));
        // Sign out with the page's own token: the session is gone server-side.
        let token = b.cookies["custodian_session"].clone();
        let out = b.post("/sign-out", &[("csrf", &csrf_of(&page.body))]);
        assert_eq!(out.status, 303, "[{backend}] {}", out.body);
        assert_eq!(out.location.as_deref(), Some("/"));
        assert!(!b.cookies.contains_key("custodian_session"));
        let me = get(&app.url("/api/v1/auth/me"), Some(&token));
        assert_eq!(me.status, 401, "[{backend}] the session must be ended");
        assert_eq!(b.get("/director").status, 401, "[{backend}]");

        let mut b = Browser::new(&app);
        let (to, page) = sign_in(&mut b, ADMIN_A, &app.password(ADMIN_A));
        assert_eq!(to, "/libraries/riverbend", "[{backend}]");
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        assert!(
            page.body
                .contains("library admin at Riverbend Public Library"),
            "{}",
            page.body
        );
        // An admin is not the director.
        assert_eq!(b.get("/director").status, 403, "[{backend}]");
    });
}

#[test]
fn a_wrong_password_is_shown_beside_the_field_and_the_email_kept() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        let csrf = csrf_of(&b.get("/sign-in").body);
        let r = b.post(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("email", ADMIN_A),
                ("password", "not-it-at-all"),
            ],
        );
        assert_eq!(r.status, 401, "[{backend}]");
        assert!(r.content_type.starts_with("text/html"), "[{backend}]");
        let html = &r.body;
        assert!(html.contains("<title>Error: Staff sign-in"), "{html}");
        assert!(
            html.contains("id=\"password-error\">Wrong email or password."),
            "{html}"
        );
        assert!(
            html.contains("aria-describedby=\"password-error\" aria-invalid=\"true\""),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"#password\">Wrong email or password."),
            "{html}"
        );
        assert!(html.contains(&format!("value=\"{ADMIN_A}\"")), "{html}");
        assert!(
            !html.contains("not-it-at-all"),
            "the password is never shown again"
        );
        assert!(!b.cookies.contains_key("custodian_session"));
    });
}

#[test]
fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        // Sign-in without the double-submit token: refused before the password is checked.
        let mut b = Browser::new(&app);
        b.get("/sign-in");
        let r = b.post(
            "/sign-in",
            &[("email", ADMIN_A), ("password", &app.password(ADMIN_A))],
        );
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        assert!(r.content_type.starts_with("text/html"), "[{backend}]");
        assert!(r.body.contains("Reload the page"), "{}", r.body);
        assert!(!b.cookies.contains_key("custodian_session"));
        // A token from another browser does not pass either.
        let other = csrf_of(&Browser::new(&app).get("/sign-in").body);
        let r = b.post(
            "/sign-in",
            &[
                ("csrf", &other),
                ("email", ADMIN_A),
                ("password", &app.password(ADMIN_A)),
            ],
        );
        assert_eq!(r.status, 403, "[{backend}]");

        // Sign-out without the session's token leaves the session open.
        let (_, page) = sign_in(&mut b, ADMIN_A, &app.password(ADMIN_A));
        let token = b.cookies["custodian_session"].clone();
        assert_eq!(b.post("/sign-out", &[]).status, 403, "[{backend}]");
        assert_eq!(
            b.post("/sign-out", &[("csrf", "0".repeat(64).as_str())])
                .status,
            403
        );
        assert_eq!(
            get(&app.url("/api/v1/auth/me"), Some(&token)).status,
            200,
            "[{backend}]"
        );
        assert_eq!(b.get("/libraries/riverbend").status, 200);
        let out = b.post("/sign-out", &[("csrf", &csrf_of(&page.body))]);
        assert_eq!(out.status, 303, "[{backend}]");
    });
}

#[test]
fn another_librarys_page_answers_like_one_that_does_not_exist() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        sign_in(&mut b, ADMIN_B, &app.password(ADMIN_B));
        let theirs = b.get("/libraries/riverbend");
        let nowhere = b.get("/libraries/no-such-library");
        assert_eq!(theirs.status, 404, "[{backend}]");
        assert_eq!(nowhere.status, 404, "[{backend}]");
        assert_eq!(
            theirs.body, nowhere.body,
            "[{backend}] the two must not differ"
        );
        assert!(theirs.content_type.starts_with("text/html"));
    });
}

#[test]
fn a_browser_gets_an_html_404_and_an_api_client_problem_json() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        let page = b.get("/no/such/page");
        assert_eq!(page.status, 404, "[{backend}]");
        assert!(
            page.content_type.starts_with("text/html"),
            "{}",
            page.content_type
        );
        assert!(page.body.starts_with("<!doctype html>"), "{}", page.body);
        assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);
        assert!(page.body.contains("Check the address"), "{}", page.body);
        // The API keeps problem+json, even for a browser.
        let api = b.get("/api/v1/no-such-thing");
        assert_eq!(api.status, 404);
        assert!(
            api.content_type.starts_with("application/problem+json"),
            "{}",
            api.content_type
        );
        // And so does a client that does not ask for HTML.
        let r = get(&app.url("/no/such/page"), None);
        r.assert_problem(404, "not-found");
    });
}

#[test]
fn a_patron_signs_in_with_library_card_and_pin_and_out_again() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = app.sign_in(ADMIN_A);
        let made = post(
            &app.url("/api/v1/libraries/riverbend/patrons"),
            Some(&staff),
            &json!({"card_number": "21000999002", "pin": "2468", "name": "Quinn Adult", "birth_date": "1970-01-01"}),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let mut b = Browser::new(&app);
        let form = b.get("/my/sign-in");
        assert!(
            form.body
                .contains("<option value=\"riverbend\">Riverbend Public Library</option>"),
            "{}",
            form.body
        );
        let csrf = csrf_of(&form.body);
        let wrong = b.post(
            "/my/sign-in",
            &[
                ("csrf", &csrf),
                ("library", "riverbend"),
                ("card_number", "21000999002"),
                ("pin", "1111"),
            ],
        );
        assert_eq!(wrong.status, 401, "[{backend}]");
        assert!(
            wrong
                .body
                .contains("id=\"pin-error\">Wrong card number or PIN."),
            "{}",
            wrong.body
        );
        assert!(
            wrong.body.contains("value=\"21000999002\""),
            "{}",
            wrong.body
        );
        assert!(
            wrong.body.contains("<option value=\"riverbend\" selected>"),
            "{}",
            wrong.body
        );
        let r = b.post(
            "/my/sign-in",
            &[
                ("csrf", &csrf),
                ("library", "riverbend"),
                ("card_number", "21000999002"),
                ("pin", "2468"),
            ],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        assert_eq!(r.location.as_deref(), Some("/my"));
        let home = b.get("/my");
        assert_eq!(home.status, 200, "[{backend}] {}", home.body);
        assert!(home.body.contains("Riverbend Public Library"));
        assert_eq!(b.post("/my/sign-out", &[]).status, 403, "[{backend}]");
        let out = b.post("/my/sign-out", &[("csrf", &csrf_of(&home.body))]);
        assert_eq!(out.status, 303, "[{backend}]");
        assert_eq!(b.get("/my").status, 401, "[{backend}]");
    });
}

#[test]
fn a_session_left_idle_ends_for_staff_and_patrons_alike() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        let (to, page) = sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        let admin = app.sign_in(ADMIN_A);
        register(
            &app,
            &admin,
            "riverbend",
            json!({"card_number": "21000999100", "pin": "2468", "name": "Ida Lowe", "birth_date": "1980-02-03"}),
        );
        let patron = patron_sign_in(&app, "riverbend", "21000999100", "2468");
        let patron = patron.body["token"].as_str().unwrap().to_owned();
        // Still in use: both sessions live.
        assert_eq!(b.get(&to).status, 200, "[{backend}]");
        assert_eq!(
            get(&app.url("/api/v1/patron/me"), Some(&patron)).status,
            200
        );

        // Unused for longer than the idle time (30 minutes by default).
        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&app.raw_url).unwrap()).unwrap();
        use diesel::connection::SimpleConnection;
        let back = match backend {
            Backend::Sqlite => "datetime('now', '-31 minutes')",
            Backend::Postgres => "(now() at time zone 'utc') - interval '31 minutes'",
        };
        raw.batch_execute(&format!(
            "UPDATE sessions SET last_seen_at = {back}; UPDATE patron_sessions SET last_seen_at = {back}"
        ))
        .unwrap();

        let ended = b.get(&to);
        assert_eq!(ended.status, 401, "[{backend}] {}", ended.body);
        assert!(
            ended.body.contains("your session has ended"),
            "[{backend}] the page says what happened: {}",
            ended.body
        );
        assert!(ended.body.contains("href=\"/sign-in\""), "{}", ended.body);
        let me = get(&app.url("/api/v1/patron/me"), Some(&patron));
        assert_eq!(
            me.status, 401,
            "[{backend}] the patron's session is over too"
        );
    });
}
