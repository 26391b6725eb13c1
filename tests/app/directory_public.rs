//! The public directory as the public uses it (issue #18), in-process on both
//! backends: the consortium's members marked and first, `near` by ZIP code
//! or town in miles, `total` and previous pages, hours as data through a
//! change and its approval into JSON-LD, absolute `@id`s, the director
//! retiring an imported outlet, and the same search answering the same ids
//! on SQLite and PostgreSQL.

use crate::app::support::*;
use serde_json::{json, Value};
use std::sync::Mutex;

const DIRECTOR: &str = "director@demo.custodian.test";
const OUTLETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/library_outlets.csv"
);

/// The demo consortium with the IMLS survey imported, before any search
/// (so no cached answer predates the import).
fn app_with_outlets(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend);
    let store = tenant_api::startup::open_store(&app.settings).expect("store");
    let file = std::fs::File::open(OUTLETS).expect("the survey file");
    let (outlets, skipped) =
        directory::import::read(std::io::BufReader::new(file)).expect("readable survey");
    let report = directory::import::import(&store, outlets, skipped, |_, _| {}).expect("import");
    assert_eq!(report.inserted, 1996, "[{backend}]");
    // Riverbend at a place the survey has neighbours of: Columbia, MO.
    let director = app.sign_in(DIRECTOR);
    let r = patch(
        &app.url("/api/v1/directory/libraries/1"),
        Some(&director),
        &json!({"address": "100 W Broadway", "city": "Columbia", "state": "MO",
                "zip": "65203", "latitude": 38.9517, "longitude": -92.3341}),
    );
    assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
    assert_eq!(r.body["name"], "Riverbend Public Library");
    app
}

fn search(app: &TestApp, query: &str) -> Value {
    let r = get(
        &app.url(&format!("/api/v1/directory/libraries?{query}")),
        None,
    );
    assert_eq!(r.status, 200, "[{}] {query}: {:?}", app.backend, r.body);
    r.body
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn members_come_first_and_member_true_keeps_only_them() {
    each_backend(|backend| {
        let app = app_with_outlets(backend);
        let all = search(&app, "limit=10");
        assert_eq!(all["total"], 2001, "[{backend}]");
        let flags: Vec<bool> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["member"].as_bool().unwrap())
            .collect();
        assert_eq!(flags[..5], [true; 5], "[{backend}] {flags:?}");
        assert!(flags[5..].iter().all(|m| !m), "[{backend}] {flags:?}");
        let members = search(&app, "member=true");
        assert_eq!(members["total"], 5, "[{backend}]");
        assert!(names(&members).contains(&"Riverbend Public Library".to_owned()));
        // Names in title case; the survey's spelling kept beside them.
        let lincoln = search(
            &app,
            "q=lincoln+public+library+district&member=false&limit=1",
        );
        assert_eq!(
            lincoln["items"][0]["name"],
            "Lincoln Public Library District"
        );
        assert_eq!(
            lincoln["items"][0]["listed_name"],
            "LINCOLN PUBLIC LIBRARY DISTRICT"
        );
        assert_eq!(lincoln["items"][0]["phone_e164"], "+12177328878");
        assert!(lincoln["items"][0]["map_url"]
            .as_str()
            .unwrap()
            .starts_with("https://www.openstreetmap.org/?mlat=40.14708"));

        // The page: members by default, all outlets on request.
        let mut b = Browser::new(&app);
        let p = b.get("/directory");
        assert_eq!(p.status, 200, "[{backend}]");
        assert!(
            p.body.contains("Libraries 1–5 of 5"),
            "[{backend}] {}",
            p.body
        );
        assert!(p.body.contains("Consortium member"), "{}", p.body);
        assert!(
            p.body
                .contains("<option value=\"true\" selected>Consortium member libraries</option>"),
            "{}",
            p.body
        );
        let p = b.get("/directory?member=false&state=IL&limit=10");
        assert!(p.body.contains("Libraries 1–10 of "), "{}", p.body);
        assert!(p.body.contains("value=\"IL\""), "{}", p.body);
    });
}

