//! Pages in a client's hands: web_patrons (in-process, both backends). Staff
//! search with a purpose first, read a patron, correct, merge and delete
//! through the pages; another library's patron is not found.

use crate::app::support::*;
use serde_json::{json, Value};

// The test app seeds each library's admin (staff and custodians come with the
// demo's patrons); an admin works with patrons as staff do.
const STAFF: &str = "admin.riverbend@demo.custodian.test";
const ADMIN: &str = STAFF;
const OTHER: &str = "admin.cedar-county@demo.custodian.test";
/// A purpose the pages offer, as a form sends it.
const PURPOSE: &str = "hold pickup";
const PURPOSE_Q: &str = "hold+pickup";

const CARD: &str = "21000555001";
const NAME: &str = "Wren Halloway";
const EMAIL: &str = "wren.halloway@example.org";

fn register_one(app: &TestApp, card: &str, name: &str, email: &str) -> i64 {
    let token = app.sign_in(STAFF);
    let made = register(
        app,
        &token,
        "riverbend",
        json!({"card_number": card, "pin": "2468", "name": name, "email": email, "phone": "816-555-0101"}),
    );
    made["id"].as_i64().unwrap()
}

fn signed_in(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = Browser::new(app);
    let (_, page) = sign_in(&mut b, email, &app.password(email));
    assert_eq!(page.status, 200, "[{}] {}", b.backend, page.body);
    let csrf = csrf_of(&page.body);
    (b, csrf)
}

/// The patron as the JSON API reads it (status, body).
fn json_read(app: &TestApp, id: i64) -> Reply {
    get(
        &app.url(&format!(
            "/api/v1/libraries/riverbend/patrons/{id}?purpose=test"
        )),
        Some(&app.sign_in(STAFF)),
    )
}

