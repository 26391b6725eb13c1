//! SIP2 against the real binary: `custodian serve` with `sip2.bind` on a free
//! port; a vendor and its key made over REST by the library's admin; then
//! login, Patron Status and Patron Information over TCP, answered from the
//! same function as the REST check, with only the granted fields.
//!
//! Needs `custody::vendors` and its routes (#14, slice C1): register it in
//! `blackbox/mod.rs` (`mod sip2;`) once they are merged.

use crate::blackbox::harness::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tenant_api::sip2::codec::checksum;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const CARD: &str = "21000888001";
const PIN: &str = "8642";
const NAME: &str = "Vera Vendorcheck";
const EMAIL: &str = "vera.v@example.org";

/// The SIP2 address `serve` logged at start.
fn sip2_address(server: &Server) -> String {
    let log = server.log();
    log.lines()
        .find(|l| l.contains("custodian sip2 listening"))
        .and_then(|l| l.split("address=").nth(1))
        .map(|a| a.split_whitespace().next().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no SIP2 address in the log:\n{log}"))
}

struct Sip {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Sip {
    fn connect(address: &str) -> Sip {
        let stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Sip {
            stream,
            pending: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn recv(&mut self) -> String {
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\r') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                return String::from_utf8(line[..i].to_vec()).unwrap();
            }
            let mut chunk = [0u8; 1024];
            let n = self.stream.read(&mut chunk).expect("an answer within 10 s");
            assert!(n > 0, "the listener closed the connection");
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }

    fn ask(&mut self, bytes: &[u8]) -> String {
        self.send(bytes);
        self.recv()
    }
}

fn checked(body: &str, seq: u8) -> Vec<u8> {
    let mut s = format!("{body}AY{seq}AZ");
    let sum = checksum(s.as_bytes());
    s.push_str(&sum);
    s.push('\r');
    s.into_bytes()
}

const DATE: &str = "20261202    101010";

fn field<'a>(answer: &'a str, id: &str) -> Option<&'a str> {
    let fixed = match &answer[..2] {
        "24" => 37,
        "64" => 61,
        _ => 2,
    };
    answer
        .get(fixed..)?
        .split('|')
        .find_map(|f| f.strip_prefix(id))
}

fn assert_trailer(answer: &str, seq: u8, on: &str) {
    let at = answer.rfind("AZ").unwrap();
    assert_eq!(
        &answer[at + 2..],
        checksum(&answer.as_bytes()[..at + 2]),
        "{on}: {answer:?}"
    );
    assert_eq!(&answer[at - 3..at], format!("AY{seq}"), "{on}: {answer:?}");
}

/// A vendor of riverbend granted `fields`, and a key for it: (key id, secret).
fn vendor_key(server: &Server, admin: &str, name: &str, fields: &[&str]) -> (String, String) {
    let made = post(
        &server.url("/api/v1/libraries/riverbend/vendors"),
        Some(admin),
        &json!({
            "name": name,
            "service": "e-books",
            "privacy_policy_url": "https://vendor.example/privacy",
            "contract_starts": "2020-01-01",
            "contract_ends": "2099-12-31",
            "fields": fields,
            "purpose": "patron authentication for e-book loans",
        }),
    );
    assert_eq!(made.status, 201, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let key = post(
        &server.url(&format!("/api/v1/libraries/riverbend/vendors/{id}/keys")),
        Some(admin),
        &json!({}),
    );
    assert_eq!(key.status, 201, "{:?}", key.body);
    (
        key.body["id"].as_str().unwrap().to_owned(),
        key.body["secret"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn sip2_login_patron_status_and_information_against_the_binary() {
    for backend in backends() {
        let on = format!("{backend:?}");
        let server = Server::start(backend, &[("CUSTODIAN__SIP2__BIND", "127.0.0.1:0")]);
        let address = sip2_address(&server);
        let admin = server.sign_in(ADMIN);
        register(
            &server,
            &admin,
            "riverbend",
            json!({"card_number": CARD, "pin": PIN, "name": NAME, "email": EMAIL, "birth_date": "1980-02-03"}),
        );
        let (wide_id, wide_secret) = vendor_key(
            &server,
            &admin,
            "Books Online",
            &["card_valid", "name", "email", "expires_on"],
        );
        let (narrow_id, narrow_secret) =
            vendor_key(&server, &admin, "Homework Help", &["card_valid"]);

        let mut sip = Sip::connect(&address);
        // A wrong secret, then the right one.
        let refused = sip.ask(&checked(&format!("9300CN{wide_id}|COnot-the-secret|"), 0));
        assert!(refused.starts_with("940"), "{on}: {refused:?}");
        let ok = sip.ask(&checked(
            &format!("9300CN{wide_id}|CO{wide_secret}|CPmain|"),
            1,
        ));
        assert!(ok.starts_with("941"), "{on}: {ok:?}");
        assert_trailer(&ok, 1, &on);

        let a = sip.ask(&checked(
            &format!("23000{DATE}AOriverbend|AA{CARD}|AC|AD{PIN}|"),
            2,
        ));
        assert!(a.starts_with("24"), "{on}: {a:?}");
        assert_trailer(&a, 2, &on);
        assert_eq!(field(&a, "BL"), Some("Y"), "{on}: {a:?}");
        assert_eq!(field(&a, "CQ"), Some("Y"), "{on}: {a:?}");
        assert_eq!(field(&a, "AE"), Some(NAME), "{on}: {a:?}");
        assert_eq!(field(&a, "BE"), Some(EMAIL), "{on}: {a:?}");
        assert_eq!(field(&a, "AO"), Some("riverbend"), "{on}: {a:?}");

        let i = sip.ask(&checked(
            &format!("63000{DATE}          AOriverbend|AA{CARD}|AD{PIN}|"),
            3,
        ));
        assert!(i.starts_with("64"), "{on}: {i:?}");
        assert_trailer(&i, 3, &on);
        assert_eq!(field(&i, "AE"), Some(NAME), "{on}: {i:?}");
        assert!(
            field(&i, "AQ").is_none() && field(&i, "PC").is_none(),
            "{on}: not granted: {i:?}"
        );

        let wrong = sip.ask(&checked(
            &format!("23000{DATE}AOriverbend|AA{CARD}|AD0000|"),
            4,
        ));
        assert_eq!(field(&wrong, "BL"), Some("N"), "{on}: {wrong:?}");
        assert_eq!(field(&wrong, "CQ"), Some("N"), "{on}: {wrong:?}");
        assert!(!wrong.contains(NAME), "{on}: {wrong:?}");
        let unknown = sip.ask(&checked(
            &format!("23000{DATE}AOriverbend|AA29999999999|"),
            5,
        ));
        assert_eq!(field(&unknown, "BL"), Some("N"), "{on}: {unknown:?}");

        // A bad checksum is answered 96 and the connection goes on.
        let mut bad = checked(&format!("23000{DATE}AOriverbend|AA{CARD}|"), 6);
        let n = bad.len();
        bad[n - 2] = if bad[n - 2] == b'0' { b'1' } else { b'0' };
        assert!(sip.ask(&bad).starts_with("96"), "{on}");
        // Split across writes.
        let whole = checked(&format!("23000{DATE}AOriverbend|AA{CARD}|"), 7);
        let (head, tail) = whole.split_at(whole.len() / 2);
        sip.send(head);
        std::thread::sleep(Duration::from_millis(50));
        let split = sip.ask(tail);
        assert_eq!(field(&split, "BL"), Some("Y"), "{on}: {split:?}");

        // The key granted only card_valid sees nothing about the patron.
        let mut narrow = Sip::connect(&address);
        assert!(narrow
            .ask(&checked(
                &format!("9300CN{narrow_id}|CO{narrow_secret}|"),
                0
            ))
            .starts_with("941"));
        let a = narrow.ask(&checked(
            &format!("63000{DATE}          AOriverbend|AA{CARD}|AD{PIN}|"),
            1,
        ));
        assert_eq!(field(&a, "BL"), Some("Y"), "{on}: {a:?}");
        for id in ["AE", "BE", "AQ", "PA", "PC"] {
            assert_eq!(field(&a, id), None, "{on}: {id}: {a:?}");
        }

        // The patron sees the checks in their access log; the server's log holds none of it.
        let patron = patron_sign_in(&server, "riverbend", CARD, PIN);
        assert_eq!(patron.status, 200, "{on}: {:?}", patron.body);
        let token = patron.body["token"].as_str().unwrap();
        let log = get(&server.url("/api/v1/patron/me/access-log"), Some(token));
        let text = log.body.to_string();
        assert!(
            text.contains("Books Online checked your card for e-books"),
            "{on}: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
        let server_log = server.log();
        for s in [CARD, PIN, NAME, EMAIL, wide_secret.as_str()] {
            assert!(!server_log.contains(s), "{on}: {s:?} reached the log");
        }
    }
}

#[test]
fn a_hundred_sip2_connections_against_the_binary() {
    for backend in backends() {
        let on = format!("{backend:?}");
        let server = Server::start(backend, &[("CUSTODIAN__SIP2__BIND", "127.0.0.1:0")]);
        let address = sip2_address(&server);
        let admin = server.sign_in(ADMIN);
        register(
            &server,
            &admin,
            "riverbend",
            json!({"card_number": CARD, "pin": PIN, "name": NAME, "email": EMAIL, "birth_date": "1980-02-03"}),
        );
        let (id, secret) = vendor_key(&server, &admin, "Books Online", &["card_valid"]);
        let threads: Vec<_> = (0..100)
            .map(|n| {
                let (address, id, secret) = (address.clone(), id.clone(), secret.clone());
                std::thread::spawn(move || {
                    let mut sip = Sip::connect(&address);
                    let ok = sip.ask(&checked(&format!("9300CN{id}|CO{secret}|"), (n % 10) as u8));
                    assert!(ok.starts_with("941"), "{ok:?}");
                    let a = sip.ask(&checked(&format!("23000{DATE}AOriverbend|AA{CARD}|"), 1));
                    assert_eq!(field(&a, "BL"), Some("Y"), "{a:?}");
                })
            })
            .collect();
        for t in threads {
            t.join()
                .unwrap_or_else(|_| panic!("{on}: a connection failed"));
        }
    }
}
