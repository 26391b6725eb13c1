//! Retention as time passes: a library's own periods within its policy, and
//! the job that anonymizes or deletes what is past them.
//!
//! The job works per library and kind in batches. Each batch is one write
//! transaction in the library's scope that re-selects what is still due,
//! changes it, and appends a proof-of-deletion entry (kind, count, SHA-256 of
//! the sorted ids) to the library's audit chain; so a run killed anywhere
//! leaves every batch done or not done, and the next run finishes the rest
//! without counting anything twice.

use crate::actor::{Actor, StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{self, Entry, Ruling};
use crate::records::retention_now;
use crate::{Custody, Library};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use policy::records::RecordKind;
use policy::retention::{purge_window, PurgeAction, PurgeMethod, RetentionRule, Schedule};
use policy::staff::LibraryRole;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc;
use store::retention::{self as sql, StoredPeriod};
use store::LibraryTx;

/// How many consecutive record ids one batch covers.
pub const DEFAULT_BATCH: usize = 10_000;

/// How many batches run side by side on PostgreSQL unless set.
pub const DEFAULT_WORKERS: usize = 2;

/// The most batches that may run side by side (each holds a pooled connection).
pub const MAX_WORKERS: usize = 8;

/// The schedule in force for `library`: its policy document's, with the
/// library's own periods where it has set them (and they still fit the policy).
pub fn schedule_of(custody: &Custody, library: &Library) -> CustodyResult<Schedule> {
    let base = *custody.policy_of(library)?.1.schedule();
    let stored = custody.store().read(library.id, sql::periods)?;
    Ok(apply_stored(base, &stored))
}

fn apply_stored(base: Schedule, stored: &[StoredPeriod]) -> Schedule {
    let mut schedule = base;
    for p in stored {
        let (Ok(kind), Some(then), Ok(days)) = (
            p.kind.parse::<RecordKind>(),
            parse_then(&p.then),
            u32::try_from(p.keep_days),
        ) else {
            continue;
        };
        // A period the policy has since tightened past is ignored: the
        // policy's own limit applies until the admin sets it again.
        if let Ok(s) = schedule.narrowed(kind, RetentionRule::new(days, then)) {
            schedule = s;
        }
    }
    schedule
}

fn parse_then(raw: &str) -> Option<PurgeMethod> {
    match raw {
        "anonymize" => Some(PurgeMethod::Anonymize),
        "delete" => Some(PurgeMethod::Delete),
        _ => None,
    }
}

const fn then_str(m: PurgeMethod) -> &'static str {
    match m {
        PurgeMethod::Anonymize => "anonymize",
        PurgeMethod::Delete => "delete",
    }
}

/// One kind's period as the settings show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindPeriod {
    /// The record kind.
    pub kind: &'static str,
    /// Days the patron link lives after the record closes.
    pub days: u32,
    /// What then happens.
    pub then: PurgeMethod,
    /// Whether the library set this period itself (otherwise it is the policy's).
    pub own: bool,
    /// The longest the library's policy allows.
    pub max_days: u32,
    /// The least the policy allows to happen then (`delete` means only delete).
    pub at_least: PurgeMethod,
}

/// A library's retention periods, per kind.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RetentionSettings {
    /// One entry per kind, in the policy's order.
    pub kinds: Vec<KindPeriod>,
    /// Whether patrons may keep their checkout history (then kept until they turn it off).
    pub checkout_history_opt_in: bool,
    /// The last applied run's report for this library, if any.
    pub last_run: Option<LastRun>,
}

/// The last applied run in one library.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastRun {
    /// When it finished.
    #[serde(with = "store::time::rfc3339")]
    pub ran_at: NaiveDateTime,
    /// What it did.
    pub report: LibraryReport,
}

/// One kind's period as an admin sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodInput {
    /// Days after the record closes.
    pub days: i64,
    /// `anonymize` or `delete`.
    pub then: String,
}

