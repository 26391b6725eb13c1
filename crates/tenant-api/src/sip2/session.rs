//! One SIP2 connection's conversation: log in, then ask about patrons.
//!
//! Answers, by request:
//! - 93 Login → 94: `CN` is the vendor key's id, `CO` its secret; `941` opens
//!   the connection for that key, `940` refuses (and logs the connection out).
//!   Failed logins are throttled per key id and per client address with the
//!   limits of sign-in (`auth.failures_per_account`, `auth.failures_per_address`,
//!   `auth.failure_window_secs`); a throttled login is refused without being tried.
//! - 99 SC Status → 98, before login too: monitors and self-checks send it
//!   as a health check before they log in, and it says nothing about
//!   patrons or libraries (before login `AO` is empty).
//! - 23 Patron Status → 24 and 63 Patron Information → 64, from the desk's
//!   one function. `BL` (valid patron) is always sent; `CQ` (valid password)
//!   only when a PIN (`AD`) was sent; `AO` and `AA` are echoed. Then only the
//!   granted fields, each omitted when not granted:
//!   `AE` personal name (`name`), `BE` e-mail address (`email`), `AQ` home
//!   branch (`home_branch`; 3M's permanent location), `PA` expiry date
//!   (`expires_on`, a SIP2 date; the 3M/Evergreen extension), `PC` patron
//!   class (`age_band`; Evergreen's profile extension). `card_valid` shows in
//!   the patron status: privileges denied when the card is not in good standing.
//!   Item counts in 64 are blank: custodian keeps no circulation.
//!   Before login, 23 and 63 are answered with `BL` N and a screen message
//!   (`AF`) saying to log in: a client then shows a reason rather than timing out.
//! - 35 End Patron Session → 36; 97 Request ACS Resend → the last answer again.
//! - A malformed message or a bad checksum → 96 (Request SC Resend); a message
//!   over 4 KiB is dropped; any other command is dropped. None of these close
//!   the connection or touch another.

use super::codec::{sip_date, sip_day, Answer as Out, Frame, Malformed, Message};
use super::desk::{Answer, Caller, DeskError, PatronDesk, Refused};
use crate::throttle::{self, Throttle};
use std::sync::Arc;
use std::time::Duration;

/// The failed-login limits, from `[auth]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failed logins (or wrong PINs) allowed per key id (or card) within the window.
    pub per_subject: u32,
    /// Failed logins allowed per client address within the window.
    pub per_address: u32,
    /// The window.
    pub window: Duration,
}

/// What to do after a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Send these bytes.
    Reply(Vec<u8>),
    /// Send nothing.
    Nothing,
    /// Close this connection (the desk is down; the client reconnects).
    Close,
}

/// The state of one connection.
pub struct Session {
    desk: Arc<dyn PatronDesk>,
    throttle: Arc<Throttle>,
    limits: Limits,
    address: String,
    caller: Option<Caller>,
    last: Option<Vec<u8>>,
}

const PRIVILEGES_DENIED: &str = "YYYY          ";
const IN_GOOD_STANDING: &str = "              ";
const LANGUAGE_UNKNOWN: &str = "000";
// Patron status, checkout, checkin, block, SC status, resend, login, patron
// information, end session, then fee paid … renew all: not offered.
const SUPPORTED: &str = "YNNNYYYYYNNNNNNN";

impl Session {
    /// A connection from `address` (the peer's IP, for the throttle only).
    pub fn new(
        desk: Arc<dyn PatronDesk>,
        throttle: Arc<Throttle>,
        limits: Limits,
        address: String,
    ) -> Self {
        Session {
            desk,
            throttle,
            limits,
            address,
            caller: None,
            last: None,
        }
    }

    /// Whether a key is logged in on this connection.
    pub fn logged_in(&self) -> bool {
        self.caller.is_some()
    }

