//! Crypto-erasure: a deleted patron's fields in a backup taken before the
//! deletion do not open, with the library key and the key store in force
//! now, while another patron in the same backup still does. The backup is
//! what docs/keys.md tells the operator to back up: on SQLite the database
//! file (not the key store's file beside it), on PostgreSQL every schema
//! but `keystore`.

use crate::app::support::*;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use store::{Access, DbConn, DbUrl, LibraryId, PatronId};

#[derive(QueryableByName, Debug)]
struct SealedRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name_sealed: String,
    #[diesel(sql_type = Text)]
    card_sealed: String,
}

/// Takes the backup the docs describe; the query that reads its patrons back.
fn back_up(app: &TestApp, raw: &mut DbConn, dir: &std::path::Path) -> Backup {
    match raw {
        DbConn::Sqlite(c) => {
            let file = dir.join("backup.db");
            diesel::sql_query(format!("VACUUM main INTO '{}'", file.display()))
                .execute(c)
                .unwrap();
            Backup::Sqlite(file)
        }
        DbConn::Pg(c) => {
            // Everything but the key store, as `pg_dump --exclude-schema=keystore` takes it.
            diesel::sql_query("CREATE SCHEMA backup")
                .execute(c)
                .unwrap();
            diesel::sql_query("CREATE TABLE backup.patrons AS SELECT * FROM public.patrons")
                .execute(c)
                .unwrap();
            let _ = app;
            Backup::Postgres
        }
    }
}

enum Backup {
    Sqlite(std::path::PathBuf),
    Postgres,
}

fn patrons_in(backup: &Backup, raw: &mut DbConn, library: LibraryId) -> Vec<SealedRow> {
    match backup {
        Backup::Sqlite(file) => {
            // Read the copy as a file on its own, the way a restore would.
            let mut c = diesel::SqliteConnection::establish(&file.display().to_string()).unwrap();
            let tables: Vec<SealedRow> = diesel::sql_query(
                "SELECT 0 AS id, name AS name_sealed, name AS card_sealed FROM sqlite_master \
                 WHERE name LIKE '%patron_keys%'",
            )
            .load(&mut c)
            .unwrap();
            assert!(tables.is_empty(), "the backup holds no key store");
            diesel::sql_query(
                "SELECT id, name_sealed, card_sealed FROM patrons WHERE library_id = ? ORDER BY id",
            )
            .bind::<BigInt, _>(library.0)
            .load(&mut c)
            .unwrap()
        }
        Backup::Postgres => diesel::sql_query(
            "SELECT id, name_sealed, card_sealed FROM backup.patrons WHERE library_id = $1 ORDER BY id",
        )
        .bind::<BigInt, _>(library.0)
        .load(raw)
        .unwrap(),
    }
}

#[test]
fn a_deleted_patrons_fields_in_an_old_backup_do_not_open() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = app.sign_in("admin.riverbend@demo.custodian.test");
        let gone = patron(&app, &staff, "riverbend", "77001");
        let kept = patron(&app, &staff, "riverbend", "77002");

        let url = DbUrl::parse(&app.raw_url).unwrap();
        let mut raw = store::testing::raw_connection(&url).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let backup = back_up(&app, &mut raw, dir.path());

        let r = delete(
            &app.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{gone}?purpose=patron+asked"
            )),
            Some(&staff),
        );
        assert_eq!(r.status, 200, "[{backend}] {:?}", r.body);

        // The keys and the key store in force now, as the application has them.
        let store = tenant_api::startup::open_store(&app.settings).unwrap();
        let (keys, _) = tenant_api::keys::load(&app.settings).unwrap();
        let lib = store
            .consortium(Access::Read, |c| store::libraries::by_slug(c, "riverbend"))
            .unwrap()
            .id;
        let rows = patrons_in(&backup, &mut raw, lib);
        let row = |id: i64| rows.iter().find(|r| r.id == id).unwrap();
        let (g, k) = (row(gone), row(kept));
        assert!(g.name_sealed.starts_with("v2.p."), "[{backend}]");

        // The library key alone opens neither: the fields are under the patrons' keys.
        assert!(keys.decrypt(lib, "name", &g.name_sealed).is_err());
        assert!(keys.decrypt(lib, "name", &k.name_sealed).is_err());

        let open = |id: i64, field: &'static str, sealed: String| {
            store.read(lib, |tx| {
                store::patrons::open_sealed_field(tx, &keys, PatronId(id), field, &sealed)
            })
        };
        assert!(
            open(gone, "name", g.name_sealed.clone()).is_err(),
            "[{backend}] the deleted patron's name opened from the backup"
        );
        assert!(open(gone, "card", g.card_sealed.clone()).is_err());
        assert_eq!(
            open(kept, "name", k.name_sealed.clone()).unwrap(),
            "Test Patron",
            "[{backend}]"
        );
        assert_eq!(open(kept, "card", k.card_sealed.clone()).unwrap(), "77002");

        // And the application no longer knows the deleted patron.
        let r = get(
            &app.url(&format!(
                "/api/v1/libraries/riverbend/patrons/{gone}?purpose=check"
            )),
            Some(&staff),
        );
        assert_eq!(r.status, 404, "[{backend}] {:?}", r.body);
    });
}

