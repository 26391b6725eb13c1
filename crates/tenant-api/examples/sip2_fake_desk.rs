//! The SIP2 listener alone, with a fake patron desk, for `tests/bench/sip2.py`:
//! it measures the listener and the protocol without the database.
//!
//! `cargo run -p tenant-api --example sip2_fake_desk -- 127.0.0.1:6001`
//! prints `sip2 listening on ADDR pid PID`; user `bench` with password
//! `bench-secret` logs in; card `21000000000001` with PIN `2468` is valid.
//! Set `FAKE_DESK_MICROS` to make each check take that long on the blocking pool.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;
use tenant_api::sip2::desk::CallerToken;
use tenant_api::sip2::{Answer, Caller, Config, DeskError, Limits, Listener, PatronDesk, Refused};
use tenant_api::throttle::Throttle;

struct Fake {
    delay: Duration,
}

impl PatronDesk for Fake {
    fn login(&self, user: &str, password: &str) -> Result<Caller, Refused> {
        if user != "bench" || password != "bench-secret" {
            return Err(Refused::BadCredentials);
        }
        Ok(Caller {
            key_id: user.into(),
            institution: "1".into(),
            vendor_name: "Bench".into(),
            fields: vec!["card_valid".into(), "name".into()],
            token: CallerToken(Arc::new(())),
        })
    }

    fn status(&self, _: &Caller, card: &str, pin: Option<&str>) -> Result<Answer, DeskError> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        let known = card == "21000000000001";
        let pin_valid = pin.map(|p| known && p == "2468");
        let valid = known && pin_valid != Some(false);
        Ok(Answer {
            valid,
            pin_valid,
            card_valid: Some(valid),
            name: valid.then(|| "Bench Patron".into()),
            ..Answer::default()
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let micros = std::env::var("FAKE_DESK_MICROS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bound = Listener::bind(&bind).await.expect("bind");
    let config = Config {
        idle: Duration::from_secs(300),
        max_connections: 4096,
        limits: Limits {
            per_subject: 5,
            per_address: 1_000_000,
            window: Duration::from_secs(900),
        },
    };
    let desk = Arc::new(Fake {
        delay: Duration::from_micros(micros),
    });
    let listener =
        Listener::start(bound, desk, Arc::new(Throttle::local()), config).expect("start");
    println!(
        "sip2 listening on {} pid {}",
        listener.address(),
        std::process::id()
    );
    let _ = tokio::signal::ctrl_c().await;
    listener.shutdown().await;
}
