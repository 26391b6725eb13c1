//! Pages in a client's hands: web_directory_admin (in-process, both backends).
//! Directory moderation, member libraries, a library's staff, its directory
//! entry and its audit log, driven through their forms as a browser would.

use crate::app::support::*;
use serde_json::json;

const DIRECTOR: &str = "director@demo.custodian.test";
const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";

/// The number after `prefix` in `html` (an id in a form's action).
fn number_after(html: &str, prefix: &str) -> String {
    let at = html
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {html}"));
    html[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

const PASSWORD: &str = "a long enough password 1";

/// Adds a member with `role` to riverbend through the JSON API (the test app
/// has only the demo's admins) and returns their email.
fn add_member(app: &TestApp, role: &str, name: &str) -> String {
    let email = format!(
        "{role}.{}@riverbend.example",
        name.to_lowercase().replace(' ', ".")
    );
    let token = app.sign_in(ADMIN_A);
    let r = post(
        &app.url("/api/v1/libraries/riverbend/staff"),
        Some(&token),
        &serde_json::json!({"email": email, "display_name": name, "role": role, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    email
}

/// Lakeshore's admin proposes new opening hours through the JSON API.
fn propose_hours(app: &TestApp) {
    let token = app.sign_in("admin.lakeshore@demo.custodian.test");
    let r = post(
        &app.url("/api/v1/libraries/lakeshore/directory-entry/changes"),
        Some(&token),
        &serde_json::json!({"hours": "Mon-Sat 10-18, Sun 13-17"}),
    );
    assert_eq!(r.status, 202, "{:?}", r.body);
}

fn pending_changes(app: &TestApp, token: &str) -> usize {
    let r = get(&app.url("/api/v1/directory/changes"), Some(token));
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"].as_array().unwrap().len()
}

#[test]
fn the_director_rejects_only_with_a_reason_and_approves_through_the_queue() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        propose_hours(&app);
        let staff_a = add_member(&app, "staff", "Sam Staff");
        let token = app.sign_in(DIRECTOR);
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        let q = b.get("/director/moderation");
        assert_eq!(q.status, 200, "[{backend}] {}", q.body);
        assert!(q
            .body
            .contains("<title>Directory changes – custodian</title>"));
        assert!(q.body.contains("Opening hours"), "{}", q.body);
        assert!(q.body.contains("Mon-Sat 10-18, Sun 13-17"), "{}", q.body);
        assert!(
            q.body
                .contains("Opening hours <strong class=\"mark\">Changed</strong>"),
            "{}",
            q.body
        );
        assert!(q.body.contains("Lakeshore"), "{}", q.body);
        let id = number_after(&q.body, "/director/moderation/");
        let csrf = csrf_of(&q.body);
        assert_eq!(pending_changes(&app, &token), 1, "[{backend}]");

        // Rejecting without a reason: the queue again, the error beside the reason.
        let r = b.post(
            &format!("/director/moderation/{id}/reject"),
            &[("csrf", &csrf), ("reason", "  ")],
        );
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(
            r.body.contains("<title>Error: Directory changes"),
            "{}",
            r.body
        );
        assert!(
            r.body.contains(&format!("href=\"#reason-{id}\"")),
            "{}",
            r.body
        );
        assert!(
            r.body.contains(&format!("id=\"reason-{id}-error\"")),
            "{}",
            r.body
        );
        assert!(r.body.contains("aria-invalid=\"true\""), "{}", r.body);
        assert_eq!(
            pending_changes(&app, &token),
            1,
            "[{backend}] nothing changed"
        );

        // Without the form's token: refused, nothing changed.
        let r = b.post(
            &format!("/director/moderation/{id}/approve"),
            &[("csrf", "forged")],
        );
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        assert_eq!(
            pending_changes(&app, &token),
            1,
            "[{backend}] nothing changed"
        );

        // Approving publishes it and the queue is empty.
        let r = b.post(
            &format!("/director/moderation/{id}/approve"),
            &[("csrf", &csrf)],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let to = r.location.unwrap();
        let after = b.get(&to);
        assert!(
            after.body.contains("The change was approved"),
            "{}",
            after.body
        );
        assert!(
            after.body.contains("No changes are waiting"),
            "{}",
            after.body
        );
        assert_eq!(pending_changes(&app, &token), 0, "[{backend}]");

        // An admin proposes, the director rejects with a reason.
        let mut a = Browser::new(&app);
        sign_in(&mut a, ADMIN_A, &app.password(ADMIN_A));
        let e = a.get("/libraries/riverbend/directory-entry");
        assert_eq!(e.status, 200, "[{backend}] {}", e.body);
        let csrf_a = csrf_of(&e.body);
        let r = a.post(
            "/libraries/riverbend/directory-entry",
            &[("csrf", &csrf_a), ("zip", "12"), ("hours", "Daily 8-20")],
        );
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(
            r.body.contains("<title>Error: Directory entry"),
            "{}",
            r.body
        );
        assert!(r.body.contains("id=\"zip-error\""), "{}", r.body);
        assert!(
            r.body.contains("value=\"12\""),
            "kept what was typed: {}",
            r.body
        );
        assert!(r.body.contains("Daily 8-20</textarea>"), "{}", r.body);
        assert_eq!(pending_changes(&app, &token), 0, "[{backend}]");
        let r = a.post(
            "/libraries/riverbend/directory-entry",
            &[("csrf", &csrf_a), ("hours", "Daily 8-20")],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let e = a.get(&r.location.unwrap());
        assert!(
            e.body.contains("was sent to the consortium director"),
            "{}",
            e.body
        );
        assert!(e.body.contains("Opening hours: Daily 8-20"), "{}", e.body);
        assert_eq!(pending_changes(&app, &token), 1, "[{backend}]");
        let q = b.get("/director/moderation");
        let id = number_after(&q.body, "/director/moderation/");
        let r = b.post(
            &format!("/director/moderation/{id}/reject"),
            &[("csrf", &csrf), ("reason", "Give hours per weekday")],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        assert_eq!(pending_changes(&app, &token), 0, "[{backend}]");
        // Staff see no directory-entry page; another library's answers 404.
        let mut s = Browser::new(&app);
        sign_in(&mut s, &staff_a, PASSWORD);
        assert_eq!(s.get("/libraries/riverbend/directory-entry").status, 403);
        assert_eq!(a.get("/libraries/cedar-county/directory-entry").status, 404);
        assert_eq!(
            a.get("/libraries/no-such-library/directory-entry").status,
            404
        );
        // Admins are not the director.
        assert_eq!(a.get("/director/moderation").status, 403, "[{backend}]");
    });
}

#[test]
fn the_director_onboards_a_library_and_a_taken_slug_is_shown_beside_its_field() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        let l = b.get("/director/libraries");
        assert_eq!(l.status, 200, "[{backend}] {}", l.body);
        assert!(l.body.contains("Riverbend Public Library"), "{}", l.body);
        assert!(
            l.body.contains("admin.riverbend@demo.custodian.test"),
            "{}",
            l.body
        );
        let csrf = csrf_of(&l.body);
        let form = |slug: &'static str, email: &'static str| {
            vec![
                ("name", "Willow Creek Library"),
                ("slug", slug),
                ("jurisdiction", "kansas"),
                ("admin_email", email),
                ("admin_name", "Wren Ortiz"),
            ]
        };
        let post = |b: &mut Browser, fields: Vec<(&str, &str)>, csrf: &str| {
            let mut all = vec![("csrf", csrf)];
            all.extend(fields);
            b.post("/director/libraries", &all)
        };
        let r = post(&mut b, form("riverbend", "wren@willow.example"), &csrf);
        assert_eq!(r.status, 409, "[{backend}] {}", r.body);
        assert!(
            r.body.contains("<title>Error: Member libraries"),
            "{}",
            r.body
        );
        assert!(r.body.contains("href=\"#slug\""), "{}", r.body);
        assert!(r.body.contains("id=\"slug-error\""), "{}", r.body);
        assert!(
            r.body.contains("value=\"Willow Creek Library\""),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("value=\"wren@willow.example\""),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("<option value=\"kansas\" selected>"),
            "{}",
            r.body
        );
        let r = post(&mut b, form("Bad Slug", "wren@willow.example"), &csrf);
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(r.body.contains("id=\"slug-error\""), "{}", r.body);
        let r = post(&mut b, form("willow-creek", "not-an-address"), &csrf);
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(r.body.contains("id=\"admin_email-error\""), "{}", r.body);
        let r = post(
            &mut b,
            form("willow-creek", "wren@willow.example"),
            "forged",
        );
        assert_eq!(r.status, 403, "[{backend}] {}", r.body);
        assert!(!b.get("/director/libraries").body.contains("willow-creek"));

        let r = post(&mut b, form("willow-creek", "wren@willow.example"), &csrf);
        assert_eq!(r.status, 201, "[{backend}] {}", r.body);
        assert!(
            r.body.contains("Willow Creek Library has joined"),
            "{}",
            r.body
        );
        let password = {
            let at = r.body.find("id=\"one-time-password\">").unwrap();
            let rest = &r.body[at + "id=\"one-time-password\">".len()..];
            rest[..rest.find('<').unwrap()].to_owned()
        };
        assert!(password.len() >= 12, "{password}");
        let mut w = Browser::new(&app);
        let (to, _) = sign_in(&mut w, "wren@willow.example", &password);
        assert_eq!(to, "/libraries/willow-creek", "[{backend}]");
        // Nobody but the director sees the page.
        let mut a = Browser::new(&app);
        sign_in(&mut a, ADMIN_A, &app.password(ADMIN_A));
        assert_eq!(a.get("/director/libraries").status, 403, "[{backend}]");
    });
}

#[test]
fn an_admin_adds_and_removes_staff_and_nobody_else_manages_them() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        sign_in(&mut b, ADMIN_A, &app.password(ADMIN_A));
        add_member(&app, "staff", "Sam Staff");
        let l = b.get("/libraries/riverbend/staff");
        assert_eq!(l.status, 200, "[{backend}] {}", l.body);
        assert!(
            l.body.contains("staff.sam.staff@riverbend.example"),
            "{}",
            l.body
        );
        assert!(l.body.contains("<caption>"), "{}", l.body);
        let csrf = csrf_of(&l.body);
        // A bad address is shown beside its field, what was typed kept.
        let r = b.post(
            "/libraries/riverbend/staff",
            &[
                ("csrf", &csrf),
                ("email", "ada"),
                ("display_name", "Ada Reyes"),
                ("role", "custodian"),
            ],
        );
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(r.body.contains("id=\"email-error\""), "{}", r.body);
        assert!(r.body.contains("value=\"Ada Reyes\""), "{}", r.body);
        assert!(
            r.body.contains("<option value=\"custodian\" selected>"),
            "{}",
            r.body
        );
        let r = b.post(
            "/libraries/riverbend/staff",
            &[
                ("csrf", &csrf),
                ("email", "ada@riverbend.example"),
                ("display_name", "Ada Reyes"),
                ("role", "staff"),
            ],
        );
        assert_eq!(r.status, 201, "[{backend}] {}", r.body);
        assert!(r.body.contains("Ada Reyes was added"), "{}", r.body);
        assert!(
            r.body
                .contains("<span class=\"email\">ada@riverbend.example</span>"),
            "{}",
            r.body
        );
        let password = {
            let at = r.body.find("id=\"one-time-password\">").unwrap();
            let rest = &r.body[at + "id=\"one-time-password\">".len()..];
            rest[..rest.find('<').unwrap()].to_owned()
        };
        let mut ada = Browser::new(&app);
        let (to, _) = sign_in(&mut ada, "ada@riverbend.example", &password);
        assert_eq!(to, "/libraries/riverbend");
        // Staff are refused the page as the JSON API refuses them.
        let refused = ada.get("/libraries/riverbend/staff");
        assert_eq!(refused.status, 403, "[{backend}] {}", refused.body);
        assert!(
            refused.body.contains("only a library admin"),
            "{}",
            refused.body
        );
        // Another library's staff page is like one that does not exist.
        let other = b.get("/libraries/cedar-county/staff");
        let none = b.get("/libraries/no-such-library/staff");
        assert_eq!((other.status, none.status), (404, 404), "[{backend}]");

        let id = number_after(
            &r.body[r.body.find("<td>Ada Reyes").unwrap()..],
            "/libraries/riverbend/staff/",
        );
        // Role change, then disabling.
        let role = b.post(
            &format!("/libraries/riverbend/staff/{id}/role"),
            &[("csrf", &csrf), ("role", "custodian")],
        );
        assert_eq!(role.status, 303, "[{backend}] {}", role.body);
        let l = b.get(&role.location.unwrap());
        assert!(l.body.contains("The role was changed."), "{}", l.body);
        assert!(
            l.body.contains(&format!("<select id=\"role-{id}\" name=\"role\"><option value=\"staff\">staff</option><option value=\"custodian\" selected>")),
            "{}",
            l.body
        );
        // A second custodian of records, so Ada is not the library's only one
        // (the last custodian cannot be disabled).
        let admin_token = app.sign_in(ADMIN_A);
        let second = post(
            &app.url("/api/v1/libraries/riverbend/staff"),
            Some(&admin_token),
            &json!({"email": "records@riverbend.example", "display_name": "Records Officer", "role": "custodian"}),
        );
        assert_eq!(second.status, 201, "[{backend}] {:?}", second.body);
        // Disabling: Ada can no longer sign in; without the token nothing changes.
        let forged = b.post(
            &format!("/libraries/riverbend/staff/{id}/enabled"),
            &[("csrf", "forged"), ("enabled", "no")],
        );
        assert_eq!(forged.status, 403, "[{backend}]");
        let off = b.post(
            &format!("/libraries/riverbend/staff/{id}/enabled"),
            &[("csrf", &csrf), ("enabled", "no")],
        );
        assert_eq!(off.status, 303, "[{backend}] {}", off.body);
        let l = b.get(&off.location.unwrap());
        assert!(l.body.contains("The account was disabled"), "{}", l.body);
        assert!(l.body.contains("<td>Disabled</td>"), "{}", l.body);
        let token = app.sign_in(ADMIN_A);
        let member = get(
            &app.url(&format!("/api/v1/libraries/riverbend/staff/{id}")),
            Some(&token),
        );
        assert_eq!(
            member.body["disabled"], true,
            "[{backend}] {:?}",
            member.body
        );
        assert_eq!(
            member.body["role"], "custodian",
            "[{backend}] {:?}",
            member.body
        );
        // Adding without the token adds nobody.
        let forged = b.post(
            "/libraries/riverbend/staff",
            &[
                ("csrf", "forged"),
                ("email", "eve@riverbend.example"),
                ("display_name", "Eve"),
                ("role", "staff"),
            ],
        );
        assert_eq!(forged.status, 403, "[{backend}]");
        assert!(!b
            .get("/libraries/riverbend/staff")
            .body
            .contains("eve@riverbend.example"));
        // Removal asks first; without the token nothing happens.
        let confirm = b.get(&format!("/libraries/riverbend/staff/{id}/remove"));
        assert_eq!(confirm.status, 200, "[{backend}] {}", confirm.body);
        assert!(
            confirm.body.contains("<h1>Remove Ada Reyes?</h1>"),
            "{}",
            confirm.body
        );
        let forged = b.post(
            &format!("/libraries/riverbend/staff/{id}/remove"),
            &[("csrf", "x")],
        );
        assert_eq!(forged.status, 403, "[{backend}]");
        assert!(b
            .get("/libraries/riverbend/staff")
            .body
            .contains("Ada Reyes"));
        let gone = b.post(
            &format!("/libraries/riverbend/staff/{id}/remove"),
            &[("csrf", &csrf_of(&confirm.body))],
        );
        assert_eq!(gone.status, 303, "[{backend}] {}", gone.body);
        let l = b.get(&gone.location.unwrap());
        assert!(
            l.body.contains("The staff member was removed."),
            "{}",
            l.body
        );
        assert!(!l.body.contains("Ada Reyes"), "{}", l.body);
    });
}

