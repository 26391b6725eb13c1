//! Configuration: built-in defaults, then an optional `custodian.toml` (or
//! `--config PATH`), then environment variables `CUSTODIAN__SECTION__KEY`.
//!
//! Built once in `main` and passed down; there is no global settings object.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A configured secret: never printed, logged or serialized in clear.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(SecretString);

impl Secret {
    /// The secret's value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(SecretString::from(s.to_owned()))
    }
}

/// Everything custodian can be configured with.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The HTTP server.
    pub server: ServerSettings,
    /// Where custodian keeps its files (the SQLite database, the mail outbox, keys).
    pub data: DataSettings,
    /// The database.
    pub database: DatabaseSettings,
    /// Redis, for shared caches, rate limits and wake-ups; in process when unset.
    pub redis: RedisSettings,
    /// Outgoing and inbound mail.
    pub mail: MailSettings,
    /// Correction requests by email.
    pub requests: RequestSettings,
    /// Logging.
    pub log: LogSettings,
    /// Sign-in and sessions.
    pub auth: AuthSettings,
    /// Demo data.
    pub demo: DemoSettings,
    /// Keys that encrypt patrons' identifying data at rest.
    pub encryption: EncryptionSettings,
    /// The SIP2 listener for vendors.
    pub sip2: Sip2Settings,
    /// Statistics that identify no one (#15).
    pub statistics: StatisticsSettings,
    /// The retention job.
    pub retention: RetentionSettings,
    /// Prometheus metrics for the operator.
    pub metrics: MetricsSettings,
    /// Traces sent over OpenTelemetry.
    pub telemetry: TelemetrySettings,
    /// Signed checkpoints of the audit chains (#19).
    pub audit: AuditSettings,
}

/// `[telemetry]`: traces over OTLP (HTTP/protobuf).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// The collector's OTLP/HTTP base URL, such as `http://otel-collector:4318`
    /// (traces go to `/v1/traces`); unset: `OTEL_EXPORTER_OTLP_ENDPOINT` if set, else no traces.
    pub otlp_endpoint: Option<String>,
}

impl TelemetrySettings {
    /// The traces URL in force, from the setting or the standard variable.
    pub fn traces_url(&self) -> Option<String> {
        let base = self
            .otlp_endpoint
            .clone()
            .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
            .filter(|s| !s.trim().is_empty())?;
        let base = base.trim().trim_end_matches('/');
        Some(if base.ends_with("/v1/traces") {
            base.to_owned()
        } else {
            format!("{base}/v1/traces")
        })
    }
}

/// `[metrics]`: Prometheus text at `/metrics` on a listener of its own.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Address and port of the metrics listener, such as `127.0.0.1:9090`; unset: no metrics.
    pub bind: Option<String>,
}

/// `[audit]`: signed checkpoints of each library's audit chain, kept apart from the database.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// New entries in a library's chain that call for a checkpoint.
    pub checkpoint_every: i64,
    /// The longest time, in hours, between two checkpoints of a chain (made even when nothing happened).
    pub checkpoint_hours: u64,
    /// Seconds between two looks (inside `serve`) whether a checkpoint is due.
    pub checkpoint_look_secs: u64,
    /// The JSON-lines file each checkpoint is appended to (default `data.dir/audit-checkpoints.jsonl`); put it where the database's writer cannot cut it.
    pub checkpoint_file: Option<PathBuf>,
    /// The checkpoints' signing key (32 bytes, base64); unset: a key derived from `encryption.index_key`.
    pub checkpoint_key: Option<Secret>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            checkpoint_every: 1000,
            checkpoint_hours: 24,
            checkpoint_look_secs: 60,
            checkpoint_file: None,
            checkpoint_key: None,
        }
    }
}

/// `[statistics]`: counts per library and day, kept in memory and written in batches.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatisticsSettings {
    /// Whether sign-ins, records and page visits are counted at all.
    pub enabled: bool,
    /// Seconds between writes of the counts in memory to the database.
    pub flush_secs: u64,
}

impl Default for StatisticsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            flush_secs: 5,
        }
    }
}

