//! Crash tests (#19): a directory import, a Maildir ingest, outbox delivery,
//! a retention run and a key rotation, each killed with -9 at random points
//! (a seeded RNG, `CUSTODIAN_CRASH_ITERATIONS` kills per path, default 3;
//! `CUSTODIAN_CRASH_SEED` to replay one) and run again to the end; the end
//! state, read through the API and the CLI, is the end state of an
//! uninterrupted run, and no kill leaves a half-applied change visible.

use crate::blackbox::harness::*;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use testkit::smtp_sink::{SinkOptions, SmtpSink};

const DIRECTOR: &str = "director@demo.custodian.test";
const OUTLETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/library_outlets.csv"
);

/// Kill points fall within this share of an uninterrupted run's time: a
/// run after a kill has less left to do, and one that ends first is no crash.
const KILL_SPAN: f64 = 0.8;

/// Kills per path.
fn iterations() -> usize {
    std::env::var("CUSTODIAN_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// A small seeded generator (xorshift64*): the kill points of a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn new(path: &str) -> Rng {
        let seed: u64 = std::env::var("CUSTODIAN_CRASH_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(19);
        eprintln!("{path}: CUSTODIAN_CRASH_SEED={seed}");
        let salt = path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        Rng((seed ^ salt) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A delay in [0, `span`).
    fn within(&mut self, span: Duration) -> Duration {
        let ms = (span.as_millis() as u64).max(1);
        Duration::from_millis(self.next() % ms)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Starts a `custodian` subcommand against `server`'s database with its output
/// discarded (a full pipe nobody reads must not be what stops it).
fn spawn(server: &Server, args: &[&str], extra: &[(&str, &str)]) -> Child {
    let mut cmd = command(server.log_path.parent().unwrap());
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in &server.env {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Runs a subcommand to its end; panics with its output if it fails.
fn run(server: &Server, args: &[&str], extra: &[(&str, &str)]) -> (String, Duration) {
    let started = Instant::now();
    let out = server.cli_spawn(args, extra).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    (text(&out.stdout), started.elapsed())
}

/// Waits `delay`, then kills `child` with SIGKILL; false if it had already finished.
fn kill_after(child: &mut Child, delay: Duration) -> bool {
    let end = Instant::now() + delay;
    while Instant::now() < end {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if child.try_wait().unwrap().is_some() {
        return false;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    true
}

/// One count read past the application, for the checks between kills.
fn raw_count(server: &Server, sql: &str) -> i64 {
    let mut raw =
        store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "({sql})"
    )))
    .get_result(&mut raw)
    .unwrap()
}

/// Every page of a director's list, following `next_cursor`.
fn all_items(server: &Server, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=100&cursor={c}"),
            None => format!("{path}{sep}limit=100"),
        };
        let r = get(&server.url(&url), Some(token));
        assert_eq!(r.status, 200, "{url}: {:?}", r.body);
        items.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
    panic!("{path}: the pages did not end");
}

/// The named fields of each item (ids and times differ between runs), sorted.
fn fields(items: &[Value], names: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = items
        .iter()
        .map(|i| {
            names
                .iter()
                .map(|n| i[*n].to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

/// A short digest of sorted rows, for the note a run prints.
fn digest(rows: &[String]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rows.hash(&mut h);
    format!("{} rows, {:016x}", rows.len(), h.finish())
}

// ---------------------------------------------------------------- directory

/// The public CSV export without its ids (a rolled-back import still spends
/// PostgreSQL sequence values), sorted.
fn directory_rows(server: &Server) -> Vec<String> {
    let r = get(&server.url("/api/v1/directory/libraries.csv"), None);
    assert_eq!(r.status, 200, "{:?}", r.body);
    let body = r.body.as_str().unwrap().to_owned();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let keep: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| *h != "id" && *h != "parent_id")
        .map(|(i, _)| i)
        .collect();
    let mut rows: Vec<String> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            keep.iter()
                .map(|i| r.get(*i).unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect();
    rows.sort();
    rows
}

/// (entries, history rows): an import is one transaction, so a kill leaves the first run's or the last.
fn directory_counts(server: &Server) -> (i64, i64) {
    (
        raw_count(server, "SELECT count(*) FROM directory_entries"),
        raw_count(server, "SELECT count(*) FROM directory_history"),
    )
}

#[test]
fn a_directory_import_killed_at_random_points_ends_as_an_uninterrupted_one() {
    let mut rng = Rng::new("directory import");
    for backend in backends() {
        let whole = Server::start(backend, &[]);
        let (_, took) = run(&whole, &["directory", "import", OUTLETS], &[]);
        let expected = directory_rows(&whole);
        let full = directory_counts(&whole);
        assert!(expected.len() > 1900, "[{backend:?}] {}", expected.len());
        drop(whole);

        let server = Server::start(backend, &[]);
        let empty = directory_counts(&server);
        let (mut killed, mut finished) = (0, 0);
        for i in 0..iterations() {
            let delay = rng.within(took.mul_f64(KILL_SPAN));
            let mut child = spawn(&server, &["directory", "import", OUTLETS], &[]);
            if kill_after(&mut child, delay) {
                killed += 1;
            } else {
                finished += 1;
            }
            let now = directory_counts(&server);
            assert!(
                now == empty || now == full,
                "[{backend:?}] kill {i} at {delay:?} left {now:?}: neither {empty:?} nor {full:?}"
            );
        }
        let (out, _) = run(&server, &["directory", "import", OUTLETS], &[]);
        assert!(out.contains("rows read"), "[{backend:?}] {out}");
        assert_eq!(directory_counts(&server), full, "[{backend:?}]");
        let rows = directory_rows(&server);
        assert_eq!(rows, expected, "[{backend:?}] the directory differs");
        eprintln!(
            "[{backend:?}] directory import: {killed} killed, {finished} finished first (a run takes {took:?}); {}",
            digest(&rows)
        );
    }
}

// ---------------------------------------------------------------- Maildir

fn write_maildir(dir: &Path, n: usize) {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for i in 0..n {
        let raw = format!(
            "From: sender{i}@example.net\r\nTo: director@evergreen.example.org\r\nSubject: Please correct my name ({i})\r\nMessage-ID: <crash-{i}@example.net>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMy name is spelled wrong, message {i}.\r\n"
        );
        std::fs::write(dir.join("new").join(format!("{:06}.crash.eml", i)), raw).unwrap();
    }
}

/// What the director sees of the mail: the ledger, the requests and the outbox.
fn mail_state(server: &Server) -> (Vec<String>, Vec<String>, Vec<String>) {
    let director = server.sign_in(DIRECTOR);
    // Only what this test sent: the demo consortium has mail of its own.
    let ledger: Vec<Value> = all_items(server, &director, "/api/v1/director/inbound-mail")
        .into_iter()
        .filter(|m| m["channel"] == "maildir")
        .collect();
    let requests: Vec<Value> = all_items(server, &director, "/api/v1/director/requests")
        .into_iter()
        .filter(|r| {
            r["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Please correct my name ("))
        })
        .collect();
    let outbox: Vec<Value> = all_items(server, &director, "/api/v1/director/outbox")
        .into_iter()
        .filter(|m| m["recipient_hint"] == "s***@example.net")
        .collect();
    (
        fields(
            &ledger,
            &["channel", "outcome", "route", "libraries", "reason"],
        ),
        fields(
            &requests,
            &["queue", "kind", "status", "sender", "subject", "body"],
        ),
        fields(&outbox, &["template", "recipient_hint", "status"]),
    )
}

fn maildir_files(dir: &Path) -> (usize, usize) {
    let count = |sub: &str| std::fs::read_dir(dir.join(sub)).unwrap().count();
    (count("new"), count("cur"))
}

#[test]
fn a_maildir_ingest_killed_at_random_points_ends_as_an_uninterrupted_one() {
    let mut rng = Rng::new("maildir ingest");
    let n = 120;
    let quiet = [("CUSTODIAN__MAIL__WORKERS", "0")];
    for backend in backends() {
        let whole = Server::start(backend, &quiet);
        let dir = tempfile::tempdir().unwrap();
        write_maildir(dir.path(), n);
        let md = dir.path().to_str().unwrap();
        let (_, took) = run(&whole, &["mail", "ingest", "--maildir", md], &[]);
        let expected = mail_state(&whole);
        assert_eq!(expected.0.len(), n, "[{backend:?}] {:?}", expected.0);
        assert_eq!(expected.1.len(), n, "[{backend:?}]");
        assert_eq!(maildir_files(dir.path()), (0, n), "[{backend:?}]");
        drop(whole);

        let server = Server::start(backend, &quiet);
        let dir = tempfile::tempdir().unwrap();
        write_maildir(dir.path(), n);
        let md = dir.path().to_str().unwrap();
        let counts = |server: &Server| {
            [
                "SELECT count(*) FROM inbound_mail",
                "SELECT count(*) FROM mail_requests",
                "SELECT count(*) FROM outbox",
            ]
            .map(|sql| raw_count(server, sql))
        };
        let base = counts(&server);
        let mut killed = 0;
        for i in 0..iterations() {
            let delay = rng.within(took.mul_f64(KILL_SPAN));
            let mut child = spawn(&server, &["mail", "ingest", "--maildir", md], &[]);
            killed += usize::from(kill_after(&mut child, delay));
            // Each message taken in is whole: its ledger entry, its request and its reply, or none.
            let now = counts(&server);
            let [ledger, requests, replies] = [0, 1, 2].map(|k| now[k] - base[k]);
            assert!(
                ledger == requests && requests == replies,
                "[{backend:?}] kill {i} at {delay:?}: {ledger} ledger entries, {requests} requests, {replies} replies"
            );
            let (new, cur) = maildir_files(dir.path());
            assert_eq!(new + cur, n, "[{backend:?}] a message file went missing");
            assert!(
                cur as i64 <= ledger,
                "[{backend:?}] {cur} files moved to cur/ but only {ledger} taken in"
            );
        }
        let (_, _) = run(&server, &["mail", "ingest", "--maildir", md], &[]);
        assert_eq!(maildir_files(dir.path()), (0, n), "[{backend:?}]");
        let got = mail_state(&server);
        assert_eq!(
            got.0, expected.0,
            "[{backend:?}] the inbound ledger differs"
        );
        assert_eq!(got.1, expected.1, "[{backend:?}] the requests differ");
        assert_eq!(got.2, expected.2, "[{backend:?}] the replies differ");
        eprintln!(
            "[{backend:?}] maildir ingest: {killed} of {} runs killed (a run takes {took:?}); ledger {}, requests {}, outbox {}",
            iterations(),
            digest(&got.0),
            digest(&got.1),
            digest(&got.2)
        );
    }
}

// ---------------------------------------------------------------- outbox

#[test]
fn outbox_workers_killed_at_random_points_deliver_everything_at_most_twice() {
    let Some(sink) = SmtpSink::start(SinkOptions {
        delay_secs: 0.05,
        ..SinkOptions::default()
    }) else {
        return;
    };
    let mut rng = Rng::new("outbox delivery");
    let token = "gateway-token-0123456789abcdef";
    for backend in backends() {
        let before = sink.messages().len();
        let url = sink.url();
        let mail = [
            ("CUSTODIAN__MAIL__SMTP_URL", url.as_str()),
            ("CUSTODIAN__MAIL__LEASE_SECS", "2"),
            ("CUSTODIAN__MAIL__POLL_SECS", "1"),
        ];
        let mut extra = mail.to_vec();
        extra.push(("CUSTODIAN__MAIL__INBOUND_TOKEN", token));
        extra.push(("CUSTODIAN__MAIL__WORKERS", "0"));
        let server = Server::start(backend, &extra);
        let n = 40;
        for i in 0..n {
            let raw = format!(
                "From: sender{i}@example.net\r\nTo: director@evergreen.example.org\r\nSubject: Please correct my name\r\nMessage-ID: <out-{i}@example.net>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nIt is wrong.\r\n"
            );
            let r = post_raw_auth(
                &server.url("/api/v1/director/inbound-mail"),
                token,
                "message/rfc822",
                &raw,
            );
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        // At 50 ms a message over 8 connections, the whole queue takes about 0.3 s
        // after start-up; kill points spread over the first two seconds.
        let mut killed = 0;
        for _ in 0..iterations() {
            let delay = rng.within(Duration::from_millis(2000));
            let mut child = spawn(&server, &["mail", "work"], &mail);
            killed += usize::from(kill_after(&mut child, delay));
        }
        // The dead workers' leases lapse, then one run delivers what is left.
        std::thread::sleep(Duration::from_secs(3));
        let (out, _) = run(&server, &["mail", "work", "--once"], &mail);
        let all = &sink.messages()[before..];
        let mut times: BTreeMap<String, usize> = BTreeMap::new();
        for m in all {
            *times.entry(m.header("Message-ID").unwrap()).or_default() += 1;
        }
        assert_eq!(
            times.len(),
            n,
            "[{backend:?}] {out}: every message delivered"
        );
        let twice = times.values().filter(|t| **t == 2).count();
        assert!(
            times.values().all(|t| *t <= 2),
            "[{backend:?}] a message delivered more than twice: {times:?}"
        );
        let director = server.sign_in(DIRECTOR);
        let outbox = all_items(&server, &director, "/api/v1/director/outbox");
        let sent = outbox.iter().filter(|m| m["status"] == "sent").count();
        assert_eq!(sent, n, "[{backend:?}] {outbox:?}");
        eprintln!(
            "[{backend:?}] outbox: {n} messages, {killed} of {} workers killed, {twice} delivered twice",
            iterations()
        );
    }
}

// ---------------------------------------------------------------- retention

fn retention_server(backend: Backend) -> Server {
    let server = Server::start(backend, &[("CUSTODIAN__DEMO__PATRONS", "300")]);
    for lib in ["riverbend", "cedar-county"] {
        let admin = server.sign_in(&format!("admin.{lib}@demo.custodian.test"));
        let r = put(
            &server.url(&format!("/api/v1/libraries/{lib}/retention")),
            Some(&admin),
            &serde_json::json!({"kinds": {
                "card_registration": {"days": 0, "then": "delete"},
                "donations": {"days": 0, "then": "anonymize"},
            }}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    server
}

/// (records, patron links, the dry run's report of what is still due).
fn retention_state(server: &Server) -> (i64, i64, String) {
    let (dry, _) = run(server, &["retention", "run", "--json"], &[]);
    let dry: Value = serde_json::from_str(&dry).unwrap();
    (
        raw_count(server, "SELECT count(*) FROM library_records"),
        raw_count(server, "SELECT count(*) FROM record_links"),
        dry["libraries"].to_string(),
    )
}

#[test]
fn a_retention_run_killed_at_random_points_ends_as_an_uninterrupted_one() {
    let mut rng = Rng::new("retention run");
    let batch = [("CUSTODIAN__RETENTION__BATCH", "10")];
    let args = ["retention", "run", "--apply", "--json"];
    for backend in backends() {
        let whole = retention_server(backend);
        let (_, took) = run(&whole, &args, &batch);
        let expected = retention_state(&whole);
        drop(whole);

        let server = retention_server(backend);
        let mut killed = 0;
        for _ in 0..iterations() {
            let delay = rng.within(took.mul_f64(KILL_SPAN));
            let mut child = spawn(&server, &args, &batch);
            killed += usize::from(kill_after(&mut child, delay));
            // A record is deleted with its link: no link outlives its record.
            let orphans = raw_count(
                &server,
                "SELECT count(*) FROM record_links l WHERE NOT EXISTS \
                 (SELECT 1 FROM library_records r WHERE r.library_id = l.library_id AND r.id = l.record_id)",
            );
            assert_eq!(orphans, 0, "[{backend:?}] links without their record");
        }
        run(&server, &args, &[]);
        assert_eq!(retention_state(&server), expected, "[{backend:?}]");
        let (verified, _) = run(&server, &["audit", "verify"], &[]);
        eprintln!(
            "[{backend:?}] retention: {killed} of {} runs killed (a run takes {took:?}); {} records, {} links; {}",
            iterations(),
            expected.0,
            expected.1,
            verified.lines().last().unwrap_or_default()
        );
    }
}

// ---------------------------------------------------------------- keys

fn b64(b: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([b; 32])
}

fn key_env(rotated: bool) -> Vec<(String, String)> {
    // The server knows k2 from the start, so that it still reads what the rotation re-seals.
    let keys = format!("k1:{},k2:{}", b64(1), b64(2));
    vec![
        ("CUSTODIAN__ENCRYPTION__KEYS".into(), keys),
        (
            "CUSTODIAN__ENCRYPTION__CURRENT_KEY".into(),
            if rotated { "k2" } else { "k1" }.into(),
        ),
        ("CUSTODIAN__ENCRYPTION__INDEX_KEY".into(), b64(9)),
    ]
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// (patron keys, of them under k2, values still under k1 or under a library key).
fn key_state(server: &Server) -> (i64, i64, i64) {
    (
        raw_count(server, "SELECT count(*) FROM keystore.patron_keys"),
        raw_count(
            server,
            "SELECT count(*) FROM keystore.patron_keys WHERE key_sealed LIKE 'v1.k2.%'",
        ),
        raw_count(
            server,
            "SELECT (SELECT count(*) FROM keystore.patron_keys WHERE key_sealed LIKE 'v1.k1.%') \
             + (SELECT count(*) FROM patrons WHERE name_sealed LIKE 'v1.%' OR card_sealed LIKE 'v1.%') \
             + (SELECT count(*) FROM library_records WHERE details_sealed LIKE 'v1.k1.%') \
             + (SELECT count(*) FROM mail_requests WHERE body_sealed LIKE 'v1.k1.%')",
        ),
    )
}

#[test]
fn a_key_rotation_killed_at_random_points_ends_as_an_uninterrupted_one() {
    let mut rng = Rng::new("key rotation");
    let old = key_env(false);
    let new = key_env(true);
    let args = ["keys", "rotate", "--batch", "10", "--json"];
    for backend in backends() {
        let mut start = pairs(&old);
        start.push(("CUSTODIAN__DEMO__PATRONS", "200"));
        let whole = Server::start(backend, &start);
        let (_, took) = run(&whole, &args, &pairs(&new));
        let expected = key_state(&whole);
        assert_eq!(expected.0, expected.1, "[{backend:?}] every key under k2");
        assert_eq!(expected.2, 0, "[{backend:?}] nothing left under k1");
        drop(whole);

        let server = Server::start(backend, &start);
        let mut killed = 0;
        for _ in 0..iterations() {
            let delay = rng.within(took.mul_f64(KILL_SPAN));
            let mut child = spawn(&server, &args, &pairs(&new));
            killed += usize::from(kill_after(&mut child, delay));
            // Each patron keeps exactly one key, under k1 or k2, never neither.
            let (keys, under_k2, _) = key_state(&server);
            let under_k1 = raw_count(
                &server,
                "SELECT count(*) FROM keystore.patron_keys WHERE key_sealed LIKE 'v1.k1.%'",
            );
            assert_eq!(keys, expected.0, "[{backend:?}] patron keys lost or added");
            assert_eq!(under_k1 + under_k2, keys, "[{backend:?}]");
        }
        run(&server, &args, &pairs(&new));
        assert_eq!(key_state(&server), expected, "[{backend:?}]");
        let (again, _) = run(&server, &["keys", "rotate"], &pairs(&new));
        assert!(again.contains("Nothing to do"), "[{backend:?}] {again}");
        // The patrons' data still opens: staff find a demo patron by card number.
        let (card, _) = server.patrons.get("riverbend").cloned().unwrap_or_default();
        assert!(!card.is_empty(), "[{backend:?}] the demo printed no patron");
        let staff = server.sign_in("staff.riverbend@demo.custodian.test");
        let r = get(
            &server.url(&format!(
                "/api/v1/libraries/riverbend/patrons?card={card}&purpose=crash+test"
            )),
            Some(&staff),
        );
        assert_eq!(r.status, 200, "[{backend:?}] {:?}", r.body);
        assert_eq!(
            r.body["items"].as_array().map(Vec::len),
            Some(1),
            "[{backend:?}] {:?}",
            r.body
        );
        let (verified, _) = run(&server, &["audit", "verify"], &pairs(&new));
        eprintln!(
            "[{backend:?}] keys: {killed} of {} runs killed (a run takes {took:?}); {expected:?}; {}",
            iterations(),
            verified.lines().last().unwrap_or_default()
        );
    }
}
