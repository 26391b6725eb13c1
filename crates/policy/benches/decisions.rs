//! Decisions per second on a realistic mix: mostly staff reads and patrons
//! looking at their own records, some vendor card checks, a few consents and
//! legal requests.

use chrono::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use policy::disclosure::{
    decide, Basis, Consent, LegalProcess, Relation, Request, Requester, VendorGrant,
};
use policy::document::PolicyDocument;
use policy::jurisdiction::{CourtFinding, Jurisdiction};
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use policy::staff::LibraryRole;

fn decisions(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or(NaiveDate::MIN);
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or(NaiveDate::MIN);
    let end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or(NaiveDate::MAX);
    let loans = KindSet::of(&[RecordKind::Circulation]);
    let loan_fields = FieldSet::of(&[Field::Name, Field::CardNumber, Field::TitlesBorrowed]);
    let card = KindSet::of(&[RecordKind::CardRegistration]);
    let card_fields = FieldSet::of(&[Field::CardNumber]);
    let grant = VendorGrant {
        vendor: "ebooks",
        kinds: card,
        fields: card_fields,
        starts_on: start,
        ends_on: end,
    };
    let consent = Consent {
        written: true,
        recipient: "attorney",
        kinds: loans,
        fields: loan_fields,
        signed_on: start,
        expires_on: end,
        revoked: false,
    };
    let order = LegalProcess {
        verified_by: Some(LibraryRole::Custodian),
        finding: CourtFinding::NecessaryToProsecuteCrime,
        nondisclosure_order: true,
    };
    let staff = Request {
        requester: Requester::Staff(LibraryRole::Staff),
        requester_id: "s1",
        relation: Relation::Unrelated,
        kinds: loans,
        fields: loan_fields,
        basis: Basis::LibraryOperations {
            purpose: "overdue notice",
        },
    };
    let patron = Request {
        requester: Requester::Patron,
        requester_id: "p1",
        relation: Relation::Subject,
        kinds: KindSet::all(),
        fields: FieldSet::all(),
        basis: Basis::PatronSelf {
            identity_verified: true,
        },
    };
    let vendor = Request {
        requester: Requester::Vendor,
        requester_id: "ebooks",
        relation: Relation::Unrelated,
        kinds: card,
        fields: card_fields,
        basis: Basis::Vendor(&grant),
    };
    let consented = Request {
        requester: Requester::Outside,
        requester_id: "attorney",
        basis: Basis::WrittenConsent(&consent),
        ..staff
    };
    let court = Request {
        requester: Requester::Outside,
        basis: Basis::CourtOrder(&order),
        ..consented
    };
    let agency = Request {
        basis: Basis::AgencyRequest,
        ..court
    };
    // 10 requests: 4 staff, 3 patron, 1 vendor, 1 consent, 1 legal (alternating court order / agency letter).
    let mix = [
        staff, patron, staff, vendor, patron, staff, consented, patron, staff, court, agency,
    ];
    let mix = &mix[..10];
    let profile = Jurisdiction::Missouri.profile();
    let doc = PolicyDocument::shipped(Jurisdiction::Missouri)
        .unwrap_or_else(|_| PolicyDocument::widest(profile));

    let mut group = c.benchmark_group("disclosure");
    group.throughput(Throughput::Elements(mix.len() as u64));
    group.bench_function("decide_mix_of_10", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for r in mix {
                allowed += u32::from(decide(profile, &doc, black_box(r), today).is_allowed());
            }
            allowed
        })
    });
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