    /// Answers one frame.
    pub async fn handle(&mut self, frame: Frame) -> Outcome {
        let raw = match frame {
            Frame::Oversized => {
                tracing::debug!("sip2 message over 4 KiB dropped");
                return Outcome::Nothing;
            }
            Frame::Message(raw) => raw,
        };
        let message = match Message::parse(&raw) {
            Ok(m) => m,
            Err(why) => {
                tracing::debug!(%why, "sip2 message refused, asking for a resend");
                return Outcome::Reply(resend(&raw, &why));
            }
        };
        let outcome = match message.command.as_str() {
            "93" => self.login(&message).await,
            "99" => Outcome::Reply(self.status(&message)),
            "23" | "63" => self.patron(&message).await,
            "35" => Outcome::Reply(
                Out::new("36", &format!("Y{}", sip_date(chrono::Utc::now())))
                    .field("AO", message.field("AO").unwrap_or_default())
                    .field("AA", message.field("AA").unwrap_or_default())
                    .finish(message.sequence, message.checked),
            ),
            "97" => {
                return match &self.last {
                    Some(last) => Outcome::Reply(last.clone()),
                    None => Outcome::Nothing,
                }
            }
            other => {
                tracing::debug!(command = other, "sip2 command not offered, dropped");
                Outcome::Nothing
            }
        };
        if let Outcome::Reply(bytes) = &outcome {
            self.last = Some(bytes.clone());
        }
        outcome
    }

    async fn login(&mut self, m: &Message) -> Outcome {
        // A new login replaces the old one, and a failed one leaves none.
        self.caller = None;
        let refuse = || Outcome::Reply(Out::new("94", "0").finish(m.sequence, m.checked));
        let (Some(user), Some(password)) = (m.field("CN"), m.field("CO")) else {
            return refuse();
        };
        let user_key = throttle::key("sip2-key", user);
        let address_key = throttle::key("sip2-address", &self.address);
        match self
            .blocked(&[
                (&user_key, self.limits.per_subject),
                (&address_key, self.limits.per_address),
            ])
            .await
        {
            Ok(false) => {}
            Ok(true) => {
                tracing::info!(key_id = user, "sip2 login throttled");
                return refuse();
            }
            Err(e) => {
                // Fail closed, as sign-in does.
                tracing::warn!(error = %e, "sip2 login refused: the throttle is unavailable");
                return refuse();
            }
        }
        let desk = self.desk.clone();
        let (u, p) = (user.to_owned(), password.to_owned());
        let result = tokio::task::spawn_blocking(move || desk.login(&u, &p))
            .await
            .unwrap_or_else(|e| Err(Refused::Unavailable(e.to_string())));
        match result {
            Ok(caller) => {
                let _ = self.throttle.clear(&user_key).await;
                tracing::info!(key_id = %caller.key_id, "sip2 login");
                self.caller = Some(caller);
                Outcome::Reply(Out::new("94", "1").finish(m.sequence, m.checked))
            }
            Err(Refused::BadCredentials) => {
                for key in [&user_key, &address_key] {
                    if let Err(e) = self.throttle.record_failure(key, self.limits.window).await {
                        tracing::warn!(error = %e, "sip2 failed login not counted");
                    }
                }
                tracing::info!(key_id = user, "sip2 login refused");
                refuse()
            }
            Err(Refused::Unavailable(e)) => {
                tracing::warn!(error = %e, "sip2 login refused: the desk is unavailable");
                refuse()
            }
        }
    }

