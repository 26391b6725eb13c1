//! Sessions (#19): a session id set before sign-in is not kept; every
//! session ends on a password or PIN change, a role change, a disabled or
//! deleted account; and both lifetimes (idle and absolute) end them, for
//! staff and patrons alike.

use crate::app::support::*;
use diesel::connection::SimpleConnection;
use serde_json::json;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";

fn raw(app: &TestApp) -> store::DbConn {
    store::testing::raw_connection(&store::DbUrl::parse(&app.raw_url).unwrap()).unwrap()
}

fn me(app: &TestApp, token: &str) -> u16 {
    get(&app.url("/api/v1/auth/me"), Some(token)).status
}

fn patron_me(app: &TestApp, token: &str) -> u16 {
    get(&app.url("/api/v1/patron/me"), Some(token)).status
}

/// A new clerk of riverbend: (account id, email, password).
fn clerk(app: &TestApp, admin: &str, name: &str) -> (i64, String, String) {
    let email = format!("{name}@riverbend.example");
    let r = post(
        &staff_url(app, "riverbend"),
        Some(admin),
        &json!({"email": email, "display_name": "Clerk", "role": "staff"}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    (
        r.body["account_id"].as_i64().unwrap(),
        email,
        r.body["initial_password"].as_str().unwrap().to_owned(),
    )
}

fn staff_token(app: &TestApp, email: &str, password: &str) -> String {
    let r = post(
        &app.url("/api/v1/auth/sign-in"),
        None,
        &json!({"email": email, "password": password}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

fn patron_token(app: &TestApp, card: &str, pin: &str) -> String {
    let r = patron_sign_in(app, "riverbend", card, pin);
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

#[test]
fn a_session_id_set_before_sign_in_is_not_kept() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in(ADMIN);
        let (_, email, password) = clerk(&app, &admin, "fix");
        patron(&app, &admin, "riverbend", "21000777001");

        // A value planted in the browser before sign-in is replaced, never adopted.
        let mut b = Browser::new(&app);
        b.cookies
            .insert("custodian_session".into(), "planted-by-someone-else".into());
        b.cookies
            .insert("custodian_patron".into(), "p1.planted-too".to_owned());
        let (_, page) = sign_in(&mut b, &email, &password);
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        let staff_cookie = b.cookies["custodian_session"].clone();
        assert_ne!(staff_cookie, "planted-by-someone-else", "[{backend}]");
        assert_eq!(me(&app, "planted-by-someone-else"), 401, "[{backend}]");
        assert_eq!(me(&app, &staff_cookie), 200, "[{backend}]");

        // A session the browser already held (someone else's, on a shared
        // computer) ends when the next person signs in there.
        let earlier = staff_cookie;
        let (_, page) = sign_in(&mut b, ADMIN, &app.password(ADMIN));
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        assert_ne!(b.cookies["custodian_session"], earlier, "[{backend}]");
        assert_eq!(
            me(&app, &earlier),
            401,
            "[{backend}] the earlier session ended"
        );

        // The same for patrons, through /my/sign-in.
        let mut p = Browser::new(&app);
        p.cookies.insert(
            "custodian_patron".into(),
            "p1.planted-by-someone-else".into(),
        );
        let (_, home) = my_sign_in(&mut p, "riverbend", "21000777001", "2468");
        assert_eq!(home.status, 200, "[{backend}] {}", home.body);
        let first = p.cookies["custodian_patron"].clone();
        assert_ne!(first, "p1.planted-by-someone-else", "[{backend}]");
        assert_eq!(patron_me(&app, "p1.planted-by-someone-else"), 401);
        assert_eq!(patron_me(&app, &first), 200, "[{backend}]");
        let (_, home) = my_sign_in(&mut p, "riverbend", "21000777001", "2468");
        assert_eq!(home.status, 200, "[{backend}] {}", home.body);
        assert_ne!(p.cookies["custodian_patron"], first, "[{backend}]");
        assert_eq!(
            patron_me(&app, &first),
            401,
            "[{backend}] the earlier session ended"
        );

        // The JSON sign-ins never take a token from the caller either.
        let r = request(
            "POST",
            &app.url("/api/v1/auth/sign-in"),
            &[("cookie", "custodian_session=planted-again")],
            Some(&json!({"email": email, "password": password})),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_ne!(r.body["token"], "planted-again");
        assert_eq!(me(&app, "planted-again"), 401, "[{backend}]");
    });
}

#[test]
fn staff_sessions_end_on_a_password_change_a_role_change_and_a_disabled_account() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in(ADMIN);
        let (id, email, password) = clerk(&app, &admin, "rev");
        let member = app.url(&format!("/api/v1/libraries/riverbend/staff/{id}"));

        // A role change: both of the clerk's sessions end; the admin's does not.
        let (a, b) = (
            staff_token(&app, &email, &password),
            staff_token(&app, &email, &password),
        );
        let r = patch(&member, Some(&admin), &json!({"role": "admin"}));
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(me(&app, &a), 401, "[{backend}] role change");
        assert_eq!(me(&app, &b), 401, "[{backend}] role change");
        assert_eq!(me(&app, &admin), 200, "[{backend}]");
        // Changing only the name keeps the session.
        let c = staff_token(&app, &email, &password);
        let r = patch(&member, Some(&admin), &json!({"display_name": "Renamed"}));
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(
            me(&app, &c),
            200,
            "[{backend}] a new name is not a new standing"
        );

        // A password change.
        let r = patch(
            &member,
            Some(&admin),
            &json!({"password": "a-new-password-for-the-clerk"}),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(me(&app, &c), 401, "[{backend}] password change");
        let password = "a-new-password-for-the-clerk";

        // Disabled: the session ends and stays ended once enabled again.
        let d = staff_token(&app, &email, password);
        let r = patch(&member, Some(&admin), &json!({"disabled": true}));
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(me(&app, &d), 401, "[{backend}] disabled");
        let r = patch(&member, Some(&admin), &json!({"disabled": false}));
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(me(&app, &d), 401, "[{backend}] enabling does not revive it");
        assert_eq!(me(&app, &staff_token(&app, &email, password)), 200);
    });
}

#[test]
fn patron_sessions_end_on_a_pin_change_and_when_the_patron_is_deleted() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in(ADMIN);
        let id = patron(&app, &admin, "riverbend", "21000777002");
        let (a, b) = (
            patron_token(&app, "21000777002", "2468"),
            patron_token(&app, "21000777002", "2468"),
        );
        let r = put(
            &app.url("/api/v1/patron/me/pin"),
            Some(&a),
            &json!({"current_pin": "2468", "new_pin": "97531"}),
        );
        assert!(r.status < 300, "[{backend}] {:?}", r.body);
        assert_eq!(patron_me(&app, &a), 401, "[{backend}] PIN change");
        assert_eq!(
            patron_me(&app, &b),
            401,
            "[{backend}] PIN change, the other session"
        );

        let c = patron_token(&app, "21000777002", "97531");
        assert_eq!(patron_me(&app, &c), 200, "[{backend}]");
        let r = delete(
            &app.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{id}?purpose=the%20patron%20asked%20to%20be%20deleted"
            )),
            Some(&admin),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(patron_me(&app, &c), 401, "[{backend}] deleted patron");
    });
}

