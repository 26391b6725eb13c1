//! Patrons and records on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use store::encryption::Keyring;
use store::patrons::{self, PatronChange, PatronData};
use store::records::{self, NewRecord};
use store::PatronId;
use store::{Access, DbConn, LibraryId, Store, StoreError};
use testkit::RawStore as Db;

fn backends() -> Vec<Db> {
    testkit::raw_stores()
}

fn keys() -> Keyring {
    testkit::keyring()
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn library(store: &Store, slug: &str) -> LibraryId {
    testkit::library(store, slug)
}

fn patron(store: &Store, lib: LibraryId, card: &str, name: &str, email: &str) -> PatronId {
    let data = PatronData {
        card_number: card.into(),
        name: name.into(),
        email: Some(email.into()),
        address: Some("1 Main St".into()),
        phone: Some("555-0100".into()),
        birth_date: NaiveDate::from_ymd_opt(1990, 5, 1),
        guardian: None,
    };
    store
        .write(lib, |tx| {
            patrons::create(tx, &keys(), &data, "pinhash", now())
        })
        .unwrap()
        .id
}

fn loan(ext: &str, patron: PatronId, returned: bool, fine: Option<(i64, bool)>) -> NewRecord {
    let t = NaiveDate::from_ymd_opt(2026, 10, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    NewRecord {
        kind: "circulation".into(),
        source: "ils".into(),
        external_id: ext.into(),
        occurred_at: t,
        ended_at: returned.then_some(t + chrono::Duration::days(14)),
        item: "The Secret Garden".into(),
        branch: "Main".into(),
        status: if returned { "returned" } else { "out" }.into(),
        amount_cents: fine.map(|(a, _)| a),
        settled_at: fine.and_then(|(_, settled)| settled.then_some(t + chrono::Duration::days(20))),
        details: None,
        patron_id: Some(patron),
    }
}

#[test]
fn patrons_are_found_by_blind_index_only_in_their_own_library() {
    for db in backends() {
        let (a, b) = (library(&db.store, "a"), library(&db.store, "b"));
        let pa = patron(
            &db.store,
            a,
            "2 1000 0001",
            "Ada Reader",
            "shared@example.org",
        );
        let pb = patron(
            &db.store,
            b,
            "2 2000 0002",
            "Bea Reader",
            "Shared@Example.org",
        );
        let k = keys();
        assert_eq!(
            db.store
                .read(a, |tx| patrons::by_card(tx, &k, "21000-0001"))
                .unwrap(),
            pa
        );
        assert!(matches!(
            db.store
                .read(a, |tx| patrons::by_card(tx, &k, "2 2000 0002")),
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.store.read(a, |tx| patrons::get(tx, &k, pb)),
            Err(StoreError::NotFound)
        ));
        let found = db
            .store
            .read(a, |tx| patrons::by_email(tx, &k, "shared@example.org"))
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (
                found[0].id,
                found[0].card_last4.as_str(),
                found[0].name.as_str()
            ),
            (pa, "0001", "Ada Reader")
        );
        // The consortium-wide question returns library ids and nothing else.
        let libs = db
            .store
            .consortium(Access::Read, |c| {
                patrons::libraries_with_email(c, &k, "SHARED@example.org ")
            })
            .unwrap();
        assert_eq!(libs, vec![a, b], "{:?}", db.store.backend());
        let full = db.store.read(a, |tx| patrons::get(tx, &k, pa)).unwrap();
        assert_eq!(full.data.birth_date, NaiveDate::from_ymd_opt(1990, 5, 1));
        assert!(
            !full.keep_history,
            "history is off unless the patron opts in"
        );
    }
}

#[test]
fn identifying_fields_are_sealed_at_rest() {
    for mut db in backends() {
        let a = library(&db.store, "a");
        patron(&db.store, a, "2 1000 0001", "Ada Reader", "ada@example.org");
        #[derive(QueryableByName)]
        struct Dump {
            #[diesel(sql_type = Text)]
            everything: String,
        }
        let sql = match &db.raw {
            DbConn::Pg(_) => "SELECT concat_ws('|', card_sealed, name_sealed, address_sealed, email_sealed, phone_sealed, birth_date_sealed) AS everything FROM patrons",
            DbConn::Sqlite(_) => "SELECT card_sealed || '|' || name_sealed || '|' || address_sealed || '|' || email_sealed || '|' || phone_sealed || '|' || birth_date_sealed AS everything FROM patrons",
        };
        let dump: Vec<Dump> = diesel::sql_query(sql).load(&mut db.raw).unwrap();
        let text = &dump[0].everything;
        // Whole values only: a short fragment such as "Ada" turns up in
        // random base64 ciphertext about once in a thousand runs.
        for secret in [
            "Ada Reader",
            "ada@example.org",
            "Main St",
            "555-0100",
            "1990-05-01",
            "10000001",
        ] {
            assert!(!text.contains(secret), "{secret} stored in clear");
        }
        // Under the patron's own key, not the library key.
        assert!(
            text.starts_with("v2.p."),
            "patron fields under the patron key"
        );
        assert!(!text.contains("v1.k1."));
    }
}

#[test]
fn records_link_only_to_patrons_of_the_same_library() {
    for db in backends() {
        let (a, b) = (library(&db.store, "a"), library(&db.store, "b"));
        let pa = patron(&db.store, a, "1", "Ada", "a@example.org");
        let pb = patron(&db.store, b, "2", "Bea", "b@example.org");
        let k = keys();
        let ids = db
            .store
            .write(a, |tx| {
                records::ingest(tx, &k, &[loan("L1", pa, false, None)], now())
            })
            .unwrap();
        assert_eq!(ids.len(), 1);
        let refused = db.store.write(a, |tx| {
            records::ingest(tx, &k, &[loan("L2", pb, false, None)], now())
        });
        assert!(
            refused.is_err(),
            "a record in A cannot point at B's patron ({:?})",
            db.store.backend()
        );
        assert_eq!(
            db.store
                .read(b, |tx| records::for_patron(tx, &k, pb, None, 10))
                .unwrap()
                .len(),
            0
        );
        assert!(matches!(
            db.store.read(b, |tx| records::get(tx, &k, ids[0])),
            Err(StoreError::NotFound)
        ));
        let mine = db
            .store
            .read(a, |tx| records::for_patron(tx, &k, pa, None, 10))
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].item, "The Secret Garden");
    }
}