#[test]
fn near_takes_a_zip_code_or_a_town_and_answers_in_miles() {
    each_backend(|backend| {
        let app = app_with_outlets(backend);
        // Riverbend is at ZIP 65203 (Columbia, MO); Jefferson City's survey
        // library is some 27 miles away.
        let p = search(&app, "near=65203&radius=30");
        let items = p["items"].as_array().unwrap();
        assert_eq!(items[0]["name"], "Riverbend Public Library", "[{backend}]");
        assert_eq!(items[0]["distance_mi"], 0.0);
        let jc = items
            .iter()
            .find(|i| i["name"] == "Missouri River Regional Library")
            .unwrap_or_else(|| panic!("[{backend}] {p}"));
        let mi = jc["distance_mi"].as_f64().unwrap();
        assert!((20.0..30.0).contains(&mi), "[{backend}] {mi}");
        let km = jc["distance_km"].as_f64().unwrap();
        assert!((mi * 1.609 - km).abs() < 0.1, "[{backend}] {mi} {km}");
        assert!(items
            .iter()
            .all(|i| i["distance_mi"].as_f64().unwrap() <= 30.0));
        // Radius 30 miles is wider than 30 km.
        let in_km = search(&app, "near=65203&radius=30&units=km");
        assert!(in_km["total"].as_u64() < p["total"].as_u64(), "[{backend}]");

        let town = search(&app, "near=Lincoln,+IL&radius=3&member=false");
        assert!(
            names(&town).contains(&"Lincoln Public Library District".to_owned()),
            "[{backend}] {town}"
        );
        let unknown = get(
            &app.url("/api/v1/directory/libraries?near=Nowhereville,+ZZ"),
            None,
        );
        assert_eq!(unknown.status, 400, "[{backend}] {:?}", unknown.body);
        let page = Browser::new(&app).get("/directory?near=Lincoln%2C+IL&radius=3&member=false");
        assert!(
            page.body.contains("miles away"),
            "[{backend}] {}",
            page.body
        );
    });
}

#[test]
fn total_is_the_number_of_items_over_all_pages_and_previous_pages_go_back() {
    each_backend(|backend| {
        let app = app_with_outlets(backend);
        let mut seen = Vec::new();
        let mut pages = Vec::new();
        let mut cursor = String::new();
        loop {
            let p = search(&app, &format!("state=IL&limit=37{cursor}"));
            seen.extend(ids(&p));
            pages.push(p.clone());
            match p["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        let total = pages[0]["total"].as_u64().unwrap() as usize;
        assert!(total > 37 * 2, "[{backend}] {total}");
        assert_eq!(seen.len(), total, "[{backend}]");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), total, "[{backend}]");
        assert!(pages[0]["prev_cursor"].is_null());
        let back = pages[2]["prev_cursor"].as_str().unwrap();
        let p = search(&app, &format!("state=IL&limit=37&cursor={back}"));
        assert_eq!(ids(&p), ids(&pages[1]), "[{backend}]");
        let back = p["prev_cursor"].as_str().unwrap();
        let p = search(&app, &format!("state=IL&limit=37&cursor={back}"));
        assert_eq!(ids(&p), ids(&pages[0]), "[{backend}]");
        // The page's 'back' from a library returns to the same results.
        let mut b = Browser::new(&app);
        let list = b.get("/directory?state=IL&member=false&limit=5");
        let at = list.body.find("href=\"/directory/").unwrap();
        let href: String = list.body[at + 6..]
            .chars()
            .take_while(|c| *c != '"')
            .collect::<String>()
            .replace("&amp;", "&");
        let detail = b.get(&href);
        assert_eq!(detail.status, 200, "[{backend}] {href}");
        assert!(
            detail
                .body
                .contains("<a href=\"/directory?state=IL&amp;member=false&amp;limit=5\">← Back to the search</a>"),
            "[{backend}] {}",
            detail.body
        );
    });
}

