//! Retention as time passes, in process: a library's own periods within its
//! policy, and the job that anonymizes or deletes what is past them.

use crate::app::support::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

fn settings_url(app: &TestApp, library: &str) -> String {
    app.url(&format!("/api/v1/libraries/{library}/retention"))
}

fn run_url(app: &TestApp, library: &str) -> String {
    app.url(&format!("/api/v1/libraries/{library}/retention/run"))
}

/// Half past midnight (UTC), `days` days ago: a time of day that is never in
/// the future, so the boundary day is the date alone.
fn days_ago(days: i64) -> String {
    let d = Utc::now().date_naive() - Duration::days(days);
    format!("{d}T00:30:00Z")
}

/// Posts a record for `patron` of `kind` that ended `ended` days ago; its id.
fn record(app: &TestApp, token: &str, patron: i64, kind: &str, ext: &str, extra: Value) -> i64 {
    let mut body = json!({
        "kind": kind, "source": "ils", "external_id": ext,
        "occurred_at": days_ago(400), "item": format!("item {ext}"), "branch": "Main",
        "status": "closed", "details": "asked about a private matter", "patron_id": patron,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = post(
        &app.url("/api/v1/libraries/riverbend/records"),
        Some(token),
        &body,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["ids"][0].as_i64().unwrap()
}

/// The library's records by id: (patron link, item, details) of each.
fn records(app: &TestApp, token: &str) -> Vec<Value> {
    let r = get(
        &app.url("/api/v1/libraries/riverbend/records?purpose=retention+check&limit=200"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

fn find(all: &[Value], id: i64) -> Option<Value> {
    all.iter().find(|r| r["id"] == id).cloned()
}

fn set_periods(app: &TestApp, admin: &str, kinds: Value) -> Reply {
    put(
        &settings_url(app, "riverbend"),
        Some(admin),
        &json!({ "kinds": kinds }),
    )
}

fn run(app: &TestApp, admin: &str, apply: bool) -> Value {
    let r = post(
        &run_url(app, "riverbend"),
        Some(admin),
        &json!({"apply": apply}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

fn counts(report: &Value, kind: &str) -> (i64, i64) {
    let k = &report["report"]["kinds"][kind];
    (
        k["anonymized"].as_i64().unwrap(),
        k["deleted"].as_i64().unwrap(),
    )
}

fn kind_of<'a>(settings: &'a Value, kind: &str) -> &'a Value {
    settings["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap()
}

#[test]
fn an_admin_sets_periods_within_the_policy_and_a_longer_one_is_refused() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let shown = get(&settings_url(&app, "riverbend"), Some(&admin));
        assert_eq!(shown.status, 200, "{:?}", shown.body);
        let holds = kind_of(&shown.body, "holds_and_interlibrary_loans");
        assert_eq!(holds["days"], 30);
        assert_eq!(holds["then"], "anonymize");
        assert_eq!(holds["own"], false);
        assert_eq!(shown.body["last_run"], Value::Null);

        let set = set_periods(
            &app,
            &admin,
            json!({"holds_and_interlibrary_loans": {"days": 7, "then": "delete"}}),
        );
        assert_eq!(set.status, 200, "{:?}", set.body);
        let again = get(&settings_url(&app, "riverbend"), Some(&admin));
        let holds = kind_of(&again.body, "holds_and_interlibrary_loans");
        assert_eq!(holds["days"], 7);
        assert_eq!(holds["then"], "delete");
        assert_eq!(holds["own"], true);
        assert_eq!(holds["max_days"], 30);

        // Longer than the policy allows: refused, naming the kind and the limit.
        let longer = set_periods(
            &app,
            &admin,
            json!({"holds_and_interlibrary_loans": {"days": 31, "then": "anonymize"}}),
        );
        longer.assert_problem(400, "invalid-parameter");
        assert_eq!(
            longer.body["field"],
            "kinds.holds_and_interlibrary_loans.days"
        );
        let detail = longer.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with("Holds and interlibrary loans: may be at most 30 days"),
            "{detail}"
        );
        // Keeping what the policy deletes: refused too.
        let softer = set_periods(
            &app,
            &admin,
            json!({"digital_use": {"days": 0, "then": "anonymize"}}),
        );
        softer.assert_problem(400, "invalid-parameter");
        assert_eq!(softer.body["field"], "kinds.digital_use.then");
        let detail = softer.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("must be delete"), "{detail}");
        // The refused changes changed nothing.
        let after = get(&settings_url(&app, "riverbend"), Some(&admin));
        assert_eq!(
            kind_of(&after.body, "holds_and_interlibrary_loans")["days"],
            7
        );

        // The change is in the audit chain.
        let audit = get(
            &app.url("/api/v1/libraries/riverbend/audit?limit=200"),
            Some(&admin),
        );
        assert!(audit.body.to_string().contains("retention.settings"));

        // Staff may not; another library's admin does not see it.
        let staff = member(&app, "riverbend", "staff");
        assert_eq!(
            get(&settings_url(&app, "riverbend"), Some(&staff)).status,
            403
        );
        assert_eq!(
            set_periods(&app, &staff, json!({})).status,
            403,
            "staff set periods"
        );
        assert_eq!(
            post(&run_url(&app, "riverbend"), Some(&staff), &json!({})).status,
            403
        );
        let other = app.sign_in("admin.cedar-county@demo.custodian.test");
        assert_eq!(
            get(&settings_url(&app, "riverbend"), Some(&other)).status,
            404
        );
        assert_eq!(
            set_periods(&app, &other, json!({})).status,
            404,
            "another library's admin"
        );
    });
}

#[test]
fn the_job_applies_the_librarys_period_on_the_boundary_day_and_only_with_apply() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let p = patron(&app, &staff, "riverbend", "21000777001");
        let hold = "holds_and_interlibrary_loans";
        // Under the policy's 30 days both holds stay linked on arrival.
        let due = record(
            &app,
            &staff,
            p,
            hold,
            "h-10",
            json!({"ended_at": days_ago(10)}),
        );
        let not_yet = record(
            &app,
            &staff,
            p,
            hold,
            "h-9",
            json!({"ended_at": days_ago(9)}),
        );
        let event = record(
            &app,
            &staff,
            p,
            "event_registration",
            "e-5",
            json!({"ended_at": days_ago(5)}),
        );
        let open = record(&app, &staff, p, hold, "h-open", json!({}));
        let set = set_periods(
            &app,
            &admin,
            json!({hold: {"days": 10, "then": "anonymize"}, "event_registration": {"days": 5, "then": "delete"}}),
        );
        assert_eq!(set.status, 200, "{:?}", set.body);

        // A dry run counts and changes nothing.
        let before = records(&app, &staff);
        let dry = run(&app, &admin, false);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(counts(&dry, hold), (1, 0));
        assert_eq!(counts(&dry, "event_registration"), (0, 1));
        assert_eq!(records(&app, &staff), before);
        let shown = get(&settings_url(&app, "riverbend"), Some(&admin));
        assert_eq!(shown.body["last_run"], Value::Null, "a dry run is not kept");

        let applied = run(&app, &admin, true);
        assert_eq!(applied["dry_run"], false);
        assert_eq!(counts(&applied, hold), (1, 0));
        assert_eq!(counts(&applied, "event_registration"), (0, 1));
        let all = records(&app, &staff);
        // The hold whose period ends today: anonymized, item, date and branch kept.
        let gone = find(&all, due).unwrap();
        assert_eq!(gone["patron_id"], Value::Null);
        assert_eq!(gone["details"], Value::Null);
        assert_eq!(gone["item"], "item h-10");
        assert_eq!(gone["branch"], "Main");
        // The one whose period ends tomorrow, and one still open: linked.
        assert_eq!(find(&all, not_yet).unwrap()["patron_id"], p);
        assert_eq!(find(&all, open).unwrap()["patron_id"], p);
        // The event registration: deleted.
        assert!(find(&all, event).is_none());

        // Applying again finds nothing.
        let twice = run(&app, &admin, true);
        assert_eq!(counts(&twice, hold), (0, 0));
        assert_eq!(counts(&twice, "event_registration"), (0, 0));
        assert_eq!(records(&app, &staff), all);

        // Each batch left a proof of deletion in the chain: kind, count, digest.
        let audit = get(
            &app.url("/api/v1/libraries/riverbend/audit?limit=200"),
            Some(&admin),
        );
        let body = audit.body.to_string();
        assert!(body.contains("retention.anonymize"), "{body}");
        assert!(body.contains("retention.delete"), "{body}");
        assert!(
            body.contains("1 holds_and_interlibrary_loans record(s) anonymized; sha256"),
            "{body}"
        );

        // The settings page's data carries the last applied run.
        let shown = get(&settings_url(&app, "riverbend"), Some(&admin));
        assert_eq!(
            shown.body["last_run"]["report"]["kinds"][hold]["anonymized"], 0,
            "the last run is the second one"
        );
        assert!(shown.body["last_run"]["ran_at"].is_string());
    });
}

