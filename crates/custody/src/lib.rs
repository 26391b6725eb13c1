//! The domain of library records in custody.
//!
//! Everything a member library holds about its patrons passes through here:
//! patrons, their records, consents, and the one [`gate`] that decides a
//! disclosure with the policy crate, records the decision in the library's
//! audit log and acts, all in one transaction. Web pages and the JSON API
//! call the same functions; this crate knows nothing of HTTP.
//!
//! Everything here is blocking, like the store beneath it: callers on an
//! async runtime run it on a blocking thread.

pub mod accounts;
pub mod actor;
pub mod audit;
pub mod consents;
pub mod demo;
pub mod error;
pub mod exports;
pub mod gate;
pub mod keys;
pub mod legal;
pub mod legal_cost;
pub mod legal_documents;
pub mod legal_report;
pub mod libraries;
pub mod me;
pub mod operations;
pub mod patron_sessions;
pub mod patrons;
pub mod policy_form;
pub mod privacy_policy;
pub mod records;
pub mod retention;
pub mod statistics;
pub mod values;
pub mod vendor_notices;
pub mod vendors;

pub use actor::{Actor, PatronSelf, StaffMember, Subject};
pub use error::{CustodyError, CustodyResult};
pub use gate::{Policies, Ruling};
/// A member library, as every custody function names it.
pub use store::libraries::Library;
/// The most items any list returns in one page.
pub use store::MAX_PAGE_LIMIT;
pub use values::{CardNumber, EmailAddress, Purpose};

use std::sync::Arc;
use store::encryption::Keyring;
use store::Store;

/// What every custody function works with: the database, the keys that seal
/// patrons' data, and the policies in force. Cheap to clone.
#[derive(Clone)]
pub struct Custody {
    store: Store,
    keys: Arc<Keyring>,
    policies: Arc<Policies>,
    release_notifier: Option<Arc<dyn legal::ReleaseNotifier>>,
    vendor_notifier: Option<Arc<dyn vendor_notices::VendorNotifier>>,
    policy_notifier: Option<Arc<dyn privacy_policy::PolicyNotifier>>,
    counters: Arc<statistics::Counters>,
}

impl Custody {
    /// Gathers the store, the keyring and the policies.
    pub fn new(store: Store, keys: Arc<Keyring>, policies: Arc<Policies>) -> Self {
        Custody {
            store,
            keys,
            policies,
            release_notifier: None,
            vendor_notifier: None,
            policy_notifier: None,
            counters: Arc::new(statistics::Counters::new(true)),
        }
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The keys that encrypt patrons' data.
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// The policies in force.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// Tells patrons of unsealed legal releases through `notifier` (the
    /// application's mailroom); without one, no patron is told.
    pub fn with_release_notifier(mut self, notifier: Arc<dyn legal::ReleaseNotifier>) -> Self {
        self.release_notifier = Some(notifier);
        self
    }

    /// The statistics counters in memory, not yet flushed.
    pub fn counters(&self) -> &statistics::Counters {
        &self.counters
    }

    /// What tells patrons of unsealed legal releases, if anything does.
    pub fn release_notifier(&self) -> Option<&dyn legal::ReleaseNotifier> {
        self.release_notifier.as_deref()
    }

    /// Sends contract-end and erasure notices through `notifier` (the
    /// application's mailroom); without one, no vendor notice is sent.
    pub fn with_vendor_notifier(
        mut self,
        notifier: Arc<dyn vendor_notices::VendorNotifier>,
    ) -> Self {
        self.vendor_notifier = Some(notifier);
        self
    }

    /// Composes privacy policy notices through `notifier` (the mailroom);
    /// without one, publishing a version that adds uses fails.
    pub fn with_policy_notifier(
        mut self,
        notifier: Arc<dyn privacy_policy::PolicyNotifier>,
    ) -> Self {
        self.policy_notifier = Some(notifier);
        self
    }

    /// What composes privacy policy notices, if anything does.
    pub fn policy_notifier(&self) -> Option<&dyn privacy_policy::PolicyNotifier> {
        self.policy_notifier.as_deref()
    }

    /// What sends vendor notices, if anything does.
    pub fn vendor_notifier(&self) -> Option<&dyn vendor_notices::VendorNotifier> {
        self.vendor_notifier.as_deref()
    }
}
