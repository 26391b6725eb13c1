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

// An argon2id hash of a PIN nobody uses.
const PIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5Yo6N5VX1m4zGxgCQrmD0b7sc3rWRz0YRRD5Hn0v7rA";

#[test]
fn a_patron_deleted_before_delivery_gets_nothing_and_the_letter_names_no_one() {
    use std::sync::Arc;
    for db in testkit::stores::stores(4) {
        let (backend, store) = (db.backend, &db.store);
        let keys = testkit::keyring();
        let library = testkit::stores::member_library(store, "shared");
        let now = chrono::Utc::now().naive_utc();
        let people: Vec<store::patrons::PatronData> = (0..4)
            .map(|i| store::patrons::PatronData {
                card_number: format!("2600000000{i}"),
                name: format!("Shared Patron {i}"),
                email: (i != 3).then(|| format!("shared{i}@example.org")),
                ..Default::default()
            })
            .collect();
        let ids = store
            .write(library.id, |tx| {
                store::patrons::create_many(tx, &keys, &people, PIN_HASH, now)
            })
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
                        now,
                    },
                )
            })
            .unwrap();
        let room = notifier::Mailroom::new(
            store.clone(),
            keys.clone(),
            notifier::requests::Settings {
                from: "privacy@shared.example".parse().unwrap(),
                public_url: "https://custodian.example/".into(),
                due_days: 30,
                confirm_days: 7,
                remind_after_hours: 72,
            },
            notifier::wake::Waker::local(),
        );
        let custody = custody::Custody::new(
            store.clone(),
            Arc::new(keys.clone()),
            Arc::new(custody::Policies::load().unwrap()),
        )
        .with_policy_notifier(Arc::new(room));
        let queued = custody::privacy_policy::queue_notice(&custody, &library, version).unwrap();
        assert_eq!(
            queued.queued, 3,
            "[{backend}] the patron without an email is not told"
        );

        // Deleted after the notice was queued, before it went out.
        store
            .write(library.id, |tx| store::patrons::delete(tx, ids[1]))
            .unwrap();
        let told = store
            .read(library.id, |tx| {
                store::privacy_policy::notices_queued(tx, version)
            })
            .unwrap();
        assert_eq!(told, 2, "[{backend}] their notice row went with them");

        let dir = tempfile::tempdir().unwrap();
        let worker = notifier::delivery::Worker::new(
            store.clone(),
            keys.clone(),
            notifier::delivery::Transport::Files(dir.path().to_owned()),
            notifier::delivery::Policy::default(),
        );
        let pass = worker.drain().unwrap();
        assert_eq!((pass.sent, pass.dead), (2, 1), "[{backend}] {pass:?}");
        let mut to: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
            .map(|m| {
                assert!(m.contains("changed its privacy policy"), "[{backend}] {m}");
                m.lines()
                    .find_map(|l| l.strip_prefix("To: "))
                    .unwrap()
                    .to_owned()
            })
            .collect();
        to.sort();
        assert_eq!(
            to,
            ["shared0@example.org", "shared2@example.org"],
            "[{backend}]"
        );
        let dead = store
            .consortium(Access::Read, |c| {
                store::outbox::list(c, Some("dead"), None, 10)
            })
            .unwrap();
        assert_eq!(dead.len(), 1, "[{backend}]");
        assert_eq!(dead[0].recipient_hint, format!("patron {}", ids[1].0));
        let why = dead[0].last_error.clone().unwrap_or_default();
        assert_eq!(
            why, "the patron no longer has an email address",
            "[{backend}]"
        );
    }
}