#[test]
fn history_kept_by_a_patron_who_opted_in_and_owed_fines_stay_linked() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let keeper = patron(&app, &staff, "riverbend", "21000777002");
        let other = patron(&app, &staff, "riverbend", "21000777003");
        let signed = patron_sign_in(&app, "riverbend", "21000777002", "2468");
        assert_eq!(signed.status, 200, "{:?}", signed.body);
        let ptoken = signed.body["token"].as_str().unwrap().to_owned();
        let opted = put(
            &app.url("/api/v1/patron/me/history"),
            Some(&ptoken),
            &json!({"keep_history": true}),
        );
        assert_eq!(opted.status, 200, "{:?}", opted.body);

        let kept_loan = record(
            &app,
            &staff,
            keeper,
            "circulation",
            "c-1",
            json!({"ended_at": days_ago(3)}),
        );
        let unlinked_loan = record(
            &app,
            &staff,
            other,
            "circulation",
            "c-2",
            json!({"ended_at": days_ago(3)}),
        );
        // A loan returned long ago with its fine still owed.
        let owed_loan = record(
            &app,
            &staff,
            other,
            "circulation",
            "c-3",
            json!({"ended_at": days_ago(300), "amount_cents": 250}),
        );
        let owed = record(
            &app,
            &staff,
            other,
            "fines_and_payments",
            "f-owed",
            json!({"ended_at": days_ago(200), "amount_cents": 500}),
        );
        let settled = record(
            &app,
            &staff,
            other,
            "fines_and_payments",
            "f-paid",
            json!({"ended_at": days_ago(60), "amount_cents": 500, "settled_at": days_ago(60)}),
        );
        let set = set_periods(
            &app,
            &admin,
            json!({"fines_and_payments": {"days": 30, "then": "anonymize"}}),
        );
        assert_eq!(set.status, 200, "{:?}", set.body);

        // A patron who signed out: their session is a copy the job removes.
        let other_session = patron_sign_in(&app, "riverbend", "21000777003", "2468");
        let other_token = other_session.body["token"].as_str().unwrap().to_owned();
        let out = post(
            &app.url("/api/v1/patron/sign-out"),
            Some(&other_token),
            &json!({}),
        );
        assert!(out.status < 300, "{:?}", out.body);
        let dry = run(&app, &admin, false);
        assert!(
            dry["report"]["copies"]["patron_sessions"].as_i64().unwrap() >= 1,
            "{dry}"
        );

        let applied = run(&app, &admin, true);
        assert!(
            applied["report"]["copies"]["patron_sessions"]
                .as_i64()
                .unwrap()
                >= 1,
            "{applied}"
        );
        let again = run(&app, &admin, false);
        assert_eq!(again["report"]["copies"]["patron_sessions"], 0, "{again}");
        // The patron who kept history is still signed in.
        assert_eq!(
            get(&app.url("/api/v1/patron/me"), Some(&ptoken)).status,
            200
        );
        assert_eq!(counts(&applied, "fines_and_payments"), (1, 0));
        assert_eq!(counts(&applied, "circulation"), (0, 0));
        let all = records(&app, &staff);
        assert_eq!(find(&all, kept_loan).unwrap()["patron_id"], keeper);
        assert_eq!(find(&all, unlinked_loan).unwrap()["patron_id"], Value::Null);
        assert_eq!(find(&all, owed_loan).unwrap()["patron_id"], other);
        assert_eq!(find(&all, owed).unwrap()["patron_id"], other);
        assert_eq!(find(&all, settled).unwrap()["patron_id"], Value::Null);
    });
}
