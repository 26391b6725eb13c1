//! Statistics that identify no one: which counts custodian keeps, and which
//! of them it may publish.
//!
//! The seeds: "Individual visits ... the data summaries do not identify
//! individual visitors by name" (Mid-Continent); "collected on an aggregate
//! basis, and is not associated with individual users" (Manhattan).
//!
//! What is kept is a count per library, day, series and key (a page's route
//! pattern for web visits, nothing otherwise): never a patron, never a whole
//! client address. Where an address is looked at at all it is first cut to
//! its network ([`truncate_ip`]: IPv4 /24, IPv6 /48).
//!
//! # The publication rule
//!
//! A count from 1 to 4 could point at a person ("the one patron who signed
//! in on Sunday"), so no published figure, and no difference of two
//! published figures of the same series, may equal such a count:
//!
//! 1. **Cells.** A day's cell is published when it is 0 or at least
//!    [`THRESHOLD`]; a count from 1 to 4 is suppressed (`null`,
//!    `"suppressed": true`) ([`cell`]).
//! 2. **A total and its parts** (web visits of a day, and that day's visits
//!    per page) are published together or suppressed together: when any part
//!    is suppressed the total is suppressed too, and when exactly one part is
//!    suppressed the next-smallest non-zero part is suppressed with it, so no
//!    subtraction of published parts from anything recovers it ([`group`]).
//! 3. **Ranges.** A `from`/`to` total is the sum of the *published* day cells
//!    only, with the number of suppressed days beside it ([`range_total`]).
//!    Every published cell is 0 or at least 5, so every range total is too,
//!    and the difference of two nested ranges is itself a sum of published
//!    cells: it can never isolate a suppressed day. (A range total that
//!    summed the real counts would: `[1 Dec, 5 Dec]` minus `[1 Dec, 4 Dec]`
//!    is 5 December's count.)
//!
//! The API publishes only these fixed series per day: no filter a caller
//! chooses can carve a small group out of a larger one.

use serde::Serialize;
use std::net::IpAddr;

/// The smallest count published as a number (0 aside).
pub const THRESHOLD: u64 = 5;

/// Patron sign-ins (card and PIN, page or API).
pub const SIGN_INS: &str = "patron_sign_ins";
/// Circulation records that arrived as a checkout.
pub const CHECKOUTS: &str = "checkouts";
/// Circulation records that arrived as a renewal (`status` `renewed`).
pub const RENEWALS: &str = "renewals";
/// Hold and interlibrary-loan records that arrived.
pub const HOLDS: &str = "holds_placed";
/// Public and patron pages served, by route pattern.
pub const WEB_VISITS: &str = "web_visits";

/// Every series, in the order pages and exports show them.
pub const SERIES: [&str; 5] = [SIGN_INS, CHECKOUTS, RENEWALS, HOLDS, WEB_VISITS];

/// A series as a librarian says it.
pub fn series_label(series: &str) -> &'static str {
    match series {
        SIGN_INS => "Patron sign-ins",
        CHECKOUTS => "Checkouts",
        RENEWALS => "Renewals",
        HOLDS => "Holds placed",
        WEB_VISITS => "Web visits",
        _ => "Other",
    }
}

/// What a circulation-style record counts as when it arrives: `kind` and
/// `status` as the records API takes them.
pub fn record_series(kind: &str, status: &str) -> Option<&'static str> {
    match (kind, status) {
        ("circulation", "renewed") => Some(RENEWALS),
        ("circulation", _) => Some(CHECKOUTS),
        ("holds_and_interlibrary_loans", _) => Some(HOLDS),
        _ => None,
    }
}

/// The network of a client address: IPv4 to its /24, IPv6 to its /48, so
/// nothing downstream ever holds the whole address.
pub fn truncate_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4([a, b, c, 0].into())
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6([s[0], s[1], s[2], 0, 0, 0, 0, 0].into())
        }
    }
}

/// Whether a count is small enough to point at someone.
pub fn is_small(n: u64) -> bool {
    (1..THRESHOLD).contains(&n)
}

/// One published figure: the number, or `null` with `suppressed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The count, absent when suppressed.
    pub count: Option<u64>,
    /// Whether the count is withheld.
    pub suppressed: bool,
}

impl Cell {
    /// The withheld figure.
    pub const SUPPRESSED: Cell = Cell {
        count: None,
        suppressed: true,
    };

    fn shown(n: u64) -> Cell {
        Cell {
            count: Some(n),
            suppressed: false,
        }
    }
}

/// Rule 1: a single count as published.
pub fn cell(n: u64) -> Cell {
    if is_small(n) {
        Cell::SUPPRESSED
    } else {
        Cell::shown(n)
    }
}

