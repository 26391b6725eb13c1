//! How long identifying data may live, and what happens to it then.
//!
//! Anonymizing keeps a record's non-identifying facts (item, date, branch) and
//! drops its link to the patron; deleting drops the record. Either way the
//! patron can no longer be found in it.

use crate::clause::Clause;
use crate::records::RecordKind;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// What happens to a record when its identifying data must go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurgeMethod {
    /// Keep item, date and branch; drop the link to the patron.
    Anonymize,
    /// Drop the whole record.
    Delete,
}

impl PurgeMethod {
    /// Whether this method removes at least as much as `other`.
    pub const fn at_least_as_strict_as(self, other: PurgeMethod) -> bool {
        matches!(
            (self, other),
            (Self::Delete, _) | (Self::Anonymize, Self::Anonymize)
        )
    }
}

/// How long one kind's identifying data lives after the record stops being in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    /// Days the link to the patron may live after the record closes; 0 means at once.
    pub keep_days: u32,
    /// What then happens.
    pub then: PurgeMethod,
}

impl RetentionRule {
    /// A rule keeping data `keep_days` then applying `then`.
    pub const fn new(keep_days: u32, then: PurgeMethod) -> RetentionRule {
        RetentionRule { keep_days, then }
    }
}

/// A library's retention schedule, already checked against its profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    rules: [RetentionRule; RecordKind::COUNT],
    checkout_history_opt_in: bool,
}

impl Schedule {
    /// A schedule from rules that the caller has checked against the profile.
    pub(crate) const fn new(
        rules: [RetentionRule; RecordKind::COUNT],
        checkout_history_opt_in: bool,
    ) -> Schedule {
        Schedule {
            rules,
            checkout_history_opt_in,
        }
    }

    /// The rule for one kind.
    pub const fn rule(&self, kind: RecordKind) -> RetentionRule {
        self.rules[kind.index()]
    }

    /// Whether patrons may turn checkout history on.
    pub const fn checkout_history_opt_in(&self) -> bool {
        self.checkout_history_opt_in
    }

    /// This schedule with one kind's rule set by the library, which may only
    /// shorten the period or remove more than this schedule (its limit) does.
    pub fn narrowed(
        &self,
        kind: RecordKind,
        rule: RetentionRule,
    ) -> Result<Schedule, RetentionRefusal> {
        let limit = self.rule(kind);
        if rule.keep_days > limit.keep_days {
            return Err(RetentionRefusal {
                kind,
                field: "days",
                reason: format!(
                    "may be at most {} days: the library's privacy policy keeps these records no longer than that. Enter {} or fewer.",
                    limit.keep_days, limit.keep_days
                ),
            });
        }
        if !rule.then.at_least_as_strict_as(limit.then) {
            return Err(RetentionRefusal {
                kind,
                field: "then",
                reason: "must be delete: the library's privacy policy deletes these records, and anonymizing would keep part of them. Choose delete.".to_owned(),
            });
        }
        let mut rules = self.rules;
        rules[kind.index()] = rule;
        Ok(Schedule::new(rules, self.checkout_history_opt_in))
    }
}

/// Why a library's own period for a kind was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionRefusal {
    /// The kind whose period was refused.
    pub kind: RecordKind,
    /// Which part: `days` or `then`.
    pub field: &'static str,
    /// What the limit is, in words for a librarian.
    pub reason: String,
}

/// Whether a record carries a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charge {
    /// Never carried a charge.
    None,
    /// A charge is still owed.
    Outstanding,
    /// A charge was settled (paid or waived) on this date.
    SettledOn(NaiveDate),
}

/// What the purge job knows about one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordFacts {
    /// The kind of record.
    pub kind: RecordKind,
    /// Whether it is still linked to a patron.
    pub linked: bool,
    /// When it stopped being in use (returned, held, answered, lapsed, ended); `None` while in use.
    pub closed_on: Option<NaiveDate>,
    /// Whether the patron turned checkout history on.
    pub history_opt_in: bool,
    /// Whether it carries a charge.
    pub charge: Charge,
}

