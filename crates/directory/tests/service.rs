//! The directory service over a real database: a cache hit does not reach the
//! database, a cold key under concurrent requests loads once, and an approved
//! change is read on the very next request. In process always; with Redis too
//! when `CUSTODIAN_TEST_REDIS_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use directory::moderation::Patch;
use directory::search::RawQuery;
use directory::{Cache, Directory};
use std::sync::Arc;
use std::time::Duration;
use store::accounts::{self, NewAccount};
use store::libraries::{self, Library, NewLibrary};
use store::{Access, AccountId, DbUrl, Store};
use testkit::redis_url;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    library: Library,
    admin: AccountId,
    director: AccountId,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("d.db").display())).unwrap();
    store::migrations::apply(&url, None).unwrap();
    let store = Store::open(&url, 4, Duration::from_secs(10)).unwrap();
    let (library, admin, director) = store
        .consortium(Access::Write, |c| {
            let library = libraries::create(
                c,
                &NewLibrary {
                    slug: "riverbend",
                    name: "Riverbend Public Library",
                    jurisdiction: "missouri",
                },
            )?;
            let mk = |c: &mut store::DbConn, email: &str, is_director: bool| {
                accounts::create(
                    c,
                    &NewAccount {
                        email,
                        display_name: email,
                        password_hash: "x",
                        is_director,
                    },
                )
                .map(|a| a.id)
            };
            let admin = mk(c, "admin@example.org", false)?;
            let director = mk(c, "director@example.org", true)?;
            Ok::<_, store::StoreError>((library, admin, director))
        })
        .unwrap();
    Fixture {
        _dir: dir,
        store,
        library,
        admin,
        director,
    }
}

async fn caches() -> Vec<(&'static str, Cache)> {
    let mut v = vec![("local", Cache::local())];
    if let Some(url) = redis_url() {
        let conn = redis::Client::open(url.as_str())
            .unwrap()
            .get_connection_manager()
            .await
            .unwrap();
        let prefix = format!("custodian-test:directory-{}:", rand_suffix());
        v.push(("redis", Cache::redis(conn, &prefix)));
    }
    v
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

fn q(text: &str) -> RawQuery {
    RawQuery {
        q: Some(text.into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hits_stay_off_the_database_and_changes_show_at_once() {
    for (name, cache) in caches().await {
        let f = fixture();
        let dir = Directory::new(f.store.clone(), Arc::new(cache), "http://x");
        let own = dir.own_entry(f.library.clone()).await.unwrap();
        let id = own.entry.id;
        let loads = dir.cache().loads();

        // A cold key asked for by many at once is loaded once.
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let dir = dir.clone();
            tasks.push(tokio::spawn(async move {
                dir.search(&q("riverbend")).await.unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().1.items.len(), 1);
        }
        assert_eq!(dir.cache().loads(), loads + 1, "{name}: single flight");
        dir.entry(id).await.unwrap();
        let warm = dir.cache().loads();
        for _ in 0..10 {
            dir.search(&q("riverbend")).await.unwrap();
            dir.entry(id).await.unwrap();
        }
        assert_eq!(dir.cache().loads(), warm, "{name}: hits do not load");

        // Submitted is not published; approved is, on the next read.
        let patch = Patch {
            hours: Some("Mon–Fri 9–5".into()),
            city: Some("Riverbend".into()),
            ..Default::default()
        };
        let change = dir.submit(f.library.clone(), f.admin, patch).await.unwrap();
        assert_eq!(dir.entry(id).await.unwrap().item.hours, None);
        dir.approve(change.id, f.director, None).await.unwrap();
        let after = dir.entry(id).await.unwrap();
        assert_eq!(after.item.hours.as_deref(), Some("Mon–Fri 9–5"), "{name}");
        assert_eq!(after.version, 2);
        let found = dir.search(&q("riverbend")).await.unwrap().1;
        assert_eq!(found.items[0].city, "Riverbend", "{name}");
        let history = dir.history(id).await.unwrap();
        assert_eq!(history.versions.len(), 2);
        assert_eq!(history.changes[0].status, "approved");
    }
}

fn import_csv(store: &Store, phone: &str) -> directory::import::Report {
    let csv = format!(
        "fscs_id,name,phone,county,location,lat,long\n\
         IL0290,LINCOLN PUBLIC LIBRARY,{phone},LOGAN,\"725 PEKIN STREET\nLINCOLN, IL 62656\",40.1,-89.3\n"
    );
    let (outlets, skipped) = directory::import::read(csv.as_bytes()).unwrap();
    directory::import::import(store, outlets, skipped, |_, _| {}).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_makes_the_cache_forget_what_it_changed() {
    for (name, cache) in caches().await {
        let f = fixture();
        let dir = Directory::new(f.store.clone(), Arc::new(cache), "http://x");
        let first = import_csv(&f.store, "2177328878");
        dir.imported(&first).await.unwrap();
        let id = first.changed_ids[0];
        let before = dir.entry(id).await.unwrap();
        assert_eq!(before.item.phone.as_deref(), Some("217-732-8878"), "{name}");
        assert_eq!(dir.search(&q("lincoln")).await.unwrap().1.items.len(), 1);

        let again = import_csv(&f.store, "2175550100");
        assert_eq!(
            (again.updated, again.changed_ids.clone()),
            (1, vec![id]),
            "{name}"
        );
        let stale = dir.entry(id).await.unwrap();
        assert_eq!(
            stale.item.phone, before.item.phone,
            "{name}: cached until told"
        );
        dir.imported(&again).await.unwrap();
        let after = dir.entry(id).await.unwrap();
        assert_eq!(after.item.phone.as_deref(), Some("217-555-0100"), "{name}");
        let found = dir.search(&q("lincoln")).await.unwrap().1;
        assert_eq!(
            found.items[0].phone.as_deref(),
            Some("217-555-0100"),
            "{name}"
        );
    }
}
