//! Finding libraries: parameters checked and named, candidates narrowed in
//! SQL, ranked in process, and paged with keyset cursors.
//!
//! Every result has a sort key `(primary, name, id)`: minus the relevance
//! score for `q`, metres from `near`, or 0 (name order). A cursor carries the
//! last key handed out and a fingerprint of the query, so a page never repeats
//! or skips a library while the data is unchanged, and a cursor from another
//! query is refused instead of silently paging something else.

use crate::hours::OpeningHours;
use crate::{DirectoryError, DirectoryResult};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::directory::{self as sd, Entry, Filter};
use store::{Access, Store};

/// The query string as received; every field is checked by [`RawQuery::parse`].
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RawQuery {
    /// Words to find, in any order and any case.
    pub q: Option<String>,
    /// Two-letter state code.
    pub state: Option<String>,
    /// County name.
    pub county: Option<String>,
    /// City name.
    pub city: Option<String>,
    /// Five-digit ZIP code.
    pub zip: Option<String>,
    /// Where to rank by distance from: `LAT,LON`, a ZIP code, a town or `town, ST`.
    pub near: Option<String>,
    /// `true`: only the consortium's member libraries and their branches.
    pub member: Option<String>,
    /// Distances in `mi` (the default) or `km`.
    pub units: Option<String>,
    /// Only libraries within this distance of `near`, in `units`.
    pub radius: Option<String>,
    /// A library system's id: its outlets.
    pub system: Option<String>,
    /// Only libraries within this many kilometres of `near`.
    pub radius_km: Option<String>,
    /// Items per page, 1 to `store::MAX_PAGE_LIMIT` (default 20).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Lower-case words of `q`.
    pub words: Vec<String>,
    /// Upper-case state.
    pub state: Option<String>,
    /// County, as words.
    pub county: Option<Vec<String>>,
    /// City, as words.
    pub city: Option<Vec<String>>,
    /// ZIP code.
    pub zip: Option<String>,
    /// Where distances are measured from.
    pub near: Option<Near>,
    /// Only members and their branches.
    pub member_only: bool,
    /// Units distances are shown and `radius` is given in.
    pub units: Units,
    /// System id.
    pub system: Option<String>,
    /// Radius in km.
    pub radius_km: Option<f64>,
    /// Page size.
    pub limit: usize,
    /// Where the page starts.
    pub after: Option<Key>,
}

/// A result's position in the order: (0 for members and their branches
/// else 1, primary, name, id).
#[derive(Debug, Clone, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Key(pub i64, pub i64, pub String, pub i64);

impl Key {
    /// Before every result: the cursor of a first page reached backwards.
    fn start() -> Self {
        Key(i64::MIN, i64::MIN, String::new(), i64::MIN)
    }
}

/// Where `near` measures from: a point, or a place found in the directory's own data.
#[derive(Debug, Clone, PartialEq)]
pub enum Near {
    /// Latitude and longitude.
    Point(f64, f64),
    /// A five-digit ZIP code: the centre of its libraries.
    Zip(String),
    /// A town, upper case, with its state if given: the centre of its libraries.
    Town(String, Option<String>),
}

/// Miles or kilometres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// Statute miles, the default for US data.
    #[default]
    Mi,
    /// Kilometres.
    Km,
}

impl Units {
    /// Kilometres in one unit.
    pub fn km(self) -> f64 {
        match self {
            Units::Mi => 1.609_344,
            Units::Km => 1.0,
        }
    }

    /// `mi` or `km`.
    pub fn code(self) -> &'static str {
        match self {
            Units::Mi => "mi",
            Units::Km => "km",
        }
    }
}

/// The longest `q` accepted.
pub const MAX_Q: usize = 200;
/// The most libraries one query ranks; far above any real directory.
pub const MAX_CANDIDATES: i64 = 200_000;

