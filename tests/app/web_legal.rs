//! Pages in a client's hands: the legal-request register (in-process, both
//! backends). Desk staff register through the form, the custodian of records
//! reads the policy's reasoning and decides, downloads the package, records
//! time and opens the invoice; the yearly count; other libraries see nothing.

use crate::app::support::*;
use serde_json::json;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const OTHER: &str = "admin.cedar-county@demo.custodian.test";
const BASE: &str = "/libraries/riverbend/legal";

/// A new member of riverbend in `role`, signed in through the pages.
fn member(app: &TestApp, role: &str) -> (Browser, String) {
    let admin = app.sign_in(ADMIN);
    let email = format!("{role}.legal@riverbend.example");
    let created = post(
        &staff_url(app, "riverbend"),
        Some(&admin),
        &json!({"email": email, "display_name": format!("The {role}"), "role": role}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    let password = created.body["initial_password"].as_str().unwrap();
    let mut b = Browser::new(app);
    let (_, landed) = sign_in(&mut b, &email, password);
    assert_eq!(landed.status, 200, "[{}] {}", b.backend, landed.body);
    let csrf = csrf_of(&landed.body);
    (b, csrf)
}

fn signed_in(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = Browser::new(app);
    let (_, landed) = sign_in(&mut b, email, &app.password(email));
    assert_eq!(landed.status, 200, "[{}] {}", b.backend, landed.body);
    let csrf = csrf_of(&landed.body);
    (b, csrf)
}

fn patron(app: &TestApp, card: &str) -> i64 {
    let made = register(
        app,
        &app.sign_in(ADMIN),
        "riverbend",
        json!({"card_number": card, "pin": "2468", "name": "Test Patron", "birth_date": "1980-01-01"}),
    );
    made["id"].as_i64().unwrap()
}

fn record(app: &TestApp, patron: i64, kind: &str, ext: &str, at: &str) {
    let r = post(
        &app.url("/api/v1/libraries/riverbend/records"),
        Some(&app.sign_in(ADMIN)),
        &json!({"kind": kind, "source": "ils", "external_id": ext, "occurred_at": at, "item": format!("item {ext}"), "status": "out", "patron_id": patron}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
}

/// Posts the registration form (with `kinds` once per ticked box); the answer.
fn register_form(b: &mut Browser, csrf: &str, fields: &[(&str, &str)]) -> Page {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    b.post(&format!("{BASE}/new"), &form)
}

fn id_of(location: &str) -> i64 {
    let tail = location.rsplit('/').next().unwrap();
    tail.split('?').next().unwrap().parse().unwrap()
}

#[test]
fn staff_register_and_only_the_custodian_decides_a_subpoena_refused_with_the_citation() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let p = patron(&app, "21000777001");
        let pid = p.to_string();
        let (mut staff, staff_csrf) = member(&app, "staff");

        // The header leads to the register; the register to the form.
        let list = staff.get(BASE);
        assert_eq!(list.status, 200, "[{backend}] {}", list.body);
        assert!(list
            .body
            .contains("<title>Legal requests – custodian</title>"));
        assert!(
            list.body.contains(&format!(
                "<a href=\"{BASE}\" aria-current=\"page\">Legal requests</a>"
            )) || list.body.contains(&format!("href=\"{BASE}\"")),
            "{}",
            list.body
        );
        assert!(list
            .body
            .contains(&format!("<a href=\"{BASE}/new\">Register a request</a>")));
        let form = staff.get(&format!("{BASE}/new"));
        assert_eq!(form.status, 200, "[{backend}] {}", form.body);
        assert!(
            form.body.contains("RSMo"),
            "the form names the statute: {}",
            form.body
        );

        // No kind ticked: refused beside the boxes, what was typed kept.
        let refused = register_form(
            &mut staff,
            &staff_csrf,
            &[
                ("instrument", "subpoena"),
                ("requester_name", "A. Clerk"),
                ("requester_agency", "County Prosecutor"),
                ("patron_ids", &pid),
            ],
        );
        assert_eq!(refused.status, 400, "[{backend}] {}", refused.body);
        assert!(
            refused
                .body
                .contains("<title>Error: Register a legal request"),
            "{}",
            refused.body
        );
        assert!(
            refused
                .body
                .contains("id=\"kinds-error\">Tick at least one kind of record."),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"A. Clerk\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"County Prosecutor\""),
            "{}",
            refused.body
        );
        assert!(
            refused
                .body
                .contains("<option value=\"subpoena\" selected>"),
            "{}",
            refused.body
        );
        // A patron number that is not a number.
        let bad = register_form(
            &mut staff,
            &staff_csrf,
            &[
                ("instrument", "subpoena"),
                ("requester_name", "A. Clerk"),
                ("patron_ids", "twelve"),
                ("kinds", "circulation"),
            ],
        );
        assert_eq!(bad.status, 400, "[{backend}]");
        assert!(bad.body.contains("id=\"patron_ids-error\""), "{}", bad.body);
        assert!(
            bad.body
                .contains("id=\"kind-circulation\" name=\"kinds\" value=\"circulation\" checked"),
            "{}",
            bad.body
        );
        // Without the session's token nothing is registered.
        let forged = register_form(&mut staff, "not-the-token", &[("instrument", "subpoena")]);
        assert_eq!(forged.status, 403, "[{backend}]");

        let made = register_form(
            &mut staff,
            &staff_csrf,
            &[
                ("instrument", "subpoena"),
                ("requester_name", "A. Clerk"),
                ("requester_agency", "County Prosecutor"),
                ("patron_ids", &pid),
                ("kinds", "circulation"),
                ("kinds", "reference_requests"),
            ],
        );
        assert_eq!(made.status, 303, "[{backend}] {}", made.body);
        let to = made.location.unwrap();
        let id = id_of(&to);
        let shown = staff.get(&to);
        assert_eq!(shown.status, 200, "[{backend}] {}", shown.body);
        assert!(
            shown.body.contains("The request was registered."),
            "{}",
            shown.body
        );
        assert!(
            shown.body.contains("Loan, Reference question"),
            "both kinds kept: {}",
            shown.body
        );
        assert!(
            !shown.body.contains("/decision\""),
            "no Decide form for staff: {}",
            shown.body
        );

        // The register lists it, and the filter finds it by status.
        let listed = staff.get(&format!("{BASE}?status=received"));
        assert!(
            listed
                .body
                .contains(&format!("<a href=\"{BASE}/{id}\">Legal request {id}</a>")),
            "{}",
            listed.body
        );
        assert!(
            listed.body.contains("A. Clerk, County Prosecutor"),
            "{}",
            listed.body
        );
        let allowed = staff.get(&format!("{BASE}?status=allowed"));
        assert!(
            allowed.body.contains("No legal requests match"),
            "{}",
            allowed.body
        );

        // Staff and the admin cannot decide: a 403 page, nothing decided.
        let by_staff = staff.post(&format!("{BASE}/{id}/decision"), &[("csrf", &staff_csrf)]);
        assert_eq!(by_staff.status, 403, "[{backend}] {}", by_staff.body);
        assert!(
            by_staff.content_type.starts_with("text/html"),
            "{}",
            by_staff.content_type
        );
        let (mut admin, admin_csrf) = signed_in(&app, ADMIN);
        let admin_page = admin.get(&format!("{BASE}/{id}"));
        assert!(
            !admin_page.body.contains("/decision\""),
            "{}",
            admin_page.body
        );
        let by_admin = admin.post(&format!("{BASE}/{id}/decision"), &[("csrf", &admin_csrf)]);
        assert_eq!(by_admin.status, 403, "[{backend}] {}", by_admin.body);

        // The custodian reads the reasoning and decides: refused, citing the statute.
        let (mut custodian, csrf) = member(&app, "custodian");
        let before = custodian.get(&format!("{BASE}/{id}"));
        assert!(
            before.body.contains("What the policy decides"),
            "{}",
            before.body
        );
        assert!(before.body.contains("RSMo 182.817"), "{}", before.body);
        assert!(
            before
                .body
                .contains(&format!("action=\"{BASE}/{id}/decision\"")),
            "{}",
            before.body
        );
        let decided = custodian.post(&format!("{BASE}/{id}/decision"), &[("csrf", &csrf)]);
        assert_eq!(decided.status, 303, "[{backend}] {}", decided.body);
        let after = custodian.get(&decided.location.unwrap());
        assert!(
            after.body.contains("The decision is recorded"),
            "{}",
            after.body
        );
        assert!(
            after.body.contains("<strong>Refused</strong>"),
            "{}",
            after.body
        );
        assert!(after.body.contains("RSMo 182.817"), "{}", after.body);
        assert!(
            !after.body.contains("Download the package"),
            "{}",
            after.body
        );
        // Final: deciding again is refused.
        let again = custodian.post(&format!("{BASE}/{id}/decision"), &[("csrf", &csrf)]);
        assert_eq!(again.status, 409, "[{backend}]");

        // Another library's staff: not found, like a request that does not exist.
        let (mut other, _) = signed_in(&app, OTHER);
        for path in [
            BASE.to_owned(),
            format!("{BASE}/{id}"),
            format!("{BASE}/new"),
            format!("{BASE}/counts"),
        ] {
            let r = other.get(&path);
            assert_eq!(r.status, 404, "[{backend}] {path}: {}", r.body);
        }
        let theirs = other.get(&format!("/libraries/cedar-county/legal/{id}"));
        assert_eq!(theirs.status, 404, "[{backend}] {}", theirs.body);
    });
}

