//! Exports: CSV of a result set, schema.org JSON-LD (type Library) and vCard 4.0.

use crate::search::Item;
use crate::{DirectoryError, DirectoryResult};
use serde_json::{json, Map, Value};

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 22] = [
    "id",
    "name",
    "address",
    "city",
    "county",
    "state",
    "zip",
    "phone",
    "website",
    "email",
    "hours",
    "services",
    "latitude",
    "longitude",
    "system_id",
    "parent_id",
    "member",
    "display_name",
    "phone_e164",
    "service_tags",
    "opening_hours",
    "map_url",
];

/// A cell a spreadsheet will not run as a formula (OWASP "CSV injection").
///
/// Text starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'`, which
/// spreadsheets show as text; numbers (a longitude such as `-89.36`) stay
/// numbers, since they cannot carry a formula.
pub fn spreadsheet_safe(cell: String) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

/// The items as CSV with a header row; every cell passes `spreadsheet_safe`.
pub fn csv(items: &[Item]) -> DirectoryResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| DirectoryError::Internal(format!("csv: {e}"));
    w.write_record(CSV_HEADER).map_err(err)?;
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for i in items {
        let row = [
            i.id.to_string(),
            if i.listed_name.is_empty() {
                i.name.clone()
            } else {
                i.listed_name.clone()
            },
            i.address.clone(),
            i.city.clone(),
            i.county.clone(),
            i.state.clone(),
            i.zip.clone(),
            o(&i.phone),
            o(&i.website),
            o(&i.email),
            o(&i.hours),
            o(&i.services),
            f(i.latitude),
            f(i.longitude),
            o(&i.system_id),
            i.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            i.member.to_string(),
            i.name.clone(),
            o(&i.phone_e164),
            i.service_tags.join(","),
            i.opening_hours
                .as_ref()
                .map(|h| h.to_text())
                .unwrap_or_default(),
            o(&i.map_url),
        ];
        w.write_record(row.map(spreadsheet_safe)).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| DirectoryError::Internal(format!("csv: {e}")))
}

/// One library as a schema.org `Library` node; `base` is the public URL prefix.
pub fn jsonld_node(i: &Item, base: &str) -> Value {
    let mut n = Map::new();
    n.insert("@type".into(), json!("Library"));
    n.insert("@id".into(), json!(format!("{base}/directory/{}", i.id)));
    n.insert("identifier".into(), json!(i.id.to_string()));
    n.insert("name".into(), json!(i.name));
    if !i.listed_name.is_empty() && i.listed_name != i.name {
        n.insert("alternateName".into(), json!(i.listed_name));
    }
    n.insert(
        "address".into(),
        json!({
            "@type": "PostalAddress",
            "streetAddress": i.address,
            "addressLocality": i.city,
            "addressRegion": i.state,
            "postalCode": i.zip,
            "addressCountry": "US",
        }),
    );
    if !i.county.is_empty() {
        n.insert(
            "areaServed".into(),
            json!({"@type": "AdministrativeArea", "name": format!("{} County", i.county)}),
        );
    }
    let telephone = i.phone_e164.clone().or_else(|| i.phone.clone());
    let opening = match &i.opening_hours {
        Some(h) => {
            n.insert("openingHoursSpecification".into(), json!(h.schema_org()));
            Some(h.to_text())
        }
        None => i.hours.clone(),
    };
    if !i.service_tags.is_empty() {
        let features: Vec<Value> = i
            .service_tags
            .iter()
            .filter_map(|t| crate::hours::service_label(t))
            .map(|l| json!({"@type": "LocationFeatureSpecification", "name": l, "value": true}))
            .collect();
        n.insert("amenityFeature".into(), json!(features));
    }
    for (k, v) in [
        ("telephone", &telephone),
        ("url", &i.website),
        ("email", &i.email),
        ("openingHours", &opening),
        ("description", &i.services),
        ("hasMap", &i.map_url),
    ] {
        if let Some(v) = v {
            n.insert(k.into(), json!(v));
        }
    }
    if let (Some(la), Some(lo)) = (i.latitude, i.longitude) {
        n.insert(
            "geo".into(),
            json!({"@type": "GeoCoordinates", "latitude": la, "longitude": lo}),
        );
    }
    if let Some(p) = i.parent_id {
        n.insert(
            "parentOrganization".into(),
            json!({"@id": format!("{base}/directory/{p}")}),
        );
    }
    Value::Object(n)
}

