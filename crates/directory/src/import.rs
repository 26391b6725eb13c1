//! Loading the IMLS Public Libraries Survey outlet file.
//!
//! Columns: `fscs_id,name,phone,county,location,lat,long`. The location holds
//! street, city, state and ZIP, usually with a newline between street and city
//! but sometimes between city and state or nowhere at all; text carries HTML
//! entities (`&Ntilde;`, `&amp;`); a latitude and longitude of 0 mean unknown;
//! several outlets share one system id, and a few rows repeat an outlet.
//!
//! An outlet's natural key is its system id, name, street and ZIP, so
//! importing the same file again changes nothing and a repeated row merges
//! into the outlet it repeats.

use crate::{DirectoryError, DirectoryResult};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use store::directory::{self as sd, EntryFields, Origin};
use store::{Access, Store};

/// One outlet as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlet {
    /// The line the row starts on (1-based, the header is line 1).
    pub line: u64,
    /// The library system's FSCS id.
    pub system: String,
    /// The fields to publish.
    pub fields: EntryFields,
}

impl Outlet {
    /// The natural key that makes re-imports idempotent.
    pub fn key(&self) -> String {
        let norm = |s: &str| sd::words(s).join(" ");
        format!(
            "imls:{}|{}|{}|{}",
            self.system,
            norm(&self.fields.name),
            norm(&self.fields.street),
            self.fields.zip
        )
    }
}

/// A row that could not be read, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The line the row starts on.
    pub line: u64,
    /// Why it was skipped.
    pub why: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Data rows in the file.
    pub rows: usize,
    /// Outlets added.
    pub inserted: usize,
    /// Outlets whose published fields changed.
    pub updated: usize,
    /// Outlets already as in the file.
    pub unchanged: usize,
    /// Rows that repeat an outlet of an earlier row: (line, earlier line).
    pub merged: Vec<(u64, u64)>,
    /// Rows that could not be read.
    pub skipped: Vec<Skipped>,
    /// Ids of the entries that changed, whose cached copies must go.
    pub changed_ids: Vec<i64>,
}

/// Decodes HTML entities and collapses runs of spaces (not newlines).
fn clean(s: &str) -> String {
    let decoded = html_escape::decode_html_entities(s);
    decoded
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// A location split into street, the city as far as known, state and ZIP.
#[derive(Debug, Clone, PartialEq)]
struct Location {
    street: String,
    /// `None` when street and city run together and must be split by [`split_glued`].
    city: Option<String>,
    state: String,
    zip: String,
}

fn parse_location(raw: &str) -> Result<Location, String> {
    let text = clean(&raw.replace("\r\n", "\n"));
    let (rest, zip) = text
        .rsplit_once(char::is_whitespace)
        .ok_or("the location has no ZIP code")?;
    let zip5: String = zip.chars().take(5).collect();
    let zip_ok = zip5.len() == 5
        && zip5.chars().all(|c| c.is_ascii_digit())
        && (zip.len() == 5 || (zip.len() == 10 && zip.as_bytes()[5] == b'-'));
    if !zip_ok {
        return Err(format!("the location does not end in a ZIP code: {zip:?}"));
    }
    let (rest, state) = rest
        .trim_end()
        .rsplit_once(char::is_whitespace)
        .ok_or("the location has no state")?;
    if state.len() != 2 || !state.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!("the location has no two-letter state: {state:?}"));
    }
    let rest = rest.trim().trim_end_matches(',').trim();
    if rest.is_empty() {
        return Err("the location has no street or city".into());
    }
    let (street, city) = match rest.rsplit_once('\n') {
        // "street\nCITY, ST ZIP": the usual shape.
        Some((street, city)) if !city.trim().is_empty() => {
            (street.replace('\n', " "), Some(city.trim().to_owned()))
        }
        // "street CITY\nST ZIP" or "street CITY, ST ZIP": city runs into the street.
        _ => (rest.replace('\n', " "), None),
    };
    Ok(Location {
        street: street.trim().to_owned(),
        city,
        state: state.to_owned(),
        zip: zip5,
    })
}