fn ring(current: &str) -> store::encryption::Keyring {
    let b64 = |b: u8| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([b; 32])
    };
    let keys: Vec<(String, String)> = match current {
        "k1" => vec![("k1".into(), b64(1))],
        "k2" => vec![("k2".into(), b64(2))],
        _ => vec![("k1".into(), b64(1)), ("k2".into(), b64(2))],
    };
    let current = if current == "both" { "k2" } else { current };
    store::encryption::Keyring::new(&keys, current, &b64(9)).unwrap()
}

/// How many values anywhere are still sealed under key k1 (the outbox aside).
fn under_k1(raw: &mut DbConn) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = "SELECT \
        (SELECT COUNT(*) FROM keystore.patron_keys WHERE key_sealed LIKE 'v1.k1.%') + \
        (SELECT COUNT(*) FROM patrons WHERE name_sealed LIKE 'v1.%' OR card_sealed LIKE 'v1.%' \
            OR email_sealed LIKE 'v1.%' OR birth_date_sealed LIKE 'v1.%') + \
        (SELECT COUNT(*) FROM patron_consents WHERE given_by_sealed LIKE 'v1.%') + \
        (SELECT COUNT(*) FROM library_records WHERE details_sealed LIKE 'v1.k1.%') + \
        (SELECT COUNT(*) FROM mail_requests WHERE body_sealed LIKE 'v1.k1.%' OR sender_sealed LIKE 'v1.k1.%') + \
        (SELECT COUNT(*) FROM legal_requests WHERE requester_name LIKE 'v1.k1.%' \
            OR requester_agency LIKE 'v1.k1.%') + \
        (SELECT COUNT(*) FROM legal_documents WHERE name_sealed LIKE 'v1.k1.%') \
        AS n";
    diesel::sql_query(sql).get_result::<N>(raw).unwrap().n
}

