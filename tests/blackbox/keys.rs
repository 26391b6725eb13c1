//! `custodian keys rotate` against the real binary: a run killed with -9
//! half-way and run again ends where an uninterrupted run ends (#19), and a
//! finished rotation run again does nothing.

use crate::blackbox::harness::*;
use diesel::prelude::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};

fn b64(b: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([b; 32])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The keys the server seals with: k1 only.
fn before_keys() -> Vec<(String, String)> {
    vec![
        (
            "CUSTODIAN__ENCRYPTION__KEYS".into(),
            format!("k1:{}", b64(1)),
        ),
        ("CUSTODIAN__ENCRYPTION__CURRENT_KEY".into(), "k1".into()),
        ("CUSTODIAN__ENCRYPTION__INDEX_KEY".into(), b64(9)),
    ]
}

/// The keys after the change: k2 current, k1 still listed.
fn rotated_keys() -> Vec<(String, String)> {
    vec![
        (
            "CUSTODIAN__ENCRYPTION__KEYS".into(),
            format!("k1:{},k2:{}", b64(1), b64(2)),
        ),
        ("CUSTODIAN__ENCRYPTION__CURRENT_KEY".into(), "k2".into()),
        ("CUSTODIAN__ENCRYPTION__INDEX_KEY".into(), b64(9)),
    ]
}

fn seeded(backend: Backend) -> Server {
    let keys = before_keys();
    let mut extra: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    extra.push(("CUSTODIAN__DEMO__PATRONS", "200"));
    Server::start(backend, &extra)
}

fn rotate(server: &Server, args: &[&str]) -> std::process::Child {
    let keys = rotated_keys();
    let extra: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vec!["keys", "rotate"];
    all.extend_from_slice(args);
    server.cli_spawn(&all, &extra)
}

/// (patron keys, of them under k2, values anywhere still under k1 or under the library key for a patron).
fn end_state(server: &Server) -> (i64, i64, i64) {
    let mut raw =
        store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
    let count = |raw: &mut store::DbConn, sql: &str| -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "({sql})"
        )))
        .get_result(raw)
        .unwrap()
    };
    (
        count(&mut raw, "SELECT count(*) FROM keystore.patron_keys"),
        count(
            &mut raw,
            "SELECT count(*) FROM keystore.patron_keys WHERE key_sealed LIKE 'v1.k2.%'",
        ),
        count(
            &mut raw,
            "SELECT (SELECT count(*) FROM keystore.patron_keys WHERE key_sealed LIKE 'v1.k1.%') \
             + (SELECT count(*) FROM patrons WHERE name_sealed LIKE 'v1.%' OR card_sealed LIKE 'v1.%') \
             + (SELECT count(*) FROM library_records WHERE details_sealed LIKE 'v1.k1.%') \
             + (SELECT count(*) FROM mail_requests WHERE body_sealed LIKE 'v1.k1.%')",
        ),
    )
}

fn changed(report: &Value) -> i64 {
    report["libraries"]
        .as_object()
        .unwrap()
        .values()
        .map(|l| {
            [
                "patron_keys",
                "patrons",
                "consents",
                "other",
                "orphan_keys_erased",
            ]
            .iter()
            .map(|k| l[k].as_i64().unwrap())
            .sum::<i64>()
        })
        .sum()
}

#[test]
fn a_rotation_killed_half_way_is_finished_by_the_next_one() {
    for backend in backends() {
        // The uninterrupted run, on a server of its own.
        let whole = seeded(backend);
        let out = rotate(&whole, &["--batch", "10", "--json"])
            .wait_with_output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let progress = text(&out.stderr);
        assert!(
            progress
                .lines()
                .any(|l| l.starts_with("keys rotate: riverbend patron keys ")),
            "[{backend:?}] {progress}"
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["current_key"], "k2");
        assert!(
            report["libraries"]["riverbend"]["patron_keys"]
                .as_i64()
                .unwrap()
                >= 200,
            "[{backend:?}] {report}"
        );
        let expected = end_state(&whole);
        assert_eq!(expected.0, expected.1, "[{backend:?}] every key under k2");
        assert_eq!(expected.2, 0, "[{backend:?}] nothing left under k1");
        drop(whole);

        let server = seeded(backend);
        let before = end_state(&server);
        let mut child = rotate(&server, &["--batch", "10", "--json"]);
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        err.read_line(&mut first).unwrap();
        assert!(first.starts_with("keys rotate: "), "[{backend:?}] {first}");
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "[{backend:?}] the run finished before the kill"
        );
        let half = end_state(&server);
        assert_ne!(half, before, "[{backend:?}] the first batch was not kept");
        assert_ne!(half, expected, "[{backend:?}] the run was not cut short");

        let rerun = rotate(&server, &["--json"]).wait_with_output().unwrap();
        assert!(rerun.status.success(), "{}", text(&rerun.stderr));
        let rerun: Value = serde_json::from_slice(&rerun.stdout).unwrap();
        assert!(changed(&rerun) > 0, "[{backend:?}] {rerun}");
        assert_eq!(end_state(&server), expected, "[{backend:?}]");

        // Done is done: a third run changes nothing, and says so.
        let again = rotate(&server, &[]).wait_with_output().unwrap();
        assert!(again.status.success(), "{}", text(&again.stderr));
        assert!(
            text(&again.stdout).contains("Nothing to do"),
            "[{backend:?}] {}",
            text(&again.stdout)
        );
        assert_eq!(end_state(&server), expected, "[{backend:?}]");
        // Every batch's audit entry left the chains whole.
        // With the server's keys: the audit checkpoints' key derives from them (#19).
        let keys = rotated_keys();
        let extra: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let verified = server
            .cli_spawn(&["audit", "verify"], &extra)
            .wait_with_output()
            .unwrap();
        assert!(verified.status.success(), "{}", text(&verified.stdout));
    }
}
