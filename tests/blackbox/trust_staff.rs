//! Issue #10 items 3, 9 and 10 as the CLI checks them: the director gets no
//! foothold in a library, refusals of outsiders stay out of the target
//! library's audit chain, and a shared account stays the operator's. That
//! adding staff reveals nothing about other libraries runs in process
//! (tests/app/trust_staff.rs).

use crate::blackbox::harness::*;
use serde_json::{json, Value};

const RIVERBEND_ADMIN: &str = "admin.riverbend@demo.custodian.test";
const PRAIRIE_ADMIN: &str = "admin.prairie-hills@demo.custodian.test";
const DIRECTOR: &str = "director@demo.custodian.test";

fn audit_entries(server: &Server, token: &str, library: &str) -> Vec<Value> {
    let r = get(
        &server.url(&format!("/api/v1/libraries/{library}/audit?limit=200")),
        Some(token),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

fn my_id(server: &Server, token: &str) -> i64 {
    get(&server.url("/api/v1/auth/me"), Some(token)).body["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn the_director_cannot_get_a_foothold_in_a_library_that_has_an_admin() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let director = server.sign_in(DIRECTOR);
        let admin = server.sign_in(RIVERBEND_ADMIN);
        let director_id = my_id(&server, &director);
        let clerk = post(
            &staff_url(&server, "riverbend"),
            Some(&admin),
            &json!({"email": "clerk@riverbend.example", "display_name": "Clerk", "role": "staff", "password": "clerk-password-123"}),
        );
        assert_eq!(clerk.status, 201, "{:?}", clerk.body);
        let clerk_url = format!(
            "{}/{}",
            staff_url(&server, "riverbend"),
            clerk.body["account_id"]
        );
        let admin_id = my_id(&server, &admin);
        let admin_url = format!("{}/{admin_id}", staff_url(&server, "riverbend"));

        // Creating staff (or a second admin) in a library that has an admin.
        for role in ["staff", "admin", "custodian"] {
            let r = post(
                &staff_url(&server, "riverbend"),
                Some(&director),
                &json!({"email": format!("{role}.mole@consortium.example"), "display_name": "Mole", "role": role, "password": "director-knows-this"}),
            );
            r.assert_problem(403, "forbidden");
            assert!(
                r.body["detail"].as_str().unwrap().contains("admin"),
                "{:?}",
                r.body
            );
            let mole = sign_in_with(
                &server,
                json!({"email": format!("{role}.mole@consortium.example"), "password": "director-knows-this"}),
            );
            assert_eq!(mole.status, 401, "{:?}", mole.body);
        }
        // Resetting a staff member's or the admin's password, promoting a
        // clerk, disabling or removing anyone: all refused, and nothing changed.
        for (url, body) in [
            (&clerk_url, json!({"password": "director-knows-this"})),
            (&admin_url, json!({"password": "director-knows-this"})),
            (&clerk_url, json!({"role": "admin"})),
            (&clerk_url, json!({"display_name": "Renamed"})),
            (&admin_url, json!({"disabled": true})),
        ] {
            patch(url, Some(&director), &body).assert_problem(403, "forbidden");
        }
        delete(&clerk_url, Some(&director)).assert_problem(403, "forbidden");
        // There is no email field to repoint an account at the director's mailbox.
        let repoint = patch(
            &clerk_url,
            Some(&director),
            &json!({"email": "director@demo.custodian.test"}),
        );
        assert!(
            repoint.status == 400 || repoint.status == 403,
            "{repoint:?}"
        );

        for (email, password) in [
            ("clerk@riverbend.example", "director-knows-this"),
            (RIVERBEND_ADMIN, "director-knows-this"),
        ] {
            let r = sign_in_with(&server, json!({"email": email, "password": password}));
            assert_eq!(r.status, 401, "{email}: {:?}", r.body);
        }
        let still = get(&clerk_url, Some(&admin));
        assert_eq!(still.body["role"], "staff");
        assert_eq!(still.body["display_name"], "Clerk");
        assert_eq!(
            sign_in_with(
                &server,
                json!({"email": "clerk@riverbend.example", "password": "clerk-password-123"})
            )
            .status,
            200
        );
        // Each attempt is in the library's own log, so its admin sees them.
        let entries = audit_entries(&server, &admin, "riverbend");
        let by_director = entries
            .iter()
            .filter(|e| e["actor"] == format!("account:{director_id}") && e["decision"] == "deny")
            .count();
        assert_eq!(by_director, 3 + 5 + 1, "{entries:?}");

        // A library onboarded now gets exactly one admin from the director, recorded in its log.
        let made = post(
            &server.url("/api/v1/libraries"),
            Some(&director),
            &json!({"slug": "fresh", "name": "Fresh Library", "jurisdiction": "generic"}),
        );
        assert_eq!(made.status, 201, "{:?}", made.body);
        post(
            &staff_url(&server, "fresh"),
            Some(&director),
            &json!({"email": "clerk@fresh.example", "display_name": "Clerk", "role": "staff"}),
        )
        .assert_problem(403, "forbidden");
        let first = post(
            &staff_url(&server, "fresh"),
            Some(&director),
            &json!({"email": "head@fresh.example", "display_name": "Head", "role": "admin", "password": "head-password-123"}),
        );
        assert_eq!(first.status, 201, "{:?}", first.body);
        let head_id = first.body["account_id"].as_i64().unwrap();
        post(
            &staff_url(&server, "fresh"),
            Some(&director),
            &json!({"email": "second@fresh.example", "display_name": "Second", "role": "admin"}),
        )
        .assert_problem(403, "forbidden");
        patch(
            &format!("{}/{head_id}", staff_url(&server, "fresh")),
            Some(&director),
            &json!({"password": "director-knows-this"}),
        )
        .assert_problem(403, "forbidden");

        let head = sign_in_with(
            &server,
            json!({"email": "head@fresh.example", "password": "head-password-123"}),
        );
        assert_eq!(head.status, 200, "{:?}", head.body);
        let head_token = head.body["token"].as_str().unwrap();
        let log = audit_entries(&server, head_token, "fresh");
        let created: Vec<&Value> = log
            .iter()
            .filter(|e| e["action"] == "staff.create" && e["decision"] == "allow")
            .collect();
        assert_eq!(created.len(), 1, "{log:?}");
        assert_eq!(created[0]["actor"], format!("account:{director_id}"));
        assert_eq!(created[0]["subject"], format!("account:{head_id}"));
        let ok = server.cli(&["audit", "verify"]);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );
    }
}

#[test]
fn another_librarys_admin_hammering_staff_management_leaves_the_chain_alone() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let riverbend = server.sign_in(RIVERBEND_ADMIN);
        let prairie = server.sign_in(PRAIRIE_ADMIN);
        let director = server.sign_in(DIRECTOR);
        let prairie_id = my_id(&server, &prairie);
        let riverbend_id = my_id(&server, &riverbend);
        let before = audit_entries(&server, &riverbend, "riverbend");
        let victim = format!("{}/{riverbend_id}", staff_url(&server, "riverbend"));
        let attempts = 30;
        for i in 0..attempts {
            let r = match i % 3 {
                0 => post(
                    &staff_url(&server, "riverbend"),
                    Some(&prairie),
                    &json!({"email": format!("spy{i}@x.org"), "display_name": "Spy", "role": "admin"}),
                ),
                1 => patch(&victim, Some(&prairie), &json!({"disabled": true})),
                _ => delete(&victim, Some(&prairie)),
            };
            r.assert_problem(404, "not-found");
        }
        let after = audit_entries(&server, &riverbend, "riverbend");
        assert_eq!(
            before, after,
            "another library's refusals reached riverbend's chain"
        );
        let ok = server.cli(&["audit", "verify"]);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );

        // The consortium's security log has them, bounded per caller.
        let log = get(
            &server.url("/api/v1/director/security-log?limit=200"),
            Some(&director),
        );
        assert_eq!(log.status, 200, "{:?}", log.body);
        let mine: Vec<&Value> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == format!("account:{prairie_id}"))
            .collect();
        assert!(!mine.is_empty() && mine.len() <= 10, "{mine:?}");
        let counted: i64 = mine.iter().map(|e| e["repeats"].as_i64().unwrap()).sum();
        assert_eq!(counted, attempts);
        assert!(mine.iter().all(|e| e["action"] == "staff.manage"));
        // Nobody else reads it.
        for token in [&riverbend, &prairie] {
            get(&server.url("/api/v1/director/security-log"), Some(token))
                .assert_problem(403, "forbidden");
        }
        get(&server.url("/api/v1/director/security-log"), None)
            .assert_problem(401, "unauthenticated");
        get(
            &server.url("/api/v1/director/security-log?limit=0"),
            Some(&director),
        )
        .assert_problem(400, "invalid-parameter");

        // A member refused in their own library stays in that library's log.
        let clerk = post(
            &staff_url(&server, "riverbend"),
            Some(&riverbend),
            &json!({"email": "clerk@riverbend.example", "display_name": "Clerk", "role": "staff", "password": "clerk-password-123"}),
        );
        assert_eq!(clerk.status, 201);
        let clerk_token = sign_in_with(
            &server,
            json!({"email": "clerk@riverbend.example", "password": "clerk-password-123"}),
        )
        .body["token"]
            .as_str()
            .unwrap()
            .to_owned();
        patch(&victim, Some(&clerk_token), &json!({"disabled": true}))
            .assert_problem(403, "forbidden");
        let last = audit_entries(&server, &riverbend, "riverbend");
        assert_eq!(last.last().unwrap()["decision"], "deny");
        assert_eq!(last.last().unwrap()["clause"], "custodian.staff.admin-only");
    }
}

