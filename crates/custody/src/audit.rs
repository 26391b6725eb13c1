//! Reading a library's audit log: the whole log for those who keep it, and a
//! patron's access log (who looked at their records, when and why).

use crate::actor::{Actor, StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::Custody;
use chrono::NaiveDateTime;
use policy::staff::LibraryRole;
use serde::Serialize;
use store::{audit, LibraryTx, StoreError};

pub use store::audit::Entry;

/// The library's audit log after entry `after`, oldest first, for its admins
/// and its custodian of records.
pub fn list(
    custody: &Custody,
    who: &StaffMember,
    after: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<Entry>> {
    if who.role == LibraryRole::Staff {
        return Err(CustodyError::Forbidden(
            "only a library admin or the custodian of records may read the audit log",
        ));
    }
    Ok(custody
        .store()
        .read(who.library.id, |tx| audit::list(tx, after, limit))?)
}

/// One entry of a patron's access log, in words the patron can read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    /// When.
    #[serde(with = "store::time::rfc3339")]
    pub at: NaiveDateTime,
    /// Who, described (`library staff (account 12)`).
    pub who: String,
    /// What was done.
    pub action: String,
    /// Why, as stated.
    pub purpose: String,
    /// `allow` or `deny`.
    pub decision: String,
    /// The deciding clause's code.
    pub clause: String,
}

fn describe_actor(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("account", id)) => format!("library staff (account {id})"),
        Some(("vendor", id)) => format!("contracted vendor {id}"),
        // Vendor checks are named by the vendor (`Actor::Vendor`); the sentence is the purpose.
        Some(("vendor-key", id)) => format!("contracted vendor {id}"),
        Some(("patron", _)) => "a patron".into(),
        _ => actor.to_owned(),
    }
}

/// The newest `limit` unsealed entries about `subject` made by someone other
/// than the subject, inside the caller's transaction.
pub fn access_entries(
    tx: &mut LibraryTx<'_>,
    subject: &Subject,
    limit: i64,
) -> Result<Vec<AccessEntry>, StoreError> {
    let about = subject.to_string();
    // The subject acting on their own data is not "who looked at my records";
    // the log names the patron as actor and as subject the same way.
    let own = match subject {
        Subject::Patron(p) => Actor::Patron(*p).to_string(),
        _ => String::new(),
    };
    let mut out = Vec::new();
    let mut before = None;
    while (out.len() as i64) < limit {
        let batch = audit::about(tx, &about, before, 500)?;
        let Some(last) = batch.last() else { break };
        before = Some(last.seq);
        out.extend(
            batch
                .into_iter()
                .filter(|e| e.actor != own)
                .map(|e| AccessEntry {
                    at: e.at,
                    who: describe_actor(&e.actor),
                    action: e.action,
                    purpose: e.purpose,
                    decision: e.decision,
                    clause: e.clause,
                }),
        );
    }
    out.truncate(limit as usize);
    Ok(out)
}

pub use store::audit::Filter;
pub use store::staff::AccountName;

fn may_read_log(who: &StaffMember) -> CustodyResult<()> {
    if who.role == LibraryRole::Staff {
        return Err(CustodyError::Forbidden(
            "only a library admin or the custodian of records may read the audit log",
        ));
    }
    Ok(())
}

/// The kinds of actor a reader may filter by, as their stored prefixes.
pub const ACTOR_KINDS: [&str; 3] = ["patron:", "system:", "vendor-key:"];

fn check_filter(filter: &Filter) -> CustodyResult<()> {
    if let Some(actor) = &filter.actor {
        let account = actor
            .strip_prefix("account:")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        if !account && !ACTOR_KINDS.contains(&actor.as_str()) {
            return Err(CustodyError::Invalid {
                field: "actor",
                detail: "choose who acted from the list".into(),
            });
        }
    }
    if filter
        .action
        .as_ref()
        .is_some_and(|a| a.chars().count() > 100)
    {
        return Err(CustodyError::Invalid {
            field: "action",
            detail: "choose an action from the list".into(),
        });
    }
    Ok(())
}