/// Every entry of riverbend's audit log, oldest first.
fn audit_log(app: &TestApp) -> Vec<Value> {
    let token = app.sign_in(ADMIN);
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=200&cursor={c}"),
            None => "?limit=200".into(),
        };
        let r = get(
            &app.url(&format!("/api/v1/libraries/riverbend/audit{q}")),
            Some(&token),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        all.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

fn feed_loans(app: &TestApp, card: &str, n: usize, tag: &str) {
    let body: String = (0..n)
        .map(|i| {
            format!(
                r#"{{"kind":"circulation","source":"ils","external_id":"{tag}-{i}","occurred_at":"2026-0{m}-{d:02}T10:00:00","item":"{tag} title {i}","branch":"Main","status":"out","card_number":"{card}"}}"#,
                m = 1 + i / 28,
                d = 1 + i % 28
            ) + "\n"
        })
        .collect();
    let r = post_raw_auth(
        &app.url("/api/v1/libraries/riverbend/records/feed"),
        &app.sign_in(STAFF),
        "application/x-ndjson",
        &body,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[test]
fn no_patron_data_is_shown_before_a_purpose_is_chosen() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let id = register_one(&app, CARD, NAME, EMAIL);
        let (mut b, _) = signed_in(&app, STAFF);

        let form = b.get("/libraries/riverbend/patrons");
        assert_eq!(form.status, 200, "[{backend}] {}", form.body);
        assert!(form.body.contains("<title>Patrons – custodian</title>"));
        assert!(form
            .body
            .contains("<select id=\"purpose\" name=\"purpose\""));
        assert!(form
            .body
            .contains("<option value=\"hold pickup\">hold pickup</option>"));
        assert!(!form.body.contains(NAME), "[{backend}]");

        // A search without a purpose: refused beside the purpose field, nothing about the patron.
        for path in [
            format!("/libraries/riverbend/patrons?q={CARD}"),
            format!("/libraries/riverbend/patrons?purpose=&q={CARD}"),
            format!("/libraries/riverbend/patrons?purpose=just+curious&q={CARD}"),
        ] {
            let r = b.get(&path);
            assert_eq!(r.status, 400, "[{backend}] {path}: {}", r.body);
            let html = &r.body;
            assert!(
                html.contains("<title>Error: Patrons – custodian</title>"),
                "{html}"
            );
            assert!(
                html.contains("id=\"purpose-error\">Choose why you need"),
                "{html}"
            );
            assert!(
                html.contains(
                    "aria-describedby=\"purpose-hint purpose-error\" aria-invalid=\"true\""
                ),
                "{html}"
            );
            assert!(html.contains("<a href=\"#purpose\">Choose why"), "{html}");
            assert!(
                html.contains(&format!("value=\"{CARD}\"")),
                "what was typed is kept: {html}"
            );
            assert!(
                !html.contains(NAME) && !html.contains("just curious"),
                "[{backend}] {html}"
            );
            assert!(
                !html.contains(&format!("/patrons/{id}")),
                "[{backend}] {html}"
            );
        }

        // With a purpose, by card and by email.
        for q in [CARD, "wren.halloway%40example.org"] {
            let r = b.get(&format!(
                "/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q={q}"
            ));
            assert_eq!(r.status, 200, "[{backend}] {}", r.body);
            assert!(r.body.contains("<h2>Patrons found</h2>"), "{}", r.body);
            assert!(
                r.body.contains(&format!(
                    "<a href=\"/libraries/riverbend/patrons/{id}?purpose=hold+pickup\">{NAME}</a>"
                )),
                "{}",
                r.body
            );
            assert!(r.body.contains("ending in 5001"), "{}", r.body);
            assert!(
                r.body.contains("<option value=\"hold pickup\" selected>"),
                "{}",
                r.body
            );
        }
        let none = b.get(&format!(
            "/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q=99999999"
        ));
        assert_eq!(none.status, 200, "[{backend}]");
        assert!(none
            .body
            .contains("No patron of this library has that card number"));

        // A patron's page, without a purpose: the purpose form, and no data.
        for sub in ["", "/correct", "/merge", "/delete"] {
            let r = b.get(&format!("/libraries/riverbend/patrons/{id}{sub}"));
            assert_eq!(r.status, 200, "[{backend}] {sub}: {}", r.body);
            assert!(
                r.body
                    .contains("<title>State a purpose – custodian</title>"),
                "{}",
                r.body
            );
            assert!(r.body.contains("<select id=\"purpose\""), "{}", r.body);
            assert!(
                !r.body.contains(NAME) && !r.body.contains(EMAIL) && !r.body.contains(CARD),
                "[{backend}] {sub}: {}",
                r.body
            );
            let bad = b.get(&format!("/libraries/riverbend/patrons/{id}{sub}?purpose=+"));
            assert_eq!(bad.status, 400, "[{backend}] {sub}");
            assert!(
                bad.body.contains("<title>Error: State a purpose"),
                "{}",
                bad.body
            );
            assert!(bad.body.contains("id=\"purpose-error\""), "{}", bad.body);
            assert!(!bad.body.contains(NAME), "[{backend}]");
        }

        // With one: the profile.
        let r = b.get(&format!(
            "/libraries/riverbend/patrons/{id}?purpose={PURPOSE_Q}"
        ));
        assert_eq!(r.status, 200, "[{backend}] {}", r.body);
        assert!(r.body.contains(&format!("<h1>{NAME}</h1>")), "{}", r.body);
        assert!(
            r.body.contains(EMAIL) && r.body.contains(CARD),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("Read for: <strong>hold pickup</strong>"),
            "{}",
            r.body
        );
        assert!(
            !r.body.contains("<title>Wren"),
            "the title keeps the name out of history"
        );
    });
}