/// `[retention]`: when the retention job runs by itself.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSettings {
    /// `off` (the default: run it with `custodian retention run --apply`) or
    /// `daily` (inside `serve` and `custodian mail work`, one runner at a time).
    pub schedule: String,
    /// Record ids per batch: each batch (one transaction, one proof of deletion) covers this many consecutive ids.
    pub batch: usize,
    /// Batches run side by side on PostgreSQL (1 to 8; SQLite runs one at a time).
    pub workers: usize,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            schedule: "off".into(),
            batch: custody::retention::DEFAULT_BATCH,
            workers: custody::retention::DEFAULT_WORKERS,
        }
    }
}

impl RetentionSettings {
    /// Whether the job runs by itself every day.
    pub fn daily(&self) -> bool {
        self.schedule == "daily"
    }
}

/// `[sip2]`: the SIP2 listener vendors check patrons on.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sip2Settings {
    /// Address and port of the SIP2 listener, such as `0.0.0.0:6001`; unset: no SIP2.
    pub bind: Option<String>,
    /// Seconds a SIP2 connection may go without a message before it is closed.
    pub idle_secs: u64,
    /// SIP2 connections served at once; more are closed as they arrive.
    pub max_connections: usize,
}

impl Default for Sip2Settings {
    fn default() -> Self {
        Self {
            bind: None,
            idle_secs: 300,
            max_connections: 1024,
        }
    }
}

/// `[encryption]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncryptionSettings {
    /// Encryption keys as `id:base64,id:base64` (32 bytes each); unset generates development keys under `data.dir`.
    pub keys: Option<Secret>,
    /// The id of the key new values are encrypted with; old keys stay listed until re-encrypted.
    pub current_key: Option<String>,
    /// The key of the blind indexes (32 bytes, base64); never rotated without re-indexing.
    pub index_key: Option<Secret>,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on; port 0 picks a free one.
    pub bind: String,
    /// The address people use to reach custodian (behind a proxy); every subcommand's links use it, and start-up warns when it is unset while `bind` is not loopback.
    pub public_url: Option<String>,
    /// Mark cookies `Secure`: set when custodian is served over TLS.
    pub secure_cookies: bool,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds to let requests in flight finish on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Reverse proxies (CIDRs such as `10.0.0.0/8`, or addresses) whose
    /// `X-Forwarded-For` names the client; empty: the peer is the client.
    #[serde(deserialize_with = "string_or_list")]
    pub trusted_proxies: Vec<String>,
}

impl ServerSettings {
    /// Whether cookies carry `Secure`: when asked, and always when `public_url` is https.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            || self.public_url.as_deref().is_some_and(|u| {
                u.get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            })
    }
}

/// A list given as a TOML array or, from the environment, as one comma-separated string.
fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        OneOrMany::Many(v) => v,
    })
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            secure_cookies: false,
            workers: 0,
            shutdown_timeout_secs: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `[data]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSettings {
    /// Directory for the embedded database, the outbox and generated keys.
    pub dir: PathBuf,
}

impl Default for DataSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("./data"),
        }
    }
}

/// `[database]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Serving URL: `sqlite://PATH` or `postgres://APP_ROLE@HOST/DB`. Default: SQLite under `data.dir`.
    pub url: Option<Secret>,
    /// Owner URL for migrations on PostgreSQL; defaults to `url`.
    pub owner_url: Option<Secret>,
    /// The PostgreSQL role `custodian migrate` creates for serving.
    pub app_role: String,
    /// Password `custodian migrate` gives the application role, if any.
    pub app_password: Option<Secret>,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Seconds to wait for a connection before answering 503.
    pub connect_timeout_secs: u64,
    /// Apply pending migrations when `serve` starts (needs the owner's URL on PostgreSQL).
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            owner_url: None,
            app_role: "custodian_app".into(),
            app_password: None,
            pool_size: 10,
            connect_timeout_secs: 5,
            migrate_on_start: true,
        }
    }
}

/// `[redis]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://HOST:PORT/DB`; unset means in-process fallbacks.
    pub url: Option<Secret>,
    /// Prefix of every key custodian writes, so deployments can share one Redis.
    pub key_prefix: String,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: None,
            key_prefix: "custodian:".into(),
        }
    }
}

