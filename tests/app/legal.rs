//! Legal requests in process: the register, the custodian's decision citing
//! the statute, the package holding exactly the scope, and the sealed entry
//! in the patron's access log.

use crate::app::support::*;
use serde_json::{json, Value};

fn base(app: &TestApp, library: &str) -> String {
    app.url(&format!("/api/v1/libraries/{library}/legal-requests"))
}

fn record(
    app: &TestApp,
    token: &str,
    library: &str,
    patron: i64,
    kind: &str,
    ext: &str,
    at: &str,
) -> i64 {
    let r = post(
        &app.url(&format!("/api/v1/libraries/{library}/records")),
        Some(token),
        &json!({"kind": kind, "source": "ils", "external_id": ext, "occurred_at": at, "item": format!("item {ext}"), "status": "out", "patron_id": patron}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["ids"][0].as_i64().unwrap()
}

fn court_order(patrons: &[i64], until: Option<&str>) -> Value {
    json!({
        "instrument": "court_order",
        "requester": {"name": "Det. Ray", "agency": "Greene County Sheriff", "email": "ray@sheriff.example.org"},
        "court": "31st Judicial Circuit",
        "case_number": "26-CR-0412",
        "issued_on": "2026-11-20",
        "good_cause_shown": true,
        "finding": "necessary_to_prosecute_crime",
        "patron_ids": patrons,
        "kinds": ["circulation"],
        "from": "2026-10-01",
        "to": "2026-10-31",
        "non_disclosure_until": until,
    })
}

fn access_log(app: &TestApp, card: &str) -> Vec<Value> {
    let signed = patron_sign_in(app, "riverbend", card, "2468");
    assert_eq!(signed.status, 200, "{:?}", signed.body);
    let token = signed.body["token"].as_str().unwrap().to_owned();
    let log = get(&app.url("/api/v1/patron/me/access-log"), Some(&token));
    assert_eq!(log.status, 200, "{:?}", log.body);
    log.body["items"].as_array().unwrap().clone()
}

fn releases(log: &[Value]) -> usize {
    log.iter()
        .filter(|e| e["action"] == "legal.release")
        .count()
}

#[test]
fn a_missouri_subpoena_is_refused_citing_the_statute() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let p = patron(&app, &staff, "riverbend", "21000888001");
        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &json!({"instrument": "subpoena", "requester": {"name": "A. Clerk", "agency": "County Prosecutor"}, "patron_ids": [p], "kinds": ["circulation"]}),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        assert_eq!(made.body["status"], "received");
        let id = made.body["id"].as_i64().unwrap();

        // Staff who are not custodians cannot decide.
        let by_staff = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&staff),
            &json!({}),
        );
        assert_eq!(by_staff.status, 403, "[{backend}] {:?}", by_staff.body);
        // The refusal says who may, not something about another page.
        let says = by_staff.body["detail"].as_str().unwrap_or_default();
        assert!(
            says.contains("custodian of records decides"),
            "[{backend}] {says}"
        );
        // Nor may the library's admin, though the admin reads the audit log.
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let by_admin = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&admin),
            &json!({}),
        );
        assert_eq!(by_admin.status, 403, "[{backend}] {:?}", by_admin.body);
        let pkg_admin = get(
            &format!("{}/{id}/package", base(&app, "riverbend")),
            Some(&admin),
        );
        assert_eq!(pkg_admin.status, 403, "[{backend}] {:?}", pkg_admin.body);
        // The package before any decision: 409.
        let early = get(
            &format!("{}/{id}/package", base(&app, "riverbend")),
            Some(&custodian),
        );
        assert_eq!(early.status, 409, "[{backend}] {:?}", early.body);

        let decided = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&custodian),
            &json!({}),
        );
        assert_eq!(decided.status, 200, "[{backend}] {:?}", decided.body);
        assert_eq!(decided.body["decision"], "deny");
        let citation = decided.body["citation"].as_str().unwrap();
        assert!(citation.contains("RSMo 182.817"), "[{backend}] {citation}");
        let needs = decided.body["requester_needs"].as_str().unwrap();
        assert!(needs.contains("court"), "[{backend}] {needs}");

        // Final: a second decision clashes; a denied request releases nothing.
        let again = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&custodian),
            &json!({}),
        );
        assert_eq!(again.status, 409, "[{backend}] {:?}", again.body);
        let denied = get(
            &format!("{}/{id}/package", base(&app, "riverbend")),
            Some(&custodian),
        );
        assert_eq!(denied.status, 409, "[{backend}] {:?}", denied.body);

        let shown = get(&format!("{}/{id}", base(&app, "riverbend")), Some(&staff));
        assert_eq!(
            shown.body["status"], "denied",
            "[{backend}] {:?}",
            shown.body
        );
        let listed = get(
            &format!("{}?status=denied", base(&app, "riverbend")),
            Some(&staff),
        );
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            1,
            "[{backend}]"
        );
        let none = get(
            &format!("{}?status=received", base(&app, "riverbend")),
            Some(&staff),
        );
        assert_eq!(
            none.body["items"].as_array().unwrap().len(),
            0,
            "[{backend}]"
        );
    });
}

