//! The notices a vendor contract causes (#14): the library's admins are told
//! when a contract ends within [`SOON_DAYS`] days and when it has ended, and a
//! vendor is told when a patron whose identity it was given is deleted.
//!
//! Contract notices go out once each: the mark (`notified_soon_at`,
//! `notified_ended_at`) is set by a conditional update in the transaction
//! that queues the email and writes the audit entry, so two runs at once (the
//! server's hourly pass and `custodian mail work`'s) send one notice. A
//! contract runs through its `contract_ends` day, as [`crate::vendors`] checks
//! keys: it has ended when `contract_ends` is before today.
//!
//! Which vendors get an erasure notice: those under contract today whose
//! grant includes `name` or `email`, and which have an `erasure_contact`.
//! Every vendor holds the card numbers it checked, but a card number alone
//! stops validating the moment the patron is deleted; a vendor that was also
//! told who the card belongs to may keep that in its own accounts, and is
//! asked to erase it. The notice is queued in the deletion's transaction, so
//! a deletion that fails sends nothing; an erasure contact that is not an
//! email address does not stop the deletion (the chain records
//! `vendor.notice.erasure_undeliverable`).

use crate::actor::{Actor, StaffMember, Subject};
use crate::error::CustodyResult;
use crate::gate::{Entry, Ruling};
use crate::Custody;
use chrono::{NaiveDate, Utc};
use policy::clause::Clause;
use policy::staff::LibraryRole;
use store::libraries::Library;
use store::vendor_notices as sql;
use store::vendors::Vendor;
use store::LibraryTx;

/// How many days before a contract's last day its admins are told.
pub const SOON_DAYS: i64 = 30;

/// The granted fields that tell a vendor who a card belongs to.
pub const IDENTIFYING: [&str; 2] = ["name", "email"];

/// Which contract notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractNoticeKind {
    /// The contract ends within [`SOON_DAYS`] days.
    EndsSoon,
    /// The contract has ended.
    Ended,
}

/// What a contract notice to a library's admin says.
#[derive(Debug, Clone)]
pub struct ContractNotice {
    /// Which notice.
    pub kind: ContractNoticeKind,
    /// The library's name.
    pub library: String,
    /// The library's slug (for the public list's address).
    pub library_slug: String,
    /// The vendor's name.
    pub vendor: String,
    /// What it provides.
    pub service: String,
    /// The contract's first day (YYYY-MM-DD).
    pub contract_starts: String,
    /// The contract's last day (YYYY-MM-DD).
    pub contract_ends: String,
    /// Days from today to the last day (0 on the last day; negative once ended).
    pub days_left: i64,
}

impl ContractNotice {
    /// Whether the contract has ended (templates branch on it).
    pub fn ended(&self) -> bool {
        self.kind == ContractNoticeKind::Ended
    }
}

/// What an erasure notice to a vendor says. Holds a card number: it goes in
/// the email's body and nowhere else (no log line, no error).
#[derive(Clone)]
pub struct ErasureNotice {
    /// The library's name.
    pub library: String,
    /// The vendor's name.
    pub vendor: String,
    /// What it provides.
    pub service: String,
    /// The deleted patron's card number.
    pub card_number: String,
    /// The identifying fields the contract granted, in words (`name`, `email address`).
    pub identifying: Vec<String>,
    /// The day of the deletion (YYYY-MM-DD).
    pub deleted_on: String,
}

