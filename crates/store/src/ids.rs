//! Typed ids, so a library id is never passed where an account id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A member library: the tenant.
    LibraryId
);
id_type!(
    /// A sign-in account (the director or a member library's staff).
    AccountId
);

id_type!(
    /// A patron, within their library.
    PatronId
);
id_type!(
    /// A library record (a loan, a hold, an event, …), within its library.
    RecordId
);
id_type!(
    /// A correction, update or deletion request that arrived by email (not an HTTP request).
    MailRequestId
);

impl LibraryId {
    /// The consortium itself, as a scope: the director's own mail requests
    /// live under this id, behind the same scope as any library's.
    pub const CONSORTIUM: LibraryId = LibraryId(0);
}