#[test]
fn an_admin_cannot_reset_or_disable_an_account_that_also_works_in_another_library() {
    use diesel::connection::SimpleConnection;
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let riverbend = server.sign_in(RIVERBEND_ADMIN);
        let riverbend_id = my_id(&server, &riverbend);
        // An account in two libraries (left by an operator, or from before
        // accounts were per library): give riverbend's admin a seat at prairie-hills.
        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
        raw.batch_execute(&format!(
            "INSERT INTO library_staff (library_id, account_id, role) \
             SELECT id, {riverbend_id}, 'staff' FROM libraries WHERE slug = 'prairie-hills'"
        ))
        .unwrap();
        let prairie = server.sign_in(PRAIRIE_ADMIN);
        let seat = format!("{}/{riverbend_id}", staff_url(&server, "prairie-hills"));
        assert_eq!(get(&seat, Some(&prairie)).status, 200);
        let r = patch(
            &seat,
            Some(&prairie),
            &json!({"password": "prairie-took-it-1"}),
        );
        r.assert_problem(403, "forbidden");
        assert!(r.body["detail"]
            .as_str()
            .unwrap()
            .contains("another member library"));
        patch(&seat, Some(&prairie), &json!({"disabled": true})).assert_problem(403, "forbidden");
        // The role there is prairie-hills' own to change.
        assert_eq!(
            patch(&seat, Some(&prairie), &json!({"role": "custodian"})).status,
            200
        );
        // Riverbend's admin still signs in with their own password.
        assert_eq!(
            sign_in_with(
                &server,
                json!({"email": RIVERBEND_ADMIN, "password": server.password(RIVERBEND_ADMIN)})
            )
            .status,
            200
        );
        assert_eq!(
            sign_in_with(
                &server,
                json!({"email": RIVERBEND_ADMIN, "password": "prairie-took-it-1"})
            )
            .status,
            401
        );
    }
}