const STREET_TYPES: &[&str] = &[
    "ST",
    "ST.",
    "STREET",
    "STREETS",
    "AVE",
    "AVE.",
    "AVENUE",
    "AVES",
    "AVES.",
    "AVENUES",
    "RD",
    "RD.",
    "ROAD",
    "DR",
    "DR.",
    "DRIVE",
    "BLVD",
    "BLVD.",
    "BOULEVARD",
    "HWY",
    "HWY.",
    "HIGHWAY",
    "LN",
    "LN.",
    "LANE",
    "WAY",
    "PL",
    "PL.",
    "PLACE",
    "CT",
    "CT.",
    "COURT",
    "PKWY",
    "PARKWAY",
    "SQ",
    "SQUARE",
    "CIR",
    "CIRCLE",
    "TRL",
    "TRAIL",
    "PIKE",
    "TPKE",
    "TURNPIKE",
    "PLAZA",
    "TER",
    "TERRACE",
    "ALLEY",
    "ROW",
    "WALK",
    "PATH",
    "LOOP",
    "CROSSING",
    "XING",
    "ROUTE",
    "RTE",
    "RT",
    "BOX",
];
// Abbreviations only: "WEST" after a street word is more often the start of a city.
const DIRECTIONS: &[&str] = &[
    "N", "S", "E", "W", "NE", "NW", "SE", "SW", "N.", "S.", "E.", "W.",
];

/// Splits "STREET CITY" where the file gives no separator: first by a city
/// already seen with this ZIP or state, then after the last street-type word
/// (and any direction after it), else the last word is taken as the city.
fn split_glued(
    glued: &str,
    zip: &str,
    state: &str,
    by_zip: &HashMap<String, String>,
    by_state: &HashMap<String, Vec<String>>,
) -> (String, String) {
    let tokens: Vec<&str> = glued.split(' ').collect();
    let try_city = |city: &str| -> Option<(String, String)> {
        let n = city.split(' ').count();
        if n >= tokens.len() {
            return None;
        }
        let tail = tokens[tokens.len() - n..].join(" ");
        tail.eq_ignore_ascii_case(city)
            .then(|| (tokens[..tokens.len() - n].join(" "), tail))
    };
    if let Some(found) = by_zip.get(zip).and_then(|c| try_city(c)) {
        return found;
    }
    if let Some(cities) = by_state.get(state) {
        // Longest first, so "WEST UNION" wins over "UNION".
        for c in cities {
            if let Some(found) = try_city(c) {
                return found;
            }
        }
    }
    // "MAIN" alone names a street often enough to cut after it when nothing better is there.
    let street_end = tokens
        .iter()
        .rposition(|t| STREET_TYPES.contains(t))
        .or_else(|| tokens.iter().rposition(|t| *t == "MAIN"));
    if let Some(i) = street_end {
        let mut cut = i + 1;
        // Directions and route numbers after the street word still belong to the street.
        while cut < tokens.len().saturating_sub(1)
            && (DIRECTIONS.contains(&tokens[cut])
                || tokens[cut].chars().all(|c| c.is_ascii_digit()))
        {
            cut += 1;
        }
        if cut < tokens.len() {
            return widen_city(&tokens, cut);
        }
    }
    if tokens.len() < 2 {
        return (String::new(), glued.to_owned());
    }
    widen_city(&tokens, tokens.len() - 1)
}

/// Second words of place names ("GRAND RAPIDS", "CRUZ BAY").
const CITY_SECOND_WORDS: &[&str] = &[
    "BEACH", "RAPIDS", "FALLS", "PARK", "SPRINGS", "RIDGE", "FERRY", "PATH", "PINES", "HEIGHTS",
    "CITY", "LAKE", "HILLS", "HILL", "CREEK", "ISLAND", "HARBOR", "GROVE", "BAY", "VALLEY",
    "POINT", "MILLS", "JUNCTION", "VILLAGE", "BLUFFS", "CENTER",
];

/// Splits at `cut`, moving one more word into a one-word city that is only
/// the second half of a place name, unless that word is a number or direction.
fn widen_city(tokens: &[&str], cut: usize) -> (String, String) {
    let mut cut = cut;
    if cut + 1 == tokens.len() && cut >= 2 && CITY_SECOND_WORDS.contains(&tokens[cut]) {
        let before = tokens[cut - 1];
        if !before.chars().any(|c| c.is_ascii_digit()) && !DIRECTIONS.contains(&before) {
            cut -= 1;
        }
    }
    (tokens[..cut].join(" "), tokens[cut..].join(" "))
}

