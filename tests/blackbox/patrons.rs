//! Patrons and their records, from the outside: staff work, self-service,
//! minors, the bulk feed, and who gets what.

use crate::blackbox::harness::*;
use serde_json::{json, Value};

const ADMIN_A: &str = "admin.riverbend@demo.custodian.test";
const ADMIN_B: &str = "admin.prairie-hills@demo.custodian.test";
const DIRECTOR: &str = "director@demo.custodian.test";

/// Personal data the tests seed; none of it may reach the server's log.
const SEEDED: [&str; 9] = [
    "Ada Quillfeather",
    "21000555001",
    "ada.quill@example.org",
    "Bea Marchmont",
    "21000555002",
    "bea.m@example.org",
    "Cyd Oakhollow",
    "29000777003",
    "cyd@example.org",
];

fn patron_sign_in(server: &Server, library: &str, card: &str, pin: &str) -> String {
    let r = post(
        &server.url(&format!("/api/v1/libraries/{library}/patron/sign-in")),
        None,
        &json!({"card_number": card, "pin": pin}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

fn feed(server: &Server, token: &str, library: &str, body: &str) -> Reply {
    post_raw_auth(
        &server.url(&format!("/api/v1/libraries/{library}/records/feed")),
        token,
        "application/x-ndjson",
        body,
    )
}

fn loan_line(ext: &str, card: &str, returned: bool) -> String {
    let ended = if returned {
        "\"2026-10-15T10:00:00\""
    } else {
        "null"
    };
    format!(
        r#"{{"kind":"circulation","source":"ils","external_id":"{ext}","occurred_at":"2026-10-01T10:00:00","ended_at":{ended},"item":"Title {ext}","branch":"Main","card_number":"{card}"}}"#
    )
}

fn assert_log_clean(server: &Server) {
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log();
    for s in SEEDED {
        assert!(!log.contains(s), "personal data {s:?} reached the log");
    }
}

struct World {
    server: Server,
    staff_a: String,
    staff_b: String,
    director: String,
    a1: i64,
    a2: i64,
    b1: i64,
    patron_a1: String,
    patron_a2: String,
    patron_b: String,
}

fn world(backend: Backend) -> World {
    let server = Server::start(backend, &[]);
    let staff_a = server.sign_in(ADMIN_A);
    let staff_b = server.sign_in(ADMIN_B);
    let director = server.sign_in(DIRECTOR);
    let a1 = register(&server, &staff_a, "riverbend", json!({"card_number": "21000555001", "pin": "4321", "name": "Ada Quillfeather", "email": "ada.quill@example.org", "phone": "816-555-0101", "birth_date": "1985-04-02"}))["id"].as_i64().unwrap();
    let a2 = register(&server, &staff_a, "riverbend", json!({"card_number": "21000555002", "pin": "8765", "name": "Bea Marchmont", "email": "bea.m@example.org"}))["id"].as_i64().unwrap();
    let b1 = register(&server, &staff_b, "prairie-hills", json!({"card_number": "29000777003", "pin": "1111", "name": "Cyd Oakhollow", "email": "cyd@example.org"}))["id"].as_i64().unwrap();
    let patron_a1 = patron_sign_in(&server, "riverbend", "21000555001", "4321");
    let patron_a2 = patron_sign_in(&server, "riverbend", "21000555002", "8765");
    let patron_b = patron_sign_in(&server, "prairie-hills", "29000777003", "1111");
    World {
        server,
        staff_a,
        staff_b,
        director,
        a1,
        a2,
        b1,
        patron_a1,
        patron_a2,
        patron_b,
    }
}

#[test]
fn staff_work_and_patron_self_service() {
    for backend in backends() {
        let w = world(backend);
        let s = &w.server;
        // The ILS feeds loans by card number. Neither patron keeps a checkout
        // history, so the loans that arrive already returned are unlinked on arrival.
        let lines = [
            loan_line("L1", "21000555001", true),
            loan_line("L2", "21000555001", false),
            loan_line("L3", "21000555002", true),
        ]
        .join("\n");
        let r = feed(s, &w.staff_a, "riverbend", &lines);
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(
            (
                r.body["stored"].as_u64(),
                r.body["unlinked_on_arrival"].as_u64()
            ),
            (Some(3), Some(2)),
            "{:?}",
            r.body
        );
        let l2 = r.body["first_id"].as_i64().unwrap() + 1;

        // Staff must say why they read a patron's data.
        get(
            &s.url(&format!("/api/v1/libraries/riverbend/patrons/{}", w.a1)),
            Some(&w.staff_a),
        )
        .assert_problem(400, "invalid-parameter");
        let read = get(
            &s.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{}?purpose=hold%20pickup",
                w.a1
            )),
            Some(&w.staff_a),
        );
        assert_eq!(read.status, 200, "{:?}", read.body);
        assert_eq!(read.body["patron"]["data"]["name"], "Ada Quillfeather");
        // Lists show the last four of the card only.
        let found = get(&s.url("/api/v1/libraries/riverbend/patrons?email=ADA.QUILL@example.org&purpose=overdue%20notice"), Some(&w.staff_a));
        assert_eq!(found.body["items"][0]["card_last4"], "5001");
        assert!(!found.body.to_string().contains("21000555001"));

        // The patron sees everything, and who looked.
        let me = get(&s.url("/api/v1/patron/me"), Some(&w.patron_a1));
        assert_eq!(me.status, 200);
        assert_eq!(me.body["data"]["card_number"], "21000555001");
        assert_eq!(me.body["keep_history"], false);
        let records = get(&s.url("/api/v1/patron/me/records"), Some(&w.patron_a1));
        assert_eq!(
            records.body["items"].as_array().unwrap().len(),
            1,
            "{:?}",
            records.body
        );
        assert_eq!(records.body["items"][0]["external_id"], "L2");
        let log = get(&s.url("/api/v1/patron/me/access-log"), Some(&w.patron_a1));
        let entries = log.body["items"].as_array().unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e["purpose"] == "hold pickup" && e["action"] == "patron.read"),
            "{entries:?}"
        );
        assert!(entries
            .iter()
            .all(|e| !e["who"].as_str().unwrap().starts_with("a patron")));

        let export = get(&s.url("/api/v1/patron/me/export"), Some(&w.patron_a1));
        assert_eq!(export.status, 200);
        assert!(export
            .header("content-disposition")
            .unwrap()
            .contains("attachment"));
        assert_eq!(
            export.body["patron"]["data"]["email"],
            "ada.quill@example.org"
        );
        assert_eq!(export.body["records"].as_array().unwrap().len(), 1);
        assert!(!export.body["access_log"].as_array().unwrap().is_empty());

        // Contact data; not the name.
        let upd = patch(
            &s.url("/api/v1/patron/me"),
            Some(&w.patron_a1),
            &json!({"phone": null, "contact_by": "email"}),
        );
        assert_eq!(upd.status, 200, "{:?}", upd.body);
        assert!(upd.body["data"]["phone"].is_null());
        patch(
            &s.url("/api/v1/patron/me"),
            Some(&w.patron_a1),
            &json!({"name": "Someone Else"}),
        )
        .assert_problem(400, "malformed-body");

        // History on: a returned loan stays linked; off unlinks it at once.
        assert_eq!(
            put(
                &s.url("/api/v1/patron/me/history"),
                Some(&w.patron_a1),
                &json!({"keep_history": true})
            )
            .status,
            200
        );
        let r = feed(
            s,
            &w.staff_a,
            "riverbend",
            &loan_line("L4", "21000555001", true),
        );
        assert_eq!(r.body["unlinked_on_arrival"], 0, "{:?}", r.body);
        assert_eq!(
            get(&s.url("/api/v1/patron/me/records"), Some(&w.patron_a1)).body["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let off = put(
            &s.url("/api/v1/patron/me/history"),
            Some(&w.patron_a1),
            &json!({"keep_history": false}),
        );
        assert_eq!(off.body["unlinked_records"], 1);
        assert_eq!(
            get(&s.url("/api/v1/patron/me/records"), Some(&w.patron_a1)).body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // The ILS reports L2 returned: unlinked at return, since history is off.
        let returned = patch(
            &s.url(&format!("/api/v1/libraries/riverbend/records/{l2}")),
            Some(&w.staff_a),
            &json!({"ended_at": "2026-10-20T12:00:00", "status": "returned"}),
        );
        assert_eq!(returned.status, 200, "{:?}", returned.body);
        assert_eq!(returned.body["retention"]["action"], "anonymize");
        assert!(returned.body["record"]["patron_id"].is_null());
        assert_eq!(returned.body["record"]["item"], "Title L2");
        assert_eq!(
            get(&s.url("/api/v1/patron/me/records"), Some(&w.patron_a1)).body["items"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        // A loan with an unpaid fine stays linked until the fine is settled.
        let r = feed(
            s,
            &w.staff_a,
            "riverbend",
            &loan_line("L5", "21000555001", false),
        );
        let l5 = r.body["first_id"].as_i64().unwrap();
        let fined = patch(
            &s.url(&format!("/api/v1/libraries/riverbend/records/{l5}")),
            Some(&w.staff_a),
            &json!({"ended_at": "2026-11-20T12:00:00", "amount_cents": 250}),
        );
        assert_eq!(
            fined.body["retention"]["action"], "keep",
            "{:?}",
            fined.body
        );
        assert!(fined.body["record"]["patron_id"].is_number());
        let paid = patch(
            &s.url(&format!("/api/v1/libraries/riverbend/records/{l5}")),
            Some(&w.staff_a),
            &json!({"settled_at": "2026-11-21T09:00:00"}),
        );
        assert!(
            paid.body["record"]["patron_id"].is_null(),
            "{:?}",
            paid.body
        );
        let listed = get(
            &s.url("/api/v1/libraries/riverbend/records?kind=circulation&purpose=inventory"),
            Some(&w.staff_a),
        );
        assert_eq!(listed.status, 200);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 5);
        get(
            &s.url("/api/v1/libraries/riverbend/records?kind=loans&purpose=inventory"),
            Some(&w.staff_a),
        )
        .assert_problem(400, "invalid-parameter");

        // Deletion request, with the backup caveat.
        let del = post(
            &s.url("/api/v1/patron/me/deletion-request"),
            Some(&w.patron_a1),
            &json!({}),
        );
        assert_eq!(del.status, 202);
        assert!(del.body["detail"].as_str().unwrap().contains("backup"));

        // PIN change: wrong current PIN refused; then every session ends.
        put(
            &s.url("/api/v1/patron/me/pin"),
            Some(&w.patron_a1),
            &json!({"current_pin": "0000", "new_pin": "9999"}),
        )
        .assert_problem(400, "invalid-parameter");
        assert_eq!(
            put(
                &s.url("/api/v1/patron/me/pin"),
                Some(&w.patron_a1),
                &json!({"current_pin": "4321", "new_pin": "9999"})
            )
            .status,
            200
        );
        get(&s.url("/api/v1/patron/me"), Some(&w.patron_a1)).assert_problem(401, "unauthenticated");
        let again = patron_sign_in(s, "riverbend", "21000555001", "9999");
        assert_eq!(get(&s.url("/api/v1/patron/me"), Some(&again)).status, 200);
        post(
            &s.url("/api/v1/libraries/riverbend/patron/sign-in"),
            None,
            &json!({"card_number": "21000555001", "pin": "4321"}),
        )
        .assert_problem(401, "bad-credentials");

        // Staff delete the patron: records stay only as non-identifying facts.
        let gone = delete(
            &s.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{}?purpose=patron%20asked",
                w.a1
            )),
            Some(&w.staff_a),
        );
        assert_eq!(gone.status, 200, "{:?}", gone.body);
        assert_eq!(gone.body["deleted"], true);
        get(&s.url("/api/v1/patron/me"), Some(&again)).assert_problem(401, "unauthenticated");

        let verify = s.cli(&["audit", "verify"]);
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stdout)
        );
        assert_log_clean(s);
    }
}

