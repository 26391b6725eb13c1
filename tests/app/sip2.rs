//! The SIP2 listener in process, over TCP, against a fake patron desk:
//! login, SC Status, Patron Status and Patron Information with only the
//! granted fields, checksums and sequence numbers, malformed messages, split
//! and joined reads, the throttle, and 100 connections at once.
//!
//! The desk is a fake (custody's vendors are wired in `custody_desk.rs`); the
//! throttle runs in process and, when `CUSTODIAN_TEST_REDIS_URL` is set, again
//! on Redis, so every test runs on both; a failure names which.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tenant_api::sip2::codec::checksum;
use tenant_api::sip2::desk::CallerToken;
use tenant_api::sip2::{Answer, Caller, Config, DeskError, Limits, Listener, PatronDesk, Refused};
use tenant_api::throttle::Throttle;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "s3cret-s3cret";
const CARD: &str = "21000000000001";
const PIN: &str = "2468";

/// Keys: `cvk_all` is granted every field, `cvk_card` only `card_valid`,
/// `cvk_ended` logs in but its contract ends before the first check.
#[derive(Default)]
struct FakeDesk {
    logins: AtomicUsize,
    checks: AtomicUsize,
}

impl PatronDesk for FakeDesk {
    fn login(&self, user: &str, password: &str) -> Result<Caller, Refused> {
        self.logins.fetch_add(1, Ordering::SeqCst);
        let fields: &[&str] = match user {
            "cvk_all" => &[
                "card_valid",
                "name",
                "email",
                "home_branch",
                "age_band",
                "expires_on",
            ],
            "cvk_card" | "cvk_ended" => &["card_valid"],
            _ => return Err(Refused::BadCredentials),
        };
        if password != SECRET {
            return Err(Refused::BadCredentials);
        }
        Ok(Caller {
            key_id: user.into(),
            institution: "7".into(),
            vendor_name: "Books Online".into(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            token: CallerToken(Arc::new(())),
        })
    }

    fn status(&self, caller: &Caller, card: &str, pin: Option<&str>) -> Result<Answer, DeskError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        if caller.key_id == "cvk_ended" {
            return Err(DeskError::KeyEnded);
        }
        let known = card == CARD;
        let pin_valid = pin.map(|p| known && p == PIN);
        let valid = known && pin_valid != Some(false);
        let granted = |f: &str| caller.fields.iter().any(|g| g == f);
        let give = |f: &str, v: &str| (valid && granted(f)).then(|| v.to_owned());
        Ok(Answer {
            valid,
            pin_valid,
            card_valid: granted("card_valid").then_some(valid),
            name: give("name", "Ada Reader"),
            email: give("email", "ada@example.org"),
            home_branch: give("home_branch", "Main"),
            age_band: give("age_band", "adult"),
            expires_on: give("expires_on", "2027-06-30"),
        })
    }
}

/// A listener on a free port with a fresh fake desk and `throttle`.
struct Served {
    listener: Listener,
    desk: Arc<FakeDesk>,
}

fn limits() -> Limits {
    Limits {
        per_subject: 3,
        per_address: 50,
        window: Duration::from_secs(60),
    }
}

async fn serve(throttle: Arc<Throttle>, idle: Duration, max_connections: usize) -> Served {
    let desk = Arc::new(FakeDesk::default());
    let bound = Listener::bind("127.0.0.1:0").await.unwrap();
    let config = Config {
        idle,
        max_connections,
        limits: limits(),
    };
    let listener = Listener::start(bound, desk.clone(), throttle, config).unwrap();
    Served { listener, desk }
}

/// The throttles to run on: in process, and Redis when configured.
async fn throttles() -> Vec<(&'static str, Arc<Throttle>)> {
    let mut v = vec![("in-process throttle", Arc::new(Throttle::local()))];
    if let Some(url) = testkit::redis_url() {
        let manager = redis::Client::open(url)
            .unwrap()
            .get_connection_manager()
            .await
            .unwrap();
        let prefix = format!("custodian-test:sip2:{}:", rand::random::<u64>());
        v.push(("redis throttle", Arc::new(Throttle::Redis(manager, prefix))));
    }
    v
}

