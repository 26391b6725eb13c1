//! What a legal request cost the library: the custodian of records records
//! staff time against it, and the invoice charges the requester for it at
//! the library's hourly rate ("any cost incurred by the Library in any
//! search through patron records, even under court order, shall be
//! chargeable to the entity demanding such search").

use crate::actor::{StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{Entry, Ruling};
use crate::legal::{only_custodian, step, RequesterInput};
use crate::Custody;
use chrono::{NaiveDateTime, Utc};
use policy::clause::Clause;
use policy::staff::LibraryRole;
use serde::{Deserialize, Serialize};
use store::legal::{self as sql, TimeEntry};
use store::staff;

/// The most minutes one entry may record: a day.
pub const MAX_MINUTES: i64 = 1440;

/// The longest description of what the time was spent on.
pub const MAX_WHAT: usize = 500;

/// Staff time as the custodian enters it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"minutes": 45, "what": "pulled the checkout records named in the order"}))]
pub struct TimeInput {
    /// How long, 1 to [`MAX_MINUTES`].
    #[serde(default)]
    // Required in the document: `check` refuses absent or null minutes and what.
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 1440)]
    pub minutes: Option<serde_json::Value>,
    /// What for (required, at most [`MAX_WHAT`] characters, not blank).
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500, pattern = "\\S")]
    pub what: Option<String>,
    /// Who spent it: the caller's account id, when given.
    #[serde(default)]
    pub by: Option<i64>,
}

/// A recorded time entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimeView {
    /// Its id.
    pub id: i64,
    /// The request.
    pub legal_request_id: i64,
    /// How long.
    pub minutes: i64,
    /// What for.
    pub what: String,
    /// The account that spent it.
    pub by: i64,
    /// When it was recorded.
    #[serde(with = "store::time::rfc3339")]
    pub created_at: NaiveDateTime,
}

impl From<TimeEntry> for TimeView {
    fn from(t: TimeEntry) -> Self {
        TimeView {
            id: t.id,
            legal_request_id: t.legal_request_id,
            minutes: t.minutes,
            what: t.what,
            by: t.by_account,
            created_at: t.created_at,
        }
    }
}

/// One line of an invoice.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceLine {
    /// The day the time was recorded (YYYY-MM-DD).
    pub date: String,
    /// The staff member's name.
    pub by: String,
    /// What for.
    pub what: String,
    /// How long.
    pub minutes: i64,
    /// Its charge at the hourly rate.
    pub cents: i64,
}

/// The invoice for a request's staff time, addressed to its requester.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invoice {
    /// The request.
    pub request: i64,
    /// The library that charges it.
    pub library: String,
    /// Who is charged.
    pub requester: RequesterInput,
    /// The time spent.
    pub lines: Vec<InvoiceLine>,
    /// The library's hourly rate.
    pub hourly_rate_cents: i64,
    /// The sum of the lines.
    pub total_cents: i64,
}

fn invalid(field: &'static str, detail: &str) -> CustodyError {
    CustodyError::Invalid {
        field,
        detail: detail.to_owned(),
    }
}

/// The charge for `minutes` at `rate` cents an hour, to the nearest cent
/// (half a cent rounds up).
pub fn charge(minutes: i64, rate: i64) -> i64 {
    (minutes.saturating_mul(rate).saturating_add(30)) / 60
}

/// Checks a time entry by `caller`, naming the first field that is wrong;
/// returns the minutes and what they were for.
pub fn check(input: TimeInput, caller: i64) -> CustodyResult<(i64, String)> {
    let minutes = input
        .minutes
        .as_ref()
        .and_then(serde_json::Value::as_i64)
        .filter(|m| (1..=MAX_MINUTES).contains(m))
        .ok_or_else(|| invalid("minutes", "minutes must be a whole number from 1 to 1440"))?;
    let what = input.what.map(|w| w.trim().to_owned()).unwrap_or_default();
    if what.is_empty() {
        return Err(invalid("what", "say what the time was spent on"));
    }
    if what.chars().count() > MAX_WHAT {
        return Err(invalid("what", "at most 500 characters"));
    }
    if input.by.is_some_and(|b| b != caller) {
        return Err(invalid("by", "time is recorded by the one who spent it"));
    }
    Ok((minutes, what))
}

/// The custodian of records records staff time on a request of the library.
pub fn record_time(
    custody: &Custody,
    who: &StaffMember,
    id: i64,
    input: TimeInput,
) -> CustodyResult<TimeView> {
    // Any staff of the library records the time they spent on the search
    // (the desk often does it); only the custodian issues the invoice.
    let (minutes, what) = check(input, who.account.0)?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        sql::get(tx, custody.keys(), id)?;
        let entry = sql::add_time(
            tx,
            id,
            minutes,
            &what,
            who.account.0,
            Utc::now().naive_utc(),
        )?;
        let purpose = format!("{minutes} minutes: {what}");
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.time",
                subject: &Subject::LegalRequest(id),
                purpose: &purpose,
                ruling: Ruling {
                    allowed: true,
                    clause: Clause::CustodianDecides.code(),
                },
            },
            false,
        )?;
        Ok(entry.into())
    })
}

