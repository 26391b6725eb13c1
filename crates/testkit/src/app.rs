//! The whole application in this process: `Application::build` on port 0
//! with a temporary data directory, the demo consortium seeded, driven over
//! real HTTP. No binary to start and no stdout to scrape, so a test costs
//! what its requests cost; what only a process shows (signals, the CLI, the
//! log) stays in the black-box suite.

use crate::http::{self, Reply};
use crate::postgres::{postgres_url, redis_url, PgTestDb};
use actix_web::dev::ServerHandle;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tenant_api::settings::{Secret, Settings};
use tenant_api::startup::Application;

/// Which services an application runs with; its name prefixes failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite and in-process fallbacks: the embedded default.
    Sqlite,
    /// PostgreSQL as the application role, and Redis.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres+redis`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres+redis",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every backend this run can reach: SQLite always, PostgreSQL with Redis
/// when `CUSTODIAN_TEST_POSTGRES_URL` and `CUSTODIAN_TEST_REDIS_URL` are set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if postgres_url().is_some() && redis_url().is_some() {
        v.push(Backend::Postgres);
    }
    v
}

/// Runs `body` once per reachable backend; a failure names the backend it
/// happened on, since an assertion's own message rarely does.
pub fn each_backend(body: impl Fn(Backend)) {
    for backend in backends() {
        on_backend(backend, &body);
    }
}

/// Runs `body` on one backend, prefixing a failure with `[backend]`.
pub fn on_backend(backend: Backend, body: impl Fn(Backend)) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(backend)));
    if let Err(cause) = outcome {
        let why = cause
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| cause.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the test panicked".to_owned());
        panic!("[{backend}] {why}");
    }
}

type Configure = Box<dyn FnOnce(&mut Settings) + Send>;

/// How to build a `TestApp`; `TestApp::builder` starts one.
pub struct TestAppBuilder {
    backend: Backend,
    configure: Vec<Configure>,
    libraries: Vec<String>,
}

impl TestAppBuilder {
    /// Changes the settings after the test defaults (data directory, port 0,
    /// database and Redis for the backend) are in place.
    pub fn with_config(mut self, f: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Adds a member library (generic rules) with an admin,
    /// `admin.SLUG@testkit.test`, onboarded by the director through the API.
    pub fn with_library(mut self, slug: &str) -> Self {
        self.libraries.push(slug.to_owned());
        self
    }

    /// Seeds the demo consortium, builds the application and serves it on a
    /// thread of its own until the `TestApp` is dropped.
    pub fn spawn(self) -> TestApp {
        let backend = self.backend;
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut settings = Settings::default();
        settings.data.dir = dir.path().join("data");
        settings.server.bind = "127.0.0.1:0".into();
        settings.server.workers = 2;
        settings.server.shutdown_timeout_secs = 5;
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin = postgres_url().expect("CUSTODIAN_TEST_POSTGRES_URL for postgres");
                let redis = redis_url().expect("CUSTODIAN_TEST_REDIS_URL for postgres+redis");
                let pg = PgTestDb::create(&admin);
                settings.database.url = Some(Secret::from(pg.app_url.as_str()));
                settings.database.owner_url = Some(Secret::from(pg.owner_url.as_str()));
                settings.redis.url = Some(Secret::from(redis.as_str()));
                // Apps share one Redis: a prefix of their own keeps their
                // throttles and caches apart.
                settings.redis.key_prefix = format!(
                    "custodian-test:{}:",
                    dir.path()
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                );
                Some(pg)
            }
        };
        for f in self.configure {
            f(&mut settings);
        }
        let raw_url = match &pg {
            Some(pg) => pg.owner_url.clone(),
            None => settings.database_url().expose().to_owned(),
        };
        // Seed here rather than on start, so the generated passwords come
        // back as values instead of lines on stdout.
        let passwords = seed(&settings);
        let (ready_tx, ready_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        let serving = settings.clone();
        std::thread::Builder::new()
            .name(format!("test-app-{backend}"))
            .spawn(move || {
                let served = actix_web::rt::System::new().block_on(async move {
                    match Application::build(serving).await {
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            Ok(())
                        }
                        Ok(app) => {
                            let _ = ready_tx.send(Ok((app.url(), app.handle())));
                            app.run_until_stopped().await
                        }
                    }
                });
                let _ = done_tx.send(served.map_err(|e| e.to_string()));
            })
            .expect("start the application's thread");
        let (base, handle) = match ready_rx.recv_timeout(Duration::from_secs(90)) {
            Ok(Ok(ready)) => ready,
            Ok(Err(why)) => panic!("[{backend}] the application did not build: {why}"),
            Err(_) => panic!("[{backend}] the application did not build within 90 s"),
        };
        let mut app = TestApp {
            backend,
            base,
            passwords,
            settings,
            raw_url,
            handle,
            done: done_rx,
            _dir: dir,
            _pg: pg,
        };
        for slug in self.libraries {
            app.onboard(&slug);
        }
        app
    }
}

fn seed(settings: &Settings) -> HashMap<String, String> {
    let store = tenant_api::startup::open_store(settings).expect("open the test store");
    tenant_api::demo::seed(&store)
        .expect("seed the demo consortium")
        .into_iter()
        .map(|c| (c.email, c.password))
        .collect()
}

/// A running application in this process; stopped when dropped.
pub struct TestApp {
    /// The backend it runs on.
    pub backend: Backend,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Sign-ins it knows: the demo consortium's and each `with_library` admin's.
    pub passwords: HashMap<String, String>,
    /// The settings it was built with.
    pub settings: Settings,
    /// A connection that reaches past the application (the owner's, or the SQLite file).
    pub raw_url: String,
    handle: ServerHandle,
    done: mpsc::Receiver<Result<(), String>>,
    _dir: tempfile::TempDir,
    _pg: Option<PgTestDb>,
}

