//! Pages in a client's hands: web_my (in-process, both backends). A patron
//! registered through the JSON API signs in through `/my/sign-in` and uses
//! their own pages: what they see, the forms' refusals beside their fields,
//! the CSRF refusal that changes nothing, and who may not open them.

use crate::app::support::*;
use serde_json::json;
use std::time::Duration;

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";
const CARD: &str = "21000666001";
const PIN: &str = "4321";

/// A patron of riverbend with contact data and two loans (one still out),
/// read once by staff for a stated purpose; returns their id.
fn patron(app: &TestApp) -> i64 {
    let staff = app.sign_in(ADMIN_A);
    let id = register(
        app,
        &staff,
        "riverbend",
        json!({"card_number": CARD, "pin": PIN, "name": "Wren Ashdown",
               "email": "wren@example.org", "phone": "816-555-0199", "birth_date": "1985-04-02"}),
    )["id"]
        .as_i64()
        .unwrap();
    let line = |ext: &str, ended: &str| {
        format!(
            r#"{{"kind":"circulation","source":"ils","external_id":"{ext}","occurred_at":"2026-10-01T10:00:00","ended_at":{ended},"item":"Title {ext}","branch":"Main","card_number":"{CARD}"}}"#
        )
    };
    let feed = post_raw_auth(
        &app.url("/api/v1/libraries/riverbend/records/feed"),
        &staff,
        "application/x-ndjson",
        &[line("W1", "null"), line("W2", "null")].join("\n"),
    );
    assert_eq!(feed.status, 201, "{:?}", feed.body);
    let read = get(
        &app.url(&format!(
            "/api/v1/libraries/riverbend/patrons/{id}?purpose=hold%20pickup"
        )),
        Some(&staff),
    );
    assert_eq!(read.status, 200, "{:?}", read.body);
    id
}

fn signed_in(app: &TestApp) -> Browser {
    let mut b = Browser::new(app);
    let (to, landed) = my_sign_in(&mut b, "riverbend", CARD, PIN);
    assert_eq!(to, "/my");
    assert_eq!(landed.status, 200, "{}", landed.body);
    b
}

/// The patron's own JSON view, to check what a page changed.
fn me_json(app: &TestApp) -> serde_json::Value {
    let r = patron_sign_in(app, "riverbend", CARD, PIN);
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    get(&app.url("/api/v1/patron/me"), Some(&token)).body
}

#[test]
fn the_account_page_shows_everything_held_at_a_glance() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let mut b = signed_in(&app);
        let home = b.get("/my");
        assert_eq!(home.status, 200);
        let h = &home.body;
        assert!(h.contains("<title>My account – custodian</title>"), "{h}");
        for shown in [
            "Wren Ashdown",
            CARD,
            "wren@example.org",
            "816-555-0199",
            "2 April 1985",
            "Off: when you return a loan",
            "No consents are recorded for you.",
            "2 records are linked to you",
            "Loans: 2",
            "href=\"/my/records\"",
            "href=\"/my/export\"",
            "Download my data",
            "href=\"/my/settings\"",
            "aria-current=\"page\"",
        ] {
            assert!(h.contains(shown), "{shown} missing from {h}");
        }
        assert_eq!(h.matches("<h1>").count(), 1);
    });
}

#[test]
fn records_access_log_and_requests_list_what_the_json_gives() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let mut b = signed_in(&app);
        let records = b.get("/my/records");
        assert_eq!(records.status, 200, "{}", records.body);
        let r = &records.body;
        assert!(
            r.contains("<caption>Records linked to you</caption>"),
            "{r}"
        );
        assert!(r.contains("Title W1") && r.contains("Title W2"), "{r}");
        assert!(r.contains("1 October 2026"), "{r}");
        assert!(r.contains("<th scope=\"col\">Kind</th>"), "{r}");
        // Paging with the API's cursor: one a page.
        let first = b.get("/my/records?limit=1");
        assert!(first.body.contains("Title W2"), "{}", first.body);
        assert!(!first.body.contains("Title W1"), "{}", first.body);
        let at = first.body.find("href=\"/my/records?cursor=").unwrap() + 6;
        let next = &first.body[at..];
        let next = next[..next.find('"').unwrap()].replace("&amp;", "&");
        let second = b.get(&next);
        assert!(second.body.contains("Title W1"), "{}", second.body);
        assert!(second.body.contains("First page"), "{}", second.body);
        assert_eq!(b.get("/my/records?cursor=zzz").status, 400);

        let log = b.get("/my/access-log");
        assert_eq!(log.status, 200, "{}", log.body);
        let l = &log.body;
        assert!(l.contains("hold pickup"), "{l}");
        assert!(l.contains("library staff (account"), "{l}");
        assert!(l.contains("Opened your account"), "{l}");
        assert!(!l.contains("@demo.custodian.test"), "no staff email: {l}");

        let requests = b.get("/my/requests");
        assert_eq!(requests.status, 200);
        assert!(
            requests.body.contains("You have made no requests."),
            "{}",
            requests.body
        );
    });
}