/// `body` with `AY{seq}AZ` and its checksum.
fn checked(body: &str, seq: u8) -> Vec<u8> {
    let mut s = format!("{body}AY{seq}AZ");
    let sum = checksum(s.as_bytes());
    s.push_str(&sum);
    s.push('\r');
    s.into_bytes()
}

const DATE: &str = "20261202    101010";

fn login(user: &str, password: &str, seq: u8) -> Vec<u8> {
    checked(&format!("9300CN{user}|CO{password}|CPmain|"), seq)
}

fn patron_status(card: &str, pin: Option<&str>, seq: u8) -> Vec<u8> {
    let pin = pin.map(|p| format!("AD{p}|")).unwrap_or_default();
    checked(&format!("23000{DATE}AOinst7|AA{card}|AC|{pin}"), seq)
}

fn patron_information(card: &str, pin: Option<&str>, seq: u8) -> Vec<u8> {
    let pin = pin.map(|p| format!("AD{p}|")).unwrap_or_default();
    checked(&format!("63000{DATE}          AOinst7|AA{card}|{pin}"), seq)
}

struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Client {
    async fn connect(served: &Served) -> Client {
        Client {
            stream: TcpStream::connect(served.listener.address()).await.unwrap(),
            pending: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next answer, without its CR; panics after 10 s.
    async fn recv(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(i) = self.pending.iter().position(|&b| b == b'\r') {
                    let line: Vec<u8> = self.pending.drain(..=i).collect();
                    return String::from_utf8(line[..i].to_vec()).unwrap();
                }
                let mut chunk = [0u8; 1024];
                let n = self.stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the listener closed the connection");
                self.pending.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .expect("an answer within 10 s")
    }

    async fn ask(&mut self, bytes: &[u8]) -> String {
        self.send(bytes).await;
        self.recv().await
    }

    /// Whether the listener closed the connection within `wait`.
    async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut chunk = [0u8; 64];
        matches!(
            tokio::time::timeout(wait, self.stream.read(&mut chunk)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// The value of field `id` in an answer (after its command's fixed fields).
fn field<'a>(answer: &'a str, id: &str) -> Option<&'a str> {
    let fixed = match &answer[..2] {
        "24" => 37,
        "64" => 61,
        "98" => 36,
        "36" => 21,
        _ => 2,
    };
    answer
        .get(fixed..)?
        .split('|')
        .find_map(|f| f.strip_prefix(id))
}

/// The answer's checksum holds, and its AY is `seq`.
fn assert_trailer(answer: &str, seq: u8, on: &str) {
    let at = answer
        .rfind("AZ")
        .unwrap_or_else(|| panic!("{on}: no AZ in {answer:?}"));
    assert_eq!(
        &answer[at + 2..],
        checksum(&answer.as_bytes()[..at + 2]),
        "{on}: {answer:?}"
    );
    assert_eq!(&answer[at - 3..at], format!("AY{seq}"), "{on}: {answer:?}");
}

#[tokio::test]
async fn login_then_patron_status_and_information_answer_only_the_granted_fields() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_secs(60), 16).await;
        let mut c = Client::connect(&served).await;
        let ok = c.ask(&login("cvk_all", SECRET, 1)).await;
        assert!(ok.starts_with("941"), "{on}: {ok:?}");
        assert_trailer(&ok, 1, on);

        let a = c.ask(&patron_status(CARD, Some(PIN), 2)).await;
        assert!(a.starts_with("24"), "{on}: {a:?}");
        assert_trailer(&a, 2, on);
        assert_eq!(&a[2..16], " ".repeat(14), "{on}: in good standing: {a:?}");
        for (id, want) in [
            ("AO", "inst7"),
            ("AA", CARD),
            ("BL", "Y"),
            ("CQ", "Y"),
            ("AE", "Ada Reader"),
            ("BE", "ada@example.org"),
            ("AQ", "Main"),
            ("PC", "adult"),
            ("PA", "20270630   Z000000"),
        ] {
            assert_eq!(field(&a, id), Some(want), "{on}: {id} in {a:?}");
        }

        let i = c.ask(&patron_information(CARD, Some(PIN), 3)).await;
        assert!(i.starts_with("64"), "{on}: {i:?}");
        assert_trailer(&i, 3, on);
        assert_eq!(field(&i, "AE"), Some("Ada Reader"), "{on}: {i:?}");
        assert_eq!(field(&i, "BL"), Some("Y"), "{on}: {i:?}");

        // A wrong PIN: BL and CQ both N, and nothing about the patron.
        let w = c.ask(&patron_status(CARD, Some("0000"), 4)).await;
        assert_eq!(field(&w, "BL"), Some("N"), "{on}: {w:?}");
        assert_eq!(field(&w, "CQ"), Some("N"), "{on}: {w:?}");
        assert_eq!(field(&w, "AE"), None, "{on}: {w:?}");
        // No PIN sent: no CQ.
        let n = c.ask(&patron_status(CARD, None, 5)).await;
        assert_eq!(field(&n, "BL"), Some("Y"), "{on}: {n:?}");
        assert_eq!(field(&n, "CQ"), None, "{on}: {n:?}");
        // An unknown card.
        let u = c.ask(&patron_information("999", None, 6)).await;
        assert_eq!(field(&u, "BL"), Some("N"), "{on}: {u:?}");
        assert_eq!(&u[2..6], "YYYY", "{on}: privileges denied: {u:?}");

        // A key granted only card_valid sees BL and nothing else about the patron.
        let mut narrow = Client::connect(&served).await;
        assert!(narrow
            .ask(&login("cvk_card", SECRET, 0))
            .await
            .starts_with("941"));
        for asked in [
            patron_status(CARD, Some(PIN), 1),
            patron_information(CARD, Some(PIN), 2),
        ] {
            let a = narrow.ask(&asked).await;
            assert_eq!(field(&a, "BL"), Some("Y"), "{on}: {a:?}");
            assert_eq!(field(&a, "CQ"), Some("Y"), "{on}: {a:?}");
            for id in ["AE", "BE", "AQ", "PA", "PC"] {
                assert_eq!(field(&a, id), None, "{on}: {id} is not granted: {a:?}");
            }
            assert!(
                !a.contains("Ada") && !a.contains("example.org"),
                "{on}: {a:?}"
            );
        }
        served.listener.shutdown().await;
    }
}