/// What the purge job must do with a record on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PurgeAction {
    /// Already identifies nobody.
    Nothing {
        /// Why.
        clause: Clause,
    },
    /// Leave it linked; look again on `until`, or when its state changes if `None`.
    Keep {
        /// The day its identifying data must go, if already known.
        until: Option<NaiveDate>,
        /// Why it may stay.
        clause: Clause,
    },
    /// Drop the link to the patron now, keeping non-identifying facts.
    Anonymize {
        /// Why it must go.
        clause: Clause,
    },
    /// Drop the record now.
    Delete {
        /// Why it must go.
        clause: Clause,
    },
}

impl PurgeAction {
    /// Whether the record must be changed now.
    pub const fn is_due(&self) -> bool {
        matches!(self, Self::Anonymize { .. } | Self::Delete { .. })
    }

    /// The clause that decides.
    pub const fn clause(&self) -> Clause {
        match self {
            Self::Nothing { clause }
            | Self::Keep { clause, .. }
            | Self::Anonymize { clause }
            | Self::Delete { clause } => *clause,
        }
    }
}

/// Whether and how a record must be purged on `today`.
pub fn purge_action(schedule: &Schedule, facts: &RecordFacts, today: NaiveDate) -> PurgeAction {
    if !facts.linked {
        return PurgeAction::Nothing {
            clause: Clause::AggregatesNotRecords,
        };
    }
    let carries_charge = !matches!(facts.charge, Charge::None);
    if facts.charge == Charge::Outstanding {
        return PurgeAction::Keep {
            until: None,
            clause: Clause::ChargesUntilSettled,
        };
    }
    let Some(closed_on) = facts.closed_on else {
        return PurgeAction::Keep {
            until: None,
            clause: Clause::RecordInUse,
        };
    };
    if facts.kind == RecordKind::Circulation
        && facts.history_opt_in
        && schedule.checkout_history_opt_in
    {
        return PurgeAction::Keep {
            until: None,
            clause: Clause::CheckoutHistoryOptIn,
        };
    }
    // A loan that carried a fine had to stay linked while the fine was owed,
    // so its clock runs from whichever came last: the return or the settlement.
    let start = match facts.charge {
        Charge::SettledOn(settled) if settled > closed_on => settled,
        _ => closed_on,
    };
    let clause = match facts.kind {
        RecordKind::FinesAndPayments => Clause::ChargesUntilSettled,
        RecordKind::Circulation if carries_charge => Clause::ChargesUntilSettled,
        RecordKind::Circulation => Clause::CheckoutHistoryAtReturn,
        _ => Clause::ShortestTimePossible,
    };
    let rule = schedule.rule(facts.kind);
    let deadline = start
        .checked_add_days(Days::new(u64::from(rule.keep_days)))
        .unwrap_or(NaiveDate::MAX);
    if today < deadline {
        return PurgeAction::Keep {
            until: Some(deadline),
            clause,
        };
    }
    match rule.then {
        PurgeMethod::Anonymize => PurgeAction::Anonymize { clause },
        PurgeMethod::Delete => PurgeAction::Delete { clause },
    }
}

/// The records of one kind that [`purge_action`] purges on a given day, as
/// bounds a database can apply to millions of rows at once: a record is in
/// the window when it is linked, closed before `before`, owes nothing, was
/// settled (if it carried a charge) before `before`, and (where
/// `spare_history_keepers`) its patron does not keep a checkout history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurgeWindow {
    /// The kind of record.
    pub kind: RecordKind,
    /// The first day whose closings (and settlements) are not yet due.
    pub before: NaiveDate,
    /// Whether records of patrons who keep their history are left alone.
    pub spare_history_keepers: bool,
    /// What happens to the records in the window.
    pub then: PurgeMethod,
}

/// The window of `kind`'s records due for purging on `today`; `None` when
/// nothing can be due yet (a period longer than the calendar allows).
pub fn purge_window(
    schedule: &Schedule,
    kind: RecordKind,
    today: NaiveDate,
) -> Option<PurgeWindow> {
    let rule = schedule.rule(kind);
    // Due when start + keep_days <= today, i.e. start < today - keep_days + 1.
    let before = today
        .checked_sub_days(Days::new(u64::from(rule.keep_days)))?
        .checked_add_days(Days::new(1))?;
    Some(PurgeWindow {
        kind,
        before,
        spare_history_keepers: kind == RecordKind::Circulation && schedule.checkout_history_opt_in,
        then: rule.then,
    })
}

