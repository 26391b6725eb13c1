//! Statistics that identify no one (#15): counts per library and day of
//! patron sign-ins, checkouts, renewals, holds placed and web visits by
//! page, and their publication under `policy::statistics`' rule.
//!
//! Counting must not slow the requests it counts, so a request only adds
//! one to a map in memory ([`Counters::add`]); [`flush`] writes the map to
//! the database, adding to each day's row, every few seconds from a
//! background thread and at shutdown. Reading flushes first, so a report
//! includes everything counted until then.

use crate::actor::StaffMember;
use crate::error::{CustodyError, CustodyResult};
use crate::Custody;
use chrono::{Duration, NaiveDate, Utc};
use policy::statistics::{self as rule, Cell, RangeTotal};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use store::statistics::{self as sql, Count};
use store::LibraryId;

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 366;
/// The days a report covers when no `from` is given (today included).
pub const DEFAULT_DAYS: i64 = 14;

/// Where a count belongs: a library known by id, one named by a page's
/// path (resolved when flushed), or the consortium's own pages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum At {
    Library(LibraryId),
    Slug(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Tally {
    at: At,
    day: NaiveDate,
    series: &'static str,
    key: String,
}

/// The counts not yet written, in memory; cheap to add to from any thread.
#[derive(Debug, Default)]
pub struct Counters {
    off: AtomicBool,
    pending: Mutex<HashMap<Tally, u64>>,
}

impl Counters {
    /// Counters that count (`enabled`) or do nothing at all.
    pub fn new(enabled: bool) -> Self {
        let c = Counters::default();
        c.off.store(!enabled, Ordering::Relaxed);
        c
    }

    /// Whether anything is counted.
    pub fn enabled(&self) -> bool {
        !self.off.load(Ordering::Relaxed)
    }

    /// Turns counting on or off (the `statistics.enabled` setting).
    pub fn set_enabled(&self, enabled: bool) {
        self.off.store(!enabled, Ordering::Relaxed);
    }

    fn bump(&self, at: At, series: &'static str, key: &str) {
        if !self.enabled() {
            return;
        }
        let tally = Tally {
            at,
            day: Utc::now().date_naive(),
            series,
            key: key.to_owned(),
        };
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        *pending.entry(tally).or_insert(0) += 1;
    }

    /// Counts one of `series` today at `library`.
    pub fn add(&self, library: LibraryId, series: &'static str) {
        self.bump(At::Library(library), series, "");
    }

    /// Counts one visit today of the page `pattern` (a route pattern, never
    /// a concrete path) at the library `slug`, or of the consortium's pages.
    pub fn visit(&self, slug: Option<&str>, pattern: &str) {
        let at = match slug {
            Some(s) => At::Slug(s.to_owned()),
            None => At::Library(LibraryId::CONSORTIUM),
        };
        self.bump(at, rule::WEB_VISITS, pattern);
    }

    fn take(&self) -> HashMap<Tally, u64> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn put_back(&self, tallies: HashMap<Tally, u64>) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for (t, n) in tallies {
            *pending.entry(t).or_insert(0) += n;
        }
    }
}

/// Writes the counts in memory to the database, one transaction per library;
/// what fails to be written is kept for the next flush. A slug that names no
/// library (a mistyped address) is dropped.
pub fn flush(custody: &Custody) -> CustodyResult<()> {
    let counters = custody.counters();
    let tallies = counters.take();
    if tallies.is_empty() {
        return Ok(());
    }
    let mut by_library: HashMap<LibraryId, Vec<Count>> = HashMap::new();
    let mut slugs: HashMap<String, Option<LibraryId>> = HashMap::new();
    let mut failed = HashMap::new();
    let mut first_error = None;
    for (t, n) in &tallies {
        let library = match &t.at {
            At::Library(id) => *id,
            At::Slug(slug) => {
                let known = match slugs.get(slug) {
                    Some(known) => *known,
                    None => {
                        let known = match custody.store().library_standing(slug, None) {
                            Ok((library, _)) => Some(library.id),
                            Err(store::StoreError::NotFound) => None,
                            Err(e) => {
                                failed.insert(t.clone(), *n);
                                first_error.get_or_insert(CustodyError::from(e));
                                continue;
                            }
                        };
                        slugs.insert(slug.clone(), known);
                        known
                    }
                };
                match known {
                    Some(id) => id,
                    None => continue,
                }
            }
        };
        by_library.entry(library).or_default().push(Count {
            day: t.day.format("%Y-%m-%d").to_string(),
            series: t.series.to_owned(),
            key: t.key.clone(),
            count: i64::try_from(*n).unwrap_or(i64::MAX),
        });
    }
    for (library, counts) in by_library {
        if let Err(e) = custody.store().write(library, |tx| sql::add(tx, &counts)) {
            for (t, n) in &tallies {
                if matches!(&t.at, At::Library(id) if *id == library)
                    || matches!(&t.at, At::Slug(s) if slugs.get(s) == Some(&Some(library)))
                {
                    failed.insert(t.clone(), *n);
                }
            }
            first_error.get_or_insert(CustodyError::from(e));
        }
    }
    counters.put_back(failed);
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The days a report covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

/// Reads `?from=`/`?to=` (`YYYY-MM-DD`): `to` defaults to today, `from` to
/// [`DEFAULT_DAYS`] days ending at `to`.
pub fn parse_range(from: Option<&str>, to: Option<&str>) -> CustodyResult<Range> {
    let day = |field: &'static str, raw: Option<&str>| -> CustodyResult<Option<NaiveDate>> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| CustodyError::Invalid {
                    field,
                    detail: format!("{field} must be a date written like 2026-12-01"),
                }),
        }
    };
    let to = day("to", to)?.unwrap_or_else(|| Utc::now().date_naive());
    let from = day("from", from)?.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
    if from > to {
        return Err(CustodyError::Invalid {
            field: "from",
            detail: "from must be on or before to".into(),
        });
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(CustodyError::Invalid {
            field: "from",
            detail: format!("a report covers at most {MAX_DAYS} days; choose a later from"),
        });
    }
    Ok(Range { from, to })
}

