//! The `custodian` command.

use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use store::accounts::{self, NewAccount};
use store::{libraries, Access, StoreError};
use tenant_api::settings::Settings;
use tenant_api::startup::{self, Application};
use tenant_api::{demo, passwords, telemetry};

// Each argon2id hash takes a 19 MiB block. glibc's malloc keeps such blocks in
// per-thread arenas after they are freed, so a burst of sign-ins left the
// process hundreds of megabytes larger for good; mimalloc returns them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// custodian: confidential library records for a library consortium's member libraries.
#[derive(Parser)]
#[command(name = "custodian", version, about, long_about = None)]
struct Cli {
    /// Read settings from this TOML file instead of ./custodian.toml.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Work with the public directory of member libraries.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Inbound mail and the outbox.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
}

#[derive(Subcommand)]
enum MailCommand {
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

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Load outlets from an IMLS Public Libraries Survey CSV
    /// (fscs_id,name,phone,county,location,lat,long); importing again changes nothing.
    Import {
        /// The CSV file.
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Re-compute each library's hash chain and name the first broken link; exits 1 if any is broken.
    Verify {
        /// Check only this library (its slug); default: every library.
        #[arg(long)]
        library: Option<String>,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        Command::Config => {
            print!("{}", settings.redacted_toml());
            Ok(())
        }
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(&settings),
        Command::SeedDemo => seed_demo(&settings),
        Command::Directory {
            command: DirectoryCommand::Import { path },
        } => directory_import(&settings, &path).await,
        Command::Audit {
            command: AuditCommand::Verify { library },
        } => audit_verify(&settings, library.as_deref()),
        Command::Mail {
            command: MailCommand::Ingest { maildir },
        } => mail_ingest(&settings, maildir.as_deref()),
        Command::Mail {
            command: MailCommand::Work { once, threads },
        } => mail_work(&settings, once, threads).await,
        Command::CreateUser {
            email,
            name,
            role,
            library,
            password_stdin,
        } => create_user(
            &settings,
            &email,
            &name,
            &role,
            library.as_deref(),
            password_stdin,
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    telemetry::init(&settings.log);
    let embedded = settings.database.url.is_none();
    let app = Application::build(settings.clone())
        .await
        .map_err(|e| e.to_string())?;
    let url = app.url();
    tracing::info!(%url, backend = if embedded { "sqlite (embedded)" } else { "configured" }, "custodian listening");
    println!("custodian listening on {url}");
    println!("Open {url}/ in a browser. Stop with Ctrl-C.");
    app.run_until_stopped().await.map_err(|e| e.to_string())?;
    tracing::info!("custodian stopped");
    Ok(())
}

fn migrate(settings: &Settings) -> Result<(), String> {
    let applied = startup::migrate(settings).map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for v in &applied {
            println!("applied {v}");
        }
        println!("{} migration(s) applied.", applied.len());
    }
    Ok(())
}

fn seed_demo(settings: &Settings) -> Result<(), String> {
    let store = startup::open_store(settings).map_err(|e| e.to_string())?;
    let creds = demo::seed(&store).map_err(|e| e.to_string())?;
    if let Some(warning) = settings.public_url_warning() {
        eprintln!("warning: {warning}");
    }
    let base = settings.public_base(None);
    demo::print(&creds, &base);
    Ok(())
}

fn create_user(
    settings: &Settings,
    email: &str,
    name: &str,
    role: &str,
    library: Option<&str>,
    password_stdin: bool,
) -> Result<(), String> {
    let role = match (role, library) {
        ("director", None) => None,
        ("director", Some(_)) => {
            return Err("the director belongs to the consortium: omit --library".into())
        }
        (r, Some(_)) => Some(
            r.parse::<policy::staff::LibraryRole>()
                .map_err(|e| format!("--role: {e} or director"))?,
        ),
        (_, None) => return Err("--library SLUG is required for library staff".into()),
    };
    let email = accounts::normalize_email(email);
    if !tenant_api::routes::staff::looks_like_email(&email) {
        return Err("--email: expected an email address such as name@library.org".into());
    }
    let (password, generated) = if password_stdin {
        let mut p = String::new();
        std::io::stdin()
            .read_to_string(&mut p)
            .map_err(|e| format!("reading the password: {e}"))?;
        (p.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (passwords::generate(), true)
    };
    if password.chars().count() < passwords::MIN_LENGTH {
        return Err(format!(
            "the password needs at least {} characters",
            passwords::MIN_LENGTH
        ));
    }
    let hash = passwords::hash(&password)?;
    let store = startup::open_store(settings).map_err(|e| e.to_string())?;
    let new = NewAccount {
        email: &email,
        display_name: name,
        password_hash: &hash,
        is_director: role.is_none(),
    };
    let conflict = |e: StoreError| match e {
        StoreError::Conflict(_) => format!("an account with the email {email} already exists"),
        StoreError::NotFound => format!(
            "there is no library with the slug {:?}",
            library.unwrap_or_default()
        ),
        other => other.to_string(),
    };
    match (role, library) {
        (Some(role), Some(slug)) => {
            let lib = store
                .consortium(Access::Read, |c| libraries::by_slug(c, slug))
                .map_err(conflict)?;
            store
                .write(lib.id, |tx| {
                    let account = store::staff::create_account(tx, &new)?;
                    store::staff::add(tx, account.id, role)?;
                    // Every account given to a library shows in its audit log, whoever made it.
                    let subject = format!("account:{}", account.id.0);
                    store::audit::append(
                        tx,
                        &store::audit::NewEntry {
                            actor: "system:cli",
                            action: "staff.create",
                            subject: &subject,
                            purpose: "",
                            decision: "allow",
                            clause: "custodian.staff.operator",
                            sealed: false,
                        },
                        chrono::Utc::now().naive_utc(),
                    )
                    .map(drop)
                })
                .map_err(conflict)?;
            println!("Created {role} {email} at {slug}.");
        }
        _ => {
            store
                .consortium(Access::Write, |c| accounts::create(c, &new).map(drop))
                .map_err(conflict)?;
            println!("Created consortium director {email}.");
        }
    }
    if generated {
        println!("Password (shown only now): {password}");
    }
    Ok(())
}

fn audit_verify(settings: &Settings, only: Option<&str>) -> Result<(), String> {
    let store = startup::open_store(settings).map_err(|e| e.to_string())?;
    let targets = store
        .consortium(Access::Read, |c| match only {
            Some(slug) => libraries::by_slug(c, slug).map(|l| vec![l]),
            None => {
                let mut all = Vec::new();
                let mut after = None;
                loop {
                    let page = libraries::list(c, after, 500)?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.id);
                    all.extend(page);
                }
                Ok(all)
            }
        })
        .map_err(|e| match e {
            StoreError::NotFound => format!(
                "there is no library with the slug {:?}",
                only.unwrap_or_default()
            ),
            other => other.to_string(),
        })?;
    let mut broken = 0;
    for library in &targets {
        let v = store
            .read(library.id, store::audit::verify)
            .map_err(|e| e.to_string())?;
        match v.first_break {
            None => println!("{}: {} entries, chain intact", library.slug, v.entries),
            Some(b) => {
                broken += 1;
                println!(
                    "{}: BROKEN at entry {} ({}); {} entries read",
                    library.slug, b.seq, b.reason, v.entries
                );
            }
        }
    }
    if broken > 0 {
        return Err(format!(
            "{broken} of {} audit chain(s) are broken",
            targets.len()
        ));
    }
    println!("{} audit chain(s) verified.", targets.len());
    Ok(())
}

async fn directory_import(settings: &Settings, path: &std::path::Path) -> Result<(), String> {
    use std::io::Write;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (outlets, skipped) = directory::import::read(std::io::BufReader::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for s in &skipped {
        eprintln!("line {}: skipped: {}", s.line, s.why);
    }
    let store = startup::open_store(settings).map_err(|e| e.to_string())?;
    let report = directory::import::import(&store, outlets, skipped, |done, total| {
        eprint!("\rimporting outlets: {done}/{total}");
        let _ = std::io::stderr().flush();
    })
    .map_err(|e| e.to_string())?;
    eprintln!();
    for (line, first) in &report.merged {
        println!("line {line}: the same outlet as line {first}; merged");
    }
    println!(
        "{} rows read: {} outlets added, {} updated, {} unchanged, {} repeated rows merged, {} rows skipped.",
        report.rows,
        report.inserted,
        report.updated,
        report.unchanged,
        report.merged.len(),
        report.skipped.len()
    );
    // A server with Redis shares its cache: drop what this import changed. An
    // in-process cache lives in the server and refreshes within its TTL.
    if let (Some(url), false) = (&settings.redis.url, report.changed_ids.is_empty()) {
        let conn = redis::Client::open(url.expose())
            .map_err(|e| format!("redis.url: {e}"))?
            .get_connection_manager()
            .await
            .map_err(|e| format!("redis.url: {e}"))?;
        let service = directory::Directory::new(
            store.clone(),
            std::sync::Arc::new(directory::Cache::redis(conn, &settings.redis.key_prefix)),
            "",
        );
        for id in &report.changed_ids {
            service
                .changed(Some(*id))
                .await
                .map_err(|e| e.to_string())?;
        }
        service.changed(None).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn mailroom(settings: &Settings) -> Result<notifier::Mailroom, String> {
    let store = startup::open_store(settings).map_err(|e| e.to_string())?;
    let (keys, _) = tenant_api::keys::load(settings)?;
    if let Some(warning) = settings.public_url_warning() {
        eprintln!("warning: {warning}");
    }
    let base = settings.public_base(None);
    let waker = tenant_api::mail::waker(settings).map_err(|e| e.to_string())?;
    tenant_api::mail::mailroom(settings, store, keys, &base, waker).map_err(|e| e.to_string())
}

fn mail_ingest(settings: &Settings, maildir: Option<&std::path::Path>) -> Result<(), String> {
    use notifier::requests::Channel;
    let room = mailroom(settings)?;
    let now = || chrono::Utc::now().naive_utc();
    let Some(dir) = maildir else {
        let mut raw = Vec::new();
        std::io::stdin()
            .read_to_end(&mut raw)
            .map_err(|e| format!("reading standard input: {e}"))?;
        let outcome = room
            .ingest(&raw, Channel::Stdin, now())
            .map_err(|e| match e {
                notifier::MailroomError::Unreadable(why) => {
                    format!("refused: {why}; nothing was filed")
                }
                other => other.to_string(),
            })?;
        println!(
            "{}",
            serde_json::to_string(&outcome).map_err(|e| e.to_string())?
        );
        return Ok(());
    };
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let path = dir.join(sub);
        let entries = std::fs::read_dir(&path).map_err(|e| {
            format!(
                "--maildir: cannot read {} ({e}); a Maildir has new/, cur/ and tmp/ folders",
                path.display()
            )
        })?;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push((sub, entry.path()));
            }
        }
    }
    files.sort_by(|a, b| a.1.file_name().cmp(&b.1.file_name()));
    let total = files.len();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut failed = 0usize;
    let mut refused = 0usize;
    let started = std::time::Instant::now();
    for (i, (sub, path)) in files.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = std::fs::read(path)
            .map_err(|e| Err(format!("cannot read it ({e})")))
            .and_then(|raw| {
                room.ingest(&raw, Channel::Maildir, now())
                    .map_err(|e| match e {
                        notifier::MailroomError::Unreadable(why) => Ok(why.to_string()),
                        other => Err(other.to_string()),
                    })
            });
        match result {
            // Not a message: filed nowhere, and moved aside so the next run
            // does not read it again.
            Err(Ok(why)) => {
                refused += 1;
                let aside = dir.join("refused");
                let moved = std::fs::create_dir_all(&aside)
                    .and_then(|()| std::fs::rename(path, aside.join(&name)));
                match moved {
                    Ok(()) => eprintln!("refused: {name}: {why}; moved to refused/"),
                    Err(e) => eprintln!(
                        "refused: {name}: {why}; it could not be moved to refused/ ({e}), so it stays where it is"
                    ),
                }
            }
            Ok(outcome) => {
                *counts.entry(outcome.outcome).or_default() += 1;
                if *sub == "new" {
                    // Maildir: a message that has been read moves to cur/ with the Seen flag.
                    let seen = dir
                        .join("cur")
                        .join(format!("{}:2,S", name.split(':').next().unwrap_or(&name)));
                    if let Err(e) = std::fs::rename(path, &seen) {
                        eprintln!("warning: {name}: taken in, but could not be moved to cur/ ({e}); it will be recognised as a duplicate next time");
                    }
                }
            }
            Err(Err(e)) => {
                failed += 1;
                eprintln!(
                    "error: {name}: {e}; it stays where it is, to be taken in on the next run"
                );
            }
        }
        if (i + 1) % 100 == 0 || i + 1 == total {
            eprintln!(
                "{}/{} messages, {:.1}s: {}{} refused, {} failed",
                i + 1,
                total,
                started.elapsed().as_secs_f64(),
                counts
                    .iter()
                    .map(|(k, v)| format!("{v} {k}, "))
                    .collect::<String>(),
                refused,
                failed
            );
        }
    }
    if total == 0 {
        eprintln!("no messages in {}", dir.display());
    }
    if failed > 0 {
        return Err(format!(
            "{failed} of {total} message(s) could not be taken in (named above)"
        ));
    }
    Ok(())
}

async fn mail_work(settings: &Settings, once: bool, threads: usize) -> Result<(), String> {
    telemetry::init(&settings.log);
    let room = mailroom(settings)?;
    let transport = tenant_api::mail::transport(settings).map_err(|e| e.to_string())?;
    let policy = tenant_api::mail::policy(settings);
    if once {
        let worker = room.worker(transport, policy);
        let (sweep, passes) = actix_web::rt::task::spawn_blocking(move || {
            // Reminders and lapses are due work too, and what they queue goes out now.
            let sweep = room
                .sweep(chrono::Utc::now().naive_utc())
                .map_err(|e| e.to_string())?;
            let mut total = notifier::delivery::Pass::default();
            loop {
                let p = worker.pass().map_err(|e| e.to_string())?;
                total.sent += p.sent;
                total.retrying += p.retrying;
                total.dead += p.dead;
                if p.sent + p.retrying + p.dead == 0 {
                    return Ok::<_, String>((sweep, total));
                }
            }
        })
        .await
        .map_err(|e| e.to_string())??;
        println!(
            "{} sent, {} to retry later, {} dead; {} reminder(s) queued, {} unconfirmed request(s) lapsed",
            passes.sent, passes.retrying, passes.dead, sweep.reminded, sweep.lapsed
        );
        return Ok(());
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handles =
        tenant_api::mail::spawn_workers(&room, transport, policy, threads.max(1), stop.clone());
    eprintln!(
        "delivering the outbox with {} thread(s); stop with Ctrl-C",
        handles.len()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    actix_web::rt::task::spawn_blocking(move || {
        for h in handles {
            let _ = h.join();
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}
