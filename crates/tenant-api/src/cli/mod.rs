//! The `custodian` command's subcommands. Each calls the domain crates
//! (custody, directory, notifier) and only prints; `main.rs` parses and dispatches.
//!
//! A command answers `Err` with the sentence printed after `error:`, and the
//! process exits 1.

pub mod accounts;
pub mod audit;
pub mod directory;
pub mod keys;
pub mod mail;
pub mod privacy_policy;
pub mod retention;
pub mod server;
pub mod vendors;

use crate::settings::Settings;
use crate::startup;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// What a command answers: nothing, or the sentence to print after `error:`.
pub type Outcome = Result<(), String>;

/// custodian: confidential library records for a library consortium's member libraries.
#[derive(Parser)]
#[command(name = "custodian", version, about, long_about = None)]
pub struct Cli {
    /// Read settings from this TOML file instead of ./custodian.toml.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server. With no configuration: SQLite under ./data, mail to
    /// ./data/outbox, 127.0.0.1:8080, migrations applied and a demo consortium
    /// seeded on first start.
    Serve,
    /// Apply pending database migrations as the owner (database.owner_url, else
    /// database.url) and, on PostgreSQL, create and grant the application role.
    Migrate,
    /// Seed the demo consortium (five libraries, a director, an admin each) into
    /// an empty database and print the generated passwords once.
    SeedDemo,
    /// Create a sign-in account: the consortium director, or staff of one library.
    CreateUser {
        /// Sign-in email address.
        #[arg(long)]
        email: String,
        /// The name colleagues see.
        #[arg(long)]
        name: String,
        /// director, admin, staff or custodian (custodian of records).
        #[arg(long)]
        role: String,
        /// The library's slug; required for every role but director.
        #[arg(long)]
        library: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print the effective configuration (defaults, file, environment), secrets redacted.
    Config,
    /// Work with the libraries' audit logs.
    Audit {
        /// What to do with them.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Work with the public directory of member libraries.
    Directory {
        /// What to do with it.
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Vendor contracts: the notices they cause.
    Vendors {
        /// What to do.
        #[command(subcommand)]
        command: VendorsCommand,
    },
    /// Privacy policies: the notices of versions that add uses.
    PrivacyPolicy {
        /// What to do.
        #[command(subcommand)]
        command: PrivacyPolicyCommand,
    },
    /// Retention: anonymize or delete records past their library's periods.
    Retention {
        /// What to do.
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Encryption keys: re-seal what is not under the current one.
    Keys {
        /// What to do.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Inbound mail and the outbox.
    Mail {
        /// What to do with it.
        #[command(subcommand)]
        command: MailCommand,
    },
}

/// `custodian mail …`
#[derive(Subcommand)]
pub enum MailCommand {
    /// Take in mail sent to the director: one RFC 5322 message on standard
    /// input, or every message of a Maildir (new/ and cur/; what is taken in
    /// moves from new/ to cur/). A message seen before is not taken in twice.
    Ingest {
        /// A Maildir folder to read instead of standard input.
        #[arg(long)]
        maildir: Option<PathBuf>,
    },
    /// Deliver the outbox until stopped (Ctrl-C or SIGTERM). Several workers,
    /// in several processes, may run at once: none sends a message another has claimed.
    Work {
        /// Queue due reminders, lapse expired requests, deliver what is due now, then exit.
        #[arg(long)]
        once: bool,
        /// Delivery threads in this process.
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
}

/// `custodian vendors …`
#[derive(Subcommand)]
pub enum VendorsCommand {
    /// Queue the contract-end notices due today (a contract ending within 30
    /// days, or ended) to each library's admins and print what was sent; each
    /// notice goes out once. `serve` and `mail work` also do this hourly.
    Notify,
}

/// `custodian privacy-policy …`
#[derive(Subcommand)]
pub enum PrivacyPolicyCommand {
    /// Finish queueing the notice of every version that added uses to each
    /// patron with an email not told yet (after a crash mid-queue); a patron
    /// already told is never told again, so running it twice sends nothing.
    Notify,
}

/// `custodian retention …`
#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Report, per library and kind, the records past their period; nothing
    /// changes unless --apply. Resumable: a run stopped anywhere is finished by the next.
    Run {
        /// Anonymize and delete what is due (default: only count it).
        #[arg(long)]
        apply: bool,
        /// Only this library (its slug); default: every library.
        #[arg(long)]
        library: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `custodian keys …`
#[derive(Subcommand)]
pub enum KeysCommand {
    /// Seal every patron's key again under the current library key
    /// (encryption.current_key), move patron fields from before per-patron
    /// keys under their patron's key, and seal every other value under an
    /// old key again. In batches, each its own transaction; a rerun continues
    /// where a stopped run ended, and does nothing when nothing is left.
    Rotate {
        /// Only this library (its slug); default: every library and the consortium.
        #[arg(long)]
        library: Option<String>,
        /// Values per batch (each batch one transaction).
        #[arg(long, default_value_t = custody::keys::DEFAULT_BATCH)]
        batch: i64,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `custodian directory …`
#[derive(Subcommand)]
pub enum DirectoryCommand {
    /// Load outlets from an IMLS Public Libraries Survey CSV
    /// (fscs_id,name,phone,county,location,lat,long); importing again changes nothing.
    Import {
        /// The CSV file.
        path: PathBuf,
    },
}

/// `custodian audit …`
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Re-compute each library's hash chain, check it against its signed checkpoints (a truncation, a rewritten tail, a forged checkpoint) and name what is wrong; exits 1 if anything is.
    Verify {
        /// Check only this library (its slug); default: every library.
        #[arg(long)]
        library: Option<String>,
        /// Check against the checkpoints in this file (audit.checkpoint_file, as the operator keeps it) instead of the table.
        #[arg(long, value_name = "PATH")]
        checkpoints: Option<PathBuf>,
    },
    /// Make a signed checkpoint of each library's chain now (the file, the log and the table); serve makes them every audit.checkpoint_every entries and daily.
    Checkpoint {
        /// Only this library (its slug); default: every library.
        #[arg(long)]
        library: Option<String>,
    },
}

/// The database the settings name, as every command but `serve` opens it.
fn open_store(settings: &Settings) -> Result<store::Store, String> {
    startup::open_store(settings).map_err(|e| e.to_string())
}

/// "there is no library with the slug …", as every command that takes one says it.
fn no_such_library(slug: Option<&str>) -> String {
    format!(
        "there is no library with the slug {:?}",
        slug.unwrap_or_default()
    )
}