    async fn blocked(&self, keys: &[(&String, u32)]) -> Result<bool, throttle::ThrottleError> {
        for (key, limit) in keys {
            if self
                .throttle
                .blocked(key, *limit, self.limits.window)
                .await?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn status(&self, m: &Message) -> Vec<u8> {
        let now = sip_date(chrono::Utc::now());
        // On-line, no checkin/checkout/renewal/status update/offline; timeout 030, retries 003.
        let fixed = format!("YNNNNN030003{now}2.00");
        let (institution, screen) = match &self.caller {
            Some(c) => (
                c.institution.as_str(),
                format!("custodian: patron checks for {}", c.vendor_name),
            ),
            None => (
                "",
                "custodian: log in with 93 (CN key id, CO secret)".to_owned(),
            ),
        };
        Out::new("98", &fixed)
            .field("AO", institution)
            .field("BX", SUPPORTED)
            .field("AF", &screen)
            .finish(m.sequence, m.checked)
    }

    async fn patron(&mut self, m: &Message) -> Outcome {
        let answer_code = if m.command == "23" { "24" } else { "64" };
        let card = m.field("AA").unwrap_or_default().to_owned();
        let pin = m.field("AD").filter(|p| !p.is_empty()).map(str::to_owned);
        let Some(caller) = self.caller.clone() else {
            let refused = Answer {
                pin_valid: pin.as_ref().map(|_| false),
                ..Answer::default()
            };
            return Outcome::Reply(self.patron_answer(
                answer_code,
                m,
                &card,
                &refused,
                Some("log in first with 93 (CN key id, CO secret)"),
            ));
        };
        if card.is_empty() {
            let refused = Answer {
                pin_valid: pin.as_ref().map(|_| false),
                ..Answer::default()
            };
            return Outcome::Reply(self.patron_answer(
                answer_code,
                m,
                &card,
                &refused,
                Some("AA (the patron's card number) is required"),
            ));
        }
        // Wrong PINs are counted per card of this library, as patron sign-in counts them.
        let card_key = throttle::key("sip2-card", &format!("{}:{card}", caller.institution));
        let mut note = None;
        let mut pin_sent = pin;
        if pin_sent.is_some() {
            match self.blocked(&[(&card_key, self.limits.per_subject)]).await {
                Ok(false) => {}
                Ok(true) | Err(_) => {
                    // The card is still checked; the PIN is not tried (and is not accepted).
                    pin_sent = None;
                    note = Some("too many wrong PINs for this card: try again later");
                }
            }
        }
        let desk = self.desk.clone();
        let asked = caller.clone();
        let (c, p) = (card.clone(), pin_sent.clone());
        let result = tokio::task::spawn_blocking(move || desk.status(&asked, &c, p.as_deref()))
            .await
            .unwrap_or_else(|e| Err(DeskError::Unavailable(e.to_string())));
        let mut answer = match result {
            Ok(a) => a,
            Err(DeskError::KeyEnded) => {
                tracing::info!(key_id = %caller.key_id, "sip2 key no longer works; logged out");
                self.caller = None;
                let refused = Answer::default();
                return Outcome::Reply(self.patron_answer(answer_code, m, &card, &refused, Some("this vendor key no longer works (its contract ended or it was revoked): log in with a current key")));
            }
            Err(DeskError::Unavailable(e)) => {
                tracing::warn!(error = %e, "sip2 patron check failed: the desk is unavailable; closing the connection");
                return Outcome::Close;
            }
        };
        match (&pin_sent, answer.pin_valid) {
            (Some(_), Some(false)) => {
                if let Err(e) = self
                    .throttle
                    .record_failure(&card_key, self.limits.window)
                    .await
                {
                    tracing::warn!(error = %e, "sip2 wrong PIN not counted");
                }
            }
            (Some(_), Some(true)) => {
                let _ = self.throttle.clear(&card_key).await;
            }
            _ => {}
        }
        if note.is_some() {
            answer.pin_valid = Some(false);
        }
        Outcome::Reply(self.patron_answer(answer_code, m, &card, &answer, note))
    }

    fn patron_answer(
        &self,
        code: &str,
        m: &Message,
        card: &str,
        a: &Answer,
        note: Option<&str>,
    ) -> Vec<u8> {
        let standing = if a.valid && a.card_valid != Some(false) {
            IN_GOOD_STANDING
        } else {
            PRIVILEGES_DENIED
        };
        let now = sip_date(chrono::Utc::now());
        let mut fixed = format!("{standing}{LANGUAGE_UNKNOWN}{now}");
        if code == "64" {
            // Holds, overdue, charged, fines, recalls, unavailable holds: unknown to custodian.
            fixed.push_str(&" ".repeat(24));
        }
        let institution = m
            .field("AO")
            .or(self.caller.as_ref().map(|c| c.institution.as_str()))
            .unwrap_or_default();
        let yes_no = |b: bool| if b { "Y" } else { "N" };
        let mut out = Out::new(code, &fixed)
            .field("AO", institution)
            .field("AA", card)
            .maybe("AE", a.name.as_deref())
            .field("BL", yes_no(a.valid));
        if m.field("AD").is_some_and(|p| !p.is_empty()) {
            out = out.field("CQ", yes_no(a.pin_valid == Some(true)));
        }
        out.maybe("BE", a.email.as_deref())
            .maybe("AQ", a.home_branch.as_deref())
            .maybe("PA", a.expires_on.as_deref().map(sip_day).as_deref())
            .maybe("PC", a.age_band.as_deref())
            .maybe("AF", note)
            .finish(m.sequence, m.checked)
    }
}

/// 96, asking the client to send its last message again; with a checksum when it used one.
fn resend(raw: &[u8], why: &Malformed) -> Vec<u8> {
    let checked = matches!(why, Malformed::Checksum) || raw.windows(2).any(|w| w == b"AZ");
    Out::new("96", "").finish(None, checked)
}