/// The library's audit log matching `filter`, for its admins and its
/// custodian of records: oldest first after `cursor`, or newest first before it.
pub fn search(
    custody: &Custody,
    who: &StaffMember,
    filter: &Filter,
    cursor: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<Entry>> {
    may_read_log(who)?;
    check_filter(filter)?;
    Ok(custody.store().read(who.library.id, |tx| {
        audit::search(tx, filter, cursor, limit)
    })?)
}

/// Who acted, as the log's reader should read it (never `account:7`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorName {
    /// A staff account: its name, and its role here if it still works here.
    Staff {
        /// The account's name.
        name: String,
        /// Its role at the library; none when it no longer works there.
        role: Option<LibraryRole>,
    },
    /// The consortium director.
    Director {
        /// The director's name.
        name: String,
    },
    /// A patron acting on their own data.
    Patron,
    /// A contracted vendor's key.
    Vendor,
    /// A job of custodian itself (`cli`, `retention`, `mail`).
    System(String),
    /// An account that no longer exists, or a name the log does not know.
    Unknown,
}

/// An audit entry with its actor and subject in words.
#[derive(Debug, Clone)]
pub struct NamedEntry {
    /// The entry as stored.
    pub entry: Entry,
    /// Who acted.
    pub actor: ActorName,
    /// What it concerned, in words (empty when nothing in particular).
    pub subject: String,
}

/// One choice of the "who acted" filter: its value and who it is.
#[derive(Debug, Clone)]
pub struct ActorChoice {
    /// The filter's value (`account:7`, `patron:`).
    pub value: String,
    /// Who it names.
    pub actor: ActorName,
}

/// A page of the audit log as its readers see it, with the filters' choices.
#[derive(Debug, Clone)]
pub struct NamedLog {
    /// The entries, in the order asked for.
    pub entries: Vec<NamedEntry>,
    /// Every action the log holds.
    pub actions: Vec<String>,
    /// Everybody the log can be filtered by.
    pub actors: Vec<ActorChoice>,
}

fn account_id(raw: &str) -> Option<i64> {
    raw.strip_prefix("account:")?.parse().ok()
}

fn name_of(names: &[AccountName], id: i64) -> ActorName {
    match names.iter().find(|n| n.account_id.0 == id) {
        Some(n) if n.is_director => ActorName::Director {
            name: n.display_name.clone(),
        },
        Some(n) => ActorName::Staff {
            name: n.display_name.clone(),
            role: n.role,
        },
        None => ActorName::Unknown,
    }
}

fn actor_name(names: &[AccountName], actor: &str) -> ActorName {
    if let Some(id) = account_id(actor) {
        return name_of(names, id);
    }
    match actor.split_once(':') {
        Some(("patron", _)) => ActorName::Patron,
        Some(("vendor-key", _)) => ActorName::Vendor,
        Some(("system", job)) => ActorName::System(job.to_owned()),
        _ => ActorName::Unknown,
    }
}

fn subject_words(names: &[AccountName], subject: &str) -> String {
    if let Some(id) = account_id(subject) {
        return match name_of(names, id) {
            ActorName::Staff { name, .. } | ActorName::Director { name } => {
                format!("the account of {name}")
            }
            _ => "an account that no longer exists".into(),
        };
    }
    match subject.split_once(':') {
        Some(("patron", id)) => format!("patron no. {id}"),
        Some(("record", id)) => format!("record no. {id}"),
        Some(("request", id)) => format!("emailed request no. {id}"),
        Some((_, _)) => subject.to_owned(),
        None => String::new(),
    }
}