#[test]
fn registration_names_the_wrong_field_and_other_libraries_see_nothing() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let p = patron(&app, &staff, "riverbend", "21000888002");
        let bad = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &json!({"instrument": "letter", "requester": {"name": "X"}, "patron_ids": [p], "kinds": ["circulation"]}),
        );
        bad.assert_problem(400, "invalid-parameter");
        assert_eq!(
            bad.body["field"], "instrument",
            "[{backend}] {:?}",
            bad.body
        );
        let bad = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &json!({"instrument": "subpoena", "requester": {"name": "X"}, "patron_ids": [p], "kinds": ["circulation"], "from": "yesterday"}),
        );
        assert_eq!(bad.status, 400, "[{backend}]");
        assert_eq!(bad.body["field"], "from", "[{backend}] {:?}", bad.body);

        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &court_order(&[p], None),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        // Another library's custodian and staff: 404, through their own library's path too.
        let other = member(&app, "cedar-county", "custodian");
        let theirs = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&other),
            &json!({}),
        );
        assert_eq!(theirs.status, 404, "[{backend}] {:?}", theirs.body);
        let own_path = post(
            &format!("{}/{id}/decision", base(&app, "cedar-county")),
            Some(&other),
            &json!({}),
        );
        assert_eq!(own_path.status, 404, "[{backend}] {:?}", own_path.body);
        let other_staff = member(&app, "cedar-county", "staff");
        let read = get(
            &format!("{}/{id}", base(&app, "cedar-county")),
            Some(&other_staff),
        );
        assert_eq!(read.status, 404, "[{backend}] {:?}", read.body);
    });
}