fn text_param(field: &str, v: &Option<String>) -> DirectoryResult<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > MAX_Q => Err(DirectoryError::invalid(
            field,
            format!("{field} may have at most {MAX_Q} characters"),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

fn words_param(field: &str, v: &Option<String>) -> DirectoryResult<Option<Vec<String>>> {
    match text_param(field, v)? {
        None => Ok(None),
        Some(s) => {
            let w = sd::words(&s);
            if w.is_empty() {
                Err(DirectoryError::invalid(
                    field,
                    format!("{field} must contain letters or digits"),
                ))
            } else {
                Ok(Some(w))
            }
        }
    }
}

impl RawQuery {
    /// Checks every parameter, naming the first that is wrong.
    pub fn parse(&self) -> DirectoryResult<Query> {
        let words = match text_param("q", &self.q)? {
            None => Vec::new(),
            Some(q) => {
                let mut w = sd::words(&q);
                w.dedup();
                if w.len() > 12 {
                    return Err(DirectoryError::invalid("q", "q may have at most 12 words"));
                }
                w
            }
        };
        let state = match text_param("state", &self.state)? {
            None => None,
            Some(s) if s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(s.to_ascii_uppercase())
            }
            Some(s) => {
                return Err(DirectoryError::invalid(
                    "state",
                    format!("state must be a two-letter code such as MO, got {s:?}"),
                ))
            }
        };
        let zip = match text_param("zip", &self.zip)? {
            None => None,
            Some(z) => {
                let five: String = z.chars().take(5).collect();
                let ok = five.len() == 5
                    && five.chars().all(|c| c.is_ascii_digit())
                    && (z.len() == 5
                        || (z.len() == 10
                            && z.as_bytes()[5] == b'-'
                            && z[6..].chars().all(|c| c.is_ascii_digit())));
                if !ok {
                    return Err(DirectoryError::invalid(
                        "zip",
                        format!("zip must be a five-digit ZIP code, got {z:?}"),
                    ));
                }
                Some(five)
            }
        };
        let near = match text_param("near", &self.near)? {
            None => None,
            Some(n) => Some(parse_near(&n)?),
        };
        let units = match text_param("units", &self.units)?.as_deref() {
            None | Some("mi") => Units::Mi,
            Some("km") => Units::Km,
            Some(u) => {
                return Err(DirectoryError::invalid(
                    "units",
                    format!("units must be mi or km, got {u:?}"),
                ))
            }
        };
        let member_only = match text_param("member", &self.member)?.as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(m) => {
                return Err(DirectoryError::invalid(
                    "member",
                    format!("member must be true or false, got {m:?}"),
                ))
            }
        };
        let radius = |field: &str, v: &Option<String>, unit: &str, per_km: f64| match text_param(
            field, v,
        )? {
            None => Ok(None),
            Some(r) => {
                let max = 20_040.0 / per_km;
                let v: f64 = r
                        .parse()
                        .ok()
                        .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v <= max)
                        .ok_or_else(|| {
                            DirectoryError::invalid(
                                field,
                                format!("{field} must be a number of {unit} above 0 and at most {max:.0}, got {r:?}"),
                            )
                        })?;
                if near.is_none() {
                    return Err(DirectoryError::invalid(
                        field,
                        format!(
                            "{field} needs near= (a ZIP code, a town or LAT,LON) to measure from"
                        ),
                    ));
                }
                Ok(Some(v * per_km))
            }
        };
        let radius_km = match radius("radius", &self.radius, units_name(units), units.km())? {
            Some(r) => Some(r),
            None => radius("radius_km", &self.radius_km, "kilometres", 1.0)?,
        };
        let limit = match text_param("limit", &self.limit)? {
            None => 20,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=store::MAX_PAGE_LIMIT as usize).contains(n))
                .ok_or_else(|| {
                    DirectoryError::invalid(
                        "limit",
                        format!(
                            "limit must be a whole number from 1 to {}, got {l:?}",
                            store::MAX_PAGE_LIMIT
                        ),
                    )
                })?,
        };
        let system = match text_param("system", &self.system)? {
            None => None,
            Some(s)
                if s.len() <= 32 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                Some(s.to_ascii_uppercase())
            }
            Some(s) => {
                return Err(DirectoryError::invalid(
                    "system",
                    format!("system must be a library system id such as IL0290, got {s:?}"),
                ))
            }
        };
        let mut query = Query {
            words,
            member_only,
            units,
            system,
            state,
            county: words_param("county", &self.county)?,
            city: words_param("city", &self.city)?,
            zip,
            near,
            radius_km,
            limit,
            after: None,
        };
        if let Some(c) = text_param("cursor", &self.cursor)? {
            query.after = Some(decode_cursor(&c, &query.fingerprint()).ok_or_else(|| {
                DirectoryError::invalid(
                    "cursor",
                    "cursor is not one this server gave out for this query; start again without it",
                )
            })?);
        }
        Ok(query)
    }
}

impl Query {
    /// The query without its page: equal for every page of one result set.
    pub fn canonical(&self) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let ws = |o: &Option<Vec<String>>| o.as_ref().map(|w| w.join(" ")).unwrap_or_default();
        let near = match &self.near {
            None => String::new(),
            Some(Near::Point(a, b)) => format!("{a:.6},{b:.6}"),
            Some(Near::Zip(z)) => format!("zip:{z}"),
            Some(Near::Town(t, s)) => format!("town:{t},{}", s.clone().unwrap_or_default()),
        };
        let radius = self.radius_km.map(|r| format!("{r}")).unwrap_or_default();
        format!(
            "q={}&state={}&county={}&city={}&zip={}&system={}&near={near}&radius={radius}&member={}&units={}",
            self.words.join(" "),
            opt(&self.state),
            ws(&self.county),
            ws(&self.city),
            opt(&self.zip),
            opt(&self.system),
            self.member_only,
            self.units.code(),
        )
    }

    /// The query and its page, as a cache key.
    pub fn page_key(&self) -> String {
        let after = self
            .after
            .as_ref()
            .map(|k| encode_cursor(k, ""))
            .unwrap_or_default();
        format!("{}&limit={}&after={after}", self.canonical(), self.limit)
    }

    fn fingerprint(&self) -> String {
        hex::encode(&Sha256::digest(self.canonical().as_bytes())[..6])
    }

    fn filter(&self, point: Option<(f64, f64)>) -> Filter {
        let mut words = self.words.clone();
        words.extend(self.county.iter().flatten().cloned());
        words.extend(self.city.iter().flatten().cloned());
        let bbox = match (point, self.radius_km) {
            (Some((lat, lon)), Some(r)) => {
                let dlat = r / 110.574 + 0.01;
                let (lo, hi) = (lat - dlat, lat + dlat);
                let cos = lat.to_radians().cos();
                // Near a pole or across the antimeridian a longitude window is
                // not one interval; latitude alone still narrows enough.
                let lon_window = if lo > -89.0 && hi < 89.0 && cos > 0.01 {
                    let dlon = r
                        / (111.320
                            * cos
                                .min((lo.to_radians().cos()).min(hi.to_radians().cos()))
                                .max(0.01))
                        + 0.01;
                    (lon - dlon >= -180.0 && lon + dlon <= 180.0)
                        .then_some((lon - dlon, lon + dlon))
                } else {
                    None
                };
                Some((lo, hi, lon_window))
            }
            _ => None,
        };
        Filter {
            state: self.state.clone(),
            county: None,
            city: None,
            zip: self.zip.clone(),
            system: self.system.clone(),
            words,
            bbox,
            located: point.is_some(),
            members_only: self.member_only,
        }
    }
}