/// The periods as an admin sends them; kinds not named take the policy's period.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kinds": {"circulation": {"days": 30, "then": "anonymize"}, "reference_requests": {"days": 7, "then": "delete"}}}))]
#[schema(as = RetentionSettingsInput)]
pub struct SettingsInput {
    /// Periods by kind name.
    #[serde(default)]
    pub kinds: BTreeMap<String, PeriodInput>,
}

fn only_admin(who: &StaffMember) -> CustodyResult<()> {
    if who.role != LibraryRole::Admin {
        return Err(CustodyError::Forbidden(
            "only the library's admin sets and reads its retention periods",
        ));
    }
    Ok(())
}

fn settings_in(
    base: Schedule,
    stored: &[StoredPeriod],
    last: Option<(NaiveDateTime, bool, String)>,
) -> RetentionSettings {
    let schedule = apply_stored(base, stored);
    let kinds = RecordKind::ALL
        .iter()
        .map(|&kind| {
            let rule = schedule.rule(kind);
            let limit = base.rule(kind);
            KindPeriod {
                kind: kind.as_str(),
                days: rule.keep_days,
                then: rule.then,
                own: stored.iter().any(|p| p.kind == kind.as_str()),
                max_days: limit.keep_days,
                at_least: limit.then,
            }
        })
        .collect();
    RetentionSettings {
        kinds,
        checkout_history_opt_in: schedule.checkout_history_opt_in(),
        last_run: last.and_then(|(ran_at, _, json)| {
            serde_json::from_str(&json)
                .ok()
                .map(|report| LastRun { ran_at, report })
        }),
    }
}

/// The library's retention periods; its admin reads them.
pub fn settings(custody: &Custody, who: &StaffMember) -> CustodyResult<RetentionSettings> {
    only_admin(who)?;
    let base = *custody.policy_of(&who.library)?.1.schedule();
    let (stored, last) = custody.store().read(who.library.id, |tx| {
        Ok::<_, CustodyError>((sql::periods(tx)?, sql::last_run(tx)?))
    })?;
    Ok(settings_in(base, &stored, last))
}

/// The name of a kind's `days` or `then` field, as a refusal names it
/// (`kinds.circulation.days`): one static name per kind and part.
pub fn field_name(kind: RecordKind, then: bool) -> &'static str {
    const NAMES: [[&str; 2]; RecordKind::COUNT] = [
        ["kinds.circulation.days", "kinds.circulation.then"],
        [
            "kinds.card_registration.days",
            "kinds.card_registration.then",
        ],
        [
            "kinds.holds_and_interlibrary_loans.days",
            "kinds.holds_and_interlibrary_loans.then",
        ],
        [
            "kinds.event_registration.days",
            "kinds.event_registration.then",
        ],
        [
            "kinds.reference_requests.days",
            "kinds.reference_requests.then",
        ],
        ["kinds.donations.days", "kinds.donations.then"],
        ["kinds.digital_use.days", "kinds.digital_use.then"],
        [
            "kinds.fines_and_payments.days",
            "kinds.fines_and_payments.then",
        ],
    ];
    NAMES[kind.index()][usize::from(then)]
}

