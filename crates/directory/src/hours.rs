//! Opening hours as data: weekly rules (days, opening and closing time) and
//! dated exceptions (closed, or other hours), read from and written as a
//! short text (`Mo-Th 09:00-20:00; Fr,Sa 09:00-17:00; 2026-12-25 closed`),
//! shown as readable lines and published as schema.org
//! `OpeningHoursSpecification`. Also the fixed vocabulary of services.

use crate::{DirectoryError, DirectoryResult};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The days of the week in schema.org's two-letter spelling.
pub const DAYS: [Day; 7] = [
    ("Mo", "Mon", "Monday"),
    ("Tu", "Tue", "Tuesday"),
    ("We", "Wed", "Wednesday"),
    ("Th", "Thu", "Thursday"),
    ("Fr", "Fri", "Friday"),
    ("Sa", "Sat", "Saturday"),
    ("Su", "Sun", "Sunday"),
];

/// Weekly opening hours and their exceptions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    /// The usual week.
    #[serde(default)]
    pub regular: Vec<Rule>,
    /// Dates that differ from it.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

/// Some days of the week, open from `opens` to `closes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HoursRule)]
pub struct Rule {
    /// Two-letter days: Mo Tu We Th Fr Sa Su.
    pub days: Vec<String>,
    /// `HH:MM`, 24-hour.
    pub opens: String,
    /// `HH:MM`, 24-hour.
    pub closes: String,
}

/// One date: closed (no times) or open other hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HoursException)]
pub struct Exception {
    /// `YYYY-MM-DD`.
    pub date: chrono::NaiveDate,
    /// `HH:MM`, or absent when closed all day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub opens: Option<String>,
    /// `HH:MM`, or absent when closed all day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub closes: Option<String>,
}

fn bad(detail: impl Into<String>) -> DirectoryError {
    DirectoryError::invalid("opening_hours", detail)
}

fn time(s: &str) -> DirectoryResult<String> {
    let t = chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| bad(format!("{s:?} is not a time such as 09:00 or 17:30")))?;
    Ok(t.format("%H:%M").to_string())
}

fn day_index(d: &str) -> DirectoryResult<usize> {
    DAYS.iter()
        .position(|(two, three, _)| d.eq_ignore_ascii_case(two) || d.eq_ignore_ascii_case(three))
        .ok_or_else(|| bad(format!("{d:?} is not a day; use Mo Tu We Th Fr Sa Su")))
}

fn days(spec: &str) -> DirectoryResult<Vec<String>> {
    let mut out = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (day_index(a.trim())?, day_index(b.trim())?);
        if b < a {
            return Err(bad(format!(
                "{part:?}: a range of days runs Monday to Sunday"
            )));
        }
        for d in &DAYS[a..=b] {
            if !out.iter().any(|x: &String| x == d.0) {
                out.push(d.0.to_owned());
            }
        }
    }
    Ok(out)
}

fn span(s: &str) -> DirectoryResult<(String, String)> {
    let (a, b) = s.split_once('-').ok_or_else(|| {
        bad(format!(
            "{s:?}: give opening and closing time, such as 09:00-17:00"
        ))
    })?;
    let (a, b) = (time(a)?, time(b)?);
    if b <= a {
        return Err(bad(format!("{s:?}: closing comes after opening")));
    }
    Ok((a, b))
}