#[test]
fn the_export_downloads_the_patrons_data_as_json() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let b = signed_in(&app);
        let cookie = format!("custodian_patron={}", b.cookies["custodian_patron"]);
        let r = request(
            "GET",
            &app.url("/my/export"),
            &[("cookie", &cookie), ("accept", "text/html")],
            None,
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"my-library-data.json\"")
        );
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        assert_eq!(r.body["patron"]["data"]["name"], "Wren Ashdown");
        assert_eq!(r.body["records"].as_array().unwrap().len(), 2);
    });
}

#[test]
fn history_turns_on_and_off_and_a_foreign_token_changes_nothing() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let mut b = signed_in(&app);
        let settings = b.get("/my/settings");
        assert_eq!(settings.status, 200);
        assert!(settings
            .body
            .contains("<title>Settings – custodian</title>"));
        assert!(
            settings.body.contains("Turn history on"),
            "{}",
            settings.body
        );
        let csrf = csrf_of(&settings.body);

        // Without the page's token nothing changes.
        let forged = b.post(
            "/my/settings/history",
            &[("csrf", "forged"), ("keep_history", "on")],
        );
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert_eq!(me_json(&app)["keep_history"], false);

        let on = b.post(
            "/my/settings/history",
            &[("csrf", &csrf), ("keep_history", "on")],
        );
        assert_eq!(on.status, 303, "{}", on.body);
        assert_eq!(on.location.as_deref(), Some("/my/settings?done=history-on"));
        let after = b.get("/my/settings?done=history-on");
        assert!(
            after.body.contains("Checkout history is on."),
            "{}",
            after.body
        );
        assert!(after.body.contains("role=\"status\""), "{}", after.body);
        assert!(after.body.contains("Turn history off"), "{}", after.body);
        assert_eq!(me_json(&app)["keep_history"], true);
        // The notice is fixed text: the query's words are never shown.
        let odd = b.get("/my/settings?done=%3Cb%3Ehi");
        assert!(!odd.body.contains("<b>hi") && !odd.body.contains("role=\"status\""));

        let off = b.post(
            "/my/settings/history",
            &[("csrf", &csrf), ("keep_history", "off")],
        );
        assert_eq!(
            off.location.as_deref(),
            Some("/my/settings?done=history-off")
        );
        assert_eq!(me_json(&app)["keep_history"], false);
        assert!(b.get("/my").body.contains("Off: when you return a loan"));
    });
}

