//! The documents served with a legal request, through the API and the
//! request's page: any staff member attaches what arrived at the desk, only
//! the custodian of records opens one, and each opening is audited.

use crate::app::support::*;
use serde_json::{json, Value};
use testkit::browser::FilePart;

const ORDER: &str = "IN THE CIRCUIT COURT OF GREENE COUNTY\nORDER TO PRODUCE LIBRARY RECORDS\n";

fn requests(app: &TestApp, library: &str) -> String {
    app.url(&format!("/api/v1/libraries/{library}/legal-requests"))
}

/// A court order naming one new patron, registered by `staff`; its id.
fn a_request(app: &TestApp, staff: &str, card: &str) -> i64 {
    let p = patron(app, staff, "riverbend", card);
    let made = post(
        &requests(app, "riverbend"),
        Some(staff),
        &json!({"instrument": "court_order",
                "requester": {"name": "Det. Ray", "agency": "Greene County Sheriff"},
                "court": "31st Judicial Circuit", "case_number": "26-CR-0412",
                "good_cause_shown": true, "patron_ids": [p], "kinds": ["circulation"]}),
    );
    assert_eq!(made.status, 201, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    let admin = app.sign_in("admin.riverbend@demo.custodian.test");
    let log = get(
        &app.url("/api/v1/libraries/riverbend/audit?limit=200"),
        Some(&admin),
    );
    assert_eq!(log.status, 200, "{:?}", log.body);
    log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn staff_attach_the_order_and_only_the_custodian_opens_it() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let custodian = member(&app, "riverbend", "custodian");
        let id = a_request(&app, &staff, "21000666001");
        let docs = format!("{}/{id}/documents", requests(&app, "riverbend"));

        let made = post_bytes_auth(
            &format!("{docs}?name=order.txt"),
            &staff,
            "text/plain; charset=utf-8",
            ORDER.as_bytes(),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        assert_eq!(made.body["name"], "order.txt", "[{backend}]");
        assert_eq!(made.body["content_type"], "text/plain", "[{backend}]");
        assert_eq!(made.body["size_bytes"], ORDER.len(), "[{backend}]");
        assert!(
            made.body.get("content").is_none(),
            "[{backend}] {:?}",
            made.body
        );
        let doc = made.body["id"].as_i64().unwrap();
        assert_eq!(
            made.header("location"),
            Some(
                format!("/api/v1/libraries/riverbend/legal-requests/{id}/documents/{doc}").as_str()
            ),
            "[{backend}]"
        );

        // Staff see the list, never the content.
        let listed = get(&docs, Some(&staff));
        assert_eq!(listed.status, 200, "[{backend}] {:?}", listed.body);
        let items = listed.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "[{backend}] {items:?}");
        assert!(
            !listed.body.to_string().contains("CIRCUIT COURT"),
            "[{backend}]"
        );
        let refused = get(&format!("{docs}/{doc}"), Some(&staff));
        refused.assert_problem(403, "forbidden");
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("custodian of records"),
            "[{backend}] {:?}",
            refused.body
        );

        let opened = get(&format!("{docs}/{doc}"), Some(&custodian));
        assert_eq!(opened.status, 200, "[{backend}] {:?}", opened.body);
        assert_eq!(opened.body, Value::String(ORDER.into()), "[{backend}]");
        assert_eq!(
            opened.header("content-disposition"),
            Some("attachment; filename=\"order.txt\""),
            "[{backend}]"
        );
        assert_eq!(
            opened.header("cache-control"),
            Some("no-store"),
            "[{backend}]"
        );
        let actions = audit_actions(&app);
        assert!(
            actions.iter().any(|a| a == "legal.document_attached"),
            "[{backend}] {actions:?}"
        );
        assert!(
            actions.iter().any(|a| a == "legal.document"),
            "[{backend}] {actions:?}"
        );
    });
}