impl Range {
    fn days(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| d <= &self.to)
            .collect()
    }
}

/// A day's published figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayCell {
    /// The day.
    pub day: NaiveDate,
    /// The count; `null` when suppressed.
    pub count: Option<u64>,
    /// Whether the count (from 1 to 4, or withheld with one) is suppressed.
    pub suppressed: bool,
}

impl DayCell {
    fn new(day: NaiveDate, cell: Cell) -> Self {
        DayCell {
            day,
            count: cell.count,
            suppressed: cell.suppressed,
        }
    }

    fn cell(&self) -> Cell {
        Cell {
            count: self.count,
            suppressed: self.suppressed,
        }
    }
}

/// One page's web visits, a part of the day's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PageSeries {
    /// The page's route pattern (`/libraries/{library}/vendors`).
    pub page: String,
    /// Each day's figure.
    pub days: Vec<DayCell>,
    /// The range's total of published days.
    pub total: RangeTotal,
}

/// One series of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = StatisticsSeries)]
pub struct Series {
    /// Its name (`patron_sign_ins`).
    pub series: &'static str,
    /// As a librarian says it.
    pub label: &'static str,
    /// Each day's figure (for web visits, the day's total over every page).
    pub days: Vec<DayCell>,
    /// The range's total of published days.
    pub total: RangeTotal,
    /// For web visits, each page's own figures (the parts of the total).
    pub pages: Vec<PageSeries>,
}

/// One library's statistics over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = StatisticsReport)]
pub struct Report {
    /// The library's slug (`consortium` for pages that name no library).
    pub library: String,
    /// Its name.
    pub name: String,
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
    /// Every series, in `policy::statistics::SERIES` order.
    pub series: Vec<Series>,
}

/// Publishes stored counts under the rule.
pub fn publish(library: &str, name: &str, range: Range, counts: &[Count]) -> Report {
    let days = range.days();
    let mut raw: BTreeMap<(&str, &str, NaiveDate), u64> = BTreeMap::new();
    let mut pages: BTreeSet<&str> = BTreeSet::new();
    for c in counts {
        let Ok(day) = NaiveDate::parse_from_str(&c.day, "%Y-%m-%d") else {
            continue;
        };
        *raw.entry((c.series.as_str(), c.key.as_str(), day))
            .or_insert(0) += u64::try_from(c.count).unwrap_or(0);
        if c.series == rule::WEB_VISITS {
            pages.insert(c.key.as_str());
        }
    }
    let get = |series: &str, key: &str, day: NaiveDate| {
        raw.get(&(series, key, day)).copied().unwrap_or(0)
    };
    let series = rule::SERIES
        .iter()
        .map(|&s| {
            if s != rule::WEB_VISITS {
                let cells: Vec<DayCell> = days
                    .iter()
                    .map(|&d| DayCell::new(d, rule::cell(get(s, "", d))))
                    .collect();
                return finish(s, cells, Vec::new());
            }
            let pages: Vec<&str> = pages.iter().copied().collect();
            let mut totals = Vec::with_capacity(days.len());
            let mut per_page: Vec<Vec<DayCell>> = vec![Vec::new(); pages.len()];
            for &d in &days {
                let parts: Vec<u64> = pages.iter().map(|p| get(s, p, d)).collect();
                let (total, cells) = rule::group(&parts);
                totals.push(DayCell::new(d, total));
                for (i, c) in cells.into_iter().enumerate() {
                    per_page[i].push(DayCell::new(d, c));
                }
            }
            let pages = pages
                .into_iter()
                .zip(per_page)
                .map(|(p, days)| PageSeries {
                    page: p.to_owned(),
                    total: range_of(&days),
                    days,
                })
                .collect();
            finish(s, totals, pages)
        })
        .collect();
    Report {
        library: library.to_owned(),
        name: name.to_owned(),
        from: range.from,
        to: range.to,
        series,
    }
}

