//! The public directory's pages: the search form with its results, one
//! library with its schema.org data, and the page for an address with
//! nothing behind it. The directory crate supplies the data; these pages only
//! lay it out.

use super::filters;
use super::form::Field;
use super::layout::{Layout, DIRECTORY_NAV};
use crate::error::ApiError;
use askama::Template;
use directory::search::{Item, Page, RawQuery};
use directory::service::Detail;
use std::fmt;

pub mod director;

/// Percent-encodes a query-string value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// JSON for a `<script type="application/ld+json">` element. HTML escaping
/// would corrupt it (the script's text is not decoded), so it is written as
/// is, except that `</` becomes `<\/`: the same JSON, but it cannot end the
/// script element early.
pub struct ScriptJson(String);

impl ScriptJson {
    /// Wraps serialized JSON.
    pub fn new(json: &str) -> Self {
        ScriptJson(json.replace("</", "<\\/"))
    }
}

impl fmt::Display for ScriptJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Made safe for its context by `new`, so askama must not escape it again.
impl askama::filters::HtmlSafe for ScriptJson {}

struct Invalid<'a> {
    field: &'a str,
    detail: &'a str,
}

struct Hit<'a> {
    name: &'a str,
    place: String,
    distance: String,
    phone: Option<&'a str>,
    member: bool,
    /// The detail page, carrying this search so its 'back' returns here.
    href: String,
}

struct Found<'a> {
    hits: Vec<Hit<'a>>,
    /// "21–40 of 1,996".
    count: String,
    /// The previous page's query string, when there is one.
    prev: Option<String>,
    /// The next page's query string, when there is one.
    next: Option<String>,
    /// The same search over all outlets, when only members were shown.
    widen: Option<String>,
}

/// A choice in a `<select>`.
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "directory_search.html")]
struct Search<'a> {
    layout: Layout,
    fields: Vec<Field<'a>>,
    show: Vec<Choice>,
    units: Vec<Choice>,
    invalid: Option<Invalid<'a>>,
    results: Option<Found<'a>>,
}

/// The search's query string, every filter in force kept, the cursor replaced.
pub fn query_string(raw: &RawQuery, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("q", &raw.q),
        ("state", &raw.state),
        ("county", &raw.county),
        ("city", &raw.city),
        ("zip", &raw.zip),
        ("near", &raw.near),
        ("radius", &raw.radius),
        ("radius_km", &raw.radius_km),
        ("units", &raw.units),
        ("member", &raw.member),
        ("system", &raw.system),
        ("limit", &raw.limit),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            parts.push(format!("{k}={}", urlencode(v)));
        }
    }
    if let Some(c) = cursor {
        parts.push(format!("cursor={}", urlencode(c)));
    }
    parts.join("&")
}

