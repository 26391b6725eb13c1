//! Building the application: database, migrations, demo data, Redis, routes, listener.

use crate::error::ApiError;
use crate::routes::{self, resource};
use crate::settings::Settings;
use crate::state::AppState;
use crate::telemetry;
use crate::throttle::Throttle;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use store::{Backend, DbUrl, Store, StoreError};

/// Why custodian could not start; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened, migrated or checked.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// Migrations are pending and serving may not apply them.
    #[error("{0} database migration(s) are pending: run `custodian migrate` with the owner's URL (database.owner_url), or set database.migrate_on_start")]
    Pending(usize),
    /// Redis is configured but does not answer.
    #[error("redis.url: cannot reach Redis ({0}); start it or remove redis.url to use in-process fallbacks")]
    Redis(String),
    /// The address could not be bound.
    #[error("server.bind: cannot listen on {addr} ({why})")]
    Bind {
        /// The configured address.
        addr: String,
        /// The operating system's reason.
        why: std::io::Error,
    },
    /// The mail outbox directory cannot be created.
    #[error("mail.outbox_dir: cannot create {0}")]
    Outbox(String),
    /// The encryption keys are missing or wrong.
    #[error("{0}")]
    Keys(String),
    /// A setting that `Settings::validate` checks, reached unchecked.
    #[error("configuration error: {0}")]
    Setting(String),
    /// A shipped policy document does not load.
    #[error("{0}")]
    Policy(String),
    /// Mail could not be set up.
    #[error(transparent)]
    Mail(#[from] crate::mail::MailSetupError),
    /// Demo seeding failed.
    #[error("demo data: {0}")]
    Seed(#[from] crate::demo::SeedError),
    /// The SIP2 address could not be bound.
    #[error("sip2.bind: cannot listen on {addr} ({why}); change it or unset it to turn SIP2 off")]
    Sip2Bind {
        /// The configured address.
        addr: String,
        /// The operating system's reason.
        why: std::io::Error,
    },
}

/// Opens the serving store, applying migrations as configured.
pub fn open_store(settings: &Settings) -> Result<Store, StartError> {
    let url = DbUrl::parse(settings.database_url().expose())?;
    let timeout = Duration::from_secs(settings.database.connect_timeout_secs.max(1));
    if settings.database.migrate_on_start
        && (url.backend() == Backend::Sqlite || settings.database.owner_url.is_some())
    {
        migrate(settings)?;
    }
    let store = Store::open(&url, settings.database.pool_size, timeout)?;
    store.check_serving_role()?;
    let pending = store.pending_migrations()?;
    if pending > 0 {
        return Err(StartError::Pending(pending));
    }
    Ok(store)
}

/// Applies pending migrations as the owner and (on PostgreSQL) sets up the application role.
pub fn migrate(settings: &Settings) -> Result<Vec<String>, StoreError> {
    let url = DbUrl::parse(settings.migration_url().expose())?;
    let password = settings
        .database
        .app_password
        .as_ref()
        .map(|p| p.expose().to_owned());
    let app_role = (url.backend() == Backend::Postgres)
        .then_some((settings.database.app_role.as_str(), password.as_deref()));
    store::migrations::apply(&url, app_role)
}

/// A built, bound, not yet running application.
pub struct Application {
    server: Server,
    port: u16,
    host: String,
    mail_stop: Arc<std::sync::atomic::AtomicBool>,
    mail_workers: Vec<std::thread::JoinHandle<()>>,
    sip2: Option<crate::sip2::Listener>,
    statistics: crate::visits::Flusher,
    metrics: Option<(actix_web::dev::ServerHandle, std::net::SocketAddr)>,
}

impl Application {
    /// Opens everything and binds the listener; the server runs once awaited.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let settings = Arc::new(settings);
        let store = {
            let settings = settings.clone();
            actix_web::rt::task::spawn_blocking(move || open_store(&settings))
                .await
                .map_err(|e| StartError::Store(StoreError::Unavailable(e.to_string())))??
        };
        let (redis, throttle) = match &settings.redis.url {
            None => (None, Throttle::local()),
            Some(url) => {
                let client = redis::Client::open(url.expose())
                    .map_err(|e| StartError::Redis(e.to_string()))?;
                let manager = client
                    .get_connection_manager()
                    .await
                    .map_err(|e| StartError::Redis(e.to_string()))?;
                (
                    Some(manager.clone()),
                    Throttle::Redis(manager, settings.redis.key_prefix.clone()),
                )
            }
        };
        let (keys, development) = crate::keys::load(&settings).map_err(StartError::Keys)?;
        if development {
            tracing::warn!(
                path = %crate::keys::dev_key_path(&settings).display(),
                "patron data is encrypted with development keys generated under the data directory; configure [encryption] keys for production"
            );
        }
        if let Some(warning) = settings.public_url_warning() {
            tracing::warn!("{warning}");
        }
        let outbox = settings.outbox_dir();
        if settings.mail.smtp_url.is_none() {
            std::fs::create_dir_all(&outbox)
                .map_err(|e| StartError::Outbox(format!("{}: {e}", outbox.display())))?;
        }
        let listener =
            TcpListener::bind(&settings.server.bind).map_err(|why| StartError::Bind {
                addr: settings.server.bind.clone(),
                why,
            })?;
        let local = listener.local_addr().map_err(|why| StartError::Bind {
            addr: settings.server.bind.clone(),
            why,
        })?;
        let directory = directory::Directory::new(
            store.clone(),
            Arc::new(match &redis {
                Some(r) => directory::Cache::redis(r.clone(), &settings.redis.key_prefix),
                None => directory::Cache::local(),
            }),
            // Absolute, so JSON-LD `@id`s and vCard UIDs name this server.
            &base_url(&settings, local.port()),
        );
        let waker = crate::mail::waker(&settings)?;
        let mailroom = crate::mail::mailroom(
            &settings,
            store.clone(),
            keys.clone(),
            &base_url(&settings, local.port()),
            waker,
        )?;
        let transport = crate::mail::transport(&settings)?;
        let keys = Arc::new(keys);
        let policies = Arc::new(custody::Policies::load().map_err(StartError::Policy)?);
        // The mailroom writes the letter telling a patron of an unsealed
        // release and the vendor notices; custody decides when, inside the
        // transaction of what causes them.
        let custody = custody::Custody::new(store.clone(), keys.clone(), policies.clone())
            .with_release_notifier(Arc::new(mailroom.clone()))
            .with_vendor_notifier(Arc::new(mailroom.clone()))
            .with_policy_notifier(Arc::new(mailroom.clone()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut mail_workers = crate::mail::spawn_workers(
            &mailroom,
            transport,
            crate::mail::policy(&settings),
            settings.mail.workers,
            stop.clone(),
            Some(custody.clone()),
        );
        custody.counters().set_enabled(settings.statistics.enabled);
        let statistics = crate::visits::spawn_flusher(
            custody.clone(),
            Duration::from_secs(settings.statistics.flush_secs.max(1)),
        );
        let state = AppState {
            mailroom,
            custody,
            store,
            settings: settings.clone(),
            throttle: Arc::new(throttle),
            keys,
            policies,
            directory,
            redis,
            hashing: Arc::new(crate::hashing::HashGate::new(
                settings.auth.hash_concurrency,
                settings.auth.hash_queue,
            )),
            trusted_proxies: Arc::new(
                crate::client_ip::parse_cidrs(&settings.server.trusted_proxies).map_err(|bad| {
                    StartError::Setting(format!(
                        "server.trusted_proxies: expected CIDRs such as 10.0.0.0/8, got {bad:?}"
                    ))
                })?,
            ),
        };

        if settings.demo.seed_on_empty {
            let store = state.store.clone();
            let custody = state.custody.clone();
            let mailroom = state.mailroom.clone();
            let per_library = settings.demo.patrons;
            let base = base_url(&settings, local.port());
            let seeded = actix_web::rt::task::spawn_blocking(move || {
                if crate::demo::should_seed(&store)? {
                    let creds = crate::demo::seed(&store)?;
                    let patrons = crate::demo::seed_patrons(&custody, per_library)?;
                    if per_library > 0 {
                        crate::demo::seed_requests(&mailroom)?;
                    }
                    Ok::<_, crate::demo::SeedError>(Some((creds, patrons)))
                } else {
                    Ok(None)
                }
            })
            .await
            .map_err(|e| StartError::Store(StoreError::Unavailable(e.to_string())))??;
            if let Some((mut creds, (staff, patrons))) = seeded {
                // The staff and custodians go before the director's line, last.
                let at = creds.len().saturating_sub(1);
                creds.splice(at..at, staff);
                crate::demo::print(&creds, &base);
                crate::demo::print_patrons(&patrons);
            }
        }

        // The daily retention run (after any demo seeding, so its first look
        // sees the libraries) stops and is joined with the mail workers.
        mail_workers.extend(crate::retention::spawn_daily(
            &settings,
            state.custody.clone(),
            stop.clone(),
        ));
        // Signed checkpoints of the audit chains (#19), joined with the mail workers too.
        let checkpoint_key = crate::anchors::keys(&settings, &state.keys)
            .map_err(StartError::Setting)?
            .into_iter()
            .next()
            .ok_or_else(|| StartError::Setting("audit.checkpoint_key: no key".into()))?;
        mail_workers.extend(crate::anchors::spawn(
            &settings,
            state.store.clone(),
            checkpoint_key,
            stop.clone(),
        ));
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let sip2 = start_sip2(&settings, &state).await?;
        let data = web::Data::new(state);
        let metrics = match &settings.metrics.bind {
            None => None,
            Some(bind) => {
                let failed = |why| StartError::Bind {
                    addr: format!("{bind} (metrics.bind)"),
                    why,
                };
                let listener = TcpListener::bind(bind).map_err(failed)?;
                let addr = listener.local_addr().map_err(failed)?;
                let server = crate::metrics::serve(listener, data.clone()).map_err(failed)?;
                let handle = server.handle();
                actix_web::rt::spawn(server);
                Some((handle, addr))
            }
        };
        let server =
            HttpServer::new(move || App::new().app_data(data.clone()).configure(configure))
                .workers(workers)
                .shutdown_timeout(settings.server.shutdown_timeout_secs)
                .listen(listener)
                .map_err(|why| StartError::Bind {
                    addr: settings.server.bind.clone(),
                    why,
                })?
                .run();
        Ok(Application {
            server,
            port: local.port(),
            host: local.ip().to_string(),
            mail_stop: stop,
            mail_workers,
            sip2,
            statistics,
            metrics,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address actually bound: the configured host with the bound port.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// A handle that stops the server from outside (an in-process test
    /// has no SIGTERM to send); `run_until_stopped` then returns.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Where to point a browser.
    pub fn url(&self) -> String {
        format!("http://{}", self.address())
    }

    /// Serves until SIGTERM, SIGINT or a `handle()` stop, letting requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some((metrics, _)) = &self.metrics {
            metrics.stop(true).await;
        }
        // SIP2 stops with the HTTP server, each connection finishing the message in hand.
        if let Some(sip2) = self.sip2 {
            sip2.shutdown().await;
        }
        // Let delivery finish the message in hand; whatever is left stays
        // queued for the next start.
        self.mail_stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let workers = self.mail_workers;
        let statistics = self.statistics;
        let _ = actix_web::rt::task::spawn_blocking(move || {
            for w in workers {
                let _ = w.join();
            }
            // The counts still in memory are written before the process ends.
            statistics.stop();
        })
        .await;
        served
    }

    /// The metrics listener's address, when `metrics.bind` is set.
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().map(|(_, a)| *a)
    }

    /// The SIP2 listener's address, when `sip2.bind` is set.
    pub fn sip2_address(&self) -> Option<std::net::SocketAddr> {
        self.sip2.as_ref().map(crate::sip2::Listener::address)
    }
}

/// Binds and starts the SIP2 listener when `sip2.bind` is set.
async fn start_sip2(
    settings: &Settings,
    state: &AppState,
) -> Result<Option<crate::sip2::Listener>, StartError> {
    let Some(bind) = &settings.sip2.bind else {
        return Ok(None);
    };
    let failed = |why| StartError::Sip2Bind {
        addr: bind.clone(),
        why,
    };
    let listener = crate::sip2::Listener::bind(bind).await.map_err(failed)?;
    let config = crate::sip2::Config {
        idle: Duration::from_secs(settings.sip2.idle_secs),
        max_connections: settings.sip2.max_connections,
        limits: crate::sip2::Limits {
            per_subject: settings.auth.failures_per_account,
            per_address: settings.auth.failures_per_address,
            window: Duration::from_secs(settings.auth.failure_window_secs),
        },
    };
    // The desk answers from custody::vendors, the functions the REST check calls.
    let desk: Arc<dyn crate::sip2::PatronDesk> = Arc::new(
        crate::sip2::custody_desk::CustodyDesk::new(state.custody.clone()),
    );
    crate::sip2::Listener::start(listener, desk, state.throttle.clone(), config)
        .map(Some)
        .map_err(failed)
}

fn base_url(settings: &Settings, port: u16) -> String {
    settings.public_base(Some(port))
}

/// The routes, shared by the server and in-process tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(crate::input::JSON_BODY_LIMIT)
            .error_handler(|err, _| ApiError::Body(body_error(&err)).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        ApiError::Invalid {
            field: "query".into(),
            detail: format!("the query string could not be read: {err}"),
        }
        .into()
    }))
    .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
    .service(
        web::scope("")
            .wrap(from_fn(crate::input::validate))
            .wrap(from_fn(crate::visits::count))
            .wrap(from_fn(routes::web::errors::html_errors))
            .wrap(from_fn(crate::headers::secure))
            .wrap(Compress::default())
            .wrap(from_fn(telemetry::trace_requests))
            .service(resource!("/", get => index))
            .configure(routes::health::configure_root)
            // The public directory first: its cached reads are the busiest
            // requests, and actix tries routes in the order they are registered.
            .service(routes::registry::scope("/api/v1/directory", |s| {
                s.configure(routes::directory::configure_public)
                    .default_service(web::to(not_found))
            }))
            .configure(routes::directory::configure_root)
            .configure(routes::mail::configure_root)
            .configure(routes::me_email::configure_root)
            .configure(routes::web::configure_root)
            .configure(routes::vendors::configure_root)
            .configure(routes::privacy_policy::configure_root)
            .service(resource!("/static/custodian.css", get => crate::headers::stylesheet))
            .configure(routes::api_docs::configure_root)
            .service(routes::registry::scope("/api/v1", |s| {
                s.configure(routes::api_docs::configure)
                    .configure(routes::auth::configure)
                    .configure(routes::directory::configure)
                    .configure(routes::mail::configure)
                    .configure(routes::libraries::configure)
                    .configure(routes::patron_session::configure)
                    .configure(routes::me::configure)
                    .configure(routes::me_records::configure)
                    .configure(routes::patrons::configure)
                    .configure(routes::records::configure)
                    .configure(routes::audit::configure)
                    .configure(routes::staff::configure)
                    .configure(routes::legal::configure)
                    .configure(routes::legal_documents::configure)
                    .configure(routes::vendors::configure)
                    .configure(routes::vendor_api::configure)
                    .configure(routes::legal_report::configure)
                    .configure(routes::legal_settings::configure)
                    .configure(routes::statistics::configure)
                    .configure(routes::retention::configure)
                    .configure(routes::privacy_policy::configure)
                    .configure(routes::exports::configure)
                    .default_service(web::to(not_found))
            }))
            .default_service(web::to(not_found)),
    );
}

fn body_error(err: &actix_web::error::JsonPayloadError) -> String {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::ContentType => "the body must be JSON, sent with Content-Type: application/json".into(),
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            format!("the body is larger than {limit} bytes")
        }
        E::Deserialize(e) if e.is_data() => {
            format!("a field is missing or has the wrong type ({e})")
        }
        E::Deserialize(_) => "the body is not valid JSON".into(),
        _ => "the body could not be read".into(),
    }
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

async fn index() -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type(crate::pages::HTML)
        .body(crate::pages::home::page()?))
}