/// [`search`], with every actor and subject named, and the filters' choices:
/// the page an admin or custodian of records reads.
pub fn named_log(
    custody: &Custody,
    who: &StaffMember,
    filter: &Filter,
    cursor: Option<i64>,
    limit: i64,
) -> CustodyResult<NamedLog> {
    let entries = search(custody, who, filter, cursor, limit)?;
    Ok(custody.store().read(who.library.id, |tx| {
        let staff = store::staff::list(tx, None, 1_000)?;
        let directors = store::staff::directors(tx)?;
        let mut ids: Vec<i64> = entries
            .iter()
            .flat_map(|e| [account_id(&e.actor), account_id(&e.subject)])
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let names = store::staff::names(tx, &ids)?;
        let actions = audit::actions(tx)?;
        let mut actors: Vec<ActorChoice> = staff
            .into_iter()
            .map(|m| ActorChoice {
                value: Actor::Staff(m.account_id).to_string(),
                actor: ActorName::Staff {
                    name: m.display_name,
                    role: Some(m.role),
                },
            })
            .collect();
        actors.extend(directors.into_iter().map(|(id, name)| ActorChoice {
            value: Actor::Director(id).to_string(),
            actor: ActorName::Director { name },
        }));
        actors.push(ActorChoice {
            value: "patron:".into(),
            actor: ActorName::Patron,
        });
        actors.push(ActorChoice {
            value: "system:".into(),
            actor: ActorName::System(String::new()),
        });
        actors.push(ActorChoice {
            value: "vendor-key:".into(),
            actor: ActorName::Vendor,
        });
        let entries = entries
            .into_iter()
            .map(|entry| NamedEntry {
                actor: actor_name(&names, &entry.actor),
                subject: subject_words(&names, &entry.subject),
                entry,
            })
            .collect();
        Ok::<_, StoreError>(NamedLog {
            entries,
            actions,
            actors,
        })
    })?)
}

pub use store::audit::{Checkpoint, CheckpointKey};
use store::{LibraryId, Store};

/// When a library's chain gets a checkpoint: after `every` new entries, and
/// at least once every `max_age` even when nothing happened.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointSchedule {
    /// Entries since the last checkpoint that call for a new one.
    pub every: i64,
    /// The longest time between two checkpoints.
    pub max_age: chrono::Duration,
}

/// Makes and stores a checkpoint of `library`'s chain when `schedule` says one
/// is due (always when `schedule` is `None`), signed with `key`.
///
/// `publish` gets the signed checkpoint before it is stored (to write it
/// where the operator keeps it: a file, the log) and may refuse it, and then
/// nothing is stored; a checkpoint published but not stored is harmless, it
/// states a head the chain really had.
pub fn checkpoint(
    store: &Store,
    library: LibraryId,
    key: &CheckpointKey,
    schedule: Option<&CheckpointSchedule>,
    now: NaiveDateTime,
    publish: &mut dyn FnMut(&Checkpoint) -> Result<(), String>,
) -> CustodyResult<Option<Checkpoint>> {
    store.write(library, |tx| {
        let (seq, head) = audit::head(tx)?.unwrap_or((0, audit::GENESIS.to_vec()));
        let last = audit::latest_checkpoint(tx)?;
        if let Some(last) = &last {
            if seq < last.seq {
                // Entries the last checkpoint saw are gone: say so at once,
                // not only when someone next runs `audit verify`.
                tracing::error!(
                    library_id = library.0,
                    head = seq,
                    checkpoint = last.seq,
                    "the audit chain is shorter than its last checkpoint: entries were cut off; run custodian audit verify"
                );
            }
        }
        if let Some(s) = schedule {
            if let Some(last) = last {
                let young = now - last.at < s.max_age;
                if young && seq - last.seq < s.every {
                    return Ok(None);
                }
            }
        }
        let c = key.sign(library.0, seq, head, now);
        publish(&c).map_err(CustodyError::Internal)?;
        audit::record_checkpoint(tx, &c)?;
        Ok(Some(c))
    })
}

/// The checkpoints of `library` stored beside its chain, oldest first.
pub fn stored_checkpoints(store: &Store, library: LibraryId) -> CustodyResult<Vec<Checkpoint>> {
    Ok(store.read(library, audit::checkpoints)?)
}