fn joined(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

fn hit<'a>(i: &'a Item, units: &str, back: &str) -> Hit<'a> {
    let distance = match (units, i.distance_mi, i.distance_km) {
        ("km", _, Some(d)) => format!(" — {d:.1} km away"),
        (_, Some(d), _) => format!(" — {d:.1} miles away"),
        _ => String::new(),
    };
    Hit {
        name: &i.name,
        place: joined(&[
            &i.address,
            &directory::names::title_case(&i.city),
            &i.state,
            &i.zip,
        ]),
        distance,
        phone: i.phone.as_deref(),
        member: i.member,
        href: if back.is_empty() {
            format!("/directory/{}", i.id)
        } else {
            format!("/directory/{}?from={}", i.id, urlencode(back))
        },
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The search page: the form, and either results or the reason there are
/// none. `outcome` is the search's page, or the field it refused and why.
/// `raw` is the query as the page ran it (members only unless asked otherwise).
pub fn search_page<'a>(
    raw: &'a RawQuery,
    outcome: Result<&'a Page, (&'a str, &'a str)>,
) -> Result<String, ApiError> {
    let searched = [
        &raw.q,
        &raw.state,
        &raw.county,
        &raw.city,
        &raw.zip,
        &raw.near,
        &raw.system,
        &raw.member,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let mut fields = vec![
        Field::new("q", "Name or words", raw.q.as_deref(), ""),
        Field::new("city", "City", raw.city.as_deref(), ""),
        Field::new("county", "County", raw.county.as_deref(), ""),
        Field::new(
            "state",
            "State",
            raw.state.as_deref(),
            "Two letters, e.g. MO",
        ),
        Field::new("zip", "ZIP code", raw.zip.as_deref(), ""),
        Field::new(
            "near",
            "Near",
            raw.near.as_deref(),
            "A ZIP code, a town (Columbia, MO) or latitude,longitude",
        ),
        Field::new(
            "radius",
            "Within",
            raw.radius.as_deref(),
            "Miles, or km as chosen below",
        ),
        Field::new(
            "system",
            "Library system",
            raw.system.as_deref(),
            "Its id, e.g. IL0290",
        ),
    ];
    if raw
        .radius_km
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty())
    {
        fields.push(Field::new(
            "radius_km",
            "Within km",
            raw.radius_km.as_deref(),
            "",
        ));
    }
    let members = raw.member.as_deref() != Some("false");
    let km = raw.units.as_deref() == Some("km");
    let show = vec![
        Choice {
            value: "true",
            label: "Consortium member libraries",
            selected: members,
        },
        Choice {
            value: "false",
            label: "All libraries (IMLS survey outlets too)",
            selected: !members,
        },
    ];
    let units = vec![
        Choice {
            value: "mi",
            label: "miles",
            selected: !km,
        },
        Choice {
            value: "km",
            label: "kilometres",
            selected: km,
        },
    ];
    let back = query_string(raw, raw.cursor.as_deref());
    let (invalid, results) = match outcome {
        Err((field, detail)) => {
            for f in fields.iter_mut().filter(|f| f.name == field) {
                f.error = Some(detail);
            }
            (Some(Invalid { field, detail }), None)
        }
        Ok(page) if searched || !page.items.is_empty() => {
            let first = page.offset;
            let count = if page.items.is_empty() {
                String::new()
            } else {
                format!(
                    "{}–{} of {}",
                    thousands(first + 1),
                    thousands(first + page.items.len()),
                    thousands(page.total)
                )
            };
            let mut wide = raw.clone();
            wide.member = Some("false".into());
            wide.cursor = None;
            let units = page.units.as_str();
            let units = if units.is_empty() { "mi" } else { units };
            (
                None,
                Some(Found {
                    hits: page.items.iter().map(|i| hit(i, units, &back)).collect(),
                    count,
                    prev: page
                        .prev_cursor
                        .as_deref()
                        .map(|c| query_string(raw, Some(c))),
                    next: page
                        .next_cursor
                        .as_deref()
                        .map(|c| query_string(raw, Some(c))),
                    widen: members.then(|| query_string(&wide, None)),
                }),
            )
        }
        Ok(_) => (None, None),
    };
    super::render(&Search {
        layout: Layout::new("Find a library — library directory", DIRECTORY_NAV),
        fields,
        show,
        units,
        invalid,
        results,
    })
}

struct Location {
    coordinates: String,
    /// `near=` for the nearby search, already encoded.
    near: String,
}

#[derive(Template)]
#[template(path = "directory_detail.html")]
struct DetailPage<'a> {
    layout: Layout,
    jsonld: ScriptJson,
    item: &'a Item,
    name: &'a str,
    address: String,
    phone_uri: Option<String>,
    website: Option<&'a str>,
    hours: Option<Vec<String>>,
    services: Vec<&'static str>,
    services_text: Option<Vec<&'a str>>,
    location: Option<Location>,
    map_url: Option<&'a str>,
    system_query: String,
    /// `/libraries/{slug}/vendors`, when the entry is a member library's.
    vendors: Option<String>,
    /// `/libraries/{slug}/privacy`, when the entry is a member library's.
    privacy: Option<String>,
    /// The search this page was reached from, as a query string.
    back: String,
    retired: bool,
}

