//! Pages in a client's hands: the emailed requests' pages (the director's
//! inbox and triage, a request's page, a library's queue, the dead letters
//! and the mail ledger), in-process on both backends, driven as a browser.

use crate::app::support::*;
use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::{json, Value};

const DIRECTOR: &str = "director@demo.custodian.test";
const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";
// TestApp seeds each library's admin (the demo's staff come with its patrons).
const STAFF_A: &str = ADMIN_A;
const STAFF_B: &str = "admin.cedar-county@demo.custodian.test";

/// The application's mailroom, to take mail in as the gateway would.
fn mailroom(app: &TestApp) -> notifier::Mailroom {
    let store = tenant_api::startup::open_store(&app.settings).unwrap();
    tenant_api::mail::mailroom(
        &app.settings,
        store,
        tenant_api::keys::load(&app.settings).unwrap().0,
        &app.base,
        tenant_api::mail::waker(&app.settings).unwrap(),
    )
    .unwrap()
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Takes in a plain message from `from`, received at `at`.
fn mail(
    room: &notifier::Mailroom,
    n: u32,
    from: &str,
    subject: &str,
    body: &str,
    at: NaiveDateTime,
) {
    let raw = format!(
        "From: {from}\r\nTo: privacy@demo.custodian.test\r\nSubject: {subject}\r\nMessage-ID: <web-{n}@test.example>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n"
    );
    room.ingest(raw.as_bytes(), notifier::requests::Channel::Stdin, at)
        .unwrap();
}

/// The id of the request with `subject` in the JSON list at `list`.
fn id_of(app: &TestApp, token: &str, list: &str, subject: &str) -> i64 {
    let r = get(&app.url(list), Some(token));
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"] == subject)
        .unwrap_or_else(|| panic!("no {subject:?} in {:?}", r.body))["id"]
        .as_i64()
        .unwrap()
}

fn director_detail(app: &TestApp, token: &str, id: i64) -> Value {
    let r = get(
        &app.url(&format!("/api/v1/director/requests/{id}")),
        Some(token),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

#[test]
fn the_inbox_filters_by_status_queue_and_due_date_with_overdue_first() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let room = mailroom(&app);
        mail(
            &room,
            1,
            "fresh@elsewhere.example",
            "A fresh question",
            "Which library has my records?",
            now(),
        );
        mail(
            &room,
            2,
            "old@elsewhere.example",
            "An old question",
            "Who keeps my history?",
            now() - Duration::days(50),
        );
        mail(
            &room,
            3,
            "newer@elsewhere.example",
            "A newer question",
            "Where do I ask?",
            now(),
        );
        let token = app.sign_in(DIRECTOR);
        let fresh = id_of(
            &app,
            &token,
            "/api/v1/director/requests",
            "A fresh question",
        );
        let old = id_of(&app, &token, "/api/v1/director/requests", "An old question");

        let mut b = Browser::new(&app);
        let (to, page) = sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        assert_eq!(to, "/director");
        let html = &page.body;
        assert!(
            html.contains("<h1>Inbox and triage</h1>"),
            "[{backend}] {html}"
        );
        assert!(html.contains("<title>Inbox – custodian</title>"), "{html}");
        assert!(
            html.contains("<th scope=\"col\" role=\"columnheader\">Due</th>"),
            "{html}"
        );
        // The overdue one first, though it is the oldest; said in words.
        let at_old = html
            .find(&format!(">Request {old}</a>"))
            .expect("the old request");
        let at_fresh = html
            .find(&format!(">Request {fresh}</a>"))
            .expect("the fresh request");
        assert!(at_old < at_fresh, "[{backend}] overdue first: {html}");
        assert!(
            html[at_old..at_fresh].contains("<strong>Overdue</strong>: was due"),
            "{html}"
        );
        assert!(
            !html[at_fresh..].contains("<strong>Overdue</strong>"),
            "{html}"
        );

        let overdue = b.get("/director?status=open&queue=&due=overdue");
        assert_eq!(overdue.status, 200);
        assert!(overdue.body.contains(&format!(">Request {old}</a>")));
        assert!(
            !overdue.body.contains(&format!(">Request {fresh}</a>")),
            "{}",
            overdue.body
        );
        assert!(
            overdue.body.contains("<option value=\"overdue\" selected>"),
            "{}",
            overdue.body
        );
        let week = b.get("/director?due=week");
        assert!(
            week.body.contains(&format!(">Request {old}</a>")),
            "{}",
            week.body
        );
        assert!(
            !week.body.contains(&format!(">Request {fresh}</a>")),
            "due in 30 days"
        );
        // All three went to triage: the inbox alone has none of them.
        let inbox = b.get("/director?queue=inbox");
        assert!(
            !inbox.body.contains(&format!(">Request {old}</a>")),
            "{}",
            inbox.body
        );
        let done = b.get("/director?status=done");
        assert!(
            done.body.contains("No requests match these filters."),
            "{}",
            done.body
        );
        let any = b.get("/director?status=any&queue=triage&due=any");
        assert!(
            any.body.contains(&format!(">Request {fresh}</a>")),
            "{}",
            any.body
        );
        // Paging keeps the filters and the order: one a page.
        let first = b.get("/director?limit=1");
        assert!(
            first.body.contains(&format!(">Request {old}</a>")),
            "{}",
            first.body
        );
        let end = first
            .body
            .find("\" rel=\"next\"")
            .expect("a next page link");
        let start = first.body[..end].rfind("href=\"").unwrap() + 6;
        let href = first.body[start..end].replace("&amp;", "&");
        assert!(href.contains("status=open"), "{href}");
        let second = b.get(&format!("{href}&limit=1"));
        assert_eq!(second.status, 200, "{}", second.body);
        assert!(
            !second.body.contains(&format!(">Request {old}</a>")),
            "{}",
            second.body
        );
        // The JSON list reads the same worklist: newest first unless asked.
        let list = |q: &str| {
            let r = get(
                &app.url(&format!("/api/v1/director/requests{q}")),
                Some(&token),
            );
            assert_eq!(r.status, 200, "{:?}", r.body);
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(list("?order=overdue_first")[0], old, "[{backend}]");
        assert_ne!(list("")[0], old, "[{backend}] newest first by default");
        assert_eq!(list("?due=overdue"), vec![old], "[{backend}]");
        get(&app.url("/api/v1/director/requests?due=soon"), Some(&token))
            .assert_problem(400, "invalid-parameter");
        // A filter that is not one is an error page, not an empty list.
        assert_eq!(b.get("/director?status=bogus").status, 400);
    });
}

#[test]
fn a_hostile_message_is_shown_as_text_never_as_markup() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let room = mailroom(&app);
        let raw = "From: evil@elsewhere.example\r\nTo: privacy@demo.custodian.test\r\nSubject: <script>alert(1)</script>\r\nMessage-ID: <web-hostile@test.example>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHello <img src=x onerror=alert(2)> & \"bye\"\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Hello <b id=\"bold-part\">bold</b><script>alert(3)</script></p>\r\n--b--\r\n";
        room.ingest(raw.as_bytes(), notifier::requests::Channel::Stdin, now())
            .unwrap();
        let token = app.sign_in(DIRECTOR);
        let id = id_of(
            &app,
            &token,
            "/api/v1/director/requests",
            "<script>alert(1)</script>",
        );
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        let list = b.get("/director");
        assert!(
            list.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "[{backend}] {}",
            list.body
        );
        assert!(!list.body.contains("<script>"), "{}", list.body);
        let page = b.get(&format!("/director/requests/{id}"));
        assert_eq!(page.status, 200, "{}", page.body);
        let html = &page.body;
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(2)&gt; &amp; &quot;bye&quot;"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            !html.contains("<b id=\"bold-part\">"),
            "the HTML part is never HTML: {html}"
        );
        // The headers as received.
        assert!(
            html.contains("<dt>From</dt><dd class=\"address\">evil@elsewhere.example</dd>"),
            "{html}"
        );
        assert!(html.contains("privacy@demo.custodian.test"), "{html}");
        assert!(html.contains("30 November 2026, 10:00 UTC"), "{html}");
    });
}

