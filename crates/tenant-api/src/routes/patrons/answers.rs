//! What the staff's patron endpoints answer, serialized as the document describes them.

use serde::Serialize;

/// A patron's file as staff read it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PatronFile {
    /// The record.
    pub patron: custody::me::Patron,
    /// The consents recorded.
    pub consents: Vec<custody::me::ConsentRecord>,
}

/// What merging did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Merged {
    /// The patron kept.
    pub kept: i64,
    /// The duplicate removed.
    pub removed: i64,
    /// Records moved to the kept patron.
    pub records_moved: usize,
}

/// What deleting did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PatronDeleted {
    /// Always true.
    pub deleted: bool,
    /// Records deleted with the patron.
    pub records_deleted: usize,
    /// Records kept without the link, as the policy says.
    pub records_kept_without_link: usize,
    /// Vendors told of the deletion.
    pub vendors_told: usize,
}