/// One library's page, with its schema.org data (`jsonld`) embedded for
/// search engines; `from` is the search it was reached from (its 'back' returns there).
pub fn detail_page(d: &Detail, jsonld: &str, from: Option<&RawQuery>) -> Result<String, ApiError> {
    let i = &d.item;
    super::render(&DetailPage {
        layout: Layout::new(format!("{} — library directory", i.name), DIRECTORY_NAV),
        jsonld: ScriptJson::new(jsonld),
        item: i,
        name: &i.name,
        address: joined(&[&i.address, &directory::names::title_case(&i.city)]),
        phone_uri: i
            .phone_e164
            .as_ref()
            .map(|p| format!("tel:{p}"))
            .or_else(|| {
                i.phone.as_deref().map(|p| {
                    let digits: String = p
                        .chars()
                        .filter(|c| c.is_ascii_digit() || *c == '+')
                        .collect();
                    format!("tel:{digits}")
                })
            }),
        // Only http(s) addresses are accepted on submission; check again before linking.
        website: i
            .website
            .as_deref()
            .filter(|w| w.starts_with("https://") || w.starts_with("http://")),
        hours: match &i.opening_hours {
            Some(h) => Some(h.readable()),
            None => i
                .hours
                .as_deref()
                .map(|h| h.split('\n').map(str::to_owned).collect()),
        },
        services: i
            .service_tags
            .iter()
            .filter_map(|t| directory::hours::service_label(t))
            .collect(),
        services_text: i.services.as_deref().map(|s| s.split('\n').collect()),
        location: match (i.latitude, i.longitude) {
            (Some(la), Some(lo)) => Some(Location {
                coordinates: format!("{la:.5}, {lo:.5}"),
                near: urlencode(&format!("{la},{lo}")),
            }),
            _ => None,
        },
        map_url: i.map_url.as_deref(),
        system_query: i.system_id.as_deref().map(urlencode).unwrap_or_default(),
        vendors: d
            .member_library
            .as_deref()
            .map(|slug| format!("/libraries/{}/vendors", urlencode(slug))),
        privacy: d
            .member_library
            .as_deref()
            .map(|slug| format!("/libraries/{}/privacy", urlencode(slug))),
        back: from
            .map(|r| query_string(r, r.cursor.as_deref()))
            .unwrap_or_default(),
        retired: d.retired_at.is_some(),
    })
}

#[derive(Template)]
#[template(path = "directory_not_found.html")]
struct NotFound {
    layout: Layout,
}

