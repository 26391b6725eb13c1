//! Sign-in as a process shows it: nothing secret reaches the log. The rest
//! of sign-in runs in process (tests/app/sign_in.rs).

use crate::blackbox::harness::*;
use serde_json::json;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";

#[test]
fn the_log_holds_no_password_or_token() {
    let server = Server::start(Backend::Embedded, &[]);
    let token = server.sign_in(ADMIN);
    post(
        &server.url("/api/v1/auth/sign-in"),
        None,
        &json!({"email": ADMIN, "password": "wrong-wrong-wrong"}),
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log();
    assert!(!log.contains(&token));
    assert!(!log.contains(&server.password(ADMIN)));
    assert!(!log.contains("wrong-wrong-wrong"));
    assert!(!log.contains(ADMIN), "emails stay out of the log:\n{log}");
}