fn phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 10 && !raw.trim_start().starts_with('-'))
        .then(|| format!("{}-{}-{}", &digits[..3], &digits[3..6], &digits[6..]))
}

type Coordinates = (Option<f64>, Option<f64>);

fn coordinates(lat: &str, lon: &str) -> Result<Coordinates, String> {
    let parse = |s: &str, what: &str| -> Result<f64, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(0.0);
        }
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("the {what} {s:?} is not a number"))
    };
    let (la, lo) = (parse(lat, "latitude")?, parse(lon, "longitude")?);
    // The survey writes 0 for an outlet it could not geocode.
    if la == 0.0 || lo == 0.0 || !(-90.0..=90.0).contains(&la) || !(-180.0..=180.0).contains(&lo) {
        return Ok((None, None));
    }
    Ok((Some(la), Some(lo)))
}

struct Parsed {
    line: u64,
    system: String,
    name: String,
    phone: Option<String>,
    county: String,
    loc: Location,
    coords: Coordinates,
}

/// Reads every row, resolving cities that run into the street once all clean
/// rows are known. Rows it cannot read are returned with their line numbers.
pub fn read(input: impl Read) -> DirectoryResult<(Vec<Outlet>, Vec<Skipped>)> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = rdr
        .headers()
        .map_err(|e| DirectoryError::File {
            path: "header".into(),
            why: e.to_string(),
        })?
        .clone();
    let col = |name: &str| -> DirectoryResult<usize> {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| DirectoryError::File {
                path: "header".into(),
                why: format!(
                    "no column {name:?} (expected fscs_id,name,phone,county,location,lat,long)"
                ),
            })
    };
    let idx = [
        col("fscs_id")?,
        col("name")?,
        col("phone")?,
        col("county")?,
        col("location")?,
        col("lat")?,
        col("long")?,
    ];
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut skipped = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                skipped.push(Skipped {
                    line,
                    why: format!("not readable as CSV: {e}"),
                });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        if record.len() != header.len() {
            skipped.push(Skipped {
                line,
                why: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
            });
            continue;
        }
        let get = |i: usize| record.get(idx[i]).unwrap_or_default();
        let row = (|| -> Result<Parsed, String> {
            let system = get(0).trim().to_owned();
            if system.is_empty() {
                return Err("no fscs_id".into());
            }
            let name = clean(get(1)).replace('\n', " ");
            if name.is_empty() {
                return Err("no name".into());
            }
            Ok(Parsed {
                line,
                system,
                name,
                phone: phone(get(2)),
                county: clean(get(3)).replace('\n', " "),
                loc: parse_location(get(4))?,
                coords: coordinates(get(5), get(6))?,
            })
        })();
        match row {
            Ok(r) => parsed.push(r),
            Err(why) => skipped.push(Skipped { line, why }),
        }
    }
    let mut by_zip = HashMap::new();
    let mut by_state: HashMap<String, Vec<String>> = HashMap::new();
    for p in &parsed {
        if let Some(city) = &p.loc.city {
            by_zip
                .entry(p.loc.zip.clone())
                .or_insert_with(|| city.clone());
            let list = by_state.entry(p.loc.state.clone()).or_default();
            if !list.contains(city) {
                list.push(city.clone());
            }
        }
    }
    for list in by_state.values_mut() {
        list.sort_by_key(|c| std::cmp::Reverse(c.len()));
    }
    let outlets = parsed
        .into_iter()
        .map(|p| {
            let (street, city) = match p.loc.city {
                Some(c) => (p.loc.street, c),
                None => split_glued(&p.loc.street, &p.loc.zip, &p.loc.state, &by_zip, &by_state),
            };
            Outlet {
                line: p.line,
                system: p.system,
                fields: EntryFields {
                    name: p.name,
                    street,
                    city,
                    county: p.county,
                    state: p.loc.state,
                    zip: p.loc.zip,
                    phone: p.phone,
                    latitude: p.coords.0,
                    longitude: p.coords.1,
                    ..Default::default()
                },
            }
        })
        .collect();
    Ok((outlets, skipped))
}

/// The JSON a history version shows for `fields`.
pub fn snapshot(fields: &EntryFields) -> String {
    serde_json::to_string(fields).unwrap_or_else(|_| "{}".into())
}