#[test]
fn a_batch_lands_whole_or_not_at_all() {
    for db in backends() {
        let a = library(&db.store, "a");
        let pa = patron(&db.store, a, "1", "Ada", "a@example.org");
        let k = keys();
        let batch: Vec<NewRecord> = (0..1200)
            .map(|i| loan(&format!("L{i}"), pa, true, None))
            .chain([loan("L7", pa, true, None)])
            .collect();
        assert!(db
            .store
            .write(a, |tx| records::ingest(tx, &k, &batch, now()))
            .is_err());
        assert_eq!(
            db.store
                .read(a, |tx| records::for_patron(tx, &k, pa, None, 10))
                .unwrap()
                .len(),
            0
        );
        let ok: Vec<NewRecord> = (0..1200)
            .map(|i| loan(&format!("L{i}"), pa, true, None))
            .collect();
        assert_eq!(
            db.store
                .write(a, |tx| records::ingest(tx, &k, &ok, now()))
                .unwrap()
                .len(),
            1200
        );
        let page = db
            .store
            .read(a, |tx| records::for_patron(tx, &k, pa, None, 1000))
            .unwrap();
        assert_eq!(page.len(), 1000);
        let rest = db
            .store
            .read(a, |tx| {
                records::for_patron(tx, &k, pa, page.last().map(|r| r.id), 1000)
            })
            .unwrap();
        assert_eq!(rest.len(), 200);
    }
}

#[test]
fn turning_history_off_unlinks_returned_and_settled_loans_at_once() {
    for db in backends() {
        let a = library(&db.store, "a");
        let pa = patron(&db.store, a, "1", "Ada", "a@example.org");
        let k = keys();
        let feed = [
            loan("returned", pa, true, None),
            loan("out", pa, false, None),
            loan("fined-unpaid", pa, true, Some((250, false))),
            loan("fined-paid", pa, true, Some((250, true))),
        ];
        db.store
            .write(a, |tx| records::ingest(tx, &k, &feed, now()))
            .unwrap();
        db.store
            .write(a, |tx| patrons::set_history_choice(tx, pa, true, now()))
            .unwrap();
        let unlinked = db
            .store
            .write(a, |tx| {
                // Turning history off unlinks at once: custody does both in one transaction.
                patrons::set_history_choice(tx, pa, false, now())?;
                records::unlink_returned_loans(tx, pa)
            })
            .unwrap();
        assert_eq!(unlinked, 2);
        let left: Vec<String> = db
            .store
            .read(a, |tx| records::for_patron(tx, &k, pa, None, 10))
            .unwrap()
            .into_iter()
            .map(|r| r.external_id)
            .collect();
        assert_eq!(left.len(), 2);
        assert!(
            left.contains(&"out".to_owned()) && left.contains(&"fined-unpaid".to_owned()),
            "{left:?}"
        );
    }
}

