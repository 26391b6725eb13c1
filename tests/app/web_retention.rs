//! The retention page in a browser's hands (in-process, both backends): the
//! admin reads and sets the periods, a period past the policy is refused
//! beside its field with what was typed kept, and the last run is shown.

use crate::app::support::*;
use serde_json::json;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const PAGE: &str = "/libraries/riverbend/retention";

/// Every kind's fields as the page shows them by default, with `changes`.
fn form<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("csrf", csrf),
        ("circulation_days", "0"),
        ("circulation_then", "anonymize"),
        ("card_registration_days", "1095"),
        ("card_registration_then", "delete"),
        ("holds_and_interlibrary_loans_days", "30"),
        ("holds_and_interlibrary_loans_then", "anonymize"),
        ("event_registration_days", "30"),
        ("event_registration_then", "anonymize"),
        ("reference_requests_days", "30"),
        ("reference_requests_then", "delete"),
        ("donations_days", "2555"),
        ("donations_then", "anonymize"),
        ("digital_use_days", "0"),
        ("digital_use_then", "delete"),
        ("fines_and_payments_days", "90"),
        ("fines_and_payments_then", "anonymize"),
    ];
    for (name, value) in changes {
        if let Some(slot) = f.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        }
    }
    f
}

#[test]
fn an_admin_sets_the_periods_on_the_page_and_sees_the_last_run() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let mut b = Browser::new(&app);
        let (_, landed) = sign_in(&mut b, ADMIN, &app.password(ADMIN));
        assert_eq!(landed.status, 200, "{}", landed.body);
        assert!(
            landed.body.contains(&format!("href=\"{PAGE}\"")),
            "no Retention link"
        );

        let shown = b.get(PAGE);
        assert_eq!(shown.status, 200, "{}", shown.body);
        assert!(shown.body.contains("<h1>Retention at "), "{}", shown.body);
        assert!(shown
            .body
            .contains("<label for=\"holds_and_interlibrary_loans_days\">"));
        assert!(shown.body.contains("At most 30 days."));
        assert!(shown.body.contains("Retention has not run at"));
        let csrf = csrf_of(&shown.body);

        // Too long: refused beside the field, what was typed kept.
        let refused = b.post(
            PAGE,
            &form(&csrf, &[("holds_and_interlibrary_loans_days", "45")]),
        );
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains("<title>Error: Retention at"));
        assert!(refused
            .body
            .contains("id=\"holds_and_interlibrary_loans_days-error\""));
        assert!(
            refused.body.contains("may be at most 30 days"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("value=\"45\""));
        assert!(refused
            .body
            .contains("href=\"#holds_and_interlibrary_loans_days\""));
        // Not a number: said so, in words.
        let words = b.post(PAGE, &form(&csrf, &[("donations_days", "a year")]));
        assert_eq!(words.status, 400, "{}", words.body);
        assert!(words.body.contains("enter the number of days as digits"));
        assert!(words.body.contains("value=\"a year\""));
        // A forged form changes nothing.
        let forged = b.post(
            PAGE,
            &form("forged", &[("holds_and_interlibrary_loans_days", "7")]),
        );
        assert_eq!(forged.status, 403, "{}", forged.body);

        let saved = b.post(
            PAGE,
            &form(
                &csrf,
                &[
                    ("holds_and_interlibrary_loans_days", "7"),
                    ("holds_and_interlibrary_loans_then", "delete"),
                ],
            ),
        );
        assert_eq!(saved.status, 303, "{}", saved.body);
        let after = b.get(saved.location.as_deref().unwrap());
        assert!(after.body.contains("The retention periods were saved"));
        assert!(after.body.contains("value=\"7\""));
        assert!(after.body.contains("Set by your library."));
        let api = get(
            &app.url("/api/v1/libraries/riverbend/retention"),
            Some(&app.sign_in(ADMIN)),
        );
        let own: Vec<_> = api.body["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["own"] == true)
            .map(|k| k["kind"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            own,
            vec!["holds_and_interlibrary_loans"],
            "only the change is the library's own"
        );

        // After a run, the page shows what it did.
        let ran = post(
            &app.url("/api/v1/libraries/riverbend/retention/run"),
            Some(&app.sign_in(ADMIN)),
            &json!({"apply": true}),
        );
        assert_eq!(ran.status, 200, "{:?}", ran.body);
        let report = b.get(PAGE);
        assert!(
            report.body.contains("Retention last ran on"),
            "{}",
            report.body
        );
        assert!(report
            .body
            .contains("<td>Holds and interlibrary loans</td>"));

        // Staff are refused the page.
        let (_, mut staff) = member_in_browser(&app, "riverbend", "staff");
        assert_eq!(staff.get(PAGE).status, 403);
    });
}