#[test]
fn a_bad_feed_line_is_named_and_nothing_is_stored() {
    for backend in backends() {
        let w = world(backend);
        let s = &w.server;
        let bad_kind = [
            loan_line("F1", "21000555001", true),
            loan_line("F2", "21000555001", true).replace("circulation", "loan"),
        ]
        .join("\n");
        let r = feed(s, &w.staff_a, "riverbend", &bad_kind);
        r.assert_problem(400, "invalid-feed-line");
        assert_eq!(r.body["line"], 2);
        assert!(r.body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown record kind"));
        let unknown_card = [
            loan_line("F1", "21000555001", true),
            loan_line("F2", "no-such-card", true),
        ]
        .join("\n");
        let r = feed(s, &w.staff_a, "riverbend", &unknown_card);
        assert_eq!((r.status, r.body["line"].as_u64()), (400, Some(2)));
        // Another library's card is unknown here too.
        let theirs = feed(
            s,
            &w.staff_a,
            "riverbend",
            &loan_line("F3", "29000777003", true),
        );
        assert_eq!(
            (theirs.status, theirs.body["line"].as_u64()),
            (400, Some(1))
        );
        let broken = feed(
            s,
            &w.staff_a,
            "riverbend",
            &format!("{}\n{{not json", loan_line("F1", "21000555001", true)),
        );
        assert_eq!(
            (broken.status, broken.body["line"].as_u64()),
            (400, Some(2))
        );
        let too_many: String = (0..10_001)
            .map(|i| loan_line(&format!("M{i}"), "21000555001", true) + "\n")
            .collect();
        let r = feed(s, &w.staff_a, "riverbend", &too_many);
        assert_eq!((r.status, r.body["line"].as_u64()), (400, Some(10_001)));
        // Nothing of those landed.
        let records = get(
            &s.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{}/records?purpose=check",
                w.a1
            )),
            Some(&w.staff_a),
        );
        assert_eq!(
            records.body["items"].as_array().unwrap().len(),
            0,
            "{:?}",
            records.body
        );
        // A full feed of 10,000 lands whole.
        let full: String = (0..10_000)
            .map(|i| loan_line(&format!("OK{i}"), "21000555002", true) + "\n")
            .collect();
        let r = feed(s, &w.staff_a, "riverbend", &full);
        assert_eq!(
            (r.status, r.body["stored"].as_u64()),
            (201, Some(10_000)),
            "{:?}",
            r.body
        );
        let again = feed(
            s,
            &w.staff_a,
            "riverbend",
            &loan_line("OK1", "21000555002", true),
        );
        again.assert_problem(409, "conflict");
        assert_log_clean(s);
    }
}

