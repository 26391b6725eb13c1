//! Issue #10 item 9, in process: adding staff reveals nothing about other
//! libraries, and one password for two libraries asks which library.

use crate::app::support::*;
use serde_json::json;

const RIVERBEND_ADMIN: &str = "admin.riverbend@demo.custodian.test";
const PRAIRIE_ADMIN: &str = "admin.prairie-hills@demo.custodian.test";

#[test]
fn adding_staff_answers_the_same_for_an_email_known_elsewhere_and_one_known_nowhere() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let admin = server.sign_in(RIVERBEND_ADMIN);
        let add = |email: &str| {
            post(
                &staff_url(&server, "riverbend"),
                Some(&admin),
                &json!({"email": email, "display_name": "New Colleague", "role": "staff", "password": "shared-password-1"}),
            )
        };
        let elsewhere = add(PRAIRIE_ADMIN);
        let nowhere = add("nobody.anywhere@example.org");
        assert_eq!(elsewhere.status, 201, "{:?}", elsewhere.body);
        assert_eq!(elsewhere.status, nowhere.status);
        assert_eq!(
            elsewhere.header("content-type"),
            nowhere.header("content-type")
        );
        let strip = |r: &Reply| {
            let mut b = r.body.clone();
            for k in ["account_id", "joined_at", "email"] {
                b.as_object_mut().unwrap().remove(k);
            }
            b
        };
        assert_eq!(strip(&elsewhere), strip(&nowhere));
        let mut keys_a: Vec<_> = elsewhere.body.as_object().unwrap().keys().collect();
        let mut keys_b: Vec<_> = nowhere.body.as_object().unwrap().keys().collect();
        keys_a.sort();
        keys_b.sort();
        assert_eq!(keys_a, keys_b);

        // The other library's account is untouched: its own password still opens it, and it sees only its library.
        let prairie = server.sign_in(PRAIRIE_ADMIN);
        let me = get(&server.url("/api/v1/auth/me"), Some(&prairie));
        let slugs: Vec<&str> = me.body["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["slug"].as_str().unwrap())
            .collect();
        assert_eq!(slugs, ["prairie-hills"]);
        // The new riverbend account is a separate one that works in riverbend only.
        let new = sign_in_with(
            &server,
            json!({"email": PRAIRIE_ADMIN, "password": "shared-password-1"}),
        );
        assert_eq!(new.status, 200, "{:?}", new.body);
        assert_eq!(new.body["account"]["libraries"][0]["slug"], "riverbend");
        assert_eq!(
            new.body["account"]["libraries"].as_array().unwrap().len(),
            1
        );
        assert_ne!(new.body["account"]["id"], me.body["id"]);
        // Riverbend's admin resetting it does not reach the prairie-hills account.
        let new_url = format!(
            "{}/{}",
            staff_url(&server, "riverbend"),
            elsewhere.body["account_id"]
        );
        assert_eq!(
            patch(
                &new_url,
                Some(&admin),
                &json!({"password": "riverbend-reset-1"})
            )
            .status,
            200
        );
        assert_eq!(
            sign_in_with(
                &server,
                json!({"email": PRAIRIE_ADMIN, "password": server.password(PRAIRIE_ADMIN)})
            )
            .status,
            200
        );
        // The same address twice in one library is still a conflict (the admin's own staff).
        add("nobody.anywhere@example.org").assert_problem(409, "conflict");
    });
}

#[test]
fn one_password_for_two_libraries_asks_which_library() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        for (admin, library) in [
            (RIVERBEND_ADMIN, "riverbend"),
            (PRAIRIE_ADMIN, "prairie-hills"),
        ] {
            let token = server.sign_in(admin);
            let r = post(
                &staff_url(&server, library),
                Some(&token),
                &json!({"email": "roaming@example.org", "display_name": "Roaming", "role": "staff", "password": "same-password-12"}),
            );
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        let ambiguous = sign_in_with(
            &server,
            json!({"email": "roaming@example.org", "password": "same-password-12"}),
        );
        ambiguous.assert_problem(400, "invalid-parameter");
        assert_eq!(ambiguous.body["field"], "library");
        let chosen = sign_in_with(
            &server,
            json!({"email": "roaming@example.org", "password": "same-password-12", "library": "prairie-hills"}),
        );
        assert_eq!(chosen.status, 200, "{:?}", chosen.body);
        assert_eq!(
            chosen.body["account"]["libraries"][0]["slug"],
            "prairie-hills"
        );
        let wrong = sign_in_with(
            &server,
            json!({"email": "roaming@example.org", "password": "same-password-12", "library": "lakeshore"}),
        );
        assert_eq!(wrong.status, 401);
    });
}
