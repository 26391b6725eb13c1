//! `custodian retention run` against the real binary: a dry run changes
//! nothing, `--apply` twice does nothing the second time, and a run killed
//! with -9 half-way is finished by the next one, ending where an
//! uninterrupted run ends.

use crate::blackbox::harness::*;
use diesel::prelude::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};

const PATRONS: &str = "300";
const LIBRARIES: [&str; 2] = ["riverbend", "cedar-county"];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A server with demo records, and short periods in two libraries so that
/// many records are due at once.
fn seeded(backend: Backend) -> Server {
    let server = Server::start(backend, &[("CUSTODIAN__DEMO__PATRONS", PATRONS)]);
    for lib in LIBRARIES {
        let admin = server.sign_in(&format!("admin.{lib}@demo.custodian.test"));
        let r = put(
            &server.url(&format!("/api/v1/libraries/{lib}/retention")),
            Some(&admin),
            &json!({"kinds": {
                "card_registration": {"days": 0, "then": "delete"},
                "donations": {"days": 0, "then": "anonymize"},
            }}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    server
}

/// (records, patron links) in the whole database, read past the application.
fn end_state(server: &Server) -> (i64, i64) {
    let mut raw =
        store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
    let count = |raw: &mut store::DbConn, table: &str| -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) FROM {table})"
        )))
        .get_result(raw)
        .unwrap()
    };
    (
        count(&mut raw, "library_records"),
        count(&mut raw, "record_links"),
    )
}

fn report(server: &Server, args: &[&str]) -> Value {
    let out = server.cli(args);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn total(report: &Value) -> i64 {
    let mut n = 0;
    for lib in report["libraries"].as_object().unwrap().values() {
        for c in lib["kinds"].as_object().unwrap().values() {
            n += c["anonymized"].as_i64().unwrap() + c["deleted"].as_i64().unwrap();
        }
    }
    n
}

#[test]
fn a_dry_run_changes_nothing_and_applying_twice_does_nothing_the_second_time() {
    for backend in backends() {
        let server = seeded(backend);
        let before = end_state(&server);
        let dry = report(&server, &["retention", "run", "--json"]);
        assert_eq!(dry["dry_run"], true);
        let due = total(&dry);
        assert!(due > 100, "[{backend:?}] only {due} due: {dry}");
        assert_eq!(
            end_state(&server),
            before,
            "[{backend:?}] the dry run changed records"
        );
        let card = &dry["libraries"]["riverbend"]["kinds"]["card_registration"];
        assert!(card["deleted"].as_i64().unwrap() > 0, "{dry}");

        // The human table says it was a dry run.
        let table = server.cli(&["retention", "run", "--library", "riverbend"]);
        let shown = text(&table.stdout);
        assert!(shown.contains("card_registration"), "{shown}");
        assert!(shown.contains("Dry run: nothing was changed"), "{shown}");

        let applied = report(&server, &["retention", "run", "--apply", "--json"]);
        assert_eq!(applied["dry_run"], false);
        assert_eq!(total(&applied), due, "[{backend:?}] {applied}");
        let again = report(&server, &["retention", "run", "--apply", "--json"]);
        assert_eq!(total(&again), 0, "[{backend:?}] {again}");

        let unknown = server.cli(&["retention", "run", "--library", "nowhere"]);
        assert!(!unknown.status.success());
        assert!(text(&unknown.stderr).contains("no library with the slug"));
    }
}

#[test]
fn a_run_killed_half_way_is_finished_by_the_next_one() {
    for backend in backends() {
        let batch = [("CUSTODIAN__RETENTION__BATCH", "10")];
        // The uninterrupted run, on a server of its own.
        let whole = seeded(backend);
        let out = whole.cli_spawn(&["retention", "run", "--apply", "--json"], &batch);
        let done = out.wait_with_output().unwrap();
        assert!(done.status.success(), "{}", text(&done.stderr));
        let expected = end_state(&whole);
        drop(whole);

        let server = seeded(backend);
        let before = end_state(&server);
        let mut child = server.cli_spawn(&["retention", "run", "--apply", "--json"], &batch);
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        err.read_line(&mut first).unwrap();
        assert!(first.starts_with("retention: "), "[{backend:?}] {first}");
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "[{backend:?}] the run finished before the kill"
        );
        let half = end_state(&server);
        assert_ne!(half, before, "[{backend:?}] the first batch was not kept");
        assert_ne!(half, expected, "[{backend:?}] the run was not cut short");

        // The rerun (the dead runner's lease is no obstacle) finishes the work.
        let rerun = report(&server, &["retention", "run", "--apply", "--json"]);
        assert!(total(&rerun) > 0, "[{backend:?}] {rerun}");
        assert_eq!(end_state(&server), expected, "[{backend:?}]");
        let after = report(&server, &["retention", "run", "--json"]);
        assert_eq!(total(&after), 0, "[{backend:?}] {after}");
        // Every batch's proof of deletion left the chain whole.
        let verified = server.cli(&["audit", "verify"]);
        assert!(verified.status.success(), "{}", text(&verified.stdout));
    }
}