/// Rule 2: a total (the sum of `parts`) and its parts, as published.
pub fn group(parts: &[u64]) -> (Cell, Vec<Cell>) {
    let total: u64 = parts.iter().sum();
    let mut cells: Vec<Cell> = parts.iter().map(|&n| cell(n)).collect();
    let suppressed = cells.iter().filter(|c| c.suppressed).count();
    if suppressed == 0 {
        return (cell(total), cells);
    }
    if suppressed == 1 {
        // The next-smallest non-zero part goes with it; a zero hides nothing.
        let partner = parts
            .iter()
            .enumerate()
            .filter(|(i, &n)| n > 0 && !cells[*i].suppressed)
            .min_by_key(|(_, &n)| n)
            .map(|(i, _)| i);
        if let Some(i) = partner {
            cells[i] = Cell::SUPPRESSED;
        }
    }
    (Cell::SUPPRESSED, cells)
}

/// Rule 3: a `from`/`to` total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RangeTotal {
    /// The sum of the published day cells.
    pub count: u64,
    /// How many day cells were withheld (and are not in `count`).
    pub suppressed_days: usize,
}

/// Rule 3: sums the published cells of a range.
pub fn range_total(cells: &[Cell]) -> RangeTotal {
    RangeTotal {
        count: cells.iter().filter_map(|c| c.count).sum(),
        suppressed_days: cells.iter().filter(|c| c.suppressed).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_counts_are_withheld_and_others_shown() {
        assert_eq!(cell(0).count, Some(0));
        for n in 1..=4 {
            assert_eq!(cell(n), Cell::SUPPRESSED);
        }
        assert_eq!(cell(5).count, Some(5));
        assert_eq!(cell(6).count, Some(6));
    }

    #[test]
    fn one_small_part_takes_the_next_smallest_and_the_total_with_it() {
        let (total, parts) = group(&[3, 40, 7, 0]);
        assert!(total.suppressed);
        assert_eq!(
            parts,
            vec![Cell::SUPPRESSED, cell(40), Cell::SUPPRESSED, cell(0)]
        );
        let (total, parts) = group(&[10, 20]);
        assert_eq!(total.count, Some(30));
        assert_eq!(parts, vec![cell(10), cell(20)]);
    }

    #[test]
    fn addresses_keep_only_their_network() {
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        assert_eq!(truncate_ip(v4).to_string(), "203.0.113.0");
        let v6: IpAddr = "2001:db8:abcd:12:1:2:3:4".parse().unwrap();
        assert_eq!(truncate_ip(v6).to_string(), "2001:db8:abcd::");
    }

    #[test]
    fn renewals_checkouts_and_holds_come_from_the_record_kinds() {
        assert_eq!(record_series("circulation", "renewed"), Some(RENEWALS));
        assert_eq!(record_series("circulation", "out"), Some(CHECKOUTS));
        assert_eq!(
            record_series("holds_and_interlibrary_loans", "placed"),
            Some(HOLDS)
        );
        assert_eq!(record_series("donations", "received"), None);
    }

    proptest! {
        /// No published figure, nor the difference of two nested ranges of
        /// the same series, is a count from 1 to 4; a published total is
        /// never one subtraction away from a withheld part.
        #[test]
        fn nothing_published_reveals_a_small_count(
            days in proptest::collection::vec(0u64..12, 1..20),
            parts in proptest::collection::vec(0u64..12, 1..6),
            a in 0usize..20, b in 0usize..20, c in 0usize..20,
        ) {
            let cells: Vec<Cell> = days.iter().map(|&n| cell(n)).collect();
            for (n, c) in days.iter().zip(&cells) {
                if let Some(shown) = c.count {
                    prop_assert!(!is_small(shown));
                    prop_assert_eq!(shown, *n);
                }
            }
            // Nested ranges [lo, mid) within [lo, hi).
            let mut ends = [a % (days.len() + 1), b % (days.len() + 1), c % (days.len() + 1)];
            ends.sort_unstable();
            let [lo, mid, hi] = ends;
            let outer = range_total(&cells[lo..hi]).count;
            let inner = range_total(&cells[lo..mid]).count;
            prop_assert!(!is_small(outer));
            prop_assert!(!is_small(outer - inner));

            let (total, shown) = group(&parts);
            let withheld = shown.iter().filter(|c| c.suppressed).count();
            if withheld == 1 {
                // Only when every other part is zero, and the total goes too.
                prop_assert!(parts.iter().zip(&shown).all(|(n, c)| c.suppressed || *n == 0));
            }
            if let Some(t) = total.count {
                prop_assert!(!is_small(t));
                prop_assert_eq!(withheld, 0);
            }
            if withheld > 0 {
                prop_assert!(total.suppressed);
            }
            for (n, c) in parts.iter().zip(&shown) {
                if let Some(v) = c.count {
                    prop_assert!(!is_small(v));
                    prop_assert_eq!(v, *n);
                }
            }
        }
    }
}
