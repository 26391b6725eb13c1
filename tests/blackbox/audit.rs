//! The audit log from outside: decisions land in it, and tampering is found.

use crate::blackbox::harness::*;
use diesel::connection::SimpleConnection;
use serde_json::json;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn changing_one_audit_row_makes_verify_fail_and_name_it() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let admin = server.sign_in(ADMIN);
        let url = server.url("/api/v1/libraries/riverbend/staff");
        let mut ids = Vec::new();
        for i in 0..3 {
            let r = post(
                &url,
                Some(&admin),
                &json!({"email": format!("clerk{i}@riverbend.example"), "display_name": "Clerk", "role": "staff"}),
            );
            assert_eq!(r.status, 201);
            ids.push(r.body["account_id"].as_i64().unwrap());
        }
        // A clerk's refused attempt is recorded too.
        let r = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": "clerk0@riverbend.example", "password": "wrong"}),
        );
        assert_eq!(r.status, 401);

        let ok = server.cli(&["audit", "verify"]);
        assert!(
            ok.status.success(),
            "{}{}",
            stdout(&ok),
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(
            stdout(&ok).contains("riverbend: 3 entries, chain intact"),
            "{}",
            stdout(&ok)
        );
        assert!(
            stdout(&ok).contains("5 audit chain(s) verified"),
            "{}",
            stdout(&ok)
        );

        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
        let tamper = match &raw {
            store::DbConn::Pg(_) => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; \
                 UPDATE audit_log SET actor = 'account:999' WHERE seq = 2 AND library_id = (SELECT id FROM libraries WHERE slug = 'riverbend'); \
                 ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;",
            store::DbConn::Sqlite(_) => "DROP TRIGGER audit_log_no_update; \
                 UPDATE audit_log SET actor = 'account:999' WHERE seq = 2 AND library_id = (SELECT id FROM libraries WHERE slug = 'riverbend');",
        };
        raw.batch_execute(tamper).unwrap();

        let bad = server.cli(&["audit", "verify"]);
        assert!(!bad.status.success());
        let out = stdout(&bad);
        assert!(out.contains("riverbend: BROKEN at entry 2"), "{out}");
        assert!(out.contains("changed"), "{out}");
        assert!(String::from_utf8_lossy(&bad.stderr).contains("1 of 5 audit chain(s) are broken"));
        // Other libraries' chains are unaffected, and one library can be checked alone.
        let one = server.cli(&["audit", "verify", "--library", "lakeshore"]);
        assert!(one.status.success(), "{}", stdout(&one));
        let none = server.cli(&["audit", "verify", "--library", "atlantis"]);
        assert!(String::from_utf8_lossy(&none.stderr).contains("no library with the slug"));
    }
}

#[test]
fn a_refused_staff_change_is_recorded() {
    let server = Server::start(Backend::Embedded, &[]);
    let admin = server.sign_in(ADMIN);
    let made = post(
        &server.url("/api/v1/libraries/riverbend/staff"),
        Some(&admin),
        &json!({"email": "c@riverbend.example", "display_name": "C", "role": "staff"}),
    );
    let pw = made.body["initial_password"].as_str().unwrap();
    let r = post(
        &server.url("/api/v1/auth/sign-in"),
        None,
        &json!({"email": "c@riverbend.example", "password": pw}),
    );
    let clerk = r.body["token"].as_str().unwrap().to_owned();
    post(
        &server.url("/api/v1/libraries/riverbend/staff"),
        Some(&clerk),
        &json!({"email": "d@riverbend.example", "display_name": "D", "role": "admin"}),
    )
    .assert_problem(403, "forbidden");
    let out = server.cli(&["audit", "verify", "--library", "riverbend"]);
    assert!(
        stdout(&out).contains("riverbend: 2 entries, chain intact"),
        "{}",
        stdout(&out)
    );
}

// --- Anchored audit heads (#19): signed checkpoints outside the chain. ---

const RIVERBEND: &str = "(SELECT id FROM libraries WHERE slug = 'riverbend')";