/// `[mail]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// Sender address of outgoing mail.
    pub from: String,
    /// `smtp://USER:PASS@HOST:PORT` with STARTTLS; unset writes `.eml` files to `outbox_dir`.
    pub smtp_url: Option<Secret>,
    /// Where mail goes as files when there is no SMTP server; default `data.dir/outbox`.
    pub outbox_dir: Option<PathBuf>,
    /// A PEM file of a private CA the SMTP server's certificate is signed by.
    pub smtp_ca_file: Option<PathBuf>,
    /// Seconds to wait for the SMTP server before an attempt counts as failed.
    pub smtp_timeout_secs: u64,
    /// Send each message's content and its closing dot in one write (the way
    /// around lettre's Nagle stall); `false` sends as lettre does, about 22
    /// messages a second a connection, kept only to measure the difference.
    pub smtp_single_write: bool,
    /// Token a mail gateway presents (`Authorization: Bearer …`) to post inbound mail; unset turns the endpoint off.
    pub inbound_token: Option<Secret>,
    /// Largest inbound message accepted, in bytes.
    pub inbound_max_bytes: usize,
    /// Delivery threads inside `custodian serve`; 0 leaves delivery to `custodian mail work`.
    pub workers: usize,
    /// Attempts before a message is dead-lettered.
    pub max_attempts: i32,
    /// First retry delay in seconds; each later one doubles (with jitter).
    pub retry_base_secs: u64,
    /// Longest delay between attempts, in seconds.
    pub retry_cap_secs: u64,
    /// Seconds a worker holds a claimed message before another may take it.
    pub lease_secs: u64,
    /// Seconds between outbox polls when no wake-up arrives.
    pub poll_secs: u64,
    /// Messages each delivery thread sends at once, each on its own SMTP connection (kept open).
    pub parallel: usize,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "custodian@localhost".into(),
            smtp_url: None,
            outbox_dir: None,
            smtp_ca_file: None,
            smtp_timeout_secs: 30,
            smtp_single_write: true,
            inbound_token: None,
            inbound_max_bytes: 25 * 1024 * 1024,
            workers: 1,
            max_attempts: 8,
            retry_base_secs: 30,
            retry_cap_secs: 6 * 3600,
            lease_secs: 300,
            poll_secs: 2,
            parallel: 8,
        }
    }
}

/// `[requests]`: correction requests that arrive by email.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestSettings {
    /// Days a request has before it is due.
    pub due_days: i64,
    /// Days a confirmation link works before the request lapses.
    pub confirm_days: i64,
    /// Hours after which an unconfirmed request gets its one reminder.
    pub remind_after_hours: i64,
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            due_days: 30,
            confirm_days: 7,
            remind_after_hours: 72,
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log collectors.
    pub format: String,
    /// A tracing filter such as `info` or `info,store=debug`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

/// `[auth]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// How long a sign-in lasts, in hours.
    pub session_hours: u32,
    /// A sign-in unused for this many minutes ends (staff and patrons alike).
    pub idle_minutes: u32,
    /// Failed sign-ins allowed per account within the window.
    pub failures_per_account: u32,
    /// Failed sign-ins allowed per client address within the window.
    pub failures_per_address: u32,
    /// The throttling window, in seconds.
    pub failure_window_secs: u64,
    /// Password hashes computed at once (each takes 19 MiB); 0 means one per core.
    pub hash_concurrency: usize,
    /// Sign-ins and password changes that may wait for a hashing slot; more get 503.
    pub hash_queue: usize,
    /// Hours a patron's link confirming a new email address works.
    pub email_confirm_hours: u32,
}

impl AuthSettings {
    /// How long a session may go unused before it ends.
    pub fn idle(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.idle_minutes))
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_hours: 12,
            idle_minutes: 30,
            failures_per_account: 5,
            failures_per_address: 20,
            failure_window_secs: 900,
            hash_concurrency: 0,
            hash_queue: 64,
            email_confirm_hours: 48,
        }
    }
}

/// `[demo]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSettings {
    /// Seed a demo consortium when `serve` starts on an empty database.
    pub seed_on_empty: bool,
    /// Demo patrons (with their records) seeded per library; 0 seeds none.
    pub patrons: usize,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            seed_on_empty: true,
            patrons: custody::demo::PATRONS_PER_LIBRARY,
        }
    }
}

/// A setting that cannot be used, with what was expected.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file or environment could not be read or does not fit the settings' shape.
    #[error("configuration error: {0}")]
    Load(String),
    /// A value was read but is not acceptable.
    #[error("configuration error: {key}: {expected}")]
    Invalid {
        /// The setting, as `section.key`.
        key: &'static str,
        /// What it should be.
        expected: String,
    },
}

