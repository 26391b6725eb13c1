//! The policy notice's outbox shape (#16), on both backends: one sealed
//! letter per version and one small outbox row per patron with an email (no
//! one else), addressed when delivered; a run cut short is finished by the
//! next without telling anyone twice; a patron deleted before delivery gets
//! nothing and the message is dead-lettered naming no one.

use crate::app::support::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use store::Access;

const DOC: &str = "jurisdiction = \"generic\"\n[[uses]]\nkey = \"newsletter\"\ndescription = \"A monthly newsletter by email.\"\n";

fn notice_mail(app: &TestApp) -> Vec<(String, String)> {
    app.mail()
        .iter()
        .filter(|m| {
            m.header("Subject")
                .unwrap_or_default()
                .contains("changed its privacy policy")
        })
        .map(|m| {
            (
                m.header("To").unwrap_or_default(),
                m.header("Message-ID").unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_notice_cut_short_is_finished_once_for_every_patron_with_an_email_and_no_one_else() {
    each_backend(|backend| {
        let app = TestApp::builder(backend).with_library("harbor").spawn();
        let admin = app.sign_in("admin.harbor@testkit.test");
        let mut with_email = Vec::new();
        for card in [
            "43000000001",
            "43000000002",
            "43000000003",
            "43000000004",
            "43000000005",
        ] {
            with_email.push((patron(&app, &admin, "harbor", card), card));
        }
        register(
            &app,
            &admin,
            "harbor",
            json!({"card_number": "43000000009", "pin": "2468", "name": "No Email", "birth_date": "1980-01-01"}),
        );
        let other = app.sign_in("admin.riverbend@demo.custodian.test");
        patron(&app, &other, "riverbend", "21000888001");

        // A version published straight into the store: nothing queued yet.
        let store = tenant_api::startup::open_store(&app.settings).unwrap();
        let (keys, _) = tenant_api::keys::load(&app.settings).unwrap();
        let waker = tenant_api::mail::waker(&app.settings).unwrap();
        let room = tenant_api::mail::mailroom(
            &app.settings,
            store.clone(),
            keys.clone(),
            &app.base,
            waker,
        )
        .unwrap();
        let custody = tenant_api::mail::custody(&room, store.clone(), keys).unwrap();
        let library = store
            .consortium(Access::Read, |c| store::libraries::by_slug(c, "harbor"))
            .unwrap();
        let version = store
            .write(library.id, |tx| {
                store::privacy_policy::publish(
                    tx,
                    &store::privacy_policy::NewVersion {
                        document: DOC,
                        summary: "We start a newsletter.",
                        new_uses: "newsletter",
                        published_by: 0,
                        now: chrono::Utc::now().naive_utc(),
                    },
                )
            })
            .unwrap();

        // One batch of two, then the run stops (as a crash would).
        let first = custody::privacy_policy::queue_notice_in_batches(
            &custody,
            &library,
            version,
            2,
            Some(1),
        )
        .unwrap();
        assert_eq!(first.queued, 2, "[{backend}]");
        // The next run (`custodian privacy-policy notify`) does the rest, once.
        let rest = tenant_api::cli::privacy_policy::run(&app.settings)
            .unwrap_or_else(|e| panic!("[{backend}] {e}"));
        assert_eq!(rest, 3, "[{backend}]");
        let again = tenant_api::cli::privacy_policy::run(&app.settings).unwrap();
        assert_eq!(again, 0, "[{backend}]");
        let recorded = store
            .read(library.id, |tx| {
                store::privacy_policy::notices_queued(tx, version)
            })
            .unwrap();
        assert_eq!(recorded, 5, "[{backend}]");

        // In the outbox: one small row per patron with an email, on one letter.
        let letters: Vec<_> = store
            .consortium(Access::Read, |c| store::outbox::list(c, None, None, 1_000))
            .unwrap()
            .into_iter()
            .filter(|m| m.template == "policy_notice")
            .collect();
        assert_eq!(letters.len(), 5, "[{backend}] {letters:?}");
        assert!(letters.iter().all(|m| m.library_id == library.id.0));
        let mut hints: Vec<_> = letters.iter().map(|m| m.recipient_hint.clone()).collect();
        hints.sort();
        let mut expected: Vec<_> = with_email
            .iter()
            .map(|(id, _)| format!("patron {id}"))
            .collect();
        expected.sort();
        assert_eq!(hints, expected, "[{backend}]");
        assert!(
            letters.iter().all(|m| !m.recipient_hint.contains('@')),
            "[{backend}] the director sees no address"
        );
        let body = store
            .read(library.id, |tx| {
                store::outbox::body_for(tx, &format!("policy_notice/{version}"))
            })
            .unwrap();
        assert!(
            body.is_some(),
            "[{backend}] one sealed letter for the version"
        );

        // Delivered: each patron's own address, each once, with its own id.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while notice_mail(&app).len() < 5 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let mail = notice_mail(&app);
        let mut to: Vec<_> = mail
            .iter()
            .map(|(t, _)| t.trim_matches(['<', '>']).to_owned())
            .collect();
        to.sort();
        let mut want: Vec<_> = with_email
            .iter()
            .map(|(_, card)| format!("p{card}@example.org"))
            .collect();
        want.sort();
        assert_eq!(to, want, "[{backend}]");
        let ids: BTreeMap<_, _> = mail.iter().map(|(t, id)| (id.clone(), t.clone())).collect();
        assert_eq!(ids.len(), 5, "[{backend}] distinct Message-IDs: {mail:?}");
        let one = app
            .mail()
            .into_iter()
            .find(|m| m.header("To").unwrap_or_default().contains("43000000001"))
            .unwrap();
        let text = one.text();
        assert!(text.contains("A monthly newsletter"), "[{backend}] {text}");
        assert!(
            text.contains("/libraries/harbor/privacy"),
            "[{backend}] {text}"
        );
        assert_eq!(
            one.header("Auto-Submitted").as_deref(),
            Some("auto-generated"),
            "[{backend}]"
        );
    });
}