impl std::fmt::Debug for ErasureNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The card number stays out of anything a Debug might reach (a log, a panic).
        f.debug_struct("ErasureNotice")
            .field("library", &self.library)
            .field("vendor", &self.vendor)
            .field("card_number", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Queues vendor notices through the outbox, inside the caller's transaction.
///
/// custody cannot depend on notifier (notifier depends on custody), so the
/// mail is rendered and queued by an implementation the application hands to
/// [`Custody::with_vendor_notifier`], as with [`crate::legal::ReleaseNotifier`].
pub trait VendorNotifier: Send + Sync {
    /// Renders a contract notice and queues it to the admin at `to`, inside `tx`.
    fn queue_contract_notice(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        notice: &ContractNotice,
    ) -> CustodyResult<()>;

    /// Renders an erasure notice and queues it to the vendor's `to`, inside
    /// `tx`; `false` when `to` cannot receive mail (nothing was queued).
    fn queue_erasure_notice(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        notice: &ErasureNotice,
    ) -> CustodyResult<bool>;
}

/// One contract notice sent, as the CLI prints it (no addresses).
#[derive(Debug, Clone)]
pub struct SentNotice {
    /// The library's slug.
    pub library: String,
    /// The vendor's id.
    pub vendor_id: i64,
    /// The vendor's name.
    pub vendor: String,
    /// Which notice.
    pub kind: ContractNoticeKind,
    /// The contract's last day.
    pub contract_ends: String,
    /// How many admins it was sent to.
    pub admins: usize,
}

/// What one pass of [`notify_contracts`] did.
#[derive(Debug, Clone, Default)]
pub struct NoticeReport {
    /// The notices sent, in library then vendor order.
    pub sent: Vec<SentNotice>,
    /// Contracts due a notice that wait because their library has no admin to tell.
    pub waiting_for_admin: usize,
}

impl NoticeReport {
    /// How many "ends soon" notices went out.
    pub fn ends_soon(&self) -> usize {
        self.count(ContractNoticeKind::EndsSoon)
    }

    /// How many "ended" notices went out.
    pub fn ended(&self) -> usize {
        self.count(ContractNoticeKind::Ended)
    }

    /// How many emails were queued in all.
    pub fn emails(&self) -> usize {
        self.sent.iter().map(|s| s.admins).sum()
    }

    fn count(&self, kind: ContractNoticeKind) -> usize {
        self.sent.iter().filter(|s| s.kind == kind).count()
    }
}

// The notices are custodian's own work on the library's contracts, recorded
// under the clause contracts are administered by.
const NOTICE_RULING: Ruling = Ruling::allow_by(Clause::VendorContract);

fn date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

// The same rule as the key check: a contract runs from its first day through its last.
fn in_force(v: &Vendor, today: NaiveDate) -> bool {
    matches!(
        (date(&v.contract_starts), date(&v.contract_ends)),
        (Some(s), Some(e)) if s <= today && today <= e
    )
}

/// Which notice a contract is due today, if any, given the marks it has.
pub fn due(state: &sql::NoticeState, today: NaiveDate) -> Option<ContractNoticeKind> {
    if state.notified_ended_at.is_some() {
        return None;
    }
    let ends = date(&state.vendor.contract_ends)?;
    let left = (ends - today).num_days();
    if left < 0 {
        Some(ContractNoticeKind::Ended)
    } else if left <= SOON_DAYS && state.notified_soon_at.is_none() {
        Some(ContractNoticeKind::EndsSoon)
    } else {
        None
    }
}

/// The addresses of the scoped library's admins whose accounts work.
fn admin_addresses(tx: &mut LibraryTx<'_>) -> store::StoreResult<Vec<String>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store::staff::list(tx, after, 200)?;
        let Some(last) = page.last() else { break };
        after = Some(last.account_id);
        out.extend(
            page.into_iter()
                .filter(|m| m.role == LibraryRole::Admin && !m.disabled)
                .map(|m| m.email),
        );
    }
    Ok(out)
}

/// Tells every library's admins of contracts ending within [`SOON_DAYS`] days
/// and of contracts that ended, each notice once; audited
/// `vendor.notice.ends_soon` / `vendor.notice.ended` in the library's chain.
/// Without a notifier (no mail configured) nothing is sent or marked.
pub fn notify_contracts(custody: &Custody, today: NaiveDate) -> CustodyResult<NoticeReport> {
    let mut report = NoticeReport::default();
    let Some(notifier) = custody.vendor_notifier() else {
        return Ok(report);
    };
    for library in crate::libraries::all(custody.store())? {
        notify_library(custody, notifier, &library, today, &mut report)?;
    }
    Ok(report)
}

fn notify_library(
    custody: &Custody,
    notifier: &dyn VendorNotifier,
    library: &Library,
    today: NaiveDate,
    report: &mut NoticeReport,
) -> CustodyResult<()> {
    let candidates = custody.store().read(library.id, sql::untold)?;
    for state in candidates {
        let Some(kind) = due(&state, today) else {
            continue;
        };
        let v = &state.vendor;
        let notice = ContractNotice {
            kind,
            library: library.name.clone(),
            library_slug: library.slug.clone(),
            vendor: v.name.clone(),
            service: v.service.clone(),
            contract_starts: v.contract_starts.clone(),
            contract_ends: v.contract_ends.clone(),
            days_left: date(&v.contract_ends)
                .map(|e| (e - today).num_days())
                .unwrap_or_default(),
        };
        let now = Utc::now().naive_utc();
        let id = v.id;
        // One transaction a contract: the mark, the audit entry and the
        // emails stand or fall together; a run that finds the mark already
        // set (another process was first) sends nothing.
        let told = custody.store().write(library.id, |tx| {
            let admins = admin_addresses(tx)?;
            if admins.is_empty() {
                return Ok::<_, crate::CustodyError>(None);
            }
            let (marked, action) = match kind {
                ContractNoticeKind::EndsSoon => {
                    (sql::mark_soon(tx, id, now)?, "vendor.notice.ends_soon")
                }
                ContractNoticeKind::Ended => (sql::mark_ended(tx, id, now)?, "vendor.notice.ended"),
            };
            if !marked {
                return Ok(Some(0));
            }
            for to in &admins {
                notifier.queue_contract_notice(tx, to, &notice)?;
            }
            crate::legal::step(
                tx,
                &Entry {
                    actor: &Actor::System("vendor-notices"),
                    action,
                    subject: &Subject::Vendor(id),
                    purpose: "",
                    ruling: NOTICE_RULING,
                },
                false,
            )?;
            Ok(Some(admins.len()))
        })?;
        match told {
            None => report.waiting_for_admin += 1,
            Some(0) => {}
            Some(admins) => report.sent.push(SentNotice {
                library: library.slug.clone(),
                vendor_id: id,
                vendor: v.name.clone(),
                kind,
                contract_ends: v.contract_ends.clone(),
                admins,
            }),
        }
    }
    Ok(())
}

