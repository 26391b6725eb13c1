//! The demo consortium's patrons and records: what a first start shows on
//! every patron and records page.
//!
//! Everything goes through the same custody functions the desk and the
//! feeds use (registration with its minors rule, the history choice, the
//! records feed with its retention rule), so the demo shows what those rules
//! really do rather than a hand-made picture of it. Names and card numbers
//! come from a small built-in list, the same on every start.

use crate::actor::{PatronSelf, StaffMember};
use crate::consents::GuardianConsent;
use crate::error::CustodyResult;
use crate::patrons::{self, PinHash, Registration};
use crate::records::{self, Feed};
use crate::values::CardNumber;
use crate::Custody;
use chrono::{Duration, NaiveDateTime, Utc};
use policy::records::RecordKind;

/// How many patrons each demo library gets unless told otherwise.
pub const PATRONS_PER_LIBRARY: usize = 50;

/// Given names the demo patrons are made of.
const GIVEN: [&str; 10] = [
    "Avery", "Jordan", "Morgan", "Riley", "Casey", "Quinn", "Harper", "Rowan", "Emerson", "Sage",
];

/// Family names the demo patrons are made of.
const FAMILY: [&str; 10] = [
    "Fairbanks",
    "Holloway",
    "Lindqvist",
    "Okafor",
    "Castellano",
    "Whitfield",
    "Nakamura",
    "Brennan",
    "Delacroix",
    "Marchetti",
];

/// Titles on the demo loans and holds.
const TITLES: [&str; 6] = [
    "The Prairie Almanac",
    "River Towns of the Midwest",
    "A Field Guide to Birds",
    "Cooking Through the Seasons",
    "The Lighthouse Keeper",
    "Stars for Beginners",
];

/// What one demo library was seeded with.
pub struct Seeded {
    /// The card of the demo patron whose sign-in is printed (an adult).
    pub card: CardNumber,
    /// How many patrons were registered.
    pub patrons: usize,
    /// How many records the feed stored (linked or not).
    pub records: usize,
}

/// The card number of demo patron `i` of library `library`: digits only,
/// unique across the consortium, the same on every start.
pub fn card_number(library: usize, i: usize) -> String {
    format!("29{:03}{:06}", library + 1, i + 1)
}

/// Whether demo patron `i` is the child under 13 (registered with a guardian's consent).
fn is_child(i: usize) -> bool {
    i == 1
}

/// Whether demo patron `i` keeps a checkout history: a few do, most do not.
fn keeps_history(i: usize) -> bool {
    i % 12 == 2
}