/// Merges repeated outlets (a later row fills what an earlier one lacks) and
/// writes the result in one transaction. `progress` is called as rows are written.
pub fn import(
    store: &Store,
    outlets: Vec<Outlet>,
    skipped: Vec<Skipped>,
    mut progress: impl FnMut(usize, usize),
) -> DirectoryResult<Report> {
    let mut report = Report {
        rows: outlets.len() + skipped.len(),
        skipped,
        ..Default::default()
    };
    let mut unique: BTreeMap<String, Outlet> = BTreeMap::new();
    let mut order = Vec::new();
    for o in outlets {
        let key = o.key();
        match unique.get_mut(&key) {
            Some(first) => {
                report.merged.push((o.line, first.line));
                let f = &mut first.fields;
                if f.latitude.is_none() {
                    f.latitude = o.fields.latitude;
                    f.longitude = o.fields.longitude;
                }
                if f.phone.is_none() {
                    f.phone = o.fields.phone;
                }
                if f.county.is_empty() {
                    f.county = o.fields.county;
                }
            }
            None => {
                order.push(key.clone());
                unique.insert(key, o);
            }
        }
    }
    let total = order.len();
    let now = chrono::Utc::now().naive_utc();
    let counts = store.consortium(Access::Write, |conn| -> DirectoryResult<_> {
        sd::begin_bulk(conn)?;
        let existing: HashMap<String, sd::Entry> = sd::imported(conn)?
            .into_iter()
            .filter_map(|e| e.source_key.clone().map(|k| (k, e)))
            .collect();
        let (mut ins, mut upd, mut same, mut ids) = (0, 0, 0, Vec::new());
        for (i, key) in order.iter().enumerate() {
            let Some(o) = unique.get(key) else { continue };
            match existing.get(key) {
                // The director's word (an edit, a retirement) outlasts the survey's.
                Some(e) if e.curated || e.fields() == o.fields => same += 1,
                Some(e) => {
                    sd::update(
                        conn,
                        e.id,
                        e.version,
                        &o.fields,
                        "import",
                        None,
                        &snapshot(&o.fields),
                        now,
                    )?;
                    upd += 1;
                    ids.push(e.id);
                }
                None => {
                    let origin = Origin {
                        system_code: Some(&o.system),
                        source_key: Some(key),
                        ..Default::default()
                    };
                    ids.push(sd::insert(
                        conn,
                        &origin,
                        &o.fields,
                        "import",
                        &snapshot(&o.fields),
                        now,
                    )?);
                    ins += 1;
                }
            }
            if (i + 1) % 250 == 0 || i + 1 == total {
                progress(i + 1, total);
            }
        }
        sd::recount(conn)?;
        Ok((ins, upd, same, ids))
    })?;
    (
        report.inserted,
        report.updated,
        report.unchanged,
        report.changed_ids,
    ) = counts;
    if report.inserted + report.updated > 1000 {
        // Outside the import's transaction: statistics for the new rows' indexes.
        store.consortium(Access::Write, sd::analyze)?;
    }
    Ok(report)
}

