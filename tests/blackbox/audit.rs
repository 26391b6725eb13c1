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