/// The invoice for a request's staff time; issuing it is in the chain.
pub fn invoice(custody: &Custody, who: &StaffMember, id: i64) -> CustodyResult<Invoice> {
    only_custodian(who)?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        let r = sql::get(tx, custody.keys(), id)?;
        let entries = sql::time_entries(tx, id)?;
        let rate = sql::hourly_rate_cents(tx)?;
        let mut ids: Vec<i64> = entries.iter().map(|e| e.by_account).collect();
        ids.sort_unstable();
        ids.dedup();
        let names = staff::names(tx, &ids)?;
        let name_of = |account: i64| {
            names
                .iter()
                .find(|n| n.account_id.0 == account)
                .map(|n| n.display_name.clone())
                .unwrap_or_else(|| format!("account {account}"))
        };
        let lines: Vec<InvoiceLine> = entries
            .into_iter()
            .map(|e| InvoiceLine {
                date: e.created_at.format("%Y-%m-%d").to_string(),
                by: name_of(e.by_account),
                cents: charge(e.minutes, rate),
                what: e.what,
                minutes: e.minutes,
            })
            .collect();
        let total_cents = lines.iter().map(|l| l.cents).sum();
        let purpose = format!("invoice of {total_cents} cents to {}", r.requester_name);
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.invoice",
                subject: &Subject::LegalRequest(id),
                purpose: &purpose,
                ruling: Ruling {
                    allowed: true,
                    clause: Clause::CustodianDecides.code(),
                },
            },
            false,
        )?;
        Ok(Invoice {
            request: id,
            library: who.library.name.clone(),
            requester: RequesterInput {
                name: Some(r.requester_name),
                agency: Some(r.requester_agency),
                email: Some(r.requester_email),
            },
            lines,
            hourly_rate_cents: rate,
            total_cents,
        })
    })
}

/// The most a library may charge an hour: $1,000.00, a guard against a
/// rate typed in dollars as cents' worth of zeros.
pub const MAX_HOURLY_RATE_CENTS: i64 = 100_000;

/// The library's settings for charging legal requests.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"hourly_rate_cents": 3500}))]
pub struct LegalSettings {
    /// The hourly rate charged for staff time, in cents.
    pub hourly_rate_cents: i64,
}

/// The settings as an admin sends them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"hourly_rate_cents": 3500}))]
#[schema(as = LegalSettingsInput)]
pub struct SettingsInput {
    /// The new hourly rate, 0 to [`MAX_HOURLY_RATE_CENTS`].
    #[serde(default)]
    // Required in the document: the check below refuses an absent or null rate.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 100_000)]
    pub hourly_rate_cents: Option<serde_json::Value>,
}

/// The library's charging settings; any staff of the library may read them.
pub fn settings(custody: &Custody, who: &StaffMember) -> CustodyResult<LegalSettings> {
    custody.store().read(who.library.id, |tx| {
        Ok(LegalSettings {
            hourly_rate_cents: sql::hourly_rate_cents(tx)?,
        })
    })
}

/// The library's admin sets the hourly rate; the change is in the chain.
pub fn set_settings(
    custody: &Custody,
    who: &StaffMember,
    input: SettingsInput,
) -> CustodyResult<LegalSettings> {
    if who.role != LibraryRole::Admin {
        return Err(CustodyError::Forbidden(
            "only the library's admin sets the hourly rate for legal requests",
        ));
    }
    let cents = input
        .hourly_rate_cents
        .as_ref()
        .and_then(serde_json::Value::as_i64)
        .filter(|c| (0..=MAX_HOURLY_RATE_CENTS).contains(c))
        .ok_or_else(|| {
            invalid(
                "hourly_rate_cents",
                "the hourly rate is a whole number of cents from 0 to 100000 ($1,000.00); $25.00 is 2500",
            )
        })?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        sql::set_hourly_rate_cents(tx, cents)?;
        let purpose = format!("hourly rate for legal requests set to {cents} cents");
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.settings",
                subject: &Subject::Nobody,
                purpose: &purpose,
                ruling: Ruling::allow_by(Clause::LibraryOperations),
            },
            false,
        )?;
        Ok(LegalSettings {
            hourly_rate_cents: cents,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_charge_rounds_to_the_nearest_cent() {
        assert_eq!(charge(90, 2500) + charge(45, 2500), 5625);
        assert_eq!(charge(1, 2500), 42);
        assert_eq!(charge(1, 30), 1);
    }

    #[test]
    fn a_time_entry_names_the_wrong_field() {
        let bad = |minutes: serde_json::Value| TimeInput {
            minutes: Some(minutes),
            what: Some("search".into()),
            by: None,
        };
        for m in [json!(0), json!(1441), json!("90"), json!(1.5)] {
            assert!(matches!(
                check(bad(m), 1),
                Err(CustodyError::Invalid {
                    field: "minutes",
                    ..
                })
            ));
        }
        let mut t = bad(json!(90));
        t.what = Some("  ".into());
        assert!(matches!(
            check(t, 1),
            Err(CustodyError::Invalid { field: "what", .. })
        ));
        let mut t = bad(json!(90));
        t.by = Some(2);
        assert!(matches!(
            check(t, 1),
            Err(CustodyError::Invalid { field: "by", .. })
        ));
        assert_eq!(check(bad(json!(90)), 1).unwrap().0, 90);
    }
}
