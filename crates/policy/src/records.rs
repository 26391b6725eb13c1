//! What a library record is: its kinds and the confidential fields of each.
//!
//! Sets of kinds and fields are bitsets so that a disclosure decision can
//! compare a request against a consent or a vendor grant without allocating.

use serde::{Deserialize, Serialize, Serializer};

/// Declares a `Copy` bitset over a fieldless enum whose variants are listed in `ALL`.
macro_rules! bitset {
    ($(#[$meta:meta])* $set:ident of $item:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $set(u16);

        impl $set {
            /// The empty set.
            pub const EMPTY: $set = $set(0);

            /// A set of the given members.
            pub const fn of(items: &[$item]) -> $set {
                let mut bits = 0u16;
                let mut i = 0;
                while i < items.len() {
                    bits |= 1 << (items[i] as u16);
                    i += 1;
                }
                $set(bits)
            }

            /// Every member.
            pub const fn all() -> $set {
                $set::of(&$item::ALL)
            }

            /// The raw bits, for storage.
            pub const fn bits(self) -> u16 {
                self.0
            }

            /// A set from raw bits; bits that name no member are dropped.
            pub const fn from_bits(bits: u16) -> $set {
                $set(bits & $set::all().0)
            }

            /// Whether the set is empty.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Whether `item` is a member.
            pub const fn contains(self, item: $item) -> bool {
                self.0 & (1 << (item as u16)) != 0
            }

            /// Whether every member of `self` is in `other`.
            pub const fn is_subset(self, other: $set) -> bool {
                self.0 & !other.0 == 0
            }

            /// Whether the sets share a member.
            pub const fn intersects(self, other: $set) -> bool {
                self.0 & other.0 != 0
            }

            /// Members of both.
            pub const fn intersection(self, other: $set) -> $set {
                $set(self.0 & other.0)
            }

            /// Members of either.
            pub const fn union(self, other: $set) -> $set {
                $set(self.0 | other.0)
            }

            /// Members of `self` not in `other`.
            pub const fn difference(self, other: $set) -> $set {
                $set(self.0 & !other.0)
            }

            /// The set with `item` added.
            pub const fn with(self, item: $item) -> $set {
                $set(self.0 | (1 << (item as u16)))
            }

            /// The members, in declaration order.
            pub fn iter(self) -> impl Iterator<Item = $item> {
                $item::ALL.into_iter().filter(move |i| self.contains(*i))
            }
        }

        impl FromIterator<$item> for $set {
            fn from_iter<I: IntoIterator<Item = $item>>(iter: I) -> Self {
                iter.into_iter().fold($set::EMPTY, $set::with)
            }
        }

        impl Serialize for $set {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = serializer.serialize_seq(None)?;
                for item in self.iter() {
                    seq.serialize_element(&item)?;
                }
                seq.end()
            }
        }

        impl<'de> Deserialize<'de> for $set {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Vec::<$item>::deserialize(deserializer)?.into_iter().collect())
            }
        }
    };
}
pub(crate) use bitset;

