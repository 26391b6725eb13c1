//! Patrons in process: a child's gated fields wait for a guardian's consent.

use crate::app::support::*;
use serde_json::json;

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";

#[test]
fn a_child_needs_a_guardians_consent_before_gated_fields_are_stored() {
    each_backend(|backend| {
        let s = TestApp::spawn(backend);
        let staff = s.sign_in(ADMIN_A);
        let child = json!({"card_number": "21000999001", "pin": "2468", "name": "Pip Quillfeather", "email": "pip@example.org", "birth_date": "2017-06-01"});
        let refused = post(
            &s.url("/api/v1/libraries/riverbend/patrons"),
            Some(&staff),
            &child,
        );
        refused.assert_problem(409, "guardian-consent-required");
        assert!(
            refused.body["detail"].as_str().unwrap().contains("email"),
            "{:?}",
            refused.body
        );
        let mut with_consent = child.clone();
        with_consent["guardian"] = json!("Ada Quillfeather (mother)");
        with_consent["guardian_consent"] = json!({"given_by": "Ada Quillfeather"});
        let made = post(
            &s.url("/api/v1/libraries/riverbend/patrons"),
            Some(&staff),
            &with_consent,
        );
        assert_eq!(made.status, 201, "{:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        let fix = patch(
            &s.url(&format!("/api/v1/libraries/riverbend/patrons/{id}")),
            Some(&staff),
            &json!({"purpose": "phone for hold notices", "phone": "816-555-0199"}),
        );
        assert_eq!(fix.status, 200, "{:?}", fix.body);
        // An adult needs none.
        let adult = json!({"card_number": "21000999002", "pin": "2468", "name": "Quinn Adult", "email": "q@example.org", "birth_date": "1970-01-01"});
        assert_eq!(
            post(
                &s.url("/api/v1/libraries/riverbend/patrons"),
                Some(&staff),
                &adult
            )
            .status,
            201
        );
    });
}

/// JSON Schema's `integer`, which the OpenAPI document gives every id, admits
/// `57.0`; schemathesis sends such ids and a server that refused them would not
/// be the one the document describes (#17).
#[test]
fn an_id_written_as_an_integral_float_is_read_as_that_integer() {
    each_backend(|backend| {
        let s = TestApp::spawn(backend);
        let staff = s.sign_in(ADMIN_A);
        let register = |card: &str| {
            let made = post(
                &s.url("/api/v1/libraries/riverbend/patrons"),
                Some(&staff),
                &json!({"card_number": card, "pin": "2468", "name": "Robin Twice", "email": "robin@example.org", "birth_date": "1970-01-01"}),
            );
            assert_eq!(made.status, 201, "{:?}", made.body);
            made.body["id"].as_i64().unwrap()
        };
        let (keep, dup) = (register("21000999101"), register("21000999102"));
        let merged = post(
            &s.url(&format!("/api/v1/libraries/riverbend/patrons/{keep}/merge")),
            Some(&staff),
            &json!({"duplicate_id": dup as f64}),
        );
        assert_eq!(merged.status, 200, "{:?}", merged.body);
        assert_eq!(merged.body["kept"], keep);
        assert_eq!(merged.body["removed"], dup);
        // A fraction is still not an id.
        let half = post(
            &s.url(&format!("/api/v1/libraries/riverbend/patrons/{keep}/merge")),
            Some(&staff),
            &json!({"duplicate_id": 1.5}),
        );
        assert_eq!(half.status, 400, "{:?}", half.body);
    });
}
