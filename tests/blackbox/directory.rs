//! The public directory: import of the real IMLS outlet file, search by words,
//! place and nearness, pagination, exports, validators, moderation with the
//! cache (in process and Redis), and the HTML pages parsed as a browser would.

use crate::blackbox::harness::{backends, get, post, Backend, Reply, Server};
use serde_json::{json, Value};
use std::collections::HashSet;

const OUTLETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/library_outlets.csv"
);

fn import(server: &Server) -> String {
    let out = server.cli(&["directory", "import", OUTLETS]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "import failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn search(server: &Server, query: &str) -> Reply {
    get(
        &server.url(&format!("/api/v1/directory/libraries?{query}")),
        None,
    )
}

fn items(r: &Reply) -> Vec<Value> {
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

fn names(r: &Reply) -> Vec<String> {
    items(r)
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `next_cursor` to the end; returns the ids in order.
fn all_pages(server: &Server, query: &str, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let q = match &cursor {
            Some(c) => format!("{query}&limit={limit}&cursor={c}"),
            None => format!("{query}&limit={limit}"),
        };
        let r = search(server, &q);
        let page = items(&r);
        assert!(page.len() <= limit);
        ids.extend(page.iter().map(|i| i["id"].as_i64().unwrap()));
        match r.body["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(page.len(), limit, "only the last page may be short");
                cursor = Some(c.to_owned());
            }
            None => return ids,
        }
    }
    panic!("pagination did not end");
}

fn csv_rows(server: &Server, query: &str) -> usize {
    let r = get(
        &server.url(&format!("/api/v1/directory/libraries.csv?{query}")),
        None,
    );
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let text = r.body.as_str().unwrap();
    csv_reader(text).len()
}

/// Counts CSV records (the export quotes fields with newlines or commas).
fn csv_reader(text: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let (mut cur, mut quoted) = (String::new(), false);
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '\n' if !quoted => rows.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    assert!(rows[0].starts_with("id,name,address,city,county,state,zip"));
    rows.split_off(1)
}

#[test]
fn directory_imports_the_real_outlets_and_finds_them() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let first = import(&server);
        assert!(
            first.contains(
                "2000 rows read: 1996 outlets added, 0 updated, 0 unchanged, 4 repeated rows merged, 0 rows skipped."
            ),
            "{first}"
        );
        let again = import(&server);
        assert!(
            again.contains("2000 rows read: 0 outlets added, 0 updated, 1996 unchanged"),
            "{again}"
        );

        // Words in any order and any case, the name ranked first.
        let lincoln = search(&server, "q=lincoln+public+library+district");
        assert_eq!(names(&lincoln)[0], "Lincoln Public Library District");
        assert_eq!(
            items(&lincoln)[0]["listed_name"],
            "LINCOLN PUBLIC LIBRARY DISTRICT"
        );
        let shuffled = search(&server, "q=District%20LIBRARY%20lincoln");
        assert_eq!(names(&shuffled)[0], "Lincoln Public Library District");
        let item = &items(&lincoln)[0];
        assert_eq!(item["address"], "725 PEKIN STREET");
        assert_eq!(item["city"], "LINCOLN");
        assert_eq!(item["county"], "LOGAN");
        assert_eq!(item["state"], "IL");
        assert_eq!(item["zip"], "62656");
        assert_eq!(item["phone"], "217-732-8878");
        assert_eq!(item["latitude"], 40.147084);
        let lincoln_id = item["id"].as_i64().unwrap();

        // HTML entities decoded, and found by the decoded word.
        let munoz = items(&search(&server, "q=mu%C3%B1oz"));
        assert!(munoz
            .iter()
            .any(|i| i["address"].as_str().unwrap().contains("MUÑOZ MARIN")));
        // An outlet the survey could not geocode has null coordinates.
        let ashdown = items(&search(&server, "q=ashdown+community"));
        assert_eq!(ashdown[0]["name"], "Ashdown Community Library");
        assert!(ashdown[0]["latitude"].is_null() && ashdown[0]["longitude"].is_null());
        // A city that ran into the street in the file.
        let wu = items(&search(&server, "state=OH&city=west+union"));
        assert!(!wu.is_empty());
        assert!(wu.iter().all(|i| i["city"] == "WEST UNION"));

        // State, county, city, zip; whole result sets paged without repeats or gaps.
        let il = all_pages(&server, "state=il", 10);
        assert_eq!(il.len(), 83);
        assert_eq!(il.iter().collect::<HashSet<_>>().len(), 83);
        assert_eq!(csv_rows(&server, "state=IL"), 83);
        let cook = all_pages(&server, "state=IL&county=Cook", 7);
        assert_eq!(cook.len(), 27);
        assert!(items(&search(&server, "state=IL&county=cook&limit=100"))
            .iter()
            .all(|i| i["county"] == "COOK"));
        assert!(all_pages(&server, "city=Lincoln&state=IL", 5).contains(&lincoln_id));
        assert_eq!(all_pages(&server, "zip=62656", 5), vec![lincoln_id]);
        // Outlets of one system share its id.
        let system = all_pages(&server, "system=ny0778", 5);
        assert_eq!(system.len(), 13);
        let every = all_pages(&server, "q=library", 100);
        assert_eq!(every.iter().collect::<HashSet<_>>().len(), every.len());
        assert!(every.len() >= 1642, "{}", every.len());
        assert_eq!(csv_rows(&server, "q=library"), every.len());
        let whole = all_pages(&server, "", 100);
        // The survey's 1,996 outlets and the demo's five member libraries.
        assert_eq!(whole.len(), 2001);
        assert_eq!(whole.iter().collect::<HashSet<_>>().len(), 2001);

        // Nearness: nearest first, within the radius, distances given.
        let near = search(&server, "near=40.147084,-89.360857&radius_km=40&limit=100");
        let near_items = items(&near);
        assert_eq!(near_items[0]["id"].as_i64().unwrap(), lincoln_id);
        assert!(near_items[0]["distance_km"].as_f64().unwrap() < 0.01);
        let d: Vec<f64> = near_items
            .iter()
            .map(|i| i["distance_km"].as_f64().unwrap())
            .collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        assert!(d.iter().all(|x| *x <= 40.0));
        assert!(d.len() > 1);
        let paged_near = all_pages(&server, "near=40.147084,-89.360857&radius_km=40", 2);
        assert_eq!(
            paged_near,
            near_items
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        );
        assert!(items(&search(&server, "q=library"))[0]
            .get("distance_km")
            .is_none());

        // One library, its validators and exports.
        let one = get(
            &server.url(&format!("/api/v1/directory/libraries/{lincoln_id}")),
            None,
        );
        assert_eq!(one.status, 200);
        assert_eq!(one.body["name"], "Lincoln Public Library District");
        let etag = one.header("etag").unwrap().to_owned();
        assert!(one.header("cache-control").unwrap().contains("public"));
        let again = ureq::get(&server.url(&format!("/api/v1/directory/libraries/{lincoln_id}")))
            .set("If-None-Match", &etag)
            .call()
            .unwrap();
        assert_eq!(again.status(), 304);
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let list = search(&server, "state=IL");
        let list_etag = list.header("etag").unwrap().to_owned();
        let again = ureq::get(&server.url("/api/v1/directory/libraries?state=IL"))
            .set("If-None-Match", &list_etag)
            .call()
            .unwrap();
        assert_eq!(again.status(), 304);
        assert!(list.header("cache-control").is_some());
        let vcard = get(
            &server.url(&format!("/api/v1/directory/libraries/{lincoln_id}/vcard")),
            None,
        );
        assert_eq!(vcard.status, 200);
        let v = vcard.body.as_str().unwrap();
        assert!(v.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
        assert!(v.contains("FN:Lincoln Public Library District\r\n"));
        assert!(v.contains("ADR;TYPE=work:;;725 PEKIN STREET;LINCOLN;IL;62656;USA"));
        assert!(vcard.header("etag").is_some());
        let ld = get(
            &server.url(&format!("/api/v1/directory/libraries/{lincoln_id}/jsonld")),
            None,
        );
        assert_eq!(ld.body["@type"], "Library");
        assert_eq!(ld.body["@context"], "https://schema.org");
        assert_eq!(ld.body["address"]["addressLocality"], "LINCOLN");
        assert_eq!(ld.body["geo"]["longitude"], -89.360857);
        let graph = get(
            &server.url("/api/v1/directory/libraries.jsonld?zip=62656"),
            None,
        );
        assert_eq!(graph.body["@graph"].as_array().unwrap().len(), 1);
        assert!(graph.header("etag").is_some());
        assert_eq!(
            get(&server.url("/api/v1/directory/libraries/999999"), None).status,
            404
        );

        // Bad parameters are named.
        for (query, field) in [
            ("state=Illinois", "state"),
            ("zip=6265", "zip"),
            ("near=40", "near"),
            ("near=95,10", "near"),
            ("radius_km=5", "radius_km"),
            ("near=40,-89&radius_km=-1", "radius_km"),
            ("limit=0", "limit"),
            ("limit=abc", "limit"),
            ("cursor=bogus", "cursor"),
            ("city=%21%21", "city"),
            ("system=%3Cx%3E", "system"),
        ] {
            let r = search(&server, query);
            r.assert_problem(400, "invalid-parameter");
            assert_eq!(r.body["field"], field, "{query}");
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
        let other_cursor = search(&server, "state=IL&limit=5").body["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = search(&server, &format!("state=MO&limit=5&cursor={other_cursor}"));
        assert_eq!(r.body["field"], "cursor");
    }
}

fn change_visible_on_next_request(backend: Backend) {
    let server = Server::start(backend, &[]);
    let admin = server.sign_in("admin.riverbend@demo.custodian.test");
    let other_admin = server.sign_in("admin.cedar-county@demo.custodian.test");
    let director = server.sign_in("director@demo.custodian.test");

    let own = get(
        &server.url("/api/v1/libraries/riverbend/directory-entry"),
        Some(&admin),
    );
    assert_eq!(own.status, 200, "{:?}", own.body);
    assert_eq!(own.body["entry"]["name"], "Riverbend Public Library");
    let id = own.body["entry"]["id"].as_i64().unwrap();
    let public_url = server.url(&format!("/api/v1/directory/libraries/{id}"));

    // Warm the cache with the old entry and a search that finds it.
    let before = get(&public_url, None);
    assert_eq!(before.status, 200);
    assert!(before.body["hours"].is_null());
    assert_eq!(get(&public_url, None).body, before.body);
    let found = names(&search(&server, "q=riverbend"));
    assert_eq!(found, vec!["Riverbend Public Library"]);

    // Only this library's admin may submit; outsiders learn nothing.
    let change = json!({
        "address": "100 River Rd",
        "city": "Riverbend",
        "state": "mo",
        "zip": "65201",
        "hours": "Mon–Sat 9–6",
        "website": "https://riverbend.example.org",
        "latitude": 38.95,
        "longitude": -92.33
    });
    let url = server.url("/api/v1/libraries/riverbend/directory-entry/changes");
    assert_eq!(post(&url, None, &change).status, 401);
    post(&url, Some(&other_admin), &change).assert_problem(404, "not-found");
    post(&url, Some(&director), &change).assert_problem(403, "forbidden");
    let bad = post(
        &url,
        Some(&admin),
        &json!({"website": "javascript:alert(1)"}),
    );
    bad.assert_problem(400, "invalid-parameter");
    assert_eq!(bad.body["field"], "website");
    let submitted = post(&url, Some(&admin), &change);
    assert_eq!(submitted.status, 202, "{:?}", submitted.body);
    assert_eq!(submitted.body["status"], "pending");
    let change_id = submitted.body["id"].as_i64().unwrap();

    // Pending is not published.
    assert!(get(&public_url, None).body["hours"].is_null());

    // The director's queue; a library admin cannot moderate.
    let queue = get(&server.url("/api/v1/directory/changes"), Some(&director));
    assert_eq!(queue.status, 200);
    assert!(queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"].as_i64() == Some(change_id)));
    let approve_url = server.url(&format!("/api/v1/directory/changes/{change_id}/approve"));
    post(&approve_url, Some(&admin), &json!({})).assert_problem(403, "forbidden");
    let approved = post(
        &approve_url,
        Some(&director),
        &json!({"reason": "checked by phone"}),
    );
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    post(&approve_url, Some(&director), &json!({})).assert_problem(409, "conflict");

    // The first request after approval sees it: entry, search and nearness.
    let after = get(&public_url, None);
    assert_eq!(after.body["hours"], "Mon–Sat 9–6");
    assert_eq!(after.body["state"], "MO");
    assert_ne!(after.header("etag"), before.header("etag"));
    let found = items(&search(&server, "q=riverbend"));
    assert_eq!(found[0]["city"], "Riverbend");
    let near = items(&search(&server, "near=38.95,-92.33&radius_km=1"));
    assert_eq!(near[0]["id"].as_i64(), Some(id));

    // A rejection needs a reason and changes nothing public.
    let second = post(
        &url,
        Some(&admin),
        &json!({"name": "Riverbend Library (renamed)"}),
    );
    let second_id = second.body["id"].as_i64().unwrap();
    let reject_url = server.url(&format!("/api/v1/directory/changes/{second_id}/reject"));
    let r = post(&reject_url, Some(&director), &json!({}));
    r.assert_problem(400, "invalid-parameter");
    assert_eq!(r.body["field"], "reason");
    let rejected = post(
        &reject_url,
        Some(&director),
        &json!({"reason": "the board has not approved the new name"}),
    );
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(
        get(&public_url, None).body["name"],
        "Riverbend Public Library"
    );

    // The whole history, for the director only.
    let history_url = server.url(&format!("/api/v1/directory/libraries/{id}/history"));
    get(&history_url, Some(&admin)).assert_problem(403, "forbidden");
    let h = get(&history_url, Some(&director));
    assert_eq!(h.status, 200);
    let versions = h.body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["source"], "created");
    assert_eq!(versions[1]["change_id"].as_i64(), Some(change_id));
    assert_eq!(versions[1]["fields"]["hours"], "Mon–Sat 9–6");
    let changes = h.body["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(
        changes[1]["reason"],
        "the board has not approved the new name"
    );
}

#[test]
fn approved_change_is_public_on_the_next_request_in_process_cache() {
    change_visible_on_next_request(Backend::Embedded);
}

#[test]
fn approved_change_is_public_on_the_next_request_with_redis() {
    if backends().contains(&Backend::Services) {
        change_visible_on_next_request(Backend::Services);
    }
}

fn html(server: &Server, path: &str) -> (u16, String) {
    let r = get(&server.url(path), None);
    assert!(
        r.header("content-type").unwrap().starts_with("text/html"),
        "{path}"
    );
    (r.status, r.body.as_str().unwrap().to_owned())
}

/// Every element with this tag name, in document order.
fn tags<'a>(dom: &'a tl::VDom<'a>, name: &str) -> Vec<&'a tl::HTMLTag<'a>> {
    dom.nodes()
        .iter()
        .filter_map(|n| n.as_tag())
        .filter(|t| t.name().as_utf8_str().eq_ignore_ascii_case(name))
        .collect()
}

fn attr_of(t: &tl::HTMLTag<'_>, name: &str) -> Option<String> {
    t.attributes()
        .get(name)
        .flatten()
        .map(|v| v.as_utf8_str().into_owned())
}

fn links(dom: &tl::VDom<'_>) -> Vec<(String, String)> {
    tags(dom, "a")
        .into_iter()
        .filter_map(|t| Some((attr_of(t, "href")?, t.inner_text(dom.parser()).into_owned())))
        .collect()
}

fn text_of(dom: &tl::VDom<'_>, name: &str) -> Vec<String> {
    tags(dom, name)
        .into_iter()
        .map(|t| t.inner_text(dom.parser()).into_owned())
        .collect()
}

#[test]
fn directory_pages_search_results_and_detail_link_up() {
    let server = Server::start(Backend::Embedded, &[]);
    import(&server);

    // The empty search page: a labelled form.
    let (status, page) = html(&server, "/directory");
    assert_eq!(status, 200);
    let dom = tl::parse(&page, tl::ParserOptions::default()).unwrap();
    assert_eq!(text_of(&dom, "h1"), vec!["Find a library"]);
    let inputs: Vec<String> = tags(&dom, "input")
        .into_iter()
        .map(|t| attr_of(t, "id").unwrap())
        .collect();
    let labels: HashSet<String> = tags(&dom, "label")
        .into_iter()
        .filter_map(|t| attr_of(t, "for"))
        .collect();
    assert!(inputs.contains(&"q".to_owned()));
    assert!(
        inputs.iter().all(|i| labels.contains(i)),
        "every input has a label"
    );
    assert!(page.contains("<html lang=\"en\">"));

    // Results link to details, and details link back.
    // The page lists the consortium's members unless asked for all.
    let (status, page) = html(
        &server,
        "/directory?q=Lincoln+Public+Library+District&member=false",
    );
    assert_eq!(status, 200);
    let dom = tl::parse(&page, tl::ParserOptions::default()).unwrap();
    assert_eq!(text_of(&dom, "h2")[0], "Results");
    let results = text_of(&dom, "h3");
    assert_eq!(results[0], "Lincoln Public Library District");
    let (href, _) = links(&dom)
        .into_iter()
        .find(|(_, t)| t == "Lincoln Public Library District")
        .unwrap();
    assert!(href.starts_with("/directory/"));
    let (status, detail) = html(&server, &href);
    assert_eq!(status, 200);
    let dom = tl::parse(&detail, tl::ParserOptions::default()).unwrap();
    assert_eq!(text_of(&dom, "h1"), vec!["Lincoln Public Library District"]);
    assert!(text_of(&dom, "dd")
        .iter()
        .any(|d| d.contains("725 PEKIN STREET")));
    let detail_links = links(&dom);
    // 'Back' returns to the same results.
    assert!(
        detail_links.iter().any(|(h, _)| h
            == "/directory?q=Lincoln+Public+Library+District&amp;member=false"
            || h == "/directory?q=Lincoln+Public+Library+District&member=false"),
        "{detail_links:?}"
    );
    let vcard = detail_links
        .iter()
        .find(|(h, _)| h.ends_with("/vcard"))
        .unwrap();
    assert_eq!(get(&server.url(&vcard.0), None).status, 200);
    let ld = text_of(&dom, "script");
    let ld: Value = serde_json::from_str(&ld[0]).unwrap();
    assert_eq!(ld["@type"], "Library");
    let nearby = detail_links
        .iter()
        .find(|(_, t)| t == "libraries nearby")
        .unwrap();
    let (status, _) = html(&server, &nearby.0.replace("&amp;", "&"));
    assert_eq!(status, 200);
    let system = detail_links
        .iter()
        .find(|(_, t)| t == "all its libraries")
        .unwrap();
    let (status, page) = html(&server, &system.0.replace("&amp;", "&"));
    assert_eq!(status, 200);
    assert!(page.contains("Lincoln Public Library District"));

    // Paging through the pages by their "Next page" link.
    let mut seen = HashSet::new();
    let mut next = Some("/directory?state=IL&limit=25&member=false".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let (status, page) = html(&server, &path);
        assert_eq!(status, 200);
        let dom = tl::parse(&page, tl::ParserOptions::default()).unwrap();
        for (h, _) in links(&dom) {
            if h.starts_with("/directory/") {
                assert!(seen.insert(h), "a library shown twice");
            }
        }
        next = links(&dom)
            .into_iter()
            .find(|(_, t)| t == "Next page")
            .map(|(h, _)| h.replace("&amp;", "&"));
        pages += 1;
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), 83);

    // A bad parameter is explained on the page; escaping holds.
    let (status, page) = html(&server, "/directory?state=Illinois&q=%3Cscript%3Ex");
    assert_eq!(status, 400);
    assert!(page.contains("role=\"alert\""));
    assert!(!page.contains("<script>x"));
    let (status, _) = html(&server, "/directory/999999");
    assert_eq!(status, 404);
    let (status, _) = html(&server, "/directory/abc");
    assert_eq!(status, 404);
}

