//! The `custodian` command: parses the command line and dispatches to `tenant_api::cli`.

use clap::Parser;
use std::process::ExitCode;
use tenant_api::cli::{
    self, AuditCommand, Cli, Command, DirectoryCommand, KeysCommand, MailCommand, Outcome,
    PrivacyPolicyCommand, RetentionCommand, VendorsCommand,
};
use tenant_api::settings::Settings;

// Each argon2id hash takes a 19 MiB block. glibc's malloc keeps such blocks in
// per-thread arenas after they are freed, so a burst of sign-ins left the
// process hundreds of megabytes larger for good; mimalloc returns them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    match dispatch(cli.command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command, settings: Settings) -> Outcome {
    match command {
        Command::Config => {
            print!("{}", settings.redacted_toml());
            Ok(())
        }
        Command::Serve => cli::server::serve(settings).await,
        Command::Migrate => cli::server::migrate(&settings),
        Command::SeedDemo => cli::server::seed_demo(&settings),
        Command::Directory {
            command: DirectoryCommand::Import { path },
        } => cli::directory::import(&settings, &path).await,
        Command::Audit {
            command:
                AuditCommand::Verify {
                    library,
                    checkpoints,
                },
        } => cli::audit::verify(&settings, library.as_deref(), checkpoints.as_deref()),
        Command::Audit {
            command: AuditCommand::Checkpoint { library },
        } => cli::audit::checkpoint(&settings, library.as_deref()),
        Command::Retention {
            command:
                RetentionCommand::Run {
                    apply,
                    library,
                    json,
                },
        } => cli::retention::run(&settings, apply, library.as_deref(), json),
        Command::Keys {
            command:
                KeysCommand::Rotate {
                    library,
                    batch,
                    json,
                },
        } => cli::keys::rotate(&settings, library.as_deref(), batch, json),
        Command::Mail {
            command: MailCommand::Ingest { maildir },
        } => cli::mail::ingest(&settings, maildir.as_deref()),
        Command::Vendors {
            command: VendorsCommand::Notify,
        } => cli::vendors::notify(&settings).await,
        Command::PrivacyPolicy {
            command: PrivacyPolicyCommand::Notify,
        } => cli::privacy_policy::notify(&settings).await,
        Command::Mail {
            command: MailCommand::Work { once, threads },
        } => cli::mail::work(&settings, once, threads).await,
        Command::CreateUser {
            email,
            name,
            role,
            library,
            password_stdin,
        } => {
            let user = cli::accounts::NewUser {
                email: &email,
                name: &name,
                role: &role,
                library: library.as_deref(),
                password_stdin,
            };
            cli::accounts::create_user(&settings, &user)
        }
    }
}