#[test]
fn the_director_replies_and_closes_a_request_through_the_forms() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let room = mailroom(&app);
        mail(
            &room,
            1,
            "asker@elsewhere.example",
            "A question",
            "Which library has my records?",
            now(),
        );
        let token = app.sign_in(DIRECTOR);
        let id = id_of(&app, &token, "/api/v1/director/requests", "A question");
        let path = format!("/director/requests/{id}");
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        let page = b.get(&path);
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        assert!(page
            .body
            .contains(&format!("<title>Request {id} – custodian</title>")));
        let csrf = csrf_of(&page.body);

        // An empty reply is refused beside its field, as the JSON API refuses it.
        let json = post(
            &app.url(&format!("/api/v1/director/requests/{id}/replies")),
            Some(&token),
            &json!({"text": "  "}),
        );
        let r = b.post(&format!("{path}/reply"), &[("csrf", &csrf), ("text", "  ")]);
        assert_eq!(r.status, json.status, "[{backend}] {}", r.body);
        assert!(
            r.body
                .contains(&format!("<title>Error: Request {id} – custodian")),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("<a href=\"#text\">write the reply to send</a>"),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("aria-describedby=\"text-hint text-error\" aria-invalid=\"true\""),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("id=\"text-error\">write the reply to send</p>"),
            "{}",
            r.body
        );

        let r = b.post(
            &format!("{path}/reply"),
            &[("csrf", &csrf), ("text", "We hold <nothing> about you.")],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("{path}?done=reply").as_str())
        );
        let page = b.get(&format!("{path}?done=reply"));
        assert!(
            page.body.contains("role=\"status\">Reply sent.</p>"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("We hold &lt;nothing&gt; about you."),
            "{}",
            page.body
        );

        // A due date that is not one keeps what was typed, beside the field.
        let r = b.post(
            &format!("{path}/change"),
            &[
                ("csrf", &csrf),
                ("status", "received"),
                ("was_status", "received"),
                ("owner", "keep"),
                ("due", "soon-ish"),
                ("was_due", ""),
                ("note", "kept note"),
                ("notice", ""),
            ],
        );
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(
            r.body.contains("id=\"due-error\">expected a date"),
            "{}",
            r.body
        );
        assert!(r.body.contains("value=\"soon-ish\""), "{}", r.body);
        assert!(r.body.contains(">kept note</textarea>"), "{}", r.body);

        let r = b.post(
            &format!("{path}/change"),
            &[
                ("csrf", &csrf),
                ("status", "done"),
                ("was_status", "received"),
                ("owner", "me"),
                ("due", ""),
                ("was_due", ""),
                ("note", ""),
                ("notice", "Nothing is held."),
            ],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let page = b.get(&format!("{path}?done=change"));
        assert!(
            page.body.contains("role=\"status\">Changes saved.</p>"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("<dt>Status</dt><dd>Done</dd>"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("<dt>Owner</dt><dd>You</dd>"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("This request is closed"),
            "{}",
            page.body
        );
        let detail = director_detail(&app, &token, id);
        assert_eq!(detail["status"], "done", "{detail:?}");
        // A closed request refuses moving back, beside the status.
        let r = b.post(
            &format!("{path}/change"),
            &[
                ("csrf", &csrf),
                ("status", "in_progress"),
                ("was_status", "done"),
                ("owner", "keep"),
            ],
        );
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(
            r.body.contains("<a href=\"#status\">the request is closed")
                && r.body
                    .contains("id=\"status\" class=\"error\">the request is closed"),
            "{}",
            r.body
        );
    });
}

#[test]
fn a_form_without_its_token_is_refused_and_changes_nothing() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let room = mailroom(&app);
        mail(
            &room,
            1,
            "asker@elsewhere.example",
            "A question",
            "Which library has my records?",
            now(),
        );
        let token = app.sign_in(DIRECTOR);
        let id = id_of(&app, &token, "/api/v1/director/requests", "A question");
        let before = director_detail(&app, &token, id);
        let path = format!("/director/requests/{id}");
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        b.get(&path);
        let r = b.post(&format!("{path}/reply"), &[("text", "hello")]);
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        let r = b.post(
            &format!("{path}/change"),
            &[
                ("csrf", "not-the-token"),
                ("status", "done"),
                ("was_status", "received"),
            ],
        );
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        let r = b.post(
            &format!("{path}/directory-change"),
            &[("library", "riverbend"), ("field", "hours"), ("value", "x")],
        );
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        let r = b.post("/director/dead-letters/1/retry", &[]);
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        let after = director_detail(&app, &token, id);
        assert_eq!(after["status"], before["status"]);
        assert_eq!(
            after["history"], before["history"],
            "nothing was added to its history"
        );
    });
}