impl Settings {
    /// Reads defaults, then the file (the given path, or `custodian.toml` if present), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, SettingsError> {
        use config::{Config, Environment, File, FileFormat};
        let file = match path {
            Some(p) => File::from(p).format(FileFormat::Toml).required(true),
            None => File::new("custodian.toml", FileFormat::Toml).required(false),
        };
        let loaded = Config::builder()
            .add_source(file)
            .add_source(
                Environment::with_prefix("CUSTODIAN")
                    .prefix_separator("__")
                    .separator("__")
                    // Values stay strings until a setting's type asks for a
                    // number: parsing first would turn a password "007" into 7.
                    .try_parsing(false),
            )
            .build()
            .and_then(|c| c.try_deserialize::<Settings>())
            .map_err(|e| SettingsError::Load(e.to_string()))?;
        loaded.validate()?;
        Ok(loaded)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |key, expected: String| Err(SettingsError::Invalid { key, expected });
        if self.server.bind.parse::<SocketAddr>().is_err() {
            return invalid(
                "server.bind",
                format!(
                    "expected an address and port such as 127.0.0.1:8080, got {:?}",
                    self.server.bind
                ),
            );
        }
        if let Some(url) = &self.server.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return invalid(
                    "server.public_url",
                    format!("expected a URL starting with http:// or https://, got {url:?}"),
                );
            }
        }
        if let Err(bad) = crate::client_ip::parse_cidrs(&self.server.trusted_proxies) {
            return invalid(
                "server.trusted_proxies",
                format!(
                    "expected CIDRs such as 10.0.0.0/8 or addresses such as 192.0.2.7, got {bad:?}"
                ),
            );
        }
        if !matches!(self.retention.schedule.as_str(), "off" | "daily") {
            return invalid(
                "retention.schedule",
                format!(
                    "expected \"off\" or \"daily\", got {:?}",
                    self.retention.schedule
                ),
            );
        }
        if !(1..=1_000_000).contains(&self.retention.batch) {
            return invalid(
                "retention.batch",
                format!(
                    "expected a number of record ids per batch from 1 to 1000000, got {}",
                    self.retention.batch
                ),
            );
        }
        if !(1..=custody::retention::MAX_WORKERS).contains(&self.retention.workers) {
            return invalid(
                "retention.workers",
                format!(
                    "expected a number of batches side by side from 1 to {}, got {}",
                    custody::retention::MAX_WORKERS,
                    self.retention.workers
                ),
            );
        }
        if self.retention.workers >= self.database.pool_size as usize {
            return invalid(
                "retention.workers",
                format!(
                    "expected fewer than database.pool_size ({}), since each batch side by side \
                     holds a connection and requests need theirs, got {}",
                    self.database.pool_size, self.retention.workers
                ),
            );
        }
        if self.audit.checkpoint_every < 1 || self.audit.checkpoint_hours < 1 {
            return invalid(
                "audit.checkpoint_every",
                format!(
                    "expected at least 1 entry and 1 hour between checkpoints, got {} and {}",
                    self.audit.checkpoint_every, self.audit.checkpoint_hours
                ),
            );
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return invalid(
                "log.format",
                format!("expected \"text\" or \"json\", got {:?}", self.log.format),
            );
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return invalid(
                "log.level",
                format!(
                    "expected a level such as info, debug or warn, got {:?}",
                    self.log.level
                ),
            );
        }
        if let Err(e) = store::DbUrl::parse(self.database_url().expose()) {
            return invalid("database.url", e.to_string());
        }
        if let Some(owner) = &self.database.owner_url {
            if let Err(e) = store::DbUrl::parse(owner.expose()) {
                return invalid("database.owner_url", e.to_string());
            }
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size", "expected at least 1".into());
        }
        if let Some(url) = &self.redis.url {
            let u = url.expose();
            if !(u.starts_with("redis://")
                || u.starts_with("rediss://")
                || u.starts_with("redis+unix://"))
            {
                return invalid(
                    "redis.url",
                    "expected a URL starting with redis:// or rediss://".into(),
                );
            }
        }
        if self.encryption.keys.is_some() || self.encryption.index_key.is_some() {
            if let Err(e) = self.configured_keyring() {
                return invalid("encryption.keys", e);
            }
        }
        if let Err(e) = self.mail.from.parse::<lettre::message::Mailbox>() {
            return invalid(
                "mail.from",
                format!("expected an address such as \"Consortium <director@example.org>\": {e}"),
            );
        }
        if let Some(url) = &self.mail.smtp_url {
            let u = url.expose();
            if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                return invalid(
                    "mail.smtp_url",
                    "expected smtp://USER:PASS@HOST:587?tls=required (STARTTLS) or smtps://USER:PASS@HOST:465".into(),
                );
            }
        }
        if let Some(ca) = &self.mail.smtp_ca_file {
            if !ca.is_file() {
                return invalid(
                    "mail.smtp_ca_file",
                    format!("no such file: {}", ca.display()),
                );
            }
        }
        if let Some(token) = &self.mail.inbound_token {
            if token.expose().len() < 24 {
                return invalid(
                    "mail.inbound_token",
                    "expected at least 24 characters (a long random token)".into(),
                );
            }
        }
        for (name, value) in [
            ("mail.max_attempts", i64::from(self.mail.max_attempts)),
            ("mail.poll_secs", self.mail.poll_secs as i64),
            ("mail.lease_secs", self.mail.lease_secs as i64),
            ("mail.parallel", self.mail.parallel as i64),
            ("mail.smtp_timeout_secs", self.mail.smtp_timeout_secs as i64),
            ("requests.due_days", self.requests.due_days),
            ("requests.confirm_days", self.requests.confirm_days),
            (
                "requests.remind_after_hours",
                self.requests.remind_after_hours,
            ),
        ] {
            if value < 1 {
                return invalid(name, format!("expected at least 1, got {value}"));
            }
        }
        if self.requests.remind_after_hours >= self.requests.confirm_days.saturating_mul(24) {
            return invalid(
                "requests.remind_after_hours",
                format!(
                    "the reminder must go out before the confirmation link expires (requests.confirm_days = {}, i.e. {} hours); got {}",
                    self.requests.confirm_days,
                    self.requests.confirm_days.saturating_mul(24),
                    self.requests.remind_after_hours
                ),
            );
        }
        if self.auth.email_confirm_hours == 0 {
            return invalid("auth.email_confirm_hours", "expected at least 1".into());
        }
        if self.auth.session_hours == 0 {
            return invalid("auth.session_hours", "expected at least 1".into());
        }
        if self.auth.idle_minutes == 0 {
            return invalid("auth.idle_minutes", "expected at least 1".into());
        }
        if let Some(url) = self.telemetry.traces_url() {
            if !url.starts_with("http://") {
                return invalid(
                    "telemetry.otlp_endpoint",
                    format!("expected an http:// URL such as http://otel-collector:4318 (a collector beside custodian; TLS to a remote one is the collector's job), got {url:?}"),
                );
            }
        }
        if let Some(bind) = &self.metrics.bind {
            if bind.parse::<SocketAddr>().is_err() {
                return invalid(
                    "metrics.bind",
                    format!("expected an address and port such as 127.0.0.1:9090, got {bind:?}; leave it unset to turn metrics off"),
                );
            }
        }
        if let Some(bind) = &self.sip2.bind {
            if bind.parse::<SocketAddr>().is_err() {
                return invalid(
                    "sip2.bind",
                    format!("expected an address and port such as 0.0.0.0:6001, got {bind:?}; leave it unset to turn SIP2 off"),
                );
            }
        }
        if self.sip2.idle_secs == 0 {
            return invalid("sip2.idle_secs", "expected at least 1".into());
        }
        if self.sip2.max_connections == 0 {
            return invalid("sip2.max_connections", "expected at least 1".into());
        }
        if self.auth.failures_per_account == 0 || self.auth.failures_per_address == 0 {
            return invalid(
                "auth.failures_per_account",
                "expected at least 1 (and auth.failures_per_address too)".into(),
            );
        }
        Ok(())
    }

    /// The serving database URL, defaulting to SQLite under the data directory.
    pub fn database_url(&self) -> Secret {
        match &self.database.url {
            Some(u) => u.clone(),
            None => Secret::from(
                format!("sqlite://{}", self.data.dir.join("custodian.db").display()).as_str(),
            ),
        }
    }

    /// The URL migrations run with: the owner's, or the serving URL.
    pub fn migration_url(&self) -> Secret {
        self.database
            .owner_url
            .clone()
            .unwrap_or_else(|| self.database_url())
    }

    /// The key ring from `[encryption]`, when keys are configured.
    pub fn configured_keyring(&self) -> Result<store::encryption::Keyring, String> {
        let (Some(keys), Some(current), Some(index)) = (
            &self.encryption.keys,
            &self.encryption.current_key,
            &self.encryption.index_key,
        ) else {
            return Err(
                "expected keys, current_key and index_key together (keys as id:base64,id:base64)"
                    .into(),
            );
        };
        let pairs = parse_key_list(keys.expose())?;
        store::encryption::Keyring::new(&pairs, current, index.expose()).map_err(|e| e.to_string())
    }

    /// The file audit checkpoints are appended to.
    pub fn checkpoint_file(&self) -> PathBuf {
        self.audit
            .checkpoint_file
            .clone()
            .unwrap_or_else(|| self.data.dir.join("audit-checkpoints.jsonl"))
    }

    /// Where outgoing mail is written as files.
    pub fn outbox_dir(&self) -> PathBuf {
        self.mail
            .outbox_dir
            .clone()
            .unwrap_or_else(|| self.data.dir.join("outbox"))
    }

    /// Where links in mail and on pages point: `server.public_url`, else the bind address
    /// (with `bound_port` when serving on port 0, and loopback for an unspecified host).
    pub fn public_base(&self, bound_port: Option<u16>) -> String {
        if let Some(u) = &self.server.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        match self.server.bind.parse::<SocketAddr>() {
            Ok(addr) => {
                let port = bound_port.unwrap_or(addr.port());
                match addr.ip() {
                    ip if ip.is_unspecified() => format!("http://127.0.0.1:{port}"),
                    std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
                    std::net::IpAddr::V4(ip) => format!("http://{ip}:{port}"),
                }
            }
            Err(_) => format!("http://{}", self.server.bind),
        }
    }

    /// Why links may not reach people: `server.public_url` unset while listening beyond loopback.
    pub fn public_url_warning(&self) -> Option<String> {
        if self.server.public_url.is_some() {
            return None;
        }
        let addr = self.server.bind.parse::<SocketAddr>().ok()?;
        if addr.ip().is_loopback() {
            return None;
        }
        Some(format!(
            "server.public_url is unset and server.bind ({}) is not a loopback address: links in mail point at {}, which people elsewhere may not reach; set server.public_url (CUSTODIAN__SERVER__PUBLIC_URL) to the address people use",
            self.server.bind,
            self.public_base(None)
        ))
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.database.url.is_none() {
            // Show the default the server will really use; it holds no secret.
            shown.database.url = Some(self.database_url());
        }
        let mut text =
            toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render: {e}\n"));
        if self.database.url.is_none() {
            text = text.replacen(
                "url = \"[redacted]\"",
                &format!("url = {:?}", self.database_url().expose()),
                1,
            );
        }
        show_unset(&shown, &text)
    }
}

