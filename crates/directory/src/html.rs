//! The public pages, rendered on the server: they work without JavaScript,
//! label every control, keep a heading outline and a contrast above WCAG AA,
//! and escape every value they show.

use crate::search::{Page, RawQuery};
use crate::service::Detail;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

/// The stylesheet of every page, served at `/static/custodian.css`: the pages
/// carry no inline style, so a Content-Security-Policy can forbid it.
pub const STYLESHEET: &str = "body{font:1.05rem/1.5 system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff}\
a{color:#0645ad}a:focus,input:focus,button:focus{outline:3px solid #1a1a1a;outline-offset:2px}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
form{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:.75rem;align-items:end}\
label{display:block;font-weight:600}input{font:inherit;width:100%;box-sizing:border-box;padding:.35rem;border:1px solid #555}\
button{font:inherit;padding:.45rem 1rem;background:#0645ad;color:#fff;border:0}\
ol.results{padding-left:1.25rem}ol.results li{margin:0 0 1rem}.error{color:#8b0000;border-left:4px solid #8b0000;padding-left:.5rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}\
code{background:#f2f2f2;padding:0 .2em}form[method=post]{display:block}form[method=post] button{font-size:1.1rem;padding:.5rem 1.2rem}\n";

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

fn layout(title: &str, body: &str, head_extra: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\" />\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\
<title>{}</title><link rel=\"stylesheet\" href=\"/static/custodian.css\" />{head_extra}</head><body>\
<a class=\"skip\" href=\"#main\">Skip to content</a>\
<header><p><a href=\"/directory\">Library directory</a></p></header>\
<main id=\"main\">{body}</main>\
<footer><p>The directory lists organizations only: member libraries and their branches.</p></footer>\
</body></html>\n",
        text(title)
    )
}

fn field(name: &str, label: &str, value: &Option<String>, hint: &str) -> String {
    let v = value.as_deref().unwrap_or("");
    let hint_html = if hint.is_empty() {
        String::new()
    } else {
        format!("<small id=\"{name}-hint\">{}</small>", text(hint))
    };
    let describe = if hint.is_empty() {
        String::new()
    } else {
        format!(" aria-describedby=\"{name}-hint\"")
    };
    format!(
        "<div><label for=\"{name}\">{}</label><input id=\"{name}\" name=\"{name}\" value=\"{}\"{describe} />{hint_html}</div>",
        text(label),
        attr(v)
    )
}

fn query_string(raw: &RawQuery, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("q", &raw.q),
        ("state", &raw.state),
        ("county", &raw.county),
        ("city", &raw.city),
        ("zip", &raw.zip),
        ("near", &raw.near),
        ("radius_km", &raw.radius_km),
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

/// The search page: the form, and either results or the reason there are none.
pub fn search_page(raw: &RawQuery, outcome: Result<&Page, (&str, &str)>) -> String {
    let searched = [
        &raw.q,
        &raw.state,
        &raw.county,
        &raw.city,
        &raw.zip,
        &raw.near,
        &raw.system,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let mut body = String::from("<h1>Find a library</h1>");
    body.push_str("<form method=\"get\" action=\"/directory\" role=\"search\" aria-label=\"Search the library directory\">");
    body.push_str(&field("q", "Name or words", &raw.q, ""));
    body.push_str(&field("city", "City", &raw.city, ""));
    body.push_str(&field("county", "County", &raw.county, ""));
    body.push_str(&field("state", "State", &raw.state, "Two letters, e.g. MO"));
    body.push_str(&field("zip", "ZIP code", &raw.zip, ""));
    body.push_str(&field(
        "near",
        "Near (latitude,longitude)",
        &raw.near,
        "e.g. 38.95,-92.33",
    ));
    body.push_str(&field("radius_km", "Within km", &raw.radius_km, ""));
    body.push_str("<div><button type=\"submit\">Search</button></div></form>");
    match outcome {
        Err((field_name, detail)) => {
            body.push_str(&format!(
                "<h2>Results</h2><p class=\"error\" role=\"alert\">Please check “{}”: {}</p>",
                text(field_name),
                text(detail)
            ));
        }
        Ok(page) if searched || !page.items.is_empty() => {
            body.push_str("<h2 id=\"results\">Results</h2>");
            if page.items.is_empty() {
                body.push_str("<p>No library matches. Try fewer words or a wider area.</p>");
            } else {
                body.push_str("<ol class=\"results\" aria-labelledby=\"results\">");
                for i in &page.items {
                    let place = [
                        i.address.as_str(),
                        i.city.as_str(),
                        i.state.as_str(),
                        i.zip.as_str(),
                    ]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                    let dist = i
                        .distance_km
                        .map(|d| format!(" — {d:.1} km away"))
                        .unwrap_or_default();
                    let phone = i
                        .phone
                        .as_deref()
                        .map(|p| format!("<br />Phone: {}", text(p)))
                        .unwrap_or_default();
                    body.push_str(&format!(
                        "<li><h3><a href=\"/directory/{}\">{}</a></h3><p>{}{}{}</p></li>",
                        i.id,
                        text(&i.name),
                        text(&place),
                        text(&dist),
                        phone
                    ));
                }
                body.push_str("</ol>");
            }
            if let Some(c) = &page.next_cursor {
                body.push_str(&format!(
                    "<nav aria-label=\"More results\"><a rel=\"next\" href=\"/directory?{}\">Next page</a></nav>",
                    attr(&query_string(raw, Some(c)))
                ));
            }
        }
        Ok(_) => {
            body.push_str("<p>Search by name, place or ZIP code, or give a latitude and longitude to list the nearest libraries first.</p>");
        }
    }
    layout("Find a library — library directory", &body, "")
}

/// One library's page, with its schema.org data embedded for search engines.
pub fn detail_page(d: &Detail, jsonld: &str) -> String {
    let i = &d.item;
    let mut rows = String::new();
    let mut row = |k: &str, v: String| {
        rows.push_str(&format!("<dt>{}</dt><dd>{v}</dd>", text(k)));
    };
    let address = [i.address.as_str(), i.city.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    row(
        "Address",
        format!("{} {} {}", text(&address), text(&i.state), text(&i.zip)),
    );
    if !i.county.is_empty() {
        row("County", text(&i.county).into_owned());
    }
    if let Some(p) = &i.phone {
        let digits: String = p
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        row(
            "Phone",
            format!("<a href=\"tel:{}\">{}</a>", attr(&digits), text(p)),
        );
    }
    if let Some(w) = &i.website {
        // Only http(s) addresses are accepted on submission; check again before linking.
        if w.starts_with("https://") || w.starts_with("http://") {
            row(
                "Web site",
                format!("<a href=\"{}\">{}</a>", attr(w), text(w)),
            );
        }
    }
    if let Some(e) = &i.email {
        row(
            "Email",
            format!("<a href=\"mailto:{}\">{}</a>", attr(e), text(e)),
        );
    }
    if let Some(h) = &i.hours {
        row("Opening hours", text(h).replace('\n', "<br />"));
    }
    if let Some(s) = &i.services {
        row("Services", text(s).replace('\n', "<br />"));
    }
    if let (Some(la), Some(lo)) = (i.latitude, i.longitude) {
        row(
            "Location",
            format!(
                "{la:.5}, {lo:.5} (<a href=\"/directory?near={}\">libraries nearby</a>)",
                urlencode(&format!("{la},{lo}"))
            ),
        );
    } else {
        row("Location", "not known".into());
    }
    if let Some(s) = &i.system_id {
        row(
            "Library system",
            format!(
                "{} (<a href=\"/directory?system={}\">all its libraries</a>)",
                text(s),
                urlencode(s)
            ),
        );
    }
    let body = format!(
        "<p><a href=\"/directory\">← Back to the search</a></p><h1>{}</h1>\
<dl>{rows}</dl><h2>Download</h2><ul>\
<li><a href=\"/api/v1/directory/libraries/{id}/vcard\">Contact card (vCard)</a></li>\
<li><a href=\"/api/v1/directory/libraries/{id}/jsonld\">Structured data (JSON-LD)</a></li>\
<li><a href=\"/api/v1/directory/libraries/{id}\">JSON</a></li></ul>",
        text(&i.name),
        id = i.id
    );
    // `</` cannot end the script early once escaped this way.
    let script = format!(
        "<script type=\"application/ld+json\">{}</script>",
        jsonld.replace("</", "<\\/")
    );
    layout(&format!("{} — library directory", i.name), &body, &script)
}

/// A page for an address with nothing behind it.
pub fn not_found_page() -> String {
    layout(
        "Not found — library directory",
        "<h1>No such library</h1><p>There is no library at this address. <a href=\"/directory\">Search the directory</a>.</p>",
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Item;

    #[test]
    fn everything_shown_is_escaped() {
        let raw = RawQuery {
            q: Some("\"><script>alert(1)</script>".into()),
            ..Default::default()
        };
        let page = Page {
            items: vec![Item {
                id: 1,
                name: "<b>Evil</b> & Co".into(),
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
                distance_km: None,
            }],
            next_cursor: Some("a\"b".into()),
        };
        let html = search_page(&raw, Ok(&page));
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>Evil"));
        assert!(html.contains("&lt;b&gt;Evil&lt;/b&gt; &amp; Co"));
        assert!(html.contains("cursor=a%22b"));
    }
}
