//! Mail from the outside: the gateway endpoint, `custodian mail ingest`,
//! the queues and who sees them, confirmation by link, replies through the
//! outbox, and a delivery worker killed mid-run.

use crate::blackbox::harness::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use testkit::smtp_sink::{SinkOptions, SmtpSink};

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";
const ADMIN_B: &str = "admin.prairie-hills@demo.custodian.test";
const DIRECTOR: &str = "director@demo.custodian.test";
const TOKEN: &str = "gateway-token-0123456789abcdef";

fn message(from: &str, id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: director@evergreen.example.org\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

fn gateway(server: &Server, token: Option<&str>, raw: &str) -> Reply {
    let url = server.url("/api/v1/director/inbound-mail");
    match token {
        Some(t) => post_raw_auth(&url, t, "message/rfc822", raw),
        None => post_raw(&url, "message/rfc822", raw),
    }
}

fn outbox_dir(server: &Server) -> PathBuf {
    server
        .log_path
        .parent()
        .unwrap()
        .join("data")
        .join("outbox")
}

/// The `.eml` files delivered so far, parsed: (To, Subject, text).
fn delivered(dir: &Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        if e.path().extension().is_some_and(|x| x == "eml") {
            let raw = std::fs::read(e.path()).unwrap();
            let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let to = m
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned();
            out.push((
                to,
                m.subject().unwrap_or_default().to_owned(),
                m.body_text(0).unwrap_or_default().into_owned(),
            ));
        }
    }
    out
}

