//! How the directory shows what the survey wrote: names in title case
//! (the survey's capitals kept for search and export), telephone numbers in
//! E.164, and a map link that loads nothing from custodian.

/// Words kept in capitals: initialisms the survey uses in names.
const ACRONYMS: [&str; 16] = [
    "HQ", "USA", "US", "II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "CCLS", "YMCA", "NYC",
    "LA", "DC",
];
/// Short words lower case inside a name.
const SMALL: [&str; 10] = ["of", "the", "and", "at", "in", "for", "on", "a", "an", "by"];

fn cap(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut c = lower.chars();
    let mut out: String = match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    };
    // McCracken, MacArthur is too often wrong (Mack, Macon), so Mc only.
    if out.len() > 3 && out.starts_with("Mc") {
        let rest = &out[2..];
        out = format!("Mc{}", cap(rest));
    }
    out
}

fn word(token: &str, first: bool) -> String {
    let core: String = token.chars().filter(|c| c.is_alphanumeric()).collect();
    if ACRONYMS.contains(&core.as_str()) && token.chars().all(|c| !c.is_lowercase()) {
        return token.to_owned();
    }
    if !first && SMALL.contains(&core.to_lowercase().as_str()) && core.len() == token.len() {
        return token.to_lowercase();
    }
    // Ordinals (1ST, 22ND) and other tokens starting with a digit stay lower case after it.
    if token.starts_with(|c: char| c.is_ascii_digit()) {
        return token.to_lowercase();
    }
    // Each part of O'BRIEN, WINSTON-SALEM, HAYES/HAYS capitalized.
    let mut out = String::new();
    let mut part = String::new();
    for c in token.chars() {
        if c == '-' || c == '/' || c == '(' || (c == '\'' && part.chars().count() == 1) {
            out.push_str(&cap(&part));
            out.push(c);
            part.clear();
        } else {
            part.push(c);
        }
    }
    out.push_str(&cap(&part));
    out
}

/// A name for display: as given when it has lower-case letters (someone
/// wrote it so), title case when it is all capitals as the survey writes.
pub fn title_case(name: &str) -> String {
    if name.chars().any(char::is_lowercase) {
        return name.to_owned();
    }
    name.split(' ')
        .enumerate()
        .map(|(i, t)| word(t, i == 0))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A North American number as E.164 (`+15735550100`), when it is one.
pub fn e164(phone: &str) -> Option<String> {
    let main = phone.split(['x', 'X']).next().unwrap_or("");
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => Some(format!("+1{digits}")),
        11 if digits.starts_with('1') => Some(format!("+{digits}")),
        _ => None,
    }
}

/// An OpenStreetMap link centred on the point, marker included.
pub fn map_url(lat: f64, lon: f64) -> String {
    format!("https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=17/{lat:.5}/{lon:.5}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_capitals_become_title_case() {
        for (given, shown) in [
            (
                "ST. LOUIS COUNTY LIBRARY - HQ",
                "St. Louis County Library - HQ",
            ),
            (
                "MCCRACKEN COUNTY PUBLIC LIBRARY",
                "McCracken County Public Library",
            ),
            ("LIBRARY OF THE FALLS", "Library of the Falls"),
            ("THE 1ST STREET BRANCH", "The 1st Street Branch"),
            (
                "O'FALLON WINSTON-SALEM LIBRARY",
                "O'Fallon Winston-Salem Library",
            ),
            ("Riverbend Public Library", "Riverbend Public Library"),
            ("MUÑOZ LIBRARY", "Muñoz Library"),
        ] {
            assert_eq!(title_case(given), shown);
        }
    }

    #[test]
    fn phones_in_e164() {
        assert_eq!(e164("573-555-0100").as_deref(), Some("+15735550100"));
        assert_eq!(e164("2177328878").as_deref(), Some("+12177328878"));
        assert_eq!(
            e164("1 (573) 555-0100 x12").as_deref(),
            Some("+15735550100")
        );
        assert_eq!(e164("555-0200"), None);
    }
}
