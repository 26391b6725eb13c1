//! The statistics pages: a library's (for its admins) and the consortium's
//! (for the director). Each series gets a small bar chart drawn as inline
//! SVG (with a title and a text description) and a table with the same
//! figures; a withheld count is said in words, never drawn to scale.

use super::filters;
use super::form::Field;
use super::layout::{Layout, NavLink, SessionBar};
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use custody::statistics::{Range, Report};
use policy::statistics::RangeTotal;

/// What the from/to form holds: what was typed, and why it was refused.
pub struct RangeForm {
    /// The `from` typed.
    pub from: String,
    /// The `to` typed.
    pub to: String,
    /// The field refused and why.
    pub error: Option<(&'static str, String)>,
}

impl RangeForm {
    /// The form showing `range`.
    pub fn showing(range: Range) -> Self {
        RangeForm {
            from: range.from.to_string(),
            to: range.to.to_string(),
            error: None,
        }
    }
}

/// One bar of a chart, in the SVG's own units.
struct Bar {
    x: u32,
    y: u32,
    height: u32,
    withheld: bool,
    label: String,
}

/// A small bar chart.
struct Chart {
    id: String,
    width: u32,
    title: String,
    desc: String,
    bars: Vec<Bar>,
}

/// One line of a series' table.
struct Row {
    label: String,
    shown: String,
}

struct SeriesView {
    id: String,
    label: &'static str,
    chart: Chart,
    row_header: &'static str,
    rows: Vec<Row>,
    total: String,
    parts: Vec<Row>,
}

#[derive(Template)]
#[template(path = "statistics/report.html")]
struct StatisticsPage<'a> {
    layout: Layout,
    heading: String,
    intro: &'static str,
    action: String,
    csv: String,
    problems: Vec<Problem<'a>>,
    fields: Vec<Field<'a>>,
    series: Vec<SeriesView>,
}

const BAR: u32 = 14;
const HEIGHT: u32 = 80;

fn shown(count: Option<u64>) -> String {
    count.map_or_else(|| "withheld".to_owned(), |n| n.to_string())
}

fn total_words(t: &RangeTotal) -> String {
    match t.suppressed_days {
        0 => t.count.to_string(),
        1 => format!("{} (1 figure withheld, not counted)", t.count),
        n => format!("{} ({n} figures withheld, not counted)", t.count),
    }
}

fn chart(id: String, title: String, points: &[(String, Option<u64>)]) -> Chart {
    let max = points
        .iter()
        .filter_map(|(_, c)| *c)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = points
        .iter()
        .zip(0u32..)
        .map(|((label, count), i)| {
            let height = match count {
                // A withheld figure is a short mark, not a height.
                None => 3,
                Some(n) => u32::try_from(n * u64::from(HEIGHT) / max).unwrap_or(HEIGHT),
            };
            Bar {
                x: i * BAR + 1,
                y: HEIGHT - height,
                height,
                withheld: count.is_none(),
                label: format!("{label}: {}", shown(*count)),
            }
        })
        .collect();
    let highest = points
        .iter()
        .filter_map(|(l, c)| c.map(|n| (n, l)))
        .max_by_key(|(n, _)| *n);
    let withheld = points.iter().filter(|(_, c)| c.is_none()).count();
    let desc = match highest {
        Some((n, l)) if n > 0 => format!(
            "Highest: {n} ({l}). {withheld} of {} figures withheld. The table below gives every figure.",
            points.len()
        ),
        _ => format!(
            "Nothing to show: every figure is 0 or withheld ({withheld} withheld). The table below gives every figure."
        ),
    };
    Chart {
        id,
        width: u32::try_from(points.len()).unwrap_or(1).max(1) * BAR,
        title,
        desc,
        bars,
    }
}

fn form_parts<'a>(form: &'a RangeForm) -> (Vec<Problem<'a>>, Vec<Field<'a>>) {
    let mut from = Field::new(
        "from",
        "From",
        Some(&form.from),
        "The first day, like 2026-12-01",
    );
    let mut to = Field::new("to", "To", Some(&form.to), "The last day, like 2026-12-14");
    let mut problems = Vec::new();
    if let Some((field, why)) = &form.error {
        let target = if *field == "to" { &mut to } else { &mut from };
        target.error = Some(why.as_str());
        problems.push(Problem {
            field: target.name,
            text: why.as_str(),
        });
    }
    (problems, vec![from, to])
}

fn query(form: &RangeForm) -> String {
    format!(
        "from={}&to={}",
        super::paging::urlencode(&form.from),
        super::paging::urlencode(&form.to)
    )
}