#[derive(Clone, Copy, Debug)]
enum Who {
    StaffHere,
    StaffElsewhere,
    ThisPatron,
    OtherPatronHere,
    PatronElsewhere,
    Anonymous,
    Director,
}

const EVERYONE: [Who; 7] = [
    Who::StaffHere,
    Who::StaffElsewhere,
    Who::ThisPatron,
    Who::OtherPatronHere,
    Who::PatronElsewhere,
    Who::Anonymous,
    Who::Director,
];

fn token(w: &World, who: Who) -> Option<&str> {
    match who {
        Who::StaffHere => Some(&w.staff_a),
        Who::StaffElsewhere => Some(&w.staff_b),
        Who::ThisPatron => Some(&w.patron_a1),
        Who::OtherPatronHere => Some(&w.patron_a2),
        Who::PatronElsewhere => Some(&w.patron_b),
        Who::Anonymous => None,
        Who::Director => Some(&w.director),
    }
}

/// Staff endpoints about patron a1 of riverbend: only riverbend's staff get in.
fn staff_expectation(who: Who, ok: u16) -> u16 {
    match who {
        Who::StaffHere => ok,
        Who::StaffElsewhere => 404,
        Who::Director => 403,
        // A patron's token is not a staff session.
        Who::ThisPatron | Who::OtherPatronHere | Who::PatronElsewhere | Who::Anonymous => 401,
    }
}