fn field_words(f: &str) -> &'static str {
    match f {
        "name" => "name",
        "email" => "email address",
        _ => "other details",
    }
}

/// Queues an erasure notice to each vendor of the library under contract
/// today whose grant identifies patrons and that named an erasure contact.
/// Called inside the deletion's transaction, after the patron is deleted;
/// audited `vendor.notice.erasure` (the card number is not in the entry).
/// Returns how many vendors were told.
pub(crate) fn queue_erasure_notices(
    custody: &Custody,
    tx: &mut LibraryTx<'_>,
    who: &StaffMember,
    card_number: &str,
    today: NaiveDate,
) -> CustodyResult<usize> {
    let Some(notifier) = custody.vendor_notifier() else {
        return Ok(0);
    };
    let mut told = 0;
    for v in store::vendors::list(tx)? {
        let identifying: Vec<String> = v
            .fields
            .split(',')
            .filter(|f| IDENTIFYING.contains(f))
            .map(|f| field_words(f).to_owned())
            .collect();
        let contact = v
            .erasure_contact
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let Some(to) = contact else { continue };
        if identifying.is_empty() || !in_force(&v, today) {
            continue;
        }
        let notice = ErasureNotice {
            library: who.library.name.clone(),
            vendor: v.name.clone(),
            service: v.service.clone(),
            card_number: card_number.to_owned(),
            identifying,
            deleted_on: today.format("%Y-%m-%d").to_string(),
        };
        // A contact that is not an address cannot hold up a patron's
        // deletion; the chain records that this vendor could not be told.
        let queued = crate::values::EmailAddress::parse(to).is_ok()
            && notifier.queue_erasure_notice(tx, to, &notice)?;
        if !queued {
            crate::legal::step(
                tx,
                &Entry {
                    actor: &who.actor(),
                    action: "vendor.notice.erasure_undeliverable",
                    subject: &Subject::Vendor(v.id),
                    purpose: "",
                    ruling: NOTICE_RULING,
                },
                false,
            )?;
            continue;
        }
        crate::legal::step(
            tx,
            &Entry {
                actor: &who.actor(),
                action: "vendor.notice.erasure",
                subject: &Subject::Vendor(v.id),
                purpose: "",
                ruling: NOTICE_RULING,
            },
            false,
        )?;
        told += 1;
    }
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(ends: &str, soon: bool, ended: bool) -> sql::NoticeState {
        let t = Utc::now().naive_utc();
        sql::NoticeState {
            vendor: Vendor {
                library_id: 1,
                id: 1,
                name: "V".into(),
                service: "e-books".into(),
                privacy_policy_url: "https://v.example/p".into(),
                contract_starts: "2020-01-01".into(),
                contract_ends: ends.into(),
                fields: "card_valid".into(),
                purpose: "p".into(),
                erasure_contact: None,
                created_at: t,
                updated_at: t,
                use_key: None,
            },
            notified_soon_at: soon.then_some(t),
            notified_ended_at: ended.then_some(t),
        }
    }

    #[test]
    fn a_contract_is_due_each_notice_once_and_runs_through_its_last_day() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(due(&state("2027-02-01", false, false), today), None);
        assert_eq!(
            due(&state("2027-01-02", false, false), today),
            Some(ContractNoticeKind::EndsSoon)
        );
        assert_eq!(due(&state("2027-01-02", true, false), today), None);
        assert_eq!(
            due(&state("2026-12-03", false, false), today),
            Some(ContractNoticeKind::EndsSoon)
        );
        assert_eq!(
            due(&state("2026-12-02", true, false), today),
            Some(ContractNoticeKind::Ended)
        );
        assert_eq!(due(&state("2026-12-02", true, true), today), None);
    }

    #[test]
    fn the_card_number_stays_out_of_debug() {
        let n = ErasureNotice {
            library: "L".into(),
            vendor: "V".into(),
            service: "s".into(),
            card_number: "21000999".into(),
            identifying: vec!["name".into()],
            deleted_on: "2026-12-03".into(),
        };
        assert!(!format!("{n:?}").contains("21000999"));
    }
}