/// The page for an address with nothing behind it.
pub fn not_found_page() -> Result<String, ApiError> {
    super::render(&NotFound {
        layout: Layout::new("Not found — library directory", DIRECTORY_NAV),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str) -> Item {
        Item {
            id: 1,
            name: name.into(),
            address: String::new(),
            city: String::new(),
            county: String::new(),
            state: String::new(),
            zip: String::new(),
            phone: None,
            website: None,
            email: None,
            hours: None,
            services: None,
            latitude: None,
            longitude: None,
            system_id: None,
            parent_id: None,
            ..Default::default()
        }
    }

    #[test]
    fn everything_shown_is_escaped() {
        let raw = RawQuery {
            q: Some("\"><script>alert(1)</script>".into()),
            ..Default::default()
        };
        let page = Page {
            items: vec![item("<b>Evil</b> & Co")],
            next_cursor: Some("a\"b".into()),
            ..Default::default()
        };
        let html = search_page(&raw, Ok(&page)).unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>Evil"));
        assert!(html.contains("&lt;b&gt;Evil&lt;/b&gt; &amp; Co"));
        assert!(html.contains("cursor=a%22b"));
    }

    #[test]
    fn values_are_escaped_once_not_twice() {
        let raw = RawQuery {
            q: Some("Tom & Jerry".into()),
            state: Some("IL".into()),
            ..Default::default()
        };
        let page = Page {
            items: vec![item("Smith & Sons")],
            next_cursor: Some("c".into()),
            ..Default::default()
        };
        let html = search_page(&raw, Ok(&page)).unwrap();
        assert!(html.contains("value=\"Tom &amp; Jerry\""), "{html}");
        assert!(
            html.contains(
                "<div><label for=\"state\">State</label><input id=\"state\" name=\"state\" \
value=\"IL\" aria-describedby=\"state-hint\" /><small id=\"state-hint\">Two letters, e.g. MO</small></div>"
            ),
            "{html}"
        );
        assert!(html.contains(">Smith &amp; Sons</a>"), "{html}");
        // The next link's query string: `&` between parameters escaped once.
        assert!(
            html.contains("href=\"/directory?q=Tom+%26+Jerry&amp;state=IL&amp;cursor=c\""),
            "{html}"
        );
        assert!(!html.contains("&amp;amp;"), "{html}");
        let bad = search_page(&raw, Err(("state", "two letters & no more"))).unwrap();
        assert!(bad.contains("role=\"alert\""));
        assert!(bad.contains("two letters &amp; no more"), "{bad}");
    }

    #[test]
    fn only_a_member_librarys_page_links_to_its_vendors() {
        let mut d = Detail {
            item: item("Riverbend"),
            version: 1,
            updated_at: chrono::NaiveDateTime::default(),
            member_library: None,
            retired_at: None,
        };
        let html = detail_page(&d, "{}", None).unwrap();
        assert!(
            !html.contains("Vendors and their privacy policies"),
            "{html}"
        );
        d.member_library = Some("riverbend".into());
        let html = detail_page(&d, "{}", None).unwrap();
        assert!(
            html.contains(
                "<a href=\"/libraries/riverbend/vendors\">Vendors and their privacy policies</a>"
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "<a href=\"/libraries/riverbend/privacy\">The library's privacy policy</a>"
            ),
            "{html}"
        );
    }

    #[test]
    fn json_ld_is_escaped_for_a_script_not_for_html() {
        let mut i = item("A </script><script>alert(1)</script> & \"B\"");
        i.hours = Some("Mon 9-5\nTue <closed>".into());
        i.website = Some("javascript:alert(1)".into());
        let d = Detail {
            item: i,
            version: 1,
            updated_at: chrono::NaiveDateTime::default(),
            member_library: None,
            retired_at: None,
        };
        let jsonld = directory::export::jsonld_one(&d.item, "http://x");
        let jsonld = String::from_utf8_lossy(&jsonld);
        let html = detail_page(&d, &jsonld, None).unwrap();
        let start = html.find("<script type=\"application/ld+json\">").unwrap();
        let script = &html[start + "<script type=\"application/ld+json\">".len()..];
        let script = &script[..script.find("</script>").unwrap()];
        // Not HTML-escaped (a script's text is not decoded), but `</` cannot close it early.
        assert!(
            !script.contains("&quot;") && !script.contains("&amp;"),
            "{script}"
        );
        assert!(!script.contains("</"), "{script}");
        let back: serde_json::Value = serde_json::from_str(script).unwrap();
        assert_eq!(back["name"], "A </script><script>alert(1)</script> & \"B\"");
        // Only the element's own end tag closes a script.
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        // The page's own text is HTML-escaped, once; lines stay lines.
        assert!(
            html.contains("<h1>A &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;B&quot;</h1>"),
            "{html}"
        );
        assert!(html.contains("Mon 9-5<br />Tue &lt;closed&gt;"), "{html}");
        assert!(!html.contains("href=\"javascript:"), "{html}");
    }
}