#[test]
fn deleting_a_patron_keeps_only_non_identifying_facts() {
    for db in backends() {
        let a = library(&db.store, "a");
        let pa = patron(&db.store, a, "1", "Ada", "a@example.org");
        let k = keys();
        let ids = db
            .store
            .write(a, |tx| {
                records::ingest(tx, &k, &[loan("L1", pa, true, None)], now())
            })
            .unwrap();
        db.store.write(a, |tx| patrons::delete(tx, pa)).unwrap();
        assert!(matches!(
            db.store.read(a, |tx| patrons::get(tx, &k, pa)),
            Err(StoreError::NotFound)
        ));
        let kept = db.store.read(a, |tx| records::get(tx, &k, ids[0])).unwrap();
        assert_eq!(
            (kept.item.as_str(), kept.branch.as_str(), kept.patron_id),
            ("The Secret Garden", "Main", None)
        );
        assert!(db
            .store
            .consortium(Access::Read, |c| patrons::libraries_with_email(
                c,
                &k,
                "a@example.org"
            ))
            .unwrap()
            .is_empty());
    }
}

#[test]
fn merging_moves_records_and_removes_the_duplicate() {
    for db in backends() {
        let a = library(&db.store, "a");
        let keep = patron(&db.store, a, "1", "Ada", "a@example.org");
        let dup = patron(&db.store, a, "9", "Ada R.", "a@example.org");
        let k = keys();
        db.store
            .write(a, |tx| {
                records::ingest(
                    tx,
                    &k,
                    &[loan("L1", dup, false, None), loan("L2", keep, false, None)],
                    now(),
                )
            })
            .unwrap();
        assert_eq!(
            db.store
                .write(a, |tx| patrons::merge(tx, &keys(), keep, dup))
                .unwrap(),
            1
        );
        assert_eq!(
            db.store
                .read(a, |tx| records::for_patron(tx, &k, keep, None, 10))
                .unwrap()
                .len(),
            2
        );
        assert!(matches!(
            db.store.read(a, |tx| patrons::get(tx, &k, dup)),
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.store
                .write(a, |tx| patrons::merge(tx, &keys(), keep, keep)),
            Err(StoreError::Conflict(_))
        ));
    }
}

#[test]
fn corrections_reseal_and_reindex() {
    for db in backends() {
        let a = library(&db.store, "a");
        let pa = patron(&db.store, a, "1", "Ada", "old@example.org");
        let k = keys();
        let change = PatronChange {
            email: Some(Some("new@example.org".into())),
            phone: Some(None),
            ..Default::default()
        };
        let p = db
            .store
            .write(a, |tx| patrons::update(tx, &k, pa, &change, now()))
            .unwrap();
        assert_eq!(p.data.email.as_deref(), Some("new@example.org"));
        assert_eq!(p.data.phone, None);
        assert_eq!(p.data.address.as_deref(), Some("1 Main St"));
        assert!(db
            .store
            .read(a, |tx| patrons::by_email(tx, &k, "old@example.org"))
            .unwrap()
            .is_empty());
        assert_eq!(
            db.store
                .read(a, |tx| patrons::by_email(tx, &k, "new@example.org"))
                .unwrap()
                .len(),
            1
        );
    }
}

