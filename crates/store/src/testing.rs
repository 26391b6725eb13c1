//! Doors past the tenant scope, for tests only (the `testing` feature, which
//! only testkit turns on): tests that must see or tamper with rows the way an
//! attacker with the database would, or compare what two roles may do.

use crate::connection::DbUrl;
use crate::{Access, DbConn, LibraryId, LibraryTx, Store, StoreError, StoreResult};

/// A raw connection to `url`, outside every scope.
pub fn raw_connection(url: &DbUrl) -> StoreResult<DbConn> {
    url.connect()
}

/// A connection out of `store`'s pool, outside every scope, for tests that
/// check what the serving role itself may do.
pub fn pooled(store: &Store) -> StoreResult<impl std::ops::DerefMut<Target = DbConn>> {
    store.conn()
}

/// Runs `f` scoped to `library` on a raw connection, for tests and benches
/// that compare roles or connections the pool would not hand out.
pub fn scoped<T, E: From<StoreError>>(
    conn: &mut DbConn,
    library: LibraryId,
    access: Access,
    f: impl FnOnce(&mut LibraryTx<'_>) -> Result<T, E>,
) -> Result<T, E> {
    crate::tenant::scoped(conn, library, access, f)
}
