//! Vendors (#14) in process: contracts and keys by the library's admin, the
//! patron-status check a key makes over REST (before, during and after its
//! contract; another library's card; only the granted fields), revocation,
//! the public list of contracts running today, and the patron's access log.

use crate::app::support::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

const CARD: &str = "21000888001";
const PIN: &str = "2468";

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn base(app: &TestApp, library: &str) -> String {
    app.url(&format!("/api/v1/libraries/{library}/vendors"))
}

fn admin(app: &TestApp, library: &str) -> String {
    app.sign_in(&format!("admin.{library}@demo.custodian.test"))
}

fn contract(name: &str, starts: &str, ends: &str, fields: &[&str]) -> Value {
    json!({
        "name": name,
        "service": "e-books",
        "privacy_policy_url": "https://vendor.example/privacy",
        "contract_starts": starts,
        "contract_ends": ends,
        "fields": fields,
        "purpose": "patron authentication for e-book loans",
    })
}

/// A vendor of `library` and a key for it: (vendor id, full key).
fn vendor_key(app: &TestApp, library: &str, body: Value) -> (i64, String) {
    let token = admin(app, library);
    let made = post(&base(app, library), Some(&token), &body);
    assert_eq!(made.status, 201, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let key = post(
        &format!("{}/{id}/keys", base(app, library)),
        Some(&token),
        &json!({}),
    );
    assert_eq!(key.status, 201, "{:?}", key.body);
    let full = key.body["key"].as_str().unwrap().to_owned();
    let (kid, secret) = (
        key.body["id"].as_str().unwrap(),
        key.body["secret"].as_str().unwrap(),
    );
    assert_eq!(full, format!("{kid}.{secret}"));
    assert!(kid.starts_with("cvk_") && kid.len() == 20, "{kid}");
    assert!(secret.len() >= 32);
    (id, full)
}

fn check(app: &TestApp, key: &str, body: Value) -> Reply {
    post_with_headers(
        &app.url("/api/v1/vendor/patron-status"),
        &[("Authorization", &format!("Bearer {key}"))],
        &body,
    )
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn patron(app: &TestApp, library: &str, card: &str) {
    let token = admin(app, library);
    register(
        app,
        &token,
        library,
        json!({"card_number": card, "pin": PIN, "name": "Vera Vendorcheck", "email": "vera.v@example.org", "birth_date": "1980-02-03"}),
    );
}

#[test]
fn a_key_works_only_while_its_contract_runs() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app, "riverbend", CARD);
        let ask = json!({"card_number": CARD});

        let (_, early) = vendor_key(
            &app,
            "riverbend",
            contract("Soon", &day(1), &day(30), &["card_valid"]),
        );
        let r = check(&app, &early, ask.clone());
        r.assert_problem(401, "contract-not-running");
        assert!(
            r.body["detail"].as_str().unwrap().contains(&day(1)),
            "[{backend}] {:?}",
            r.body
        );

        let (_, late) = vendor_key(
            &app,
            "riverbend",
            contract("Gone", "2020-01-01", &day(-1), &["card_valid"]),
        );
        let r = check(&app, &late, ask.clone());
        r.assert_problem(401, "contract-not-running");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("ended on {}", day(-1))),
            "[{backend}] {detail}"
        );

        let (id, now) = vendor_key(
            &app,
            "riverbend",
            contract("Now", "2020-01-01", &day(30), &["card_valid"]),
        );
        let r = check(&app, &now, ask.clone());
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(
            r.body,
            json!({"valid": true, "card_valid": true}),
            "[{backend}]"
        );

        // A contract is not extended by PATCH, but it can be ended early.
        let token = admin(&app, "riverbend");
        let longer = patch(
            &format!("{}/{id}", base(&app, "riverbend")),
            Some(&token),
            &json!({"contract_ends": day(60)}),
        );
        assert_eq!(longer.status, 400, "[{backend}] {:?}", longer.body);
        assert_eq!(longer.body["field"], "contract_ends");
        let ended = patch(
            &format!("{}/{id}", base(&app, "riverbend")),
            Some(&token),
            &json!({"contract_ends": day(-1)}),
        );
        assert_eq!(ended.status, 200, "[{backend}] {:?}", ended.body);
        assert_eq!(ended.body["in_force"], false);
        let r = check(&app, &now, ask);
        r.assert_problem(401, "contract-not-running");
        assert!(r.body["detail"].as_str().unwrap().contains(&day(-1)));
    });
}