/// A kind of library record, as the seed policies list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// Loans: which patron borrowed which item.
    Circulation,
    /// The registration behind a library card.
    CardRegistration,
    /// Holds and interlibrary loan requests.
    HoldsAndInterlibraryLoans,
    /// Registration for and attendance at events and reading clubs.
    EventRegistration,
    /// Reference questions asked in person, by phone, email or chat.
    ReferenceRequests,
    /// Donations, with the donor's payments and correspondence.
    Donations,
    /// Use of library computers, the internet, e-resources, databases and the web site.
    DigitalUse,
    /// Fines, fees and payments.
    FinesAndPayments,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 8] = [
        Self::Circulation,
        Self::CardRegistration,
        Self::HoldsAndInterlibraryLoans,
        Self::EventRegistration,
        Self::ReferenceRequests,
        Self::Donations,
        Self::DigitalUse,
        Self::FinesAndPayments,
    ];

    /// The number of kinds, for per-kind tables.
    pub const COUNT: usize = Self::ALL.len();

    /// The stable name used in policy documents, the database and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Circulation => "circulation",
            Self::CardRegistration => "card_registration",
            Self::HoldsAndInterlibraryLoans => "holds_and_interlibrary_loans",
            Self::EventRegistration => "event_registration",
            Self::ReferenceRequests => "reference_requests",
            Self::Donations => "donations",
            Self::DigitalUse => "digital_use",
            Self::FinesAndPayments => "fines_and_payments",
        }
    }

    /// The position of this kind in per-kind tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The fields of this kind that are confidential.
    pub const fn confidential_fields(self) -> FieldSet {
        use Field::*;
        let extra = match self {
            Self::Circulation => FieldSet::of(&[TitlesBorrowed]),
            Self::CardRegistration => FieldSet::EMPTY,
            Self::HoldsAndInterlibraryLoans => FieldSet::of(&[TitlesBorrowed, MaterialsConsulted]),
            Self::EventRegistration => FieldSet::of(&[EventsAttended]),
            Self::ReferenceRequests => {
                FieldSet::of(&[SubjectsResearched, MaterialsConsulted, Correspondence])
            }
            Self::Donations => FieldSet::of(&[FinancialTransactions, Correspondence]),
            Self::DigitalUse => FieldSet::of(&[MaterialsConsulted, SubjectsResearched]),
            Self::FinesAndPayments => FieldSet::of(&[FinancialTransactions, TitlesBorrowed]),
        };
        IDENTITY_FIELDS.union(extra)
    }
}

impl std::str::FromStr for RecordKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// A record kind name that is not one of [`RecordKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record kind {0:?}")]
pub struct UnknownKind(pub String);

/// A confidential field of a library record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The patron's name.
    Name,
    /// The library card number (barcode).
    CardNumber,
    /// Postal address.
    Address,
    /// Telephone number.
    Phone,
    /// Email address.
    Email,
    /// Date of birth.
    DateOfBirth,
    /// Any other unique identifier: IP address, device, social security number, photo.
    OtherIdentifier,
    /// Individual titles borrowed or requested.
    TitlesBorrowed,
    /// Subjects researched.
    SubjectsResearched,
    /// Materials and resources consulted.
    MaterialsConsulted,
    /// Events and programs registered for or attended.
    EventsAttended,
    /// Fines owed, paid or waived, donations and other payments.
    FinancialTransactions,
    /// Messages exchanged with library staff.
    Correspondence,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 13] = [
        Self::Name,
        Self::CardNumber,
        Self::Address,
        Self::Phone,
        Self::Email,
        Self::DateOfBirth,
        Self::OtherIdentifier,
        Self::TitlesBorrowed,
        Self::SubjectsResearched,
        Self::MaterialsConsulted,
        Self::EventsAttended,
        Self::FinancialTransactions,
        Self::Correspondence,
    ];

    /// The stable name used in policy documents, the database and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::CardNumber => "card_number",
            Self::Address => "address",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::DateOfBirth => "date_of_birth",
            Self::OtherIdentifier => "other_identifier",
            Self::TitlesBorrowed => "titles_borrowed",
            Self::SubjectsResearched => "subjects_researched",
            Self::MaterialsConsulted => "materials_consulted",
            Self::EventsAttended => "events_attended",
            Self::FinancialTransactions => "financial_transactions",
            Self::Correspondence => "correspondence",
        }
    }
}

bitset!(
    /// A set of record kinds.
    KindSet of RecordKind
);
bitset!(
    /// A set of confidential fields.
    FieldSet of Field
);

/// The fields that identify a patron on their own.
pub const IDENTITY_FIELDS: FieldSet = FieldSet::of(&[
    Field::Name,
    Field::CardNumber,
    Field::Address,
    Field::Phone,
    Field::Email,
    Field::DateOfBirth,
    Field::OtherIdentifier,
]);

