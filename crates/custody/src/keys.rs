//! Key rotation (`custodian keys rotate`): everything sealed brought under the
//! current library key, and every patron's fields under their own key.
//!
//! Rotating the library key re-seals only the per-patron keys (one small
//! value per patron), never the patrons' fields. Values from before
//! per-patron keys (`v1`) move under the patron's key, and every other sealed
//! column under an old key is sealed again under the current one.
//!
//! Each batch is one write transaction in the library's scope that re-selects
//! what still needs doing, fixes it and appends a counts-only entry to the
//! library's audit chain: a run stopped anywhere leaves each batch done or not
//! done, and the next run does the rest; a run with nothing left does nothing.

use crate::actor::{Actor, Subject};
use crate::error::CustodyResult;
use crate::gate::{self, Entry, Ruling};
use crate::Custody;
use chrono::Utc;
use policy::clause::Clause;
use serde::Serialize;
use std::collections::BTreeMap;
use store::rotation::{self, Pending};
use store::{LibraryId, LibraryTx};

/// How many values one batch changes at most.
pub const DEFAULT_BATCH: i64 = 500;

/// What to rotate.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// Only this library (its slug); `None`: every library and the consortium's own mail.
    pub library: Option<String>,
    /// Values per batch (each batch one transaction).
    pub batch: i64,
}

/// A batch done, for the progress line.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// The library's slug, or `(consortium)`.
    pub library: &'a str,
    /// What the batch was: `patron keys`, `patrons`, `consents` or `other values`.
    pub stage: &'static str,
    /// Values done in this library so far in this run.
    pub done: i64,
    /// What was left in this library when the run reached it.
    pub total: i64,
}

/// What a run did in one library (counts only).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct LibraryRotation {
    /// Patron keys sealed again under the current library key.
    pub patron_keys: i64,
    /// Patrons whose fields moved from the library key to their own.
    pub patrons: i64,
    /// Consents whose "given by" moved under the patron's key.
    pub consents: i64,
    /// Other sealed values sealed again under the current key.
    pub other: i64,
    /// Keys of patrons no longer there, erased.
    pub orphan_keys_erased: i64,
}

impl LibraryRotation {
    /// Whether the run changed nothing here.
    pub fn is_empty(&self) -> bool {
        *self == LibraryRotation::default()
    }
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct Rotation {
    /// The key everything is now sealed under.
    pub current_key: String,
    /// Per library slug (and `(consortium)`).
    pub libraries: BTreeMap<String, LibraryRotation>,
}

/// The label of the consortium's own rows in reports.
pub const CONSORTIUM: &str = "(consortium)";

type Stage = fn(&mut LibraryTx<'_>, &store::encryption::Keyring, i64) -> store::StoreResult<usize>;

fn stages() -> [(&'static str, Stage); 5] {
    [
        ("patron keys", rotation::reseal_patron_keys),
        ("patrons", |tx, k, n| {
            rotation::seal_patrons_under_own_keys(tx, k, n, Utc::now().naive_utc())
        }),
        ("consents", |tx, k, n| {
            rotation::seal_consents_under_patron_keys(tx, k, n, Utc::now().naive_utc())
        }),
        ("other values", rotation::reseal_columns),
        ("other values", rotation::reseal_documents),
    ]
}

/// What is still to do in each library, without changing anything.
pub fn pending(
    custody: &Custody,
    library: Option<&str>,
) -> CustodyResult<BTreeMap<String, Pending>> {
    let mut out = BTreeMap::new();
    for (slug, id) in targets(custody, library)? {
        let p = custody
            .store()
            .read(id, |tx| rotation::pending(tx, custody.keys()))?;
        out.insert(slug, p);
    }
    Ok(out)
}

fn targets(custody: &Custody, library: Option<&str>) -> CustodyResult<Vec<(String, LibraryId)>> {
    Ok(match library {
        Some(slug) => {
            let l = crate::libraries::by_slug(custody.store(), slug)?;
            vec![(l.slug, l.id)]
        }
        None => {
            let mut all: Vec<_> = crate::libraries::all(custody.store())?
                .into_iter()
                .map(|l| (l.slug, l.id))
                .collect();
            all.push((CONSORTIUM.to_owned(), LibraryId::CONSORTIUM));
            all
        }
    })
}

/// Re-seals everything not under the current key, library by library, in
/// batches; `progress` hears of each batch.
pub fn rotate(
    custody: &Custody,
    opts: &RotateOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> CustodyResult<Rotation> {
    let keys = custody.keys();
    let batch = opts.batch.max(1);
    let mut report = Rotation {
        current_key: keys.current_key_id().to_owned(),
        libraries: BTreeMap::new(),
    };
    for (slug, id) in targets(custody, opts.library.as_deref())? {
        let is_library = id != LibraryId::CONSORTIUM;
        let mut done = LibraryRotation::default();
        if is_library {
            let n = custody.store().write(id, |tx| {
                let n = rotation::sweep_orphan_keys(tx)?;
                if n > 0 {
                    audit_batch(tx, &format!("{n} key(s) of patrons no longer held erased"))?;
                }
                Ok::<_, crate::CustodyError>(n)
            })?;
            done.orphan_keys_erased = n as i64;
        }
        let total = custody
            .store()
            .read(id, |tx| rotation::pending(tx, keys))?
            .total();
        let mut so_far = 0i64;
        for (stage, f) in stages() {
            loop {
                let n = custody.store().write(id, |tx| {
                    let n = f(tx, keys, batch)?;
                    if n > 0 && is_library {
                        audit_batch(
                            tx,
                            &format!(
                                "keys rotate: {n} {stage} sealed under key {}",
                                keys.current_key_id()
                            ),
                        )?;
                    }
                    Ok::<_, crate::CustodyError>(n as i64)
                })?;
                if n == 0 {
                    break;
                }
                so_far += n;
                match stage {
                    "patron keys" => done.patron_keys += n,
                    "patrons" => done.patrons += n,
                    "consents" => done.consents += n,
                    _ => done.other += n,
                }
                progress(&Progress {
                    library: &slug,
                    stage,
                    done: so_far,
                    total: total.max(so_far),
                });
            }
        }
        report.libraries.insert(slug, done);
    }
    Ok(report)
}

fn audit_batch(tx: &mut LibraryTx<'_>, purpose: &str) -> Result<(), store::StoreError> {
    gate::record(
        tx,
        &Entry {
            actor: &Actor::System("keys"),
            action: "keys.rotate",
            subject: &Subject::Nobody,
            purpose,
            ruling: Ruling::allow_by(Clause::LibraryOperations),
        },
        Utc::now().naive_utc(),
    )
}