/// One library as a JSON-LD document.
pub fn jsonld_one(i: &Item, base: &str) -> Vec<u8> {
    let mut node = jsonld_node(i, base);
    if let Value::Object(m) = &mut node {
        m.insert("@context".into(), json!("https://schema.org"));
    }
    node.to_string().into_bytes()
}

/// Many libraries as one JSON-LD graph.
pub fn jsonld_many(items: &[Item], base: &str) -> Vec<u8> {
    json!({
        "@context": "https://schema.org",
        "@graph": items.iter().map(|i| jsonld_node(i, base)).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

fn vescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a character (RFC 6350 3.2).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

/// One library as a vCard 4.0 of kind `org`.
pub fn vcard(i: &Item, base: &str) -> Vec<u8> {
    let mut lines = vec![
        "BEGIN:VCARD".to_owned(),
        "VERSION:4.0".to_owned(),
        "KIND:org".to_owned(),
        format!("FN:{}", vescape(&i.name)),
        format!("ORG:{}", vescape(&i.name)),
        format!(
            "ADR;TYPE=work:;;{};{};{};{};USA",
            vescape(&i.address),
            vescape(&i.city),
            vescape(&i.state),
            vescape(&i.zip)
        ),
    ];
    if let Some(p) = i
        .phone_e164
        .as_deref()
        .or(i.phone.as_deref())
        .and_then(crate::names::e164)
    {
        lines.push(format!("TEL;TYPE=work;VALUE=uri:tel:{p}"));
    }
    if let Some(e) = &i.email {
        lines.push(format!("EMAIL;TYPE=work:{}", vescape(e)));
    }
    if let Some(w) = &i.website {
        lines.push(format!("URL:{}", vescape(w)));
    }
    if let (Some(la), Some(lo)) = (i.latitude, i.longitude) {
        lines.push(format!("GEO:geo:{la},{lo}"));
    }
    if let Some(h) = &i.hours {
        lines.push(format!("NOTE:Hours: {}", vescape(h)));
    }
    lines.push(format!(
        "SOURCE:{base}/api/v1/directory/libraries/{}/vcard",
        i.id
    ));
    lines.push(format!("UID:{base}/directory/{}", i.id));
    lines.push("END:VCARD".to_owned());
    lines
        .iter()
        .map(|l| fold(l))
        .collect::<String>()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item {
            id: 7,
            name: "A, B; C Library".into(),
            address: "1 Main St".into(),
            city: "Town".into(),
            county: "Boone".into(),
            state: "MO".into(),
            zip: "65201".into(),
            phone: Some("573-555-0100".into()),
            website: None,
            email: None,
            hours: Some("x".repeat(100)),
            services: None,
            latitude: Some(38.9),
            longitude: Some(-92.3),
            system_id: None,
            parent_id: None,
            phone_e164: Some("+15735550100".into()),
            ..Default::default()
        }
    }

    #[test]
    fn vcard_escapes_and_folds() {
        let v = String::from_utf8(vcard(&item(), "http://x")).unwrap();
        assert!(v.contains("FN:A\\, B\\; C Library\r\n"));
        assert!(v.contains("TEL;TYPE=work;VALUE=uri:tel:+15735550100"));
        assert!(v.lines().all(|l| l.len() <= 76));
        assert!(v.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
    }

    #[test]
    fn jsonld_is_a_schema_org_library() {
        let v: Value = serde_json::from_slice(&jsonld_one(&item(), "http://x")).unwrap();
        assert_eq!(v["@type"], "Library");
        assert_eq!(v["address"]["postalCode"], "65201");
        assert_eq!(v["geo"]["latitude"], 38.9);
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        for (given, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-89.36", "-89.36"),
            ("Lincoln Library", "Lincoln Library"),
        ] {
            assert_eq!(spreadsheet_safe(given.into()), written);
        }
        let mut evil = item();
        evil.name = "=cmd|' /C calc'!A0".into();
        let c = String::from_utf8(csv(&[evil]).unwrap()).unwrap();
        assert!(c.contains("'=cmd|"), "{c}");
        assert!(!c
            .lines()
            .any(|l| l.split(',').any(|cell| cell.starts_with('='))));
    }

    #[test]
    fn csv_quotes_commas() {
        let c = String::from_utf8(csv(&[item()]).unwrap()).unwrap();
        assert!(c.starts_with("id,name,address"));
        assert!(c.contains("\"A, B; C Library\""));
    }
}
