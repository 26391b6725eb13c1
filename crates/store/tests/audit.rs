//! The audit log's hash chain, on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use diesel::connection::SimpleConnection;
use store::audit::{self, NewEntry};
use store::{DbConn, LibraryId, Store, StoreError};
use testkit::RawStore as Db;

fn backends() -> Vec<Db> {
    testkit::raw_stores()
}

fn library(store: &Store, slug: &str) -> LibraryId {
    testkit::library(store, slug)
}

fn entry(i: usize) -> NewEntry<'static> {
    const PURPOSES: [&str; 3] = ["overdue notice", "hold pickup", "card renewal"];
    NewEntry {
        actor: "account:1",
        action: "patron.read",
        subject: "patron:7",
        purpose: PURPOSES[i % 3],
        decision: "allow",
        clause: "operations",
        sealed: i == 4,
    }
}

fn fill(store: &Store, lib: LibraryId, n: usize) {
    for i in 0..n {
        store
            .write(lib, |tx| {
                audit::append(tx, &entry(i), Utc::now().naive_utc())
            })
            .unwrap();
    }
}

#[test]
fn an_untouched_chain_verifies() {
    for db in backends() {
        let a = library(&db.store, "a");
        let b = library(&db.store, "b");
        fill(&db.store, a, 6);
        fill(&db.store, b, 2);
        let v = db.store.read(a, audit::verify).unwrap();
        assert_eq!(
            (v.entries, v.first_break),
            (6, None),
            "{:?}",
            db.store.backend()
        );
        // Each library has its own chain, starting at 1.
        let b_entries = db.store.read(b, |tx| audit::list(tx, None, 10)).unwrap();
        assert_eq!(
            b_entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(b_entries[0].prev_hash, audit::GENESIS.to_vec());
        // Sealed entries stay out of the subject's access log.
        let visible = db
            .store
            .read(a, |tx| audit::about(tx, "patron:7", None, 100))
            .unwrap();
        assert_eq!(visible.len(), 5);
        assert!(visible.iter().all(|e| !e.sealed));
        assert!(visible[0].seq > visible[1].seq, "newest first");
    }
}

#[test]
fn the_application_cannot_change_or_remove_entries() {
    for db in backends() {
        let a = library(&db.store, "a");
        fill(&db.store, a, 2);
        let mut conn = store::testing::pooled(&db.store).unwrap();
        let set = match &*conn {
            DbConn::Pg(_) => format!(
                "BEGIN; SELECT set_config('custodian.library_id', '{}', true); ",
                a.0
            ),
            DbConn::Sqlite(_) => "BEGIN; ".to_owned(),
        };
        for stmt in [
            "UPDATE audit_log SET purpose = 'nothing to see'",
            "DELETE FROM audit_log",
        ] {
            let refused = conn.batch_execute(&format!("{set}{stmt}"));
            assert!(
                refused.is_err(),
                "{stmt} must be refused on {:?}",
                db.store.backend()
            );
            conn.batch_execute("ROLLBACK").unwrap();
        }
        assert_eq!(db.store.read(a, audit::verify).unwrap().entries, 2);
    }
}

#[test]
fn a_changed_entry_breaks_the_chain_at_that_entry() {
    for mut db in backends() {
        let a = library(&db.store, "a");
        fill(&db.store, a, 5);
        let tamper = match &db.raw {
            DbConn::Pg(_) => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; \
                              UPDATE audit_log SET purpose = 'nothing to see' WHERE seq = 3; \
                              ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;",
            DbConn::Sqlite(_) => "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET purpose = 'nothing to see' WHERE seq = 3;",
        };
        db.raw.batch_execute(tamper).unwrap();
        let v = db.store.read(a, audit::verify).unwrap();
        let broken = v.first_break.expect("the change must be found");
        assert_eq!(broken.seq, 3, "{:?}", db.store.backend());
        assert!(broken.reason.contains("changed"), "{}", broken.reason);
    }
}

#[test]
fn a_removed_entry_breaks_the_chain_where_it_was() {
    for mut db in backends() {
        let a = library(&db.store, "a");
        fill(&db.store, a, 5);
        let tamper = match &db.raw {
            DbConn::Pg(_) => {
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; \
                              DELETE FROM audit_log WHERE seq = 2; \
                              ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;"
            }
            DbConn::Sqlite(_) => {
                "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;"
            }
        };
        db.raw.batch_execute(tamper).unwrap();
        let broken = db
            .store
            .read(a, audit::verify)
            .unwrap()
            .first_break
            .unwrap();
        assert_eq!(broken.seq, 2);
        assert!(broken.reason.contains("missing"));
    }
}

#[test]
fn concurrent_appends_keep_one_unbroken_chain() {
    for db in backends() {
        let a = library(&db.store, "a");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = db.store.clone();
                std::thread::spawn(move || {
                    for i in 0..20 {
                        store
                            .write(a, |tx| {
                                audit::append(tx, &entry(t * 20 + i), Utc::now().naive_utc())
                            })
                            .map_err(|e: StoreError| e.to_string())
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let v = db.store.read(a, audit::verify).unwrap();
        assert_eq!(
            (v.entries, v.first_break),
            (80, None),
            "{:?}",
            db.store.backend()
        );
    }
}
