//! A library's records, for its staff: the feed that brings them in, the
//! updates that follow (a return, a fine, its settlement), and the reads.
//!
//! Every read states a purpose and passes the gate; the feed and its updates
//! pass it too, under a purpose custodian states. Whatever the retention
//! schedule says is due for a record is done the moment it arrives or changes.

use crate::actor::{StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::values::Purpose;
use crate::Custody;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use policy::clause::Clause;
use policy::records::{FieldSet, KindSet, RecordKind};
use policy::retention::{purge_action, Charge, PurgeAction, RecordFacts, Schedule};
use serde::{Deserialize, Serialize};
use store::{patrons, records, StoreError};

pub use store::{PatronId, RecordId};

pub use store::records::{NewRecord, Record, RecordUpdate};

/// The most records one feed may carry.
pub const FEED_LIMIT: usize = 10_000;

/// The kind a caller named, or why it is not one.
pub fn parse_kind(raw: &str) -> Result<RecordKind, String> {
    raw.parse::<RecordKind>().map_err(|_| {
        let known: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "unknown record kind {raw:?}; expected one of {}",
            known.join(", ")
        )
    })
}

/// The `kind` parameter of a list, checked.
pub fn kind_param(raw: &str) -> CustodyResult<RecordKind> {
    parse_kind(raw).map_err(|detail| CustodyError::Invalid {
        field: "kind",
        detail,
    })
}

/// A line of a feed: a record, naming its patron by id or by card number.
// Read through a map: serde's `flatten` would pass fields NewRecord does not
// know silently, so a misspelt field (`patronid`) would be dropped, not refused.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
#[schema(example = json!({"kind": "circulation", "source": "ils", "external_id": "loan-902", "occurred_at": "2026-02-01T10:00:00Z", "item": "Item 31234", "branch": "Main", "status": "out", "card_number": "29000100000055"}))]
pub struct FeedLine {
    /// The record.
    #[serde(flatten)]
    pub record: NewRecord,
    /// The patron's card number, when the feed knows the card and not the id.
    pub card_number: Option<String>,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for FeedLine {
    type Error = String;

    fn try_from(mut map: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let card_number = match map.remove("card_number") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(_) => return Err("card_number must be a string, the number on the card".into()),
        };
        // NewRecord refuses unknown fields itself, naming them.
        let record =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())?;
        Ok(FeedLine {
            record,
            card_number,
        })
    }
}

/// Feed lines whose kinds are checked, each with its 1-based line number.
pub struct Feed {
    lines: Vec<(usize, FeedLine)>,
}

impl Feed {
    /// Reads JSON lines (blank lines skipped); the first bad line is reported by number.
    pub fn parse(body: &[u8]) -> CustodyResult<Self> {
        let text = std::str::from_utf8(body).map_err(|e| CustodyError::FeedLine {
            line: 1 + body[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            detail: "not UTF-8 text".into(),
        })?;
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            if lines.len() == FEED_LIMIT {
                return Err(CustodyError::FeedLine {
                    line: i + 1,
                    detail: format!("a request carries at most {FEED_LIMIT} records; send the rest in another request"),
                });
            }
            let parsed: FeedLine =
                serde_json::from_str(raw).map_err(|e| CustodyError::FeedLine {
                    line: i + 1,
                    detail: format!("not a record: {e}"),
                })?;
            parse_kind(&parsed.record.kind).map_err(|detail| CustodyError::FeedLine {
                line: i + 1,
                detail,
            })?;
            lines.push((i + 1, parsed));
        }
        if lines.is_empty() {
            return Err(CustodyError::Invalid {
                field: "body",
                detail: "the feed is empty: send one JSON record per line".into(),
            });
        }
        Ok(Feed { lines })
    }

    /// A single record sent on its own; a wrong kind is a wrong `kind` field.
    pub fn one(line: FeedLine) -> CustodyResult<Self> {
        kind_param(&line.record.kind)?;
        Ok(Feed {
            lines: vec![(1, line)],
        })
    }

