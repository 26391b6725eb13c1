//! Each library's privacy policy (#16) over the API, on both backends: a
//! version that loosens the statute is refused with its citation; a published
//! version is public with its difference; its notice reaches every patron of
//! the library with an email and no one else, once; an opt-out is recorded
//! with its version and obeyed by a vendor check; a child is named by each
//! library's own rule.

use crate::app::support::*;
use chrono::{Duration as Days, Utc};
use serde_json::{json, Value};
use std::time::Duration;

fn versions_url(app: &TestApp, library: &str) -> String {
    app.url(&format!(
        "/api/v1/libraries/{library}/privacy-policy/versions"
    ))
}

fn public_url(app: &TestApp, library: &str) -> String {
    app.url(&format!("/api/v1/public/libraries/{library}/privacy"))
}

fn publish(app: &TestApp, token: &str, library: &str, body: Value) -> Reply {
    post(&versions_url(app, library), Some(token), &body)
}

fn newsletter() -> Value {
    json!({"key": "newsletter", "description": "A monthly newsletter by email about events."})
}

#[test]
fn a_version_that_loosens_the_statute_is_refused_with_the_citation() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let r = publish(
            &app,
            &admin,
            "riverbend",
            json!({
                "document": {"jurisdiction": "missouri", "disclosure": {"accept_subpoena": true}},
                "summary": "We answer subpoenas.",
            }),
        );
        r.assert_problem(422, "policy-loosens-statute");
        assert_eq!(r.body["field"], "disclosure.accept_subpoena", "[{backend}]");
        assert_eq!(r.body["clause"]["code"], "mo.182.817.1.2", "[{backend}]");
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("RSMo 182.817"), "[{backend}] {detail}");

        // The same as TOML, and a retention period longer than the statute's.
        let toml = "jurisdiction = \"missouri\"\n[retention.circulation]\nkeep_days = 30\nthen = \"anonymize\"\n";
        let r = publish(
            &app,
            &admin,
            "riverbend",
            json!({"document_toml": toml, "summary": "Keep loans a month."}),
        );
        r.assert_problem(422, "policy-loosens-statute");
        assert_eq!(r.body["field"], "retention.circulation.keep_days");

        // Another library's jurisdiction, and a use added without a notice.
        let r = publish(
            &app,
            &admin,
            "riverbend",
            json!({"document": {"jurisdiction": "kansas"}, "summary": "x"}),
        );
        r.assert_problem(422, "invalid-policy");
        assert_eq!(r.body["field"], "jurisdiction");
        let r = publish(
            &app,
            &admin,
            "riverbend",
            json!({"document": {"jurisdiction": "missouri", "uses": [newsletter()]}, "summary": "x"}),
        );
        assert_eq!(r.status, 422, "[{backend}] {:?}", r.body);
        assert_eq!(r.body["field"], "new_uses");

        // Staff do not publish; nothing was published.
        let staff = member(&app, "riverbend", "staff");
        let r = publish(
            &app,
            &staff,
            "riverbend",
            json!({"document": {"jurisdiction": "missouri"}, "summary": "x"}),
        );
        r.assert_problem(403, "forbidden");
        // Nor does another library's admin: riverbend is not theirs to name.
        let other = member(&app, "cedar-county", "admin");
        let r = publish(
            &app,
            &other,
            "riverbend",
            json!({"document": {"jurisdiction": "missouri"}, "summary": "x"}),
        );
        assert!(
            r.status == 403 || r.status == 404,
            "[{backend}] {:?}",
            r.body
        );
        let shown = get(&public_url(&app, "riverbend"), None);
        assert_eq!(shown.status, 200, "[{backend}] {:?}", shown.body);
        assert_eq!(shown.body["current"]["version"], 0);
        assert_eq!(shown.body["versions"], json!([]));
    });
}