impl TestApp {
    /// A builder for an application on `backend`.
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            configure: Vec::new(),
            libraries: Vec::new(),
        }
    }

    /// The demo consortium on `backend`, as it is.
    pub fn spawn(backend: Backend) -> TestApp {
        TestApp::builder(backend).spawn()
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The password of a sign-in this app seeded.
    pub fn password(&self, email: &str) -> String {
        self.passwords
            .get(email)
            .cloned()
            .unwrap_or_else(|| panic!("[{}] no seeded password for {email}", self.backend))
    }

    /// Signs in as staff or the director and returns the bearer token.
    pub fn sign_in(&self, email: &str) -> String {
        let r = http::post(
            &self.url("/api/v1/auth/sign-in"),
            None,
            &json!({"email": email, "password": self.password(email)}),
        );
        assert_eq!(
            r.status, 200,
            "[{}] sign-in of {email}: {:?}",
            self.backend, r.body
        );
        r.body["token"]
            .as_str()
            .expect("a token in the sign-in answer")
            .to_owned()
    }

    /// A client signed in as this staff member (or the director).
    pub fn as_staff(&self, email: &str) -> Client {
        Client {
            base: self.base.clone(),
            token: Some(self.sign_in(email)),
            backend: self.backend,
        }
    }

    /// A client signed in as the patron with this card at `library`.
    pub fn as_patron(&self, library: &str, card: &str, pin: &str) -> Client {
        let r = http::post(
            &self.url(&format!("/api/v1/libraries/{library}/patron/sign-in")),
            None,
            &json!({"card_number": card, "pin": pin}),
        );
        assert_eq!(
            r.status, 200,
            "[{}] patron sign-in at {library}: {:?}",
            self.backend, r.body
        );
        Client {
            base: self.base.clone(),
            token: r.body["token"].as_str().map(str::to_owned),
            backend: self.backend,
        }
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            base: self.base.clone(),
            token: None,
            backend: self.backend,
        }
    }

    /// Where outgoing mail is written, one `.eml` file a message.
    pub fn outbox_dir(&self) -> PathBuf {
        self.settings.outbox_dir()
    }

    /// The mail delivered so far, oldest file name first.
    pub fn mail(&self) -> Vec<Mail> {
        read_outbox(&self.outbox_dir())
    }

    /// Waits until at least `n` messages are delivered, and returns them all.
    pub fn wait_for_mail(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let mail = self.mail();
            if mail.len() >= n {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "[{}] {} message(s) in {} after {timeout:?}, expected {n}",
                self.backend,
                mail.len(),
                self.outbox_dir().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn onboard(&mut self, slug: &str) {
        let director = self.as_staff("director@demo.custodian.test");
        director
            .post(
                "/api/v1/libraries",
                &json!({"slug": slug, "name": slug, "jurisdiction": "generic"}),
            )
            .assert_status(201);
        let email = format!("admin.{slug}@testkit.test");
        let made = director.post(
            &format!("/api/v1/libraries/{slug}/staff"),
            &json!({"email": email, "display_name": format!("Admin, {slug}"), "role": "admin"}),
        );
        made.assert_status(201);
        let password = made.body["initial_password"]
            .as_str()
            .expect("a generated first password")
            .to_owned();
        self.passwords.insert(email, password);
    }
}

impl http::Served for TestApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Not graceful: a finished test has nothing in flight worth waiting for.
        drop(self.handle.stop(false));
        // The server stops at once and then sets the mail workers' stop flag,
        // but they see it only after their poll (seconds); waiting for them
        // made every test that much longer. They end on their own, so give
        // the server a moment and leave the workers behind.
        let _ = self.done.recv_timeout(Duration::from_millis(100));
    }
}

/// One message the application wrote to its outbox.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The file's name.
    pub file: String,
    /// The message as written.
    pub raw: Vec<u8>,
}

impl Mail {
    /// The first header called `name` (any case), decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let message = mail_parser::MessageParser::default().parse(&self.raw)?;
        message
            .header(name)
            .and_then(|h| match h {
                mail_parser::HeaderValue::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .or_else(|| message.header_raw(name).map(|v| v.trim().to_owned()))
    }

    /// The first text part of the body.
    pub fn text(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }
}

fn read_outbox(dir: &Path) -> Vec<Mail> {
    let mut mail: Vec<Mail> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| {
            Some(Mail {
                file: e.file_name().to_string_lossy().into_owned(),
                raw: std::fs::read(e.path()).ok()?,
            })
        })
        .collect();
    mail.sort_by(|a, b| a.file.cmp(&b.file));
    mail
}

/// A client of one `TestApp` holding one caller's session; paths are
/// relative to the app, and every reply names the backend in failures.
pub struct Client {
    base: String,
    token: Option<String>,
    backend: Backend,
}

impl Client {
    /// The bearer token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn named(&self, mut r: Reply) -> Reply {
        r.backend = self.backend.name();
        r
    }

    /// GET `path`.
    pub fn get(&self, path: &str) -> Reply {
        self.named(http::get(&self.url(path), self.token()))
    }

    /// POST a JSON body to `path`.
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.named(http::post(&self.url(path), self.token(), body))
    }

    /// PATCH a JSON body to `path`.
    pub fn patch(&self, path: &str, body: &Value) -> Reply {
        self.named(http::patch(&self.url(path), self.token(), body))
    }

    /// PUT a JSON body to `path`.
    pub fn put(&self, path: &str, body: &Value) -> Reply {
        self.named(http::put(&self.url(path), self.token(), body))
    }

    /// DELETE `path`.
    pub fn delete(&self, path: &str) -> Reply {
        self.named(http::delete(&self.url(path), self.token()))
    }
}