#[tokio::test]
async fn sc_status_answers_before_login_and_names_the_institution_after() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_secs(60), 16).await;
        let mut c = Client::connect(&served).await;
        let before = c.ask(&checked("9900302.00", 4)).await;
        assert!(before.starts_with("98Y"), "{on}: {before:?}");
        assert_trailer(&before, 4, on);
        assert_eq!(field(&before, "AO"), Some(""), "{on}: {before:?}");
        assert_eq!(
            field(&before, "BX"),
            Some("YNNNYYYYYNNNNNNN"),
            "{on}: {before:?}"
        );
        // Without error detection the answer has neither AY nor AZ.
        let plain = c.ask(b"9900302.00\r").await;
        assert!(
            plain.starts_with("98") && !plain.contains("AZ"),
            "{on}: {plain:?}"
        );
        assert!(c.ask(&login("cvk_all", SECRET, 5)).await.starts_with("941"));
        let after = c.ask(&checked("9900302.00", 6)).await;
        assert_eq!(field(&after, "AO"), Some("7"), "{on}: {after:?}");
        // 97 repeats the last answer.
        assert_eq!(c.ask(b"97\r").await, after, "{on}");
        served.listener.shutdown().await;
    }
}

#[tokio::test]
async fn patron_checks_before_login_and_with_a_refused_login_answer_bl_n() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_secs(60), 16).await;
        let mut c = Client::connect(&served).await;
        let a = c.ask(&patron_status(CARD, Some(PIN), 1)).await;
        assert_eq!(field(&a, "BL"), Some("N"), "{on}: {a:?}");
        assert_eq!(field(&a, "CQ"), Some("N"), "{on}: {a:?}");
        assert!(
            field(&a, "AF").unwrap_or_default().contains("log in"),
            "{on}: {a:?}"
        );
        assert_eq!(served.desk.checks.load(Ordering::SeqCst), 0, "{on}");
        let refused = c.ask(&login("cvk_all", "wrong", 2)).await;
        assert!(refused.starts_with("940"), "{on}: {refused:?}");
        assert_trailer(&refused, 2, on);
        // A good login, then a failed one, leaves the connection logged out.
        assert!(c.ask(&login("cvk_all", SECRET, 3)).await.starts_with("941"));
        assert!(c
            .ask(&login("cvk_nobody", SECRET, 4))
            .await
            .starts_with("940"));
        let a = c.ask(&patron_information(CARD, None, 5)).await;
        assert_eq!(field(&a, "BL"), Some("N"), "{on}: {a:?}");
        assert_eq!(served.desk.checks.load(Ordering::SeqCst), 0, "{on}");
        served.listener.shutdown().await;
    }
}