#[test]
fn a_published_version_is_public_with_its_difference() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let first = publish(
            &app,
            &admin,
            "riverbend",
            json!({
                "document_toml": "jurisdiction = \"missouri\"\ntext = \"Your reading is your business.\"\n",
                "summary": "Our first published policy.",
            }),
        );
        assert_eq!(first.status, 201, "[{backend}] {:?}", first.body);
        assert_eq!(first.body["version"], 1);
        assert_eq!(first.body["notice"], Value::Null);

        let second = publish(
            &app,
            &admin,
            "riverbend",
            json!({
                "document": {
                    "jurisdiction": "missouri",
                    "text": "Your reading is your business.",
                    "children_naming": "first_name_only",
                    "uses": [newsletter()],
                    "retention": {"holds_and_interlibrary_loans": {"keep_days": 7, "then": "delete"}},
                },
                "summary": "Children by first name only; a newsletter.",
                "new_uses": ["newsletter"],
            }),
        );
        assert_eq!(second.status, 201, "[{backend}] {:?}", second.body);
        assert_eq!(second.body["version"], 2);
        assert!(second.body["published_at"].as_str().is_some());
        assert!(second.body["notice"]["queued"].as_u64().is_some());

        let shown = get(&public_url(&app, "riverbend"), None);
        assert_eq!(shown.status, 200, "[{backend}] {:?}", shown.body);
        let current = &shown.body["current"];
        assert_eq!(current["version"], 2);
        assert_eq!(current["text"], "Your reading is your business.");
        assert_eq!(current["children_naming"], "first_name_only");
        assert_eq!(current["children_example"], "Ada");
        assert_eq!(current["uses"][0]["key"], "newsletter");
        let recipients = current["recipients"].to_string();
        assert!(recipients.contains("RSMo 182.817"), "{recipients}");
        let kept = current["kept"].to_string();
        assert!(
            kept.contains("Holds and interlibrary loans: deleted 7 days"),
            "{kept}"
        );
        assert!(current["collected"]
            .as_array()
            .is_some_and(|c| !c.is_empty()));
        assert!(current["vendors"].as_array().is_some());
        let earlier = shown.body["versions"].as_array().unwrap();
        assert_eq!(earlier.len(), 1);
        assert_eq!(earlier[0]["version"], 1);
        assert_eq!(earlier[0]["summary"], "Our first published policy.");

        // Publishing set the library's retention periods to the document's.
        let retention = get(
            &app.url("/api/v1/libraries/riverbend/retention"),
            Some(&admin),
        );
        let holds = retention.body["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "holds_and_interlibrary_loans")
            .cloned()
            .unwrap();
        assert_eq!(holds["days"], 7, "[{backend}] {holds}");

        let d = get(
            &app.url("/api/v1/public/libraries/riverbend/privacy/difference?from=1&to=2"),
            None,
        );
        assert_eq!(d.status, 200, "[{backend}] {:?}", d.body);
        let lines = d.body["lines"].as_array().unwrap();
        let with = |change: &str, needle: &str| {
            lines
                .iter()
                .any(|l| l["change"] == change && l["text"].as_str().unwrap().contains(needle))
        };
        assert!(with("removed", "\"Ada L.\""), "{lines:?}");
        assert!(with("added", "\"Ada\""), "{lines:?}");
        assert!(with("added", "A monthly newsletter"), "{lines:?}");
        assert!(with("same", "Your reading is your business."), "{lines:?}");
        let missing = get(
            &app.url("/api/v1/public/libraries/riverbend/privacy/difference?from=1&to=9"),
            None,
        );
        assert_eq!(missing.status, 404);
    });
}

fn mail_to(app: &TestApp) -> Vec<String> {
    app.mail()
        .iter()
        .filter(|m| {
            m.header("Subject")
                .unwrap_or_default()
                .contains("changed its privacy policy")
        })
        .map(|m| m.header("To").unwrap_or_default())
        .collect()
}

