//! An export for a purpose (#16), on both backends: the contact of every
//! patron an optional use of the library's policy may reach, leaving out
//! those who opted out of it, those without an email and every other
//! library's patrons; refused for a use the policy does not name and to
//! anyone but the library's admin; audited.

use crate::app::support::*;
use serde_json::{json, Value};

fn export_url(app: &TestApp, library: &str, key: &str) -> String {
    app.url(&format!("/api/v1/libraries/{library}/exports/{key}"))
}

fn emails(export: &Value) -> Vec<String> {
    let mut all: Vec<String> = export["patrons"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| p["email"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all
}

#[test]
fn an_export_for_a_use_leaves_out_who_opted_out_of_it() {
    each_backend(|backend| {
        let app = TestApp::builder(backend).with_library("harbor").spawn();
        let admin = app.sign_in("admin.harbor@testkit.test");
        for card in ["41000000021", "41000000022", "41000000023"] {
            patron(&app, &admin, "harbor", card);
        }
        register(
            &app,
            &admin,
            "harbor",
            json!({"card_number": "41000000024", "pin": "2468", "name": "No Email", "birth_date": "1980-01-01"}),
        );
        let other = app.sign_in("admin.riverbend@demo.custodian.test");
        patron(&app, &other, "riverbend", "21000777021");

        // Before the policy names the use, nothing is exported for it.
        let early = get(&export_url(&app, "harbor", "newsletter"), Some(&admin));
        early.assert_problem(400, "invalid-parameter");
        assert_eq!(early.body["field"], "use_key", "[{backend}]");

        let r = post(
            &app.url("/api/v1/libraries/harbor/privacy-policy/versions"),
            Some(&admin),
            &json!({
                "document": {"jurisdiction": "generic", "uses": [
                    {"key": "newsletter", "description": "A monthly newsletter by email."},
                    {"key": "surveys", "description": "A yearly survey about our services."},
                ]},
                "summary": "A newsletter and a survey.",
                "new_uses": ["newsletter", "surveys"],
            }),
        );
        assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);

        // One patron opts out of the newsletter, another of the survey only.
        let me = app.as_patron("harbor", "41000000022", "2468");
        let set = me.put("/api/v1/patron/me/opt-outs", &json!({"newsletter": true}));
        assert_eq!(set.status, 200, "[{backend}] {:?}", set.body);
        let me = app.as_patron("harbor", "41000000023", "2468");
        let set = me.put("/api/v1/patron/me/opt-outs", &json!({"surveys": true}));
        assert_eq!(set.status, 200, "[{backend}] {:?}", set.body);

        let news = get(&export_url(&app, "harbor", "newsletter"), Some(&admin));
        assert_eq!(news.status, 200, "[{backend}] {:?}", news.body);
        assert_eq!(
            emails(&news.body),
            ["p41000000021@example.org", "p41000000023@example.org"],
            "[{backend}] {:?}",
            news.body
        );
        assert_eq!(news.body["left_out"], 1, "[{backend}]");
        assert_eq!(news.body["policy_version"], 1, "[{backend}]");
        assert_eq!(news.body["use"]["key"], "newsletter", "[{backend}]");
        assert_eq!(
            news.body["patrons"][0]["name"], "Test Patron",
            "[{backend}]"
        );
        assert_eq!(
            news.headers.get("cache-control").map(|v| v[0].as_str()),
            Some("no-store"),
            "[{backend}]"
        );

        let survey = get(&export_url(&app, "harbor", "surveys"), Some(&admin));
        assert_eq!(
            emails(&survey.body),
            ["p41000000021@example.org", "p41000000022@example.org"],
            "[{backend}]"
        );

        // The same as CSV, one patron a line.
        let csv = get(
            &format!("{}?format=csv", export_url(&app, "harbor", "newsletter")),
            Some(&admin),
        );
        assert_eq!(csv.status, 200, "[{backend}] {:?}", csv.body);
        let text = csv.body.as_str().unwrap_or_default();
        assert_eq!(
            text,
            "name,email\nTest Patron,p41000000021@example.org\nTest Patron,p41000000023@example.org\n",
            "[{backend}]"
        );
        assert!(
            csv.headers
                .get("content-disposition")
                .is_some_and(|v| v[0].contains("harbor-newsletter.csv")),
            "[{backend}] {:?}",
            csv.headers
        );

        // Opting back in puts them back.
        let me = app.as_patron("harbor", "41000000022", "2468");
        me.put("/api/v1/patron/me/opt-outs", &json!({"newsletter": false}))
            .assert_status(200);
        let news = get(&export_url(&app, "harbor", "newsletter"), Some(&admin));
        assert_eq!(emails(&news.body).len(), 3, "[{backend}]");
        assert_eq!(news.body["left_out"], 0, "[{backend}]");

        // Audited, with the use as its purpose.
        let audit = get(
            &app.url("/api/v1/libraries/harbor/audit?limit=200"),
            Some(&admin),
        );
        let log = audit.body.to_string();
        assert!(log.contains("patron.export_for_use"), "[{backend}] {log}");
        assert!(
            log.contains("contact exported for newsletter"),
            "[{backend}] {log}"
        );

        // A use the policy does not name, staff, another library's admin, nobody.
        get(&export_url(&app, "harbor", "telemarketing"), Some(&admin))
            .assert_problem(400, "invalid-parameter");
        get(
            &format!("{}?format=xml", export_url(&app, "harbor", "newsletter")),
            Some(&admin),
        )
        .assert_problem(400, "invalid-parameter");
        let staff = member(&app, "riverbend", "staff");
        let r = get(&export_url(&app, "riverbend", "newsletter"), Some(&staff));
        assert_eq!(r.status, 403, "[{backend}] {:?}", r.body);
        let r = get(&export_url(&app, "harbor", "newsletter"), Some(&other));
        assert!(
            r.status == 403 || r.status == 404,
            "[{backend}] {:?}",
            r.body
        );
        let r = get(&export_url(&app, "harbor", "newsletter"), None);
        assert_eq!(r.status, 401, "[{backend}] {:?}", r.body);
    });
}