impl crate::Directory {
    /// Makes the cache forget what an import changed: each changed outlet,
    /// then every list. A server with a shared (Redis) cache needs this after
    /// `custodian directory import`; an in-process cache refreshes within its TTL.
    pub async fn imported(&self, report: &Report) -> DirectoryResult<()> {
        for id in &report.changed_ids {
            self.changed(Some(*id)).await?;
        }
        self.changed(None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_in_each_shape_the_file_uses() {
        let l = parse_location("725 PEKIN STREET\nLINCOLN, IL 62656").unwrap();
        assert_eq!(
            (
                l.street.as_str(),
                l.city.as_deref(),
                l.state.as_str(),
                l.zip.as_str()
            ),
            ("725 PEKIN STREET", Some("LINCOLN"), "IL", "62656")
        );
        let l = parse_location("212 E SPARKS ST WEST UNION\nOH 45693").unwrap();
        assert_eq!(l.city, None);
        assert_eq!(l.street, "212 E SPARKS ST WEST UNION");
        let l = parse_location("MU&Ntilde;OZ MARIN AVE. CORNER SAN CARLOS CAGUAS, PR 00725-1234")
            .unwrap();
        assert_eq!(l.street, "MUÑOZ MARIN AVE. CORNER SAN CARLOS CAGUAS");
        assert_eq!(l.zip, "00725");
        assert!(parse_location("SOMEWHERE").is_err());
        assert!(parse_location("1 MAIN ST\nTOWN, Illinois 62656").is_err());
    }

    #[test]
    fn glued_cities_split_by_known_city_then_street_word() {
        let by_zip = HashMap::new();
        let mut by_state = HashMap::new();
        by_state.insert(
            "OH".to_owned(),
            vec!["WEST UNION".to_owned(), "UNION".into()],
        );
        assert_eq!(
            split_glued(
                "212 E SPARKS ST WEST UNION",
                "45693",
                "OH",
                &by_zip,
                &by_state
            ),
            ("212 E SPARKS ST".into(), "WEST UNION".into())
        );
        assert_eq!(
            split_glued(
                "131 VAN ALTENA AVE CEDAR GROVE",
                "53013",
                "WI",
                &by_zip,
                &by_state
            ),
            ("131 VAN ALTENA AVE".into(), "CEDAR GROVE".into())
        );
        assert_eq!(
            split_glued("444 MAHONING AVE N W WARREN", "1", "OH", &by_zip, &by_state),
            ("444 MAHONING AVE N W".into(), "WARREN".into())
        );
        assert_eq!(
            split_glued("7860 HIGHWAY 42 EGG HARBOR", "1", "WI", &by_zip, &by_state),
            ("7860 HIGHWAY 42".into(), "EGG HARBOR".into())
        );
        assert_eq!(
            split_glued(
                "30 NORTH MAIN NEW YORK MILLS",
                "1",
                "MN",
                &by_zip,
                &by_state
            ),
            ("30 NORTH MAIN".into(), "NEW YORK MILLS".into())
        );
        assert_eq!(
            split_glued(
                "1201 MADISON SE GRAND RAPIDS",
                "1",
                "MI",
                &by_zip,
                &by_state
            ),
            ("1201 MADISON SE".into(), "GRAND RAPIDS".into())
        );
        assert_eq!(
            split_glued("4 CAMUY", "1", "PR", &by_zip, &by_state),
            ("4".into(), "CAMUY".into())
        );
    }

    #[test]
    fn unknown_coordinates_and_phones_become_none() {
        assert_eq!(coordinates("0", "0").unwrap(), (None, None));
        assert_eq!(
            coordinates("40.1", "-89.3").unwrap(),
            (Some(40.1), Some(-89.3))
        );
        assert!(coordinates("north", "1").is_err());
        assert_eq!(phone("2177328878").as_deref(), Some("217-732-8878"));
        assert_eq!(phone("-3"), None);
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_the_rest_kept() {
        let csv = "fscs_id,name,phone,county,location,lat,long\n\
                   IL0290,LINCOLN PUBLIC LIBRARY,2177328878,LOGAN,\"725 PEKIN STREET\nLINCOLN, IL 62656\",40.1,-89.3\n\
                   XX0001,BROKEN,1,C,NOWHERE,1,1\n\
                   XX0002,SHORT,1\n\
                   NY0001,A &amp; B LIBRARY,-3,KINGS,\"1 MAIN ST BROOKLYN, NY 11201\",0,0\n";
        let (outlets, skipped) = read(csv.as_bytes()).unwrap();
        assert_eq!(outlets.len(), 2);
        assert_eq!(
            skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert_eq!(outlets[1].fields.name, "A & B LIBRARY");
        assert_eq!(outlets[1].line, 6);
        assert_eq!(outlets[1].fields.latitude, None);
        assert_eq!(outlets[1].fields.city, "BROOKLYN");
    }

    #[test]
    fn the_real_file_reads_whole() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/library_outlets.csv"
        );
        let Ok(file) = std::fs::File::open(path) else {
            return;
        };
        let (outlets, skipped) = read(file).unwrap();
        assert_eq!(outlets.len(), 2000, "{skipped:?}");
        assert!(outlets.iter().all(|o| !o.fields.city.is_empty()));
        assert!(outlets.iter().any(|o| o.fields.street.contains("MUÑOZ")));
        assert!(!outlets.iter().any(|o| o.fields.street.contains("&amp;")));
    }
}