#[test]
fn the_notice_reaches_every_patron_with_an_email_and_no_one_else_once() {
    each_backend(|backend| {
        let app = TestApp::builder(backend).with_library("harbor").spawn();
        let admin = app.sign_in("admin.harbor@testkit.test");
        for card in ["41000000001", "41000000002", "41000000003"] {
            patron(&app, &admin, "harbor", card);
        }
        register(
            &app,
            &admin,
            "harbor",
            json!({"card_number": "41000000004", "pin": "2468", "name": "No Email", "birth_date": "1980-01-01"}),
        );
        let other = app.sign_in("admin.riverbend@demo.custodian.test");
        patron(&app, &other, "riverbend", "21000777001");

        let r = publish(
            &app,
            &admin,
            "harbor",
            json!({
                "document": {"jurisdiction": "generic", "uses": [newsletter()]},
                "summary": "We start a newsletter.",
                "new_uses": ["newsletter"],
            }),
        );
        assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);
        assert_eq!(r.body["notice"]["queued"], 3, "[{backend}] {:?}", r.body);

        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while mail_to(&app).len() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut to = mail_to(&app);
        to.sort();
        assert_eq!(
            to.iter()
                .map(|t| t.trim_matches(['<', '>']))
                .collect::<Vec<_>>(),
            [
                "p41000000001@example.org",
                "p41000000002@example.org",
                "p41000000003@example.org"
            ],
            "[{backend}]"
        );
        let one = app
            .mail()
            .into_iter()
            .find(|m| m.header("To").unwrap_or_default().contains("p41000000001"))
            .unwrap();
        let text = one.text();
        assert!(text.contains("A monthly newsletter"), "[{backend}] {text}");
        assert!(text.contains("/my"), "[{backend}] {text}");
        assert!(
            text.contains("/libraries/harbor/privacy"),
            "[{backend}] {text}"
        );

        // A rerun (after a crash, say) tells no one twice.
        let again = tenant_api::cli::privacy_policy::run(&app.settings)
            .unwrap_or_else(|e| panic!("[{backend}] {e}"));
        assert_eq!(again, 0, "[{backend}]");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(mail_to(&app).len(), 3, "[{backend}]");

        // The patron sees it on /my until they dismiss it.
        let me = app.as_patron("harbor", "41000000004", "2468");
        let n = me.get("/api/v1/patron/me/policy-notice");
        assert_eq!(n.status, 200, "[{backend}] {:?}", n.body);
        assert_eq!(n.body["notice"]["version"], 1);
        assert_eq!(n.body["notice"]["new_uses"][0]["key"], "newsletter");
        me.post(
            "/api/v1/patron/me/policy-notice/dismiss",
            &json!({"version": 1}),
        )
        .assert_status(204);
        let n = me.get("/api/v1/patron/me/policy-notice");
        assert_eq!(n.body["notice"], Value::Null, "[{backend}]");
    });
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Days::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn check(app: &TestApp, key: &str, card: &str) -> Reply {
    post_with_headers(
        &app.url("/api/v1/vendor/patron-status"),
        &[("Authorization", &format!("Bearer {key}"))],
        &json!({"card_number": card}),
    )
}

