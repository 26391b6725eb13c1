//! Self-service hardening a process shows: a proxy setting that stops
//! start-up, and email confirmation through the outbox and the gateway.
//! Card spellings, proxies, cookies, the hashing gate and a child's own
//! changes run in process (tests/app/trust_c.rs).

use crate::blackbox::harness::*;
use serde_json::json;

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";

#[test]
fn a_trusted_proxy_setting_that_is_not_a_cidr_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .arg("config")
        .env(
            "CUSTODIAN__SERVER__TRUSTED_PROXIES",
            "10.0.0.0/8,proxy.local",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.trusted_proxies"), "{err}");
    assert!(err.contains("proxy.local"), "{err}");
}

fn outbox_mail_to(server: &Server, to: &str) -> Option<String> {
    let dir = server
        .log_path
        .parent()
        .unwrap()
        .join("data")
        .join("outbox");
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if e.path().extension().is_some_and(|x| x == "eml") {
            let raw = std::fs::read(e.path()).unwrap();
            let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let addr = m.to().and_then(|a| a.first()).and_then(|a| a.address());
            if addr == Some(to) {
                return Some(m.body_text(0).unwrap_or_default().into_owned());
            }
        }
    }
    None
}

fn wait_for_mail_to(server: &Server, to: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(text) = outbox_mail_to(server, to) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail to {to} was delivered"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn page(url: &str, post: bool) -> (u16, String) {
    let r = if post {
        ureq::post(url).call()
    } else {
        ureq::get(url).call()
    };
    match r {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_patrons_new_email_counts_only_once_confirmed_from_that_address() {
    const TOKEN: &str = "gateway-token-0123456789abcdef";
    for backend in backends() {
        let s = Server::start(
            backend,
            &[
                ("CUSTODIAN__MAIL__INBOUND_TOKEN", TOKEN),
                ("CUSTODIAN__MAIL__POLL_SECS", "1"),
            ],
        );
        let staff_a = s.sign_in(ADMIN_A);
        let staff_b = s.sign_in("admin.prairie-hills@demo.custodian.test");
        register(
            &s,
            &staff_a,
            "riverbend",
            json!({"card_number": "21000555001", "pin": "4321", "name": "Ada Quillfeather", "email": "ada.quill@example.org"}),
        );
        register(
            &s,
            &staff_b,
            "prairie-hills",
            json!({"card_number": "29000777003", "pin": "1111", "name": "Cyd Oakhollow", "email": "cyd@example.org"}),
        );
        let r = patron_sign_in(&s, "riverbend", "21000555001", "4321");
        let ada = r.body["token"].as_str().unwrap().to_owned();

        // Ada names Cyd's address (of another library) as her own.
        let changed = patch(
            &s.url("/api/v1/patron/me"),
            Some(&ada),
            &json!({"email": "Cyd@Example.org"}),
        );
        assert_eq!(changed.status, 200, "{:?}", changed.body);
        assert_eq!(changed.body["data"]["email"], "ada.quill@example.org");
        assert_eq!(changed.body["pending_email"], "Cyd@Example.org");
        assert!(changed.body["email_confirmation"]
            .as_str()
            .unwrap()
            .contains("confirm"));
        let me = get(&s.url("/api/v1/patron/me"), Some(&ada));
        assert_eq!(me.body["data"]["email"], "ada.quill@example.org");
        assert_eq!(me.body["pending_email"], "Cyd@Example.org");

        // Nothing uses the unconfirmed address: not staff look-ups...
        let found = get(
            &s.url(
                "/api/v1/libraries/riverbend/patrons?email=cyd@example.org&purpose=hold%20pickup",
            ),
            Some(&staff_a),
        );
        assert_eq!(found.status, 200, "{:?}", found.body);
        assert_eq!(found.body["items"], json!([]), "{:?}", found.body);
        // ...nor inbound mail, which goes to Cyd's library only.
        let raw = "From: Cyd Oakhollow <cyd@example.org>\r\nTo: director@evergreen.example.org\r\nSubject: Please delete my account\r\nMessage-ID: <cyd-1@mail.example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease delete my library account. My card is 29000777003.\r\n";
        let r = post_raw_auth(
            &s.url("/api/v1/director/inbound-mail"),
            TOKEN,
            "message/rfc822",
            raw,
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(
            r.body["libraries"],
            json!(["prairie-hills"]),
            "{:?}",
            r.body
        );
        let queue_a = get(
            &s.url("/api/v1/libraries/riverbend/requests"),
            Some(&staff_a),
        );
        assert_eq!(queue_a.body["items"], json!([]), "{:?}", queue_a.body);

        // The link went to the new address; opening it changes nothing.
        let text = wait_for_mail_to(&s, "Cyd@Example.org");
        let at = text
            .find("/patron/email/confirm/")
            .expect("a confirmation link");
        let path = text[at..].split_whitespace().next().unwrap().to_owned();
        let (status, html) = page(&s.url(&path), false);
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("<form method=\"post\">"), "{html}");
        let me = get(&s.url("/api/v1/patron/me"), Some(&ada));
        assert_eq!(me.body["data"]["email"], "ada.quill@example.org");

        // Pressing the button puts it in force, once.
        let (status, html) = page(&s.url(&path), true);
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("confirmed"), "{html}");
        let me = get(&s.url("/api/v1/patron/me"), Some(&ada));
        assert_eq!(me.body["data"]["email"], "Cyd@Example.org");
        assert_eq!(me.body.get("pending_email"), None, "{:?}", me.body);
        let found = get(
            &s.url(
                "/api/v1/libraries/riverbend/patrons?email=cyd@example.org&purpose=hold%20pickup",
            ),
            Some(&staff_a),
        );
        assert_eq!(
            found.body["items"].as_array().unwrap().len(),
            1,
            "{:?}",
            found.body
        );
        assert_eq!(page(&s.url(&path), true).0, 404);
        assert_eq!(page(&s.url(&path), false).0, 404);
        assert_eq!(page(&s.url("/patron/email/confirm/e1.forged"), true).0, 404);
        // The confirmation is in the library's audit log, once.
        let audit = get(
            &s.url("/api/v1/libraries/riverbend/audit?limit=200"),
            Some(&s.sign_in(ADMIN_A)),
        );
        assert_eq!(audit.status, 200, "{:?}", audit.body);
        let confirmed = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "patron.self.email_confirmed")
            .count();
        assert_eq!(confirmed, 1, "{:?}", audit.body);
    }
}
