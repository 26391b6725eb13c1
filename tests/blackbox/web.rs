//! HTTP-wide behaviour only a process shows: `custodian config` showing
//! every setting, and one public base URL for every subcommand. Headers on
//! every response and 405 with `Allow` run in process (tests/app/web.rs).

use crate::blackbox::harness::*;
use serde_json::json;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";

#[test]
fn config_shows_every_setting_unset_ones_as_unset_and_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .arg("config")
        .env(
            "CUSTODIAN__MAIL__INBOUND_TOKEN",
            "gateway-secret-0123456789abcdef",
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (section, key) in [
        ("server", "public_url"),
        ("mail", "smtp_url"),
        ("redis", "url"),
        ("database", "owner_url"),
        ("database", "app_password"),
        ("encryption", "keys"),
    ] {
        let at = text
            .find(&format!("[{section}]\n"))
            .unwrap_or_else(|| panic!("[{section}] in\n{text}"));
        let rest = &text[at + section.len() + 3..];
        let block = &rest[..rest.find("\n[").unwrap_or(rest.len())];
        assert!(
            block.contains(&format!("# {key} = unset")),
            "{section}.{key}:\n{text}"
        );
    }
    assert!(!text.contains("gateway-secret-0123456789abcdef"), "{text}");
    assert!(text.contains("inbound_token = \"[redacted]\""), "{text}");
    assert!(!text.contains("# inbound_token = unset"), "{text}");
    toml::from_str::<toml::Value>(&text).expect("config prints valid TOML");
}

fn wait_for_link(dir: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let raw = std::fs::read(e.path()).unwrap_or_default();
            let Some(m) = mail_parser::MessageParser::default().parse(&raw) else {
                continue;
            };
            let text = m.body_text(0).unwrap_or_default().into_owned();
            if let Some(at) = text.find("/requests/confirm/") {
                let start = text[..at].rfind(char::is_whitespace).map_or(0, |i| i + 1);
                return text[start..].split_whitespace().next().unwrap().to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no confirmation mail in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn mail_ingest_writes_links_to_the_public_url() {
    for backend in backends() {
        let server = Server::start(backend, &[("CUSTODIAN__MAIL__POLL_SECS", "1")]);
        let admin = server.sign_in(ADMIN_A);
        let r = post(
            &server.url("/api/v1/libraries/riverbend/patrons"),
            Some(&admin),
            &json!({"card_number": "21000222001", "pin": "4321", "name": "Lin Link", "email": "lin.link@example.org"}),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let raw = "From: lin.link@example.org\r\nTo: director@evergreen.example.org\r\nSubject: Please delete my library account\r\nMessage-ID: <pub-1@example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease delete my account.\r\n";
        let mut cmd = command(server.log_path.parent().unwrap());
        cmd.args(["mail", "ingest"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &server.env {
            cmd.env(k, v);
        }
        cmd.env("CUSTODIAN__SERVER__PUBLIC_URL", "https://lib.example.org");
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(raw.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let outbox = server
            .log_path
            .parent()
            .unwrap()
            .join("data")
            .join("outbox");
        let link = wait_for_link(&outbox);
        assert!(
            link.starts_with("https://lib.example.org/requests/confirm/"),
            "{link}"
        );
    }
}

#[test]
fn listening_beyond_loopback_without_a_public_url_warns() {
    let server = Server::start(
        Backend::Embedded,
        &[("CUSTODIAN__SERVER__BIND", "0.0.0.0:0")],
    );
    std::thread::sleep(Duration::from_millis(200));
    let log = server.log();
    assert!(log.contains("server.public_url is unset"), "{log}");
    let quiet = Server::start(Backend::Embedded, &[]);
    assert!(!quiet.log().contains("server.public_url is unset"));

    let mut cmd = command(server.log_path.parent().unwrap());
    cmd.args(["mail", "work", "--once"]);
    for (k, v) in &server.env {
        cmd.env(k, v);
    }
    cmd.env("CUSTODIAN__SERVER__BIND", "0.0.0.0:8080");
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.public_url is unset"), "{stderr}");
}
