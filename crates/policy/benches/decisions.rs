//! Disclosure decisions per second on a realistic mix of requests: mostly
//! staff at work and patrons looking at their own records, some consents and
//! vendors, a few court orders and refused subpoenas and phone calls, spread
//! over the four jurisdictions.
//!
//! Run: `cargo bench -p policy --bench decisions`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, NaiveDate};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use policy::disclosure::{
    decide, Basis, Consent, DisclosureRequest, LegalProcess, Relation, Requester, VendorGrant,
};
use policy::document::PolicyDocument;
use policy::jurisdiction::{CourtFinding, Jurisdiction};
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use policy::retention::{purge_action, Charge, RecordFacts};
use policy::staff::LibraryRole;

fn bench(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let docs: Vec<(Jurisdiction, PolicyDocument)> = Jurisdiction::ALL
        .iter()
        .map(|j| (*j, PolicyDocument::shipped(*j).unwrap()))
        .collect();
    let consent = Consent {
        written: true,
        recipient: "attorney-7",
        kinds: KindSet::of(&[RecordKind::Circulation]),
        fields: FieldSet::of(&[Field::Name, Field::TitlesBorrowed]),
        signed_on: today - Days::new(10),
        expires_on: today + Days::new(80),
        revoked: false,
    };
    let order = LegalProcess {
        verified_by: Some(LibraryRole::Custodian),
        finding: CourtFinding::GoodCause,
        nondisclosure_order: true,
    };
    let subpoena = LegalProcess {
        verified_by: Some(LibraryRole::Custodian),
        finding: CourtFinding::None,
        nondisclosure_order: false,
    };
    let grant = VendorGrant {
        vendor: "ebooks-inc",
        kinds: KindSet::of(&[RecordKind::CardRegistration, RecordKind::DigitalUse]),
        fields: FieldSet::of(&[Field::CardNumber, Field::Email]),
        starts_on: today - Days::new(100),
        ends_on: today + Days::new(200),
    };
    let identity = FieldSet::of(&[Field::Name, Field::CardNumber, Field::Email]);
    let mut mix: Vec<DisclosureRequest<'_>> = Vec::new();
    for i in 0..100 {
        let r = match i {
            0..=54 => DisclosureRequest {
                requester: Requester::Staff(LibraryRole::Staff),
                requester_id: "account:12",
                relation: Relation::Unrelated,
                kinds: KindSet::of(&[
                    RecordKind::CardRegistration,
                    RecordKind::HoldsAndInterlibraryLoans,
                ]),
                fields: identity,
                basis: Basis::LibraryOperations {
                    purpose: "hold pickup",
                },
            },
            55..=79 => DisclosureRequest {
                requester: Requester::Patron,
                requester_id: "patron:55",
                relation: Relation::Subject,
                kinds: KindSet::all(),
                fields: FieldSet::all(),
                basis: Basis::PatronSelf {
                    identity_verified: true,
                },
            },
            80..=86 => DisclosureRequest {
                requester: Requester::Outside,
                requester_id: "attorney-7",
                relation: Relation::Unrelated,
                kinds: KindSet::of(&[RecordKind::Circulation]),
                fields: FieldSet::of(&[Field::Name, Field::TitlesBorrowed]),
                basis: Basis::WrittenConsent(&consent),
            },
            87..=92 => DisclosureRequest {
                requester: Requester::Vendor,
                requester_id: "ebooks-inc",
                relation: Relation::Unrelated,
                kinds: KindSet::of(&[RecordKind::DigitalUse]),
                fields: FieldSet::of(&[Field::CardNumber]),
                basis: Basis::Vendor(&grant),
            },
            93..=95 => DisclosureRequest {
                requester: Requester::Staff(LibraryRole::Custodian),
                requester_id: "account:3",
                relation: Relation::Unrelated,
                kinds: KindSet::of(&[RecordKind::Circulation]),
                fields: identity.with(Field::TitlesBorrowed),
                basis: Basis::CourtOrder(&order),
            },
            96..=97 => DisclosureRequest {
                requester: Requester::Outside,
                requester_id: "county-sheriff",
                relation: Relation::Unrelated,
                kinds: KindSet::all(),
                fields: FieldSet::all(),
                basis: Basis::Subpoena(&subpoena),
            },
            _ => DisclosureRequest {
                requester: Requester::Outside,
                requester_id: "caller",
                relation: Relation::Unrelated,
                kinds: KindSet::of(&[RecordKind::Circulation]),
                fields: identity,
                basis: Basis::InformalRequest,
            },
        };
        mix.push(r);
    }

    let mut g = c.benchmark_group("policy");
    g.throughput(Throughput::Elements(mix.len() as u64));
    g.bench_function("disclosure_mix_of_100", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (i, r) in mix.iter().enumerate() {
                let (j, doc) = &docs[i % docs.len()];
                if decide(j.profile(), doc, black_box(r), today).is_allowed() {
                    allowed += 1;
                }
            }
            allowed
        })
    });
    let facts: Vec<RecordFacts> = (0..100)
        .map(|i| RecordFacts {
            kind: RecordKind::ALL[i % RecordKind::COUNT],
            linked: i % 10 != 0,
            closed_on: (i % 7 != 0).then(|| today - Days::new(i as u64 * 3)),
            history_opt_in: i % 4 == 0,
            charge: if i % 9 == 0 {
                Charge::Outstanding
            } else {
                Charge::None
            },
        })
        .collect();
    g.bench_function("retention_mix_of_100", |b| {
        b.iter(|| {
            facts
                .iter()
                .filter(|f| purge_action(docs[0].1.schedule(), black_box(f), today).is_due())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