#[test]
fn a_court_order_releases_exactly_its_scope_and_the_patron_sees_it() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let named = patron(&app, &staff, "riverbend", "21000888010");
        let other = patron(&app, &staff, "riverbend", "21000888011");
        let in_scope = record(
            &app,
            &staff,
            "riverbend",
            named,
            "circulation",
            "in-1",
            "2026-10-15T10:00:00Z",
        );
        let last_day = record(
            &app,
            &staff,
            "riverbend",
            named,
            "circulation",
            "in-2",
            "2026-10-31T23:00:00Z",
        );
        let before = record(
            &app,
            &staff,
            "riverbend",
            named,
            "circulation",
            "out-date",
            "2026-09-15T10:00:00Z",
        );
        let kind = record(
            &app,
            &staff,
            "riverbend",
            named,
            "card_registration",
            "out-kind",
            "2026-10-15T10:00:00Z",
        );
        let theirs = record(
            &app,
            &staff,
            "riverbend",
            other,
            "circulation",
            "out-patron",
            "2026-10-15T10:00:00Z",
        );
        let cedar_staff = member(&app, "cedar-county", "staff");
        let cedar_patron = patron(&app, &cedar_staff, "cedar-county", "21000888012");
        let cedar = record(
            &app,
            &cedar_staff,
            "cedar-county",
            cedar_patron,
            "circulation",
            "out-library",
            "2026-10-15T10:00:00Z",
        );

        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &court_order(&[named, cedar_patron], None),
        );
        // A patron of another library is not one of this library's.
        assert_eq!(made.status, 400, "[{backend}] {:?}", made.body);
        assert_eq!(made.body["field"], "patron_ids");
        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &court_order(&[named], None),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();

        let decided = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&custodian),
            &json!({}),
        );
        assert_eq!(decided.status, 200, "[{backend}] {:?}", decided.body);
        assert_eq!(
            decided.body["decision"], "allow",
            "[{backend}] {:?}",
            decided.body
        );
        assert!(decided.body["citation"]
            .as_str()
            .unwrap()
            .contains("RSMo 182.817"));

        let pkg = get(
            &format!("{}/{id}/package", base(&app, "riverbend")),
            Some(&custodian),
        );
        assert_eq!(pkg.status, 200, "[{backend}] {:?}", pkg.body);
        let mut ids: Vec<i64> = pkg.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![in_scope, last_day], "[{backend}] {:?}", pkg.body);
        for absent in [before, kind, theirs, cedar] {
            assert!(!ids.contains(&absent));
        }
        let csv = get(
            &format!("{}/{id}/package?format=csv", base(&app, "riverbend")),
            Some(&custodian),
        );
        assert_eq!(csv.status, 200, "[{backend}]");
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let text = csv.body.as_str().unwrap();
        assert_eq!(text.lines().count(), 3, "[{backend}] {text}");
        assert!(
            text.contains("item in-1") && !text.contains("out-date"),
            "{text}"
        );

        // Not sealed: the release is in the patron's access log; the other patron's has none.
        assert!(
            releases(&access_log(&app, "21000888010")) >= 1,
            "[{backend}]"
        );
        assert_eq!(releases(&access_log(&app, "21000888011")), 0, "[{backend}]");

        // The chain names every step with its clause.
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let audit = get(
            &app.url("/api/v1/libraries/riverbend/audit?limit=200"),
            Some(&admin),
        );
        let body = audit.body.to_string();
        for action in [
            "legal.registered",
            "legal.decided",
            "legal.package",
            "legal.release",
        ] {
            assert!(
                body.contains(action),
                "[{backend}] {action} missing: {body}"
            );
        }
        assert!(body.contains("mo.182.817"), "[{backend}] clause missing");
    });
}

#[test]
fn a_sealed_release_stays_hidden_until_its_date() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let p = patron(&app, &staff, "riverbend", "21000888020");
        record(
            &app,
            &staff,
            "riverbend",
            p,
            "circulation",
            "s-1",
            "2026-10-15T10:00:00Z",
        );
        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &court_order(&[p], Some("2099-01-01")),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        let decided = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&custodian),
            &json!({}),
        );
        assert_eq!(
            decided.body["decision"], "allow",
            "[{backend}] {:?}",
            decided.body
        );
        let pkg = get(
            &format!("{}/{id}/package", base(&app, "riverbend")),
            Some(&custodian),
        );
        assert_eq!(pkg.status, 200, "[{backend}] {:?}", pkg.body);
        assert_eq!(pkg.body["records"].as_array().unwrap().len(), 1);

        assert_eq!(
            releases(&access_log(&app, "21000888020")),
            0,
            "[{backend}] sealed"
        );

        // The order's date passes: the entry appears by itself.
        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&app.raw_url).unwrap()).unwrap();
        use diesel::connection::SimpleConnection;
        raw.batch_execute(&format!(
            "UPDATE legal_requests SET non_disclosure_until = '2026-01-01' WHERE id = {id}"
        ))
        .unwrap();
        assert_eq!(
            releases(&access_log(&app, "21000888020")),
            1,
            "[{backend}] after the date"
        );
    });
}