#[test]
fn rotation_reseals_everything_under_the_new_key_and_a_rerun_does_nothing() {
    each_backend(|backend| {
        let app = TestApp::builder(backend)
            .with_config(|s| {
                use base64::Engine;
                let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
                s.encryption.keys = Some(format!("k1:{}", b64(1)).as_str().into());
                s.encryption.current_key = Some("k1".into());
                s.encryption.index_key = Some(b64(9).as_str().into());
            })
            .spawn();
        let staff = app.sign_in("admin.riverbend@demo.custodian.test");
        let legacy = patron(&app, &staff, "riverbend", "88001");
        let others: Vec<i64> = (2..=4)
            .map(|i| patron(&app, &staff, "riverbend", &format!("8800{i}")))
            .collect();
        let r = post(
            &app.url("/api/v1/libraries/riverbend/records"),
            Some(&staff),
            &serde_json::json!({
                "kind": "reference_requests", "source": "ils", "external_id": "rot-1",
                "occurred_at": "2026-11-01T10:00:00Z", "item": "a question", "branch": "Main",
                "status": "closed", "details": "asked about a private matter",
                "patron_id": others[0],
            }),
        );
        assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);
        // A legal request with a document: requester fields and bytes sealed under k1.
        let made = post(
            &app.url("/api/v1/libraries/riverbend/legal-requests"),
            Some(&staff),
            &serde_json::json!({"instrument": "court_order",
                "requester": {"name": "Det. Ray", "agency": "Greene County Sheriff"},
                "court": "31st Judicial Circuit", "case_number": "26-CR-0412",
                "good_cause_shown": true, "patron_ids": [others[1]], "kinds": ["circulation"]}),
        );
        assert_eq!(made.status, 201, "[{backend}] {:?}", made.body);
        let request = made.body["id"].as_i64().unwrap();
        let doc = post_bytes_auth(
            &app.url(&format!(
                "/api/v1/libraries/riverbend/legal-requests/{request}/documents?name=order.txt"
            )),
            &staff,
            "text/plain; charset=utf-8",
            b"ORDER TO PRODUCE LIBRARY RECORDS\n",
        );
        assert_eq!(doc.status, 201, "[{backend}] {:?}", doc.body);

        let store = tenant_api::startup::open_store(&app.settings).unwrap();
        let lib = store
            .consortium(Access::Read, |c| store::libraries::by_slug(c, "riverbend"))
            .unwrap()
            .id;
        // One patron as written before per-patron keys: fields under the
        // library key, no key in the key store.
        let k1 = ring("k1");
        let before = store
            .read(lib, |tx| store::patrons::get(tx, &k1, PatronId(legacy)))
            .unwrap();
        let mut raw = store::testing::raw_connection(&DbUrl::parse(&app.raw_url).unwrap()).unwrap();
        let seal = |f: &str, v: &str| k1.encrypt(lib, f, v).unwrap();
        let d = &before.data;
        diesel::sql_query(
            "UPDATE patrons SET card_sealed = $1, name_sealed = $2, email_sealed = $3, \
             birth_date_sealed = $4 WHERE library_id = $5 AND id = $6",
        )
        .bind::<Text, _>(seal("card", &d.card_number))
        .bind::<Text, _>(seal("name", &d.name))
        .bind::<Text, _>(seal("email", d.email.as_deref().unwrap()))
        .bind::<Text, _>(seal("birth_date", &d.birth_date.unwrap().to_string()))
        .bind::<BigInt, _>(lib.0)
        .bind::<BigInt, _>(legacy)
        .execute(&mut raw)
        .unwrap();
        diesel::sql_query(
            "DELETE FROM keystore.patron_keys WHERE library_id = $1 AND patron_id = $2",
        )
        .bind::<BigInt, _>(lib.0)
        .bind::<BigInt, _>(legacy)
        .execute(&mut raw)
        .unwrap();
        assert!(under_k1(&mut raw) > 0, "[{backend}]");

        // k2 becomes current; k1 stays listed until the rotation is done.
        let policies = std::sync::Arc::new(custody::Policies::load().unwrap());
        let custody = custody::Custody::new(
            store.clone(),
            std::sync::Arc::new(ring("both")),
            policies.clone(),
        );
        let opts = custody::keys::RotateOptions {
            library: None,
            batch: 100,
        };
        let mut lines = Vec::new();
        let report = custody::keys::rotate(&custody, &opts, &mut |p| {
            lines.push(format!(
                "keys rotate: {} {} {}/{}",
                p.library, p.stage, p.done, p.total
            ));
        })
        .unwrap();
        let r = &report.libraries["riverbend"];
        assert_eq!(r.patron_keys, 3, "[{backend}] {r:?}");
        assert_eq!(r.patrons, 1, "[{backend}] {r:?}");
        assert!(r.other >= 1, "[{backend}] {r:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("keys rotate: riverbend patron keys ")),
            "[{backend}] {lines:?}"
        );
        let last = lines
            .iter()
            .rev()
            .find(|l| l.starts_with("keys rotate: riverbend "))
            .unwrap();
        let (done, total) = last.rsplit(' ').next().unwrap().split_once('/').unwrap();
        assert_eq!(done, total, "[{backend}] {last}");
        assert_eq!(under_k1(&mut raw), 0, "[{backend}]");
        #[derive(QueryableByName)]
        struct Doc {
            #[diesel(sql_type = diesel::sql_types::Binary)]
            content_sealed: Vec<u8>,
        }
        let docs: Vec<Doc> = diesel::sql_query("SELECT content_sealed FROM legal_documents")
            .load(&mut raw)
            .unwrap();
        assert_eq!(docs.len(), 1, "[{backend}]");
        assert!(docs[0].content_sealed.starts_with(b"v1.k2."), "[{backend}]");
        assert_eq!(
            ring("k2")
                .decrypt_bytes(lib, "legal_documents.content", &docs[0].content_sealed)
                .unwrap(),
            b"ORDER TO PRODUCE LIBRARY RECORDS\n"
        );

        // Everything opens with k2 alone: k1 can go.
        let k2 = ring("k2");
        let after = store
            .read(lib, |tx| store::patrons::get(tx, &k2, PatronId(legacy)))
            .unwrap();
        assert_eq!(after.data, before.data, "[{backend}]");
        let page = store
            .read(lib, |tx| store::patrons::list(tx, &k2, None, 200))
            .unwrap();
        assert_eq!(page.len(), 4, "[{backend}]");
        for p in &page {
            store
                .read(lib, |tx| store::patrons::get(tx, &k2, p.id))
                .unwrap();
        }
        let records = store.read(lib, |tx| {
            store::records::for_patron(tx, &k2, PatronId(page[0].id.0), None, 50)
        });
        assert!(records.is_ok(), "[{backend}] records open under k2");

        // The audit log says what was done, in counts.
        let admin = app.sign_in("admin.riverbend@demo.custodian.test");
        let audit = get(
            &app.url("/api/v1/libraries/riverbend/audit?limit=200"),
            Some(&admin),
        );
        assert_eq!(audit.status, 200, "[{backend}] {:?}", audit.body);
        let rotations: Vec<_> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "keys.rotate")
            .collect();
        assert!(!rotations.is_empty(), "[{backend}] {:?}", audit.body);
        for e in rotations {
            let purpose = e["purpose"].as_str().unwrap_or_default();
            assert!(purpose.starts_with("keys rotate: "), "{purpose}");
            assert!(!purpose.contains("Test Patron"));
        }

        // A rerun finds nothing to do.
        let again = custody::keys::rotate(
            &custody::Custody::new(store.clone(), std::sync::Arc::new(ring("both")), policies),
            &opts,
            &mut |_| {},
        )
        .unwrap();
        assert!(
            again.libraries.values().all(|r| r.is_empty()),
            "[{backend}] {:?}",
            again.libraries
        );
    });
}
