//! The yearly count of legal requests by instrument and decision, the
//! figure libraries publish in transparency reports; and the words of the
//! library's statute that the register's form shows beside "good cause
//! shown". Neither holds anything about a patron or a requester.

use crate::actor::StaffMember;
use crate::error::{CustodyError, CustodyResult};
use crate::legal::INSTRUMENTS;
use crate::Custody;
use chrono::{Datelike, NaiveDate, Utc};
use serde::Serialize;
use store::legal_report as sql;

/// The first year a count may be asked for.
pub const FIRST_YEAR: i32 = 2000;

/// One instrument's line of the count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CountRow {
    /// One of [`INSTRUMENTS`].
    pub instrument: String,
    /// Registered in the year.
    pub received: i64,
    /// Of those, allowed by the custodian of records.
    pub allowed: i64,
    /// Of those, denied.
    pub denied: i64,
}

/// The sums over every instrument.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Registered in the year.
    pub received: i64,
    /// Of those, allowed.
    pub allowed: i64,
    /// Of those, denied.
    pub denied: i64,
}

/// A library's legal requests of one year, by instrument (every
/// instrument listed, so a zero is published as a zero).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct YearCounts {
    /// The calendar year (UTC) the requests were registered in.
    pub year: i32,
    /// One line per instrument, in [`INSTRUMENTS`] order.
    pub rows: Vec<CountRow>,
    /// The sums.
    pub total: Totals,
}

/// The current year, UTC.
pub fn this_year() -> i32 {
    Utc::now().year()
}

/// Reads `?year=`: none is this year; anything else must be a year from
/// [`FIRST_YEAR`] to this one.
pub fn parse_year(raw: Option<&str>) -> CustodyResult<i32> {
    let now = this_year();
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(now),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (FIRST_YEAR..=now).contains(y))
            .ok_or_else(|| CustodyError::Invalid {
                field: "year",
                detail: format!("year must be a year from {FIRST_YEAR} to {now}, such as {now}"),
            }),
    }
}

/// Counts `(instrument, status)` pairs into a year's lines.
pub fn tally(year: i32, pairs: &[(String, String)]) -> YearCounts {
    let mut rows: Vec<CountRow> = INSTRUMENTS
        .iter()
        .map(|i| CountRow {
            instrument: (*i).to_owned(),
            ..CountRow::default()
        })
        .collect();
    let mut total = Totals::default();
    for (instrument, status) in pairs {
        // An instrument no longer offered still counts, on a line of its own.
        let at = match rows.iter().position(|r| &r.instrument == instrument) {
            Some(at) => at,
            None => {
                rows.push(CountRow {
                    instrument: instrument.clone(),
                    ..CountRow::default()
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[at];
        row.received += 1;
        total.received += 1;
        match status.as_str() {
            "allowed" => {
                row.allowed += 1;
                total.allowed += 1;
            }
            "denied" => {
                row.denied += 1;
                total.denied += 1;
            }
            _ => {}
        }
    }
    YearCounts { year, rows, total }
}

/// The library's legal requests registered in `year`, by instrument and
/// decision; any staff member may read it.
pub fn counts(custody: &Custody, who: &StaffMember, year: i32) -> CustodyResult<YearCounts> {
    let bounds = NaiveDate::from_ymd_opt(year, 1, 1)
        .zip(NaiveDate::from_ymd_opt(year + 1, 1, 1))
        .and_then(|(a, b)| a.and_hms_opt(0, 0, 0).zip(b.and_hms_opt(0, 0, 0)));
    let Some((from, until)) = bounds else {
        return Err(CustodyError::Invalid {
            field: "year",
            detail: "year must be a calendar year such as 2026".into(),
        });
    };
    let pairs: Vec<(String, String)> = custody
        .store()
        .read(who.library.id, |tx| sql::received_between(tx, from, until))?;
    Ok(tally(year, &pairs))
}

/// What the library's statute asks of a court order, for the register's
/// form: "good cause shown" records that the order was made on this showing.
#[derive(Debug, Clone, Serialize)]
pub struct Showing {
    /// The jurisdiction, for people ("Missouri").
    pub jurisdiction: &'static str,
    /// The statutes relied on, as cited.
    pub statutes: &'static str,
    /// The court-order clause's text, with its citation.
    pub court_order: &'static str,
    /// Whether an order stating good cause alone suffices there.
    pub good_cause_suffices: bool,
}

/// The showing the library's statute requires of a court order.
pub fn showing(custody: &Custody, who: &StaffMember) -> CustodyResult<Showing> {
    let (profile, _) = custody.policies().for_library(&who.library)?;
    Ok(Showing {
        jurisdiction: profile.name,
        statutes: profile.statutes,
        court_order: profile.court_order.text(),
        good_cause_suffices: profile.good_cause_suffices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(i: &str, s: &str) -> (String, String) {
        (i.to_owned(), s.to_owned())
    }

    #[test]
    fn the_count_lists_every_instrument_and_sums_the_decisions() {
        let c = tally(
            2026,
            &[
                pair("subpoena", "denied"),
                pair("subpoena", "received"),
                pair("court_order", "allowed"),
                pair("search_warrant", "allowed"),
            ],
        );
        assert_eq!(c.rows.len(), INSTRUMENTS.len());
        let sub = c.rows.iter().find(|r| r.instrument == "subpoena").unwrap();
        assert_eq!((sub.received, sub.allowed, sub.denied), (2, 0, 1));
        let nsl = c
            .rows
            .iter()
            .find(|r| r.instrument == "national_security_letter")
            .unwrap();
        assert_eq!(nsl.received, 0);
        assert_eq!(
            c.total,
            Totals {
                received: 4,
                allowed: 2,
                denied: 1
            }
        );
    }

    #[test]
    fn a_year_is_this_one_or_a_past_one() {
        assert_eq!(parse_year(None).unwrap(), this_year());
        assert_eq!(parse_year(Some("")).unwrap(), this_year());
        assert_eq!(parse_year(Some("2024")).unwrap(), 2024);
        for bad in ["1999", "20x6", "3000"] {
            assert!(matches!(
                parse_year(Some(bad)),
                Err(CustodyError::Invalid { field: "year", .. })
            ));
        }
    }
}