fn add_clerk(server: &Server, admin: &str, name: &str) {
    let r = post(
        &server.url("/api/v1/libraries/riverbend/staff"),
        Some(admin),
        &json!({"email": format!("{name}@riverbend.example"), "display_name": "Clerk", "role": "staff"}),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
}

fn checkpoint_file(server: &Server) -> std::path::PathBuf {
    let data = server
        .env
        .iter()
        .find(|(k, _)| k == "CUSTODIAN__DATA__DIR")
        .map(|(_, v)| v.clone())
        .unwrap();
    std::path::Path::new(&data).join("audit-checkpoints.jsonl")
}

fn raw(server: &Server) -> store::DbConn {
    store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap()
}

/// Lets the raw connection delete from the chain and the checkpoints, as an intruder with the owner's keys or the file could.
fn unlock(raw: &mut store::DbConn) {
    let sql = match raw {
        store::DbConn::Pg(_) => {
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; \
             ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_change;"
        }
        store::DbConn::Sqlite(_) => {
            "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_checkpoints_no_delete;"
        }
    };
    raw.batch_execute(sql).unwrap();
}

fn blob(raw: &store::DbConn, bytes: &[u8]) -> String {
    match raw {
        store::DbConn::Pg(_) => format!("'\\x{}'::bytea", hex::encode(bytes)),
        store::DbConn::Sqlite(_) => format!("X'{}'", hex::encode(bytes)),
    }
}

fn run(server: &Server, args: &[&str]) -> (bool, String, String) {
    let o = server.cli(args);
    (
        o.status.success(),
        stdout(&o),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn entries_cut_off_after_a_checkpoint_are_named() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let admin = server.sign_in(ADMIN);
        for i in 0..3 {
            add_clerk(&server, &admin, &format!("cut{i}"));
        }
        let (ok, out, err) = run(&server, &["audit", "checkpoint"]);
        assert!(ok, "{backend:?}: {out}{err}");
        assert!(out.contains("riverbend: checkpoint at entry 3"), "{out}");
        let file = checkpoint_file(&server);
        let lines = std::fs::read_to_string(&file).unwrap();
        assert!(
            lines.contains("\"library\":\"riverbend\",\"seq\":3"),
            "{lines}"
        );
        assert!(
            !lines.contains('@'),
            "no personal data in the file: {lines}"
        );
        let (ok, out, _) = run(&server, &["audit", "verify", "--library", "riverbend"]);
        assert!(ok, "{out}");
        assert!(
            out.contains("riverbend: 3 entries, chain intact; matches the checkpoint of"),
            "{out}"
        );

        // The last two entries are cut off: the chain that is left links up.
        let mut raw = raw(&server);
        unlock(&mut raw);
        raw.batch_execute(&format!(
            "DELETE FROM audit_log WHERE library_id = {RIVERBEND} AND seq > 1"
        ))
        .unwrap();
        let (ok, out, err) = run(&server, &["audit", "verify"]);
        assert!(!ok, "{backend:?}: {out}");
        assert!(
            out.contains("riverbend: TRUNCATED: the chain ends at entry 1 but the checkpoint of"),
            "{out}"
        );
        assert!(out.contains("saw entry 3: 2 entries were cut off"), "{out}");
        assert!(err.contains("1 of 5 audit chain(s) are broken"), "{err}");

        // Who cuts the chain can cut the table of checkpoints too; not the operator's file.
        raw.batch_execute(&format!(
            "DELETE FROM audit_checkpoints WHERE library_id = {RIVERBEND}"
        ))
        .unwrap();
        let (ok, out, _) = run(&server, &["audit", "verify", "--library", "riverbend"]);
        assert!(ok, "the table alone no longer knows: {out}");
        let path = file.display().to_string();
        let (ok, out, _) = run(
            &server,
            &[
                "audit",
                "verify",
                "--library",
                "riverbend",
                "--checkpoints",
                &path,
            ],
        );
        assert!(!ok, "{out}");
        assert!(out.contains("riverbend: TRUNCATED"), "{out}");
    }
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    library_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    at: chrono::NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Text)]
    action: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    subject: String,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    prev_hash: Vec<u8>,
}