#[test]
fn a_daily_schedule_runs_retention_inside_serve() {
    for backend in backends() {
        let server = Server::start(
            backend,
            &[
                ("CUSTODIAN__DEMO__PATRONS", "12"),
                ("CUSTODIAN__RETENTION__SCHEDULE", "daily"),
            ],
        );
        let admin = server.sign_in("admin.riverbend@demo.custodian.test");
        let url = server.url("/api/v1/libraries/riverbend/retention");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let last = loop {
            let r = get(&url, Some(&admin));
            assert_eq!(r.status, 200, "{:?}", r.body);
            if !r.body["last_run"].is_null() || std::time::Instant::now() > deadline {
                break r.body["last_run"].clone();
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        };
        assert!(
            last["ran_at"].is_string(),
            "[{backend:?}] no run within 30 s of starting: {}",
            server.log()
        );
        // Once the run has finished, its lease is given up: a run by hand is
        // not refused as busy.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !server.log().contains("daily retention run finished")
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let by_hand = server.cli(&["retention", "run", "--apply", "--json"]);
        assert!(
            by_hand.status.success(),
            "[{backend:?}] {}",
            text(&by_hand.stderr)
        );
    }
}

#[test]
fn a_closed_mail_requests_message_goes_after_its_period_and_the_request_still_opens() {
    for backend in backends() {
        let server = Server::start(backend, &[("CUSTODIAN__DEMO__PATRONS", "12")]);
        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
        // One of riverbend's demo requests, closed long ago.
        let id: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT min(id) FROM mail_requests WHERE library_id = (SELECT id FROM libraries WHERE slug = 'riverbend'))",
        ))
        .get_result(&mut raw)
        .unwrap();
        diesel::sql_query(format!(
            "UPDATE mail_requests SET status = 'done', updated_at = '2020-01-01 00:00:00' WHERE id = {id}"
        ))
        .execute(&mut raw)
        .unwrap();
        let dry = report(
            &server,
            &["retention", "run", "--library", "riverbend", "--json"],
        );
        assert_eq!(
            dry["libraries"]["riverbend"]["copies"]["closed_mail_requests"], 1,
            "[{backend:?}] {dry}"
        );
        let applied = report(
            &server,
            &[
                "retention",
                "run",
                "--apply",
                "--library",
                "riverbend",
                "--json",
            ],
        );
        assert_eq!(
            applied["libraries"]["riverbend"]["copies"]["closed_mail_requests"], 1,
            "[{backend:?}] {applied}"
        );
        let again = report(
            &server,
            &["retention", "run", "--library", "riverbend", "--json"],
        );
        assert_eq!(
            again["libraries"]["riverbend"]["copies"]["closed_mail_requests"], 0,
            "[{backend:?}] {again}"
        );
        let admin = server.sign_in("admin.riverbend@demo.custodian.test");
        let r = get(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin),
        );
        assert_eq!(r.status, 200, "[{backend:?}] {:?}", r.body);
        let body = r.body.to_string();
        assert!(
            body.contains("removed by retention"),
            "[{backend:?}] {body}"
        );
        assert_eq!(r.body["status"], "done", "[{backend:?}] {body}");
    }
}