#[test]
fn each_read_through_the_pages_is_audited_with_its_purpose() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let id = register_one(&app, CARD, NAME, EMAIL);
        let (mut b, _) = signed_in(&app, STAFF);
        let before = audit_log(&app).len();
        let r = b.get(&format!(
            "/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q={CARD}"
        ));
        assert_eq!(r.status, 200, "[{backend}]");
        let r = b.get(&format!(
            "/libraries/riverbend/patrons/{id}?purpose=overdue+notice"
        ));
        assert_eq!(r.status, 200, "[{backend}] {}", r.body);
        let log = audit_log(&app);
        let new: Vec<(String, String, String)> = log[before..]
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["purpose"].as_str().unwrap().to_owned(),
                    e["subject"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            new.iter()
                .any(|(a, p, _)| a == "patron.search" && p == PURPOSE),
            "[{backend}] {new:?}"
        );
        for action in ["patron.read", "patron.records"] {
            assert!(
                new.iter().any(|(a, p, s)| a == action
                    && p == "overdue notice"
                    && s.ends_with(&id.to_string())),
                "[{backend}] {action} with its purpose: {new:?}"
            );
        }
        // The refused search and the purpose form read nothing, so they leave no entry.
        let count = audit_log(&app).len();
        b.get(&format!("/libraries/riverbend/patrons?q={CARD}"));
        b.get(&format!("/libraries/riverbend/patrons/{id}"));
        assert_eq!(audit_log(&app).len(), count, "[{backend}]");
    });
}

#[test]
fn a_correction_with_a_bad_email_is_refused_beside_the_field_and_keeps_what_was_typed() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let id = register_one(&app, CARD, NAME, EMAIL);
        let (mut b, csrf) = signed_in(&app, STAFF);
        let path = format!("/libraries/riverbend/patrons/{id}/correct");
        let form = b.get(&format!("{path}?purpose={PURPOSE_Q}"));
        assert_eq!(form.status, 200, "[{backend}] {}", form.body);
        assert!(
            form.body
                .contains(&format!("<h1>Correct {NAME}'s data</h1>")),
            "{}",
            form.body
        );
        assert!(
            form.body
                .contains(&format!("name=\"email\" value=\"{EMAIL}\"")),
            "{}",
            form.body
        );
        let was = [
            ("was_name", NAME),
            ("was_address", ""),
            ("was_email", EMAIL),
            ("was_phone", "816-555-0101"),
            ("was_birth_date", ""),
            ("was_guardian", ""),
            ("was_contact_by", "email"),
        ];
        let post = |b: &mut Browser, csrf: &str, fields: &[(&str, &str)]| {
            let mut all: Vec<(&str, &str)> = vec![("csrf", csrf), ("purpose", PURPOSE)];
            all.extend_from_slice(&was);
            all.extend_from_slice(fields);
            b.post(&path, &all)
        };
        let typed = [
            ("name", NAME),
            ("address", ""),
            ("email", "wren-at-example"),
            ("phone", "816-555-0199"),
            ("birth_date", ""),
            ("guardian", ""),
            ("contact_by", "email"),
        ];
        let r = post(&mut b, &csrf, &typed);
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        let html = &r.body;
        assert!(
            html.contains("<title>Error: Correct a patron's data – custodian</title>"),
            "{html}"
        );
        assert!(
            html.contains(
                "id=\"email-error\">Expected an email address such as name@example.org.</p>"
            ),
            "{html}"
        );
        assert!(html.contains("value=\"wren-at-example\" aria-invalid=\"true\"") || html.contains("value=\"wren-at-example\" aria-describedby=\"email-hint email-error\" aria-invalid=\"true\""), "{html}");
        assert!(
            html.contains("<a href=\"#email\">Expected an email address"),
            "{html}"
        );
        assert!(
            html.contains("value=\"816-555-0199\""),
            "the other fields keep what was typed: {html}"
        );
        let now = json_read(&app, id);
        assert_eq!(
            now.body["patron"]["data"]["email"], EMAIL,
            "[{backend}] nothing changed"
        );
        assert_eq!(
            now.body["patron"]["data"]["phone"], "816-555-0101",
            "[{backend}]"
        );

        // A bad date of birth, and an emptied name, each beside its own field.
        let mut bad_date = typed;
        bad_date[2] = ("email", EMAIL);
        bad_date[4] = ("birth_date", "30/05/2014");
        let r = post(&mut b, &csrf, &bad_date);
        assert_eq!(r.status, 400, "[{backend}]");
        assert!(r.body.contains("id=\"birth_date-error\""), "{}", r.body);
        assert!(r.body.contains("value=\"30/05/2014\""), "{}", r.body);
        let mut no_name = bad_date;
        no_name[4] = ("birth_date", "");
        no_name[0] = ("name", "  ");
        let r = post(&mut b, &csrf, &no_name);
        assert_eq!(r.status, 400, "[{backend}]");
        assert!(
            r.body
                .contains("id=\"name-error\">A name cannot be empty.</p>"),
            "{}",
            r.body
        );

        // Put right: saved, 303 to the patron's page, which says so and shows it.
        let mut good = typed;
        good[2] = ("email", EMAIL);
        let r = post(&mut b, &csrf, &good);
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let to = r.location.unwrap();
        assert_eq!(
            to,
            format!("/libraries/riverbend/patrons/{id}?purpose=hold+pickup&done=corrected")
        );
        let page = b.get(&to);
        assert_eq!(page.status, 200, "[{backend}]");
        assert!(
            page.body
                .contains("role=\"status\">The correction was saved.</p>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("816-555-0199"), "{}", page.body);
        let now = json_read(&app, id);
        assert_eq!(
            now.body["patron"]["data"]["phone"], "816-555-0199",
            "[{backend}]"
        );
        assert_eq!(now.body["patron"]["data"]["email"], EMAIL, "[{backend}]");
    });
}