fn range_of(days: &[DayCell]) -> RangeTotal {
    rule::range_total(&days.iter().map(DayCell::cell).collect::<Vec<_>>())
}

fn finish(series: &'static str, days: Vec<DayCell>, pages: Vec<PageSeries>) -> Series {
    Series {
        series,
        label: rule::series_label(series),
        total: range_of(&days),
        days,
        pages,
    }
}

fn read(custody: &Custody, library: LibraryId, range: Range) -> CustodyResult<Vec<Count>> {
    let (from, to) = (
        range.from.format("%Y-%m-%d").to_string(),
        range.to.format("%Y-%m-%d").to_string(),
    );
    Ok(custody
        .store()
        .read(library, |tx| sql::between(tx, &from, &to))?)
}

/// The library's statistics over `range`, for its admin (the guard checked the role).
pub fn for_library(custody: &Custody, who: &StaffMember, range: Range) -> CustodyResult<Report> {
    flush_for_reading(custody);
    let counts = read(custody, who.library.id, range)?;
    Ok(publish(
        &who.library.slug,
        &who.library.name,
        range,
        &counts,
    ))
}

/// Every library's statistics over `range`, for the director, and then the
/// consortium's own pages (those that name no library).
pub fn for_director(custody: &Custody, range: Range) -> CustodyResult<Vec<Report>> {
    flush_for_reading(custody);
    let libraries = custody.store().consortium(store::Access::Read, |c| {
        store::libraries::list(c, None, store::MAX_PAGE_LIMIT)
    })?;
    let mut reports = Vec::with_capacity(libraries.len() + 1);
    for library in libraries {
        let counts = read(custody, library.id, range)?;
        reports.push(publish(&library.slug, &library.name, range, &counts));
    }
    let counts = read(custody, LibraryId::CONSORTIUM, range)?;
    reports.push(publish("consortium", "Consortium pages", range, &counts));
    Ok(reports)
}

/// A failed flush before a read still lets the report show what was written.
fn flush_for_reading(custody: &Custody) {
    if let Err(e) = flush(custody) {
        tracing::warn!(error = %e, "statistics: counts not yet written; they are kept for the next flush");
    }
}

/// The reports as CSV, one line per library, series, page and day, with
/// the same figures as the JSON (a withheld count is an empty `count`).
pub fn csv(reports: &[Report]) -> String {
    fn field(v: &str) -> String {
        if v.contains([',', '"', '\n']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v.to_owned()
        }
    }
    let mut out = String::from("library,series,page,day,count,suppressed\n");
    let mut line = |lib: &str, series: &str, page: &str, c: &DayCell| {
        let count = c.count.map(|n| n.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            field(lib),
            series,
            field(page),
            c.day,
            count,
            c.suppressed
        ));
    };
    for r in reports {
        for s in &r.series {
            for c in &s.days {
                line(&r.library, s.series, "", c);
            }
            for p in &s.pages {
                for c in &p.days {
                    line(&r.library, s.series, &p.page, c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(day: &str, series: &str, key: &str, n: i64) -> Count {
        Count {
            day: day.into(),
            series: series.into(),
            key: key.into(),
            count: n,
        }
    }

    #[test]
    fn a_report_withholds_small_days_and_sums_only_published_ones() {
        let range = parse_range(Some("2026-12-01"), Some("2026-12-03")).unwrap();
        let r = publish(
            "riverbend",
            "Riverbend",
            range,
            &[
                count("2026-12-01", rule::SIGN_INS, "", 6),
                count("2026-12-02", rule::SIGN_INS, "", 3),
                count("2026-12-01", rule::WEB_VISITS, "/my", 2),
                count("2026-12-01", rule::WEB_VISITS, "/directory", 9),
                count("2026-12-01", rule::WEB_VISITS, "/", 30),
            ],
        );
        let s = &r.series[0];
        assert_eq!(s.days[0].count, Some(6));
        assert!(s.days[1].suppressed && s.days[1].count.is_none());
        assert_eq!(s.days[2].count, Some(0));
        assert_eq!(
            s.total,
            RangeTotal {
                count: 6,
                suppressed_days: 1
            }
        );
        let web = r
            .series
            .iter()
            .find(|s| s.series == rule::WEB_VISITS)
            .unwrap();
        assert!(
            web.days[0].suppressed,
            "a total with a withheld part is withheld"
        );
        let page = |p: &str| web.pages.iter().find(|x| x.page == p).unwrap().days[0].clone();
        assert!(page("/my").suppressed);
        assert!(
            page("/directory").suppressed,
            "the next-smallest part goes with it"
        );
        assert_eq!(page("/").count, Some(30));
    }

    #[test]
    fn ranges_are_checked() {
        assert!(parse_range(Some("2026-12-05"), Some("2026-12-01")).is_err());
        assert!(parse_range(Some("yesterday"), None).is_err());
        assert!(parse_range(Some("2024-01-01"), Some("2026-01-01")).is_err());
        let r = parse_range(None, Some("2026-12-14")).unwrap();
        assert_eq!(r.days().len() as i64, DEFAULT_DAYS);
    }
}