/// A kind as a librarian reads it: `Holds and interlibrary loans`.
pub fn kind_label(kind: RecordKind) -> String {
    let words = kind.as_str().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// Checks an admin's periods against the library's policy: the first kind
/// refused, with the reason, or the periods to store (a period equal to the
/// policy's needs no row of its own).
pub fn check(base: &Schedule, input: &SettingsInput) -> CustodyResult<Vec<StoredPeriod>> {
    let mut out = Vec::new();
    for (name, p) in &input.kinds {
        let kind = crate::records::kind_param(name)?;
        let label = kind_label(kind);
        let days = u32::try_from(p.days).map_err(|_| CustodyError::Invalid {
            field: field_name(kind, false),
            detail: format!("{label}: enter a whole number of days, 0 or more"),
        })?;
        let then = parse_then(&p.then).ok_or_else(|| CustodyError::Invalid {
            field: field_name(kind, true),
            detail: format!("{label}: choose anonymize or delete"),
        })?;
        let rule = RetentionRule::new(days, then);
        base.narrowed(kind, rule)
            .map_err(|r| CustodyError::Invalid {
                field: field_name(kind, r.field == "then"),
                detail: format!("{label}: {}", r.reason),
            })?;
        if rule == base.rule(kind) {
            continue;
        }
        out.push(StoredPeriod {
            kind: kind.as_str().to_owned(),
            keep_days: i64::from(days),
            then: then_str(then).to_owned(),
        });
    }
    Ok(out)
}

/// The library's admin sets its retention periods; refused when a period
/// is longer, or keeps more, than its policy allows. The change is audited.
pub fn set_settings(
    custody: &Custody,
    who: &StaffMember,
    input: &SettingsInput,
) -> CustodyResult<RetentionSettings> {
    only_admin(who)?;
    let base = *custody.policy_of(&who.library)?.1.schedule();
    let periods = check(&base, input)?;
    let actor = who.actor();
    let now = Utc::now().naive_utc();
    custody
        .store()
        .write(who.library.id, |tx| {
            sql::set_periods(tx, &periods, now)?;
            let summary: Vec<String> = periods
                .iter()
                .map(|p| format!("{} {} days then {}", p.kind, p.keep_days, p.then))
                .collect();
            let purpose = if summary.is_empty() {
                "retention periods reset to the policy's".to_owned()
            } else {
                format!("retention periods set: {}", summary.join("; "))
            };
            gate::record(
                tx,
                &Entry {
                    actor: &actor,
                    action: "retention.settings",
                    subject: &Subject::Nobody,
                    purpose: &purpose,
                    ruling: Ruling::allow_by(policy::clause::Clause::ShortestTimePossible),
                },
                now,
            )?;
            Ok::<_, CustodyError>(sql::last_run(tx)?)
        })
        .map(|last| settings_in(base, &periods, last))
}

/// What one run did (or, dry, would do) to one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RetentionKindCounts)]
pub struct KindCounts {
    /// Records whose patron link and identifying details were dropped.
    pub anonymized: u64,
    /// Records deleted.
    pub deleted: u64,
}

/// What one run did in one library.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RetentionLibraryReport)]
pub struct LibraryReport {
    /// Per record kind.
    pub kinds: BTreeMap<String, KindCounts>,
    /// Copies derived from records that were removed (sessions, links, mail), per place.
    #[serde(default)]
    pub copies: BTreeMap<String, u64>,
}

/// What a run did, per library slug.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RetentionReport)]
pub struct Report {
    /// Whether nothing was changed (counts only).
    pub dry_run: bool,
    /// Per library slug.
    pub libraries: BTreeMap<String, LibraryReport>,
    /// Copies kept consortium-wide that were removed (staff sessions), per place.
    #[serde(default)]
    pub consortium: BTreeMap<String, u64>,
}

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Change records; without it the run only counts.
    pub apply: bool,
    /// Only this library (its slug).
    pub library: Option<String>,
    /// Consecutive record ids per batch (one transaction and one proof of deletion each).
    pub batch: usize,
    /// Batches side by side on PostgreSQL (SQLite always runs one at a time).
    pub workers: usize,
    /// The day the run counts from (today in UTC, unless a test says otherwise).
    pub today: NaiveDate,
}

impl RunOptions {
    /// A dry run over every library, today.
    pub fn dry() -> Self {
        RunOptions {
            apply: false,
            library: None,
            batch: DEFAULT_BATCH,
            workers: DEFAULT_WORKERS,
            today: Utc::now().date_naive(),
        }
    }
}

/// One finished batch, for a progress line.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// The library's slug.
    pub library: &'a str,
    /// The kind or place.
    pub kind: &'a str,
    /// How many were changed (or found, dry) in this batch.
    pub count: u64,
    /// How many so far for this library and kind.
    pub total: u64,
}