#[test]
fn an_opt_out_is_recorded_with_its_version_and_obeyed_by_a_vendor_check() {
    each_backend(|backend| {
        let app = TestApp::builder(backend).with_library("harbor").spawn();
        let admin = app.sign_in("admin.harbor@testkit.test");
        let out = patron(&app, &admin, "harbor", "41000000011");
        patron(&app, &admin, "harbor", "41000000012");
        let reading = json!({"key": "reading_program", "description": "Reading-program statistics shared with Beanstack, our contracted service."});
        let r = publish(
            &app,
            &admin,
            "harbor",
            json!({
                // Vendors see the card only (a document that names no vendor
                // fields gives vendors nothing: the gate obeys the version).
                "document": {
                    "jurisdiction": "generic",
                    "uses": [reading],
                    "vendors": {"kinds": ["card_registration"], "fields": ["card_number"]},
                },
                "summary": "A summer reading program.",
                "new_uses": ["reading_program"],
            }),
        );
        assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);

        let made = post(
            &app.url("/api/v1/libraries/harbor/vendors"),
            Some(&admin),
            &json!({
                "name": "Beanstack", "service": "reading programs",
                "privacy_policy_url": "https://beanstack.example/privacy",
                "contract_starts": day(-10), "contract_ends": day(300),
                "fields": ["card_valid"], "purpose": "reading program sign-up",
                "use": "reading_program",
            }),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        assert_eq!(made.body["use"], "reading_program");
        let id = made.body["id"].as_i64().unwrap();
        let key = post(
            &app.url(&format!("/api/v1/libraries/harbor/vendors/{id}/keys")),
            Some(&admin),
            &json!({}),
        );
        let key = key.body["key"].as_str().unwrap().to_owned();

        let me = app.as_patron("harbor", "41000000011", "2468");
        let shown = me.get("/api/v1/patron/me/opt-outs");
        assert_eq!(shown.status, 200, "[{backend}] {:?}", shown.body);
        assert_eq!(shown.body["opt_outs"], json!({"reading_program": false}));
        let set = me.put(
            "/api/v1/patron/me/opt-outs",
            &json!({"reading_program": true}),
        );
        assert_eq!(set.status, 200, "[{backend}] {:?}", set.body);
        assert_eq!(set.body["opt_outs"], json!({"reading_program": true}));
        assert_eq!(set.body["version"], 1);
        let unknown = me.put(
            "/api/v1/patron/me/opt-outs",
            &json!({"telemarketing": true}),
        );
        unknown.assert_problem(400, "invalid-parameter");

        // In the consent ledger, with the version.
        let profile = get(
            &app.url(&format!(
                "/api/v1/libraries/harbor/patrons/{out}?purpose=checking+consents"
            )),
            Some(&admin),
        );
        assert_eq!(profile.status, 200, "[{backend}] {:?}", profile.body);
        let consents = profile.body["consents"].to_string();
        assert!(consents.contains("opt_out"), "[{backend}] {consents}");
        assert!(
            consents.contains("reading_program, under privacy policy version 1"),
            "[{backend}] {consents}"
        );

        // The vendor whose contract serves that use: not valid for them, valid for the other.
        let refused = check(&app, &key, "41000000011");
        assert_eq!(refused.status, 200, "[{backend}] {:?}", refused.body);
        assert_eq!(
            refused.body["valid"], false,
            "[{backend}] {:?}",
            refused.body
        );
        let allowed = check(&app, &key, "41000000012");
        assert_eq!(
            allowed.body["valid"], true,
            "[{backend}] {:?}",
            allowed.body
        );

        // Opting back in is recorded too, and the vendor sees them again.
        let back = me.put(
            "/api/v1/patron/me/opt-outs",
            &json!({"reading_program": false}),
        );
        assert_eq!(back.body["opt_outs"], json!({"reading_program": false}));
        assert_eq!(check(&app, &key, "41000000011").body["valid"], true);
    });
}

#[test]
fn a_child_is_named_by_each_library_s_rule_in_public() {
    each_backend(|backend| {
        let app = TestApp::builder(backend)
            .with_library("midcontinent")
            .spawn();
        let admin = app.sign_in("admin.midcontinent@testkit.test");
        let r = publish(
            &app,
            &admin,
            "midcontinent",
            json!({
                "document": {"jurisdiction": "generic", "children_naming": "first_name_only"},
                "summary": "Children are mentioned by first name only.",
            }),
        );
        assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);
        let mid = get(&public_url(&app, "midcontinent"), None);
        assert_eq!(mid.body["current"]["children_naming"], "first_name_only");
        assert_eq!(mid.body["current"]["children_example"], "Ada");
        // A library that publishes nothing keeps first name and last initial.
        let river = get(&public_url(&app, "riverbend"), None);
        assert_eq!(
            river.body["current"]["children_naming"], "first_name_last_initial",
            "[{backend}]"
        );
        assert_eq!(river.body["current"]["children_example"], "Ada L.");
        for (slug, shown) in [("midcontinent", "Ada"), ("riverbend", "Ada L.")] {
            let page = get(&app.url(&format!("/libraries/{slug}/privacy")), None);
            assert_eq!(page.status, 200, "[{backend}] {slug}");
            let html = page.body.as_str().unwrap_or_default();
            assert!(
                html.contains(&format!("&quot;{shown}&quot;"))
                    || html.contains(&format!("&#34;{shown}&#34;"))
                    || html.contains(&format!("\"{shown}\"")),
                "[{backend}] {slug}: {html}"
            );
        }
    });
}

fn settings(app: &TestApp, token: &str, library: &str) -> Reply {
    get(
        &app.url(&format!("/api/v1/libraries/{library}/retention")),
        Some(token),
    )
}

