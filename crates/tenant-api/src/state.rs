//! What every request can reach: the store, the settings, the throttle.

use crate::settings::Settings;
use crate::throttle::Throttle;
use std::sync::Arc;

/// Shared application state, cloned into each worker.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: store::Store,
    /// The effective configuration.
    pub settings: Arc<Settings>,
    /// Failed sign-in counts.
    pub throttle: Arc<Throttle>,
    /// The keys that encrypt patrons' data.
    pub keys: Arc<store::encryption::Keyring>,
    /// The privacy policies in force, per jurisdiction.
    pub policies: Arc<custody::Policies>,
    /// Patrons, records and consents, behind the gate.
    pub custody: custody::Custody,
    /// Redis, when configured (readiness checks it).
    pub redis: Option<redis::aio::ConnectionManager>,
    /// The public directory with its cache (Redis when configured, else in process).
    pub directory: directory::Directory,
    /// Inbound mail, correction requests and the outbox.
    pub mailroom: notifier::Mailroom,
    /// Bounds concurrent password hashing (sign-ins, PIN and password changes, new accounts).
    pub hashing: Arc<crate::hashing::HashGate>,
    /// `server.trusted_proxies`, parsed once at start-up.
    pub trusted_proxies: Arc<Vec<crate::client_ip::Cidr>>,
}
