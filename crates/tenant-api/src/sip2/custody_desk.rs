//! The SIP2 desk over `custody::vendors`: the same functions the REST
//! `POST /api/v1/vendor/patron-status` calls, so SIP2 and REST answer alike
//! (audit, access log, grants, contract dates all checked there).

use super::desk::{Answer, Caller, CallerToken, DeskError, PatronDesk, Refused};
use custody::vendors::{self, PatronStatus, VendorCaller};
use custody::{Custody, CustodyError};
use std::sync::Arc;

/// Answers SIP2 from custody.
pub struct CustodyDesk {
    custody: Custody,
}

impl CustodyDesk {
    /// A desk over this custody.
    pub fn new(custody: Custody) -> Self {
        CustodyDesk { custody }
    }
}

impl PatronDesk for CustodyDesk {
    fn login(&self, user: &str, password: &str) -> Result<Caller, Refused> {
        match vendors::authenticate(&self.custody, user, password) {
            Ok(v) => Ok(Caller {
                key_id: v.key_id.clone(),
                institution: v.library.to_string(),
                vendor_name: v.vendor_name.clone(),
                fields: v.fields.clone(),
                token: CallerToken(Arc::new(v)),
            }),
            Err(e) if unavailable(&e) => Err(Refused::Unavailable(e.to_string())),
            // Unknown key, wrong secret, revoked, contract not running: one answer.
            Err(_) => Err(Refused::BadCredentials),
        }
    }

    fn status(&self, caller: &Caller, card: &str, pin: Option<&str>) -> Result<Answer, DeskError> {
        let Some(vendor) = caller.token.0.downcast_ref::<VendorCaller>() else {
            return Err(DeskError::KeyEnded);
        };
        match vendors::patron_status(&self.custody, vendor, card, pin) {
            Ok(s) => Ok(answer(s)),
            Err(e) if unavailable(&e) => Err(DeskError::Unavailable(e.to_string())),
            // The key was revoked or its contract ended since login.
            Err(_) => Err(DeskError::KeyEnded),
        }
    }
}

fn answer(s: PatronStatus) -> Answer {
    Answer {
        valid: s.valid,
        pin_valid: s.pin_valid,
        card_valid: s.card_valid,
        name: s.name,
        email: s.email,
        home_branch: s.home_branch,
        age_band: s.age_band,
        expires_on: s.expires_on,
    }
}

// Which custody errors are the database's rather than the key's (the store
// being down must not read as "key ended").
fn unavailable(e: &CustodyError) -> bool {
    matches!(e, CustodyError::Store(_) | CustodyError::Internal(_))
}