#[test]
fn a_librarys_queue_is_its_staffs_and_another_librarys_answers_404() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in(ADMIN_A);
        register(
            &app,
            &admin,
            "riverbend",
            json!({"card_number": "21000999010", "pin": "2468", "name": "Rowan Reader", "email": "rowan@example.org", "birth_date": "1980-01-01"}),
        );
        let room = mailroom(&app);
        mail(
            &room,
            1,
            "rowan@example.org",
            "About my card",
            "Which records do you keep about me?",
            now(),
        );
        let list = "/api/v1/libraries/riverbend/requests";
        let id = id_of(&app, &admin, list, "About my card");

        let mut b = Browser::new(&app);
        sign_in(&mut b, STAFF_A, &app.password(STAFF_A));
        let queue = b.get("/libraries/riverbend/requests");
        assert_eq!(queue.status, 200, "[{backend}] {}", queue.body);
        assert!(queue.body.contains("<h1>Requests</h1>"), "{}", queue.body);
        assert!(
            queue
                .body
                .contains(&format!("href=\"/libraries/riverbend/requests/{id}\"")),
            "{}",
            queue.body
        );
        assert!(
            !queue.body.contains("name=\"queue\""),
            "a library has one queue"
        );
        let page = b.get(&format!("/libraries/riverbend/requests/{id}"));
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("Which records do you keep about me?"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("aria-current=\"page\">Requests</a>")
                || page.body.contains("/libraries/riverbend/requests"),
            "{}",
            page.body
        );
        let csrf = csrf_of(&page.body);
        let r = b.post(
            &format!("/libraries/riverbend/requests/{id}/change"),
            &[
                ("csrf", &csrf),
                ("status", "in_progress"),
                ("was_status", "received"),
                ("owner", "me"),
            ],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let page = b.get(&format!("/libraries/riverbend/requests/{id}?done=change"));
        assert!(
            page.body.contains("<dt>Status</dt><dd>In progress</dd>"),
            "{}",
            page.body
        );

        // Another library's staff: the queue and the request are not there for them.
        let mut other = Browser::new(&app);
        sign_in(&mut other, STAFF_B, &app.password(STAFF_B));
        let missing = other.get("/libraries/no-such-library/requests");
        let theirs = other.get("/libraries/riverbend/requests");
        assert_eq!(theirs.status, 404, "[{backend}] {}", theirs.body);
        assert_eq!(missing.status, 404);
        assert_eq!(
            other
                .get(&format!("/libraries/riverbend/requests/{id}"))
                .status,
            404
        );
        // Nor is it in their own library's queue.
        assert_eq!(
            other
                .get(&format!("/libraries/cedar-county/requests/{id}"))
                .status,
            404
        );
        let csrf = csrf_of(&other.get("/libraries/cedar-county/requests").body);
        let r = other.post(
            &format!("/libraries/riverbend/requests/{id}/reply"),
            &[("csrf", &csrf), ("text", "hello")],
        );
        assert_eq!(r.status, 404, "{}", r.body);
    });
}