#[test]
fn every_endpoint_answers_each_caller_as_the_policy_allows() {
    for backend in backends() {
        let w = world(backend);
        let s = &w.server;
        let lib = "/api/v1/libraries/riverbend";
        let a1 = w.a1;
        for (n, who) in EVERYONE.into_iter().enumerate() {
            let t = token(&w, who);
            let ext = format!("{who:?}-{n}");
            // Throwaway patrons and a record for the destructive endpoints.
            let x = register(
                s,
                &w.staff_a,
                "riverbend",
                json!({"card_number": format!("X{ext}"), "pin": "1234", "name": "Xavier Temp"}),
            )["id"]
                .as_i64()
                .unwrap();
            let y = register(
                s,
                &w.staff_a,
                "riverbend",
                json!({"card_number": format!("Y{ext}"), "pin": "1234", "name": "Xavier Temp"}),
            )["id"]
                .as_i64()
                .unwrap();
            let fed = feed(
                s,
                &w.staff_a,
                "riverbend",
                &loan_line(&format!("R{ext}"), "21000555001", false),
            );
            let record = fed.body["first_id"].as_i64().unwrap();
            let cases: Vec<(&str, Reply, u16)> = vec![
                (
                    "search",
                    get(&s.url(&format!("{lib}/patrons?purpose=desk")), t),
                    200,
                ),
                (
                    "read",
                    get(&s.url(&format!("{lib}/patrons/{a1}?purpose=desk")), t),
                    200,
                ),
                (
                    "records",
                    get(
                        &s.url(&format!("{lib}/patrons/{a1}/records?purpose=desk")),
                        t,
                    ),
                    200,
                ),
                (
                    "correct",
                    patch(
                        &s.url(&format!("{lib}/patrons/{a1}")),
                        t,
                        &json!({"purpose": "desk", "contact_by": "email"}),
                    ),
                    200,
                ),
                (
                    "consent",
                    post(
                        &s.url(&format!("{lib}/patrons/{a1}/consents")),
                        t,
                        &json!({"kind": "disclosure", "given_by": "the patron"}),
                    ),
                    201,
                ),
                (
                    "register",
                    post(
                        &s.url(&format!("{lib}/patrons")),
                        t,
                        &json!({"card_number": format!("C{ext}"), "pin": "1234", "name": "New Reader"}),
                    ),
                    201,
                ),
                (
                    "add record",
                    post(
                        &s.url(&format!("{lib}/records")),
                        t,
                        &json!({"kind": "event_registration", "source": "events", "external_id": ext, "occurred_at": "2026-11-01T18:00:00", "patron_id": a1}),
                    ),
                    201,
                ),
                (
                    "feed",
                    post_raw_auth_opt(
                        &s.url(&format!("{lib}/records/feed")),
                        t,
                        &loan_line(&format!("feed-{ext}"), "21000555001", false),
                    ),
                    201,
                ),
                ("audit", get(&s.url(&format!("{lib}/audit")), t), 200),
                (
                    "list records",
                    get(&s.url(&format!("{lib}/records?purpose=desk")), t),
                    200,
                ),
                (
                    "update record",
                    patch(
                        &s.url(&format!("{lib}/records/{record}")),
                        t,
                        &json!({"status": "renewed"}),
                    ),
                    200,
                ),
                (
                    "merge",
                    post(
                        &s.url(&format!("{lib}/patrons/{x}/merge")),
                        t,
                        &json!({"duplicate_id": y, "purpose": "duplicate card"}),
                    ),
                    200,
                ),
                (
                    "delete",
                    delete(
                        &s.url(&format!("{lib}/patrons/{x}?purpose=closed%20account")),
                        t,
                    ),
                    200,
                ),
            ];
            for (name, reply, ok) in cases {
                let want = staff_expectation(who, ok);
                assert_eq!(
                    reply.status, want,
                    "{backend:?} {who:?} {name}: {:?}",
                    reply.body
                );
                if want != ok {
                    assert!(
                        !reply.body.to_string().contains("Ada"),
                        "{who:?} {name} leaked a name"
                    );
                }
            }
            // Self-service answers only a patron, about themself.
            let me = get(&s.url("/api/v1/patron/me"), t);
            match who {
                Who::ThisPatron => assert_eq!(me.body["data"]["name"], "Ada Quillfeather"),
                Who::OtherPatronHere => assert_eq!(me.body["data"]["name"], "Bea Marchmont"),
                Who::PatronElsewhere => assert_eq!(me.body["data"]["name"], "Cyd Oakhollow"),
                _ => me.assert_problem(401, "unauthenticated"),
            }
            for path in [
                "/api/v1/patron/me/records",
                "/api/v1/patron/me/export",
                "/api/v1/patron/me/access-log",
            ] {
                let r = get(&s.url(path), t);
                let patron = matches!(
                    who,
                    Who::ThisPatron | Who::OtherPatronHere | Who::PatronElsewhere
                );
                assert_eq!(r.status, if patron { 200 } else { 401 }, "{who:?} {path}");
                if !matches!(who, Who::ThisPatron) {
                    assert!(
                        !r.body.to_string().contains("Ada Quillfeather"),
                        "{who:?} {path} leaked patron a1"
                    );
                }
            }
        }
        // Through its own library's path, staff still cannot reach another library's patron.
        get(
            &s.url(&format!("{lib}/patrons/{}?purpose=desk", w.b1)),
            Some(&w.staff_a),
        )
        .assert_problem(404, "not-found");
        let other = get(
            &s.url(&format!(
                "/api/v1/libraries/prairie-hills/patrons/{}?purpose=desk",
                w.b1
            )),
            Some(&w.staff_b),
        );
        assert_eq!(other.status, 200);
        // Patron a2's data never surfaced above, but a2 exists.
        assert!(w.a2 > 0);
        assert_log_clean(s);
    }
}