#[test]
fn a_missouri_court_order_on_good_cause_shown_is_allowed_and_one_stating_only_good_cause_is_not() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let p = patron(&app, &staff, "riverbend", "21000888030");

        // `good_cause_shown` alone: the order was made on the showing the
        // statute asks for, and the custodian sees that before deciding.
        let mut order = court_order(&[p], None);
        order.as_object_mut().unwrap().remove("finding");
        let made = post(&base(&app, "riverbend"), Some(&staff), &order);
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        assert_eq!(made.body["finding"], "as_statute_requires");
        let id = made.body["id"].as_i64().unwrap();
        let decision = format!("{}/{id}/decision", base(&app, "riverbend"));
        let preview = get(&decision, Some(&custodian));
        assert_eq!(preview.status, 200, "[{backend}] {:?}", preview.body);
        assert_eq!(
            preview.body["decision"], "allow",
            "[{backend}] {:?}",
            preview.body
        );
        assert_eq!(
            get(&decision, Some(&staff)).status,
            403,
            "[{backend}] staff preview"
        );
        let listed = get(&format!("{}/{id}", base(&app, "riverbend")), Some(&staff));
        assert_eq!(
            listed.body["status"], "received",
            "[{backend}] a preview decides nothing"
        );
        let decided = post(&decision, Some(&custodian), &json!({}));
        assert_eq!(
            decided.body["decision"], "allow",
            "[{backend}] {:?}",
            decided.body
        );
        assert_eq!(decided.body["clause"]["code"], "mo.182.817.1.2");

        // An order that states good cause and nothing more: since 2014
        // RSMo 182.817.1(2) asks the court to find necessity.
        let mut order = court_order(&[p], None);
        order["finding"] = json!("good_cause");
        let made = post(&base(&app, "riverbend"), Some(&staff), &order);
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        let decided = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&custodian),
            &json!({}),
        );
        assert_eq!(
            decided.body["decision"], "deny",
            "[{backend}] {:?}",
            decided.body
        );
        assert_eq!(
            decided.body["clause"]["code"], "mo.182.817.1.2",
            "[{backend}] {:?}",
            decided.body
        );
        let needs = decided.body["requester_needs"].as_str().unwrap();
        assert!(
            needs.contains("public safety or to prosecute a crime"),
            "[{backend}] {needs}"
        );
    });
}