#[test]
fn deleting_takes_a_confirmation_step_then_a_post() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let id = register_one(&app, CARD, NAME, EMAIL);
        let (mut b, csrf) = signed_in(&app, STAFF);
        let path = format!("/libraries/riverbend/patrons/{id}/delete");
        let confirm = b.get(&format!(
            "{path}?purpose=deleting+at+the+patron%27s+request"
        ));
        assert_eq!(confirm.status, 200, "[{backend}] {}", confirm.body);
        assert!(
            confirm
                .body
                .contains(&format!("<h1>Delete {NAME}'s record?</h1>")),
            "{}",
            confirm.body
        );
        assert!(
            confirm.body.contains("This cannot be undone."),
            "{}",
            confirm.body
        );
        assert!(confirm
            .body
            .contains(&format!("<form method=\"post\" action=\"{path}\">")));
        assert_eq!(
            json_read(&app, id).status,
            200,
            "[{backend}] the confirmation deletes nothing"
        );

        // Without the session's token: refused, nothing deleted.
        let r = b.post(&path, &[("purpose", "deleting at the patron's request")]);
        assert_eq!(r.status, 403, "[{backend}]");
        assert_eq!(json_read(&app, id).status, 200, "[{backend}]");

        let r = b.post(
            &path,
            &[
                ("csrf", &csrf),
                ("purpose", "deleting at the patron's request"),
            ],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let to = r.location.unwrap();
        assert!(
            to.starts_with("/libraries/riverbend/patrons?done=deleted"),
            "{to}"
        );
        let after = b.get(&to);
        assert!(
            after.body.contains("role=\"status\">The patron's record was deleted: 0 of their records deleted, 0 kept"),
            "{}",
            after.body
        );
        assert_eq!(json_read(&app, id).status, 404, "[{backend}]");
        // Its page is now not found.
        let gone = b.get(&format!(
            "/libraries/riverbend/patrons/{id}?purpose={PURPOSE_Q}"
        ));
        assert_eq!(gone.status, 404, "[{backend}]");
    });
}