#[test]
fn a_new_email_changes_only_when_its_link_is_opened() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let mut b = signed_in(&app);
        let csrf = csrf_of(&b.get("/my/settings").body);
        let contact = |email: &str| {
            vec![
                ("csrf".to_owned(), csrf.clone()),
                ("email".to_owned(), email.to_owned()),
                ("phone".to_owned(), "816-555-0199".to_owned()),
                ("address".to_owned(), "1 Elm Row".to_owned()),
                ("contact_by".to_owned(), "email".to_owned()),
            ]
        };
        let post = |b: &mut Browser, form: &[(String, String)]| {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.post("/my/settings/contact", &pairs)
        };

        // Not an address: the form again, the error beside the field, what was typed kept.
        let bad = post(&mut b, &contact("not-an-address"));
        assert_eq!(bad.status, 400, "{}", bad.body);
        let h = &bad.body;
        assert!(
            h.contains("<title>Error: Settings – custodian</title>"),
            "{h}"
        );
        assert!(h.contains("href=\"#email\""), "{h}");
        assert!(h.contains("id=\"email-error\""), "{h}");
        assert!(
            h.contains("aria-describedby=\"email-hint email-error\" aria-invalid=\"true\""),
            "{h}"
        );
        assert!(h.contains("value=\"not-an-address\""), "{h}");
        assert!(h.contains("value=\"1 Elm Row\""), "{h}");
        assert_eq!(me_json(&app)["data"]["address"], serde_json::Value::Null);

        // A forged token changes nothing and sends nothing.
        let mut forged = contact("new.wren@example.org");
        forged[0].1 = "forged".into();
        assert_eq!(post(&mut b, &forged).status, 403);
        assert_eq!(me_json(&app)["data"]["address"], serde_json::Value::Null);

        let sent = post(&mut b, &contact("new.wren@example.org"));
        assert_eq!(sent.status, 303, "{}", sent.body);
        assert_eq!(sent.location.as_deref(), Some("/my/settings?done=email"));
        let page = b.get("/my/settings?done=email");
        assert!(
            page.body.contains(
                "We sent a link to new.wren@example.org; your email changes when you open it."
            ),
            "{}",
            page.body
        );
        let me = me_json(&app);
        assert_eq!(me["data"]["email"], "wren@example.org");
        assert_eq!(me["data"]["address"], "1 Elm Row");
        assert_eq!(me["pending_email"], "new.wren@example.org");
        assert!(b.get("/my").body.contains("wren@example.org"));

        let mail = app.wait_for_mail(1, Duration::from_secs(20));
        let link = mail
            .iter()
            .find(|m| {
                m.header("to")
                    .is_some_and(|t| t.contains("new.wren@example.org"))
                    || m.text().contains("/patron/email/confirm/")
            })
            .map(|m| m.text())
            .expect("a confirmation mail");
        let at = link.find("/patron/email/confirm/").expect("a link");
        let path = link[at..].split_whitespace().next().unwrap().to_owned();
        let mut other = Browser::new(&app);
        assert_eq!(other.get(&path).status, 200);
        assert_eq!(me_json(&app)["data"]["email"], "wren@example.org");
        assert_eq!(other.post(&path, &[]).status, 200);
        assert_eq!(me_json(&app)["data"]["email"], "new.wren@example.org");
        assert!(b.get("/my").body.contains("new.wren@example.org"));
    });
}

#[test]
fn a_pin_change_checks_the_current_pin_and_ends_every_session() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let mut b = signed_in(&app);
        let csrf = csrf_of(&b.get("/my/settings").body);
        let wrong = b.post(
            "/my/settings/pin",
            &[
                ("csrf", &csrf),
                ("current_pin", "0000"),
                ("new_pin", "97531"),
                ("new_pin_again", "97531"),
            ],
        );
        assert_eq!(wrong.status, 400, "{}", wrong.body);
        let h = &wrong.body;
        assert!(
            h.contains("<title>Error: Settings – custodian</title>"),
            "{h}"
        );
        assert!(h.contains("href=\"#current_pin\""), "{h}");
        assert!(
            h.contains("aria-describedby=\"current_pin-error\" aria-invalid=\"true\""),
            "{h}"
        );
        assert!(h.contains("The current PIN is not right."), "{h}");

        let differ = b.post(
            "/my/settings/pin",
            &[
                ("csrf", &csrf),
                ("current_pin", PIN),
                ("new_pin", "97531"),
                ("new_pin_again", "97532"),
            ],
        );
        assert_eq!(differ.status, 400);
        assert!(
            differ.body.contains("id=\"new_pin_again-error\""),
            "{}",
            differ.body
        );
        let short = b.post(
            "/my/settings/pin",
            &[
                ("csrf", &csrf),
                ("current_pin", PIN),
                ("new_pin", "12"),
                ("new_pin_again", "12"),
            ],
        );
        assert_eq!(short.status, 400);
        assert!(
            short.body.contains("id=\"new_pin-error\""),
            "{}",
            short.body
        );
        let forged = b.post(
            "/my/settings/pin",
            &[
                ("csrf", "forged"),
                ("current_pin", PIN),
                ("new_pin", "97531"),
                ("new_pin_again", "97531"),
            ],
        );
        assert_eq!(forged.status, 403);
        assert_eq!(patron_sign_in(&app, "riverbend", CARD, PIN).status, 200);

        let done = b.post(
            "/my/settings/pin",
            &[
                ("csrf", &csrf),
                ("current_pin", PIN),
                ("new_pin", "97531"),
                ("new_pin_again", "97531"),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location.as_deref(), Some("/my/pin-changed"));
        let changed = b.get("/my/pin-changed");
        assert_eq!(changed.status, 200);
        assert!(
            changed.body.contains("Your PIN is changed"),
            "{}",
            changed.body
        );
        assert_eq!(b.get("/my").status, 401);
        patron_sign_in(&app, "riverbend", CARD, PIN).assert_problem(401, "bad-credentials");
        let mut again = Browser::new(&app);
        let (to, _) = my_sign_in(&mut again, "riverbend", CARD, "97531");
        assert_eq!(to, "/my");
    });
}