#[test]
fn a_deleted_patrons_id_is_never_handed_out_again() {
    for mut db in backends() {
        let a = library(&db.store, "a");
        let first = patron(&db.store, a, "1", "Ada", "a@example.org");
        let deleted = patron(&db.store, a, "2", "Bea", "b@example.org");
        assert!(deleted.0 > first.0);
        db.store
            .write(a, |tx| patrons::delete(tx, deleted))
            .unwrap();
        // The largest id is gone; counting up from the largest remaining id
        // would give the next patron the deleted patron's id (and trail).
        let next = patron(&db.store, a, "3", "Cyd", "c@example.org");
        assert!(
            next.0 > deleted.0,
            "{:?}: new patron got id {} after {} was deleted",
            db.store.backend(),
            next.0,
            deleted.0
        );

        // Records and their ids likewise.
        let k = keys();
        let ids = db
            .store
            .write(a, |tx| {
                records::ingest(
                    tx,
                    &k,
                    &[
                        loan("R1", first, false, None),
                        loan("R2", first, false, None),
                    ],
                    now(),
                )
            })
            .unwrap();
        db.store.write(a, |tx| patrons::delete(tx, first)).unwrap();
        let raw_delete = format!("DELETE FROM library_records WHERE id = {}", ids[1]);
        diesel::sql_query(raw_delete).execute(&mut db.raw).unwrap();
        let again = db
            .store
            .write(a, |tx| {
                records::ingest(tx, &k, &[loan("R3", next, false, None)], now())
            })
            .unwrap();
        assert!(again[0] > ids[1], "record id {} reused", again[0]);
    }
}