/// A library in a result list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = DirectoryItem)]
pub struct Item {
    /// Its id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// County.
    pub county: String,
    /// State.
    pub state: String,
    /// ZIP code.
    pub zip: String,
    /// Telephone, or null.
    pub phone: Option<String>,
    /// Web site, or null.
    pub website: Option<String>,
    /// Public email, or null.
    pub email: Option<String>,
    /// Opening hours, or null.
    pub hours: Option<String>,
    /// Services, or null.
    pub services: Option<String>,
    /// Latitude, or null when unknown.
    pub latitude: Option<f64>,
    /// Longitude, or null when unknown.
    pub longitude: Option<f64>,
    /// The library system's code (outlets of one system share it), or null.
    pub system_id: Option<String>,
    /// The parent system's directory id, or null.
    pub parent_id: Option<i64>,
    /// Kilometres from `near`, only when `near` was given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[schema(nullable = false)]
    pub distance_km: Option<f64>,
    /// Miles from `near`, only when `near` was given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[schema(nullable = false)]
    pub distance_mi: Option<f64>,
    /// Whether it is one of the consortium's member libraries or their branches.
    #[serde(default)]
    pub member: bool,
    /// The name as the source (the IMLS survey) spells it: what search and export use.
    #[serde(default)]
    pub listed_name: String,
    /// Opening hours as data, or null.
    #[serde(default)]
    pub opening_hours: Option<OpeningHours>,
    /// Services from the directory's vocabulary (codes).
    #[serde(default)]
    pub service_tags: Vec<String>,
    /// The telephone in E.164 (`+15735550100`), when it is a full number.
    #[serde(default)]
    pub phone_e164: Option<String>,
    /// An OpenStreetMap link to its location, when known.
    #[serde(default)]
    pub map_url: Option<String>,
}

impl Item {
    /// The public view of a stored entry.
    pub fn from_entry(e: &Entry, distance_km: Option<f64>) -> Self {
        Self::from_entry_as(e, distance_km, e.library_id.is_some())
    }

    /// The public view of a stored entry whose membership the caller knows (a branch's is its parent's).
    pub fn from_entry_as(e: &Entry, distance_km: Option<f64>, member: bool) -> Self {
        let opening_hours: Option<OpeningHours> = e
            .opening_hours
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok());
        Item {
            id: e.id,
            name: crate::names::title_case(&e.name),
            listed_name: e.name.clone(),
            member,
            hours: opening_hours
                .as_ref()
                .map(|h| h.readable().join("\n"))
                .or_else(|| e.hours.clone()),
            opening_hours,
            service_tags: e
                .service_tags
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            phone_e164: e.phone.as_deref().and_then(crate::names::e164),
            map_url: match (e.latitude, e.longitude) {
                (Some(la), Some(lo)) => Some(crate::names::map_url(la, lo)),
                _ => None,
            },
            distance_mi: distance_km.map(|d| (d / 1.609_344 * 1000.0).round() / 1000.0),
            address: e.street.clone(),
            city: e.city.clone(),
            county: e.county.clone(),
            state: e.state.clone(),
            zip: e.zip.clone(),
            phone: e.phone.clone(),
            website: e.website.clone(),
            email: e.email.clone(),
            services: e.services.clone(),
            latitude: e.latitude,
            longitude: e.longitude,
            system_id: e.system_code.clone(),
            parent_id: e.parent_id,
            distance_km: distance_km.map(|d| (d * 1000.0).round() / 1000.0),
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = DirectoryPage)]
pub struct Page {
    /// The libraries.
    pub items: Vec<Item>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
    /// Pass as `cursor` for the previous page; null on the first one.
    #[serde(default)]
    pub prev_cursor: Option<String>,
    /// How many libraries match, over all pages.
    #[serde(default)]
    pub total: usize,
    /// How many come before this page's first.
    #[serde(default)]
    pub offset: usize,
    /// Where distances were measured from, when `near` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<f64>>, nullable = false)]
    pub origin: Option<(f64, f64)>,
    /// `mi` or `km`: the unit the page shows distances in.
    #[serde(default)]
    pub units: String,
}

