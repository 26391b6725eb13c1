//! The clauses that decide: statute subsections, professional codes and the
//! member libraries' own policies, each with a stable code for the audit log
//! and a sentence a librarian can check against its source.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::fmt;

/// One rule a decision rests on.
///
/// `code()` is what the audit log stores and must never change once shipped;
/// `text()` may be reworded as long as it keeps the meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Clause {
    /// RSMo 182.815(5): what a library record is, and that aggregates are not one.
    Mo182815LibraryRecord,
    /// RSMo 182.817.1: release only as (1) or (2) allow; binds staff, agents and contractors.
    Mo182817ReleaseOnlyAsListed,
    /// RSMo 182.817.1(1): the written request or written consent of the person identified.
    Mo182817WrittenRequest,
    /// RSMo 182.817.1(2): a court order finding disclosure necessary for public safety or to prosecute a crime.
    Mo182817CourtOrder,
    /// RSMo 182.817.1: a contracted third party holding library records is bound like the library.
    Mo182817ContractedThirdParty,
    /// K.S.A. 45-221(a)(23): identifiable patron and circulation records are exempt from open-records requests.
    Ks45221Exempt,
    /// G.S. 125-18(2): what a library record is, and that aggregates are not one.
    Nc12518LibraryRecord,
    /// G.S. 125-19(a): no disclosure except as subsection (b) lists.
    Nc12519NoDisclosure,
    /// G.S. 125-19(b)(1): when necessary for the reasonable operation of the library.
    Nc12519Operations,
    /// G.S. 125-19(b)(2): upon the written consent of the user.
    Nc12519WrittenConsent,
    /// G.S. 125-19(b)(3): pursuant to subpoena, court order, or where otherwise required by law.
    Nc12519LegalProcess,
    /// ALA Code of Ethics, article III.
    AlaEthicsIII,
    /// ALA Policy on Confidentiality of Library Records: good cause shown in a court.
    AlaGoodCause,
    /// Library policy: aggregate statistics that identify nobody are not library records.
    AggregatesNotRecords,
    /// Library policy: a patron may see their own records.
    PatronOwnRecords,
    /// Library policy: disclosure with the patron's written consent, as scoped.
    PatronWrittenConsent,
    /// Library policy: only the custodian of records decides a legal request.
    CustodianDecides,
    /// Library policy: subpoenas, agency letters and phone requests are refused without a court order.
    InformalDemandRefused,
    /// Library policy: this library requires a court order even where a subpoena would do.
    LibraryRequiresCourtOrder,
    /// Library policy: staff act at once, telling law enforcement, when danger is imminent.
    EmergencyImminentDanger,
    /// Library policy: this library has switched off a basis its statute would allow.
    LibraryDisabledBasis,
    /// Library policy: staff use records within library business and state a purpose.
    LibraryOperations,
    /// Library policy: a contracted vendor sees only what its contract grants, while it runs.
    VendorContract,
    /// Library policy: a guardian may see a young child's records.
    GuardianOfMinor,
    /// Library policy: children have the same privacy as adults.
    ChildrenSamePrivacy,
    /// Library policy: a guardian consents before a child's personal information is collected.
    GuardianConsentToCollect,
    /// Library policy: children are shown publicly by first name and last initial only.
    ChildDisplayName,
    /// Library policy: payment and library card numbers are shown only as their last four digits.
    LastFourDigits,
    /// Library policy: contact details are shown only partially.
    PartialContact,
    /// Library policy: identifying data is kept for the shortest time possible.
    ShortestTimePossible,
    /// Library policy: checkout history is unlinked at return unless the patron turned it on.
    CheckoutHistoryAtReturn,
    /// Library policy: the patron turned checkout history on, so it stays until they turn it off.
    CheckoutHistoryOptIn,
    /// Library policy: charges owed stay linked until settled, then are unlinked.
    ChargesUntilSettled,
    /// Library policy: a record still in use (on loan, upcoming, active) stays linked.
    RecordInUse,
    /// Library policy: the cost of a search for a legal request is charged to the requester.
    SearchCostCharged,
    /// Library policy: a patron who opted out of an optional use of their data is left out of it.
    OptedOutOfUse,
    /// Library policy: data is used only for the purposes the published policy names.
    UseNotInPolicy,
}