/// A library named like a spreadsheet formula comes out of `libraries.csv` as
/// text, approving needs no body, and the one page maximum holds here too.
#[test]
fn formula_names_are_inert_in_csv_and_approve_needs_no_body() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let admin = server.sign_in("admin.riverbend@demo.custodian.test");
        let director = server.sign_in("director@demo.custodian.test");
        let own = get(
            &server.url("/api/v1/libraries/riverbend/directory-entry"),
            Some(&admin),
        );
        assert_eq!(own.status, 200, "{:?}", own.body);
        let evil = "=HYPERLINK(\"http://evil.example\",\"Riverbend\")";
        let submitted = post(
            &server.url("/api/v1/libraries/riverbend/directory-entry/changes"),
            Some(&admin),
            &json!({"name": evil, "hours": "@SUM(1+1)"}),
        );
        assert_eq!(submitted.status, 202, "{:?}", submitted.body);
        let id = submitted.body["id"].as_i64().unwrap();
        let approved = crate::blackbox::harness::post_raw_auth(
            &server.url(&format!("/api/v1/directory/changes/{id}/approve")),
            &director,
            "application/json",
            "",
        );
        assert_eq!(approved.status, 200, "{backend:?}: {:?}", approved.body);
        assert_eq!(approved.body["status"], "approved");

        let r = get(&server.url("/api/v1/directory/libraries.csv"), None);
        assert_eq!(r.status, 200);
        let text = r.body.as_str().unwrap().to_owned();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut seen = false;
        for row in reader.records() {
            let row = row.unwrap();
            for cell in row.iter() {
                let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(
                    !formula,
                    "{backend:?}: a live formula in libraries.csv: {cell:?}"
                );
            }
            seen |= row.iter().any(|c| c == format!("'{evil}"));
        }
        assert!(seen, "{backend:?}: the neutralized name is in the export");

        assert!(items(&search(&server, "limit=200")).len() <= 200);
        let over = search(&server, "limit=201");
        over.assert_problem(400, "invalid-parameter");
        assert!(over.body["detail"].as_str().unwrap().contains("1 to 200"));
    }
}
