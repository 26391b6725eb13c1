//! Staff management: a library admin manages their own library only.

use crate::app::support::*;
use serde_json::json;

const RIVERBEND_ADMIN: &str = "admin.riverbend@demo.custodian.test";
const PRAIRIE_ADMIN: &str = "admin.prairie-hills@demo.custodian.test";
const DIRECTOR: &str = "director@demo.custodian.test";

#[test]
fn an_admin_manages_the_staff_of_their_own_library() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let admin = server.sign_in(RIVERBEND_ADMIN);
        let list = get(&staff_url(&server, "riverbend"), Some(&admin));
        assert_eq!(list.status, 200, "{:?}", list.body);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(list.body["items"][0]["email"], RIVERBEND_ADMIN);
        assert!(list.body["next_cursor"].is_null());

        let created = post(
            &staff_url(&server, "riverbend"),
            Some(&admin),
            &json!({"email": "Clerk@riverbend.example", "display_name": "Circulation Clerk", "role": "staff"}),
        );
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(created.body["email"], "clerk@riverbend.example");
        assert_eq!(created.body["role"], "staff");
        let initial = created.body["initial_password"]
            .as_str()
            .unwrap()
            .to_owned();
        let clerk_id = created.body["account_id"].as_i64().unwrap();

        let r = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": "clerk@riverbend.example", "password": initial}),
        );
        assert_eq!(r.status, 200);
        let clerk = r.body["token"].as_str().unwrap().to_owned();
        // A clerk sees colleagues but changes nothing.
        assert_eq!(
            get(&staff_url(&server, "riverbend"), Some(&clerk)).status,
            200
        );
        post(
            &staff_url(&server, "riverbend"),
            Some(&clerk),
            &json!({"email": "x@riverbend.example", "display_name": "X", "role": "admin"}),
        )
        .assert_problem(403, "forbidden");

        let one = format!("{}/{clerk_id}", staff_url(&server, "riverbend"));
        let promoted = patch(&one, Some(&admin), &json!({"role": "custodian"}));
        assert_eq!(promoted.status, 200, "{:?}", promoted.body);
        assert_eq!(promoted.body["role"], "custodian");
        patch(&one, Some(&admin), &json!({"role": "librarian"}))
            .assert_problem(400, "invalid-parameter");
        patch(&one, Some(&admin), &json!({"password": "short"}))
            .assert_problem(400, "invalid-parameter");

        // A password change ends the clerk's sessions.
        assert_eq!(
            patch(
                &one,
                Some(&admin),
                &json!({"password": "a-much-longer-password"})
            )
            .status,
            200
        );
        assert_eq!(
            get(&server.url("/api/v1/auth/me"), Some(&clerk)).status,
            401
        );

        // The last admin cannot be demoted or removed.
        let me_id = list.body["items"][0]["account_id"].as_i64().unwrap();
        let me_url = format!("{}/{me_id}", staff_url(&server, "riverbend"));
        patch(&me_url, Some(&admin), &json!({"role": "staff"})).assert_problem(409, "conflict");
        delete(&me_url, Some(&admin)).assert_problem(409, "conflict");

        // Duplicate email.
        post(
            &staff_url(&server, "riverbend"),
            Some(&admin),
            &json!({"email": "clerk@riverbend.example", "display_name": "Again", "role": "staff"}),
        )
        .assert_problem(409, "conflict");

        // The clerk is now the library's only custodian of records: legal
        // requests go to them, so they cannot be demoted, disabled or removed
        // until another is designated.
        for refused in [
            patch(&one, Some(&admin), &json!({"role": "staff"})),
            patch(&one, Some(&admin), &json!({"disabled": true})),
            delete(&one, Some(&admin)),
        ] {
            refused.assert_problem(409, "conflict");
            assert!(
                refused.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("designate another custodian first"),
                "{:?}",
                refused.body
            );
        }
        let second = post(
            &staff_url(&server, "riverbend"),
            Some(&admin),
            &json!({"email": "records@riverbend.example", "display_name": "Records Officer", "role": "custodian"}),
        );
        assert_eq!(second.status, 201, "{:?}", second.body);

        assert_eq!(delete(&one, Some(&admin)).status, 204);
        get(&one, Some(&admin)).assert_problem(404, "not-found");
        let gone = post(
            &server.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": "clerk@riverbend.example", "password": "a-much-longer-password"}),
        );
        assert_eq!(gone.status, 401);
    });
}