impl Clause {
    /// Every clause, for listing and for round-trip tests.
    pub const ALL: [Clause; 37] = [
        Self::Mo182815LibraryRecord,
        Self::Mo182817ReleaseOnlyAsListed,
        Self::Mo182817WrittenRequest,
        Self::Mo182817CourtOrder,
        Self::Mo182817ContractedThirdParty,
        Self::Ks45221Exempt,
        Self::Nc12518LibraryRecord,
        Self::Nc12519NoDisclosure,
        Self::Nc12519Operations,
        Self::Nc12519WrittenConsent,
        Self::Nc12519LegalProcess,
        Self::AlaEthicsIII,
        Self::AlaGoodCause,
        Self::AggregatesNotRecords,
        Self::PatronOwnRecords,
        Self::PatronWrittenConsent,
        Self::CustodianDecides,
        Self::InformalDemandRefused,
        Self::LibraryRequiresCourtOrder,
        Self::EmergencyImminentDanger,
        Self::LibraryDisabledBasis,
        Self::LibraryOperations,
        Self::VendorContract,
        Self::GuardianOfMinor,
        Self::ChildrenSamePrivacy,
        Self::GuardianConsentToCollect,
        Self::ChildDisplayName,
        Self::LastFourDigits,
        Self::PartialContact,
        Self::ShortestTimePossible,
        Self::CheckoutHistoryAtReturn,
        Self::CheckoutHistoryOptIn,
        Self::ChargesUntilSettled,
        Self::RecordInUse,
        Self::SearchCostCharged,
        Self::OptedOutOfUse,
        Self::UseNotInPolicy,
    ];