impl OpeningHours {
    /// Reads the text form; parts are separated by `;` or new lines.
    pub fn parse(text: &str) -> DirectoryResult<Self> {
        let mut h = OpeningHours::default();
        for part in text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (head, rest) = part.split_once(char::is_whitespace).ok_or_else(|| {
                bad(format!(
                    "{part:?}: write days then hours, such as Mo-Fr 09:00-17:00"
                ))
            })?;
            let rest = rest.trim();
            if let Ok(date) = chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d") {
                let (opens, closes) = if rest.eq_ignore_ascii_case("closed") {
                    (None, None)
                } else {
                    let (a, b) = span(rest)?;
                    (Some(a), Some(b))
                };
                h.exceptions.push(Exception {
                    date,
                    opens,
                    closes,
                });
            } else if rest.eq_ignore_ascii_case("closed") {
                days(head)?;
            } else {
                let (opens, closes) = span(rest)?;
                h.regular.push(Rule {
                    days: days(head)?,
                    opens,
                    closes,
                });
            }
        }
        h.validate()?;
        Ok(h)
    }

    /// Checks every rule and exception (as the JSON API gives them too).
    pub fn validate(&self) -> DirectoryResult<()> {
        if self.regular.len() + self.exceptions.len() > 60 {
            return Err(bad("at most 60 rules and exceptions"));
        }
        for r in &self.regular {
            if r.days.is_empty() {
                return Err(bad("every rule needs at least one day"));
            }
            for d in &r.days {
                if !DAYS.iter().any(|x| x.0 == d) {
                    return Err(bad(format!("{d:?} is not a day; use Mo Tu We Th Fr Sa Su")));
                }
            }
            span(&format!("{}-{}", r.opens, r.closes))?;
        }
        for e in &self.exceptions {
            match (&e.opens, &e.closes) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    span(&format!("{a}-{b}"))?;
                }
                _ => {
                    return Err(bad(format!(
                        "{}: give both times, or none for closed",
                        e.date
                    )))
                }
            }
        }
        Ok(())
    }

    /// The text form, which [`OpeningHours::parse`] reads back.
    pub fn to_text(&self) -> String {
        let mut parts: Vec<String> = self
            .regular
            .iter()
            .map(|r| format!("{} {}-{}", day_ranges(&r.days, |d| d.0), r.opens, r.closes))
            .collect();
        for e in &self.exceptions {
            parts.push(match (&e.opens, &e.closes) {
                (Some(a), Some(b)) => format!("{} {a}-{b}", e.date),
                _ => format!("{} closed", e.date),
            });
        }
        parts.join("; ")
    }

    /// Lines for people: `Mon–Thu 09:00–20:00`, `Sun closed`, `25 Dec 2026 closed`.
    pub fn readable(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .regular
            .iter()
            .map(|r| format!("{} {}–{}", day_ranges(&r.days, |d| d.1), r.opens, r.closes))
            .collect();
        let open: Vec<&str> = self
            .regular
            .iter()
            .flat_map(|r| r.days.iter().map(String::as_str))
            .collect();
        let closed: Vec<String> = DAYS
            .iter()
            .filter(|d| !open.contains(&d.0))
            .map(|d| d.0.to_owned())
            .collect();
        if !closed.is_empty() && !self.regular.is_empty() {
            lines.push(format!("{} closed", day_ranges(&closed, |d| d.1)));
        }
        for e in &self.exceptions {
            let date = e.date.format("%-d %b %Y");
            lines.push(match (&e.opens, &e.closes) {
                (Some(a), Some(b)) => format!("{date} {a}–{b}"),
                _ => format!("{date} closed"),
            });
        }
        lines
    }

    /// schema.org `OpeningHoursSpecification` nodes; a closed date opens and closes at 00:00.
    pub fn schema_org(&self) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .regular
            .iter()
            .map(|r| {
                let days: Vec<String> = r
                    .days
                    .iter()
                    .filter_map(|d| DAYS.iter().find(|x| x.0 == d))
                    .map(|d| format!("https://schema.org/{}", d.2))
                    .collect();
                json!({"@type": "OpeningHoursSpecification", "dayOfWeek": days, "opens": r.opens, "closes": r.closes})
            })
            .collect();
        for e in &self.exceptions {
            let (a, b) = match (&e.opens, &e.closes) {
                (Some(a), Some(b)) => (a.as_str(), b.as_str()),
                _ => ("00:00", "00:00"),
            };
            out.push(json!({"@type": "OpeningHoursSpecification", "validFrom": e.date.to_string(), "validThrough": e.date.to_string(), "opens": a, "closes": b}));
        }
        out
    }
}

