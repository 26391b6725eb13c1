//! `custodian vendors notify` from outside: it prints what it sent, and a
//! second run sends nothing.

use crate::blackbox::harness::*;
use serde_json::json;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn vendors_notify_prints_each_notice_once() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let admin = server.sign_in(ADMIN);
        let ends = (chrono::Utc::now().date_naive() + chrono::Duration::days(20))
            .format("%Y-%m-%d")
            .to_string();
        let made = post(
            &server.url("/api/v1/libraries/riverbend/vendors"),
            Some(&admin),
            &json!({
                "name": "Soonreads",
                "service": "e-books",
                "privacy_policy_url": "https://vendor.example/privacy",
                "contract_starts": "2020-01-01",
                "contract_ends": ends,
                "fields": ["card_valid"],
                "purpose": "patron authentication for e-book loans",
            }),
        );
        assert_eq!(made.status, 201, "[{backend:?}] {:?}", made.body);
        let id = made.body["id"].as_i64().unwrap();

        let first = server.cli(&["vendors", "notify"]);
        assert!(
            first.status.success(),
            "[{backend:?}] {}{}",
            stdout(&first),
            String::from_utf8_lossy(&first.stderr)
        );
        let out = stdout(&first);
        assert!(
            out.contains(&format!(
                "riverbend: vendor {id} (Soonreads) ends on {ends}: told 1 admin(s)"
            )),
            "[{backend:?}] {out}"
        );
        assert!(
            out.contains("1 \"ends soon\" and 0 \"ended\" notice(s) queued"),
            "[{backend:?}] {out}"
        );

        let second = server.cli(&["vendors", "notify"]);
        assert!(second.status.success(), "[{backend:?}]");
        let out = stdout(&second);
        assert!(
            out.contains("0 \"ends soon\" and 0 \"ended\" notice(s) queued, 0 email(s)"),
            "[{backend:?}] {out}"
        );
        assert!(!out.contains("Soonreads"), "[{backend:?}] {out}");
    }
}