impl PurgeWindow {
    /// Whether a record with these facts is in the window: the same answer
    /// as [`purge_action`] purging it (a property test holds them together).
    pub fn contains(&self, facts: &RecordFacts) -> bool {
        let Some(closed) = facts.closed_on else {
            return false;
        };
        let settled_in_time = match facts.charge {
            Charge::Outstanding => false,
            Charge::SettledOn(s) => s < self.before,
            Charge::None => true,
        };
        facts.kind == self.kind
            && facts.linked
            && closed < self.before
            && settled_in_time
            && !(self.spare_history_keepers && facts.history_opt_in)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction::MISSOURI;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or(NaiveDate::MIN)
    }

    fn loan(closed_on: Option<&str>) -> RecordFacts {
        RecordFacts {
            kind: RecordKind::Circulation,
            linked: true,
            closed_on: closed_on.map(day),
            history_opt_in: false,
            charge: Charge::None,
        }
    }

    #[test]
    fn checkout_is_unlinked_at_return() {
        let s = MISSOURI.schedule();
        let a = purge_action(&s, &loan(Some("2025-03-01")), day("2025-03-01"));
        assert_eq!(
            a,
            PurgeAction::Anonymize {
                clause: Clause::CheckoutHistoryAtReturn
            }
        );
    }

    #[test]
    fn a_loan_out_stays_linked() {
        let s = MISSOURI.schedule();
        let a = purge_action(&s, &loan(None), day("2025-03-01"));
        assert_eq!(
            a,
            PurgeAction::Keep {
                until: None,
                clause: Clause::RecordInUse
            }
        );
    }

    #[test]
    fn opted_in_history_stays_until_turned_off() {
        let s = MISSOURI.schedule();
        let facts = RecordFacts {
            history_opt_in: true,
            ..loan(Some("2020-01-01"))
        };
        let a = purge_action(&s, &facts, day("2025-03-01"));
        assert_eq!(
            a,
            PurgeAction::Keep {
                until: None,
                clause: Clause::CheckoutHistoryOptIn
            }
        );
    }

    #[test]
    fn opt_in_is_ignored_where_the_library_offers_none() {
        let s = Schedule::new(MISSOURI.retention, false);
        let facts = RecordFacts {
            history_opt_in: true,
            ..loan(Some("2025-01-01"))
        };
        assert!(purge_action(&s, &facts, day("2025-01-01")).is_due());
    }

    #[test]
    fn a_fined_loan_is_unlinked_once_settled() {
        let s = MISSOURI.schedule();
        let owed = RecordFacts {
            charge: Charge::Outstanding,
            ..loan(Some("2025-01-01"))
        };
        assert_eq!(
            purge_action(&s, &owed, day("2026-01-01")),
            PurgeAction::Keep {
                until: None,
                clause: Clause::ChargesUntilSettled
            }
        );
        let settled = RecordFacts {
            charge: Charge::SettledOn(day("2025-02-10")),
            ..owed
        };
        assert_eq!(
            purge_action(&s, &settled, day("2025-02-09")),
            PurgeAction::Keep {
                until: Some(day("2025-02-10")),
                clause: Clause::ChargesUntilSettled
            }
        );
        assert_eq!(
            purge_action(&s, &settled, day("2025-02-10")),
            PurgeAction::Anonymize {
                clause: Clause::ChargesUntilSettled
            }
        );
    }

    #[test]
    fn fines_are_anonymized_ninety_days_after_settlement() {
        let s = MISSOURI.schedule();
        let fine = RecordFacts {
            kind: RecordKind::FinesAndPayments,
            linked: true,
            closed_on: Some(day("2025-01-01")),
            history_opt_in: false,
            charge: Charge::SettledOn(day("2025-01-01")),
        };
        assert!(!purge_action(&s, &fine, day("2025-03-31")).is_due());
        assert_eq!(
            purge_action(&s, &fine, day("2025-04-01")),
            PurgeAction::Anonymize {
                clause: Clause::ChargesUntilSettled
            }
        );
    }

    #[test]
    fn computer_use_is_deleted_when_the_session_ends() {
        let s = MISSOURI.schedule();
        let session = RecordFacts {
            kind: RecordKind::DigitalUse,
            ..loan(Some("2025-05-05"))
        };
        assert_eq!(
            purge_action(&s, &session, day("2025-05-05")),
            PurgeAction::Delete {
                clause: Clause::ShortestTimePossible
            }
        );
    }