/// The confidential fields of any of the given kinds.
pub fn confidential_fields_of(kinds: KindSet) -> FieldSet {
    kinds
        .iter()
        .fold(FieldSet::EMPTY, |acc, k| acc.union(k.confidential_fields()))
}

/// Whether data holding these fields is a library record at all.
///
/// Both RSMo 182.815(5) and G.S. 125-18(2) exclude non-identifying material
/// kept to study circulation in general, so what decides is whether anything
/// in it identifies a person.
pub const fn is_library_record(fields: FieldSet) -> bool {
    fields.intersects(IDENTITY_FIELDS)
}

/// The smallest count a published aggregate may show; fewer people than this
/// in one cell could be picked out by someone who knows who was there.
pub const MIN_PUBLISHED_COUNT: u64 = 5;

/// A count as it may be published: small counts are suppressed.
///
/// Returns `None` when the count must be withheld.
pub const fn publishable_count(count: u64) -> Option<u64> {
    if count == 0 || count >= MIN_PUBLISHED_COUNT {
        Some(count)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_protects_identity() {
        for kind in RecordKind::ALL {
            assert!(
                IDENTITY_FIELDS.is_subset(kind.confidential_fields()),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn kinds_carry_the_seed_policies_confidential_information() {
        use Field::*;
        // Library Center of the Ozarks: subjects researched, materials consulted,
        // titles borrowed, and financial transactions are confidential.
        assert!(RecordKind::Circulation
            .confidential_fields()
            .contains(TitlesBorrowed));
        assert!(RecordKind::ReferenceRequests
            .confidential_fields()
            .contains(SubjectsResearched));
        assert!(RecordKind::DigitalUse
            .confidential_fields()
            .contains(MaterialsConsulted));
        assert!(RecordKind::Donations
            .confidential_fields()
            .contains(FinancialTransactions));
        assert!(RecordKind::FinesAndPayments
            .confidential_fields()
            .contains(FinancialTransactions));
        assert!(RecordKind::EventRegistration
            .confidential_fields()
            .contains(EventsAttended));
        let all = confidential_fields_of(KindSet::all());
        for field in Field::ALL {
            assert!(all.contains(field), "{field:?} belongs to no kind");
        }
    }

    #[test]
    fn aggregates_are_not_library_records() {
        assert!(!is_library_record(FieldSet::EMPTY));
        assert!(!is_library_record(FieldSet::of(&[Field::TitlesBorrowed])));
        assert!(is_library_record(FieldSet::of(&[
            Field::TitlesBorrowed,
            Field::CardNumber
        ])));
    }

    #[test]
    fn small_counts_are_suppressed() {
        assert_eq!(publishable_count(0), Some(0));
        assert_eq!(publishable_count(1), None);
        assert_eq!(publishable_count(4), None);
        assert_eq!(publishable_count(5), Some(5));
    }

    #[test]
    fn sets_behave_as_sets() {
        let a = KindSet::of(&[RecordKind::Circulation, RecordKind::Donations]);
        let b = KindSet::of(&[RecordKind::Circulation]);
        assert!(b.is_subset(a));
        assert!(!a.is_subset(b));
        assert_eq!(a.difference(b), KindSet::of(&[RecordKind::Donations]));
        assert_eq!(KindSet::from_bits(u16::MAX), KindSet::all());
        assert_eq!(a.iter().count(), 2);
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert_eq!(json, r#"["circulation","donations"]"#);
        let back: KindSet = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, a);
    }

    #[test]
    fn names_match_serde() {
        for kind in RecordKind::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap_or_default(),
                format!("\"{}\"", kind.as_str())
            );
        }
        for field in Field::ALL {
            assert_eq!(
                serde_json::to_string(&field).unwrap_or_default(),
                format!("\"{}\"", field.as_str())
            );
        }
    }
}
