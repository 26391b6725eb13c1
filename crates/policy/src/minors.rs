//! Children: age on a given day, which fields need a guardian's recorded
//! consent before they are collected, and how a child is named in public.
//!
//! Mid-Continent Public Library asks a parent or guardian to consent "before we
//! collect personal information from any child who is under 13 years old";
//! Charlotte Mecklenburg Library shows only "a child's first name, last
//! initial". The age and the gated fields come from the library's policy
//! document, which may raise the age but never lower it below its profile's.

use crate::document::PolicyDocument;
use crate::records::{Field, FieldSet};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Whole years from `birth` to `on`; `None` when `birth` is after `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if birth > on {
        return None;
    }
    let mut years = on.year() - birth.year();
    // Not yet had this year's birthday (a 29 February birthday counts on 1 March).
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Whether someone born on `birth` is under the library's minors' age on `on`.
pub fn is_minor(doc: &PolicyDocument, birth: NaiveDate, on: NaiveDate) -> bool {
    age_on(birth, on).is_some_and(|age| age < u32::from(doc.minor_age()))
}

/// Of the fields about to be collected, those that need a guardian's recorded
/// consent first: none for an adult or when consent is on record.
pub fn fields_needing_consent(
    doc: &PolicyDocument,
    birth: Option<NaiveDate>,
    on: NaiveDate,
    collecting: FieldSet,
    guardian_consent_recorded: bool,
) -> FieldSet {
    match birth {
        Some(b) if is_minor(doc, b, on) && !guardian_consent_recorded => {
            collecting.intersection(doc.guardian_consent_fields())
        }
        _ => FieldSet::EMPTY,
    }
}

/// The human name of a field, for messages to staff.
pub const fn field_label(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::CardNumber => "card number",
        Field::Address => "address",
        Field::Phone => "phone",
        Field::Email => "email",
        Field::DateOfBirth => "date of birth",
        Field::OtherIdentifier => "other identifier",
        Field::TitlesBorrowed => "titles borrowed",
        Field::SubjectsResearched => "subjects researched",
        Field::MaterialsConsulted => "materials consulted",
        Field::EventsAttended => "events attended",
        Field::FinancialTransactions => "financial transactions",
        Field::Correspondence => "correspondence",
    }
}

/// How a library names a child in public, as its policy document says.
///
/// Mid-Continent mentions children "by first name or name of school/group
/// only"; Charlotte Mecklenburg shows "first name, last initial".
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChildNaming {
    /// The first name alone ("Ada").
    FirstNameOnly,
    /// The first name and the last name's initial ("Ada L.").
    #[default]
    FirstNameLastInitial,
}

impl ChildNaming {
    /// The name as documents and the API spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChildNaming::FirstNameOnly => "first_name_only",
            ChildNaming::FirstNameLastInitial => "first_name_last_initial",
        }
    }

    /// The rule in plain words, with an example.
    pub const fn words(self) -> &'static str {
        match self {
            ChildNaming::FirstNameOnly => {
                "A child is mentioned in public by first name only: Ada Lovelace appears as \"Ada\"."
            }
            ChildNaming::FirstNameLastInitial => {
                "A child is mentioned in public by first name and last initial only: Ada Lovelace appears as \"Ada L.\"."
            }
        }
    }
}

/// How a person is named in public under the library's rule: the first name,
/// and with [`ChildNaming::FirstNameLastInitial`] the last name's initial.
/// Every public display of a person's name goes through here.
pub fn public_display_name(full_name: &str, naming: ChildNaming) -> String {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    match (words.as_slice(), naming) {
        ([], _) => String::new(),
        ([only], _) | ([only, ..], ChildNaming::FirstNameOnly) => (*only).to_owned(),
        ([first, .., last], ChildNaming::FirstNameLastInitial) => {
            let initial: String = last.chars().take(1).flat_map(char::to_uppercase).collect();
            format!("{first} {initial}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction::Jurisdiction;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(d(2013, 11, 22), d(2026, 11, 22)), Some(13));
        assert_eq!(age_on(d(2013, 11, 23), d(2026, 11, 22)), Some(12));
        assert_eq!(age_on(d(2012, 2, 29), d(2026, 2, 28)), Some(13));
        assert_eq!(age_on(d(2012, 2, 29), d(2026, 3, 1)), Some(14));
        assert_eq!(age_on(d(2027, 1, 1), d(2026, 1, 1)), None);
    }

    #[test]
    fn a_child_under_the_age_needs_consent_for_gated_fields_only_until_it_is_recorded() {
        let doc = PolicyDocument::shipped(Jurisdiction::Missouri).unwrap();
        let today = d(2026, 11, 22);
        let child = Some(d(2016, 5, 1));
        let collecting = FieldSet::of(&[Field::Name, Field::Email, Field::TitlesBorrowed]);
        let need = fields_needing_consent(&doc, child, today, collecting, false);
        assert!(need.contains(Field::Email) && need.contains(Field::Name));
        assert!(!need.contains(Field::TitlesBorrowed));
        assert!(fields_needing_consent(&doc, child, today, collecting, true).is_empty());
        assert!(
            fields_needing_consent(&doc, Some(d(1990, 1, 1)), today, collecting, false).is_empty()
        );
        assert!(fields_needing_consent(&doc, None, today, collecting, false).is_empty());
        assert!(is_minor(&doc, d(2013, 11, 23), today));
        assert!(!is_minor(&doc, d(2013, 11, 22), today));
    }

    #[test]
    fn children_are_shown_by_first_name_and_last_initial() {
        let l = ChildNaming::FirstNameLastInitial;
        assert_eq!(public_display_name("Ada Byron Lovelace", l), "Ada L.");
        assert_eq!(public_display_name("  maria  de la cruz ", l), "maria C.");
        assert_eq!(public_display_name("Cher", l), "Cher");
        assert_eq!(public_display_name("", l), "");
        assert_eq!(public_display_name("Ñandú Ñoño", l), "Ñandú Ñ.");
    }

    #[test]
    fn a_first_name_only_library_shows_no_letter_of_the_last_name() {
        let f = ChildNaming::FirstNameOnly;
        assert_eq!(public_display_name("Ada Byron Lovelace", f), "Ada");
        assert_eq!(public_display_name("Cher", f), "Cher");
        assert_eq!(public_display_name("  ", f), "");
    }

    proptest! {
        #[test]
        fn age_never_decreases_with_time(y in 1900i32..2100, doy in 0u32..365, later in 0i64..40_000) {
            let birth = d(y, 1, 1) + chrono::Duration::days(i64::from(doy));
            let on = birth + chrono::Duration::days(later);
            let next = on + chrono::Duration::days(1);
            prop_assert!(age_on(birth, on).unwrap() <= age_on(birth, next).unwrap());
            prop_assert!(age_on(birth, on).unwrap() <= (later / 365) as u32);
        }

        #[test]
        fn the_public_name_never_holds_more_than_one_letter_of_the_last_name(first in "[A-Za-z]{1,10}", last in "[A-Za-z]{2,12}") {
            let shown = public_display_name(&format!("{first} {last}"), ChildNaming::FirstNameLastInitial);
            prop_assert!(shown.starts_with(&first));
            prop_assert_eq!(shown.chars().count(), first.chars().count() + 3);
        }
    }
}
