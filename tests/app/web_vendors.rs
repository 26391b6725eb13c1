//! Pages in a client's hands: a library's vendor contracts and keys for its
//! admin (in-process, both backends). The admin adds a contract through the
//! form (a refused one keeps what was typed), creates a key that is shown
//! once and works on the vendor endpoint, revokes it, and ends a contract
//! early; staff are refused and another library's admin finds nothing.

use crate::app::support::*;
use chrono::{Duration, Utc};
use serde_json::json;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const OTHER: &str = "admin.cedar-county@demo.custodian.test";
const BASE: &str = "/libraries/riverbend/vendors/manage";
/// A riverbend card, registered by each test (the demo's first patron's number).
const CARD: &str = "29001000001";

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn signed_in(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = Browser::new(app);
    let (_, landed) = sign_in(&mut b, email, &app.password(email));
    assert_eq!(landed.status, 200, "[{}] {}", b.backend, landed.body);
    let csrf = csrf_of(&landed.body);
    (b, csrf)
}

fn patron(app: &TestApp) {
    register(
        app,
        &app.sign_in(ADMIN),
        "riverbend",
        json!({"card_number": CARD, "pin": "2468", "name": "Vera Vendorcheck", "birth_date": "1980-02-03"}),
    );
}

fn id_of(location: &str) -> i64 {
    let tail = location.rsplit('/').next().unwrap();
    tail.split('?').next().unwrap().parse().unwrap()
}

/// Adds a contract through the form; the contract's page address.
fn add_vendor(b: &mut Browser, csrf: &str, name: &str, starts: &str, ends: &str) -> String {
    let made = b.post(
        BASE,
        &[
            ("csrf", csrf),
            ("name", name),
            ("service", "e-books"),
            ("privacy_policy_url", "https://vendor.example/privacy"),
            ("contract_starts", starts),
            ("contract_ends", ends),
            ("fields", "card_valid"),
            ("fields", "name"),
            ("purpose", "patron sign-in for e-book loans"),
        ],
    );
    assert_eq!(made.status, 303, "[{}] {}", b.backend, made.body);
    made.location.unwrap()
}

/// Creates a key on the contract's page; (the answer, the key it shows).
fn create_key(b: &mut Browser, csrf: &str, vendor: &str) -> (Page, String) {
    let shown = b.post(&format!("{vendor}/keys"), &[("csrf", csrf)]);
    assert_eq!(shown.status, 201, "[{}] {}", b.backend, shown.body);
    let at = shown.body.find("<code id=\"new-key\">").unwrap() + "<code id=\"new-key\">".len();
    let key = shown.body[at..at + shown.body[at..].find('<').unwrap()].to_owned();
    (shown, key)
}

fn check(app: &TestApp, key: &str) -> Reply {
    post_with_headers(
        &app.url("/api/v1/vendor/patron-status"),
        &[("Authorization", &format!("Bearer {key}"))],
        &json!({"card_number": CARD}),
    )
}

