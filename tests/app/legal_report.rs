//! The yearly count of legal requests through the API, on every backend:
//! the numbers by instrument and decision, any staff may read it, another
//! library's staff get 404, and a bad year names the field.

use crate::app::support::*;
use serde_json::json;

#[test]
fn the_yearly_count_tallies_instruments_and_decisions() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let made = register(
            &app,
            &staff,
            "riverbend",
            json!({"card_number": "21000777001", "pin": "2468", "name": "Test Patron", "birth_date": "1980-01-01"}),
        );
        let p = made["id"].as_i64().unwrap();
        let base = app.url("/api/v1/libraries/riverbend/legal-requests");
        let mut ids = Vec::new();
        for instrument in ["subpoena", "subpoena", "court_order"] {
            let r = post(
                &base,
                Some(&staff),
                &json!({"instrument": instrument, "requester": {"name": "A. Clerk"}, "good_cause_shown": true, "patron_ids": [p], "kinds": ["circulation"]}),
            );
            assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);
            ids.push(r.body["id"].as_i64().unwrap());
        }
        for id in [ids[0], ids[2]] {
            let d = post(
                &format!("{base}/{id}/decision"),
                Some(&custodian),
                &json!({}),
            );
            assert_eq!(d.status, 200, "[{backend}] {:?}", d.body);
        }
        let year = chrono::Utc::now().format("%Y").to_string();
        let url = app.url(&format!(
            "/api/v1/libraries/riverbend/legal-request-counts?year={year}"
        ));
        let c = get(&url, Some(&staff));
        assert_eq!(c.status, 200, "[{backend}] {:?}", c.body);
        let row = |i: &str| {
            c.body["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["instrument"] == i)
                .unwrap()
                .clone()
        };
        assert_eq!(row("subpoena")["received"], 2, "[{backend}] {:?}", c.body);
        assert_eq!(row("subpoena")["denied"], 1, "[{backend}]");
        assert_eq!(row("court_order")["allowed"], 1, "[{backend}]");
        assert_eq!(
            row("national_security_letter")["received"],
            0,
            "[{backend}]"
        );
        assert_eq!(c.body["total"]["received"], 3, "[{backend}]");
        assert!(!c.body.to_string().contains("A. Clerk"), "[{backend}]");

        let last = get(
            &app.url("/api/v1/libraries/riverbend/legal-request-counts?year=2001"),
            Some(&staff),
        );
        assert_eq!(last.body["total"]["received"], 0, "[{backend}]");
        get(
            &app.url("/api/v1/libraries/riverbend/legal-request-counts?year=19x"),
            Some(&staff),
        )
        .assert_problem(400, "invalid-parameter");
        let other = member(&app, "cedar-county", "custodian");
        let r = get(&url, Some(&other));
        assert_eq!(r.status, 404, "[{backend}] {:?}", r.body);
    });
}