    /// The stable machine-readable code stored in the audit log.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Mo182815LibraryRecord => "mo.182.815.5",
            Self::Mo182817ReleaseOnlyAsListed => "mo.182.817.1",
            Self::Mo182817WrittenRequest => "mo.182.817.1.1",
            Self::Mo182817CourtOrder => "mo.182.817.1.2",
            Self::Mo182817ContractedThirdParty => "mo.182.817.1.contractor",
            Self::Ks45221Exempt => "ks.45-221.a.23",
            Self::Nc12518LibraryRecord => "nc.125-18.2",
            Self::Nc12519NoDisclosure => "nc.125-19.a",
            Self::Nc12519Operations => "nc.125-19.b.1",
            Self::Nc12519WrittenConsent => "nc.125-19.b.2",
            Self::Nc12519LegalProcess => "nc.125-19.b.3",
            Self::AlaEthicsIII => "ala.ethics.iii",
            Self::AlaGoodCause => "ala.confidentiality.good_cause",
            Self::AggregatesNotRecords => "library.aggregates",
            Self::PatronOwnRecords => "library.patron_own_records",
            Self::PatronWrittenConsent => "library.written_consent",
            Self::CustodianDecides => "library.custodian_decides",
            Self::InformalDemandRefused => "library.court_order_required",
            Self::LibraryRequiresCourtOrder => "library.subpoena_not_accepted",
            Self::EmergencyImminentDanger => "library.emergency",
            Self::LibraryDisabledBasis => "library.basis_disabled",
            Self::LibraryOperations => "library.operations",
            Self::VendorContract => "library.vendor_contract",
            Self::GuardianOfMinor => "library.guardian_access",
            Self::ChildrenSamePrivacy => "library.children_same_privacy",
            Self::GuardianConsentToCollect => "library.guardian_consent_to_collect",
            Self::ChildDisplayName => "library.child_display_name",
            Self::LastFourDigits => "library.last_four_digits",
            Self::PartialContact => "library.partial_contact",
            Self::ShortestTimePossible => "library.retention.shortest",
            Self::CheckoutHistoryAtReturn => "library.retention.checkout_at_return",
            Self::CheckoutHistoryOptIn => "library.retention.checkout_opt_in",
            Self::ChargesUntilSettled => "library.retention.charges_until_settled",
            Self::RecordInUse => "library.retention.in_use",
            Self::SearchCostCharged => "library.search_cost_charged",
            Self::OptedOutOfUse => "library.use_opted_out",
            Self::UseNotInPolicy => "library.use_not_in_policy",
        }
    }

    /// The rule in words, with the source it comes from.
    pub const fn text(self) -> &'static str {
        match self {
            Self::Mo182815LibraryRecord => "RSMo 182.815(5): a library record identifies a person as having requested, used or borrowed library material; non-identifying material kept to study circulation in general is not one",
            Self::Mo182817ReleaseOnlyAsListed => "RSMo 182.817.1: no library, employee, agent or contracted third party may release a library record except on the patron's written request or consent, or under a court order",
            Self::Mo182817WrittenRequest => "RSMo 182.817.1(1): released in response to a written request of the person identified in the record, by the library's procedures and forms giving written consent",
            Self::Mo182817CourtOrder => "RSMo 182.817.1(2): released only under an order of a court of competent jurisdiction finding disclosure necessary to protect public safety or to prosecute a crime",
            Self::Mo182817ContractedThirdParty => "RSMo 182.817.1: a third party contracted by the library that receives, transmits, maintains or stores library records is bound as the library is",
            Self::Ks45221Exempt => "K.S.A. 45-221(a)(23): library patron and circulation records which pertain to identifiable individuals are not required to be disclosed; the library discloses them only as its policy provides",
            Self::Nc12518LibraryRecord => "G.S. 125-18(2): a library record identifies a person as having requested or obtained specific information or materials; non-identifying material kept to study circulation in general is not one",
            Self::Nc12519NoDisclosure => "G.S. 125-19(a): a library shall not disclose a record identifying a person as having requested or obtained materials, information or services, except as subsection (b) provides",
            Self::Nc12519Operations => "G.S. 125-19(b)(1): disclosed when necessary for the reasonable operation of the library",
            Self::Nc12519WrittenConsent => "G.S. 125-19(b)(2): disclosed upon the written consent of the user",
            Self::Nc12519LegalProcess => "G.S. 125-19(b)(3): disclosed pursuant to subpoena, court order, or where otherwise required by law",
            Self::AlaEthicsIII => "ALA Code of Ethics, article III: we protect each library user's right to privacy and confidentiality with respect to information sought or received and resources consulted, borrowed, acquired or transmitted",
            Self::AlaGoodCause => "ALA Policy on Confidentiality of Library Records: released only under legal process after a proper showing of good cause in a court of competent jurisdiction",
            Self::AggregatesNotRecords => "Library policy: statistics that do not identify individual users are not library records",
            Self::PatronOwnRecords => "Library policy: patrons may see the personally identifiable information and records the library holds about them",
            Self::PatronWrittenConsent => "Library policy: disclosed with the patron's written consent, for the records it names, until it expires or is revoked",
            Self::CustodianDecides => "Library policy: only the custodian of records (the director or a designated alternate) may decide a request for library records",
            Self::InformalDemandRefused => "Library policy: a subpoena, an agency's letter or a request by phone without a court order is refused",
            Self::LibraryRequiresCourtOrder => "Library policy: this library answers legal process only under a court order, not a subpoena alone",
            Self::EmergencyImminentDanger => "Library policy: staff may act at once to protect users and staff, including telling law enforcement, when danger is imminent; the custodian is notified",
            Self::LibraryDisabledBasis => "Library policy: this library does not disclose on this basis, though its statute would allow it",
            Self::LibraryOperations => "Library policy: staff use library records only within the library's confidential business and state a purpose for each read",
            Self::VendorContract => "Library policy: a contracted vendor is bound by the library's confidentiality rules and sees only the fields its contract grants, while the contract runs",
            Self::GuardianOfMinor => "Library policy: a parent or guardian may see the records of a child below the library's age for guardian consent",
            Self::ChildrenSamePrivacy => "Library policy: children are afforded the same privacy and confidentiality in their use of the library as adults",
            Self::GuardianConsentToCollect => "Library policy: a parent or guardian gives online or written consent before personal information is collected from a child below the library's age",
            Self::ChildDisplayName => "Library policy: a child is shown publicly only as the library's policy says: by first name alone, or by first name and last initial",
            Self::LastFourDigits => "Library policy: card numbers are revealed only as their last four digits",
            Self::PartialContact => "Library policy: email addresses and phone numbers are shown only partially outside the patron's own account",
            Self::ShortestTimePossible => "Library policy: personally identifiable information is retained for the shortest length of time possible",
            Self::CheckoutHistoryAtReturn => "Library policy: a loan is unlinked from the patron at return unless the patron turned checkout history on",
            Self::CheckoutHistoryOptIn => "Library policy: the patron turned checkout history on and may turn it off at any time",
            Self::ChargesUntilSettled => "Library policy: a record of charges owed stays linked until settled and is unlinked once settled",
            Self::RecordInUse => "Library policy: a record still in use (an open loan, an upcoming event, an active card) stays linked",
            Self::SearchCostCharged => "Library policy: the cost of any search through patron records, even under court order, is charged to the entity demanding it",
            Self::OptedOutOfUse => "Library policy: a patron may opt out of any optional use of their data the policy names, and is then left out of it",
            Self::UseNotInPolicy => "Library policy: patrons' data is used only for the optional uses the published policy names",
        }
    }

    /// The clause with this audit-log code, if any.
    pub fn from_code(code: &str) -> Option<Clause> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