#[test]
fn an_admin_adds_a_vendor_through_the_form_and_a_refused_form_keeps_what_was_typed() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let (mut b, csrf) = signed_in(&app, ADMIN);

        // The header leads to the page; nothing entered yet.
        let home = b.get("/libraries/riverbend");
        assert!(
            home.body
                .contains(&format!("<a href=\"{BASE}\">Vendors</a>")),
            "[{backend}] {}",
            home.body
        );
        let list = b.get(BASE);
        assert_eq!(list.status, 200, "[{backend}] {}", list.body);
        assert!(
            list.body
                .contains("<title>Vendors of Riverbend Public Library – custodian</title>"),
            "{}",
            list.body
        );
        assert!(
            list.body.contains(&format!(
                "<a href=\"{BASE}\" aria-current=\"page\">Vendors</a>"
            )),
            "{}",
            list.body
        );
        assert!(list
            .body
            .contains("No vendor contract has been entered yet."));
        assert!(list.body.contains("<h2 id=\"add\">Add a vendor</h2>"));

        // An address that is not a web address: refused beside its field.
        let refused = b.post(
            BASE,
            &[
                ("csrf", &csrf),
                ("name", "Books Online"),
                ("service", "e-books"),
                ("privacy_policy_url", "ftp://vendor.example/privacy"),
                ("contract_starts", "2020-01-01"),
                ("contract_ends", &day(30)),
                ("fields", "name"),
                ("fields", "email"),
                ("purpose", "patron sign-in for e-book loans"),
                ("erasure_contact", "privacy@vendor.example"),
            ],
        );
        assert_eq!(refused.status, 400, "[{backend}] {}", refused.body);
        let body = &refused.body;
        assert!(body.contains("<title>Error: Vendors of "), "{body}");
        assert!(
            body.contains("id=\"privacy_policy_url-error\">Enter the address of the vendor's privacy policy, starting with https://"),
            "{body}"
        );
        assert!(body.contains("aria-invalid=\"true\""), "{body}");
        for kept in [
            "value=\"Books Online\"",
            "value=\"ftp://vendor.example/privacy\"",
            "value=\"2020-01-01\"",
            "value=\"patron sign-in for e-book loans\"",
            "value=\"privacy@vendor.example\"",
            "id=\"field-name\" name=\"fields\" value=\"name\" checked",
            "id=\"field-email\" name=\"fields\" value=\"email\" checked",
        ] {
            assert!(body.contains(kept), "[{backend}] {kept} lost: {body}");
        }
        assert!(
            body.contains("id=\"field-age_band\" name=\"fields\" value=\"age_band\" />"),
            "an unticked box stays unticked: {body}"
        );
        // A contract ending before it starts says so in words.
        let backwards = b.post(
            BASE,
            &[
                ("csrf", &csrf),
                ("name", "Books Online"),
                ("service", "e-books"),
                ("privacy_policy_url", "https://vendor.example/privacy"),
                ("contract_starts", "2026-06-01"),
                ("contract_ends", "2026-01-01"),
                ("purpose", "patron sign-in"),
            ],
        );
        assert_eq!(backwards.status, 400, "[{backend}]");
        assert!(
            backwards
                .body
                .contains("id=\"contract_ends-error\">The contract cannot end before it starts"),
            "{}",
            backwards.body
        );
        // Without the session's token nothing is entered.
        let forged = b.post(BASE, &[("csrf", "not-the-token"), ("name", "Forged")]);
        assert_eq!(forged.status, 403, "[{backend}]");

        let to = add_vendor(&mut b, &csrf, "Books Online", "2020-01-01", &day(30));
        let id = id_of(&to);
        assert!(to.starts_with(&format!("{BASE}/{id}")), "{to}");
        let shown = b.get(&to);
        assert_eq!(shown.status, 200, "[{backend}] {}", shown.body);
        assert!(
            shown.body.contains("The vendor was added."),
            "{}",
            shown.body
        );
        assert!(
            shown.body.contains("<h1>Books Online: e-books</h1>"),
            "{}",
            shown.body
        );
        assert!(shown.body.contains("has no key yet"), "{}", shown.body);
        add_vendor(&mut b, &csrf, "Future Music", &day(1), &day(30));
        add_vendor(&mut b, &csrf, "Old Films", "2020-01-01", &day(-1));

        let list = b.get(BASE);
        let body = &list.body;
        assert!(
            body.contains(&format!("<a href=\"{BASE}/{id}\">Books Online</a>")),
            "{body}"
        );
        assert!(
            body.contains(&format!(
                "data-label=\"Contract\">2020-01-01 to {}</td><td role=\"cell\" data-label=\"Status\">Running</td>",
                day(30)
            )),
            "{body}"
        );
        assert!(body.contains("data-label=\"Status\">Upcoming<"), "{body}");
        assert!(body.contains("data-label=\"Status\">Ended<"), "{body}");
        assert!(
            body.contains("Whether the card is in good standing, The patron's name"),
            "{body}"
        );
        // The JSON endpoint sees the same contract.
        let api = get(
            &app.url(&format!("/api/v1/libraries/riverbend/vendors/{id}")),
            Some(&app.sign_in(ADMIN)),
        );
        assert_eq!(
            api.body["fields"],
            json!(["card_valid", "name"]),
            "[{backend}]"
        );
    });
}