#[test]
fn the_invoice_charges_the_custodians_time_at_the_librarys_rate() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let p = patron(&app, &staff, "riverbend", "21000888009");
        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &court_order(&[p], None),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        let time = format!("{}/{id}/time", base(&app, "riverbend"));
        let invoice = format!("{}/{id}/invoice", base(&app, "riverbend"));

        let first = post(
            &time,
            Some(&custodian),
            &json!({"minutes": 90, "what": "Searched the circulation records"}),
        );
        assert_eq!(first.status, 201, "[{backend}] {:?}", first.body);
        assert_eq!(first.body["minutes"], 90, "[{backend}] {:?}", first.body);
        assert_eq!(first.body["legal_request_id"], id);
        let by = first.body["by"].as_i64().unwrap();
        let second = post(
            &time,
            Some(&custodian),
            &json!({"minutes": 45, "what": "Prepared the package", "by": by}),
        );
        assert_eq!(second.status, 201, "[{backend}] {:?}", second.body);

        // Bad minutes, a missing description, somebody else's time: 400 naming the field.
        for minutes in [json!(0), json!(1441), json!("ninety")] {
            let bad = post(
                &time,
                Some(&custodian),
                &json!({"minutes": minutes, "what": "x"}),
            );
            bad.assert_problem(400, "invalid-parameter");
            assert_eq!(bad.body["field"], "minutes", "[{backend}] {:?}", bad.body);
        }
        let bad = post(&time, Some(&custodian), &json!({"minutes": 5}));
        assert_eq!(bad.status, 400, "[{backend}]");
        assert_eq!(bad.body["field"], "what", "[{backend}] {:?}", bad.body);
        let bad = post(
            &time,
            Some(&custodian),
            &json!({"minutes": 5, "what": "x", "by": by + 1000}),
        );
        assert_eq!(bad.status, 400, "[{backend}]");
        assert_eq!(bad.body["field"], "by", "[{backend}] {:?}", bad.body);

        // The desk records its own search time; only the custodian issues
        // the invoice; another library: 404.
        let by_staff = post(
            &time,
            Some(&staff),
            &json!({"minutes": 15, "what": "Pulled the loan history at the desk"}),
        );
        assert_eq!(by_staff.status, 201, "[{backend}] {:?}", by_staff.body);
        assert_eq!(get(&invoice, Some(&staff)).status, 403, "[{backend}]");
        let other = member(&app, "cedar-county", "custodian");
        let theirs = post(&time, Some(&other), &json!({"minutes": 5, "what": "x"}));
        assert_eq!(theirs.status, 404, "[{backend}] {:?}", theirs.body);
        let own_path = post(
            &format!("{}/{id}/time", base(&app, "cedar-county")),
            Some(&other),
            &json!({"minutes": 5, "what": "x"}),
        );
        assert_eq!(own_path.status, 404, "[{backend}] {:?}", own_path.body);
        let other_invoice = get(
            &format!("{}/{id}/invoice", base(&app, "cedar-county")),
            Some(&other),
        );
        assert_eq!(other_invoice.status, 404, "[{backend}]");

        // The invoice: 90 + 45 + 15 minutes at 2500 cents an hour.
        let inv = get(&invoice, Some(&custodian));
        assert_eq!(inv.status, 200, "[{backend}] {:?}", inv.body);
        assert_eq!(
            inv.body["hourly_rate_cents"], 2500,
            "[{backend}] {:?}",
            inv.body
        );
        assert_eq!(inv.body["total_cents"], 6250, "[{backend}] {:?}", inv.body);
        assert_eq!(inv.body["requester"]["name"], "Det. Ray");
        assert_eq!(inv.body["requester"]["agency"], "Greene County Sheriff");
        assert_eq!(inv.body["requester"]["email"], "ray@sheriff.example.org");
        let lines = inv.body["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 3, "[{backend}] {:?}", inv.body);
        assert_eq!(lines[0]["minutes"], 90);
        assert_eq!(lines[0]["cents"], 3750);
        assert_eq!(lines[0]["by"], "The custodian");
        assert_eq!(lines[1]["what"], "Prepared the package");
        assert_eq!(lines[1]["cents"], 1875);
        assert_eq!(lines[2]["by"], "The staff");
        assert_eq!(lines[2]["cents"], 625);

        // The printable page, by Accept or by ?format=html.
        let bearer = format!("Bearer {custodian}");
        let page = request(
            "GET",
            &invoice,
            &[("Authorization", &bearer), ("Accept", "text/html")],
            None,
        );
        assert_eq!(page.status, 200, "[{backend}] {:?}", page.body);
        assert!(page
            .header("content-type")
            .unwrap_or("")
            .starts_with("text/html"));
        let html = page.body.as_str().unwrap_or("");
        assert!(html.contains("$62.50"), "[{backend}] {html}");
        assert!(html.contains("Det. Ray"), "[{backend}] {html}");
        assert!(html.contains("Greene County Sheriff"), "[{backend}] {html}");
        assert!(html.contains("<caption>"), "[{backend}] {html}");
        let by_query = get(&format!("{invoice}?format=html"), Some(&custodian));
        assert!(by_query.body.as_str().unwrap_or("").contains("$62.50"));

        // Both steps are in the library's audit chain.
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let audit = get(
            &app.url("/api/v1/libraries/riverbend/audit?limit=200"),
            Some(&admin),
        );
        let body = audit.body.to_string();
        for action in ["legal.time", "legal.invoice"] {
            assert!(
                body.contains(action),
                "[{backend}] {action} missing: {body}"
            );
        }
    });
}