/// `Mo-Th,Sa` from a set of two-letter days, in week order, spelled by `name`.
type Day = (&'static str, &'static str, &'static str);

fn day_ranges(days: &[String], name: fn(&Day) -> &'static str) -> String {
    let idx: Vec<usize> = DAYS
        .iter()
        .enumerate()
        .filter(|(_, d)| days.iter().any(|x| x == d.0))
        .map(|(i, _)| i)
        .collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && idx[j + 1] == idx[j] + 1 {
            j += 1;
        }
        let (a, b) = (name(&DAYS[idx[i]]), name(&DAYS[idx[j]]));
        parts.push(match j - i {
            0 => a.to_owned(),
            1 => format!("{a},{b}"),
            _ => format!("{a}-{b}"),
        });
        i = j + 1;
    }
    parts.join(",")
}

/// The services a library may list, as (code, label).
pub const SERVICES: [(&str, &str); 12] = [
    ("wifi", "Wi-Fi"),
    ("computers", "Public computers"),
    ("printing", "Printing and copying"),
    ("story_time", "Story time"),
    ("meeting_rooms", "Meeting rooms"),
    ("study_rooms", "Study rooms"),
    ("makerspace", "Makerspace"),
    ("ebooks", "E-books and audiobooks"),
    ("home_delivery", "Home delivery"),
    ("accessibility", "Accessible entrance and restrooms"),
    ("notary", "Notary"),
    ("passports", "Passport applications"),
];

/// The label of a service code.
pub fn service_label(code: &str) -> Option<&'static str> {
    SERVICES.iter().find(|s| s.0 == code).map(|s| s.1)
}

/// Checks service codes against the vocabulary and returns them in its order.
pub fn services(codes: &[String]) -> DirectoryResult<Vec<String>> {
    for c in codes {
        if service_label(c).is_none() {
            return Err(DirectoryError::invalid(
                "service_tags",
                format!(
                    "{c:?} is not a service; choose from {}",
                    SERVICES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(SERVICES
        .iter()
        .filter(|s| codes.iter().any(|c| c == s.0))
        .map(|s| s.0.to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_reads_well() {
        let h = OpeningHours::parse("Mo-Th 09:00-20:00; Fr,Sa 9:00-17:00\nSu closed; 2026-12-25 closed; 2026-12-24 09:00-12:00").unwrap();
        assert_eq!(h.regular.len(), 2);
        assert_eq!(h.regular[1].days, ["Fr", "Sa"]);
        assert_eq!(h.regular[1].opens, "09:00");
        assert_eq!(
            h.to_text(),
            "Mo-Th 09:00-20:00; Fr,Sa 09:00-17:00; 2026-12-25 closed; 2026-12-24 09:00-12:00"
        );
        assert_eq!(OpeningHours::parse(&h.to_text()).unwrap(), h);
        assert_eq!(
            h.readable()[..3],
            ["Mon-Thu 09:00–20:00", "Fri,Sat 09:00–17:00", "Sun closed"]
        );
        assert_eq!(h.readable()[3], "25 Dec 2026 closed");
        let s = h.schema_org();
        assert_eq!(s[0]["dayOfWeek"][0], "https://schema.org/Monday");
        assert_eq!(s[2]["validFrom"], "2026-12-25");
        assert_eq!(s[2]["closes"], "00:00");
    }

    #[test]
    fn mistakes_are_named() {
        for bad in [
            "Mo 9-5",
            "Xx 09:00-17:00",
            "Mo 17:00-09:00",
            "Su-Mo 09:00-10:00",
            "2026-13-01 closed",
        ] {
            assert!(OpeningHours::parse(bad).is_err(), "{bad}");
        }
        assert!(services(&["wifi".into(), "lasers".into()]).is_err());
        assert_eq!(
            services(&["printing".into(), "wifi".into()]).unwrap(),
            ["wifi", "printing"]
        );
    }
}
