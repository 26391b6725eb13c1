//! The in-process app itself: a library added by the builder, sessions for
//! staff and patrons, mail read back from the outbox, and failures that
//! name their backend.

use crate::app::support::*;
use serde_json::json;
use std::time::Duration;
use testkit::app::on_backend;

#[test]
fn a_library_added_by_the_builder_serves_its_staff_and_patrons() {
    each_backend(|backend| {
        let app = TestApp::builder(backend)
            .with_config(|s| s.mail.poll_secs = 1)
            .with_library("northfield")
            .spawn();
        let admin = app.as_staff("admin.northfield@testkit.test");
        let me = admin.get("/api/v1/auth/me");
        me.assert_status(200);
        assert_eq!(
            me.body["email"],
            "admin.northfield@testkit.test",
            "{}",
            me.on()
        );
        admin
            .post(
                "/api/v1/libraries/northfield/patrons",
                &json!({"card_number": "31000111001", "pin": "4321", "name": "Nell Northfield", "email": "nell@example.org"}),
            )
            .assert_status(201);

        let nell = app.as_patron("northfield", "31000111001", "4321");
        nell.get("/api/v1/patron/me").assert_status(200);
        nell.patch(
            "/api/v1/patron/me",
            &json!({"email": "nell.new@example.org"}),
        )
        .assert_status(200);
        let mail = app.wait_for_mail(1, Duration::from_secs(30));
        let to_nell: Vec<_> = mail
            .iter()
            .filter(|m| {
                m.header("to")
                    .is_some_and(|t| t.contains("nell.new@example.org"))
            })
            .collect();
        assert_eq!(to_nell.len(), 1, "[{backend}] {mail:?}");
        assert!(
            to_nell[0].text().contains("confirm"),
            "[{backend}] {}",
            to_nell[0].text()
        );

        // Anonymous callers are asked to sign in.
        app.anonymous()
            .get("/api/v1/auth/me")
            .assert_problem(401, "unauthenticated");
    });
}

#[test]
fn a_failure_names_the_backend_it_happened_on() {
    let caught =
        std::panic::catch_unwind(|| on_backend(Backend::Postgres, |_| panic!("the body failed")));
    let why = caught.unwrap_err().downcast::<String>().unwrap();
    assert_eq!(*why, "[postgres+redis] the body failed");

    let app = TestApp::spawn(Backend::Sqlite);
    let reply = app.anonymous().get("/healthz");
    assert_eq!(reply.on(), "[sqlite] ");
    let caught = std::panic::catch_unwind(|| {
        reply.assert_status(500);
    });
    let why = caught.unwrap_err().downcast::<String>().unwrap();
    assert!(why.contains("[sqlite]"), "{why}");
}