/// Registers `count` demo patrons in `who`'s library, all with the one PIN
/// hash given, turns history on for a few, and feeds records of every kind
/// over the last two years through the records feed, so retention applies
/// as it would to a real feed. `library` is the library's position in the
/// demo list, which keeps card numbers unique across the consortium.
pub fn seed_library(
    custody: &Custody,
    who: &StaffMember,
    library: usize,
    count: usize,
    pin: &PinHash,
) -> CustodyResult<Seeded> {
    let today = Utc::now().date_naive();
    let mut registrations = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!(
            "{} {}",
            GIVEN[(i + library) % GIVEN.len()],
            FAMILY[(i / GIVEN.len() + 3 * library) % FAMILY.len()]
        );
        let child = is_child(i);
        let years = if child { 9 } else { 18 + (i * 7) % 60 };
        let birth_date =
            today.checked_sub_signed(Duration::days(365 * years as i64 + (i as i64 % 300)));
        registrations.push((
            Registration {
                card_number: CardNumber::parse(&card_number(library, i))?,
                email: Some(format!(
                    "patron{}@demo.custodian.test",
                    card_number(library, i)
                )),
                name,
                address: Some(format!("{} Main Street", 100 + i)),
                phone: Some(format!("555-01{:02}", i % 100)),
                birth_date,
                guardian: child.then(|| "Pat Guardian, 555-0199".to_owned()),
                guardian_consent: child.then(|| GuardianConsent {
                    given_by: "Pat Guardian (parent)".to_owned(),
                    scope: "registration and contact".to_owned(),
                }),
            },
            pin,
        ));
    }
    // One transaction for the library's patrons: one per patron is most of
    // the seeding's time (every commit is synced to disk).
    let made = patrons::register_many(custody, who, registrations, "demo registrations")?;
    let ids: Vec<_> = made.iter().map(|p| p.id).collect();
    for (i, id) in ids.iter().enumerate() {
        if keeps_history(i) {
            crate::me::set_history(
                custody,
                &PatronSelf {
                    library: who.library.id,
                    patron: *id,
                },
                true,
            )?;
        }
    }
    let now = Utc::now().naive_utc();
    let mut feed = String::new();
    for (i, id) in ids.iter().enumerate() {
        // Each patron gets two kinds, spread so every kind appears, at times
        // spread over the last two years.
        for k in 0..2 {
            let kind = RecordKind::ALL[(2 * i + k) % RecordKind::COUNT];
            let days = ((i * 37 + k * 211) % 720) as i64;
            let occurred = now - Duration::days(days) - Duration::hours(3);
            feed.push_str(&record_line(kind, i, k, *id, occurred, now));
            feed.push('\n');
        }
    }
    let stored = if ids.is_empty() {
        0
    } else {
        let ingested = records::ingest(custody, who, Feed::parse(feed.as_bytes())?)?;
        ingested.ids.len()
    };
    Ok(Seeded {
        card: CardNumber::parse(&card_number(library, 0))?,
        patrons: ids.len(),
        records: stored,
    })
}

/// One feed line for demo patron `i`'s `k`th record.
fn record_line(
    kind: RecordKind,
    i: usize,
    k: usize,
    patron: store::PatronId,
    occurred: NaiveDateTime,
    now: NaiveDateTime,
) -> String {
    let title = TITLES[(i + k) % TITLES.len()];
    // Most things are over; a few loans are still out so the pages show both.
    // Some computer sessions and reference questions are still open too:
    // retention deletes those kinds once they end, so only open ones stay.
    let open = match kind {
        RecordKind::Circulation => i % 5 == 0,
        RecordKind::DigitalUse | RecordKind::ReferenceRequests => i % 3 == 0,
        _ => false,
    };
    let ended = (!open).then(|| (occurred + Duration::days(14)).min(now));
    let (item, status, amount, settled, details) = match kind {
        RecordKind::Circulation => (
            title,
            if open { "out" } else { "returned" },
            None,
            None,
            None,
        ),
        RecordKind::CardRegistration => ("library card", "issued", None, None, None),
        RecordKind::HoldsAndInterlibraryLoans => (title, "filled", None, None, None),
        RecordKind::EventRegistration => ("Saturday story time", "attended", None, None, None),
        RecordKind::ReferenceRequests => (
            "reference desk",
            if open { "open" } else { "answered" },
            None,
            None,
            Some("Asked about local history sources"),
        ),
        RecordKind::Donations => (
            "friends of the library",
            "received",
            Some(2500),
            ended,
            None,
        ),
        RecordKind::DigitalUse => (
            "public computer 3",
            if open { "in use" } else { "ended" },
            None,
            None,
            None,
        ),
        RecordKind::FinesAndPayments => {
            // Every other fine is still owed, so retention keeps it.
            let paid = i % 2 == 0;
            (
                "overdue fine",
                if paid { "paid" } else { "owed" },
                Some(150),
                if paid { ended } else { None },
                None,
            )
        }
    };
    serde_json::json!({
        "kind": kind.as_str(),
        "source": "demo",
        "external_id": format!("demo-{i}-{k}"),
        "occurred_at": rfc3339(occurred),
        "ended_at": ended.map(rfc3339),
        "item": item,
        "branch": "Main",
        "status": status,
        "amount_cents": amount,
        "settled_at": settled.map(rfc3339),
        "details": details,
        "patron_id": patron,
    })
    .to_string()
}

/// A UTC time as the feed format spells it.
fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
