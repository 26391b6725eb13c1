//! Sign-in and self-service hardening: card spellings, proxies, cookies,
//! the hashing gate, a child's own changes, and email confirmation.

use crate::harness::*;
use serde_json::{json, Value};

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";

fn register(server: &Server, token: &str, library: &str, body: Value) -> Value {
    let r = post(
        &server.url(&format!("/api/v1/libraries/{library}/patrons")),
        Some(token),
        &body,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

fn patron_sign_in(server: &Server, library: &str, card: &str, pin: &str) -> Reply {
    post(
        &server.url(&format!("/api/v1/libraries/{library}/patron/sign-in")),
        None,
        &json!({"card_number": card, "pin": pin}),
    )
}

#[test]
fn a_card_written_differently_shares_one_lockout() {
    for backend in backends() {
        let s = Server::start(
            backend,
            &[
                ("CUSTODIAN__AUTH__FAILURES_PER_ACCOUNT", "20"),
                ("CUSTODIAN__AUTH__FAILURES_PER_ADDRESS", "1000"),
            ],
        );
        let staff = s.sign_in(ADMIN_A);
        register(
            &s,
            &staff,
            "riverbend",
            json!({"card_number": "9206355424", "pin": "4321", "name": "Tess Lockwood"}),
        );
        let variants = [
            "9206355424",
            "9206.355424",
            "/9206355424",
            "9206355424_",
            "9206-355424",
        ];
        assert_eq!(
            patron_sign_in(&s, "riverbend", "9206.355424", "4321").status,
            200
        );
        for i in 0..20 {
            patron_sign_in(&s, "riverbend", variants[i % variants.len()], "0000")
                .assert_problem(401, "bad-credentials");
        }
        // The right PIN waits now, however the card is written.
        for v in variants {
            patron_sign_in(&s, "riverbend", v, "4321").assert_problem(429, "too-many-attempts");
        }
    }
}

#[test]
fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    for backend in backends() {
        for trusted in [false, true] {
            let mut env = vec![
                ("CUSTODIAN__AUTH__FAILURES_PER_ACCOUNT", "100"),
                ("CUSTODIAN__AUTH__FAILURES_PER_ADDRESS", "3"),
            ];
            if trusted {
                env.push(("CUSTODIAN__SERVER__TRUSTED_PROXIES", "127.0.0.1/32, ::1"));
            }
            let s = Server::start(backend, &env);
            let url = s.url("/api/v1/auth/sign-in");
            for i in 0..3 {
                post_with_headers(
                    &url,
                    // What a client writes on the left does not count, only the proxy's hop.
                    &[("X-Forwarded-For", &format!("198.51.100.{i}, 203.0.113.5"))],
                    &json!({"email": ADMIN_A, "password": "guess-guess-guess"}),
                )
                .assert_problem(401, "bad-credentials");
            }
            let good = json!({"email": ADMIN_A, "password": s.password(ADMIN_A)});
            let other_client =
                post_with_headers(&url, &[("X-Forwarded-For", "203.0.113.6")], &good);
            let same_client = post_with_headers(&url, &[("X-Forwarded-For", "203.0.113.5")], &good);
            if trusted {
                // Behind the proxy another client is not locked out by the first one's failures.
                assert_eq!(other_client.status, 200, "{:?}", other_client.body);
                same_client.assert_problem(429, "too-many-attempts");
            } else {
                // From an untrusted peer the header is ignored: the peer is the client.
                other_client.assert_problem(429, "too-many-attempts");
                same_client.assert_problem(429, "too-many-attempts");
            }
        }
    }
}

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

#[test]
fn cookies_are_secure_when_the_public_url_is_https() {
    for backend in backends() {
        let s = Server::start(
            backend,
            &[(
                "CUSTODIAN__SERVER__PUBLIC_URL",
                "https://library.example.org",
            )],
        );
        let r = post(
            &s.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": ADMIN_A, "password": s.password(ADMIN_A)}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        let cookie = r.header("set-cookie").unwrap();
        assert!(cookie.contains("Secure"), "{cookie}");
        let staff = r.body["token"].as_str().unwrap().to_owned();
        register(
            &s,
            &staff,
            "riverbend",
            json!({"card_number": "21000111222", "pin": "4321", "name": "Una Secure"}),
        );
        let p = patron_sign_in(&s, "riverbend", "21000111222", "4321");
        assert!(p.header("set-cookie").unwrap().contains("Secure"));
    }
}

#[test]
fn a_full_hashing_queue_answers_503_with_retry_after() {
    for backend in backends() {
        let s = Server::start(
            backend,
            &[
                ("CUSTODIAN__AUTH__HASH_CONCURRENCY", "1"),
                ("CUSTODIAN__AUTH__HASH_QUEUE", "0"),
                ("CUSTODIAN__AUTH__FAILURES_PER_ADDRESS", "1000"),
                ("CUSTODIAN__SERVER__WORKERS", "4"),
            ],
        );
        let url = s.url("/api/v1/auth/sign-in");
        let good = json!({"email": ADMIN_A, "password": s.password(ADMIN_A)});
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(6));
        let replies: Vec<Reply> = (0..6)
            .map(|_| {
                let (url, good, barrier) = (url.clone(), good.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    post(&url, None, &good)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert!(replies.iter().any(|r| r.status == 200), "{replies:?}");
        let busy = replies
            .iter()
            .find(|r| r.status == 503)
            .unwrap_or_else(|| panic!("no 503 among simultaneous sign-ins: {replies:?}"));
        busy.assert_problem(503, "busy");
        let retry: u64 = busy
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!(retry >= 1);
        // Once the burst is over the same sign-in goes through.
        assert_eq!(post(&url, None, &good).status, 200);
    }
}

#[test]
fn a_childs_own_contact_change_needs_a_guardians_consent_like_registration() {
    for backend in backends() {
        let s = Server::start(backend, &[]);
        let staff = s.sign_in(ADMIN_A);
        let registering = post(
            &s.url("/api/v1/libraries/riverbend/patrons"),
            Some(&staff),
            &json!({"card_number": "21000999006", "pin": "2468", "name": "Pim Oakley", "birth_date": "2017-06-01", "email": "pim@example.org"}),
        );
        registering.assert_problem(409, "guardian-consent-required");
        register(
            &s,
            &staff,
            "riverbend",
            json!({"card_number": "21000999005", "pin": "2468", "name": "Pip Oakley", "birth_date": "2017-06-01",
                   "guardian": "Ann Oakley", "guardian_consent": {"given_by": "Ann Oakley"}}),
        );
        // The guardian withdraws the consent (no endpoint for that yet, so in the database).
        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&s.raw_url).unwrap()).unwrap();
        use diesel::connection::SimpleConnection;
        raw.batch_execute(
            "UPDATE patron_consents SET revoked_at = CURRENT_TIMESTAMP WHERE kind = 'guardian'",
        )
        .unwrap();

        let r = patron_sign_in(&s, "riverbend", "21000999005", "2468");
        assert_eq!(r.status, 200, "{:?}", r.body);
        let child = r.body["token"].as_str().unwrap().to_owned();
        let refused = patch(
            &s.url("/api/v1/patron/me"),
            Some(&child),
            &json!({"email": "pip@example.org"}),
        );
        refused.assert_problem(409, "guardian-consent-required");
        assert_eq!(refused.body["detail"], registering.body["detail"]);
        let me = get(&s.url("/api/v1/patron/me"), Some(&child));
        assert_eq!(me.status, 200, "{:?}", me.body);
        assert_eq!(me.body["data"]["email"], Value::Null, "{:?}", me.body);
    }
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