/// Runs retention: per library and kind, finds the linked records past their
/// period (a record whose period ends today is due today) and, with
/// `apply`, anonymizes or deletes them batch by batch.
fn run(
    custody: &Custody,
    opts: &RunOptions,
    lease: Option<&Lease>,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> CustodyResult<Report> {
    let libraries = match &opts.library {
        Some(slug) => vec![crate::libraries::by_slug(custody.store(), slug)?],
        None => crate::libraries::all(custody.store())?,
    };
    let mut report = Report {
        dry_run: !opts.apply,
        libraries: BTreeMap::new(),
        consortium: BTreeMap::new(),
    };
    if opts.library.is_none() {
        let now = Utc::now().naive_utc();
        let n = custody.store().consortium(store::Access::Write, |c| {
            sql::staff_sessions_ended(c, now, opts.apply)
        })?;
        report.consortium.insert("staff_sessions".into(), n as u64);
    }
    for library in libraries {
        let lib_report = run_library(custody, &library, opts, lease, progress)?;
        if opts.apply {
            let json = serde_json::to_string(&lib_report)
                .map_err(|e| CustodyError::Internal(e.to_string()))?;
            let now = Utc::now().naive_utc();
            custody
                .store()
                .write(library.id, |tx| sql::set_last_run(tx, now, false, &json))?;
        }
        report.libraries.insert(library.slug.clone(), lib_report);
    }
    Ok(report)
}

fn run_library(
    custody: &Custody,
    library: &Library,
    opts: &RunOptions,
    lease: Option<&Lease>,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> CustodyResult<LibraryReport> {
    let schedule = schedule_of(custody, library)?;
    let mut out = LibraryReport::default();
    let batch = opts.batch.max(1);
    for kind in RecordKind::ALL {
        let rule = schedule.rule(kind);
        let mut counts = KindCounts::default();
        let Some(window) = purge_window(&schedule, kind, opts.today) else {
            continue;
        };
        let Some(before) = window.before.and_hms_opt(0, 0, 0) else {
            continue;
        };
        let due = sql::DueWindow {
            kind: kind.as_str(),
            before,
            spare_history_keepers: window.spare_history_keepers,
        };
        let width = i64::try_from(batch).unwrap_or(i64::MAX);
        let last = custody.store().read(library.id, sql::last_linked)?;
        let one = |after: i64, upto: i64| -> CustodyResult<u64> {
            // Each batch is one transaction with its proof of deletion, so a
            // run killed between batches leaves whole batches done and the
            // next run finds only what is still due.
            let ids = if opts.apply {
                custody.store().write(library.id, |tx| {
                    let now = Utc::now().naive_utc();
                    let ids = sql::purge_due(
                        tx,
                        &due,
                        window.then == PurgeMethod::Delete,
                        after,
                        upto,
                        now,
                    )?;
                    if !ids.is_empty() {
                        prove(tx, &schedule, kind, &ids, now)?;
                    }
                    Ok::<_, CustodyError>(ids)
                })?
            } else {
                custody
                    .store()
                    .read(library.id, |tx| sql::due(tx, &due, after, upto))?
            };
            Ok(ids.len() as u64)
        };
        let mut tally = |n: u64| -> CustodyResult<()> {
            if let Some(l) = lease {
                l.renew()?;
            }
            match rule.then {
                PurgeMethod::Anonymize => counts.anonymized += n,
                PurgeMethod::Delete => counts.deleted += n,
            }
            if n > 0 {
                progress(&Progress {
                    library: &library.slug,
                    kind: kind.as_str(),
                    count: n,
                    total: counts.anonymized + counts.deleted,
                });
            }
            Ok(())
        };
        in_batches(workers_for(custody, opts), width, last, &one, &mut tally)?;
        out.kinds.insert(kind.as_str().to_owned(), counts);
    }
    out.copies = copies(custody, library, opts.apply)?;
    Ok(out)
}

/// How many batches run at once: one on SQLite (a single writer), else the
/// setting. On PostgreSQL each batch's DELETE is CPU-bound in its own server
/// process, so batches side by side use the machine's other cores.
fn workers_for(custody: &Custody, opts: &RunOptions) -> usize {
    match custody.store().backend() {
        store::Backend::Sqlite => 1,
        store::Backend::Postgres => opts.workers.clamp(1, MAX_WORKERS),
    }
}

/// Runs `one` over the id ranges `(k*width, (k+1)*width]` up to `last` on
/// `workers` threads, handing each count to `tally` on this thread in the
/// order they finish. The first error stops the hand-out of new ranges;
/// ranges already running finish (each is its own transaction), so nothing
/// is half done.
fn in_batches(
    workers: usize,
    width: i64,
    last: i64,
    one: &(dyn Fn(i64, i64) -> CustodyResult<u64> + Sync),
    tally: &mut dyn FnMut(u64) -> CustodyResult<()>,
) -> CustodyResult<()> {
    let range = |k: i64| -> Option<(i64, i64)> {
        let after = k.checked_mul(width)?;
        (after < last).then(|| (after, after.saturating_add(width)))
    };
    if workers <= 1 {
        let mut k = 0;
        while let Some((after, upto)) = range(k) {
            tally(one(after, upto)?)?;
            k += 1;
        }
        return Ok(());
    }
    let next = AtomicI64::new(0);
    let stop = AtomicBool::new(false);
    let (send, done) = mpsc::channel::<CustodyResult<u64>>();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let send = send.clone();
            let (next, stop, range) = (&next, &stop, &range);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some((after, upto)) = range(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let r = one(after, upto);
                    let failed = r.is_err();
                    if send.send(r).is_err() || failed {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
        drop(send);
        let mut first_error = None;
        for r in done {
            let r = r.and_then(&mut *tally);
            if let Err(e) = r {
                stop.store(true, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    })
}

/// How long a closed mail request keeps its message (disputes, a follow-up).
pub const MAIL_REQUEST_DAYS: i64 = 90;

/// How long a done deletion request stays in its library's queue (for a
/// question about it) before it goes with its history.
pub const DONE_DELETION_DAYS: i64 = 30;

/// How long a dead letter's sealed message is kept for the director to retry it.
pub const DEAD_LETTER_DAYS: i64 = 30;

/// The copies derived from records and patrons that have outlived their
/// use: ended patron sessions, expired email confirmation links (with the
/// unconfirmed address), dead letters' sealed messages after
/// [`DEAD_LETTER_DAYS`], closed mail requests' messages after [`MAIL_REQUEST_DAYS`],
/// done deletion requests after [`DONE_DELETION_DAYS`]. One transaction, with one audit entry when anything went.
fn copies(
    custody: &Custody,
    library: &Library,
    apply: bool,
) -> CustodyResult<BTreeMap<String, u64>> {
    let now = Utc::now().naive_utc();
    let step = |tx: &mut LibraryTx<'_>| -> CustodyResult<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        let sessions = sql::patron_sessions_ended(tx, now, apply)?;
        let links = sql::email_links_expired(tx, now, apply)?;
        let letters =
            sql::dead_letters_expired(tx, now - chrono::Duration::days(DEAD_LETTER_DAYS), apply)?;
        let requests = store::requests::remove_closed_content(
            tx,
            custody.keys(),
            now - chrono::Duration::days(MAIL_REQUEST_DAYS),
            now,
            apply,
        )?;
        let deletions = store::requests::remove_done_deletions(
            tx,
            now - chrono::Duration::days(DONE_DELETION_DAYS),
            apply,
        )?;
        out.insert("closed_mail_requests".to_owned(), requests as u64);
        out.insert("done_deletion_requests".to_owned(), deletions as u64);
        out.insert("patron_sessions".to_owned(), sessions as u64);
        out.insert("email_confirmation_links".to_owned(), links as u64);
        out.insert("dead_letters".to_owned(), letters as u64);
        if apply && sessions + links + letters + requests + deletions > 0 {
            let purpose = format!(
                "retention: {sessions} ended patron session(s), {links} expired email confirmation link(s), {letters} dead letter(s), the messages of {requests} closed mail request(s), {deletions} done deletion request(s) removed"
            );
            gate::record(
                tx,
                &Entry {
                    actor: &Actor::System("retention"),
                    action: "retention.copies",
                    subject: &Subject::Nobody,
                    purpose: &purpose,
                    ruling: Ruling::allow_by(policy::clause::Clause::ShortestTimePossible),
                },
                now,
            )?;
        }
        Ok(out)
    };
    if apply {
        custody.store().write(library.id, step)
    } else {
        custody.store().read(library.id, step)
    }
}

/// The digest a proof-of-deletion entry carries: SHA-256 over the ids in
/// ascending order, each in decimal followed by a newline.
pub fn ids_digest(ids: &[i64]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let mut text = String::with_capacity(sorted.len() * 12);
    for id in sorted {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{id}");
    }
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The proof-of-deletion entry of one batch: kind, count and a digest of the ids.
fn prove(
    tx: &mut LibraryTx<'_>,
    schedule: &Schedule,
    kind: RecordKind,
    ids: &[i64],
    now: NaiveDateTime,
) -> CustodyResult<()> {
    let (action, done) = match schedule.rule(kind).then {
        PurgeMethod::Anonymize => ("retention.anonymize", "anonymized"),
        PurgeMethod::Delete => ("retention.delete", "deleted"),
    };
    let clause = match retention_clause(schedule, kind) {
        PurgeAction::Anonymize { clause } | PurgeAction::Delete { clause } => clause,
        other => other.clause(),
    };
    let purpose = format!(
        "proof of deletion: {} {} record(s) {done}; sha256 of their sorted ids {}",
        ids.len(),
        kind.as_str(),
        ids_digest(ids)
    );
    gate::record(
        tx,
        &Entry {
            actor: &Actor::System("retention"),
            action,
            subject: &Subject::Nobody,
            purpose: &purpose,
            ruling: Ruling::allow_by(clause),
        },
        now,
    )?;
    Ok(())
}

/// The clause behind purging a kind (that of a record closed long ago, without a charge).
fn retention_clause(schedule: &Schedule, kind: RecordKind) -> PurgeAction {
    let long_ago = NaiveDate::MIN;
    retention_now(
        schedule,
        Some(kind),
        true,
        long_ago.and_hms_opt(0, 0, 0),
        None,
        None,
        false,
        NaiveDate::MAX,
    )
}

/// The job name the lease is held under.
const JOB: &str = "retention";

/// How long a lease lives without renewal; each batch renews it.
const LEASE_SECS: i64 = 300;

/// This process's name as a lease holder: host, process id, and a nonce.
fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    format!(
        "{host}/{}/{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// Whether `holder` names a process of this host that has exited, so its
/// lease need not be waited out (a run killed with -9 leaves one behind).
fn holder_is_gone(holder: &str) -> bool {
    let mut parts = holder.split('/');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let here = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    !here.is_empty()
        && host == here
        && pid.parse::<u32>().is_ok()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The right to run retention, held by one process at a time across
/// processes; renewed as the run goes, given up when dropped.
pub struct Lease {
    custody: Custody,
    holder: String,
}

impl Lease {
    /// Takes the lease, or `None` while another live runner holds it.
    pub fn take(custody: &Custody) -> CustodyResult<Option<Lease>> {
        let me = holder();
        let now = Utc::now().naive_utc();
        let until = now + chrono::Duration::seconds(LEASE_SECS);
        let taken = custody.store().consortium(store::Access::Write, |c| {
            let gone = sql::lease(c, JOB)?
                .map(|(h, _)| h)
                .filter(|h| holder_is_gone(h));
            sql::take_lease(c, JOB, &me, gone.as_deref(), now, until)
        })?;
        Ok(taken.then(|| Lease {
            custody: custody.clone(),
            holder: me,
        }))
    }

    /// Extends the lease; an error when another runner has taken it meanwhile.
    fn renew(&self) -> CustodyResult<()> {
        let now = Utc::now().naive_utc();
        let until = now + chrono::Duration::seconds(LEASE_SECS);
        let kept = self.custody.store().consortium(store::Access::Write, |c| {
            sql::take_lease(c, JOB, &self.holder, None, now, until)
        })?;
        if kept {
            Ok(())
        } else {
            Err(CustodyError::Conflict(
                "another retention run took over; this one stopped after its last batch".into(),
            ))
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let gave_up = self.custody.store().consortium(store::Access::Write, |c| {
            sql::release_lease(c, JOB, &self.holder)
        });
        if let Err(e) = gave_up {
            tracing::warn!(error = %e, "the retention lease could not be given up; it expires by itself");
        }
    }
}

/// Why a run did not start.
pub const BUSY: &str =
    "another retention run is under way; nothing was done. Try again when it has finished";

/// Runs with the lease when applying (one runner at a time); a dry run needs none.
pub fn run_exclusive(
    custody: &Custody,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> CustodyResult<Report> {
    if !opts.apply {
        return run(custody, opts, None, progress);
    }
    let Some(lease) = Lease::take(custody)? else {
        return Err(CustodyError::Conflict(BUSY.into()));
    };
    run(custody, opts, Some(&lease), progress)
}

/// What a run would do (or, with `apply`, does) in the admin's own library.
pub fn run_for_library(
    custody: &Custody,
    who: &StaffMember,
    apply: bool,
) -> CustodyResult<LibraryReport> {
    only_admin(who)?;
    let opts = RunOptions {
        apply,
        library: Some(who.library.slug.clone()),
        ..RunOptions::dry()
    };
    let mut report = run_exclusive(custody, &opts, &mut |_| {})?;
    Ok(report
        .libraries
        .remove(&who.library.slug)
        .unwrap_or_default())
}

/// Whether a daily run is due: some library has had no applied run in the last day.
pub fn daily_run_due(custody: &Custody) -> CustodyResult<bool> {
    let since = Utc::now().naive_utc() - chrono::Duration::hours(24);
    for library in crate::libraries::all(custody.store())? {
        let last = custody.store().read(library.id, sql::last_run)?;
        if last.is_none_or(|(at, _, _)| at < since) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_of_the_sorted_ids_one_a_line() {
        let mut h = Sha256::new();
        h.update(b"2\n5\n11\n");
        assert_eq!(ids_digest(&[11, 2, 5]), hex::encode(h.finalize()));
    }

    #[test]
    fn field_names_follow_the_kind_order() {
        for kind in RecordKind::ALL {
            assert_eq!(
                field_name(kind, false),
                format!("kinds.{}.days", kind.as_str())
            );
            assert_eq!(
                field_name(kind, true),
                format!("kinds.{}.then", kind.as_str())
            );
        }
        assert_eq!(
            kind_label(RecordKind::HoldsAndInterlibraryLoans),
            "Holds and interlibrary loans"
        );
    }

    fn ranges_seen(workers: usize, width: i64, last: i64) -> Vec<(i64, i64)> {
        let seen = std::sync::Mutex::new(Vec::new());
        let mut total = 0;
        in_batches(
            workers,
            width,
            last,
            &|a, b| {
                seen.lock()
                    .map_err(|_| CustodyError::Internal("poisoned".into()))?
                    .push((a, b));
                Ok(1)
            },
            &mut |n| {
                total += n;
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut seen = seen.into_inner().unwrap_or_else(|e| e.into_inner());
        seen.sort_unstable();
        assert_eq!(total, seen.len() as u64);
        seen
    }

    #[test]
    fn every_range_runs_once_whatever_the_number_of_workers() {
        let want: Vec<(i64, i64)> = (0..10).map(|k| (k * 7, k * 7 + 7)).collect();
        for workers in [1, 2, 3, 8] {
            assert_eq!(ranges_seen(workers, 7, 64), want, "{workers} workers");
        }
        assert!(ranges_seen(2, 7, 0).is_empty());
    }

    #[test]
    fn an_error_stops_the_hand_out_and_is_returned() {
        for workers in [1, 2, 4] {
            let ran = AtomicI64::new(0);
            let got = in_batches(
                workers,
                1,
                1_000,
                &|a, _| {
                    ran.fetch_add(1, Ordering::SeqCst);
                    if a == 3 {
                        Err(CustodyError::Internal("batch 3 failed".into()))
                    } else {
                        Ok(0)
                    }
                },
                &mut |_| Ok(()),
            );
            assert!(matches!(got, Err(CustodyError::Internal(m)) if m == "batch 3 failed"));
            assert!(
                ran.load(Ordering::SeqCst) < 1_000,
                "{workers} workers ran on"
            );
        }
    }
}
