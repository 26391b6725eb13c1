//! Timestamps as custodian writes them everywhere (API, exports, mail):
//! RFC 3339 in UTC with a `Z`, to the microsecond, e.g.
//! `2026-12-01T22:12:12.123456Z`.
//!
//! The database keeps UTC as `NaiveDateTime`; without an offset a reader has
//! to guess the zone, so nothing leaves custodian without one. Inputs accept
//! what they always have (`2026-12-01T09:30:00`, read as UTC) and RFC 3339
//! with any offset, converted to UTC.

use chrono::{DateTime, NaiveDateTime, SecondsFormat};
use serde::{de, Deserialize, Deserializer, Serializer};

/// What an unreadable timestamp input is told.
pub const EXPECTED: &str =
    "a timestamp such as 2026-12-01T09:30:00Z (RFC 3339; an offset such as -06:00 is converted to UTC, none means UTC)";

/// A UTC timestamp as RFC 3339 with a `Z`.
pub fn format(t: &NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads RFC 3339 with an offset (converted to UTC), or a timestamp without
/// one (taken as UTC).
pub fn parse(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_utc());
    }
    s.parse::<NaiveDateTime>().ok()
}

fn from_str<E: de::Error>(s: &str) -> Result<NaiveDateTime, E> {
    parse(s).ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(s), &EXPECTED))
}

/// `#[serde(with = "store::time::rfc3339")]` for a `NaiveDateTime` in UTC.
pub mod rfc3339 {
    use super::*;

    /// Writes RFC 3339 with a `Z`.
    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    /// Reads RFC 3339 with an offset, or a timestamp without one (UTC).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        from_str(&s)
    }
}

/// `#[serde(default, with = "store::time::rfc3339_option")]` for an
/// `Option<NaiveDateTime>` in UTC (`null` stays `null`).
pub mod rfc3339_option {
    use super::*;

    /// Writes RFC 3339 with a `Z`, or `null`.
    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads RFC 3339 with an offset, a timestamp without one (UTC), or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(d)? {
            Some(s) => from_str(&s).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_micro_opt(22, 12, 12, 123_456))
            .unwrap_or_default()
    }

    #[test]
    fn writes_utc_with_z() {
        assert_eq!(format(&t()), "2026-12-01T22:12:12.123456Z");
        assert!(DateTime::parse_from_rfc3339(&format(&t())).is_ok());
    }

    #[test]
    fn reads_old_inputs_and_offsets() {
        assert_eq!(parse("2026-12-01T22:12:12.123456"), Some(t()));
        assert_eq!(parse("2026-12-01T22:12:12.123456Z"), Some(t()));
        assert_eq!(parse("2026-12-01T16:12:12.123456-06:00"), Some(t()));
        assert_eq!(parse("1 December"), None);
    }

    #[test]
    fn serde_round_trips_and_says_what_it_expects() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct S {
            #[serde(with = "rfc3339")]
            at: NaiveDateTime,
            #[serde(default, with = "rfc3339_option")]
            until: Option<NaiveDateTime>,
        }
        let s = S {
            at: t(),
            until: None,
        };
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(json, r#"{"at":"2026-12-01T22:12:12.123456Z","until":null}"#);
        let back: S = serde_json::from_str(r#"{"at":"2026-12-01T23:12:12.123456+01:00"}"#)
            .unwrap_or(S {
                at: NaiveDateTime::default(),
                until: Some(t()),
            });
        assert_eq!(back, s);
        let err = serde_json::from_str::<S>(r#"{"at":"yesterday"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("2026-12-01T09:30:00Z"), "{err}");
    }
}