#[test]
fn a_key_made_on_the_page_is_shown_once_works_and_is_revoked_there() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let (mut b, csrf) = signed_in(&app, ADMIN);
        let vendor = add_vendor(&mut b, &csrf, "Books Online", "2020-01-01", &day(30));
        let vendor = vendor.split('?').next().unwrap().to_owned();

        let (shown, key) = create_key(&mut b, &csrf, &vendor);
        assert_eq!(shown.cache_control, "no-store", "[{backend}]");
        let (kid, secret) = key.split_once('.').unwrap();
        assert!(kid.starts_with("cvk_") && secret.len() >= 32, "{key}");
        assert_eq!(shown.body.matches(secret).count(), 1, "{}", shown.body);
        assert!(
            shown.body.contains("It will not be shown again"),
            "{}",
            shown.body
        );
        assert!(
            shown.body.contains("<code>Authorization: Bearer</code>")
                && shown
                    .body
                    .contains("<code>POST /api/v1/vendor/patron-status</code>"),
            "{}",
            shown.body
        );
        assert!(
            shown.body.contains(&format!(
                "the key id <code>{kid}</code>, the part before the first dot"
            )),
            "{}",
            shown.body
        );

        let r = check(&app, &key);
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(r.body["valid"], true, "[{backend}] {:?}", r.body);
        assert_eq!(r.body["name"], "Vera Vendorcheck", "[{backend}]");

        // The contract's page lists the key, used, and never its secret.
        let page = b.get(&vendor);
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        assert!(
            !page.body.contains(secret),
            "the secret again: {}",
            page.body
        );
        assert!(
            page.body.contains(&format!("<code>{kid}</code>")),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("data-label=\"Last used\">Never<"),
            "the check was not recorded: {}",
            page.body
        );
        let revoke = format!("{vendor}/keys/{kid}/revoke");
        assert!(
            page.body.contains(&format!("action=\"{revoke}\"")),
            "{}",
            page.body
        );

        // A second key, never used.
        let (_, second) = create_key(&mut b, &csrf, &vendor);
        let page = b.get(&vendor);
        assert!(
            page.body.contains("data-label=\"Last used\">Never<"),
            "{}",
            page.body
        );

        assert_eq!(b.post(&revoke, &[("csrf", "forged")]).status, 403);
        assert_eq!(
            check(&app, &key).status,
            200,
            "a forged revoke changed nothing"
        );
        let done = b.post(&revoke, &[("csrf", &csrf)]);
        assert_eq!(done.status, 303, "[{backend}] {}", done.body);
        let after = b.get(&done.location.unwrap());
        assert!(after.body.contains("The key was revoked"), "{}", after.body);
        assert!(
            after.body.contains("data-label=\"State\">Revoked "),
            "{}",
            after.body
        );
        assert!(
            !after.body.contains(&format!("action=\"{revoke}\"")),
            "{}",
            after.body
        );
        check(&app, &key).assert_problem(401, "vendor-key-invalid");
        assert_eq!(
            check(&app, &second).status,
            200,
            "the other key still works"
        );
    });
}

#[test]
fn ending_a_contract_early_on_the_page_stops_its_keys() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let (mut b, csrf) = signed_in(&app, ADMIN);
        let vendor = add_vendor(&mut b, &csrf, "Books Online", "2020-01-01", &day(30));
        let vendor = vendor.split('?').next().unwrap().to_owned();
        let (_, key) = create_key(&mut b, &csrf, &vendor);
        assert_eq!(check(&app, &key).status, 200, "[{backend}]");

        // The form offers today; a later day than signed is refused in words.
        let page = b.get(&vendor);
        assert!(
            page.body
                .contains(&format!("name=\"contract_ends\" value=\"{}\"", day(0))),
            "{}",
            page.body
        );
        let longer = b.post(
            &format!("{vendor}/end"),
            &[("csrf", &csrf), ("contract_ends", &day(60))],
        );
        assert_eq!(longer.status, 400, "[{backend}] {}", longer.body);
        assert!(
            longer.body.contains(
                "id=\"contract_ends-error\">A contract can be ended early but not extended"
            ),
            "{}",
            longer.body
        );
        assert!(
            longer.body.contains(&format!("value=\"{}\"", day(60))),
            "{}",
            longer.body
        );
        assert_eq!(check(&app, &key).status, 200, "[{backend}]");

        let ended = b.post(
            &format!("{vendor}/end"),
            &[("csrf", &csrf), ("contract_ends", &day(-1))],
        );
        assert_eq!(ended.status, 303, "[{backend}] {}", ended.body);
        let after = b.get(&ended.location.unwrap());
        assert!(
            after.body.contains("The contract's last day was changed."),
            "{}",
            after.body
        );
        assert!(after.body.contains("<dd>Ended</dd>"), "{}", after.body);
        assert!(
            after.body.contains("This contract has ended"),
            "{}",
            after.body
        );
        let r = check(&app, &key);
        r.assert_problem(401, "contract-not-running");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("ended on {}", day(-1))),
            "[{backend}] {:?}",
            r.body
        );

        // The erasure contact is set, then cleared.
        let set = b.post(
            &format!("{vendor}/erasure-contact"),
            &[
                ("csrf", &csrf),
                ("erasure_contact", "privacy@vendor.example"),
            ],
        );
        assert_eq!(set.status, 303, "[{backend}] {}", set.body);
        let after = b.get(&set.location.unwrap());
        assert!(
            after.body.contains("The erasure contact was saved."),
            "{}",
            after.body
        );
        assert!(
            after.body.contains("<dd>privacy@vendor.example</dd>"),
            "{}",
            after.body
        );
        let long = "x".repeat(400);
        let refused = b.post(
            &format!("{vendor}/erasure-contact"),
            &[("csrf", &csrf), ("erasure_contact", &long)],
        );
        assert_eq!(refused.status, 400, "[{backend}]");
        assert!(
            refused.body.contains("id=\"erasure_contact-error\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains(&format!("value=\"{long}\"")),
            "kept what was typed"
        );
        let cleared = b.post(
            &format!("{vendor}/erasure-contact"),
            &[("csrf", &csrf), ("erasure_contact", "")],
        );
        assert_eq!(cleared.status, 303, "[{backend}]");
        assert!(b.get(&vendor).body.contains("<dd>None</dd>"));
    });
}

