//! Children's records: age on a date, what needs a guardian's consent before
//! collection, and how a child is named in public.

use crate::document::PolicyDocument;
use crate::records::FieldSet;
use chrono::{Datelike, NaiveDate};

/// Whole years of age on `on`, or `None` if born after it.
pub fn age_on(date_of_birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if date_of_birth > on {
        return None;
    }
    let mut years = on.year() - date_of_birth.year();
    if (on.month(), on.day()) < (date_of_birth.month(), date_of_birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Fields that need a recorded guardian consent before they are collected
/// from a child born on `date_of_birth`, as of `on`; empty for anyone older.
pub fn fields_needing_guardian_consent(
    doc: &PolicyDocument,
    date_of_birth: NaiveDate,
    on: NaiveDate,
) -> FieldSet {
    match age_on(date_of_birth, on) {
        Some(age) if age >= u32::from(doc.minor_age()) => FieldSet::EMPTY,
        // An unknown or future birth date is treated as a child's: the safer reading.
        _ => doc.guardian_consent_fields(),
    }
}

/// Whether `fields` may be collected, given the fields a guardian consented to.
pub fn may_collect(
    doc: &PolicyDocument,
    date_of_birth: NaiveDate,
    on: NaiveDate,
    fields: FieldSet,
    guardian_consented: FieldSet,
) -> bool {
    fields
        .intersection(fields_needing_guardian_consent(doc, date_of_birth, on))
        .is_subset(guardian_consented)
}

/// A child's public name: first name and last initial ("Ada L.").
pub fn public_display_name(first: &str, last: &str) -> String {
    let first = first.trim();
    match last.trim().chars().next() {
        Some(initial) => format!("{first} {}.", initial.to_uppercase()),
        None => first.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction::Jurisdiction;
    use crate::records::Field;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn age_turns_on_the_birthday() {
        assert_eq!(age_on(day("2012-06-01"), day("2025-05-31")), Some(12));
        assert_eq!(age_on(day("2012-06-01"), day("2025-06-01")), Some(13));
        assert_eq!(age_on(day("2012-02-29"), day("2025-02-28")), Some(12));
        assert_eq!(age_on(day("2026-01-01"), day("2025-06-01")), None);
    }

    #[test]
    fn under_thirteen_needs_guardian_consent() {
        let doc = PolicyDocument::widest(Jurisdiction::Missouri.profile());
        let child = fields_needing_guardian_consent(&doc, day("2015-01-01"), day("2025-06-01"));
        assert!(child.contains(Field::Email));
        assert!(!child.contains(Field::CardNumber));
        assert!(
            fields_needing_guardian_consent(&doc, day("2010-01-01"), day("2025-06-01")).is_empty()
        );
        let email = FieldSet::of(&[Field::Email]);
        assert!(!may_collect(
            &doc,
            day("2015-01-01"),
            day("2025-06-01"),
            email,
            FieldSet::EMPTY
        ));
        assert!(may_collect(
            &doc,
            day("2015-01-01"),
            day("2025-06-01"),
            email,
            email
        ));
    }

    #[test]
    fn child_display_name_is_first_name_and_last_initial() {
        assert_eq!(public_display_name("Ada", "lovelace"), "Ada L.");
        assert_eq!(public_display_name(" Zoë ", "Émile"), "Zoë É.");
        assert_eq!(public_display_name("Ada", ""), "Ada");
    }
}