#[test]
fn the_directors_pages_refuse_library_staff_as_the_json_api_does() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let room = mailroom(&app);
        mail(
            &room,
            1,
            "asker@elsewhere.example",
            "A question",
            "Which library has my records?",
            now(),
        );
        let mut b = Browser::new(&app);
        sign_in(&mut b, ADMIN_A, &app.password(ADMIN_A));
        let json = get(
            &app.url("/api/v1/director/requests"),
            Some(&app.sign_in(ADMIN_A)),
        );
        assert_eq!(json.status, 403);
        for path in [
            "/director",
            "/director/requests/1",
            "/director/dead-letters",
            "/director/mail-ledger",
        ] {
            let r = b.get(path);
            assert_eq!(r.status, 403, "[{backend}] {path}: {}", r.body);
            assert!(r.content_type.starts_with("text/html"), "{path}");
        }
        let mut d = Browser::new(&app);
        sign_in(&mut d, DIRECTOR, &app.password(DIRECTOR));
        let dead = d.get("/director/dead-letters");
        assert_eq!(dead.status, 200, "[{backend}] {}", dead.body);
        assert!(dead.body.contains("<h1>Dead letters</h1>"), "{}", dead.body);
        assert!(
            dead.body.contains("There are no dead letters"),
            "{}",
            dead.body
        );
        let ledger = d.get("/director/mail-ledger");
        assert_eq!(ledger.status, 200, "{}", ledger.body);
        assert!(
            ledger
                .body
                .contains("<caption>Inbound mail, newest first</caption>"),
            "{}",
            ledger.body
        );
        assert!(
            ledger.body.contains("<td>A request</td><td>Triage</td>"),
            "{}",
            ledger.body
        );
        // A letter that is not dead cannot be retried: an error page, nothing changed.
        let csrf = csrf_of(&dead.body);
        let r = d.post("/director/dead-letters/999999/retry", &[("csrf", &csrf)]);
        assert!(
            r.status == 404 || r.status == 409,
            "{}: {}",
            r.status,
            r.body
        );
    });
}

