//! Checked inputs: each has one `parse` that says what is wrong in words a
//! librarian can act on, so every page and endpoint refuses the same things.

use crate::error::{CustodyError, CustodyResult};
use std::fmt;

/// The longest purpose the audit log keeps, in bytes.
pub const MAX_PURPOSE_BYTES: usize = 500;

/// Why a staff member needs a patron's data, kept in the library's audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purpose(String);

impl Purpose {
    /// Required, trimmed, at most [`MAX_PURPOSE_BYTES`].
    pub fn parse(raw: Option<&str>) -> CustodyResult<Self> {
        match raw.map(str::trim) {
            Some(p) if !p.is_empty() && p.len() <= MAX_PURPOSE_BYTES => Ok(Purpose(p.to_owned())),
            _ => Err(CustodyError::Invalid {
                field: "purpose",
                detail: "state why you need this patron's data (for example purpose=hold pickup); the reason is kept in the library's audit log".into(),
            }),
        }
    }

    /// A purpose custodian states itself (a job, a patron acting on their own data).
    pub fn stated_by_custodian(text: impl Into<String>) -> Self {
        Purpose(text.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, checked lightly: the real check is the mail arriving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trimmed; something@domain.tld without spaces.
    pub fn parse(raw: &str) -> CustodyResult<Self> {
        let s = raw.trim();
        if looks_like_email(s) {
            Ok(EmailAddress(s.to_owned()))
        } else {
            Err(CustodyError::Invalid {
                field: "email",
                detail: "expected an email address such as name@example.org".into(),
            })
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A light check that catches typos.
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A library card number, as printed on the card.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    /// Trimmed and non-empty.
    pub fn parse(raw: &str) -> CustodyResult<Self> {
        let s = raw.trim();
        if s.is_empty() {
            Err(CustodyError::Invalid {
                field: "card_number",
                detail: "a card number is required".into(),
            })
        } else {
            Ok(CardNumber(s.to_owned()))
        }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

// A card number identifies a patron: a stray `{:?}` must not print it.
impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardNumber(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_is_required_and_bounded() {
        assert!(Purpose::parse(None).is_err());
        assert!(Purpose::parse(Some("   ")).is_err());
        assert!(Purpose::parse(Some(&"x".repeat(501))).is_err());
        assert_eq!(
            Purpose::parse(Some(" hold pickup "))
                .map(|p| p.as_str().to_owned())
                .ok(),
            Some("hold pickup".to_owned())
        );
    }

    #[test]
    fn email_addresses_are_checked_lightly() {
        assert!(EmailAddress::parse("ann@example.org").is_ok());
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.org",
            "ann@example",
            "a nn@example.org",
            "ann@.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn card_numbers_do_not_print_in_debug_output() {
        let card = CardNumber::parse(" 21234000123456 ").ok();
        assert_eq!(
            card.as_ref().map(CardNumber::as_str),
            Some("21234000123456")
        );
        assert_eq!(format!("{card:?}"), "Some(CardNumber(…))");
        assert!(CardNumber::parse("  ").is_err());
    }
}