#[test]
fn a_missouri_emergency_is_refused_and_never_asks_for_records() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let p = patron(&app, &staff, "riverbend", "21000888040");
        let emergency = |kinds: Value| {
            json!({"instrument": "emergency", "imminent_danger": true,
                   "requester": {"name": "Sgt. Lee", "agency": "City Police"},
                   "patron_ids": [p], "kinds": kinds})
        };
        // An emergency releases who someone is, never what they borrowed.
        let asks_loans = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &emergency(json!(["circulation"])),
        );
        assert_eq!(asks_loans.status, 400, "[{backend}] {:?}", asks_loans.body);
        assert!(
            asks_loans.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("identity fields only"),
            "[{backend}] {:?}",
            asks_loans.body
        );
        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &emergency(json!([])),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        // RSMo 182.817 has no emergency exception.
        let decided = post(
            &format!("{}/{id}/decision", base(&app, "riverbend")),
            Some(&custodian),
            &json!({}),
        );
        assert_eq!(decided.status, 200, "[{backend}] {:?}", decided.body);
        assert_eq!(
            decided.body["decision"], "deny",
            "[{backend}] {:?}",
            decided.body
        );
        let package = get(
            &format!("{}/{id}/package", base(&app, "riverbend")),
            Some(&custodian),
        );
        assert_eq!(package.status, 409, "[{backend}] {:?}", package.body);
    });
}

#[test]
fn a_patron_consent_request_names_a_consent_of_this_library() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let p = patron(&app, &staff, "riverbend", "21000888050");
        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &json!({"instrument": "patron_consent", "consent_id": 987654,
                    "requester": {"name": "A. Lawyer", "agency": "Firm LLP"},
                    "patron_ids": [p], "kinds": ["circulation"]}),
        );
        assert_eq!(made.status, 400, "[{backend}] {:?}", made.body);
        assert!(
            made.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("no consent 987654"),
            "[{backend}] {:?}",
            made.body
        );
    });
}

#[test]
fn the_admin_sets_the_hourly_rate_and_the_invoice_charges_it() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let settings = app.url("/api/v1/libraries/riverbend/legal-settings");

        // The default, readable by any staff.
        let now = get(&settings, Some(&staff));
        assert_eq!(now.status, 200, "[{backend}] {:?}", now.body);
        assert_eq!(now.body["hourly_rate_cents"], 2500, "[{backend}]");

        // Only the admin sets it; a nonsense rate names the field and the unit.
        let by_staff = put(
            &settings,
            Some(&custodian),
            &json!({"hourly_rate_cents": 1}),
        );
        assert_eq!(by_staff.status, 403, "[{backend}] {:?}", by_staff.body);
        for bad in [json!(-1), json!(100_001), json!("40.00")] {
            let r = put(&settings, Some(&admin), &json!({"hourly_rate_cents": bad}));
            r.assert_problem(400, "invalid-parameter");
            assert_eq!(r.body["field"], "hourly_rate_cents", "[{backend}]");
        }
        let set = put(&settings, Some(&admin), &json!({"hourly_rate_cents": 4000}));
        assert_eq!(set.status, 200, "[{backend}] {:?}", set.body);
        assert_eq!(set.body["hourly_rate_cents"], 4000);
        // Another library's rate is untouched.
        let theirs = member(&app, "cedar-county", "staff");
        let other = get(
            &app.url("/api/v1/libraries/cedar-county/legal-settings"),
            Some(&theirs),
        );
        assert_eq!(other.body["hourly_rate_cents"], 2500, "[{backend}]");

        let p = patron(&app, &staff, "riverbend", "21000888010");
        let made = post(
            &base(&app, "riverbend"),
            Some(&staff),
            &court_order(&[p], None),
        );
        let id = made.body["id"].as_i64().unwrap();
        let time = format!("{}/{id}/time", base(&app, "riverbend"));
        let entry = post(
            &time,
            Some(&staff),
            &json!({"minutes": 45, "what": "Searched"}),
        );
        assert_eq!(entry.status, 201, "[{backend}] {:?}", entry.body);
        let inv = get(
            &format!("{}/{id}/invoice", base(&app, "riverbend")),
            Some(&custodian),
        );
        assert_eq!(inv.body["hourly_rate_cents"], 4000, "[{backend}]");
        assert_eq!(inv.body["total_cents"], 3000, "[{backend}] {:?}", inv.body);
    });
}