/// The opaque cursor for the page after `k` of the search `fp` names.
pub fn encode_cursor(k: &Key, fp: &str) -> String {
    let json = serde_json::json!([fp, k.0, k.1, k.2, k.3]).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The key a cursor stands for; `None` when it is not one for the search `fp` names.
pub fn decode_cursor(c: &str, fp: &str) -> Option<Key> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let (f, m, a, b, id): (String, i64, i64, String, i64) = serde_json::from_slice(&bytes).ok()?;
    let key = Key(m, a, b, id);
    // JSON with spaces or `\u` escapes reads as the same key, but only the
    // cursor the key encodes to was given out.
    (f == fp && encode_cursor(&key, fp) == c).then_some(key)
}

/// Great-circle distance in kilometres.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().min(1.0).asin()
}

/// How `have` (any case) matches the lower-case word `want`: 2 the same
/// word, 1 a word it starts with, 0 neither. Compared a character at a time,
/// so ranking tens of thousands of candidates allocates nothing per word.
fn tier(have: &str, want: &str) -> u8 {
    let mut h = have.chars().flat_map(char::to_lowercase);
    for w in want.chars() {
        if h.next() != Some(w) {
            return 0;
        }
    }
    if h.next().is_none() {
        2
    } else {
        1
    }
}

/// The words of `text` as slices of it, in the sense of [`sd::words`] (not yet lower-cased).
fn raw_words(text: &str) -> impl Iterator<Item = &str> + Clone {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// How well `e` matches every word of `words`; `None` if one word matches nothing.
pub fn score(e: &Entry, words: &[String]) -> Option<i64> {
    score_of(e, words)
}

/// What ranking reads of a candidate: a full [`Entry`] or a [`sd::Slim`]
/// row, so a search ranks the slim rows it loaded without first copying
/// each into a full entry (at 200,000 outlets and a common word, moving
/// those large values about was a good part of a search's time).
trait Rankable {
    fn id(&self) -> i64;
    fn library_id(&self) -> Option<i64>;
    fn parent_id(&self) -> Option<i64>;
    fn name(&self) -> &str;
    fn street(&self) -> &str;
    fn city(&self) -> &str;
    fn county(&self) -> &str;
    fn state(&self) -> &str;
    fn zip(&self) -> &str;
    fn located(&self) -> Option<(f64, f64)>;
    /// Moves the sort name out for the key: nothing reads it from the candidate after.
    fn take_sort_name(&mut self) -> String;
}

macro_rules! rankable {
    ($t:ty) => {
        impl Rankable for $t {
            fn id(&self) -> i64 {
                self.id
            }
            fn library_id(&self) -> Option<i64> {
                self.library_id
            }
            fn parent_id(&self) -> Option<i64> {
                self.parent_id
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn street(&self) -> &str {
                &self.street
            }
            fn city(&self) -> &str {
                &self.city
            }
            fn county(&self) -> &str {
                &self.county
            }
            fn state(&self) -> &str {
                &self.state
            }
            fn zip(&self) -> &str {
                &self.zip
            }
            fn located(&self) -> Option<(f64, f64)> {
                Some((self.latitude?, self.longitude?))
            }
            fn take_sort_name(&mut self) -> String {
                std::mem::take(&mut self.sort_name)
            }
        }
    };
}
rankable!(Entry);
rankable!(sd::Slim);

fn score_of(e: &impl Rankable, words: &[String]) -> Option<i64> {
    let name = raw_words(e.name());
    let place = raw_words(e.city()).chain(raw_words(e.county()));
    let rest = raw_words(e.street())
        .chain(raw_words(e.state()))
        .chain(raw_words(e.zip()));
    fn best<'a>(ws: impl Iterator<Item = &'a str>, w: &str, exact: i64, prefix: i64) -> i64 {
        let mut top = 0;
        for x in ws {
            match tier(x, w) {
                2 => return exact,
                1 => top = prefix,
                _ => {}
            }
        }
        top
    }
    let mut total = 0;
    for w in words {
        let s = best(name.clone(), w, 10, 6)
            .max(best(place.clone(), w, 5, 3))
            .max(best(rest.clone(), w, 2, 1));
        if s == 0 {
            return None;
        }
        total += s;
    }
    let mut name_words = name.clone();
    if let (Some(first), Some(n0)) = (words.first(), name_words.next()) {
        if tier(n0, first) > 0 {
            total += 4;
        }
    }
    // The words in the order the name has them, side by side.
    if words.len() > 1 {
        let name: Vec<&str> = name.collect();
        if name
            .windows(words.len())
            .any(|win| win.iter().zip(words).all(|(n, w)| tier(n, w) > 0))
        {
            total += 5;
        }
    }
    Some(total)
}

/// Ranks already filtered candidates and returns them in result order with
/// their keys; `point` is where `near` resolved to, `members` the member
/// libraries' own entries.
pub fn rank(
    query: &Query,
    point: Option<(f64, f64)>,
    members: &[i64],
    candidates: Vec<Entry>,
) -> Vec<(Key, Entry, Option<f64>, bool)> {
    let mut out = keyed(query, point, members, candidates);
    out.sort_by(by_key);
    out
}

/// A ranked result: its key, its entry (or slim row), its distance and whether it is a member's.
type Ranked<T = Entry> = (Key, T, Option<f64>, bool);

fn by_key<T>(a: &Ranked<T>, b: &Ranked<T>) -> std::cmp::Ordering {
    a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal)
}