/// One text value read past the application (`NULL` as `None`).
fn raw_text(raw: &mut store::DbConn, sql: &str) -> Option<String> {
    diesel::select(diesel::dsl::sql::<
        diesel::sql_types::Nullable<diesel::sql_types::Text>,
    >(&format!("({sql})")))
    .get_result(raw)
    .unwrap()
}

fn raw_exec(raw: &mut store::DbConn, sql: &str) {
    diesel::sql_query(sql).execute(raw).unwrap();
}

#[test]
fn dead_letters_expired_links_and_done_deletion_requests_go_after_their_period_and_only_those() {
    const LIB: &str = "(SELECT id FROM libraries WHERE slug = 'riverbend')";
    for backend in backends() {
        let server = Server::start(backend, &[("CUSTODIAN__DEMO__PATRONS", "12")]);
        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
        // A dead letter queued long ago, and one queued within its 30 days.
        for (mid, at) in [
            ("old", "2020-01-01 00:00:00"),
            ("new", "2099-01-01 00:00:00"),
        ] {
            raw_exec(
                &mut raw,
                &format!(
                    "INSERT INTO outbox (id, library_id, message_id, template, recipient_hint, envelope_sealed, message_sealed, status, next_attempt_at, created_at) \
                     VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM outbox), {LIB}, '<{mid}-dead@test>', 'test', 'p***@example.org', 'sealed', 'sealed', 'dead', '{at}', '{at}')"
                ),
            );
        }
        // One patron's email confirmation link expired, another's still live.
        let first = raw_text(
            &mut raw,
            &format!("SELECT CAST(min(id) AS TEXT) FROM patrons WHERE library_id = {LIB}"),
        )
        .unwrap();
        let last = raw_text(
            &mut raw,
            &format!("SELECT CAST(max(id) AS TEXT) FROM patrons WHERE library_id = {LIB}"),
        )
        .unwrap();
        for (who, at) in [
            (&first, "2020-01-01 00:00:00"),
            (&last, "2099-01-01 00:00:00"),
        ] {
            raw_exec(
                &mut raw,
                &format!(
                    "UPDATE patrons SET pending_email_sealed = 'sealed', email_token_expires_at = '{at}' WHERE library_id = {LIB} AND id = {who}"
                ),
            );
        }
        // A deletion request done long ago, and one done within its 30 days,
        // each filed by a patron in the portal.
        let admin = server.sign_in("admin.riverbend@demo.custodian.test");
        let mut requests = Vec::new();
        for card in ["21000999001", "21000999002"] {
            let r = post(
                &server.url("/api/v1/libraries/riverbend/patrons"),
                Some(&admin),
                &json!({"card_number": card, "pin": "4321", "name": "Rita Example", "email": format!("{card}@example.org")}),
            );
            assert_eq!(r.status, 201, "[{backend:?}] {:?}", r.body);
            let r = post(
                &server.url("/api/v1/libraries/riverbend/patron/sign-in"),
                None,
                &json!({"card_number": card, "pin": "4321"}),
            );
            assert_eq!(r.status, 200, "[{backend:?}] {:?}", r.body);
            let token = r.body["token"].as_str().unwrap().to_owned();
            let r = post(
                &server.url("/api/v1/patron/me/deletion-request"),
                Some(&token),
                &json!({}),
            );
            assert!(r.status / 100 == 2, "[{backend:?}] {:?}", r.body);
            requests.push(
                raw_text(
                    &mut raw,
                    &format!("SELECT CAST(max(id) AS TEXT) FROM mail_requests WHERE library_id = {LIB} AND kind = 'delete'"),
                )
                .unwrap(),
            );
        }
        let (old_req, new_req) = (requests[0].clone(), requests[1].clone());
        assert_ne!(old_req, new_req, "[{backend:?}] two requests were filed");
        for (id, at) in [
            (&old_req, "2020-01-01 00:00:00"),
            (&new_req, "2099-01-01 00:00:00"),
        ] {
            raw_exec(
                &mut raw,
                &format!(
                    "UPDATE mail_requests SET status = 'done', updated_at = '{at}' WHERE library_id = {LIB} AND id = {id}"
                ),
            );
        }
        let copies = |r: &Value| r["libraries"]["riverbend"]["copies"].clone();
        let run = |apply: bool| {
            let mut args = vec!["retention", "run", "--library", "riverbend", "--json"];
            if apply {
                args.push("--apply");
            }
            copies(&report(&server, &args))
        };
        let dry = run(false);
        for place in [
            "dead_letters",
            "email_confirmation_links",
            "done_deletion_requests",
        ] {
            assert_eq!(dry[place], 1, "[{backend:?}] dry run, {place}: {dry}");
        }
        assert_eq!(
            raw_text(
                &mut raw,
                "SELECT status FROM outbox WHERE message_id = '<old-dead@test>'"
            )
            .as_deref(),
            Some("dead"),
            "[{backend:?}] a dry run changes nothing"
        );
        let applied = run(true);
        for place in [
            "dead_letters",
            "email_confirmation_links",
            "done_deletion_requests",
        ] {
            assert_eq!(
                applied[place], 1,
                "[{backend:?}] --apply, {place}: {applied}"
            );
        }
        let again = run(true);
        for place in [
            "dead_letters",
            "email_confirmation_links",
            "done_deletion_requests",
        ] {
            assert_eq!(
                again[place], 0,
                "[{backend:?}] second --apply, {place}: {again}"
            );
        }
        // What went, went; what is still within its period stayed.
        let letter = |mid: &str, col: &str| {
            raw_text(
                &mut store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap())
                    .unwrap(),
                &format!("SELECT {col} FROM outbox WHERE message_id = '<{mid}-dead@test>'"),
            )
        };
        assert_eq!(
            letter("old", "status").as_deref(),
            Some("expired"),
            "[{backend:?}]"
        );
        assert_eq!(
            letter("old", "message_sealed").as_deref(),
            Some(""),
            "[{backend:?}]"
        );
        assert_eq!(
            letter("old", "envelope_sealed").as_deref(),
            Some(""),
            "[{backend:?}]"
        );
        assert_eq!(
            letter("new", "status").as_deref(),
            Some("dead"),
            "[{backend:?}]"
        );
        assert_eq!(
            letter("new", "message_sealed").as_deref(),
            Some("sealed"),
            "[{backend:?}]"
        );
        let pending = |who: &str| {
            raw_text(
                &mut store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap())
                    .unwrap(),
                &format!("SELECT pending_email_sealed FROM patrons WHERE library_id = {LIB} AND id = {who}"),
            )
        };
        assert_eq!(
            pending(&first),
            None,
            "[{backend:?}] the expired link's address went"
        );
        assert_eq!(
            pending(&last).as_deref(),
            Some("sealed"),
            "[{backend:?}] the live link stayed"
        );
        let request = |id: &str| {
            raw_text(
                &mut store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap())
                    .unwrap(),
                &format!("SELECT status FROM mail_requests WHERE library_id = {LIB} AND id = {id}"),
            )
        };
        assert_eq!(
            request(&old_req),
            None,
            "[{backend:?}] the old done deletion request went"
        );
        assert_eq!(
            request(&new_req).as_deref(),
            Some("done"),
            "[{backend:?}] the recent one stayed"
        );
        let audit = server.cli(&["audit", "verify"]);
        assert!(
            audit.status.success(),
            "[{backend:?}] {}",
            text(&audit.stdout)
        );
    }
}