#[tokio::test]
async fn a_bad_checksum_or_a_malformed_message_asks_for_a_resend_and_the_connection_goes_on() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_secs(60), 16).await;
        let mut c = Client::connect(&served).await;
        let mut bad = login("cvk_all", SECRET, 1);
        let n = bad.len();
        bad[n - 2] = if bad[n - 2] == b'0' { b'1' } else { b'0' };
        let r = c.ask(&bad).await;
        assert!(r.starts_with("96"), "{on}: {r:?}");
        assert_eq!(
            served.desk.logins.load(Ordering::SeqCst),
            0,
            "{on}: a bad message is not acted on"
        );
        for junk in [&b"xx\r"[..], b"23\r", b"93AZ1\r"] {
            let r = c.ask(junk).await;
            assert!(r.starts_with("96"), "{on}: {junk:?} → {r:?}");
        }
        // A command custodian does not offer is dropped; the next is answered.
        c.send(b"1100\r").await;
        assert!(
            c.ask(&login("cvk_all", SECRET, 2)).await.starts_with("941"),
            "{on}"
        );
        assert_eq!(
            field(&c.ask(&patron_status(CARD, None, 3)).await, "BL"),
            Some("Y")
        );
        served.listener.shutdown().await;
    }
}

#[tokio::test]
async fn messages_split_across_reads_joined_in_one_read_or_too_long_are_all_handled() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_secs(60), 16).await;
        let mut c = Client::connect(&served).await;
        // Byte by byte, with CR LF.
        let mut m = login("cvk_all", SECRET, 1);
        m.push(b'\n');
        for b in &m {
            c.send(std::slice::from_ref(b)).await;
            c.stream.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(c.recv().await.starts_with("941"), "{on}");
        // Two messages in one write: two answers, in order.
        let mut two = patron_status(CARD, None, 2);
        two.extend(patron_information(CARD, None, 3));
        c.send(&two).await;
        let (first, second) = (c.recv().await, c.recv().await);
        assert!(first.starts_with("24"), "{on}: {first:?}");
        assert_trailer(&first, 2, on);
        assert!(second.starts_with("64"), "{on}: {second:?}");
        assert_trailer(&second, 3, on);
        // A line of 64 KiB is dropped without an answer; the connection goes on.
        c.send(&vec![b'A'; 64 * 1024]).await;
        c.send(b"\r").await;
        let r = c.ask(&patron_status(CARD, None, 4)).await;
        assert!(r.starts_with("24"), "{on}: {r:?}");
        assert_trailer(&r, 4, on);
        served.listener.shutdown().await;
    }
}

#[tokio::test]
async fn failed_logins_are_throttled_per_key_and_wrong_pins_per_card() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_secs(60), 16).await;
        let mut c = Client::connect(&served).await;
        for seq in 0..3 {
            assert!(
                c.ask(&login("cvk_all", "wrong", seq))
                    .await
                    .starts_with("940"),
                "{on}"
            );
        }
        let tried = served.desk.logins.load(Ordering::SeqCst);
        // The right secret is refused too, without being tried, from any connection.
        let mut other = Client::connect(&served).await;
        assert!(
            other
                .ask(&login("cvk_all", SECRET, 4))
                .await
                .starts_with("940"),
            "{on}"
        );
        assert_eq!(served.desk.logins.load(Ordering::SeqCst), tried, "{on}");
        // Another key is not affected.
        assert!(
            other
                .ask(&login("cvk_card", SECRET, 5))
                .await
                .starts_with("941"),
            "{on}"
        );
        for seq in 0..3 {
            let a = other.ask(&patron_status(CARD, Some("0000"), seq)).await;
            assert_eq!(field(&a, "CQ"), Some("N"), "{on}: {a:?}");
        }
        // The card is still checked, but the right PIN is no longer tried.
        let a = other.ask(&patron_status(CARD, Some(PIN), 6)).await;
        assert_eq!(field(&a, "BL"), Some("Y"), "{on}: {a:?}");
        assert_eq!(field(&a, "CQ"), Some("N"), "{on}: {a:?}");
        assert!(
            field(&a, "AF")
                .unwrap_or_default()
                .contains("too many wrong PINs"),
            "{on}: {a:?}"
        );
        served.listener.shutdown().await;
    }
}