/// The matches among `candidates` with their keys, in no particular order.
fn keyed<T: Rankable>(
    query: &Query,
    point: Option<(f64, f64)>,
    members: &[i64],
    candidates: Vec<T>,
) -> Vec<Ranked<T>> {
    let place_ok = |want: &Option<Vec<String>>, have: &str| {
        want.as_ref().is_none_or(|w| sd::words(have) == *w)
    };
    candidates
        .into_iter()
        .filter(|e| place_ok(&query.county, e.county()) && place_ok(&query.city, e.city()))
        .filter_map(|mut e| {
            let score = if query.words.is_empty() {
                0
            } else {
                score_of(&e, &query.words)?
            };
            let dist = match (point, e.located()) {
                (Some(p), Some(at)) => Some(haversine_km(p, at)),
                (Some(_), None) => return None,
                _ => None,
            };
            if let (Some(d), Some(r)) = (dist, query.radius_km) {
                if d > r {
                    return None;
                }
            }
            let member = e.library_id().is_some()
                || e.parent_id()
                    .is_some_and(|p| members.binary_search(&p).is_ok());
            if query.member_only && !member {
                return None;
            }
            let primary = match dist {
                Some(d) => (d * 1000.0).round() as i64,
                None => -score,
            };
            let key = Key(i64::from(!member), primary, e.take_sort_name(), e.id());
            Some((key, e, dist, member))
        })
        .collect()
}

/// One page's worth of ranked matches, chosen without sorting them all.
struct Top<T = Entry> {
    /// Every match.
    total: usize,
    /// How many come before the page (at or before its cursor).
    start: usize,
    /// The page, in order.
    items: Vec<Ranked<T>>,
    /// Whether more follow the page.
    more: bool,
    /// The key just before the previous page, when this is not the first.
    prev: Option<Key>,
}

/// The page of `query` among `matches`: selections of the page size
/// (linear) where a sort of every match would be `n log n`, which at
/// 200,000 outlets and a common word is most of a search's time.
fn top<T>(query: &Query, matches: Vec<Ranked<T>>) -> Top<T> {
    let total = matches.len();
    let (mut before, mut rest): (Vec<Ranked<T>>, Vec<Ranked<T>>) = match &query.after {
        None => (Vec::new(), matches),
        Some(c) => matches.into_iter().partition(|(k, ..)| !after(k, c)),
    };
    let start = before.len();
    let limit = query.limit.max(1);
    let more = rest.len() > limit;
    if more {
        rest.select_nth_unstable_by(limit, by_key);
        rest.truncate(limit);
    }
    rest.sort_by(by_key);
    let prev = (start > 0).then(|| match start.saturating_sub(limit).checked_sub(1) {
        Some(i) => {
            before.select_nth_unstable_by(i, by_key);
            before[i].0.clone()
        }
        None => Key::start(),
    });
    Top {
        total,
        start,
        items: rest,
        more,
        prev,
    }
}

fn after(k: &Key, cursor: &Key) -> bool {
    (k.0, k.1, &k.2, k.3) > (cursor.0, cursor.1, &cursor.2, cursor.3)
}

fn units_name(u: Units) -> &'static str {
    match u {
        Units::Mi => "miles",
        Units::Km => "kilometres",
    }
}

/// Reads `near`: `LAT,LON`, a ZIP code, a town, or `town, ST`.
pub fn parse_near(n: &str) -> DirectoryResult<Near> {
    let bad = || {
        DirectoryError::invalid(
            "near",
            format!("near must be a ZIP code, a town (such as Columbia, MO) or LAT,LON such as 38.95,-92.33; got {n:?}"),
        )
    };
    if let Some((a, b)) = n.split_once(',') {
        if let (Ok(lat), Ok(lon)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(bad());
            }
            return Ok(Near::Point(lat, lon));
        }
    }
    let t = n.trim();
    let digits = t.chars().take(5).filter(char::is_ascii_digit).count();
    if digits == 5 && (t.len() == 5 || (t.len() == 10 && t.as_bytes()[5] == b'-')) {
        return Ok(Near::Zip(t[..5].to_owned()));
    }
    if t.chars().any(|c| c.is_ascii_digit()) || !t.chars().any(char::is_alphabetic) {
        return Err(bad());
    }
    let (town, state) = match t.rsplit_once(',') {
        Some((town, st))
            if st.trim().len() == 2 && st.trim().chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            (town.trim(), Some(st.trim().to_ascii_uppercase()))
        }
        Some(_) => return Err(bad()),
        None => (t, None),
    };
    let town = sd::words(town).join(" ").to_uppercase();
    if town.is_empty() {
        return Err(bad());
    }
    Ok(Near::Town(town, state))
}

