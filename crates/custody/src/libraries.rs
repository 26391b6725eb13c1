//! The consortium's member libraries: onboarding one, listing them, and the
//! consortium's security log of refusals — the director's work.

use crate::error::{CustodyError, CustodyResult};
use store::libraries::{self, NewLibrary};
use store::{security_log, Access, Store, StoreError};

pub use store::libraries::Library;
pub use store::security_log::Entry as SecurityLogEntry;
pub use store::LibraryId;

/// The jurisdiction profiles custodian knows.
pub const JURISDICTIONS: [&str; 4] = ["missouri", "kansas", "north_carolina", "generic"];

/// A library to onboard, as the director names it.
pub struct Onboarding<'a> {
    /// 1 to 63 lowercase letters, digits and dashes.
    pub slug: &'a str,
    /// The library's name.
    pub name: &'a str,
    /// One of [`JURISDICTIONS`].
    pub jurisdiction: &'a str,
}

/// Member libraries after id `after`, at most `limit`.
pub fn list(store: &Store, after: Option<LibraryId>, limit: i64) -> CustodyResult<Vec<Library>> {
    Ok(store.consortium(Access::Read, |c| libraries::list(c, after, limit))?)
}

/// Onboards a member library; a slug in use answers [`CustodyError::Conflict`].
pub fn onboard(store: &Store, new: &Onboarding<'_>) -> CustodyResult<Library> {
    if !libraries::valid_slug(new.slug) {
        return Err(CustodyError::Invalid {
            field: "slug",
            detail: "a slug is 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit".into(),
        });
    }
    let name = new.name.trim();
    if name.is_empty() {
        return Err(CustodyError::Invalid {
            field: "name",
            detail: "a library needs a name".into(),
        });
    }
    if !JURISDICTIONS.contains(&new.jurisdiction) {
        return Err(CustodyError::Invalid {
            field: "jurisdiction",
            detail: format!("expected one of {}", JURISDICTIONS.join(", ")),
        });
    }
    store
        .consortium(Access::Write, |c| {
            let library = libraries::create(
                c,
                &NewLibrary {
                    slug: new.slug,
                    name,
                    jurisdiction: new.jurisdiction,
                },
            )?;
            // In the public directory from its first day, in the same transaction.
            store::directory::ensure_for_library(
                c,
                library.id,
                &library.name,
                chrono::Utc::now().naive_utc(),
            )?;
            Ok(library)
        })
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                CustodyError::Conflict("a library with this slug already exists".into())
            }
            other => other.into(),
        })
}

/// The library with this slug; [`CustodyError::NotFound`] when there is none.
pub fn by_slug(store: &Store, slug: &str) -> CustodyResult<Library> {
    Ok(store.consortium(Access::Read, |c| libraries::by_slug(c, slug))?)
}

/// Every member library, in id order.
pub fn all(store: &Store) -> CustodyResult<Vec<Library>> {
    Ok(store.consortium(Access::Read, |c| {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = libraries::list(c, after, 500)?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            all.extend(page);
        }
        Ok::<_, StoreError>(all)
    })?)
}

/// Refusals of callers in libraries they have no standing in, after id `after`, oldest first.
pub fn security_log(
    store: &Store,
    after: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<SecurityLogEntry>> {
    Ok(store.read(LibraryId::CONSORTIUM, |tx| {
        security_log::list(tx, after, limit)
    })?)
}

pub use store::audit::Verification;

/// Re-computes a library's audit chain from the start and names the first broken link.
pub fn verify_audit_chain(store: &Store, library: LibraryId) -> CustodyResult<Verification> {
    Ok(store.read(library, store::audit::verify)?)
}

/// A member library as the director's list shows it.
#[derive(Debug, Clone)]
pub struct Member {
    /// The library.
    pub library: Library,
    /// Its admins (name and address), in the order they were added.
    pub admins: Vec<store::staff::StaffMember>,
    /// Its entry in the public directory, when it has one.
    pub entry_id: Option<i64>,
}

/// [`list`], with each library's admins and directory entry: the director's
/// list of member libraries.
pub fn members(store: &Store, after: Option<LibraryId>, limit: i64) -> CustodyResult<Vec<Member>> {
    let mut out = Vec::new();
    for library in list(store, after, limit)? {
        let admins = store.read(library.id, |tx| {
            Ok::<_, StoreError>(
                store::staff::list(tx, None, 1_000)?
                    .into_iter()
                    .filter(|m| m.role == policy::staff::LibraryRole::Admin)
                    .collect::<Vec<_>>(),
            )
        })?;
        let entry_id = store.consortium(Access::Read, |c| {
            store::directory::by_library(c, library.id).map(|e| e.map(|e| e.id))
        })?;
        out.push(Member {
            library,
            admins,
            entry_id,
        });
    }
    Ok(out)
}