#[tokio::test]
async fn a_key_whose_contract_ended_is_logged_out_at_its_next_check() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_secs(60), 16).await;
        let mut c = Client::connect(&served).await;
        assert!(c
            .ask(&login("cvk_ended", SECRET, 1))
            .await
            .starts_with("941"));
        let a = c.ask(&patron_status(CARD, None, 2)).await;
        assert_eq!(field(&a, "BL"), Some("N"), "{on}: {a:?}");
        assert!(
            field(&a, "AF")
                .unwrap_or_default()
                .contains("no longer works"),
            "{on}: {a:?}"
        );
        let _ = c.ask(&patron_status(CARD, None, 3)).await;
        assert_eq!(
            served.desk.checks.load(Ordering::SeqCst),
            1,
            "{on}: logged out after the first"
        );
        served.listener.shutdown().await;
    }
}

#[tokio::test]
async fn a_hundred_connections_at_once_each_get_their_own_answers() {
    for (on, throttle) in throttles().await {
        let served = Arc::new(serve(throttle, Duration::from_secs(60), 200).await);
        let mut tasks = Vec::new();
        for n in 0..100u32 {
            let served = served.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = Client::connect(&served).await;
                let user = if n % 2 == 0 { "cvk_all" } else { "cvk_card" };
                let ok = c.ask(&login(user, SECRET, (n % 10) as u8)).await;
                assert!(ok.starts_with("941"), "{ok:?}");
                for k in 0..5u8 {
                    let a = c.ask(&patron_status(CARD, Some(PIN), k)).await;
                    assert_trailer(&a, k, "concurrent");
                    assert_eq!(field(&a, "BL"), Some("Y"), "{a:?}");
                    assert_eq!(field(&a, "AE").is_some(), n % 2 == 0, "{a:?}");
                }
            }));
        }
        for t in tasks {
            t.await.unwrap_or_else(|e| panic!("{on}: {e}"));
        }
        assert_eq!(served.desk.checks.load(Ordering::SeqCst), 500, "{on}");
        match Arc::try_unwrap(served) {
            Ok(s) => s.listener.shutdown().await,
            Err(_) => panic!("{on}: a client kept the server"),
        }
    }
}

#[tokio::test]
async fn idle_connections_are_closed_and_connections_beyond_the_cap_refused() {
    for (on, throttle) in throttles().await {
        let served = serve(throttle, Duration::from_millis(300), 2).await;
        let mut a = Client::connect(&served).await;
        let mut b = Client::connect(&served).await;
        assert!(a.ask(b"9900302.00\r").await.starts_with("98"), "{on}");
        assert!(b.ask(b"9900302.00\r").await.starts_with("98"), "{on}");
        let mut c = Client::connect(&served).await;
        assert!(
            c.closed_within(Duration::from_secs(2)).await,
            "{on}: the third is refused"
        );
        assert!(
            a.closed_within(Duration::from_secs(3)).await,
            "{on}: idle connections close"
        );
        assert!(b.closed_within(Duration::from_secs(3)).await, "{on}");
        // The slots are free again.
        let mut d = Client::connect(&served).await;
        assert!(d.ask(b"9900302.00\r").await.starts_with("98"), "{on}");
        // Shutdown closes what is open.
        let shutdown = tokio::spawn(served.listener.shutdown());
        assert!(
            d.closed_within(Duration::from_secs(3)).await,
            "{on}: shutdown closes connections"
        );
        shutdown.await.unwrap();
    }
}