#[test]
fn sessions_end_after_the_idle_time_and_at_the_absolute_lifetime_even_in_use() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in(ADMIN);
        let (_, email, password) = clerk(&app, &admin, "life");
        patron(&app, &admin, "riverbend", "21000777003");
        let mut raw = raw(&app);
        let ago = |minutes: i64| match backend {
            Backend::Sqlite => format!("datetime('now', '-{minutes} minutes')"),
            Backend::Postgres => {
                format!("(now() at time zone 'utc') - interval '{minutes} minutes'")
            }
        };

        // Absolute: 12 hours from sign-in (auth.session_hours), stored as such.
        let staff = staff_token(&app, &email, &password);
        let pat = patron_token(&app, "21000777003", "2468");
        let r = post(
            &app.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": email, "password": password}),
        );
        let expires = chrono::DateTime::parse_from_rfc3339(r.body["expires_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        let hours = (expires - chrono::Utc::now()).num_minutes();
        assert!((715..=720).contains(&hours), "[{backend}] {hours} minutes");

        // Used a moment ago, but past the absolute lifetime: ended all the same.
        raw.batch_execute(&format!(
            "UPDATE sessions SET expires_at = {}, last_seen_at = {}; \
             UPDATE patron_sessions SET expires_at = {}, last_seen_at = {}",
            ago(1),
            ago(0),
            ago(1),
            ago(0)
        ))
        .unwrap();
        assert_eq!(me(&app, &staff), 401, "[{backend}] staff, absolute");
        assert_eq!(patron_me(&app, &pat), 401, "[{backend}] patron, absolute");

        // Idle: 29 minutes unused is still live (and using it renews it); 31 is not.
        let staff = staff_token(&app, &email, &password);
        let pat = patron_token(&app, "21000777003", "2468");
        raw.batch_execute(&format!(
            "UPDATE sessions SET last_seen_at = {} WHERE revoked_at IS NULL AND expires_at > {}; \
             UPDATE patron_sessions SET last_seen_at = {} WHERE revoked_at IS NULL AND expires_at > {}",
            ago(29),
            ago(0),
            ago(29),
            ago(0)
        ))
        .unwrap();
        assert_eq!(me(&app, &staff), 200, "[{backend}] staff, 29 minutes");
        assert_eq!(patron_me(&app, &pat), 200, "[{backend}] patron, 29 minutes");
        raw.batch_execute(&format!(
            "UPDATE sessions SET last_seen_at = {}; UPDATE patron_sessions SET last_seen_at = {}",
            ago(31),
            ago(31)
        ))
        .unwrap();
        assert_eq!(me(&app, &staff), 401, "[{backend}] staff, idle");
        assert_eq!(patron_me(&app, &pat), 401, "[{backend}] patron, idle");
    });
}
