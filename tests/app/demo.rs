//! The rich demo: staff of every role, patrons (a child with consent, a few
//! keeping history), records of every kind, and a printed patron sign-in that works.

use crate::app::support::*;
use serde_json::json;
use std::sync::Arc;

#[test]
fn the_demo_seeds_staff_patrons_and_records_and_its_patron_line_signs_in() {
    each_backend(|backend| {
        let server = TestApp::spawn(backend);
        // TestApp seeds the plain demo; the rich part runs here as start-up runs it.
        let store = tenant_api::startup::open_store(&server.settings).unwrap();
        let (keys, _) = tenant_api::keys::load(&server.settings).unwrap();
        let policies = Arc::new(custody::Policies::load().unwrap());
        let custody = custody::Custody::new(store.clone(), Arc::new(keys), policies);
        let (staff, patrons) = tenant_api::demo::seed_patrons(&custody, 50).unwrap();
        assert_eq!(
            staff.len(),
            10,
            "a staff member and a custodian per library"
        );
        assert_eq!(patrons.len(), 5, "one printed patron per library");
        for c in &staff {
            let r = post(
                &server.url("/api/v1/auth/sign-in"),
                None,
                &json!({"email": c.email, "password": c.password}),
            );
            assert_eq!(r.status, 200, "{}: {:?}", c.role, r.body);
        }
        for (i, p) in patrons.iter().enumerate() {
            assert!(p.card.chars().all(|c| c.is_ascii_digit()));
            assert!(p.pin.chars().all(|c| c.is_ascii_digit()));
            let r = post(
                &server.url(&format!("/api/v1/libraries/{}/patron/sign-in", p.slug)),
                None,
                &json!({"card_number": p.card, "pin": p.pin}),
            );
            assert_eq!(r.status, 200, "{}: {:?}", p.slug, r.body);
            let token = r.body["token"].as_str().unwrap().to_owned();
            let records = get(&server.url("/api/v1/patron/me/records"), Some(&token));
            assert_eq!(records.status, 200, "{:?}", records.body);
            // The child (patron 2) and the last patron are registered too.
            for n in [1, 49] {
                let card = custody::demo::card_number(i, n);
                let r = post(
                    &server.url(&format!("/api/v1/libraries/{}/patron/sign-in", p.slug)),
                    None,
                    &json!({"card_number": card, "pin": p.pin}),
                );
                assert_eq!(r.status, 200, "{} patron {n}: {:?}", p.slug, r.body);
            }
        }
        // Every member library is in the public directory with hours and
        // services, and one change waits for the director.
        let director = server.sign_in("director@demo.custodian.test");
        let pending = get(
            &server.url("/api/v1/directory/changes?status=pending"),
            Some(&director),
        );
        assert_eq!(pending.status, 200, "{:?}", pending.body);
        assert_eq!(
            pending.body["items"].as_array().map(Vec::len),
            Some(1),
            "{:?}",
            pending.body
        );
        // The emailed requests are real requests, filed in their queues.
        let mailroom = tenant_api::mail::mailroom(
            &server.settings,
            store.clone(),
            tenant_api::keys::load(&server.settings).unwrap().0,
            &server.base,
            tenant_api::mail::waker(&server.settings).unwrap(),
        )
        .unwrap();
        let routes = tenant_api::demo::seed_requests(&mailroom).unwrap();
        assert_eq!(routes.len(), 6, "{routes:?}");
        for route in ["library", "triage", "director"] {
            assert!(routes.contains(&route), "{route}: {routes:?}");
        }
        // A second run finds every library seeded and adds nothing.
        let (again, none) = tenant_api::demo::seed_patrons(&custody, 50).unwrap();
        assert!(again.is_empty() && none.is_empty());
    });
}