#[test]
fn a_deletion_request_is_confirmed_first_then_filed_and_listed() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let mut b = signed_in(&app);
        let ask = b.get("/my/settings/delete");
        assert_eq!(ask.status, 200, "{}", ask.body);
        assert!(
            ask.body
                .contains("Deleted data may persist on backup media"),
            "{}",
            ask.body
        );
        assert!(ask.body.contains("within 30 days"), "{}", ask.body);
        let csrf = csrf_of(&ask.body);
        assert_eq!(
            b.post("/my/settings/delete", &[("csrf", "forged")]).status,
            403
        );
        assert!(b
            .get("/my/requests")
            .body
            .contains("You have made no requests."));
        assert_eq!(
            me_json(&app)["deletion_requested_at"],
            serde_json::Value::Null
        );

        let filed = b.post("/my/settings/delete", &[("csrf", &csrf)]);
        assert_eq!(filed.status, 303, "{}", filed.body);
        assert_eq!(
            filed.location.as_deref(),
            Some("/my/requests?done=deletion")
        );
        let list = b.get("/my/requests?done=deletion");
        let h = &list.body;
        assert!(
            h.contains("Your request to delete your account is filed."),
            "{h}"
        );
        assert!(h.contains("Delete my account"), "{h}");
        assert!(h.contains("Here, signed in"), "{h}");
        assert!(h.contains("Received, waiting for the library"), "{h}");
        assert!(h.contains("<td>R-"), "{h}");
        assert!(me_json(&app)["deletion_requested_at"].is_string());
        assert!(b.get("/my/settings").body.contains("You asked on"));
        assert!(b.get("/my/settings/delete").body.contains("You asked on"));
    });
}

#[test]
fn only_a_signed_in_patron_opens_the_patron_pages() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        patron(&app);
        let mut staff = Browser::new(&app);
        sign_in(&mut staff, ADMIN_A, &app.password(ADMIN_A));
        let mut nobody = Browser::new(&app);
        for path in [
            "/my",
            "/my/records",
            "/my/export",
            "/my/access-log",
            "/my/requests",
            "/my/settings",
            "/my/settings/delete",
        ] {
            let r = staff.get(path);
            assert_eq!(r.status, 401, "{path} with a staff session: {}", r.body);
            let r = nobody.get(path);
            assert_eq!(r.status, 401, "{path}");
            assert!(
                r.body.contains("href=\"/my/sign-in\""),
                "{path}: {}",
                r.body
            );
        }
        // A staff form token does not post a patron's form either.
        let csrf = csrf_of(&staff.get("/libraries/riverbend").body);
        let r = staff.post(
            "/my/settings/history",
            &[("csrf", &csrf), ("keep_history", "on")],
        );
        assert_eq!(r.status, 401);
        assert_eq!(me_json(&app)["keep_history"], false);
    });
}

#[test]
fn emailed_requests_from_the_patrons_address_are_listed_with_theirs() {
    const TOKEN: &str = "gateway-token-0123456789abcdef";
    each_backend(|backend| {
        let app = TestApp::builder(backend)
            .with_config(|s| s.mail.inbound_token = Some(TOKEN.into()))
            .spawn();
        patron(&app);
        let send = |from: &str, id: &str| {
            let raw = format!("From: {from}\r\nTo: privacy@demo.custodian.test\r\nSubject: Please correct my address\r\nMessage-ID: <{id}@mail.example.org>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nI moved. Please correct my address to 12 Oak Lane. My card is {CARD}.\r\n");
            let r = post_raw_auth(
                &app.url("/api/v1/director/inbound-mail"),
                TOKEN,
                "message/rfc822",
                &raw,
            );
            assert_eq!(r.status, 201, "{:?}", r.body);
        };
        send("Wren Ashdown <Wren@Example.org>", "w1");
        send("Someone Else <someone@example.net>", "w2");
        let mut b = signed_in(&app);
        let list = b.get("/my/requests");
        let h = &list.body;
        assert_eq!(h.matches("<td>R-").count(), 1, "{h}");
        assert!(h.contains("Correct my data"), "{h}");
        assert!(h.contains("By email"), "{h}");
    });
}