#[test]
fn only_granted_fields_and_one_answer_for_every_invalid_card() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app, "riverbend", CARD);
        patron(&app, "lakeshore", "31000777001");
        let (_, key) = vendor_key(
            &app,
            "riverbend",
            contract("Books Online", "2020-01-01", &day(30), &["name", "email"]),
        );

        let r = check(&app, &key, json!({"card_number": CARD}));
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(keys_of(&r.body), ["email", "name", "valid"], "[{backend}]");
        assert_eq!(r.body["name"], "Vera Vendorcheck");
        let r = check(&app, &key, json!({"card_number": CARD, "pin": PIN}));
        assert_eq!(
            keys_of(&r.body),
            ["email", "name", "pin_valid", "valid"],
            "[{backend}]"
        );
        assert_eq!(r.body["pin_valid"], true);

        // Wrong PIN, unknown card, a card of another library: the same answer.
        for body in [
            json!({"card_number": CARD, "pin": "0000"}),
            json!({"card_number": "29999999999"}),
            json!({"card_number": "31000777001"}),
        ] {
            let r = check(&app, &key, body);
            assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
            assert_eq!(r.body, json!({"valid": false}), "[{backend}]");
        }
        // And lakeshore's own key asking about riverbend's card.
        let (_, other) = vendor_key(
            &app,
            "lakeshore",
            contract("Lake Books", "2020-01-01", &day(30), &["name"]),
        );
        let r = check(&app, &other, json!({"card_number": CARD}));
        assert_eq!(r.body, json!({"valid": false}), "[{backend}]");
    });
}

#[test]
fn a_revoked_or_wrong_key_is_refused() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app, "riverbend", CARD);
        let (id, key) = vendor_key(
            &app,
            "riverbend",
            contract("Books Online", "2020-01-01", &day(30), &["card_valid"]),
        );
        let ask = json!({"card_number": CARD});
        assert_eq!(check(&app, &key, ask.clone()).status, 200);
        let (kid, _) = key.split_once('.').unwrap();
        check(&app, &format!("{kid}.wrong"), ask.clone()).assert_problem(401, "vendor-key-invalid");
        check(&app, "nonsense", ask.clone()).assert_problem(401, "vendor-key-invalid");

        let token = admin(&app, "riverbend");
        let listed = get(
            &format!("{}/{id}/keys", base(&app, "riverbend")),
            Some(&token),
        );
        assert_eq!(listed.status, 200, "[{backend}] {:?}", listed.body);
        let first = &listed.body["items"][0];
        assert_eq!(first["id"], kid);
        assert!(first["last_used_at"].is_string(), "[{backend}] {first:?}");
        assert!(
            first.get("secret").is_none()
                && !listed
                    .body
                    .to_string()
                    .contains(key.split_once('.').unwrap().1)
        );

        let gone = delete(
            &format!("{}/{id}/keys/{kid}", base(&app, "riverbend")),
            Some(&token),
        );
        assert_eq!(gone.status, 204, "[{backend}] {:?}", gone.body);
        check(&app, &key, ask).assert_problem(401, "vendor-key-invalid");
    });
}

#[test]
fn contracts_are_checked_field_by_field() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let token = admin(&app, "riverbend");
        for (body, field) in [
            (
                contract("X", "2020-01-01", "2030-01-01", &["name", "ssn"]),
                "fields",
            ),
            (
                contract("X", "2021-01-01", "2020-01-01", &["name"]),
                "contract_ends",
            ),
            (
                contract("X", "someday", "2020-01-01", &["name"]),
                "contract_starts",
            ),
            (
                json!({"name": "X", "service": "s", "privacy_policy_url": "ftp://x", "contract_starts": "2020-01-01", "contract_ends": "2030-01-01", "fields": [], "purpose": "p"}),
                "privacy_policy_url",
            ),
        ] {
            let r = post(&base(&app, "riverbend"), Some(&token), &body);
            assert_eq!(r.status, 400, "[{backend}] {:?}", r.body);
            assert_eq!(r.body["field"], field, "[{backend}] {:?}", r.body);
        }
        let r = post(
            &base(&app, "riverbend"),
            Some(&token),
            &contract("X", "2020-01-01", "2030-01-01", &["name", "ssn"]),
        );
        assert!(r.body["detail"].as_str().unwrap().contains("ssn"));
    });
}