fn kind_days(settings: &Value, kind: &str) -> (Value, Value) {
    let k = settings["kinds"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["kind"] == kind))
        .cloned()
        .unwrap_or_default();
    (k["days"].clone(), k["max_days"].clone())
}

#[test]
fn the_gate_and_retention_obey_the_library_s_published_version() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        // Prairie Hills is under Kansas, whose shipped policy lets vendors see a name.
        let admin = app.sign_in("admin.prairie-hills@demo.custodian.test");
        patron(&app, &admin, "prairie-hills", "31000555001");
        let made = post(
            &app.url("/api/v1/libraries/prairie-hills/vendors"),
            Some(&admin),
            &json!({
                "name": "Ebooks Inc", "service": "e-books",
                "privacy_policy_url": "https://ebooks.example/privacy",
                "contract_starts": day(-10), "contract_ends": day(300),
                "fields": ["name"], "purpose": "sign-in for e-book loans",
            }),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        let key = post(
            &app.url(&format!(
                "/api/v1/libraries/prairie-hills/vendors/{id}/keys"
            )),
            Some(&admin),
            &json!({}),
        );
        let key = key.body["key"].as_str().unwrap().to_owned();
        let before = check(&app, &key, "31000555001");
        assert_eq!(before.status, 200, "[{backend}] {:?}", before.body);
        assert_eq!(before.body["name"], "Test Patron", "[{backend}]");

        // The shipped limit on holds is 30 days; the admin could set 20.
        let (days, max) = kind_days(
            &settings(&app, &admin, "prairie-hills").body,
            "holds_and_interlibrary_loans",
        );
        assert_eq!((days, max), (json!(30), json!(30)), "[{backend}]");

        // The library publishes a stricter version: vendors see the card only,
        // holds are kept 7 days.
        let r = publish(
            &app,
            &admin,
            "prairie-hills",
            json!({
                "document": {
                    "jurisdiction": "kansas",
                    "vendors": {"kinds": ["card_registration"], "fields": ["card_number"]},
                    "retention": {"holds_and_interlibrary_loans": {"keep_days": 7, "then": "delete"}},
                },
                "summary": "Vendors no longer see names; holds are kept a week.",
            }),
        );
        assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);

        // The gate decides under the published version: the name is no longer given.
        let after = check(&app, &key, "31000555001");
        after.assert_problem(403, "refused-by-policy");
        let audit = get(
            &app.url("/api/v1/libraries/prairie-hills/audit?limit=200"),
            Some(&admin),
        );
        let log = audit.body.to_string();
        assert!(log.contains("vendor.patron_status"), "[{backend}] {log}");
        assert!(log.contains("library.vendor_contract"), "[{backend}] {log}");

        // Retention: the version's 7 days are the limit now, not the statute's 30.
        let shown = settings(&app, &admin, "prairie-hills");
        let (days, max) = kind_days(&shown.body, "holds_and_interlibrary_loans");
        assert_eq!(
            (days, max),
            (json!(7), json!(7)),
            "[{backend}] {:?}",
            shown.body
        );
        let longer = put(
            &app.url("/api/v1/libraries/prairie-hills/retention"),
            Some(&admin),
            &json!({"kinds": {"holds_and_interlibrary_loans": {"days": 20, "then": "delete"}}}),
        );
        longer.assert_problem(400, "invalid-parameter");
        let detail = longer.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("at most 7 days"), "[{backend}] {detail}");
        let shorter = put(
            &app.url("/api/v1/libraries/prairie-hills/retention"),
            Some(&admin),
            &json!({"kinds": {"holds_and_interlibrary_loans": {"days": 3, "then": "delete"}}}),
        );
        assert_eq!(shorter.status, 200, "[{backend}] {:?}", shorter.body);

        // Another library keeps its own rules.
        let other = app.sign_in("admin.riverbend@demo.custodian.test");
        let (days, _) = kind_days(
            &settings(&app, &other, "riverbend").body,
            "holds_and_interlibrary_loans",
        );
        assert_eq!(days, json!(30), "[{backend}]");
    });
}