#[test]
fn a_pending_email_is_sealed_out_of_look_ups_and_its_link_works_once_before_it_expires() {
    for db in backends() {
        let mut db = db;
        let (a, b) = (library(&db.store, "a"), library(&db.store, "b"));
        let pa = patron(&db.store, a, "21000001", "Ada Reader", "ada@example.org");
        patron(&db.store, b, "22000002", "Bea Reader", "bea@example.org");
        let k = keys();
        let t = now();
        let (hash, old_hash) = (vec![7u8; 32], vec![8u8; 32]);
        db.store
            .write(a, |tx| {
                patrons::request_email_change(tx, &k, pa, "bea@example.org", &old_hash, t, t)?;
                // A newer request replaces the older one and its link.
                patrons::request_email_change(
                    tx,
                    &k,
                    pa,
                    "Bea@Example.org",
                    &hash,
                    t + chrono::Duration::hours(1),
                    t,
                )
            })
            .unwrap();
        let p = db.store.read(a, |tx| patrons::get(tx, &k, pa)).unwrap();
        assert_eq!(p.data.email.as_deref(), Some("ada@example.org"));
        assert_eq!(p.pending_email.as_deref(), Some("Bea@Example.org"));
        // Sealed at rest, like every identifying field.
        #[derive(QueryableByName)]
        struct Sealed {
            #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
            pending_email_sealed: Option<String>,
        }
        let raw: Vec<Sealed> = diesel::sql_query(
            "SELECT pending_email_sealed FROM patrons WHERE pending_email_sealed IS NOT NULL",
        )
        .load(&mut db.raw)
        .unwrap();
        assert_eq!(raw.len(), 1);
        assert!(raw[0]
            .pending_email_sealed
            .as_deref()
            .unwrap()
            .starts_with("v2.p."));
        // Neither staff look-ups nor the consortium-wide question see it.
        let found = db
            .store
            .read(a, |tx| patrons::by_email(tx, &k, "bea@example.org"))
            .unwrap();
        assert!(found.is_empty());
        let libs = db
            .store
            .consortium(Access::Read, |c| {
                patrons::libraries_with_email(c, &k, "bea@example.org")
            })
            .unwrap();
        assert_eq!(libs, vec![b]);
        // The replaced link does not work; an expired one says so and changes nothing.
        assert!(matches!(
            db.store
                .write(a, |tx| patrons::confirm_email(tx, &k, &old_hash, t)),
            Err(StoreError::NotFound)
        ));
        let late = t + chrono::Duration::hours(2);
        assert_eq!(
            db.store
                .write(a, |tx| patrons::confirm_email(tx, &k, &hash, late))
                .unwrap(),
            patrons::EmailLink::Expired
        );
        // Another library's scope cannot use the link.
        assert!(matches!(
            db.store
                .write(b, |tx| patrons::confirm_email(tx, &k, &hash, t)),
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.store
                .write(a, |tx| patrons::confirm_email(tx, &k, &hash, t))
                .unwrap(),
            patrons::EmailLink::Usable(pa, "Bea@Example.org".into())
        );
        let p = db.store.read(a, |tx| patrons::get(tx, &k, pa)).unwrap();
        assert_eq!(p.data.email.as_deref(), Some("Bea@Example.org"));
        assert_eq!(p.pending_email, None);
        let libs = db
            .store
            .consortium(Access::Read, |c| {
                patrons::libraries_with_email(c, &k, "bea@example.org")
            })
            .unwrap();
        assert_eq!(libs, vec![a, b]);
        assert!(matches!(
            db.store
                .write(a, |tx| patrons::confirm_email(tx, &k, &hash, t)),
            Err(StoreError::NotFound)
        ));
        // A staff-entered address replaces a pending one, whose link then dies.
        db.store
            .write(a, |tx| {
                patrons::request_email_change(tx, &k, pa, "x@example.org", &old_hash, late, t)
            })
            .unwrap();
        let change = PatronChange {
            email: Some(Some("desk@example.org".into())),
            ..Default::default()
        };
        let p = db
            .store
            .write(a, |tx| patrons::update(tx, &k, pa, &change, t))
            .unwrap();
        assert_eq!(p.pending_email, None);
        assert!(matches!(
            db.store
                .write(a, |tx| patrons::confirm_email(tx, &k, &old_hash, t)),
            Err(StoreError::NotFound)
        ));
    }
}

#[test]
fn a_merge_reseals_the_duplicates_consents_under_the_kept_patrons_key() {
    for db in backends() {
        let a = library(&db.store, "a");
        let keep = patron(&db.store, a, "31", "Ada", "ada@example.org");
        let dup = patron(&db.store, a, "32", "Ada R.", "ada@example.org");
        let k = keys();
        db.store
            .write(a, |tx| {
                patrons::add_consent(
                    tx,
                    &k,
                    dup,
                    &patrons::NewConsent {
                        kind: "disclosure",
                        scope: "all",
                        given_by: "Grace Guardian",
                        granted_at: now(),
                        expires_at: None,
                    },
                )
            })
            .unwrap();
        db.store
            .write(a, |tx| patrons::merge(tx, &k, keep, dup))
            .unwrap();
        let consents = db
            .store
            .read(a, |tx| patrons::consents(tx, &k, keep))
            .unwrap();
        assert_eq!(consents.len(), 1, "[{}]", db.backend);
        assert_eq!(consents[0].given_by, "Grace Guardian", "[{}]", db.backend);
    }
}

#[test]
fn a_patron_from_before_per_patron_keys_opens_and_takes_a_key_on_its_first_change() {
    for mut db in backends() {
        let a = library(&db.store, "a");
        let id = patron(&db.store, a, "41", "Old Timer", "old@example.org");
        let k = keys();
        // As written before migration 000022: under the library key, no key in the key store.
        let name = k.encrypt(a, "name", "Old Timer").unwrap();
        let card = k.encrypt(a, "card", "41").unwrap();
        let email = k.encrypt(a, "email", "old@example.org").unwrap();
        let address = k.encrypt(a, "address", "1 Main St").unwrap();
        let phone = k.encrypt(a, "phone", "555-0100").unwrap();
        let birth = k.encrypt(a, "birth_date", "1990-05-01").unwrap();
        diesel::sql_query(
            "UPDATE patrons SET name_sealed = $1, card_sealed = $2, email_sealed = $3, \
             address_sealed = $4, phone_sealed = $5, birth_date_sealed = $6",
        )
        .bind::<Text, _>(name)
        .bind::<Text, _>(card)
        .bind::<Text, _>(email)
        .bind::<Text, _>(address)
        .bind::<Text, _>(phone)
        .bind::<Text, _>(birth)
        .execute(&mut db.raw)
        .unwrap();
        diesel::sql_query("DELETE FROM keystore.patron_keys")
            .execute(&mut db.raw)
            .unwrap();
        let before = db.store.read(a, |tx| patrons::get(tx, &k, id)).unwrap();
        assert_eq!(before.data.name, "Old Timer", "[{}]", db.backend);
        let change = PatronChange {
            name: Some("Old Timer Jr.".into()),
            ..Default::default()
        };
        let after = db
            .store
            .write(a, |tx| patrons::update(tx, &k, id, &change, now()))
            .unwrap();
        assert_eq!(after.data.name, "Old Timer Jr.", "[{}]", db.backend);
        assert_eq!(after.data.email, before.data.email, "[{}]", db.backend);
        // Deleting it now erases the new key as well.
        db.store.write(a, |tx| patrons::delete(tx, id)).unwrap();
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let left: N = diesel::sql_query("SELECT COUNT(*) AS n FROM keystore.patron_keys")
            .get_result(&mut db.raw)
            .unwrap();
        assert_eq!(left.n, 0, "[{}]", db.backend);
    }
}
