//! The people most tests need: a new member of a library's staff, and a
//! patron with an email address (so mail to them can be read back).

use serde_json::json;
use testkit::app::TestApp;
use testkit::browser::{sign_in, Browser};
use testkit::http::{post, register, staff_url};

/// A new member of `library` in `role`, added by its demo admin; their API token.
pub fn member(app: &TestApp, library: &str, role: &str) -> String {
    let (email, password) = new_member(app, library, role);
    let r = post(
        &app.url("/api/v1/auth/sign-in"),
        None,
        &json!({"email": email, "password": password}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

/// A new member of `library` in `role`: their API token, and a browser
/// signed in as them through the sign-in page.
pub fn member_in_browser(app: &TestApp, library: &str, role: &str) -> (String, Browser) {
    let (email, password) = new_member(app, library, role);
    let r = post(
        &app.url("/api/v1/auth/sign-in"),
        None,
        &json!({"email": email, "password": password}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let mut b = Browser::new(app);
    let (_, landed) = sign_in(&mut b, &email, &password);
    assert_eq!(landed.status, 200, "[{}] {}", b.backend, landed.body);
    (r.body["token"].as_str().unwrap().to_owned(), b)
}

/// Adds `role.library@…` to `library`'s staff: (email, initial password).
fn new_member(app: &TestApp, library: &str, role: &str) -> (String, String) {
    let admin = app.sign_in(&format!("admin.{library}@demo.custodian.test"));
    let email = format!("{role}@{library}.example");
    let created = post(
        &staff_url(app, library),
        Some(&admin),
        &json!({"email": email, "display_name": format!("The {role}"), "role": role}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    let password = created.body["initial_password"]
        .as_str()
        .unwrap()
        .to_owned();
    (email, password)
}

/// A new adult patron of `library` with card `card`, PIN 2468 and the email
/// `p{card}@example.org`; their id.
pub fn patron(app: &TestApp, token: &str, library: &str, card: &str) -> i64 {
    let made = register(
        app,
        token,
        library,
        json!({"card_number": card, "pin": "2468", "name": "Test Patron", "email": format!("p{card}@example.org"), "birth_date": "1980-01-01"}),
    );
    made["id"].as_i64().unwrap()
}