/// Adds a commented `key = unset` line under its section for every setting TOML leaves out.
fn show_unset(shown: &Settings, text: &str) -> String {
    let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(shown) else {
        return text.to_owned();
    };
    let unset = |section: &str| -> Vec<String> {
        match sections.get(section) {
            Some(serde_json::Value::Object(keys)) => keys
                .iter()
                .filter(|(_, v)| v.is_null())
                .map(|(k, _)| format!("# {k} = unset"))
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut out = String::with_capacity(text.len() + 512);
    let mut seen = Vec::new();
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            seen.push(section.to_owned());
            for l in unset(section) {
                out.push_str(&l);
                out.push('\n');
            }
        }
    }
    for section in sections.keys().filter(|k| !seen.contains(k)) {
        let lines = unset(section);
        if !lines.is_empty() {
            out.push_str(&format!("\n[{section}]\n"));
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
    }
    out
}

/// Parses `id:base64,id:base64`.
pub fn parse_key_list(list: &str) -> Result<Vec<(String, String)>, String> {
    list.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            pair.trim()
                .split_once(':')
                .map(|(id, key)| (id.trim().to_owned(), key.trim().to_owned()))
                .ok_or_else(|| "expected id:base64 pairs separated by commas".to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_embedded() {
        let s = Settings::default();
        s.validate().unwrap();
        assert!(s.database_url().expose().starts_with("sqlite://"));
        assert_eq!(s.server.bind, "127.0.0.1:8080");
    }

    #[test]
    fn secrets_are_redacted() {
        let mut s = Settings::default();
        s.database.url = Some(Secret::from("postgres://app:hunter2@db/custodian"));
        let shown = s.redacted_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_from_the_environment_stay_as_written() {
        // Environment variables are process-wide; this key is used by no other test.
        std::env::set_var("CUSTODIAN__DATABASE__APP_PASSWORD", "007");
        std::env::set_var("CUSTODIAN__DATABASE__POOL_SIZE", "3");
        let s = Settings::load(None);
        std::env::remove_var("CUSTODIAN__DATABASE__APP_PASSWORD");
        std::env::remove_var("CUSTODIAN__DATABASE__POOL_SIZE");
        let s = s.unwrap();
        assert_eq!(s.database.app_password.unwrap().expose(), "007");
        assert_eq!(s.database.pool_size, 3);
    }

    #[test]
    fn unset_settings_are_shown_as_unset() {
        let shown = Settings::default().redacted_toml();
        for key in [
            "public_url",
            "smtp_url",
            "inbound_token",
            "owner_url",
            "keys",
        ] {
            assert!(
                shown.contains(&format!("# {key} = unset")),
                "{key}:\n{shown}"
            );
        }
        assert!(shown.contains("[redis]\n"), "{shown}");
        let parsed: toml::Value = toml::from_str(&shown).unwrap();
        assert!(parsed.get("server").is_some());
    }

    #[test]
    fn public_base_is_one_answer() {
        let mut s = Settings::default();
        assert_eq!(s.public_base(None), "http://127.0.0.1:8080");
        assert_eq!(s.public_base(Some(9000)), "http://127.0.0.1:9000");
        assert!(s.public_url_warning().is_none());
        s.server.bind = "0.0.0.0:8080".into();
        assert_eq!(s.public_base(None), "http://127.0.0.1:8080");
        assert!(s
            .public_url_warning()
            .unwrap()
            .contains("server.public_url"));
        s.server.public_url = Some("https://lib.example.org/".into());
        assert_eq!(s.public_base(Some(1)), "https://lib.example.org");
        assert!(s.public_url_warning().is_none());
    }

    #[test]
    fn trusted_proxies_read_as_a_toml_list_and_https_implies_secure_cookies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("custodian.toml");
        std::fs::write(
            &path,
            "[server]\npublic_url = \"https://library.example.org\"\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path)).unwrap();
        assert_eq!(s.server.trusted_proxies, ["10.0.0.0/8", "::1"]);
        assert!(!s.server.secure_cookies);
        assert!(s.server.cookies_secure());
        let mut plain = Settings::default();
        plain.server.public_url = Some("http://127.0.0.1:8080".into());
        assert!(!plain.server.cookies_secure());
        plain.server.trusted_proxies = vec!["10.0.0.0/99".into()];
        let err = plain.validate().unwrap_err().to_string();
        assert!(
            err.contains("server.trusted_proxies") && err.contains("10.0.0.0/99"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_bind_names_the_setting() {
        let mut s = Settings::default();
        s.server.bind = "nowhere".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("server.bind"), "{err}");
    }

    #[test]
    fn sip2_is_off_by_default_and_a_bad_bind_names_the_setting() {
        let mut s = Settings::default();
        assert!(s.sip2.bind.is_none());
        s.sip2.bind = Some("port 6001".into());
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("sip2.bind") && err.contains("6001"), "{err}");
        s.sip2.bind = Some("127.0.0.1:0".into());
        s.validate().unwrap();
        s.sip2.max_connections = 0;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("sip2.max_connections"), "{err}");
    }

    #[test]
    fn mail_settings_are_checked_one_by_one() {
        let mut s = Settings::default();
        s.mail.lease_secs = 0;
        let err = s.validate().unwrap_err().to_string();
        assert!(
            err.contains("mail.lease_secs") && err.contains("got 0"),
            "{err}"
        );

        let mut s = Settings::default();
        s.requests.confirm_days = 2;
        s.requests.remind_after_hours = 72;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("requests.remind_after_hours"), "{err}");
        assert!(err.contains("48 hours"), "{err}");

        let mut s = Settings::default();
        s.mail.from = "not an address".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("mail.from"), "{err}");
    }
}