#[test]
fn a_rewritten_tail_is_named_though_the_chain_links_up() {
    use diesel::RunQueryDsl;
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let admin = server.sign_in(ADMIN);
        add_clerk(&server, &admin, "rw0");
        assert!(run(&server, &["audit", "checkpoint", "--library", "riverbend"]).0);
        add_clerk(&server, &admin, "rw1");
        add_clerk(&server, &admin, "rw2");
        assert!(run(&server, &["audit", "checkpoint", "--library", "riverbend"]).0);

        // Entries 2 and 3 written again with another actor and fresh hashes.
        let mut raw = raw(&server);
        let q = diesel::sql_query(format!(
            "SELECT library_id, seq, at, action, subject, prev_hash FROM audit_log \
             WHERE library_id = {RIVERBEND} ORDER BY seq"
        ));
        let rows: Vec<Row> = match &mut raw {
            store::DbConn::Pg(c) => q.load(c).unwrap(),
            store::DbConn::Sqlite(c) => q.load(c).unwrap(),
        };
        assert_eq!(rows.len(), 3);
        unlock(&mut raw);
        raw.batch_execute(&format!(
            "DELETE FROM audit_log WHERE library_id = {RIVERBEND} AND seq > 1"
        ))
        .unwrap();
        let mut prev = {
            let q = diesel::sql_query(format!(
                "SELECT library_id, seq, at, action, subject, hash AS prev_hash FROM audit_log \
                 WHERE library_id = {RIVERBEND} AND seq = 1"
            ));
            let first: Vec<Row> = match &mut raw {
                store::DbConn::Pg(c) => q.load(c).unwrap(),
                store::DbConn::Sqlite(c) => q.load(c).unwrap(),
            };
            first[0].prev_hash.clone()
        };
        for r in &rows[1..] {
            assert_eq!(r.prev_hash.len(), 32);
            let fields = store::audit::NewEntry {
                actor: "account:999",
                action: &r.action,
                subject: &r.subject,
                purpose: "",
                decision: "allow",
                clause: "",
                sealed: false,
            };
            let hash = store::audit::entry_hash(r.library_id, r.seq, r.at, &fields, &prev);
            raw.batch_execute(&format!(
                "INSERT INTO audit_log (library_id, seq, at, actor, action, subject, purpose, decision, clause, sealed, prev_hash, hash) \
                 VALUES ({}, {}, '{}', 'account:999', '{}', '{}', '', 'allow', '', FALSE, {}, {})",
                r.library_id,
                r.seq,
                r.at.format("%Y-%m-%d %H:%M:%S%.6f"),
                r.action,
                r.subject,
                blob(&raw, &prev),
                blob(&raw, &hash),
            ))
            .unwrap();
            prev = hash;
        }
        let (ok, out, _) = run(&server, &["audit", "verify", "--library", "riverbend"]);
        assert!(!ok, "{backend:?}: {out}");
        assert!(!out.contains("BROKEN"), "the chain itself links up: {out}");
        assert!(
            out.contains("riverbend: REWRITTEN: entry 3 is not the entry the checkpoint of"),
            "{out}"
        );
        assert!(
            out.contains("the tail after entry 1 was written again"),
            "{out}"
        );
        let path = checkpoint_file(&server).display().to_string();
        let (ok, out, _) = run(&server, &["audit", "verify", "--checkpoints", &path]);
        assert!(!ok && out.contains("riverbend: REWRITTEN"), "{out}");
    }
}