#[test]
fn hours_go_through_a_change_and_its_approval_into_json_ld_with_absolute_ids() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in("admin.lakeshore@demo.custodian.test");
        let hours = json!({
            "regular": [
                {"days": ["Mo", "Tu", "We", "Th", "Fr"], "opens": "09:00", "closes": "18:00"},
                {"days": ["Sa"], "opens": "10:00", "closes": "14:00"}
            ],
            "exceptions": [{"date": "2026-12-31", "opens": "09:00", "closes": "12:00"}]
        });
        let r = post(
            &app.url("/api/v1/libraries/lakeshore/directory-entry/changes"),
            Some(&admin),
            &json!({"opening_hours": hours, "service_tags": ["wifi", "makerspace"], "phone": "(573) 555-0100"}),
        );
        assert_eq!(r.status, 202, "[{backend}] {:?}", r.body);
        let (change, entry) = (
            r.body["id"].as_i64().unwrap(),
            r.body["entry_id"].as_i64().unwrap(),
        );
        let bad = post(
            &app.url("/api/v1/libraries/lakeshore/directory-entry/changes"),
            Some(&admin),
            &json!({"opening_hours": {"regular": [{"days": ["Mo"], "opens": "18:00", "closes": "09:00"}]}}),
        );
        assert_eq!(bad.status, 400, "[{backend}] {:?}", bad.body);
        let director = app.sign_in(DIRECTOR);
        let r = post(
            &app.url(&format!("/api/v1/directory/changes/{change}/approve")),
            Some(&director),
            &json!({}),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        let e = get(
            &app.url(&format!("/api/v1/directory/libraries/{entry}")),
            None,
        );
        assert_eq!(e.body["opening_hours"], hours, "[{backend}]");
        assert_eq!(e.body["service_tags"], json!(["wifi", "makerspace"]));
        let ld = get(
            &app.url(&format!("/api/v1/directory/libraries/{entry}/jsonld")),
            None,
        );
        let spec = ld.body["openingHoursSpecification"].as_array().unwrap();
        assert_eq!(spec[0]["dayOfWeek"][4], "https://schema.org/Friday");
        assert_eq!(
            (&spec[1]["opens"], &spec[1]["closes"]),
            (&json!("10:00"), &json!("14:00"))
        );
        assert_eq!(spec[2]["validFrom"], "2026-12-31");
        let id = ld.body["@id"].as_str().unwrap();
        assert_eq!(id, app.url(&format!("/directory/{entry}")), "[{backend}]");
        assert!(id.starts_with("http://"), "[{backend}] {id}");
        let vcard = get(
            &app.url(&format!("/api/v1/directory/libraries/{entry}/vcard")),
            None,
        );
        let card = vcard.body.as_str().unwrap();
        assert!(
            card.contains(&format!(
                "UID:{}\r\n",
                app.url(&format!("/directory/{entry}"))
            )),
            "{card}"
        );
        assert!(
            card.contains(&format!(
                "SOURCE:{}/api/v1/directory/libraries/{entry}/vcard",
                app.base
            )),
            "{card}"
        );
        assert!(
            card.contains("TEL;TYPE=work;VALUE=uri:tel:+15735550100\r\n"),
            "{card}"
        );
        let page = Browser::new(&app).get(&format!("/directory/{entry}"));
        assert!(
            page.body
                .contains("Mon-Fri 09:00–18:00<br />Sat 10:00–14:00<br />Sun closed"),
            "[{backend}] {}",
            page.body
        );
        assert!(page.body.contains("<li>Makerspace</li>"), "{}", page.body);
        // The history keeps the approved version.
        let h = get(
            &app.url(&format!("/api/v1/directory/libraries/{entry}/history")),
            Some(&director),
        );
        let versions = h.body["versions"].as_array().unwrap();
        assert_eq!(versions.last().unwrap()["source"], "change");
    });
}