    /// How many records it carries.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether it carries none.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// What a feed stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// The new records' ids, in feed order.
    pub ids: Vec<i64>,
    /// Records stored without their patron link, retention being due at once.
    pub unlinked: usize,
    /// Records not stored at all, retention being due at once.
    pub deleted: usize,
}

/// What the retention schedule says about a record right now.
#[allow(clippy::too_many_arguments)]
pub(crate) fn retention_now(
    schedule: &Schedule,
    kind: Option<RecordKind>,
    linked: bool,
    ended_at: Option<NaiveDateTime>,
    amount: Option<i64>,
    settled: Option<NaiveDateTime>,
    opted_in: bool,
    today: NaiveDate,
) -> PurgeAction {
    // Feeds are checked, so a stored kind is always known; if one is not,
    // keeping the record is the safe answer.
    let Some(kind) = kind else {
        return PurgeAction::Nothing {
            clause: Clause::AggregatesNotRecords,
        };
    };
    let charge = match (amount, settled) {
        (Some(a), None) if a > 0 => Charge::Outstanding,
        (Some(_), Some(s)) => Charge::SettledOn(s.date()),
        _ => Charge::None,
    };
    let facts = RecordFacts {
        kind,
        linked,
        closed_on: ended_at.map(|e| e.date()),
        history_opt_in: opted_in,
        charge,
    };
    purge_action(schedule, &facts, today)
}

impl Custody {
    fn schedule(&self, who: &StaffMember) -> CustodyResult<Schedule> {
        crate::retention::schedule_of(self, &who.library)
    }
}