#[test]
fn an_admin_of_one_library_gets_404_for_another_librarys_staff() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let riverbend = server.sign_in(RIVERBEND_ADMIN);
        let prairie = server.sign_in(PRAIRIE_ADMIN);
        let prairie_list = get(&staff_url(&server, "prairie-hills"), Some(&prairie));
        let prairie_admin_id = prairie_list.body["items"][0]["account_id"]
            .as_i64()
            .unwrap();
        let victim = format!("{}/{prairie_admin_id}", staff_url(&server, "prairie-hills"));

        // Every staff endpoint of the other library: indistinguishable from a library that does not exist.
        get(&staff_url(&server, "prairie-hills"), Some(&riverbend))
            .assert_problem(404, "not-found");
        post(
            &staff_url(&server, "prairie-hills"),
            Some(&riverbend),
            &json!({"email": "spy@x.org", "display_name": "Spy", "role": "admin"}),
        )
        .assert_problem(404, "not-found");
        get(&victim, Some(&riverbend)).assert_problem(404, "not-found");
        patch(&victim, Some(&riverbend), &json!({"disabled": true}))
            .assert_problem(404, "not-found");
        delete(&victim, Some(&riverbend)).assert_problem(404, "not-found");
        let no_such = get(&staff_url(&server, "no-such-library"), Some(&riverbend));
        no_such.assert_problem(404, "not-found");
        assert_eq!(
            no_such.body,
            get(&staff_url(&server, "prairie-hills"), Some(&riverbend)).body
        );

        // Reaching the other library's account through one's own library path finds nothing either.
        let through_own = format!("{}/{prairie_admin_id}", staff_url(&server, "riverbend"));
        get(&through_own, Some(&riverbend)).assert_problem(404, "not-found");
        patch(&through_own, Some(&riverbend), &json!({"disabled": true}))
            .assert_problem(404, "not-found");
        delete(&through_own, Some(&riverbend)).assert_problem(404, "not-found");

        // And the other library's admin is untouched.
        let still = get(&victim, Some(&prairie));
        assert_eq!(still.status, 200);
        assert_eq!(still.body["disabled"], false);

        // Anonymous callers are asked to sign in.
        get(&staff_url(&server, "riverbend"), None).assert_problem(401, "unauthenticated");
    });
}

#[test]
fn the_director_onboards_libraries_and_lists_them_with_pagination() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        let director = server.sign_in(DIRECTOR);
        let first = get(&server.url("/api/v1/libraries?limit=3"), Some(&director));
        assert_eq!(first.status, 200);
        assert_eq!(first.body["items"].as_array().unwrap().len(), 3);
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let rest = get(
            &server.url(&format!("/api/v1/libraries?limit=3&cursor={cursor}")),
            Some(&director),
        );
        assert_eq!(rest.body["items"].as_array().unwrap().len(), 2);
        assert!(rest.body["next_cursor"].is_null());
        let all: Vec<_> = first.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(rest.body["items"].as_array().unwrap())
            .map(|l| l["slug"].clone())
            .collect();
        assert_eq!(all.len(), 5);

        get(&server.url("/api/v1/libraries?limit=0"), Some(&director))
            .assert_problem(400, "invalid-parameter");
        let bad = get(&server.url("/api/v1/libraries?cursor=%%%"), Some(&director));
        assert_eq!(bad.status, 400);

        let made = post(
            &server.url("/api/v1/libraries"),
            Some(&director),
            &json!({"slug": "new-branch", "name": "New Branch Library", "jurisdiction": "missouri"}),
        );
        assert_eq!(made.status, 201, "{:?}", made.body);
        let bad = post(
            &server.url("/api/v1/libraries"),
            Some(&director),
            &json!({"slug": "Bad Slug", "name": "X", "jurisdiction": "missouri"}),
        );
        bad.assert_problem(400, "invalid-parameter");
        assert_eq!(bad.body["field"], "slug");

        // The director gives the new library its first admin.
        let first_admin = post(
            &staff_url(&server, "new-branch"),
            Some(&director),
            &json!({"email": "head@newbranch.example", "display_name": "Head", "role": "admin"}),
        );
        assert_eq!(first_admin.status, 201, "{:?}", first_admin.body);

        // Library admins do not manage the consortium.
        let admin = server.sign_in(RIVERBEND_ADMIN);
        get(&server.url("/api/v1/libraries"), Some(&admin)).assert_problem(403, "forbidden");
    });
}
