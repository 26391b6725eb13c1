//! Every route `resource!` registers, with the scope it sits in, so a test can
//! compare the route table with the OpenAPI document.
//!
//! Recording happens while the app is configured (once per worker): the set
//! only ever holds what the code registers, so it cannot drift from it.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

/// Full path → the methods it takes (lower case, as `resource!` names them).
pub type RouteTable = BTreeMap<String, BTreeSet<&'static str>>;

fn table() -> &'static Mutex<RouteTable> {
    static TABLE: OnceLock<Mutex<RouteTable>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(RouteTable::new()))
}

thread_local! {
    // The prefixes of the scopes being configured on this thread, outermost first.
    static PREFIX: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// Records one resource under the scopes being configured.
pub fn record(path: &str, methods: &[&'static str]) {
    let full = PREFIX.with(|p| p.borrow().concat()) + path;
    let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
    t.entry(full).or_default().extend(methods.iter().copied());
}

/// A `web::scope(prefix)` whose resources, added by `build`, are recorded under `prefix`.
pub fn scope(
    prefix: &'static str,
    build: impl FnOnce(actix_web::Scope) -> actix_web::Scope,
) -> actix_web::Scope {
    PREFIX.with(|p| p.borrow_mut().push(prefix));
    // Scope::configure runs its function at once, so everything `build` adds is recorded now.
    let scope = build(actix_web::web::scope(prefix));
    PREFIX.with(|p| p.borrow_mut().pop());
    scope
}

/// The whole route table of the app, as `startup::configure` registers it.
pub fn routes() -> RouteTable {
    // Configuring an App runs every configure function, recording each resource.
    let _ = actix_web::App::new().configure(crate::startup::configure);
    table().lock().unwrap_or_else(|e| e.into_inner()).clone()
}