#[test]
fn only_the_librarys_admin_reaches_the_vendor_pages() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let (mut admin, csrf) = signed_in(&app, ADMIN);
        let vendor = add_vendor(&mut admin, &csrf, "Books Online", "2020-01-01", &day(30));
        let vendor = vendor.split('?').next().unwrap().to_owned();
        let (_, key) = create_key(&mut admin, &csrf, &vendor);
        let kid = key.split_once('.').unwrap().0.to_owned();

        // Staff and the custodian of records of riverbend: the app's 403
        // page, and no Vendors link in their header.
        for role in ["staff", "custodian"] {
            let email = format!("{role}.vendors@riverbend.example");
            let made = post(
                &staff_url(&app, "riverbend"),
                Some(&app.sign_in(ADMIN)),
                &json!({"email": email, "display_name": "Desk Staff", "role": role}),
            );
            assert_eq!(made.status, 201, "{:?}", made.body);
            let mut staff = Browser::new(&app);
            let (_, landed) = sign_in(
                &mut staff,
                &email,
                made.body["initial_password"].as_str().unwrap(),
            );
            assert!(!landed.body.contains(BASE), "[{role}] {}", landed.body);
            let staff_csrf = csrf_of(&landed.body);
            for path in [BASE.to_owned(), vendor.clone()] {
                let r = staff.get(&path);
                assert_eq!(r.status, 403, "[{backend}] [{role}] {path}: {}", r.body);
                assert!(
                    r.content_type.starts_with("text/html"),
                    "{}",
                    r.content_type
                );
                assert!(r.body.contains("only a library admin"), "{}", r.body);
            }
            for path in [
                BASE.to_owned(),
                format!("{vendor}/keys"),
                format!("{vendor}/keys/{kid}/revoke"),
                format!("{vendor}/end"),
                format!("{vendor}/erasure-contact"),
            ] {
                let r = staff.post(
                    &path,
                    &[("csrf", &staff_csrf), ("contract_ends", "2020-01-02")],
                );
                assert_eq!(r.status, 403, "[{backend}] [{role}] {path}");
            }
        }
        let admin_page = admin.get(&vendor);
        assert!(
            admin_page.body.contains(&format!("<code>{kid}</code>"))
                && !admin_page.body.contains("data-label=\"State\">Revoked")
                && admin_page
                    .body
                    .contains(&format!("{} to {}", "2020-01-01", day(30))),
            "staff changed nothing: {}",
            admin_page.body
        );

        // Cedar County's admin: riverbend's pages do not exist for them.
        let (mut other, other_csrf) = signed_in(&app, OTHER);
        let home = other.get("/libraries/cedar-county");
        assert!(
            home.body
                .contains("<a href=\"/libraries/cedar-county/vendors/manage\">Vendors</a>"),
            "{}",
            home.body
        );
        for path in [BASE.to_owned(), vendor.clone()] {
            let r = other.get(&path);
            assert_eq!(r.status, 404, "[{backend}] {path}: {}", r.body);
        }
        let r = other.post(&format!("{vendor}/keys"), &[("csrf", &other_csrf)]);
        assert_eq!(r.status, 404, "[{backend}]");
        let id = vendor.rsplit('/').next().unwrap();
        let theirs = other.get(&format!("/libraries/cedar-county/vendors/manage/{id}"));
        assert_eq!(theirs.status, 404, "[{backend}] {}", theirs.body);
    });
}
