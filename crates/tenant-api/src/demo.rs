//! The demo consortium seeded on an empty database, so a first start shows something.

use crate::passwords;
use policy::staff::LibraryRole;
use store::accounts::{self, NewAccount};
use store::libraries::{self, NewLibrary};
use store::{staff, Access, Store, StoreError};

/// The five demo member libraries: slug, name, jurisdiction profile.
pub const LIBRARIES: [(&str, &str, &str); 5] = [
    ("riverbend", "Riverbend Public Library", "missouri"),
    ("cedar-county", "Cedar County Library District", "missouri"),
    ("prairie-hills", "Prairie Hills Public Library", "kansas"),
    (
        "blue-ridge",
        "Blue Ridge Regional Library",
        "north_carolina",
    ),
    ("lakeshore", "Lakeshore Community Library", "generic"),
];

/// A generated sign-in, shown once.
pub struct Credential {
    /// Who it is for.
    pub role: String,
    /// Sign-in address.
    pub email: String,
    /// The generated password.
    pub password: String,
}

/// Why seeding did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database already holds libraries.
    #[error("the database already holds member libraries; demo data is only seeded into an empty database")]
    NotEmpty,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Taking in the demo's emailed requests failed.
    #[error("demo emailed requests: {0}")]
    Mail(String),
    /// Seeding the demo directory entries failed.
    #[error("demo directory entries: {0}")]
    Directory(#[from] directory::DirectoryError),
    /// Seeding the demo patrons and records failed.
    #[error("demo patrons and records: {0}")]
    Custody(#[from] custody::CustodyError),
}

/// Whether the database is empty enough to seed: no director yet, and no
/// library but the demo ones (left by a seed that was interrupted).
pub fn should_seed(store: &Store) -> Result<bool, StoreError> {
    store.consortium(Access::Read, |c| {
        if accounts::director_exists(c)? {
            return Ok(false);
        }
        let existing = libraries::list(c, None, 100)?;
        Ok(existing
            .iter()
            .all(|l| LIBRARIES.iter().any(|(slug, _, _)| *slug == l.slug)))
    })
}

/// Seeds the demo consortium. Blocking.
///
/// Resumable: the director is created last and marks the seed complete; a
/// seed interrupted before that is finished by the next start, which gives
/// every account a fresh password (the old ones were never shown).
pub fn seed(store: &Store) -> Result<Vec<Credential>, SeedError> {
    if !should_seed(store)? {
        return Err(SeedError::NotEmpty);
    }
    let mut plan = Vec::new();
    for (slug, _, _) in LIBRARIES {
        plan.push((
            format!("admin of {slug}"),
            format!("admin.{slug}@demo.custodian.test"),
            Some((slug, LibraryRole::Admin)),
        ));
    }
    plan.push((
        "consortium director".to_owned(),
        "director@demo.custodian.test".to_owned(),
        None,
    ));
    // Hash before opening any transaction: hashing is slow and needs no lock.
    let (hashed, creds) = hash_plan(plan)?;
    store.consortium(Access::Write, |c| {
        libraries::set_consortium_name(c, "Demo Library Consortium")?;
        for (slug, name, jurisdiction) in LIBRARIES {
            match libraries::by_slug(c, slug) {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    let library = libraries::create(
                        c,
                        &NewLibrary {
                            slug,
                            name,
                            jurisdiction,
                        },
                    )?;
                    // Every member is in the public directory from its first day.
                    store::directory::ensure_for_library(
                        c,
                        library.id,
                        name,
                        chrono::Utc::now().naive_utc(),
                    )?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;
    add_accounts(store, &hashed)?;
    Ok(creds)
}

/// An account to create: what the output calls it, its address, and its
/// library and role (none for the director).
type Planned = (String, String, Option<(&'static str, LibraryRole)>);

/// An account with its password hashed.
type Hashed = (String, String, Option<(&'static str, LibraryRole)>);

/// Generates and hashes a password for each planned account.
fn hash_plan(plan: Vec<Planned>) -> Result<(Vec<Hashed>, Vec<Credential>), SeedError> {
    let mut creds = Vec::new();
    let mut hashed = Vec::new();
    // Two threads: the hashes are independent and Argon2 is the slow part
    // of every first start.
    let generated: Vec<String> = plan.iter().map(|_| passwords::generate()).collect();
    let hashes: Vec<Result<String, String>> = std::thread::scope(|s| {
        let (a, b) = generated.split_at(generated.len() / 2);
        let first = s.spawn(|| a.iter().map(|p| passwords::hash(p)).collect::<Vec<_>>());
        let mut second: Vec<_> = b.iter().map(|p| passwords::hash(p)).collect();
        let mut all = first
            .join()
            .unwrap_or_else(|_| vec![Err("a hashing thread failed".to_owned()); a.len()]);
        all.append(&mut second);
        all
    });
    for (((role, email, slug), password), hash) in plan.into_iter().zip(generated).zip(hashes) {
        let hash = hash.map_err(SeedError::Hash)?;
        hashed.push((email.clone(), hash, slug));
        creds.push(Credential {
            role,
            email,
            password,
        });
    }
    Ok((hashed, creds))
}

/// Creates the hashed accounts, each in its library with its role.
fn add_accounts(store: &Store, hashed: &[Hashed]) -> Result<(), SeedError> {
    for (email, hash, slug) in hashed {
        let display = match slug {
            None => "Consortium Director".to_owned(),
            Some((s, LibraryRole::Admin)) => format!("Admin, {s}"),
            Some((s, LibraryRole::Staff)) => format!("Staff, {s}"),
            Some((s, LibraryRole::Custodian)) => format!("Custodian of records, {s}"),
        };
        let new = NewAccount {
            email,
            display_name: &display,
            password_hash: hash,
            is_director: slug.is_none(),
        };
        match slug {
            None => store.consortium(Access::Write, |c| accounts::upsert(c, &new).map(drop))?,
            Some((slug, role)) => {
                let library = store.consortium(Access::Read, |c| libraries::by_slug(c, slug))?;
                store.write(library.id, |tx| {
                    let account = staff::upsert_account(tx, &new)?;
                    if staff::role_of(tx, account)?.is_none() {
                        staff::add(tx, account, *role)?;
                    }
                    Ok::<_, StoreError>(())
                })?;
            }
        }
    }
    Ok(())
}

/// One demo patron's sign-in, shown once.
pub struct PatronSignIn {
    /// The library's slug.
    pub slug: String,
    /// The card number.
    pub card: String,
    /// The PIN, in clear: only ever printed to the terminal that seeded it.
    pub pin: String,
}

/// A PIN of six digits, drawn from the OS.
fn generate_pin() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

/// Seeds the demo libraries' patrons (`per_library` each, one a child with a
/// guardian's consent, a few keeping their history) and their records of
/// every kind, through custody's registration and records feed. Blocking.
///
/// Runs right after [`seed`], on libraries without patrons; a library that
/// already has patrons is left as it is. Also adds a staff member and a
/// custodian of records to each library, returning their sign-ins.
pub fn seed_patrons(
    custody: &custody::Custody,
    per_library: usize,
) -> Result<(Vec<Credential>, Vec<PatronSignIn>), SeedError> {
    if per_library == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    // A staff member and a custodian of records per library come with the
    // rich part, not with `seed`: the suites count a demo library's staff.
    let mut plan = Vec::new();
    for (slug, _, _) in LIBRARIES {
        for (what, role) in [
            ("staff", LibraryRole::Staff),
            ("custodian", LibraryRole::Custodian),
        ] {
            let email = format!("{what}.{slug}@demo.custodian.test");
            let known = custody
                .store()
                .consortium(Access::Read, |c| accounts::by_email(c, &email));
            match known {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    plan.push((format!("{what} of {slug}"), email, Some((slug, role))))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let (hashed, creds) = hash_plan(plan)?;
    add_accounts(custody.store(), &hashed)?;
    // Every demo patron shares this one PIN: Argon2 is slow on purpose, and
    // hashing it once instead of 250 times keeps the first start quick.
    let pin = generate_pin();
    let hash = custody::patrons::PinHash::new(passwords::hash(&pin).map_err(SeedError::Hash)?);
    let store = custody.store();
    let mut sign_ins = Vec::new();
    for (i, (slug, _, _)) in LIBRARIES.iter().enumerate() {
        let library = store.consortium(Access::Read, |c| libraries::by_slug(c, slug))?;
        let admin = store.consortium(Access::Read, |c| {
            accounts::by_email(c, &format!("admin.{slug}@demo.custodian.test"))
        })?;
        let who = custody::StaffMember {
            library: library.clone(),
            account: admin.id,
            role: LibraryRole::Admin,
        };
        let card = custody::demo::card_number(i, 0);
        let holder = custody::patron_sessions::card_holder(
            custody,
            slug,
            &custody::CardNumber::parse(&card)?,
        )?;
        if matches!(
            holder,
            custody::patron_sessions::CardHolder::At {
                holder: Some(_),
                ..
            }
        ) {
            continue;
        }
        let seeded = custody::demo::seed_library(custody, &who, i, per_library, &hash)?;
        seed_directory(store, &library, admin.id, i)?;
        sign_ins.push(PatronSignIn {
            slug: (*slug).to_owned(),
            card: seeded.card.into_string(),
            pin: pin.clone(),
        });
    }
    Ok((creds, sign_ins))
}

/// The demo's emailed requests: a demo patron of Riverbend asking for a
/// correction (their library's queue), a patron of two libraries asking for
/// deletion, and one from an address no library knows (triage or the
/// director, as the classifier decides), and one from a member library's
/// public address (the director's inbox), one from another library's public
/// address asking to correct its directory entry (an organizational
/// correction), and one weeks old and overdue. Small RFC 5322 messages, taken in
/// through the mailroom like any other mail, so they are real requests.
/// Returns each request's route (`director`, `library` or `triage`).
pub fn seed_requests(mailroom: &notifier::Mailroom) -> Result<Vec<&'static str>, SeedError> {
    let riverbend = custody::demo::card_number(0, 3);
    let cedar = custody::demo::card_number(1, 4);
    let messages = [
        format!(
            "From: patron{riverbend}@demo.custodian.test\r\nTo: privacy@demo.custodian.test\r\nSubject: Please correct my address\r\nMessage-ID: <demo-1@demo.custodian.test>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nHello, I moved. Please correct the address on my library card to 12 Oak Lane.\r\n"
        ),
        format!(
            "From: patron{cedar}@demo.custodian.test\r\nTo: privacy@demo.custodian.test\r\nSubject: Delete my data\r\nMessage-ID: <demo-2@demo.custodian.test>\r\nDate: Mon, 30 Nov 2026 11:00:00 +0000\r\n\r\nPlease delete my records and close my account.\r\n"
        ),
        // From a member library's public address: the director's inbox.
        "From: info.lakeshore@demo.custodian.test\r\nTo: privacy@demo.custodian.test\r\nSubject: Records request from a former patron\r\nMessage-ID: <demo-4@demo.custodian.test>\r\nDate: Mon, 30 Nov 2026 13:00:00 +0000\r\n\r\nA former patron asks what the consortium holds about them; please advise.\r\n".to_owned(),
        "From: someone@elsewhere.example\r\nTo: privacy@demo.custodian.test\r\nSubject: A question about my records\r\nMessage-ID: <demo-3@demo.custodian.test>\r\nDate: Mon, 30 Nov 2026 12:00:00 +0000\r\n\r\nWhich library holds records about me, and how do I see them?\r\n".to_owned(),
        // An organizational correction: a member library's public address
        // asks to fix its own directory entry (the director's inbox).
        "From: info.blue-ridge@demo.custodian.test\r\nTo: privacy@demo.custodian.test\r\nSubject: Our Saturday hours are wrong in the directory\r\nMessage-ID: <demo-5@demo.custodian.test>\r\nDate: Tue, 1 Dec 2026 09:00:00 +0000\r\n\r\nHello, our opening hours in the library directory are wrong: on Saturdays we now open 10-16. Please correct the entry.\r\n".to_owned(),
    ];
    let now = chrono::Utc::now().naive_utc();
    let mut routes = Vec::new();
    for m in &messages {
        let done = mailroom
            .ingest(m.as_bytes(), notifier::requests::Channel::Stdin, now)
            .map_err(|e| SeedError::Mail(e.to_string()))?;
        routes.extend(done.route);
    }
    // One that came in weeks ago and was never answered: overdue in triage.
    let old = "From: reader@elsewhere.example\r\nTo: privacy@demo.custodian.test\r\nSubject: Who keeps my reading history?\r\nMessage-ID: <demo-6@demo.custodian.test>\r\nDate: Mon, 12 Oct 2026 08:30:00 +0000\r\n\r\nI would like to know which of your libraries keeps my reading history, and for how long.\r\n";
    let done = mailroom
        .ingest(
            old.as_bytes(),
            notifier::requests::Channel::Stdin,
            now - chrono::Duration::days(50),
        )
        .map_err(|e| SeedError::Mail(e.to_string()))?;
    routes.extend(done.route);
    Ok(routes)
}

/// Where the demo libraries are: street, town, ZIP code, latitude, longitude.
const DEMO_PLACES: [(&str, &str, &str, &str, f64, f64); 5] = [
    (
        "100 W Broadway",
        "Columbia",
        "MO",
        "65203",
        38.9517,
        -92.3341,
    ),
    (
        "200 Madison St",
        "Jefferson City",
        "MO",
        "65101",
        38.5767,
        -92.1735,
    ),
    (
        "300 Massachusetts St",
        "Lawrence",
        "KS",
        "66044",
        38.9717,
        -95.2353,
    ),
    ("400 King St", "Boone", "NC", "28607", 36.2168, -81.6746),
    (
        "500 S Franklin St",
        "Kirksville",
        "MO",
        "63501",
        40.1948,
        -92.5833,
    ),
];

/// Gives library `i`'s directory entry hours and services the way a real
/// one gets them: its admin proposes, the director approves. The last demo
/// library also leaves one change pending, for the director's queue.
fn seed_directory(
    store: &Store,
    library: &store::libraries::Library,
    admin: store::AccountId,
    i: usize,
) -> Result<(), SeedError> {
    use directory::moderation::{self, Patch};
    let director = store.consortium(Access::Read, |c| {
        accounts::by_email(c, "director@demo.custodian.test")
    })?;
    // Fictitious addresses in real towns, so a search near a ZIP code or a
    // town finds the members among the survey's outlets.
    let (street, city, state, zip, lat, lon) = DEMO_PLACES[i % DEMO_PLACES.len()];
    let patch = Patch {
        address: Some(street.to_owned()),
        city: Some(city.to_owned()),
        state: Some(state.to_owned()),
        zip: Some(zip.to_owned()),
        latitude: Some(lat),
        longitude: Some(lon),
        phone: Some(format!("573-555-02{i:02}")),
        email: Some(format!("info.{}@demo.custodian.test", library.slug)),
        opening_hours: Some(directory::hours::OpeningHours::parse(
            "Mo-Th 09:00-20:00; Fr,Sa 09:00-17:00; 2026-12-25 closed",
        )?),
        service_tags: Some(
            [
                "wifi",
                "computers",
                "printing",
                "story_time",
                "meeting_rooms",
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        ..Default::default()
    };
    let (change, _) = moderation::submit(store, library, admin, &patch)?;
    moderation::approve(store, change.id, director.id, Some("demo entry"))?;
    if i + 1 == LIBRARIES.len() {
        let pending = Patch {
            hours: Some("Mon-Sat 10-18, Sun 13-17".to_owned()),
            opening_hours: Some(directory::hours::OpeningHours::parse(
                "Mo-Sa 10:00-18:00; Su 13:00-17:00",
            )?),
            ..Default::default()
        };
        moderation::submit(store, library, admin, &pending)?;
    }
    Ok(())
}

/// Prints one demo patron per library, after the staff sign-ins: one line
/// each, `patron  <slug>  card <digits>  PIN <digits>`, which the test
/// harnesses parse. Every demo patron of every library has that same PIN.
pub fn print_patrons(sign_ins: &[PatronSignIn]) {
    if sign_ins.is_empty() {
        return;
    }
    for p in sign_ins {
        println!("patron  {}  card {}  PIN {}", p.slug, p.card, p.pin);
    }
    println!();
}

/// Prints the generated sign-ins to the terminal, once.
pub fn print(creds: &[Credential], base_url: &str) {
    println!();
    println!("Demo consortium created. These passwords are shown only now; keep them:");
    for c in creds {
        println!("  {:<27} {:<44} {}", c.role, c.email, c.password);
    }
    println!("Staff sign in at {base_url}/sign-in; patrons at {base_url}/my/sign-in.");
    println!("Scripts: POST {base_url}/api/v1/auth/sign-in {{\"email\": ..., \"password\": ...}}");
    println!();
}