#[test]
fn merging_says_what_will_happen_then_moves_the_duplicates_records() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let keep = register_one(&app, CARD, NAME, EMAIL);
        let dup = register_one(
            &app,
            "21000555002",
            "Wren M. Halloway",
            "wren.m@example.org",
        );
        feed_loans(&app, "21000555002", 1, "dup");
        let (mut b, csrf) = signed_in(&app, STAFF);
        let path = format!("/libraries/riverbend/patrons/{keep}/merge");
        let purpose = "merging+duplicate+registrations";

        let ask = b.get(&format!("{path}?purpose={purpose}"));
        assert_eq!(ask.status, 200, "[{backend}] {}", ask.body);
        assert!(ask.body.contains("<label for=\"card\">"), "{}", ask.body);

        for (card, says) in [
            ("", "Enter the card number"),
            ("99999999", "No patron of this library has that card number"),
            (CARD, "That is this patron's own card"),
        ] {
            let r = b.get(&format!("{path}?purpose={purpose}&card={card}"));
            assert_eq!(r.status, 400, "[{backend}] {card}: {}", r.body);
            assert!(
                r.body.contains(&format!("id=\"card-error\">{says}")),
                "{}",
                r.body
            );
            assert!(
                r.body
                    .contains("<title>Error: Merge a duplicate registration"),
                "{}",
                r.body
            );
            assert!(r.body.contains(&format!("value=\"{card}\"")), "{}", r.body);
        }

        let confirm = b.get(&format!("{path}?purpose={purpose}&card=21000555002"));
        assert_eq!(confirm.status, 200, "[{backend}] {}", confirm.body);
        let html = &confirm.body;
        assert!(
            html.contains(&format!("<h1>Merge Wren M. Halloway into {NAME}?</h1>")),
            "{html}"
        );
        assert!(
            html.contains("(card ending in 5002)") && html.contains("(card ending in 5001)"),
            "{html}"
        );
        assert!(html.contains("This cannot be undone."), "{html}");
        assert!(
            html.contains(&format!("name=\"duplicate_id\" value=\"{dup}\"")),
            "{html}"
        );
        assert_eq!(
            json_read(&app, dup).status,
            200,
            "[{backend}] the confirmation merges nothing"
        );

        let form = [
            ("purpose", "merging duplicate registrations"),
            ("duplicate_id", &*dup.to_string()),
        ];
        let r = b.post(&path, &[form[0], form[1], ("csrf", "forged")]);
        assert_eq!(r.status, 403, "[{backend}]");
        assert_eq!(json_read(&app, dup).status, 200, "[{backend}]");

        let r = b.post(&path, &[form[0], form[1], ("csrf", &csrf)]);
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let to = r.location.unwrap();
        assert!(to.ends_with("&done=merged"), "{to}");
        let page = b.get(&to);
        assert!(page
            .body
            .contains("The duplicate registration was merged into this record."));
        assert!(
            page.body.contains("dup title 0"),
            "the duplicate's records moved: {}",
            page.body
        );
        assert_eq!(json_read(&app, dup).status, 404, "[{backend}]");
    });
}