#[test]
fn a_court_order_with_good_cause_is_allowed_and_the_package_time_invoice_and_count_follow() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let p = patron(&app, "21000777002");
        let other = patron(&app, "21000777003");
        record(&app, p, "circulation", "in-1", "2026-10-05T10:00:00");
        record(&app, p, "circulation", "in-2", "2026-10-20T10:00:00");
        record(
            &app,
            p,
            "circulation",
            "out-of-dates",
            "2026-09-01T10:00:00",
        );
        record(
            &app,
            p,
            "reference_requests",
            "other-kind",
            "2026-10-06T10:00:00",
        );
        record(
            &app,
            other,
            "circulation",
            "other-patron",
            "2026-10-07T10:00:00",
        );
        let (mut staff, staff_csrf) = member(&app, "staff");
        let made = register_form(
            &mut staff,
            &staff_csrf,
            &[
                ("instrument", "court_order"),
                ("requester_name", "Det. Ray"),
                ("requester_agency", "Greene County Sheriff"),
                ("requester_email", "ray@sheriff.example.org"),
                ("court", "31st Judicial Circuit"),
                ("case_number", "26-CR-0412"),
                ("issued_on", "2026-11-20"),
                ("good_cause_shown", "yes"),
                ("patron_ids", &p.to_string()),
                ("kinds", "circulation"),
                ("from", "2026-10-01"),
                ("to", "2026-10-31"),
            ],
        );
        assert_eq!(made.status, 303, "[{backend}] {}", made.body);
        let id = id_of(&made.location.unwrap());

        let (mut custodian, csrf) = member(&app, "custodian");
        let page = custodian.get(&format!("{BASE}/{id}"));
        assert!(
            page.body.contains("<strong>Allow</strong>"),
            "{}",
            page.body
        );
        let decided = custodian.post(&format!("{BASE}/{id}/decision"), &[("csrf", &csrf)]);
        assert_eq!(decided.status, 303, "[{backend}] {}", decided.body);
        let after = custodian.get(&format!("{BASE}/{id}"));
        assert!(
            after.body.contains("<strong>Allowed</strong>"),
            "{}",
            after.body
        );
        let api = format!("/api/v1/libraries/riverbend/legal-requests/{id}");
        assert!(
            after
                .body
                .contains(&format!("href=\"{api}/package?format=csv\"")),
            "{}",
            after.body
        );
        assert!(
            after
                .body
                .contains(&format!("href=\"{api}/package?format=json\"")),
            "{}",
            after.body
        );
        // Staff see the decision but no package links.
        let seen = staff.get(&format!("{BASE}/{id}"));
        assert!(
            seen.body.contains("<strong>Allowed</strong>")
                && !seen.body.contains("Download the package"),
            "{}",
            seen.body
        );

        // The links work with the page's session: exactly the scope.
        let csv = custodian.get(&format!("{api}/package?format=csv"));
        assert_eq!(csv.status, 200, "[{backend}] {}", csv.body);
        assert!(
            csv.content_type.starts_with("text/csv"),
            "{}",
            csv.content_type
        );
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines.len(), 3, "a header and two records: {}", csv.body);
        assert!(
            csv.body.contains("item in-1") && csv.body.contains("item in-2"),
            "{}",
            csv.body
        );
        for absent in ["out-of-dates", "other-kind", "other-patron"] {
            assert!(!csv.body.contains(absent), "{absent}: {}", csv.body);
        }
        let json = custodian.get(&format!("{api}/package?format=json"));
        assert_eq!(json.status, 200, "[{backend}]");
        let pkg: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        assert_eq!(pkg["records"].as_array().unwrap().len(), 2, "{}", json.body);

        // Time: a wrong entry is refused beside its field, what was typed kept.
        let wrong = custodian.post(
            &format!("{BASE}/{id}/time"),
            &[
                ("csrf", &csrf),
                ("minutes", "lots"),
                ("what", "searching the loans"),
            ],
        );
        assert_eq!(wrong.status, 400, "[{backend}] {}", wrong.body);
        assert!(
            wrong.body.contains("id=\"minutes-error\""),
            "{}",
            wrong.body
        );
        assert!(
            wrong.body.contains("value=\"searching the loans\""),
            "{}",
            wrong.body
        );
        for (minutes, what) in [
            ("90", "searching the circulation records"),
            ("45", "preparing the package"),
        ] {
            let ok = custodian.post(
                &format!("{BASE}/{id}/time"),
                &[("csrf", &csrf), ("minutes", minutes), ("what", what)],
            );
            assert_eq!(ok.status, 303, "[{backend}] {}", ok.body);
        }
        // Staff cannot record time.
        let by_staff = staff.post(
            &format!("{BASE}/{id}/time"),
            &[("csrf", &staff_csrf), ("minutes", "5"), ("what", "x")],
        );
        assert_eq!(by_staff.status, 403, "[{backend}]");
        let after = custodian.get(&format!("{BASE}/{id}?done=time"));
        assert!(
            after.body.contains("The time was recorded"),
            "{}",
            after.body
        );
        let invoice_href = format!("{api}/invoice?format=html");
        assert!(
            after.body.contains(&format!("href=\"{invoice_href}\"")),
            "{}",
            after.body
        );
        let invoice = custodian.get(&invoice_href);
        assert_eq!(invoice.status, 200, "[{backend}] {}", invoice.body);
        let rate = get(
            &app.url(&format!("{api}/invoice")),
            Some(&app.sign_in(ADMIN)),
        );
        assert_eq!(rate.status, 403, "admins get no invoice: {:?}", rate.body);
        assert!(
            invoice.body.contains("Greene County Sheriff"),
            "{}",
            invoice.body
        );
        assert!(
            invoice.body.contains("searching the circulation records"),
            "{}",
            invoice.body
        );
        // 135 minutes at the library's rate: the total is on the page.
        assert!(
            invoice.body.contains("Total due: <strong>$"),
            "{}",
            invoice.body
        );

        // The yearly count: one court order, allowed.
        let year = chrono::Utc::now().format("%Y").to_string();
        let counts = staff.get(&format!("{BASE}/counts?year={year}"));
        assert_eq!(counts.status, 200, "[{backend}] {}", counts.body);
        assert!(
            counts
                .body
                .contains(&format!("<h1>Legal requests in {year}</h1>")),
            "{}",
            counts.body
        );
        assert!(
            counts.body.contains(
                "<tr><th scope=\"row\">Court order</th><td>1</td><td>1</td><td>0</td></tr>"
            ),
            "{}",
            counts.body
        );
        assert!(
            counts.body.contains(
                "<tr><th scope=\"row\">All requests</th><td>1</td><td>1</td><td>0</td></tr>"
            ),
            "{}",
            counts.body
        );
        assert!(
            counts
                .body
                .contains(&format!("<option value=\"{year}\" selected>")),
            "{}",
            counts.body
        );
        assert!(
            !counts.body.contains("Det. Ray"),
            "no requester in the count: {}",
            counts.body
        );
        let bad = staff.get(&format!("{BASE}/counts?year=1492"));
        assert_eq!(bad.status, 400, "[{backend}]");
        let empty = staff.get(&format!("{BASE}/counts?year=2001"));
        assert!(
            empty.body.contains(
                "<tr><th scope=\"row\">All requests</th><td>0</td><td>0</td><td>0</td></tr>"
            ),
            "{}",
            empty.body
        );
    });
}
