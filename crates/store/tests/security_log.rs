//! The consortium's security log: bounded per caller, and out of every library's sight.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use store::libraries::{self, NewLibrary};
use store::security_log::{self, Refusal};
use store::{Access, LibraryId, StoreError};
use testkit::stores;

#[test]
fn one_caller_writes_at_most_the_bound_per_minute_and_the_rest_is_counted() {
    for t in stores(2) {
        let lib = t
            .store
            .consortium(Access::Write, |c| {
                libraries::create(
                    c,
                    &NewLibrary {
                        slug: "alpha",
                        name: "Alpha",
                        jurisdiction: "generic",
                    },
                )
            })
            .unwrap();
        let now = Utc::now().naive_utc();
        let record = |actor: &str, at| {
            let refusal = Refusal {
                actor,
                target: lib.id,
                action: "staff.manage",
                clause: "custodian.tenancy.members-only",
            };
            t.store
                .write(LibraryId::CONSORTIUM, |tx| {
                    security_log::record(tx, &refusal, at, 3)
                })
                .unwrap()
        };
        let written: Vec<bool> = (0..10).map(|_| record("account:7", now)).collect();
        assert_eq!(written.iter().filter(|w| **w).count(), 3, "{}", t.backend);
        // Another caller has their own bound; a minute later the caller may write again.
        assert!(record("account:8", now), "{}", t.backend);
        assert!(
            record("account:7", now + Duration::seconds(61)),
            "{}",
            t.backend
        );

        let all = t
            .store
            .read(LibraryId::CONSORTIUM, |tx| {
                security_log::list(tx, None, 100)
            })
            .unwrap();
        let mine: Vec<_> = all.iter().filter(|e| e.actor == "account:7").collect();
        assert_eq!(mine.len(), 4, "{}", t.backend);
        assert_eq!(
            mine.iter().map(|e| e.repeats).sum::<i64>(),
            11,
            "{}",
            t.backend
        );
        assert!(all.iter().all(|e| e.library_id == lib.id.0));

        // A library's own scope cannot read it.
        let from_library = t.store.read(lib.id, |tx| security_log::list(tx, None, 100));
        assert!(
            matches!(from_library, Err(StoreError::Migration(_))),
            "{}",
            t.backend
        );
    }
}
