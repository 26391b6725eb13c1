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