// Written by hand because `Serialize` is: an object of the code and its text.
impl utoipa::PartialSchema for Clause {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let code = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "The clause's stable code, as the audit log stores it.",
            ))
            .enum_values(Some(Clause::ALL.iter().map(|c| c.code())));
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The rule in one sentence, with its citation."));
        ObjectBuilder::new()
            .description(Some("One rule a decision rests on."))
            .property("code", code)
            .property("text", text)
            .required("code")
            .required("text")
            .into()
    }
}

impl utoipa::ToSchema for Clause {}

impl Serialize for Clause {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Clause", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("text", self.text())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = HashSet::new();
        for clause in Clause::ALL {
            assert!(
                seen.insert(clause.code()),
                "duplicate code {}",
                clause.code()
            );
            assert_eq!(Clause::from_code(clause.code()), Some(clause));
        }
        assert_eq!(Clause::from_code("mo.182.999"), None);
    }

    #[test]
    fn every_text_names_its_source() {
        for clause in Clause::ALL {
            let text = clause.text();
            assert!(
                ["RSMo ", "K.S.A. ", "G.S. ", "ALA ", "Library policy: "]
                    .iter()
                    .any(|p| text.starts_with(p)),
                "{text}"
            );
        }
    }

    #[test]
    fn missouri_court_order_states_the_2014_finding() {
        assert!(Clause::Mo182817CourtOrder.text().contains("public safety"));
        assert!(Clause::Mo182817CourtOrder
            .text()
            .contains("prosecute a crime"));
    }

    #[test]
    fn serializes_code_and_text() {
        let json = serde_json::to_string(&Clause::Nc12519WrittenConsent).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"code":"nc.125-19.b.2","text":"G.S. 125-19(b)(2): disclosed upon the written consent of the user"}"#
        );
    }
}