/// Stores a feed, all or nothing: patrons named by card are looked up, every
/// patron must be the library's, and what retention says is due now is done
/// before anything is stored.
pub fn ingest(custody: &Custody, who: &StaffMember, feed: Feed) -> CustodyResult<Ingested> {
    let schedule = custody.schedule(who)?;
    let n = feed.lines.len();
    let purpose = Purpose::stated_by_custodian(format!("feed of {n} record(s)"));
    let today = Utc::now().date_naive();
    let arriving: Vec<&'static str> = feed
        .lines
        .iter()
        .filter_map(|(_, l)| policy::statistics::record_series(&l.record.kind, &l.record.status))
        .collect();
    let ingested = custody.staff_decided(
        who,
        "records.feed",
        &Subject::Nobody,
        &purpose,
        KindSet::all(),
        FieldSet::all(),
        |tx, keys| {
            let mut batch = Vec::with_capacity(n);
            let mut wanted = Vec::new();
            for (line, l) in &feed.lines {
                let mut record = l.record.clone();
                if let Some(card) = &l.card_number {
                    match patrons::by_card(tx, keys, card) {
                        Ok(p) => record.patron_id = Some(p),
                        Err(StoreError::NotFound) => {
                            return Err(CustodyError::FeedLine {
                                line: *line,
                                detail: "no patron of this library holds that card number".into(),
                            })
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                if let Some(p) = record.patron_id {
                    wanted.push((*line, p));
                }
                batch.push(record);
            }
            let ids: Vec<PatronId> = wanted.iter().map(|(_, p)| *p).collect();
            let known = records::existing_patrons(tx, &ids)?;
            if let Some((line, _)) = wanted.iter().find(|(_, p)| !known.contains(p)) {
                return Err(CustodyError::FeedLine {
                    line: *line,
                    detail: "no patron of this library has that patron_id".into(),
                });
            }
            // A loan that arrives already returned is unlinked on arrival
            // unless its patron keeps a history.
            let opted_in = records::history_opt_ins(tx, &ids)?;
            let (mut unlinked, mut deleted) = (0usize, 0usize);
            let mut kept = Vec::with_capacity(batch.len());
            for mut r in batch {
                if let Some(p) = r.patron_id {
                    let action = retention_now(
                        &schedule,
                        r.kind.parse().ok(),
                        true,
                        r.ended_at,
                        r.amount_cents,
                        r.settled_at,
                        opted_in.contains(&p),
                        today,
                    );
                    match action {
                        PurgeAction::Anonymize { .. } => {
                            r.patron_id = None;
                            unlinked += 1;
                        }
                        PurgeAction::Delete { .. } => {
                            deleted += 1;
                            continue;
                        }
                        _ => {}
                    }
                }
                kept.push(r);
            }
            let ids = records::ingest(tx, keys, &kept, Utc::now().naive_utc()).map_err(|e| match e {
                StoreError::Conflict(_) => CustodyError::Conflict("a record with the same source and external_id is already stored; send only new records".into()),
                other => other.into(),
            })?;
            Ok(Ingested {
                ids,
                unlinked,
                deleted,
            })
        },
    )?;
    // Counted once the feed is stored: checkouts, renewals and holds, as counts only.
    for series in arriving {
        custody.counters().add(who.library.id, series);
    }
    Ok(ingested)
}

/// A record after a feed's update, and what retention did about it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Updated {
    /// The record as it is now; `None` when retention deleted it.
    pub record: Option<Record>,
    /// What the retention schedule said: `action` (`nothing`, `keep`, `anonymize`, `delete`, …) and its `clause`.
    #[schema(value_type = Object)]
    pub retention: PurgeAction,
}

/// Applies a feed's update to a record (a return, a fine, its settlement);
/// retention then does at once what is due.
pub fn update(
    custody: &Custody,
    who: &StaffMember,
    id: RecordId,
    change: &RecordUpdate,
) -> CustodyResult<Updated> {
    let schedule = custody.schedule(who)?;
    custody.staff_decided(
        who,
        "records.update",
        &Subject::Record(id),
        &Purpose::stated_by_custodian("feed update"),
        KindSet::all(),
        FieldSet::all(),
        |tx, keys| {
            let r = records::update(tx, keys, id.0, change, Utc::now().naive_utc())?;
            let opted_in = match r.patron_id {
                Some(p) => records::history_opt_ins(tx, &[p])?.contains(&p),
                None => false,
            };
            let action = retention_now(
                &schedule,
                r.record_kind(),
                r.patron_id.is_some(),
                r.ended_at,
                r.amount_cents,
                r.settled_at,
                opted_in,
                Utc::now().date_naive(),
            );
            let record = match action {
                PurgeAction::Anonymize { .. } => {
                    records::unlink(tx, &[id.0])?;
                    Some(records::get(tx, keys, id.0)?)
                }
                PurgeAction::Delete { .. } => {
                    records::delete(tx, &[id.0])?;
                    None
                }
                _ => Some(records::get(tx, keys, id.0)?),
            };
            Ok(Updated {
                record,
                retention: action,
            })
        },
    )
}

/// One patron's records, newest first, before record `before`, for a stated purpose.
pub fn of_patron(
    custody: &Custody,
    who: &StaffMember,
    patron: PatronId,
    purpose: &Purpose,
    before: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<Record>> {
    custody.staff_decided(
        who,
        "patron.records",
        &Subject::Patron(patron),
        purpose,
        KindSet::all(),
        FieldSet::all(),
        |tx, keys| {
            // The patron must be this library's, or the answer is 404, not an empty list.
            patrons::get(tx, keys, patron)?;
            Ok(records::for_patron(tx, keys, patron, before, limit)?)
        },
    )
}

/// The library's records by id, after record `after`, optionally of one kind, for a stated purpose.
pub fn list(
    custody: &Custody,
    who: &StaffMember,
    kind: Option<RecordKind>,
    purpose: &Purpose,
    after: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<Record>> {
    custody.staff_decided(
        who,
        "records.list",
        &Subject::Nobody,
        purpose,
        KindSet::all(),
        FieldSet::all(),
        |tx, keys| Ok(records::list(tx, keys, kind, after, limit)?),
    )
}