/// Where `near` is on the map (blocking); a place the directory has no library in is refused.
fn resolve(c: &mut store::DbConn, near: &Option<Near>) -> DirectoryResult<Option<(f64, f64)>> {
    Ok(match near {
        None => None,
        Some(Near::Point(a, b)) => Some((*a, *b)),
        Some(Near::Zip(z)) => Some(sd::zip_centroid(c, z)?.ok_or_else(|| {
            DirectoryError::invalid(
                "near",
                format!("no library in the directory has ZIP code {z}; try a town or a nearby ZIP code"),
            )
        })?),
        Some(Near::Town(t, s)) => Some(sd::town_centroid(c, t, s.as_deref())?.ok_or_else(|| {
            DirectoryError::invalid(
                "near",
                format!("no library in the directory is in a town called {}; check the spelling or try a ZIP code", crate::names::title_case(t)),
            )
        })?),
    })
}

/// The ranked matches of a query (blocking): the resolved origin and the results.
#[allow(clippy::type_complexity)]
fn ranked(
    store: &Store,
    query: &Query,
) -> DirectoryResult<(Option<(f64, f64)>, Vec<(Key, Entry, Option<f64>, bool)>)> {
    store.consortium(Access::Read, |c| -> DirectoryResult<_> {
        let point = resolve(c, &query.near)?;
        let members = sd::member_ids(c)?;
        let candidates = sd::candidates(c, &query.filter(point), MAX_CANDIDATES)?;
        Ok((point, rank(query, point, &members, candidates)))
    })
}

/// Runs a query against the database (blocking) and returns one page.
pub fn run(store: &Store, query: &Query) -> DirectoryResult<Page> {
    if query.words.is_empty()
        && query.near.is_none()
        && query.county.is_none()
        && query.city.is_none()
        && !query.member_only
    {
        return listing(store, query);
    }
    store.consortium(Access::Read, |c| -> DirectoryResult<_> {
        let point = resolve(c, &query.near)?;
        let members = sd::member_ids(c)?;
        // Ranked on the few columns ranking reads; the page's rows in full after.
        let slim = sd::slim_candidates(c, &query.filter(point), MAX_CANDIDATES)?;
        let top = top(query, keyed(query, point, &members, slim));
        let ids: Vec<i64> = top.items.iter().map(|r| r.1.id).collect();
        let mut full: std::collections::HashMap<i64, Entry> = sd::by_ids(c, &ids)?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let items = top
            .items
            .into_iter()
            .map(|(k, s, d, m)| {
                let e = full.remove(&s.id).unwrap_or_else(|| slim_entry(s));
                (k, e, d, m)
            })
            .collect();
        let top = Top {
            items,
            total: top.total,
            start: top.start,
            more: top.more,
            prev: top.prev,
        };
        Ok(page_of(query, point, top))
    })
}

/// An entry holding only what ranking reads; the rest stays empty.
fn slim_entry(s: sd::Slim) -> Entry {
    Entry {
        id: s.id,
        library_id: s.library_id,
        parent_id: s.parent_id,
        system_code: None,
        source_key: None,
        name: s.name,
        street: s.street,
        city: s.city,
        county: s.county,
        state: s.state,
        zip: s.zip,
        phone: None,
        website: None,
        email: None,
        hours: None,
        services: None,
        latitude: s.latitude,
        longitude: s.longitude,
        search_text: String::new(),
        version: 0,
        updated_at: chrono::NaiveDateTime::default(),
        opening_hours: None,
        service_tags: String::new(),
        retired_at: None,
        curated: false,
        sort_name: s.sort_name,
    }
}

/// A query without words or `near` in listing order, read a page at a time
/// from the listing index: the members (a handful, ordered here) first,
/// then the rest as the index has them, which is the order `rank` gives.
fn listing(store: &Store, query: &Query) -> DirectoryResult<Page> {
    store.consortium(Access::Read, |c| -> DirectoryResult<_> {
        let filter = query.filter(None);
        let members = sd::member_ids(c)?;
        let ranked_members = rank(
            query,
            None,
            &members,
            sd::member_candidates(c, &filter, &members)?,
        );
        let total = sd::count_matching(c, &filter)? as usize;
        let m = ranked_members.len();
        let limit = query.limit;
        let fp = query.fingerprint();
        let in_members = query.after.as_ref().is_none_or(|k| k.0 <= 0);
        let mut items: Vec<(Key, Item)> = Vec::new();
        let offset;
        let mut more;
        if in_members {
            let start = match &query.after {
                None => 0,
                Some(k) => ranked_members.partition_point(|(x, ..)| !after(x, k)),
            };
            offset = start;
            for (k, e, d, mem) in ranked_members.iter().skip(start).take(limit) {
                items.push((k.clone(), Item::from_entry_as(e, *d, *mem)));
            }
            more = m > start + items.len();
            if !more {
                // `want` may be 0: one more row says whether a next page exists.
                let want = limit - items.len();
                let rest = sd::listing(c, &filter, &members, None, want as i64 + 1)?;
                more = rest.len() > want;
                for e in rest.into_iter().take(want) {
                    items.push((
                        Key(1, 0, e.sort_name.clone(), e.id),
                        Item::from_entry_as(&e, None, false),
                    ));
                }
            }
        } else {
            let k = query.after.clone().unwrap_or_else(Key::start);
            let rest = sd::listing(c, &filter, &members, Some((&k.2, k.3)), limit as i64 + 1)?;
            more = rest.len() > limit;
            offset = m + sd::listing_position(c, &filter, &members, (&k.2, k.3))? as usize;
            for e in rest.into_iter().take(limit) {
                items.push((
                    Key(1, 0, e.sort_name.clone(), e.id),
                    Item::from_entry_as(&e, None, false),
                ));
            }
        }
        let next_cursor = more
            .then(|| items.last())
            .flatten()
            .map(|(k, _)| encode_cursor(k, &fp));
        let prev_cursor = match offset {
            0 => None,
            o => {
                let prev_start = o.saturating_sub(limit);
                let key = match prev_start.checked_sub(1) {
                    None => Key::start(),
                    Some(i) if i < m => ranked_members[i].0.clone(),
                    Some(i) => match sd::listing_nth(c, &filter, &members, (i - m) as i64)? {
                        Some(e) => Key(1, 0, e.sort_name, e.id),
                        None => Key::start(),
                    },
                };
                Some(encode_cursor(&key, &fp))
            }
        };
        Ok(Page {
            items: items.into_iter().map(|(_, i)| i).collect(),
            next_cursor,
            prev_cursor,
            total,
            offset,
            origin: None,
            units: query.units.code().to_owned(),
        })
    })
}