#[test]
fn a_forged_checkpoint_is_named() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let admin = server.sign_in(ADMIN);
        add_clerk(&server, &admin, "fg0");
        assert!(run(&server, &["audit", "checkpoint", "--library", "riverbend"]).0);
        let file = checkpoint_file(&server);
        let text = std::fs::read_to_string(&file).unwrap();
        let line = text
            .lines()
            .rfind(|l| l.contains("\"library\":\"riverbend\",\"seq\":1"))
            .unwrap();

        // In the operator's file: the same checkpoint claiming more entries.
        let forged_file = file.with_file_name("forged.jsonl");
        let forged = line.replace("\"seq\":1,", "\"seq\":7,");
        std::fs::write(&forged_file, format!("{text}{forged}\n")).unwrap();
        let path = forged_file.display().to_string();
        let (ok, out, _) = run(
            &server,
            &[
                "audit",
                "verify",
                "--library",
                "riverbend",
                "--checkpoints",
                &path,
            ],
        );
        assert!(!ok, "{backend:?}: {out}");
        assert!(
            out.contains("riverbend: FORGED CHECKPOINT: the checkpoint of")
                && out.contains("at entry 7 does not carry a signature"),
            "{out}"
        );
        assert!(
            !out.contains("TRUNCATED"),
            "a forged checkpoint anchors nothing: {out}"
        );

        // In the table: a row with a signature made up, naming the real key.
        let key: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = key["key"].as_str().unwrap();
        assert!(key.starts_with("index-"), "{key}");
        let mut raw = raw(&server);
        raw.batch_execute(&format!(
            "INSERT INTO audit_checkpoints (library_id, seq, head_hash, at, key_id, signature) \
             VALUES ({RIVERBEND}, 9, {}, '2026-12-01 00:00:00', '{key}', {})",
            blob(&raw, &[7; 32]),
            blob(&raw, &[1; 32]),
        ))
        .unwrap();
        let (ok, out, _) = run(&server, &["audit", "verify", "--library", "riverbend"]);
        assert!(!ok, "{out}");
        assert!(
            out.contains("at entry 9 does not carry a signature"),
            "{out}"
        );
        // Verified with other keys than the server's, a checkpoint is not called forged but unchecked.
        let o = server.cli_spawn(
            &["audit", "verify", "--library", "lakeshore"],
            &[
                (
                    "CUSTODIAN__ENCRYPTION__KEYS",
                    "o1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
                ),
                ("CUSTODIAN__ENCRYPTION__CURRENT_KEY", "o1"),
                (
                    "CUSTODIAN__ENCRYPTION__INDEX_KEY",
                    "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
                ),
            ],
        );
        let o = o.wait_with_output().unwrap();
        let out = stdout(&o);
        assert!(!o.status.success(), "{out}");
        assert!(
            out.contains("lakeshore: UNCHECKED CHECKPOINT")
                && out.contains("which this configuration does not have"),
            "{out}"
        );
        // The genuine file still verifies.
        let path = file.display().to_string();
        let (ok, out, _) = run(
            &server,
            &[
                "audit",
                "verify",
                "--library",
                "riverbend",
                "--checkpoints",
                &path,
            ],
        );
        assert!(ok, "{out}");
    }
}

#[test]
fn serve_makes_checkpoints_every_n_entries_and_logs_them() {
    for backend in backends() {
        let server = Server::start(
            backend,
            &[
                ("CUSTODIAN__AUDIT__CHECKPOINT_EVERY", "2"),
                ("CUSTODIAN__AUDIT__CHECKPOINT_LOOK_SECS", "1"),
            ],
        );
        let admin = server.sign_in(ADMIN);
        add_clerk(&server, &admin, "sv0");
        add_clerk(&server, &admin, "sv1");
        let file = checkpoint_file(&server);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if text.contains("\"library\":\"riverbend\",\"seq\":2") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{backend:?}: no checkpoint at entry 2 in {text}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let log = server.log();
        let line = log
            .lines()
            .find(|l| l.contains("audit checkpoint") && l.contains("seq=2"))
            .unwrap_or_else(|| panic!("{log}"));
        assert!(line.contains("riverbend") && !line.contains('@'), "{line}");
        let (ok, out, _) = run(&server, &["audit", "verify", "--library", "riverbend"]);
        assert!(ok && out.contains("matches the checkpoint"), "{out}");
    }
}
