//! Vendor notices (#14) in process: a contract ending within 30 days and one
//! that ended each tell the library's admin once (a second pass sends
//! nothing, a contract ending in 60 days nothing yet); deleting a patron
//! tells the vendors that were given who the card belongs to and named an
//! erasure contact, and no other; a member library's directory page links
//! to its public list of vendors.
//!
//! The pass is `custodian vendors notify`'s own function, run against the
//! app's database; the app's outbox workers deliver what it queues.

use crate::app::support::*;
use chrono::{Duration as Days, NaiveDate, Utc};
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const CARD: &str = "21000919001";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn day(offset: i64) -> String {
    (today() + Days::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn contract(
    name: &str,
    starts: &str,
    ends: &str,
    fields: &[&str],
    erasure_contact: Option<&str>,
) -> Value {
    json!({
        "name": name,
        "service": "e-books",
        "privacy_policy_url": "https://vendor.example/privacy",
        "contract_starts": starts,
        "contract_ends": ends,
        "fields": fields,
        "purpose": "patron authentication for e-book loans",
        "erasure_contact": erasure_contact,
    })
}

fn enter(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = post(
        &app.url("/api/v1/libraries/riverbend/vendors"),
        Some(token),
        &body,
    );
    assert_eq!(r.status, 201, "[{}] {:?}", app.backend, r.body);
    r.body["id"].as_i64().unwrap()
}

fn notify(app: &TestApp) -> custody::vendor_notices::NoticeReport {
    tenant_api::cli::vendors::run(&app.settings, today())
        .unwrap_or_else(|e| panic!("[{}] vendors notify: {e}", app.backend))
}

fn to(m: &testkit::app::Mail) -> String {
    m.header("To").unwrap_or_default()
}

fn subject(m: &testkit::app::Mail) -> String {
    m.header("Subject").unwrap_or_default()
}

fn about<'a>(mail: &'a [testkit::app::Mail], vendor: &str) -> Vec<&'a testkit::app::Mail> {
    mail.iter()
        .filter(|m| subject(m).contains(&format!("the contract with {vendor} ")))
        .collect()
}

#[test]
fn a_contract_ending_soon_and_one_ended_each_tell_the_admins_once() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let token = app.sign_in(ADMIN);
        enter(
            &app,
            &token,
            contract("Soonreads", &day(-100), &day(20), &["card_valid"], None),
        );
        enter(
            &app,
            &token,
            contract("Laterreads", &day(-100), &day(60), &["card_valid"], None),
        );
        enter(
            &app,
            &token,
            contract("Gonereads", "2020-01-01", &day(-1), &["card_valid"], None),
        );

        notify(&app);
        let mail = app.wait_for_mail(2, Duration::from_secs(20));
        let soon = about(&mail, "Soonreads");
        assert_eq!(soon.len(), 1, "[{backend}] {:?}", mail);
        assert!(to(soon[0]).contains(ADMIN), "[{backend}] {}", to(soon[0]));
        assert!(
            subject(soon[0]).contains(&format!("ends on {}", day(20))),
            "[{backend}] {}",
            subject(soon[0])
        );
        let text = soon[0].text();
        assert!(text.contains("in 20 days"), "[{backend}] {text}");
        assert!(text.contains("enter a new contract"), "[{backend}] {text}");
        assert!(
            text.contains("/libraries/riverbend/vendors"),
            "[{backend}] {text}"
        );

        let gone = about(&mail, "Gonereads");
        assert_eq!(gone.len(), 1, "[{backend}] {:?}", mail);
        assert!(to(gone[0]).contains(ADMIN), "[{backend}]");
        assert!(
            subject(gone[0]).contains(&format!("ended on {}", day(-1))),
            "[{backend}] {}",
            subject(gone[0])
        );
        assert!(
            gone[0].text().contains("no longer work"),
            "[{backend}] {}",
            gone[0].text()
        );

        // A second pass finds every notice sent already.
        let again = notify(&app);
        assert!(again.sent.is_empty(), "[{backend}] {:?}", again);
        std::thread::sleep(Duration::from_secs(3));
        let mail = app.mail();
        assert_eq!(about(&mail, "Soonreads").len(), 1, "[{backend}]");
        assert_eq!(about(&mail, "Gonereads").len(), 1, "[{backend}]");
        assert!(about(&mail, "Laterreads").is_empty(), "[{backend}]");

        // Each notice is in the library's audit chain.
        let log = get(
            &app.url("/api/v1/libraries/riverbend/audit?limit=200"),
            Some(&token),
        );
        assert_eq!(log.status, 200, "[{backend}] {:?}", log.body);
        let text = log.body.to_string();
        assert!(
            text.contains("vendor.notice.ends_soon"),
            "[{backend}] {text}"
        );
        assert!(text.contains("vendor.notice.ended"), "[{backend}] {text}");
    });
}