#[test]
fn another_librarys_patron_answers_like_one_that_does_not_exist() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let id = register_one(&app, CARD, NAME, EMAIL);
        // cedar-county's staff, at riverbend's pages and at their own with riverbend's patron.
        let (mut b, _) = signed_in(&app, OTHER);
        let missing = b.get(&format!(
            "/libraries/cedar-county/patrons/99999999?purpose={PURPOSE_Q}"
        ));
        assert_eq!(missing.status, 404, "[{backend}] {}", missing.body);
        assert!(missing.content_type.starts_with("text/html"));
        for path in [
            format!("/libraries/cedar-county/patrons/{id}?purpose={PURPOSE_Q}"),
            format!("/libraries/cedar-county/patrons/{id}/correct?purpose={PURPOSE_Q}"),
            format!("/libraries/cedar-county/patrons/{id}/delete?purpose={PURPOSE_Q}"),
            format!("/libraries/cedar-county/patrons/{id}/merge?purpose={PURPOSE_Q}&card={CARD}"),
            format!("/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q={CARD}"),
            format!("/libraries/riverbend/patrons/{id}?purpose={PURPOSE_Q}"),
            "/libraries/riverbend/patrons".to_owned(),
        ] {
            let r = b.get(&path);
            assert_eq!(r.status, 404, "[{backend}] {path}: {}", r.body);
            assert_eq!(
                r.body, missing.body,
                "[{backend}] {path}: the same page as a missing one"
            );
            assert!(!r.body.contains(NAME), "[{backend}] {path}");
        }
        // Nor can they post to riverbend's forms.
        let csrf = csrf_of(&b.get("/libraries/cedar-county/patrons").body);
        let r = b.post(
            &format!("/libraries/riverbend/patrons/{id}/delete"),
            &[("csrf", &csrf), ("purpose", PURPOSE)],
        );
        assert_eq!(r.status, 404, "[{backend}]");
        let r = b.post(
            &format!("/libraries/cedar-county/patrons/{id}/delete"),
            &[("csrf", &csrf), ("purpose", PURPOSE)],
        );
        assert_eq!(r.status, 404, "[{backend}]");
        assert_eq!(json_read(&app, id).status, 200, "[{backend}]");
    });
}

#[test]
fn a_correction_without_its_token_changes_nothing() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let id = register_one(&app, CARD, NAME, EMAIL);
        let (mut b, _) = signed_in(&app, STAFF);
        let path = format!("/libraries/riverbend/patrons/{id}/correct");
        let fields = [
            ("purpose", PURPOSE),
            ("name", "Someone Else"),
            ("was_name", NAME),
        ];
        let r = b.post(&path, &fields);
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        assert!(r.content_type.starts_with("text/html"), "[{backend}]");
        // Another session's token does not pass either.
        let (_, other_csrf) = signed_in(&app, STAFF);
        let mut with_other = fields.to_vec();
        with_other.push(("csrf", &other_csrf));
        assert_eq!(b.post(&path, &with_other).status, 403, "[{backend}]");
        assert_eq!(
            json_read(&app, id).body["patron"]["data"]["name"],
            NAME,
            "[{backend}]"
        );
    });
}

#[test]
fn records_come_a_page_at_a_time() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let id = register_one(&app, CARD, NAME, EMAIL);
        feed_loans(&app, CARD, 25, "loan");
        let (mut b, _) = signed_in(&app, STAFF);
        let first = b.get(&format!(
            "/libraries/riverbend/patrons/{id}?purpose={PURPOSE_Q}"
        ));
        assert_eq!(first.status, 200, "[{backend}] {}", first.body);
        let rows = |html: &str| html.matches("<tr><td>Loan</td>").count();
        assert_eq!(rows(&first.body), 20, "[{backend}] {}", first.body);
        assert!(first
            .body
            .contains("<caption>Records, the latest received first</caption>"));
        assert!(first.body.contains("<th scope=\"col\">What</th>"));
        assert!(
            first.body.contains("loan title 24"),
            "newest first: {}",
            first.body
        );
        let at = first.body.find("rel=\"next\"").unwrap();
        let start = first.body[..at].rfind("href=\"").unwrap() + 6;
        let next = first.body[start..at - 2].replace("&amp;", "&");
        assert!(next.contains("purpose=hold+pickup&cursor="), "{next}");
        let second = b.get(&next);
        assert_eq!(second.status, 200, "[{backend}] {}", second.body);
        assert_eq!(rows(&second.body), 5, "[{backend}] {}", second.body);
        assert!(second.body.contains("loan title 0"), "{}", second.body);
        assert!(second.body.contains(">First page</a>"), "{}", second.body);
        assert!(!second.body.contains("rel=\"next\""), "{}", second.body);
        // The library's patrons, listed with a purpose and no search term.
        let list = b.get(&format!(
            "/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q="
        ));
        assert_eq!(list.status, 200, "[{backend}]");
        assert!(
            list.body.contains("<h2>The library's patrons</h2>"),
            "{}",
            list.body
        );
        assert!(list.body.contains(NAME), "{}", list.body);
    });
}

