//! What a release does beyond the package: the letter to each patron named
//! (once, and never under a non-disclosure order), an emergency where the
//! statute has the exception, and a release on the patron's own consent.

use crate::app::support::*;
use serde_json::{json, Value};
use std::time::Duration;

fn requests(app: &TestApp, library: &str) -> String {
    app.url(&format!("/api/v1/libraries/{library}/legal-requests"))
}

fn record(app: &TestApp, token: &str, library: &str, patron: i64, ext: &str) {
    let r = post(
        &app.url(&format!("/api/v1/libraries/{library}/records")),
        Some(token),
        &json!({"kind": "circulation", "source": "ils", "external_id": ext,
                "occurred_at": "2026-10-15T10:00:00Z", "item": format!("item {ext}"),
                "status": "out", "patron_id": patron}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
}

/// Registers `body`, decides it as `custodian` (asserting `decision`), returns its id.
fn decided(
    app: &TestApp,
    library: &str,
    staff: &str,
    custodian: &str,
    body: &Value,
    decision: &str,
) -> i64 {
    let made = post(&requests(app, library), Some(staff), body);
    assert_eq!(made.status, 201, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let d = post(
        &format!("{}/{id}/decision", requests(app, library)),
        Some(custodian),
        &json!({}),
    );
    assert_eq!(d.status, 200, "{:?}", d.body);
    assert_eq!(d.body["decision"], decision, "{:?}", d.body);
    id
}

fn package(app: &TestApp, library: &str, custodian: &str, id: i64) -> Value {
    let p = get(
        &format!("{}/{id}/package?format=json", requests(app, library)),
        Some(custodian),
    );
    assert_eq!(p.status, 200, "{:?}", p.body);
    p.body
}

fn order(patrons: &[i64], sealed_until: Option<&str>) -> Value {
    json!({"instrument": "court_order",
           "requester": {"name": "Det. Ray", "agency": "Greene County Sheriff"},
           "court": "31st Judicial Circuit", "case_number": "26-CR-0412",
           "good_cause_shown": true, "patron_ids": patrons, "kinds": ["circulation"],
           "from": "2026-10-01", "to": "2026-10-31", "non_disclosure_until": sealed_until})
}

/// The release letters delivered so far: (to, text).
fn letters(app: &TestApp) -> Vec<(String, String)> {
    app.mail()
        .into_iter()
        .filter(|m| {
            m.header("Subject")
                .is_some_and(|s| s.contains("released library records about you"))
        })
        .map(|m| (m.header("To").unwrap_or_default(), m.text()))
        .collect()
}

#[test]
fn each_patron_named_gets_one_letter_and_a_sealed_release_sends_none() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let sealed_one = patron(&app, &staff, "riverbend", "21000555001");
        let first = patron(&app, &staff, "riverbend", "21000555002");
        let second = patron(&app, &staff, "riverbend", "21000555003");
        let no_email = register(
            &app,
            &staff,
            "riverbend",
            json!({"card_number": "21000555004", "pin": "2468", "name": "No Mail", "birth_date": "1980-01-01"}),
        )["id"]
            .as_i64()
            .unwrap();
        for (p, ext) in [
            (sealed_one, "s1"),
            (first, "f1"),
            (second, "f2"),
            (no_email, "n1"),
        ] {
            record(&app, &staff, "riverbend", p, ext);
        }

        // Sealed for a year: released, and nobody is told.
        let sealed = decided(
            &app,
            "riverbend",
            &staff,
            &custodian,
            &order(&[sealed_one], Some("2027-12-31")),
            "allow",
        );
        assert_eq!(
            package(&app, "riverbend", &custodian, sealed)["records"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        // Not sealed: each named patron with an email address is told, once.
        let open = decided(
            &app,
            "riverbend",
            &staff,
            &custodian,
            &order(&[first, second, no_email], None),
            "allow",
        );
        assert_eq!(
            package(&app, "riverbend", &custodian, open)["records"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        let mut got = Vec::new();
        for _ in 0..400 {
            got = letters(&app);
            if got.len() >= 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut to: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        to.sort_unstable();
        assert_eq!(
            to,
            ["p21000555002@example.org", "p21000555003@example.org"],
            "[{backend}] {got:?}"
        );
        let (_, text) = &got[0];
        for words in [
            "Riverbend",
            &format!("{open}"),
            "circulation records",
            "from 2026-10-01 to 2026-10-31",
            "Greene County Sheriff",
            "26-CR-0412",
            "RSMo",
        ] {
            assert!(
                text.contains(words),
                "[{backend}] the letter lacks {words:?}: {text}"
            );
        }
        // The card number and the items are not in the letter.
        assert!(
            !text.contains("21000555002") && !text.contains("item f1"),
            "[{backend}] {text}"
        );

        // Reading the package again is no new release to tell of.
        package(&app, "riverbend", &custodian, open);
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(letters(&app).len(), 2, "[{backend}] {:?}", letters(&app));
    });
}

#[test]
fn an_emergency_where_the_statute_allows_it_releases_who_someone_is_and_nothing_they_borrowed() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        // Prairie Hills is a Kansas library: K.S.A. 45-221 has the exception RSMo 182.817 lacks.
        let staff = member(&app, "prairie-hills", "staff");
        let custodian = member(&app, "prairie-hills", "custodian");
        let p = patron(&app, &staff, "prairie-hills", "21000555010");
        record(&app, &staff, "prairie-hills", p, "e1");
        let emergency = |danger: bool| {
            json!({"instrument": "emergency", "imminent_danger": danger,
                   "requester": {"name": "Sgt. Lee", "agency": "City Police"},
                   "patron_ids": [p], "kinds": []})
        };
        decided(
            &app,
            "prairie-hills",
            &staff,
            &custodian,
            &emergency(false),
            "deny",
        );
        let id = decided(
            &app,
            "prairie-hills",
            &staff,
            &custodian,
            &emergency(true),
            "allow",
        );
        let body = package(&app, "prairie-hills", &custodian, id);
        assert_eq!(body["releases"], "identity", "[{backend}] {body:?}");
        assert_eq!(
            body["records"].as_array().map_or(0, Vec::len),
            0,
            "[{backend}] {body:?}"
        );
        let who = &body["identities"][0];
        assert_eq!(who["card_number"], "21000555010", "[{backend}] {body:?}");
        assert_eq!(who["name"], "Test Patron", "[{backend}] {body:?}");
        assert!(
            !body.to_string().contains("item e1"),
            "[{backend}] {body:?}"
        );
    });
}

#[test]
fn a_patrons_written_consent_releases_their_records_and_anothers_consent_does_not() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let p = patron(&app, &staff, "riverbend", "21000555020");
        let other = patron(&app, &staff, "riverbend", "21000555021");
        record(&app, &staff, "riverbend", p, "c1");
        let consent = post(
            &app.url(&format!("/api/v1/libraries/riverbend/patrons/{p}/consents")),
            Some(&staff),
            &json!({"kind": "disclosure", "given_by": "the patron, in writing", "scope": "circulation records to A. Lawyer"}),
        );
        assert_eq!(consent.status, 201, "[{backend}] {:?}", consent.body);
        let consent_id = consent.body["id"].as_i64().unwrap();
        let asking = |patrons: Value| {
            json!({"instrument": "patron_consent", "consent_id": consent_id,
                   "requester": {"name": "A. Lawyer", "agency": "Firm LLP"},
                   "patron_ids": patrons, "kinds": ["circulation"]})
        };
        let wrong = post(
            &requests(&app, "riverbend"),
            Some(&staff),
            &asking(json!([other])),
        );
        assert_eq!(wrong.status, 400, "[{backend}] {:?}", wrong.body);
        assert!(
            wrong.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("another patron's"),
            "[{backend}] {:?}",
            wrong.body
        );
        let id = decided(
            &app,
            "riverbend",
            &staff,
            &custodian,
            &asking(json!([p])),
            "allow",
        );
        let body = package(&app, "riverbend", &custodian, id);
        let items: Vec<&str> = body["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["item"].as_str())
            .collect();
        assert_eq!(items, ["item c1"], "[{backend}] {body:?}");
    });
}