#[test]
fn only_admins_of_the_library_manage_vendors() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let (id, _) = vendor_key(
            &app,
            "riverbend",
            contract("Books Online", "2020-01-01", &day(30), &["card_valid"]),
        );
        let rb = admin(&app, "riverbend");
        let email = "staff@riverbend.example";
        let made = post(
            &staff_url(&app, "riverbend"),
            Some(&rb),
            &json!({"email": email, "display_name": "Staff", "role": "staff"}),
        );
        assert_eq!(made.status, 201, "{:?}", made.body);
        let signed = post(
            &app.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": email, "password": made.body["initial_password"]}),
        );
        let staff = signed.body["token"].as_str().unwrap().to_owned();
        let other = admin(&app, "lakeshore");
        for url in [
            base(&app, "riverbend"),
            format!("{}/{id}", base(&app, "riverbend")),
            format!("{}/{id}/keys", base(&app, "riverbend")),
        ] {
            assert_eq!(get(&url, Some(&staff)).status, 403, "[{backend}] {url}");
            assert_eq!(get(&url, Some(&other)).status, 404, "[{backend}] {url}");
        }
        assert_eq!(
            post(
                &format!("{}/{id}/keys", base(&app, "riverbend")),
                Some(&staff),
                &json!({})
            )
            .status,
            403
        );
        assert_eq!(
            post(
                &format!("{}/{id}/keys", base(&app, "riverbend")),
                Some(&other),
                &json!({})
            )
            .status,
            404
        );
        // Lakeshore's admin does not see riverbend's vendor under lakeshore either.
        assert_eq!(
            get(&format!("{}/{id}", base(&app, "lakeshore")), Some(&other)).status,
            404
        );
    });
}

#[test]
fn the_public_list_shows_contracts_running_today_and_the_access_log_shows_checks() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app, "riverbend", CARD);
        let (_, key) = vendor_key(
            &app,
            "riverbend",
            contract("Books Online", "2020-01-01", &day(30), &["card_valid"]),
        );
        vendor_key(
            &app,
            "riverbend",
            contract("Old Films", "2020-01-01", &day(-1), &["card_valid"]),
        );
        vendor_key(
            &app,
            "riverbend",
            contract("Future Music", &day(1), &day(30), &["card_valid"]),
        );

        let public = get(&app.url("/api/v1/public/libraries/riverbend/vendors"), None);
        assert_eq!(public.status, 200, "[{backend}] {:?}", public.body);
        let items = public.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "[{backend}] {items:?}");
        assert_eq!(items[0]["name"], "Books Online");
        assert_eq!(
            items[0]["privacy_policy_url"],
            "https://vendor.example/privacy"
        );
        assert_eq!(
            get(&app.url("/api/v1/public/libraries/nowhere/vendors"), None).status,
            404
        );

        assert_eq!(check(&app, &key, json!({"card_number": CARD})).status, 200);
        let signed = patron_sign_in(&app, "riverbend", CARD, PIN);
        let token = signed.body["token"].as_str().unwrap().to_owned();
        let log = get(&app.url("/api/v1/patron/me/access-log"), Some(&token));
        assert_eq!(log.status, 200, "[{backend}] {:?}", log.body);
        assert!(
            log.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(
                    |e| e["purpose"] == "Books Online checked your card for e-books"
                        && e["who"].as_str().unwrap().starts_with("contracted vendor")
                ),
            "[{backend}] {:?}",
            log.body
        );
    });
}

#[test]
fn wrong_pins_are_throttled_per_card_with_retry_after() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app, "riverbend", CARD);
        let (_, key) = vendor_key(
            &app,
            "riverbend",
            contract("Books Online", "2020-01-01", &day(30), &["card_valid"]),
        );
        let mut last = None;
        for _ in 0..30 {
            let r = check(&app, &key, json!({"card_number": CARD, "pin": "0000"}));
            if r.status == 429 {
                last = Some(r);
                break;
            }
            assert_eq!(r.body, json!({"valid": false}), "[{backend}]");
        }
        let r = last.unwrap_or_else(|| panic!("[{backend}] never throttled"));
        assert!(r.header("retry-after").is_some(), "[{backend}]");
    });
}

#[test]
fn the_public_vendors_page_lists_current_contracts_without_sign_in() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        vendor_key(
            &app,
            "riverbend",
            contract("Books Online", "2020-01-01", &day(30), &["card_valid"]),
        );
        vendor_key(
            &app,
            "riverbend",
            contract("Old Films", "2020-01-01", &day(-1), &["card_valid"]),
        );
        let page = app.anonymous().get("/libraries/riverbend/vendors");
        let text = page.body.as_str().unwrap_or_default().to_owned();
        assert_eq!(page.status, 200, "[{backend}] {text}");
        assert!(text.contains("Books Online"), "[{backend}] {text}");
        assert!(
            text.contains("href=\"https://vendor.example/privacy\""),
            "[{backend}]"
        );
        assert!(!text.contains("Old Films"), "[{backend}]");
        // Linked from the library's landing page.
        let mut b = Browser::new(&app);
        let admin = "admin.riverbend@demo.custodian.test";
        sign_in(&mut b, admin, &app.password(admin));
        let home = b.get("/libraries/riverbend");
        assert_eq!(home.status, 200, "[{backend}] {}", home.body);
        assert!(
            home.body.contains("/libraries/riverbend/vendors"),
            "[{backend}] {}",
            home.body
        );
    });
}