#[test]
fn the_audit_log_names_people_newest_first_and_filters() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut a = Browser::new(&app);
        sign_in(&mut a, ADMIN_A, &app.password(ADMIN_A));
        let csrf = csrf_of(&a.get("/libraries/riverbend/staff").body);
        for (email, name) in [
            ("ada@riverbend.example", "Ada Reyes"),
            ("bo@riverbend.example", "Bo Lind"),
        ] {
            let r = a.post(
                "/libraries/riverbend/staff",
                &[
                    ("csrf", &csrf),
                    ("email", email),
                    ("display_name", name),
                    ("role", "staff"),
                ],
            );
            assert_eq!(r.status, 201, "[{backend}] {}", r.body);
        }
        let custodian_a = add_member(&app, "custodian", "Cas Keeper");
        let staff_a = add_member(&app, "staff", "Sam Staff");
        let mut c = Browser::new(&app);
        sign_in(&mut c, &custodian_a, PASSWORD);
        let log = c.get("/libraries/riverbend/audit");
        assert_eq!(log.status, 200, "[{backend}] {}", log.body);
        assert!(log
            .body
            .contains("<caption>Audit log entries, newest first</caption>"));
        // Only the filter's option values (never shown) carry the stored form.
        let shown = log.body.replace("value=\"account:", "");
        assert!(
            !shown.contains("account:"),
            "[{backend}] no raw ids shown: {}",
            log.body
        );
        assert!(log.body.contains(", library admin</td>"), "{}", log.body);
        // Newest first: Bo was added after Ada.
        let bo = log.body.find("the account of Bo Lind").unwrap();
        let ada = log.body.find("the account of Ada Reyes").unwrap();
        assert!(bo < ada, "[{backend}] newest first");
        // Filter by action.
        let f = c.get("/libraries/riverbend/audit?action=staff.create&actor=");
        assert_eq!(f.status, 200, "[{backend}] {}", f.body);
        assert!(
            f.body.contains("<option value=\"staff.create\" selected>"),
            "{}",
            f.body
        );
        let rows = f.body.matches("<code>staff.<wbr />create</code>").count();
        assert!(rows >= 2, "{}", f.body);
        assert_eq!(
            f.body.matches("<tr><td data-label=\"When\">").count(),
            rows,
            "only staff.create: {}",
            f.body
        );
        // Filter by who acted: the system's jobs did not add Ada.
        let f = c.get("/libraries/riverbend/audit?action=staff.create&actor=patron%3A");
        assert!(
            f.body.contains("No entries match these filters."),
            "{}",
            f.body
        );
        let admin_value = {
            let at = f.body.find("library admin</option>").unwrap();
            let head = &f.body[..at];
            let v = head.rfind("<option value=\"").unwrap();
            head[v + "<option value=\"".len()..]
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        };
        let f = c.get(&format!(
            "/libraries/riverbend/audit?action=staff.create&actor={}",
            admin_value.replace(':', "%3A")
        ));
        assert!(f.body.contains("the account of Ada Reyes"), "{}", f.body);
        // Staff may not read it; another library's log answers 404.
        let mut s = Browser::new(&app);
        sign_in(&mut s, &staff_a, PASSWORD);
        assert_eq!(
            s.get("/libraries/riverbend/audit").status,
            403,
            "[{backend}]"
        );
        assert_eq!(
            c.get("/libraries/cedar-county/audit").status,
            404,
            "[{backend}]"
        );
        // The JSON endpoint still reads oldest first, from the same function.
        let token = app.sign_in(ADMIN_A);
        let j = get(&app.url("/api/v1/libraries/riverbend/audit"), Some(&token));
        let seqs: Vec<i64> = j.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "[{backend}] {seqs:?}");
    });
}