const LIBRARY_INTRO: &str = "How often patrons signed in, borrowed, renewed and placed holds, and which public pages were visited, per day. Only counts are kept: no patron, no address. A count from 1 to 4 is withheld (shown as \u{201c}withheld\u{201d}) so that no one can be picked out, and so is a figure that would let one be worked out; totals add only the figures shown.";

const DIRECTOR_INTRO: &str = "Each member library's counts over the days chosen. Only counts are kept: no patron, no address. A count from 1 to 4 is withheld so that no one can be picked out; the totals add only the day figures shown, and say how many were withheld.";

/// A library's statistics page; `report` is `None` when the form was refused.
pub fn library_page(
    nav: Vec<NavLink>,
    bar: SessionBar,
    slug: &str,
    form: &RangeForm,
    report: Option<&Report>,
) -> Result<String, ApiError> {
    let here = format!("/libraries/{slug}/statistics");
    let (problems, fields) = form_parts(form);
    let series = report.map_or_else(Vec::new, |r| {
        r.series
            .iter()
            .map(|s| {
                let points: Vec<(String, Option<u64>)> = s
                    .days
                    .iter()
                    .map(|d| (d.day.to_string(), d.count))
                    .collect();
                SeriesView {
                    id: s.series.to_owned(),
                    label: s.label,
                    chart: chart(
                        format!("chart-{}", s.series),
                        format!("{} per day, {} to {}", s.label, r.from, r.to),
                        &points,
                    ),
                    row_header: "Day",
                    rows: points
                        .iter()
                        .map(|(l, c)| Row {
                            label: l.clone(),
                            shown: shown(*c),
                        })
                        .collect(),
                    total: total_words(&s.total),
                    parts: s
                        .pages
                        .iter()
                        .map(|p| Row {
                            label: p.page.clone(),
                            shown: total_words(&p.total),
                        })
                        .collect(),
                }
            })
            .collect()
    });
    let title = if problems.is_empty() {
        "Statistics – custodian".to_owned()
    } else {
        "Error: Statistics – custodian".to_owned()
    };
    super::render(&StatisticsPage {
        layout: Layout::signed_in(title, nav, here.clone(), bar),
        heading: "Statistics".into(),
        intro: LIBRARY_INTRO,
        csv: format!(
            "/api/v1/libraries/{slug}/statistics?format=csv&{}",
            query(form)
        ),
        action: here,
        problems,
        fields,
        series,
    })
}

/// The director's statistics page: per series, each library's total.
pub fn director_page(
    nav: Vec<NavLink>,
    bar: SessionBar,
    form: &RangeForm,
    reports: &[Report],
) -> Result<String, ApiError> {
    let here = "/director/statistics".to_owned();
    let (problems, fields) = form_parts(form);
    let series = policy::statistics::SERIES
        .iter()
        .map(|&name| {
            let totals: Vec<(String, RangeTotal)> = reports
                .iter()
                .filter_map(|r| {
                    r.series
                        .iter()
                        .find(|s| s.series == name)
                        .map(|s| (r.name.clone(), s.total))
                })
                .collect();
            let points: Vec<(String, Option<u64>)> = totals
                .iter()
                .map(|(l, t)| (l.clone(), Some(t.count)))
                .collect();
            let label = policy::statistics::series_label(name);
            SeriesView {
                id: name.to_owned(),
                label,
                chart: chart(
                    format!("chart-{name}"),
                    format!("{label} per library, {} to {}", form.from, form.to),
                    &points,
                ),
                row_header: "Library",
                rows: totals
                    .iter()
                    .map(|(l, t)| Row {
                        label: l.clone(),
                        shown: total_words(t),
                    })
                    .collect(),
                total: total_words(&RangeTotal {
                    count: totals.iter().map(|(_, t)| t.count).sum(),
                    suppressed_days: totals.iter().map(|(_, t)| t.suppressed_days).sum(),
                }),
                parts: Vec::new(),
            }
        })
        .collect();
    let title = if problems.is_empty() {
        "Statistics – custodian".to_owned()
    } else {
        "Error: Statistics – custodian".to_owned()
    };
    super::render(&StatisticsPage {
        layout: Layout::signed_in(title, nav, here.clone(), bar),
        heading: "Statistics of the member libraries".into(),
        intro: DIRECTOR_INTRO,
        csv: format!("/api/v1/director/statistics?format=csv&{}", query(form)),
        action: here,
        problems,
        fields,
        series: if reports.is_empty() {
            Vec::new()
        } else {
            series
        },
    })
}