#[test]
fn staff_register_a_patron_through_the_form_refusals_beside_their_fields() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        register_one(&app, CARD, NAME, EMAIL);
        let (mut b, csrf) = signed_in(&app, STAFF);
        let form = b.get("/libraries/riverbend/patrons/new");
        assert_eq!(form.status, 200, "[{backend}] {}", form.body);
        assert!(form
            .body
            .contains("<title>Register a patron – custodian</title>"));
        assert!(form.body.contains(
            "<label for=\"pin\">PIN</label><input id=\"pin\" name=\"pin\" type=\"password\""
        ));
        let post =
            |b: &mut Browser, csrf: &str, card: &str, pin: &str, birth: &str, consent: &str| {
                b.post(
                    "/libraries/riverbend/patrons/new",
                    &[
                        ("csrf", csrf),
                        ("card_number", card),
                        ("pin", pin),
                        ("name", "Ada Finch"),
                        ("address", ""),
                        ("email", "ada.finch@example.org"),
                        ("phone", ""),
                        ("birth_date", birth),
                        ("guardian", ""),
                        ("consent_by", consent),
                    ],
                )
            };
        let cases = [
            (
                "",
                "7391",
                "",
                "",
                400,
                "card_number",
                "A card number is required.",
            ),
            (
                "21000555009",
                "12",
                "",
                "",
                400,
                "pin",
                "A PIN has at least 4 characters.",
            ),
            (
                "21000555009",
                "7391",
                "2014/05/30",
                "",
                400,
                "birth_date",
                "Expected a date",
            ),
            (
                CARD,
                "7391",
                "",
                "",
                409,
                "card_number",
                "This card number is already registered",
            ),
            (
                "21000555009",
                "7391",
                "2020-01-01",
                "",
                409,
                "consent_by",
                "This patron is under the library's age",
            ),
        ];
        for (card, pin, birth, consent, status, field, says) in cases {
            let r = post(&mut b, &csrf, card, pin, birth, consent);
            assert_eq!(r.status, status, "[{backend}] {field}: {}", r.body);
            assert!(
                r.body.contains("<title>Error: Register a patron"),
                "{}",
                r.body
            );
            assert!(
                r.body.contains(&format!("id=\"{field}-error\">{says}")),
                "[{backend}] {field}: {}",
                r.body
            );
            assert!(
                r.body.contains(&format!("<a href=\"#{field}\">")),
                "{}",
                r.body
            );
            assert!(
                r.body.contains("value=\"ada.finch@example.org\""),
                "what was typed is kept: {}",
                r.body
            );
            assert!(
                !r.body.contains("7391"),
                "[{backend}] the PIN is never shown again"
            );
        }
        // Without the session's token: refused, nobody registered.
        let r = post(&mut b, "", "21000555009", "7391", "", "");
        assert_eq!(r.status, 403, "[{backend}]");
        let found = |b: &mut Browser| {
            b.get(&format!(
                "/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q=21000555009"
            ))
            .body
            .contains("Ada Finch")
        };
        assert!(
            !found(&mut b),
            "[{backend}] a refused form registers nobody"
        );

        // A child with the guardian's consent given at the desk: registered.
        let r = post(
            &mut b,
            &csrf,
            "21000555009",
            "7391",
            "2020-01-01",
            "Bea Finch (mother)",
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let to = r.location.unwrap();
        assert_eq!(to, "/libraries/riverbend/patrons?done=registered");
        assert!(b
            .get(&to)
            .body
            .contains("role=\"status\">The patron was registered."));
        assert!(found(&mut b), "[{backend}]");
        // The patron signs in with the PIN given.
        app.as_patron("riverbend", "21000555009", "7391");
    });
}