#[test]
fn a_document_of_the_wrong_kind_or_size_or_library_is_refused_with_what_to_do() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = member(&app, "riverbend", "staff");
        let id = a_request(&app, &staff, "21000666002");
        let docs = format!("{}/{id}/documents", requests(&app, "riverbend"));

        let zip = post_bytes_auth(
            &format!("{docs}?name=a.zip"),
            &staff,
            "application/zip",
            b"PK\x03\x04",
        );
        zip.assert_problem(415, "unsupported-media-type");
        assert!(
            zip.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("application/pdf"),
            "[{backend}] {:?}",
            zip.body
        );
        let big = vec![b'a'; 10 * 1024 * 1024 + 1];
        let too_big = post_bytes_auth(&format!("{docs}?name=big.txt"), &staff, "text/plain", &big);
        too_big.assert_problem(413, "body-too-large");
        let nameless = post_bytes_auth(&docs, &staff, "application/pdf", b"%PDF-1.7\n");
        assert_eq!(nameless.status, 400, "[{backend}] {:?}", nameless.body);
        assert_eq!(
            nameless.body["field"], "name",
            "[{backend}] {:?}",
            nameless.body
        );
        // A binary PDF passes the body checks that refuse bad UTF-8 in JSON.
        let pdf = post_bytes_auth(
            &format!("{docs}?name=order.pdf"),
            &staff,
            "application/pdf",
            b"%PDF-1.7\n\xff\xfe\x00binary",
        );
        assert_eq!(pdf.status, 201, "[{backend}] {:?}", pdf.body);

        // Another library's custodian: nothing there.
        let other = member(&app, "cedar-county", "custodian");
        let theirs = format!("{}/{id}/documents", requests(&app, "cedar-county"));
        get(&theirs, Some(&other)).assert_problem(404, "not-found");
        let doc = pdf.body["id"].as_i64().unwrap();
        get(&format!("{theirs}/{doc}"), Some(&other)).assert_problem(404, "not-found");
        let planted = post_bytes_auth(&format!("{theirs}?name=x.txt"), &other, "text/plain", b"x");
        planted.assert_problem(404, "not-found");
        // And riverbend's path with cedar-county's token.
        let across = post_bytes_auth(&format!("{docs}?name=x.txt"), &other, "text/plain", b"x");
        assert!(
            matches!(across.status, 403 | 404),
            "[{backend}] {:?}",
            across.body
        );
        assert_eq!(
            get(&docs, Some(&staff)).body["items"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "[{backend}]"
        );
    });
}

#[test]
fn the_request_page_attaches_a_file_and_the_custodian_downloads_it() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let (staff, mut desk) = member_in_browser(&app, "riverbend", "staff");
        let (_, mut office) = member_in_browser(&app, "riverbend", "custodian");
        let id = a_request(&app, &staff, "21000666003");
        let page = format!("/libraries/riverbend/legal/{id}");

        let shown = desk.get(&page);
        assert!(
            shown.body.contains("enctype=\"multipart/form-data\""),
            "[{backend}] {}",
            shown.body
        );
        let csrf = csrf_of(&shown.body);

        // No file chosen: the page again, saying so beside the field.
        let empty = desk.post_multipart(
            &format!("{page}/documents"),
            &[("csrf", &csrf)],
            FilePart {
                field: "file",
                name: "",
                content_type: "application/octet-stream",
                bytes: b"",
            },
        );
        assert_eq!(empty.status, 400, "[{backend}] {}", empty.body);
        assert!(
            empty.body.contains("Choose the file"),
            "[{backend}] {}",
            empty.body
        );
        assert!(
            empty.body.contains("id=\"file-error\""),
            "[{backend}] {}",
            empty.body
        );
        // A Word file: refused with what to send instead.
        let word = desk.post_multipart(
            &format!("{page}/documents"),
            &[("csrf", &csrf)],
            FilePart {
                field: "file",
                name: "order.docx",
                content_type:
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                bytes: b"PK\x03\x04",
            },
        );
        assert_eq!(word.status, 415, "[{backend}] {}", word.body);
        assert!(
            word.body.contains("scan a paper order to PDF"),
            "[{backend}] {}",
            word.body
        );
        // Without the page's token nothing is attached.
        let forged = desk.post_multipart(
            &format!("{page}/documents"),
            &[("csrf", "forged")],
            FilePart {
                field: "file",
                name: "order.txt",
                content_type: "text/plain",
                bytes: ORDER.as_bytes(),
            },
        );
        assert_eq!(forged.status, 403, "[{backend}] {}", forged.body);

        let done = desk.post_multipart(
            &format!("{page}/documents"),
            &[("csrf", &csrf)],
            FilePart {
                field: "file",
                name: "order.txt",
                content_type: "text/plain",
                bytes: ORDER.as_bytes(),
            },
        );
        assert_eq!(done.status, 303, "[{backend}] {}", done.body);
        let after = desk.get(done.location.as_deref().unwrap());
        assert!(
            after.body.contains("The document was attached"),
            "[{backend}] {}",
            after.body
        );
        assert!(
            after.body.contains("order.txt"),
            "[{backend}] {}",
            after.body
        );
        // The desk sees the name, not a link to open it.
        assert!(
            !after.body.contains(&format!("{page}/documents/")),
            "[{backend}] {}",
            after.body
        );

        let theirs = office.get(&page);
        let at = theirs
            .body
            .find(&format!("{page}/documents/"))
            .expect("a download link");
        let href: String = theirs.body[at..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let (status, disposition, bytes) = office.get_bytes(&href);
        assert_eq!(status, 200, "[{backend}]");
        assert_eq!(
            disposition.as_deref(),
            Some("attachment; filename=\"order.txt\""),
            "[{backend}]"
        );
        assert_eq!(bytes, ORDER.as_bytes(), "[{backend}]");
        let (status, _, _) = desk.get_bytes(&href);
        assert_eq!(status, 403, "[{backend}]");
    });
}