    #[test]
    fn lapsed_cards_are_deleted_after_three_years() {
        let s = MISSOURI.schedule();
        let card = RecordFacts {
            kind: RecordKind::CardRegistration,
            ..loan(Some("2022-01-01"))
        };
        assert!(!purge_action(&s, &card, day("2024-12-30")).is_due());
        assert_eq!(
            purge_action(&s, &card, day("2025-01-01")),
            PurgeAction::Delete {
                clause: Clause::ShortestTimePossible
            }
        );
    }

    #[test]
    fn unlinked_records_need_nothing() {
        let s = MISSOURI.schedule();
        let facts = RecordFacts {
            linked: false,
            ..loan(Some("2000-01-01"))
        };
        let a = purge_action(&s, &facts, day("2025-01-01"));
        assert_eq!(
            a,
            PurgeAction::Nothing {
                clause: Clause::AggregatesNotRecords
            }
        );
        assert_eq!(a.clause(), Clause::AggregatesNotRecords);
    }

    #[test]
    fn a_library_may_shorten_but_not_lengthen() {
        let s = MISSOURI.schedule();
        let kind = RecordKind::HoldsAndInterlibraryLoans;
        let shorter = s.narrowed(kind, RetentionRule::new(7, PurgeMethod::Delete));
        assert_eq!(
            shorter.map(|n| n.rule(kind)),
            Ok(RetentionRule::new(7, PurgeMethod::Delete))
        );
        let longer = s.narrowed(kind, RetentionRule::new(31, PurgeMethod::Anonymize));
        assert_eq!(longer.map_err(|r| r.field), Err("days"));
        let softer = s.narrowed(
            RecordKind::DigitalUse,
            RetentionRule::new(0, PurgeMethod::Anonymize),
        );
        assert_eq!(softer.map_err(|r| r.field), Err("then"));
    }

    #[test]
    fn delete_is_stricter_than_anonymize() {
        assert!(PurgeMethod::Delete.at_least_as_strict_as(PurgeMethod::Anonymize));
        assert!(!PurgeMethod::Anonymize.at_least_as_strict_as(PurgeMethod::Delete));
    }

    #[test]
    fn actions_serialize_with_their_clause() {
        let json = serde_json::to_string(&PurgeAction::Keep {
            until: Some(day("2025-02-10")),
            clause: Clause::RecordInUse,
        })
        .unwrap_or_default();
        assert!(json.starts_with(
            r#"{"action":"keep","until":"2025-02-10","clause":{"code":"library.retention.in_use""#
        ));
    }

    proptest::proptest! {
        #[test]
        fn the_window_is_what_purge_action_purges(
            kind in 0usize..RecordKind::COUNT,
            keep_days in 0u32..400,
            delete in proptest::bool::ANY,
            opt_in_allowed in proptest::bool::ANY,
            linked in proptest::bool::ANY,
            opted_in in proptest::bool::ANY,
            closed in proptest::option::of(0u64..1000),
            charge in 0u8..3,
            settled in 0u64..1000,
        ) {
            let then = if delete { PurgeMethod::Delete } else { PurgeMethod::Anonymize };
            let schedule = Schedule::new([RetentionRule::new(keep_days, then); RecordKind::COUNT], opt_in_allowed);
            let kind = RecordKind::ALL[kind];
            let base = day("2024-01-01");
            let today = day("2025-06-01");
            let facts = RecordFacts {
                kind,
                linked,
                closed_on: closed.map(|d| base + Days::new(d)),
                history_opt_in: opted_in,
                charge: match charge {
                    0 => Charge::None,
                    1 => Charge::Outstanding,
                    _ => Charge::SettledOn(base + Days::new(settled)),
                },
            };
            let purges = matches!(
                purge_action(&schedule, &facts, today),
                PurgeAction::Anonymize { .. } | PurgeAction::Delete { .. }
            );
            let window = purge_window(&schedule, kind, today);
            proptest::prop_assert_eq!(window.is_some_and(|w| w.contains(&facts)), purges);
            if let Some(w) = window {
                proptest::prop_assert_eq!(w.then, then);
            }
        }
    }
}