#[test]
fn a_portal_deletion_request_joins_the_librarys_queue() {
    for backend in backends() {
        let w = world(backend);
        let s = &w.server;
        let del = post(
            &s.url("/api/v1/patron/me/deletion-request"),
            Some(&w.patron_a1),
            &json!({}),
        );
        assert_eq!(del.status, 202, "{:?}", del.body);
        assert!(del.body["request"].as_str().unwrap().starts_with("R-"));
        // Pressing again while it is open files nothing new.
        let again = post(
            &s.url("/api/v1/patron/me/deletion-request"),
            Some(&w.patron_a1),
            &json!({}),
        );
        assert_eq!(again.body["request"], del.body["request"]);

        let queue = get(
            &s.url("/api/v1/libraries/riverbend/requests?status=open"),
            Some(&w.staff_a),
        );
        assert_eq!(queue.status, 200, "{:?}", queue.body);
        let items = queue.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{backend:?}: {:?}", queue.body);
        let r = &items[0];
        assert_eq!(r["kind"], "delete");
        assert_eq!(r["queue"], "library");
        assert_eq!(r["status"], "received", "already confirmed: signed in");
        assert_eq!(r["source"], "portal");
        assert_eq!(r["patron_id"], w.a1);
        assert_eq!(r["sender"], "ada.quill@example.org");
        assert!(r["confirmed_at"].is_string());
        let received = chrono_date(&r["received_at"]);
        let due = chrono_date(&r["due_at"]);
        assert_eq!((due - received).num_days(), 30, "requests.due_days");
        let id = r["id"].as_i64().unwrap();
        let detail = get(
            &s.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&w.staff_a),
        );
        let actions: Vec<&str> = detail.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["received", "confirmed"]);
        // Staff work it like any other request: owner, status, closing.
        let staff_id = get(&s.url("/api/v1/auth/me"), Some(&w.staff_a)).body["id"].clone();
        let r = patch(
            &s.url(&format!("/api/v1/libraries/riverbend/requests/{id}")),
            Some(&w.staff_a),
            &json!({"status": "in_progress", "owner_id": staff_id}),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["owner_id"], staff_id);

        // Never in another library's queue, nor the director's inbox.
        let other = get(
            &s.url("/api/v1/libraries/prairie-hills/requests"),
            Some(&w.staff_b),
        );
        assert_eq!(other.body["items"], json!([]), "{:?}", other.body);
        let inbox = get(&s.url("/api/v1/director/requests"), Some(&w.director));
        assert_eq!(inbox.body["items"], json!([]), "{:?}", inbox.body);
        get(
            &s.url("/api/v1/libraries/riverbend/requests"),
            Some(&w.staff_b),
        )
        .assert_problem(404, "not-found");
        // The patron record still carries the timestamp.
        let me = get(&s.url("/api/v1/patron/me"), Some(&w.patron_a1));
        let shown = me.body.to_string();
        assert!(shown.contains("\"deletion_requested_at\":\"2"), "{shown}");
        assert_log_clean(s);
    }
}