#[test]
fn an_organizational_correction_links_the_entry_and_files_the_change() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        // Blue Ridge publishes its contact address, as the demo's start-up has it do.
        let admin = app.sign_in("admin.blue-ridge@demo.custodian.test");
        let change = post(
            &app.url("/api/v1/libraries/blue-ridge/directory-entry/changes"),
            Some(&admin),
            &json!({"email": "info.blue-ridge@demo.custodian.test"}),
        );
        assert_eq!(change.status, 202, "{:?}", change.body);
        let approved = post(
            &app.url(&format!(
                "/api/v1/directory/changes/{}/approve",
                change.body["id"]
            )),
            Some(&app.sign_in(DIRECTOR)),
            &json!({}),
        );
        assert_eq!(approved.status, 200, "{:?}", approved.body);
        let room = mailroom(&app);
        mail(
            &room,
            1,
            "info.blue-ridge@demo.custodian.test",
            "Our hours are wrong in the directory",
            "Please correct our Saturday hours: we open 10-16.",
            now(),
        );
        let token = app.sign_in(DIRECTOR);
        let id = id_of(
            &app,
            &token,
            "/api/v1/director/requests",
            "Our hours are wrong in the directory",
        );
        let pending = |app: &TestApp| {
            let r = get(
                &app.url("/api/v1/directory/changes?status=pending"),
                Some(&token),
            );
            r.body["items"].as_array().map(Vec::len).unwrap()
        };
        let before = pending(&app);
        let path = format!("/director/requests/{id}");
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        let page = b.get(&path);
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        assert!(
            page.body
                .contains("A correction to a member library&#39;s directory entry")
                || page
                    .body
                    .contains("A correction to a member library's directory entry"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<a href=\"/directory/"), "{}", page.body);
        assert!(
            page.body.contains("<a href=\"/director/moderation\">"),
            "{}",
            page.body
        );
        let csrf = csrf_of(&page.body);
        // A value the directory refuses is shown beside it, kept.
        let r = b.post(
            &format!("{path}/directory-change"),
            &[
                ("csrf", &csrf),
                ("library", "blue-ridge"),
                ("field", "phone"),
                ("value", "call us!"),
            ],
        );
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(
            r.body.contains("id=\"value-error\">phone may contain"),
            "{}",
            r.body
        );
        assert!(r.body.contains(">call us!</textarea>"), "{}", r.body);
        assert_eq!(pending(&app), before);
        let r = b.post(
            &format!("{path}/directory-change"),
            &[
                ("csrf", &csrf),
                ("library", "blue-ridge"),
                ("field", "hours"),
                ("value", "Sat 10-16"),
            ],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        assert_eq!(pending(&app), before + 1);
        let page = b.get(&format!("{path}?done=filed"));
        assert!(
            page.body.contains("Filed as a directory change"),
            "{}",
            page.body
        );
    });
}