fn wait_for_mail(
    dir: &Path,
    pred: impl Fn(&(String, String, String)) -> bool,
) -> (String, String, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(m) = delivered(dir).into_iter().find(|m| pred(m)) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no such message was delivered; outbox holds {:?}",
            delivered(dir).iter().map(|m| &m.1).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The library id in the request number a confirmation page shows (`R-<library>-<id>`).
fn page_library_id(page: &str) -> String {
    let at =
        page.find("Confirm request R-").expect("a request number") + "Confirm request R-".len();
    page[at..].split('-').next().unwrap().to_owned()
}

fn confirm_path(text: &str) -> String {
    let at = text
        .find("/requests/confirm/")
        .expect("a confirmation link");
    text[at..].split_whitespace().next().unwrap().to_owned()
}

fn html(url: &str, post: bool) -> (u16, String) {
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
fn a_patrons_emailed_request_goes_to_their_library_and_waits_for_confirmation() {
    for backend in backends() {
        let server = Server::start(
            backend,
            &[
                ("CUSTODIAN__MAIL__INBOUND_TOKEN", TOKEN),
                ("CUSTODIAN__MAIL__POLL_SECS", "1"),
            ],
        );
        let admin_a = server.sign_in(ADMIN_A);
        let admin_b = server.sign_in(ADMIN_B);
        let director = server.sign_in(DIRECTOR);
        let r = post(
            &server.url("/api/v1/libraries/riverbend/patrons"),
            Some(&admin_a),
            &json!({"card_number": "21000555001", "pin": "4321", "name": "Ada Quillfeather", "email": "ada.quill@example.org"}),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);

        let raw = message(
            "Ada Quillfeather <Ada.Quill@example.org>",
            "req-1@mail.example.org",
            "Please delete my library account",
            "I no longer live here. Please delete my account.",
        );
        gateway(&server, None, &raw).assert_problem(401, "unauthenticated");
        gateway(&server, Some("not-the-token-at-all-000000"), &raw)
            .assert_problem(401, "unauthenticated");
        gateway(&server, Some(TOKEN), "").assert_problem(422, "not-a-message");
        let r = gateway(&server, Some(TOKEN), &raw);
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body["outcome"], "request");
        assert_eq!(r.body["kind"], "delete");
        assert_eq!(r.body["route"], "library");
        assert_eq!(r.body["libraries"], json!(["riverbend"]));
        let again = gateway(&server, Some(TOKEN), &raw);
        assert_eq!(
            (again.status, again.body["outcome"].as_str()),
            (200, Some("duplicate"))
        );

        // The patron is told their library will handle it, and asked to confirm.
        let dir = outbox_dir(&server);
        let (to, subject, text) = wait_for_mail(&dir, |m| m.1.starts_with("Please confirm"));
        assert_eq!(to, "Ada.Quill@example.org");
        assert!(subject.contains("R-"), "{subject}");
        assert!(text.contains("Riverbend"), "{text}");
        let link = confirm_path(&text);

        // The library's queue has it; the director sees only where it went.
        let queue = get(
            &server.url("/api/v1/libraries/riverbend/requests?status=open"),
            Some(&admin_a),
        );
        assert_eq!(queue.status, 200, "{:?}", queue.body);
        let items = queue.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["status"], "awaiting_confirmation");
        assert_eq!(items[0]["subject"], "Please delete my library account");
        let id = items[0]["id"].as_i64().unwrap();
        get(
            &server.url("/api/v1/libraries/riverbend/requests"),
            Some(&admin_b),
        )
        .assert_problem(404, "not-found");
        get(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_b),
        )
        .assert_problem(404, "not-found");
        get(
            &server.url("/api/v1/libraries/riverbend/requests"),
            Some(&director),
        )
        .assert_problem(403, "forbidden");
        get(&server.url("/api/v1/director/requests"), Some(&admin_a))
            .assert_problem(403, "forbidden");
        get(&server.url("/api/v1/director/requests"), None).assert_problem(401, "unauthenticated");
        let inbox = get(&server.url("/api/v1/director/requests"), Some(&director));
        assert_eq!(
            inbox.body["items"],
            json!([]),
            "the patron's request is not in the director's inbox"
        );
        let log = get(
            &server.url("/api/v1/director/inbound-mail?route=library"),
            Some(&director),
        );
        assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(log.body["items"][0]["libraries"], json!(["riverbend"]));
        let shown = log.body.to_string();
        assert!(
            !shown.contains("Quill") && !shown.contains("delete my"),
            "the director's log shows the message: {shown}"
        );

        // Nothing changes before the sender confirms.
        patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"status": "in_progress"}),
        )
        .assert_problem(409, "status-change-not-allowed");
        let (status, page) = html(&server.url(&link), false);
        assert_eq!(status, 200);
        assert!(
            page.contains("<button"),
            "opening the link shows a button and changes nothing"
        );
        // It says what is being confirmed: the kind of request and its number.
        let number = format!("R-{}-{id}", page_library_id(&page));
        assert!(
            page.contains(&format!("<h1>Confirm request {number}</h1>")),
            "{page}"
        );
        assert!(
            page.contains("asks us to delete your account and the information held about you"),
            "{page}"
        );
        let still = get(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
        );
        assert_eq!(still.body["status"], "awaiting_confirmation");
        let (status, page) = html(&server.url(&link), true);
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("confirmed"));
        let (status, page) = html(&server.url(&link), true);
        assert_eq!(status, 410, "the link works once: {page}");
        assert!(
            page.contains("This link was already used")
                && page.contains(&format!("request {number} was confirmed")),
            "a spent link says so: {page}"
        );
        let (status, _) = html(&server.url("/requests/confirm/c1.nonsense"), false);
        assert_eq!(status, 404);

        // Staff work it, reply, and close it; the closing notice mentions backups.
        let r = patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"status": "in_progress", "due": "2026-12-01"}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["status"], "in_progress");
        patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"status": "archived"}),
        )
        .assert_problem(400, "invalid-parameter");
        let r = post(
            &server.url(&format!(
                "/api/v1/libraries/riverbend/requests/{id}/replies"
            )),
            Some(&admin_a),
            &json!({"text": "We are closing your account this week."}),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let (_, subject, text) =
            wait_for_mail(&dir, |m| m.2.contains("closing your account this week"));
        assert_eq!(subject, "Re: Please delete my library account");
        assert!(text.contains("backup media"), "{text}");
        let r = patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"status": "done", "note": "Your account and its history are deleted."}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        let actions: Vec<&str> = r.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "received",
                "confirmed",
                "status",
                "due",
                "replied",
                "status",
                "note",
                "replied"
            ]
        );
        let (_, subject, text) =
            wait_for_mail(&dir, |m| m.1.starts_with("Your request has been completed"));
        assert!(
            text.contains("backup media until those backups expire"),
            "{subject}: {text}"
        );
        // The note is internal: the notice says only the template's words.
        assert!(
            !text.contains("its history are deleted"),
            "the internal note was emailed: {text}"
        );
        assert!(text.contains("delete your account"), "{text}");
        patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"status": "in_progress"}),
        )
        .assert_problem(409, "status-change-not-allowed");

        // An unknown sender lands in the director's triage.
        let r = gateway(
            &server,
            Some(TOKEN),
            &message(
                "stranger@elsewhere.example",
                "req-2@elsewhere.example",
                "Wrong address on my card",
                "My street name is misspelled.",
            ),
        );
        assert_eq!(
            (r.body["route"].as_str(), r.body["kind"].as_str()),
            (Some("triage"), Some("correct"))
        );
        let triage = get(
            &server.url("/api/v1/director/requests?queue=triage"),
            Some(&director),
        );
        assert_eq!(triage.body["items"].as_array().unwrap().len(), 1);
        // Closing with a note and a notice: the requester gets the notice,
        // worded for someone who is not (as far as we know) a patron.
        let triage_id = triage.body["items"][0]["id"].as_i64().unwrap();
        let r = patch(
            &server.url(&format!("/api/v1/director/requests/{triage_id}")),
            Some(&director),
            &json!({"status": "rejected", "note": "Internal: no such card, probably spam.", "notice": "We could not find a library card under this address."}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        let (to, _, text) =
            wait_for_mail(&dir, |m| m.1.starts_with("Your request has been declined"));
        assert_eq!(to, "stranger@elsewhere.example");
        assert!(text.contains("We could not find a library card"), "{text}");
        assert!(
            !text.contains("probably spam"),
            "the internal note was emailed: {text}"
        );
        assert!(!text.contains("held about you"), "{text}");
        get(
            &server.url("/api/v1/director/requests?queue=nope"),
            Some(&director),
        )
        .assert_problem(400, "invalid-parameter");

        let log = server.log();
        for secret in [
            "Ada.Quill@example.org",
            "ada.quill@example.org",
            "Quillfeather",
            "delete my library account",
            "stranger@elsewhere.example",
        ] {
            assert!(!log.contains(secret), "the server log contains {secret:?}");
        }
    }
}