/// Something wrong with a library's chain, as `custodian audit verify` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The chain itself is broken (a changed, removed or reordered entry).
    Broken(store::audit::Break),
    /// A checkpoint whose signature none of the keys made: forged or damaged.
    Forged {
        /// The head it claims.
        seq: i64,
        /// When it claims to have been made.
        at: NaiveDateTime,
    },
    /// A checkpoint naming a key none of the keys is: verify runs with other
    /// keys than the server (or the key was lost), or the name was changed.
    UnknownKey {
        /// The head it claims.
        seq: i64,
        /// When it claims to have been made.
        at: NaiveDateTime,
        /// The key it names.
        key_id: String,
    },
    /// The chain ends before the head a checkpoint saw: entries were cut off.
    Truncated {
        /// The chain's last entry now (0 when empty).
        last_seq: i64,
        /// The head the checkpoint signed.
        checkpoint_seq: i64,
        /// When that checkpoint was made.
        at: NaiveDateTime,
    },
    /// An entry is not the one a checkpoint signed, though the chain links up:
    /// the entries after `last_good` were written again.
    Rewritten {
        /// The checkpointed entry that differs.
        seq: i64,
        /// When that checkpoint was made.
        at: NaiveDateTime,
        /// The newest checkpointed entry before it that still matches.
        last_good: Option<i64>,
    },
}

/// The outcome of checking a library's chain and its checkpoints.
#[derive(Debug, Clone)]
pub struct AnchoredVerification {
    /// The chain's own check.
    pub chain: store::audit::Verification,
    /// The chain's last entry (0 when empty).
    pub head_seq: i64,
    /// Checkpoints whose signature checked out.
    pub signed: usize,
    /// The newest of them, by the head it saw.
    pub anchor: Option<Checkpoint>,
    /// What is wrong, in the order found; empty when all is well.
    pub findings: Vec<Finding>,
}

/// Re-computes `library`'s chain and checks it against `checkpoints` (from
/// the table or the operator's file; others' are ignored), each signature
/// against `keys`: names a forged checkpoint, entries cut off after one, and
/// a tail written again.
pub fn verify_anchored(
    store: &Store,
    library: LibraryId,
    checkpoints: &[Checkpoint],
    keys: &[CheckpointKey],
) -> CustodyResult<AnchoredVerification> {
    let mine = || checkpoints.iter().filter(|c| c.library_id == library.0);
    let mut findings = Vec::new();
    let mut valid: Vec<&Checkpoint> = Vec::new();
    for c in mine() {
        if keys.iter().any(|k| k.signed(c)) {
            valid.push(c);
        } else if keys.iter().any(|k| k.id() == c.key_id) {
            findings.push(Finding::Forged {
                seq: c.seq,
                at: c.at,
            });
        } else {
            findings.push(Finding::UnknownKey {
                seq: c.seq,
                at: c.at,
                key_id: c.key_id.clone(),
            });
        }
    }
    valid.sort_by_key(|c| (c.seq, c.at));
    Ok(store.read(library, |tx| {
        let chain = audit::verify(tx)?;
        if let Some(b) = &chain.first_break {
            findings.insert(0, Finding::Broken(b.clone()));
        }
        let head_seq = audit::head(tx)?.map_or(0, |(seq, _)| seq);
        let anchor = valid.last().map(|c| (*c).clone());
        if let Some(top) = &anchor {
            if top.seq > head_seq {
                findings.push(Finding::Truncated {
                    last_seq: head_seq,
                    checkpoint_seq: top.seq,
                    at: top.at,
                });
            }
        }
        let mut last_good = None;
        for c in valid.iter().filter(|c| c.seq <= head_seq) {
            let stored = match c.seq {
                0 => Some(audit::GENESIS.to_vec()),
                seq => audit::hash_at(tx, seq)?,
            };
            // A missing entry is the chain's own break, already named.
            let Some(stored) = stored else { continue };
            if stored == c.head_hash {
                last_good = Some(c.seq);
            } else {
                findings.push(Finding::Rewritten {
                    seq: c.seq,
                    at: c.at,
                    last_good,
                });
                break;
            }
        }
        Ok::<_, StoreError>(AnchoredVerification {
            chain,
            head_seq,
            signed: valid.len(),
            anchor,
            findings,
        })
    })?)
}