#[test]
fn a_dead_letter_is_listed_and_its_retry_button_puts_it_back_in_the_queue() {
    each_backend(|backend| {
        // Nothing listens on port 1: every attempt fails, and one attempt is all there is.
        let app = TestApp::builder(backend)
            .with_config(|s| {
                s.mail.smtp_url = Some(tenant_api::settings::Secret::from("smtp://127.0.0.1:1"));
                s.mail.max_attempts = 1;
                s.mail.smtp_timeout_secs = 1;
                s.mail.poll_secs = 1;
                s.mail.workers = 1;
            })
            .spawn();
        let room = mailroom(&app);
        mail(
            &room,
            1,
            "asker@elsewhere.example",
            "A question",
            "Which library has my records?",
            now(),
        );
        let token = app.sign_in(DIRECTOR);
        let id = id_of(&app, &token, "/api/v1/director/requests", "A question");
        let r = post(
            &app.url(&format!("/api/v1/director/requests/{id}/replies")),
            Some(&token),
            &json!({"text": "We hold nothing."}),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let (dead, tried_at) = loop {
            let r = get(
                &app.url("/api/v1/director/outbox?status=dead"),
                Some(&token),
            );
            if let Some(first) = r.body["items"].as_array().and_then(|a| a.first()) {
                break (
                    first["id"].as_i64().unwrap(),
                    first["next_attempt_at"].clone(),
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "[{backend}] no dead letter: {:?}",
                r.body
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        };
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        let page = b.get("/director/dead-letters");
        assert_eq!(page.status, 200, "[{backend}] {}", page.body);
        let button = format!("action=\"/director/dead-letters/{dead}/retry\"");
        assert!(page.body.contains(&button), "{}", page.body);
        assert!(
            page.body
                .contains(&format!("aria-label=\"Retry message {dead}\"")),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("asker@elsewhere.example"),
            "recipients are masked: {}",
            page.body
        );
        let csrf = csrf_of(&page.body);
        let r = b.post(
            &format!("/director/dead-letters/{dead}/retry"),
            &[("csrf", &csrf)],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        assert_eq!(
            r.location.as_deref(),
            Some("/director/dead-letters?done=retry")
        );
        let after = get(&app.url("/api/v1/director/outbox"), Some(&token));
        let letter = after.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == dead)
            .cloned()
            .unwrap();
        // Back in the queue: taken again at once (and, with nothing listening,
        // dead again after its one attempt), so it was tried anew.
        assert!(
            letter["status"] != "dead" || letter["next_attempt_at"] != tried_at,
            "[{backend}] not retried: {letter:?}"
        );
        let page = b.get("/director/dead-letters?done=retry");
        assert!(
            page.body.contains("The message is back in the queue"),
            "{}",
            page.body
        );
    });
}