fn cli_with_stdin(server: &Server, args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut cmd = command(server.log_path.parent().unwrap());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &server.env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn mail_ingest_reads_standard_input_and_a_maildir_once() {
    let server = Server::start(Backend::Embedded, &[]);
    let out = cli_with_stdin(
        &server,
        &["mail", "ingest"],
        message(
            "someone@example.com",
            "s-1@example.com",
            "Update my phone",
            "I changed my phone number.",
        )
        .as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (shown["outcome"].as_str(), shown["kind"].as_str()),
        (Some("request"), Some("update"))
    );
    let out = cli_with_stdin(&server, &["mail", "ingest"], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an email message"));

    let maildir = tempfile::tempdir().unwrap();
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir(maildir.path().join(sub)).unwrap();
    }
    std::fs::write(
        maildir.path().join("new/1.host"),
        message(
            "a@example.com",
            "m-1@example.com",
            "Please fix my name",
            "It is misspelled.",
        ),
    )
    .unwrap();
    std::fs::write(maildir.path().join("new/2.host"), "From: a@example.com\r\nSubject: Out of Office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <m-2@example.com>\r\n\r\nAway.\r\n").unwrap();
    std::fs::write(
        maildir.path().join("cur/3.host:2,S"),
        message(
            "s@example.com",
            "s-1@example.com",
            "Update my phone",
            "dup of stdin",
        ),
    )
    .unwrap();
    let dir = maildir.path().to_str().unwrap();
    let out = server.cli(&["mail", "ingest", "--maildir", dir]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("3/3 messages"), "a progress line: {err}");
    assert!(
        err.contains("1 request") && err.contains("1 auto_reply") && err.contains("1 duplicate"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(maildir.path().join("new"))
            .unwrap()
            .count(),
        0,
        "taken-in mail moves to cur/"
    );
    assert_eq!(
        std::fs::read_dir(maildir.path().join("cur"))
            .unwrap()
            .count(),
        3
    );
    let out = server.cli(&["mail", "ingest", "--maildir", dir]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 duplicate"));
    let out = server.cli(&["mail", "ingest", "--maildir", "/nonexistent/maildir"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a Maildir has new/, cur/ and tmp/"));
}

#[test]
fn a_worker_killed_while_delivering_loses_nothing() {
    let Some(sink) = SmtpSink::start(SinkOptions {
        delay_secs: 0.15,
        ..SinkOptions::default()
    }) else {
        return;
    };
    for backend in backends() {
        let before = sink.messages().len();
        let url = sink.url();
        let server = Server::start(
            backend,
            &[
                ("CUSTODIAN__MAIL__INBOUND_TOKEN", TOKEN),
                ("CUSTODIAN__MAIL__WORKERS", "0"),
                ("CUSTODIAN__MAIL__SMTP_URL", &url),
                ("CUSTODIAN__MAIL__LEASE_SECS", "3"),
                ("CUSTODIAN__MAIL__POLL_SECS", "1"),
            ],
        );
        let n = 24;
        for i in 0..n {
            let r = gateway(
                &server,
                Some(TOKEN),
                &message(
                    &format!("sender{i}@example.net"),
                    &format!("k-{i}@example.net"),
                    "Please correct my name",
                    "It is wrong.",
                ),
            );
            assert_eq!(r.status, 201);
        }
        let worker = |server: &Server| {
            let mut cmd = command(server.log_path.parent().unwrap());
            cmd.args(["mail", "work"])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            for (k, v) in &server.env {
                cmd.env(k, v);
            }
            cmd.env("CUSTODIAN__MAIL__SMTP_URL", &url)
                .env("CUSTODIAN__MAIL__LEASE_SECS", "3")
                .env("CUSTODIAN__MAIL__POLL_SECS", "1");
            cmd.spawn().unwrap()
        };
        let mut first = worker(&server);
        let deadline = Instant::now() + Duration::from_secs(30);
        while sink.messages().len() - before < 4 {
            assert!(
                Instant::now() < deadline,
                "the first worker delivered nothing"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        first.kill().unwrap(); // SIGKILL, mid-delivery
        first.wait().unwrap();
        let at_kill = sink.messages().len() - before;
        assert!(at_kill < n, "killed before the end ({at_kill} of {n})");
        // Two workers now, racing for what is left and for the dead worker's claims.
        let mut second = worker(&server);
        let mut third = worker(&server);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let all = &sink.messages()[before..];
            let ids: BTreeSet<String> = all.iter().filter_map(|m| m.header("Message-ID")).collect();
            if ids.len() == n {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} messages delivered",
                ids.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(500));
        for w in [&mut second, &mut third] {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(w.id().to_string())
                .status();
            w.wait().unwrap();
        }
        let all = &sink.messages()[before..];
        let ids: BTreeSet<String> = all.iter().filter_map(|m| m.header("Message-ID")).collect();
        assert_eq!(ids.len(), n, "{backend:?}: every message delivered");
        // Only the messages in the dead worker's hands can come twice, with
        // the same Message-ID: at most one per connection it had open
        // (mail.parallel, 8 by default).
        let twice = all.len() - n;
        eprintln!("{backend:?}: {n} messages, {at_kill} delivered before the kill, {twice} delivered twice");
        assert!(twice <= 8, "{backend:?}: {twice} duplicates");
        let director = server.sign_in(DIRECTOR);
        let sent = get(
            &server.url("/api/v1/director/outbox?status=sent&limit=200"),
            Some(&director),
        );
        assert_eq!(
            sent.body["items"].as_array().unwrap().len(),
            n,
            "{:?}",
            sent.body
        );
    }
}

#[test]
fn nul_bytes_are_taken_in_and_what_is_not_a_message_is_refused() {
    for backend in backends() {
        let server = Server::start(backend, &[("CUSTODIAN__MAIL__INBOUND_TOKEN", TOKEN)]);
        let director = server.sign_in(DIRECTOR);
        let url = server.url("/api/v1/director/inbound-mail");
        // NULs in the headers and the body: taken in, not a 5xx a gateway retries forever.
        let nul = "From: Nul\0 Sender <nul.sender@example.org\0>\r\nTo: director@evergreen.example.org\r\nSubject: Please fix\0 my name\r\nMessage-ID: <nul\0-1@example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nX-Junk: a\0b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMy name is wr\0ong.\0\r\n";
        let r = post_bytes_auth(&url, TOKEN, "message/rfc822", nul.as_bytes());
        assert_eq!(r.status, 201, "{backend:?}: {:?}", r.body);
        assert_eq!(r.body["kind"], "correct", "{:?}", r.body);
        let auto = "From: away@example.org\r\nSubject: Away\0\r\nMessage-ID: <nul-2@example.org>\r\nAuto-Submitted: auto-replied\0\0\r\n\r\nAway\0.\r\n";
        let r = post_bytes_auth(&url, TOKEN, "message/rfc822", auto.as_bytes());
        assert_eq!(
            (r.status, r.body["outcome"].as_str()),
            (201, Some("auto_reply")),
            "{backend:?}: {:?}",
            r.body
        );
        let out = cli_with_stdin(
            &server,
            &["mail", "ingest"],
            b"From: nul.cli@example.org\0\r\nSubject: Delete\0 my account\r\nMessage-ID: <nul-3\0@example.org>\r\n\r\nPlease\0 delete it.\r\n",
        );
        assert!(
            out.status.success(),
            "{backend:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(shown["kind"], "delete", "{shown}");
        let triage = get(
            &server.url("/api/v1/director/requests?queue=triage"),
            Some(&director),
        );
        let items = triage.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{:?}", triage.body);
        assert!(items.iter().any(
            |i| i["subject"] == "Please fix my name" && i["sender"] == "nul.sender@example.org"
        ));

        // Not a message: 422, and nothing lands in any queue or the ledger.
        let garbage: [&[u8]; 7] = [
            b"Hello, please delete my account.\r\n",
            b"\x00\x00\x00\x00",
            b"\xff\xfe\x00\x01random\x9a\x9b bytes\r\n\r\n",
            b"Subject: hello\r\nMessage-ID: <no-from@example.org>\r\n\r\nNo From.\r\n",
            b"From: only@example.org\r\n\r\nJust a From.\r\n",
            b"Dear library,\r\nFrom: me@example.org\r\nSubject: delete\r\n\r\nplease\r\n",
            b" From: folded@example.org\r\nSubject: x\r\n\r\ny\r\n",
        ];
        for g in garbage {
            let r = post_bytes_auth(&url, TOKEN, "message/rfc822", g);
            r.assert_problem(422, "not-a-message");
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains("not an email message"), "{detail}");
        }
        let out = cli_with_stdin(&server, &["mail", "ingest"], b"just some text\n");
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("refused"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let maildir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir(maildir.path().join(sub)).unwrap();
        }
        std::fs::write(
            maildir.path().join("new/1.host"),
            b"random text, no headers\n",
        )
        .unwrap();
        std::fs::write(
            maildir.path().join("new/2.host"),
            message(
                "m@example.org",
                "md-1@example.org",
                "Question",
                "When do you open?",
            ),
        )
        .unwrap();
        let out = server.cli(&[
            "mail",
            "ingest",
            "--maildir",
            maildir.path().to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{backend:?}: {err}");
        assert!(
            err.contains("1 request") && err.contains("1 refused"),
            "{err}"
        );
        assert!(maildir.path().join("refused/1.host").exists(), "{err}");
        let all = get(&server.url("/api/v1/director/requests"), Some(&director));
        assert_eq!(
            all.body["items"].as_array().unwrap().len(),
            3,
            "{:?}",
            all.body
        );
        let ledger = get(
            &server.url("/api/v1/director/inbound-mail"),
            Some(&director),
        );
        assert_eq!(
            ledger.body["items"].as_array().unwrap().len(),
            4,
            "{:?}",
            ledger.body
        );
        assert!(!server.log().contains("nul.sender"));
    }
}

/// Every timestamp in `v` (a key `at` or ending in `_at`) is RFC 3339 in UTC
/// with a `Z`; returns how many there were.
fn utc_timestamps(v: &Value, path: &str) -> usize {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| {
                let here = format!("{path}.{k}");
                if k == "at" || k.ends_with("_at") {
                    if let Value::String(s) = x {
                        assert!(s.ends_with('Z'), "{here} = {s:?} has no Z");
                        assert!(
                            chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                            "{here} = {s:?} is not RFC 3339"
                        );
                        return 1;
                    }
                    assert!(x.is_null(), "{here} = {x} is not a timestamp");
                    return 0;
                }
                utc_timestamps(x, &here)
            })
            .sum(),
        Value::Array(a) => a.iter().map(|x| utc_timestamps(x, path)).sum(),
        _ => 0,
    }
}

#[test]
fn every_timestamp_is_rfc3339_in_utc() {
    for backend in backends() {
        let server = Server::start(
            backend,
            &[
                ("CUSTODIAN__MAIL__INBOUND_TOKEN", TOKEN),
                ("CUSTODIAN__MAIL__POLL_SECS", "1"),
            ],
        );
        let signed_in = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": ADMIN_A, "password": server.password(ADMIN_A)}),
        );
        assert_eq!(signed_in.status, 200, "{:?}", signed_in.body);
        assert_eq!(
            utc_timestamps(&signed_in.body, "sign-in"),
            1,
            "{:?}",
            signed_in.body
        );
        let admin_a = server.sign_in(ADMIN_A);
        let r = post(
            &server.url("/api/v1/libraries/riverbend/patrons"),
            Some(&admin_a),
            &json!({"card_number": "21000555001", "pin": "4321", "name": "Ada Quillfeather", "email": "ada.quill@example.org"}),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let patron = r.body["id"].as_i64().unwrap();

        // Inputs take an offset as well as the old form without one (UTC).
        let feed = format!(
            "{}\n{}",
            r#"{"kind":"circulation","source":"ils","external_id":"T1","occurred_at":"2026-10-01T10:00:00-05:00","item":"Title","branch":"Main","card_number":"21000555001"}"#,
            r#"{"kind":"circulation","source":"ils","external_id":"T2","occurred_at":"2026-10-02T10:00:00","item":"Title","branch":"Main","card_number":"21000555001"}"#
        );
        let fed = post_raw_auth(
            &server.url("/api/v1/libraries/riverbend/records/feed"),
            &admin_a,
            "application/x-ndjson",
            &feed,
        );
        assert_eq!(fed.status, 201, "{:?}", fed.body);
        let read = get(
            &server.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{patron}/records?purpose=overdue%20notice"
            )),
            Some(&admin_a),
        );
        assert_eq!(read.status, 200, "{:?}", read.body);
        let shown: BTreeSet<String> = read.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["occurred_at"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            shown,
            BTreeSet::from([
                "2026-10-01T15:00:00.000000Z".to_owned(),
                "2026-10-02T10:00:00.000000Z".to_owned()
            ]),
            "{:?}",
            read.body
        );
        assert!(utc_timestamps(&read.body, "records") >= 2);

        // The patron's export.
        let token = {
            let r = post(
                &server.url("/api/v1/libraries/riverbend/patron/sign-in"),
                None,
                &json!({"card_number": "21000555001", "pin": "4321"}),
            );
            assert_eq!(r.status, 200, "{:?}", r.body);
            assert_eq!(utc_timestamps(&r.body, "patron sign-in"), 1);
            r.body["token"].as_str().unwrap().to_owned()
        };
        let export = get(&server.url("/api/v1/patron/me/export"), Some(&token));
        assert_eq!(export.status, 200, "{:?}", export.body);
        // exported_at, created_at, updated_at, two records' times, access log entries.
        assert!(
            utc_timestamps(&export.body, "export") >= 6,
            "{:?}",
            export.body
        );

        // The audit list.
        let audit = get(
            &server.url("/api/v1/libraries/riverbend/audit"),
            Some(&admin_a),
        );
        assert_eq!(audit.status, 200, "{:?}", audit.body);
        assert!(
            utc_timestamps(&audit.body, "audit") >= 3,
            "{:?}",
            audit.body
        );

        // A request list, and a due date given with an offset.
        let raw = message(
            "Ada Quillfeather <Ada.Quill@example.org>",
            "ts-1@mail.example.org",
            "Please correct my address",
            "My address is wrong, please correct it.",
        );
        let r = gateway(&server, Some(TOKEN), &raw);
        assert_eq!(r.status, 201, "{:?}", r.body);
        let queue = get(
            &server.url("/api/v1/libraries/riverbend/requests"),
            Some(&admin_a),
        );
        assert_eq!(queue.status, 200, "{:?}", queue.body);
        assert!(
            utc_timestamps(&queue.body, "requests") >= 3,
            "{:?}",
            queue.body
        );
        let id = queue.body["items"][0]["id"].as_i64().unwrap();
        let dir = outbox_dir(&server);
        let (_, _, text) = wait_for_mail(&dir, |m| m.1.starts_with("Please confirm"));
        let expires = text
            .split("expires at ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .map(|t| t.trim_end_matches('.'))
            .unwrap_or_default()
            .to_owned();
        assert!(
            expires.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(&expires).is_ok(),
            "the confirmation mail says the link expires at {expires:?}"
        );
        let link = confirm_path(&text);
        let (status, _) = html(&server.url(&link), true);
        assert_eq!(status, 200);
        let changed = patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"status": "in_progress", "due": "2026-12-31T17:00:00-06:00"}),
        );
        assert_eq!(changed.status, 200, "{:?}", changed.body);
        assert_eq!(
            changed.body["due_at"], "2026-12-31T23:00:00.000000Z",
            "{:?}",
            changed.body
        );
        let due_event = changed.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "due")
            .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        assert!(
            due_event.ends_with("→ 2026-12-31T23:00:00.000000Z"),
            "the history says {due_event:?}"
        );
        let day = patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"due": "2027-01-15"}),
        );
        assert_eq!(day.status, 200, "{:?}", day.body);
        assert_eq!(
            day.body["due_at"], "2027-01-15T23:59:59.000000Z",
            "{:?}",
            day.body
        );
        patch(
            &server.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&admin_a),
            &json!({"due": "next week"}),
        )
        .assert_problem(400, "malformed-body");
    }
}