#[test]
fn the_director_corrects_and_retires_an_imported_outlet() {
    each_backend(|backend| {
        let app = app_with_outlets(backend);
        let director = app.sign_in(DIRECTOR);
        let found = search(&app, "q=menomonee+falls&member=false&limit=1");
        let id = found["items"][0]["id"].as_i64().unwrap();
        let url = app.url(&format!("/api/v1/directory/libraries/{id}"));
        // Nobody else may.
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let r = patch(&url, Some(&admin), &json!({"phone": "262-555-0100"}));
        assert_eq!(r.status, 403, "[{backend}] {:?}", r.body);
        let r = patch(&url, Some(&director), &json!({"phone": "262-555-0100"}));
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(r.body["phone_e164"], "+12625550100");
        let r = patch(
            &format!("{url}?version=1"),
            Some(&director),
            &json!({"phone": "262-555-0199"}),
        );
        assert_eq!(r.status, 409, "[{backend}] a stale version: {:?}", r.body);

        let r = post(
            &format!("{url}/retire"),
            Some(&director),
            &json!({"reason": " "}),
        );
        assert_eq!(r.status, 400, "[{backend}] {:?}", r.body);
        let r = post(
            &format!("{url}/retire"),
            Some(&director),
            &json!({"reason": "closed in 2026"}),
        );
        assert_eq!(r.status, 204, "[{backend}] {:?}", r.body);
        let after = search(&app, "q=menomonee+falls&member=false");
        assert!(
            !ids(&after).contains(&id),
            "[{backend}] still listed: {after}"
        );
        let page = Browser::new(&app).get(&format!("/directory/{id}"));
        assert!(
            page.body.contains("no longer listed"),
            "[{backend}] {}",
            page.body
        );
        let h = get(&format!("{url}/history"), Some(&director));
        let sources: Vec<&str> = h.body["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["import", "director", "retired"], "[{backend}]");
    });
}

/// The ids each query answers, per backend, compared once both have run.
static ANSWERS: Mutex<Vec<(String, Vec<Vec<i64>>)>> = Mutex::new(Vec::new());

#[test]
fn the_same_search_gives_the_same_ids_on_sqlite_and_postgresql() {
    let queries = [
        "q=lincoln&member=false&limit=200",
        "q=public+library&state=IL&limit=200",
        "q=county&member=false&limit=200",
        "q=st+louis&limit=200",
        "q=mc&limit=200",
        "state=WI&limit=200",
        "near=Gurnee,+IL&radius=25&limit=200",
        "near=65203&radius=60&limit=200",
        "city=lincoln&limit=200",
        "q=library&limit=200",
        "member=false&limit=200",
        "state=IL&member=false&limit=200",
        "near=40.1,-89.3&radius_km=50&member=false&limit=200",
    ];
    each_backend(|backend| {
        let app = app_with_outlets(backend);
        let answers: Vec<Vec<i64>> = queries.iter().map(|q| ids(&search(&app, q))).collect();
        for (q, a) in queries.iter().zip(&answers) {
            assert!(!a.is_empty(), "[{backend}] {q} found nothing");
        }
        ANSWERS.lock().unwrap().push((backend.to_string(), answers));
    });
    let all = ANSWERS.lock().unwrap();
    if let [(a, first), rest @ ..] = all.as_slice() {
        for (b, other) in rest {
            for (i, q) in queries.iter().enumerate() {
                assert_eq!(first[i], other[i], "{q}: {a} and {b} differ");
            }
        }
    }
}

/// The director's page of entry `id`, and its form token.
fn director_entry_page(b: &mut Browser, id: i64) -> (Page, String) {
    let p = b.get(&format!("/director/directory/{id}"));
    assert_eq!(p.status, 200, "[{}] {}", b.backend, p.body);
    let csrf = csrf_of(&p.body);
    (p, csrf)
}

#[test]
fn the_director_corrects_and_retires_an_imported_outlet_through_the_pages() {
    each_backend(|backend| {
        let app = app_with_outlets(backend);
        let mut b = Browser::new(&app);
        sign_in(&mut b, DIRECTOR, &app.password(DIRECTOR));
        // Found among every outlet, members or not.
        let found = b.get("/director/directory?q=menomonee+falls");
        assert_eq!(found.status, 200, "[{backend}] {}", found.body);
        let at = found
            .body
            .find("href=\"/director/directory/")
            .unwrap_or_else(|| panic!("[{backend}] nothing found: {}", found.body));
        let id: i64 = found.body[at + "href=\"/director/directory/".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap();
        let (page, csrf) = director_entry_page(&mut b, id);
        assert!(
            page.body.contains("Imported from the survey"),
            "{}",
            page.body
        );
        let version = page.body.contains("version 1.");
        assert!(version, "[{backend}] {}", page.body);

        // A correction is published at once and kept in the history.
        let r = b.post(
            &format!("/director/directory/{id}?version=1"),
            &[("csrf", &csrf), ("phone", "262-555-0142")],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let detail = get(&app.url(&format!("/api/v1/directory/libraries/{id}")), None);
        assert_eq!(detail.body["phone_e164"], "+12625550142", "[{backend}]");
        // The stale version the page was read at is refused.
        let r = b.post(
            &format!("/director/directory/{id}?version=1"),
            &[("csrf", &csrf), ("phone", "262-555-0199")],
        );
        assert_eq!(r.status, 409, "[{backend}] {}", r.body);

        // Retiring needs a reason, shown beside its field.
        let (_, csrf) = director_entry_page(&mut b, id);
        let r = b.post(
            &format!("/director/directory/{id}/retire?version=2"),
            &[("csrf", &csrf), ("reason", " ")],
        );
        assert_eq!(r.status, 400, "[{backend}] {}", r.body);
        assert!(r.body.contains("id=\"reason-error\""), "{}", r.body);
        assert!(r.body.contains("href=\"#reason\""), "{}", r.body);
        let r = b.post(
            &format!("/director/directory/{id}/retire?version=2"),
            &[("csrf", "forged"), ("reason", "closed in 2026")],
        );
        assert_eq!(r.status, 403, "[{backend}] a forged token: {}", r.body);
        let r = b.post(
            &format!("/director/directory/{id}/retire?version=2"),
            &[("csrf", &csrf), ("reason", "closed in 2026")],
        );
        assert_eq!(r.status, 303, "[{backend}] {}", r.body);
        let after = search(&app, "q=menomonee+falls&member=false&limit=200");
        assert!(
            !ids(&after).contains(&id),
            "[{backend}] still listed: {after}"
        );
        let all = search(&app, "member=false&state=WI&limit=200");
        let mut seen = ids(&all);
        let mut cursor = all["next_cursor"].as_str().map(str::to_owned);
        while let Some(c) = cursor {
            let p = search(&app, &format!("member=false&state=WI&limit=200&cursor={c}"));
            seen.extend(ids(&p));
            cursor = p["next_cursor"].as_str().map(str::to_owned);
        }
        assert!(!seen.contains(&id), "[{backend}] still in its state's list");
        assert_eq!(
            all["total"].as_u64().unwrap() as usize,
            seen.len(),
            "[{backend}]"
        );
        let (page, _) = director_entry_page(&mut b, id);
        assert!(page.body.contains("Retired"), "{}", page.body);
        assert!(
            page.body.contains("Reason: closed in 2026"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("Publish the correction"),
            "{}",
            page.body
        );
        // Only the director has these pages.
        let mut admin = Browser::new(&app);
        let who = "admin.riverbend@demo.custodian.test";
        sign_in(&mut admin, who, &app.password(who));
        let r = admin.get(&format!("/director/directory/{id}"));
        assert!(matches!(r.status, 403 | 404), "[{backend}] {}", r.status);
    });
}

#[test]
fn a_new_import_of_the_survey_leaves_the_directors_corrections_alone() {
    each_backend(|backend| {
        let app = app_with_outlets(backend);
        let director = app.sign_in(DIRECTOR);
        let edited = ids(&search(&app, "q=menomonee+falls&member=false&limit=1"))[0];
        let retired = ids(&search(&app, "state=NE&member=false&limit=1"))[0];
        let url = |id: i64| app.url(&format!("/api/v1/directory/libraries/{id}"));
        let r = patch(
            &url(edited),
            Some(&director),
            &json!({"phone": "262-555-0142", "name": "Menomonee Falls Public Library"}),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        let r = post(
            &format!("{}/retire", url(retired)),
            Some(&director),
            &json!({"reason": "a duplicate"}),
        );
        assert_eq!(r.status, 204, "[{backend}] {:?}", r.body);

        // The same survey file again, as `custodian directory import` reads it.
        let store = tenant_api::startup::open_store(&app.settings).expect("store");
        let file = std::fs::File::open(OUTLETS).expect("the survey file");
        let (outlets, skipped) =
            directory::import::read(std::io::BufReader::new(file)).expect("readable survey");
        let report =
            directory::import::import(&store, outlets, skipped, |_, _| {}).expect("import");
        assert_eq!(report.inserted, 0, "[{backend}]");
        assert_eq!(report.updated, 0, "[{backend}] {:?}", report.changed_ids);
        assert!(!report.changed_ids.contains(&edited), "[{backend}]");

        let h = get(&format!("{}/history", url(edited)), Some(&director));
        assert_eq!(h.status, 200, "[{backend}] {:?}", h.body);
        assert_eq!(h.body["entry"]["phone_e164"], "+12625550142", "[{backend}]");
        assert_eq!(
            h.body["entry"]["listed_name"], "Menomonee Falls Public Library",
            "[{backend}]"
        );
        let sources: Vec<&str> = h.body["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["import", "director"], "[{backend}]");
        let h = get(&format!("{}/history", url(retired)), Some(&director));
        assert!(h.body["retired_at"].is_string(), "[{backend}] {:?}", h.body);
        assert!(
            // A page size not asked for before, so no cached answer predates the import.
            !ids(&search(&app, "state=NE&member=false&limit=199")).contains(&retired),
            "[{backend}] listed again"
        );
    });
}