fn chrono_date(v: &Value) -> chrono::NaiveDate {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .date_naive()
}

#[test]
fn a_new_patron_never_inherits_a_deleted_patrons_access_log() {
    for backend in backends() {
        let s = Server::start(backend, &[]);
        let staff = s.sign_in(ADMIN_A);
        let old = register(&s, &staff, "riverbend", json!({"card_number": "21000555001", "pin": "4321", "name": "Ada Quillfeather", "email": "ada.quill@example.org"}))["id"].as_i64().unwrap();
        let read = get(
            &s.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{old}?purpose=overdue%20notice"
            )),
            Some(&staff),
        );
        assert_eq!(read.status, 200, "{:?}", read.body);
        let gone = delete(
            &s.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{old}?purpose=patron%20asked"
            )),
            Some(&staff),
        );
        assert_eq!(gone.status, 200, "{:?}", gone.body);

        let new = register(&s, &staff, "riverbend", json!({"card_number": "21000555002", "pin": "8765", "name": "Bea Marchmont", "email": "bea.m@example.org"}))["id"].as_i64().unwrap();
        assert!(
            new > old,
            "{backend:?}: patron {new} registered after {old} was deleted"
        );
        let token = patron_sign_in(&s, "riverbend", "21000555002", "8765");
        let log = get(&s.url("/api/v1/patron/me/access-log"), Some(&token));
        assert_eq!(log.status, 200, "{:?}", log.body);
        let entries = log.body["items"].as_array().unwrap();
        assert!(
            entries.iter().all(|e| e["purpose"] != "overdue notice"
                && e["purpose"] != "patron asked"
                && e["action"] != "patron.delete"),
            "{backend:?}: the new patron sees the deleted patron's trail: {entries:?}"
        );
        assert_log_clean(&s);
    }
}