#[test]
fn deleting_a_patron_tells_the_vendors_that_know_who_they_are() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let token = app.sign_in(ADMIN);
        enter(
            &app,
            &token,
            contract(
                "Namedreads",
                &day(-10),
                &day(300),
                &["card_valid", "name", "email"],
                Some("erase@namedreads.example"),
            ),
        );
        enter(
            &app,
            &token,
            contract(
                "Cardonly",
                &day(-10),
                &day(300),
                &["card_valid", "age_band"],
                Some("erase@cardonly.example"),
            ),
        );
        enter(
            &app,
            &token,
            contract("Nocontact", &day(-10), &day(300), &["name"], None),
        );
        enter(
            &app,
            &token,
            contract(
                "Pastreads",
                "2020-01-01",
                &day(-400),
                &["name"],
                Some("erase@pastreads.example"),
            ),
        );
        // A contact that is no address does not hold up the deletion.
        enter(
            &app,
            &token,
            contract(
                "Typoreads",
                &day(-10),
                &day(300),
                &["email"],
                Some("erase at typoreads"),
            ),
        );
        let patron = register(
            &app,
            &token,
            "riverbend",
            json!({"card_number": CARD, "pin": "2468", "name": "Erin Erasure", "email": "erin.e@example.org"}),
        );
        let id = patron["id"].as_i64().unwrap();
        let url = app.url(&format!(
            "/api/v1/libraries/riverbend/patrons/{id}?purpose=patron%20asked%20to%20be%20deleted"
        ));

        // A deletion that fails tells nobody.
        let missing = delete(
            &app.url("/api/v1/libraries/riverbend/patrons/999999?purpose=patron%20asked"),
            Some(&token),
        );
        assert_eq!(missing.status, 404, "[{backend}] {:?}", missing.body);

        let done = delete(&url, Some(&token));
        assert_eq!(done.status, 200, "[{backend}] {:?}", done.body);
        assert_eq!(done.body["vendors_told"], 1, "[{backend}] {:?}", done.body);
        let mail = app.wait_for_mail(1, Duration::from_secs(20));
        let erasure: Vec<_> = mail
            .iter()
            .filter(|m| subject(m).contains("please erase"))
            .collect();
        assert_eq!(erasure.len(), 1, "[{backend}] {:?}", mail);
        assert!(
            to(erasure[0]).contains("erase@namedreads.example"),
            "[{backend}] {}",
            to(erasure[0])
        );
        assert!(
            !subject(erasure[0]).contains(CARD),
            "[{backend}] the card number stays out of the subject"
        );
        let text = erasure[0].text();
        assert!(text.contains(CARD), "[{backend}] {text}");
        assert!(
            text.contains("name and email address"),
            "[{backend}] {text}"
        );
        assert!(text.contains("Erase what you hold"), "[{backend}] {text}");

        // Queued in the same transaction as the one sent: nothing more comes.
        std::thread::sleep(Duration::from_secs(3));
        let all: Vec<String> = app.mail().iter().map(to).collect();
        for other in [
            "erase@cardonly.example",
            "erase@pastreads.example",
            "erin.e@example.org",
        ] {
            assert!(
                !all.iter().any(|t| t.contains(other)),
                "[{backend}] {other}: {all:?}"
            );
        }
    });
}

#[test]
fn a_member_librarys_directory_page_links_to_its_vendors() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let token = app.sign_in(ADMIN);
        let own = get(
            &app.url("/api/v1/libraries/riverbend/directory-entry"),
            Some(&token),
        );
        assert_eq!(own.status, 200, "[{backend}] {:?}", own.body);
        let entry = own.body["entry"]["id"].as_i64().unwrap();

        let page = get(&app.url(&format!("/directory/{entry}")), None);
        assert_eq!(page.status, 200, "[{backend}]");
        let html = page.body.as_str().unwrap();
        assert!(
            html.contains(
                "<a href=\"/libraries/riverbend/vendors\">Vendors and their privacy policies</a>"
            ),
            "[{backend}] {html}"
        );
        let vendors = get(&app.url("/libraries/riverbend/vendors"), None);
        assert_eq!(vendors.status, 200, "[{backend}]");

        let json = get(
            &app.url(&format!("/api/v1/directory/libraries/{entry}")),
            None,
        );
        assert_eq!(json.body["member_library"], "riverbend", "[{backend}]");
    });
}
