//! Statistics that identify no one (#15): counts only, a count from 1 to 4
//! withheld, a total withheld with its parts, and nothing personal anywhere.

use crate::app::support::*;
use diesel::prelude::*;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const OTHER_ADMIN: &str = "admin.cedar-county@demo.custodian.test";
const DIRECTOR: &str = "director@demo.custodian.test";

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// The day `day` of the series `series` in a library's report.
fn day_of<'a>(report: &'a serde_json::Value, series: &str, day: &str) -> &'a serde_json::Value {
    let s = report["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["series"] == series)
        .unwrap_or_else(|| panic!("no series {series} in {report}"));
    s["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["day"] == day)
        .unwrap_or_else(|| panic!("no day {day} in {s}"))
}

fn signs_in(app: &TestApp, library: &str, card: &str, times: usize) {
    for _ in 0..times {
        let r = patron_sign_in(app, library, card, "2468");
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

#[test]
fn six_sign_ins_are_shown_three_are_withheld_and_nothing_names_anyone() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in(ADMIN);
        patron(&app, &admin, "riverbend", "21000777001");
        let cedar = app.sign_in(OTHER_ADMIN);
        patron(&app, &cedar, "cedar-county", "21000777002");
        signs_in(&app, "riverbend", "21000777001", 6);
        signs_in(&app, "cedar-county", "21000777002", 3);

        let url = |lib: &str| app.url(&format!("/api/v1/libraries/{lib}/statistics"));
        let r = get(&url("riverbend"), Some(&admin));
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        let d = day_of(&r.body, "patron_sign_ins", &today());
        assert_eq!(d["count"], 6, "[{backend}] {d}");
        assert_eq!(d["suppressed"], false);

        let r = get(&url("cedar-county"), Some(&cedar));
        let d = day_of(&r.body, "patron_sign_ins", &today());
        assert!(d["count"].is_null(), "[{backend}] three is withheld: {d}");
        assert_eq!(d["suppressed"], true);
        let total = &r.body["series"][0]["total"];
        assert_eq!(
            total["count"], 0,
            "[{backend}] the range adds only shown days"
        );
        assert_eq!(total["suppressed_days"], 1);

        // Who may read: the admin, not staff; another library's admin is told nothing.
        let staff = member(&app, "riverbend", "staff");
        assert_eq!(
            get(&url("riverbend"), Some(&staff)).status,
            403,
            "[{backend}]"
        );
        assert_eq!(
            get(&url("riverbend"), Some(&cedar)).status,
            404,
            "[{backend}]"
        );
        assert_eq!(
            get(&app.url("/api/v1/director/statistics"), Some(&admin)).status,
            403,
            "[{backend}]"
        );

        // The director sees every library, the same figures.
        let director = app.sign_in(DIRECTOR);
        let all = get(&app.url("/api/v1/director/statistics"), Some(&director));
        assert_eq!(all.status, 200, "[{backend}] {:?}", all.body);
        let libs = all.body["libraries"].as_array().unwrap();
        for slug in ["riverbend", "cedar-county", "prairie-hills", "blue-ridge"] {
            assert!(
                libs.iter().any(|l| l["library"] == slug),
                "[{backend}] {slug}"
            );
        }
        let river = libs.iter().find(|l| l["library"] == "riverbend").unwrap();
        assert_eq!(day_of(river, "patron_sign_ins", &today())["count"], 6);
        let cedar_r = libs
            .iter()
            .find(|l| l["library"] == "cedar-county")
            .unwrap();
        assert!(day_of(cedar_r, "patron_sign_ins", &today())["count"].is_null());

        // CSV: the same figures, the withheld one empty.
        let csv = get(
            &app.url("/api/v1/director/statistics?format=csv"),
            Some(&director),
        );
        assert_eq!(csv.status, 200, "[{backend}]");
        let text = csv.body.as_str().unwrap().to_owned();
        assert!(
            text.starts_with("library,series,page,day,count,suppressed\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("riverbend,patron_sign_ins,,{},6,false", today())),
            "[{backend}] {text}"
        );
        assert!(
            text.contains(&format!("cedar-county,patron_sign_ins,,{},,true", today())),
            "[{backend}] {text}"
        );

        // Nothing anywhere names the patron or their address.
        let stored: Vec<Line> = {
            let mut raw =
                store::testing::raw_connection(&store::DbUrl::parse(&app.raw_url).unwrap())
                    .unwrap();
            let q = diesel::sql_query(
                "SELECT CAST(library_id AS TEXT) || '|' || day || '|' || series || '|' || key || '|' || CAST(count AS TEXT) AS line FROM statistics_counts",
            );
            match &mut raw {
                store::DbConn::Pg(c) => q.load(c).unwrap(),
                store::DbConn::Sqlite(c) => q.load(c).unwrap(),
            }
        };
        assert!(!stored.is_empty(), "[{backend}] counts were written");
        let everything = [
            text,
            all.body.to_string(),
            stored
                .iter()
                .map(|l| l.line.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ];
        for seen in &everything {
            for secret in [
                "21000777001",
                "21000777002",
                "127.0.0.1",
                "Test Patron",
                "example.org",
            ] {
                assert!(!seen.contains(secret), "[{backend}] {secret} in {seen}");
            }
        }
    });
}

#[test]
fn a_total_with_one_small_part_is_withheld_with_another_part() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        // Visits of public pages of riverbend: 6 of one page, 2 of another.
        for _ in 0..6 {
            assert_eq!(
                get(&app.url("/libraries/riverbend/vendors"), None).status,
                200
            );
        }
        for _ in 0..2 {
            assert_eq!(get(&app.url("/directory"), None).status, 200);
        }
        for _ in 0..7 {
            assert_eq!(get(&app.url("/"), None).status, 200);
        }
        // A concrete path is counted under its pattern, never its id.
        let _ = get(&app.url("/directory/libraries/987654"), None);
        let admin = app.sign_in(ADMIN);
        let r = get(
            &app.url("/api/v1/libraries/riverbend/statistics"),
            Some(&admin),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        let web = r.body["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["series"] == "web_visits")
            .unwrap()
            .clone();
        let page = |p: &str| {
            web["pages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["page"] == p)
                .cloned()
        };
        let vendors = page("/libraries/{library}/vendors").expect("the vendors page is counted");
        let shown = vendors["days"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["day"] == today())
            .unwrap();
        assert_eq!(shown["count"], 6, "[{backend}] {web}");
        assert!(!web.to_string().contains("987654"), "[{backend}] {web}");

        // The consortium's /directory page names no library: the director
        // sees it under the consortium: its 2 visits are withheld, the day's
        // total with them, and the home page's 7 too (else 2 = total - 7).
        let director = app.sign_in(DIRECTOR);
        let all = get(&app.url("/api/v1/director/statistics"), Some(&director));
        let consortium = all.body["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["library"] == "consortium")
            .unwrap()
            .clone();
        let total = day_of(&consortium, "web_visits", &today());
        assert_eq!(total["suppressed"], true, "[{backend}] {consortium}");
        let parts: Vec<serde_json::Value> = consortium["series"][4]["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["days"].as_array().unwrap().last().unwrap().clone())
            .collect();
        assert!(
            parts.iter().filter(|c| c["suppressed"] == true).count() >= 2,
            "[{backend}] {parts:?}"
        );
        assert!(
            !consortium.to_string().contains("\"count\":7"),
            "[{backend}] {consortium}"
        );
        assert!(
            parts
                .iter()
                .all(|c| c["count"].is_null() || c["count"] == 0 || c["count"].as_u64() >= Some(5)),
            "[{backend}] {parts:?}"
        );
    });
}

#[test]
fn the_pages_show_the_tables_the_chart_and_say_what_was_wrong() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let admin = app.sign_in(ADMIN);
        patron(&app, &admin, "riverbend", "21000777003");
        signs_in(&app, "riverbend", "21000777003", 5);

        let mut b = Browser::new(&app);
        sign_in(&mut b, ADMIN, &app.password(ADMIN));
        let p = b.get("/libraries/riverbend/statistics");
        assert_eq!(p.status, 200, "[{backend}] {}", p.body);
        assert!(
            p.body
                .contains("<h2 id=\"h-patron_sign_ins\">Patron sign-ins</h2>"),
            "{}",
            p.body
        );
        assert!(p.body.contains("<svg class=\"stat-chart\""));
        assert!(p.body.contains("<title id=\"chart-patron_sign_ins-t\">"));
        assert!(
            p.body
                .contains(&format!("<th scope=\"row\">{}</th><td>5</td>", today())),
            "[{backend}] {}",
            p.body
        );
        assert!(p.body.contains("format=csv"));
        assert!(!p.body.contains("<script"));

        let bad = b.get("/libraries/riverbend/statistics?from=last+week&to=");
        assert_eq!(bad.status, 400, "[{backend}]");
        assert!(bad.body.contains("There is a problem"));
        assert!(bad.body.contains("value=\"last week\""), "{}", bad.body);
        assert!(
            bad.body
                .contains("From must be a date written like 2026-12-01."),
            "{}",
            bad.body
        );

        let (_, mut s) = member_in_browser(&app, "riverbend", "staff");
        assert_eq!(
            s.get("/libraries/riverbend/statistics").status,
            403,
            "[{backend}]"
        );

        let mut d = Browser::new(&app);
        sign_in(&mut d, DIRECTOR, &app.password(DIRECTOR));
        let p = d.get("/director/statistics");
        assert_eq!(p.status, 200, "[{backend}] {}", p.body);
        assert!(p.body.contains("Riverbend Public Library"));
        assert!(
            p.body
                .contains("href=\"/director/statistics\" aria-current"),
            "{}",
            p.body
        );
    });
}

#[test]
fn records_arriving_count_as_checkouts_renewals_and_holds() {
    each_backend(|backend| {
        let app = TestApp::builder(backend).with_library("northfield").spawn();
        let admin = app.sign_in("admin.northfield@testkit.test");
        let send = |kind: &str, status: &str, n: usize| {
            for i in 0..n {
                let r = post(
                    &app.url("/api/v1/libraries/northfield/records"),
                    Some(&admin),
                    &serde_json::json!({"kind": kind, "source": "ils",
                        "external_id": format!("{kind}-{status}-{i}"),
                        "occurred_at": "2026-10-15T10:00:00Z", "item": "an item",
                        "status": status}),
                );
                assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);
            }
        };
        send("circulation", "out", 7);
        send("circulation", "renewed", 2);
        send("holds_and_interlibrary_loans", "placed", 5);
        send("donations", "received", 9);
        let r = get(
            &app.url("/api/v1/libraries/northfield/statistics"),
            Some(&admin),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);
        assert_eq!(
            day_of(&r.body, "checkouts", &today())["count"],
            7,
            "[{backend}]"
        );
        let renewals = day_of(&r.body, "renewals", &today());
        assert!(
            renewals["count"].is_null() && renewals["suppressed"] == true,
            "[{backend}] {renewals}"
        );
        assert_eq!(
            day_of(&r.body, "holds_placed", &today())["count"],
            5,
            "[{backend}]"
        );
    });
}
