//! The demo consortium seeded on an empty database, so a first start shows something.

use crate::passwords;
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
    let mut creds = Vec::new();
    let mut plan = Vec::new();
    for (slug, _, _) in LIBRARIES {
        plan.push((
            format!("admin of {slug}"),
            format!("admin.{slug}@demo.custodian.test"),
            Some(slug),
        ));
    }
    plan.push((
        "consortium director".to_owned(),
        "director@demo.custodian.test".to_owned(),
        None,
    ));
    // Hash before opening any transaction: hashing is slow and needs no lock.
    let mut hashed = Vec::new();
    for (role, email, slug) in plan {
        let password = passwords::generate();
        let hash = passwords::hash(&password).map_err(SeedError::Hash)?;
        hashed.push((email.clone(), hash, slug));
        creds.push(Credential {
            role,
            email,
            password,
        });
    }
    store.consortium(Access::Write, |c| {
        libraries::set_consortium_name(c, "Demo Library Consortium")?;
        for (slug, name, jurisdiction) in LIBRARIES {
            match libraries::by_slug(c, slug) {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    libraries::create(
                        c,
                        &NewLibrary {
                            slug,
                            name,
                            jurisdiction,
                        },
                    )?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;
    for (email, hash, slug) in &hashed {
        let display = match slug {
            None => "Consortium Director".to_owned(),
            Some(s) => format!("Admin, {s}"),
        };
        let new = NewAccount {
            email,
            display_name: &display,
            password_hash: hash,
            is_director: slug.is_none(),
        };
        match slug {
            None => store.consortium(Access::Write, |c| accounts::upsert(c, &new).map(drop))?,
            Some(slug) => {
                let library = store.consortium(Access::Read, |c| libraries::by_slug(c, slug))?;
                store.write(library.id, |tx| {
                    let account = staff::upsert_account(tx, &new)?;
                    if staff::role_of(tx, account)?.is_none() {
                        staff::add(tx, account, policy::staff::LibraryRole::Admin)?;
                    }
                    Ok::<_, StoreError>(())
                })?;
            }
        }
    }
    Ok(creds)
}

/// Prints the generated sign-ins to the terminal, once.
pub fn print(creds: &[Credential], base_url: &str) {
    println!();
    println!("Demo consortium created. These passwords are shown only now; keep them:");
    for c in creds {
        println!("  {:<26} {:<42} {}", c.role, c.email, c.password);
    }
    println!(
        "Sign in with POST {base_url}/api/v1/auth/sign-in {{\"email\": ..., \"password\": ...}}"
    );
    println!();
}