/// Pages ranked candidates (the members among them given), for tests and benchmarks.
pub fn page(query: &Query, candidates: Vec<Entry>) -> Page {
    let point = match &query.near {
        Some(Near::Point(a, b)) => Some((*a, *b)),
        _ => None,
    };
    page_of(
        query,
        point,
        top(query, keyed(query, point, &[], candidates)),
    )
}

fn page_of(query: &Query, point: Option<(f64, f64)>, top: Top) -> Page {
    let fp = query.fingerprint();
    let next_cursor = top
        .more
        .then(|| top.items.last())
        .flatten()
        .map(|(k, ..)| encode_cursor(k, &fp));
    let prev_cursor = top.prev.map(|k| encode_cursor(&k, &fp));
    Page {
        items: top
            .items
            .iter()
            .map(|(_, e, d, m)| Item::from_entry_as(e, *d, *m))
            .collect(),
        next_cursor,
        prev_cursor,
        total: top.total,
        offset: top.start,
        origin: point,
        units: query.units.code().to_owned(),
    }
}

/// Every match of a query, for exports (blocking).
pub fn all(store: &Store, query: &Query) -> DirectoryResult<Vec<Item>> {
    let (_, ranked) = ranked(store, query)?;
    Ok(ranked
        .into_iter()
        .map(|(_, e, d, m)| Item::from_entry_as(&e, d, m))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cursor_a_key_encodes_to_is_taken() {
        let key = Key(1, 0, "Oak Park".into(), 3);
        let c = encode_cursor(&key, "");
        assert_eq!(decode_cursor(&c, ""), Some(key));
        // The same key with a space in its JSON: not a cursor the server wrote.
        let spaced =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"["", 1,0,"Oak Park",3]"#);
        assert_eq!(decode_cursor(&spaced, ""), None);
    }

    fn entry(id: i64, name: &str, city: &str, lat: Option<f64>, lon: Option<f64>) -> Entry {
        let fields = sd::EntryFields {
            name: name.into(),
            city: city.into(),
            state: "MO".into(),
            zip: "65201".into(),
            latitude: lat,
            longitude: lon,
            ..Default::default()
        };
        Entry {
            id,
            library_id: None,
            parent_id: None,
            system_code: None,
            source_key: None,
            search_text: sd::search_text(&fields),
            name: fields.name,
            street: String::new(),
            city: fields.city,
            county: "BOONE".into(),
            state: fields.state,
            zip: fields.zip,
            phone: None,
            website: None,
            email: None,
            hours: None,
            services: None,
            latitude: lat,
            longitude: lon,
            version: 1,
            updated_at: chrono::NaiveDateTime::default(),
            opening_hours: None,
            service_tags: String::new(),
            retired_at: None,
            curated: false,
            sort_name: name.to_lowercase(),
        }
    }

    fn q(s: &[(&str, &str)]) -> DirectoryResult<Query> {
        let mut r = RawQuery::default();
        for (k, v) in s {
            let v = Some((*v).to_owned());
            match *k {
                "q" => r.q = v,
                "state" => r.state = v,
                "zip" => r.zip = v,
                "near" => r.near = v,
                "radius_km" => r.radius_km = v,
                "limit" => r.limit = v,
                "cursor" => r.cursor = v,
                "units" => r.units = v,
                "member" => r.member = v,
                _ => unreachable!(),
            }
        }
        r.parse()
    }

    #[test]
    fn bad_parameters_are_named() {
        for (k, v) in [
            ("state", "Missouri"),
            ("zip", "6520"),
            ("near", "91,0"),
            ("near", "12,ab"),
            ("near", "Columbia, Missouri"),
            ("units", "furlongs"),
            ("member", "maybe"),
            ("limit", "0"),
            ("limit", "201"),
            ("cursor", "nope"),
        ] {
            match q(&[(k, v)]) {
                Err(DirectoryError::Invalid { field, .. }) => assert_eq!(field, k),
                other => panic!("{k}={v}: {other:?}"),
            }
        }
        match q(&[("radius_km", "5")]) {
            Err(DirectoryError::Invalid { field, .. }) => assert_eq!(field, "radius_km"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn near_takes_a_zip_a_town_or_a_point() {
        assert_eq!(parse_near("65201").unwrap(), Near::Zip("65201".into()));
        assert_eq!(parse_near("65201-1234").unwrap(), Near::Zip("65201".into()));
        assert_eq!(
            parse_near("St. Louis, mo").unwrap(),
            Near::Town("ST LOUIS".into(), Some("MO".into()))
        );
        assert_eq!(
            parse_near("Lincoln").unwrap(),
            Near::Town("LINCOLN".into(), None)
        );
        assert_eq!(parse_near("38.9, -92.3").unwrap(), Near::Point(38.9, -92.3));
    }

    #[test]
    fn words_in_any_order_rank_the_name_first() {
        let es = vec![
            entry(1, "Columbia Public Library", "COLUMBIA", None, None),
            entry(2, "Boone County Library", "COLUMBIA", None, None),
            entry(3, "Public Library of Columbia", "ASHLAND", None, None),
        ];
        let query = q(&[("q", "LIBRARY columbia")]).unwrap();
        let p = page(&query, es);
        let ids: Vec<i64> = p.items.iter().map(|i| i.id).collect();
        assert_eq!(ids[..2], [1, 3]);
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn pages_never_repeat_or_skip_and_cursors_belong_to_their_query() {
        let es: Vec<Entry> = (1..=57)
            .map(|i| {
                entry(
                    i,
                    &format!("Library {}", i % 7),
                    "X",
                    Some(38.0 + i as f64 / 100.0),
                    Some(-92.0),
                )
            })
            .collect();
        for params in [vec![], vec![("q", "library")], vec![("near", "38.2,-92")]] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut p = params.clone();
                p.push(("limit", "10"));
                if let Some(c) = &cursor {
                    p.push(("cursor", c.as_str()));
                }
                let page = page(&q(&p).unwrap(), es.clone());
                seen.extend(page.items.iter().map(|i| i.id));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 57, "{params:?}");
            assert_eq!(seen.len(), 57, "{params:?}");
            if let Some(c) = &cursor {
                assert!(q(&[("q", "other"), ("cursor", c)]).is_err());
            }
        }
    }

    #[test]
    fn a_page_chosen_without_sorting_everything_is_the_sorted_one_and_goes_back() {
        let es: Vec<Entry> = (1..=83)
            .map(|i| {
                entry(
                    i,
                    &format!("Library {} of {}", i % 5, i % 11),
                    "X",
                    Some(38.0 + (i % 13) as f64 / 100.0),
                    Some(-92.0),
                )
            })
            .collect();
        for params in [vec![("q", "library 1")], vec![("near", "38.05,-92")]] {
            let mut p = params.clone();
            p.push(("limit", "7"));
            let query = q(&p).unwrap();
            let sorted: Vec<i64> = rank(&query, None, &[], es.clone())
                .iter()
                .map(|r| r.1.id)
                .collect();
            let mut pages: Vec<Page> = vec![page(&query, es.clone())];
            while let Some(c) = pages.last().and_then(|p| p.next_cursor.clone()) {
                let mut p = p.clone();
                p.push(("cursor", c.as_str()));
                pages.push(page(&q(&p).unwrap(), es.clone()));
            }
            let seen: Vec<i64> = pages
                .iter()
                .flat_map(|p| p.items.iter().map(|i| i.id))
                .collect();
            if params[0].0 == "q" {
                assert_eq!(seen, sorted, "{params:?}");
            }
            for w in pages.windows(2) {
                assert_eq!(w[1].offset, w[0].offset + w[0].items.len());
                let mut p = p.clone();
                let back = w[1].prev_cursor.clone().unwrap();
                p.push(("cursor", back.as_str()));
                assert_eq!(page(&q(&p).unwrap(), es.clone()).items, w[0].items);
            }
            assert!(pages[0].prev_cursor.is_none());
        }
    }

    #[test]
    fn distance_orders_and_radius_limits() {
        let es = vec![
            entry(1, "Far", "X", Some(39.0), Some(-92.0)),
            entry(2, "Near", "X", Some(38.01), Some(-92.0)),
            entry(3, "Unknown", "X", None, None),
        ];
        let p = page(
            &q(&[("near", "38,-92"), ("radius_km", "50")]).unwrap(),
            es.clone(),
        );
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].id, 2);
        assert!((p.items[0].distance_km.unwrap() - 1.112).abs() < 0.01);
        let p = page(&q(&[("near", "38,-92")]).unwrap(), es);
        assert_eq!(p.items.iter().map(|i| i.id).collect::<Vec<_>>(), [2, 1]);
    }
}
