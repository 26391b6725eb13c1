//! Which queue an inbound request goes to, decided from what is known of its
//! sender. The two look-ups are passed in, so the decision itself is pure
//! (a fuzz target and unit tests drive it without a database) while `ingest`
//! keeps asking the store lazily, in the same order as before.

use store::LibraryId;

/// Where a request is filed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// director, library or triage.
    pub route: &'static str,
    /// The queue it lands in: inbox, library or triage.
    pub queue: &'static str,
    /// The library scopes a request is filed under (the consortium for the director and triage).
    pub scopes: Vec<LibraryId>,
    /// Why, in words that name no one.
    pub reason: &'static str,
}

/// Routes a request: a member library's directory contact goes to the
/// director, a patron of member libraries to each of those libraries, anyone
/// else (or no sender) to triage. `is_contact` is asked first and
/// `patron_of` only when the sender is no contact.
pub fn route<E>(
    sender: Option<&str>,
    is_contact: impl FnOnce(&str) -> Result<bool, E>,
    patron_of: impl FnOnce(&str) -> Result<Vec<LibraryId>, E>,
) -> Result<Routed, E> {
    let triage = |reason| Routed {
        route: "triage",
        queue: "triage",
        scopes: vec![LibraryId::CONSORTIUM],
        reason,
    };
    let Some(address) = sender else {
        return Ok(triage("no sender address to match"));
    };
    if is_contact(address)? {
        return Ok(Routed {
            route: "director",
            queue: "inbox",
            scopes: vec![LibraryId::CONSORTIUM],
            reason: "the sender is a member library's directory contact",
        });
    }
    let libraries = patron_of(address)?;
    if libraries.is_empty() {
        return Ok(triage(
            "the sender is neither a library contact nor a patron",
        ));
    }
    Ok(Routed {
        route: "library",
        queue: "library",
        scopes: libraries,
        reason: "the sender is a patron of a member library",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never<T>(_: &str) -> Result<T, ()> {
        panic!("not to be asked")
    }

    #[test]
    fn no_sender_is_triage_without_asking() {
        let r = route(None, never, never).unwrap();
        assert_eq!((r.route, r.queue), ("triage", "triage"));
        assert_eq!(r.scopes, vec![LibraryId::CONSORTIUM]);
    }

    #[test]
    fn a_contact_goes_to_the_director_without_the_patron_lookup() {
        let r = route(Some("a@b.org"), |_| Ok::<_, ()>(true), never).unwrap();
        assert_eq!((r.route, r.queue), ("director", "inbox"));
    }

    #[test]
    fn a_patron_goes_to_each_library_and_a_stranger_to_triage() {
        let libs = vec![LibraryId::CONSORTIUM];
        let r = route(
            Some("a@b.org"),
            |_| Ok::<_, ()>(false),
            |_| Ok(libs.clone()),
        )
        .unwrap();
        assert_eq!((r.route, r.scopes), ("library", libs));
        let r = route(Some("a@b.org"), |_| Ok::<_, ()>(false), |_| Ok(Vec::new())).unwrap();
        assert_eq!(r.route, "triage");
    }
}
