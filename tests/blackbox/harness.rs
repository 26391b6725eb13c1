//! Starting and stopping the real binary; the HTTP client is testkit's.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
pub use testkit::http::*;
use testkit::{postgres_url, redis_url, PgTestDb};

pub const BIN: &str = env!("CARGO_BIN_EXE_custodian");

/// Which services a server runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite and in-process fallbacks: the embedded default.
    Embedded,
    /// PostgreSQL as the application role, and Redis.
    Services,
}

/// Every backend this run can reach.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Embedded];
    if postgres_url().is_some() && redis_url().is_some() {
        v.push(Backend::Services);
    }
    v
}

/// A running `custodian serve`.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Demo sign-ins printed at first start: email → password.
    pub passwords: HashMap<String, String>,
    /// Demo patrons printed at first start: library slug → (card number, PIN).
    pub patrons: HashMap<String, (String, String)>,
    /// The server's standard error (its log).
    pub log_path: PathBuf,
    /// The configuration variables the server runs with, for CLI commands against its database.
    pub env: Vec<(String, String)>,
    /// A connection that reaches past the application (the owner's, or the SQLite file).
    pub raw_url: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgTestDb>,
}

/// A command for the binary with a clean environment and a data directory.
pub fn command(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

impl Server {
    /// Starts a server; `extra` are additional `CUSTODIAN__…` variables.
    pub fn start(backend: Backend, extra: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log_path = dir.path().join("server.log");
        let mut cmd = command(dir.path());
        let data = dir.path().join("data");
        let mut env: Vec<(String, String)> =
            vec![("CUSTODIAN__DATA__DIR".into(), data.display().to_string())];
        let (pg, raw_url) = match backend {
            Backend::Embedded => (
                None,
                format!("sqlite://{}", data.join("custodian.db").display()),
            ),
            Backend::Services => {
                let pg = PgTestDb::create(&postgres_url().unwrap());
                let prefix = format!(
                    "custodian-test:{}:",
                    dir.path().file_name().unwrap().to_string_lossy()
                );
                env.push(("CUSTODIAN__DATABASE__URL".into(), pg.app_url.clone()));
                env.push((
                    "CUSTODIAN__DATABASE__OWNER_URL".into(),
                    pg.owner_url.clone(),
                ));
                env.push(("CUSTODIAN__REDIS__URL".into(), redis_url().unwrap()));
                env.push(("CUSTODIAN__REDIS__KEY_PREFIX".into(), prefix));
                let raw = pg.owner_url.clone();
                (Some(pg), raw)
            }
        };
        cmd.arg("serve")
            .env("CUSTODIAN__SERVER__BIND", "127.0.0.1:0")
            .env("CUSTODIAN__SERVER__WORKERS", "2")
            // The black-box tests do not need the demo's patrons; skipping them keeps every start quick.
            .env("CUSTODIAN__DEMO__PATRONS", "0")
            .env("CUSTODIAN__SERVER__SHUTDOWN_TIMEOUT_SECS", "5");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start custodian");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut passwords = HashMap::new();
        let mut patrons = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("custodian listening on ") {
                        break url.trim().to_owned();
                    }
                    let words: Vec<&str> = line.split_whitespace().collect();
                    if let ["patron", slug, "card", card, "PIN", pin] = words[..] {
                        patrons.insert(slug.to_owned(), (card.to_owned(), pin.to_owned()));
                    }
                    if let Some(i) = words
                        .iter()
                        .position(|w| w.ends_with("@demo.custodian.test"))
                    {
                        if let Some(pw) = words.get(i + 1) {
                            passwords.insert(words[i].to_owned(), (*pw).to_owned());
                        }
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    panic!("custodian did not start ({backend:?}); its log:\n{log}");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Server {
            child: Some(child),
            base,
            passwords,
            patrons,
            log_path,
            env,
            raw_url,
            _dir: dir,
            _pg: pg,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The demo password of `email`.
    pub fn password(&self, email: &str) -> String {
        self.passwords
            .get(email)
            .cloned()
            .unwrap_or_else(|| panic!("no demo password for {email}"))
    }

    /// Writes the demo's sign-ins as JSON (`{"staff": {email: password},
    /// "patrons": {slug: {"card": …, "pin": …}}}`) for the browser driver; returns its path.
    pub fn accounts_file(&self) -> PathBuf {
        let patrons: serde_json::Map<String, serde_json::Value> = self
            .patrons
            .iter()
            .map(|(slug, (card, pin))| {
                (slug.clone(), serde_json::json!({"card": card, "pin": pin}))
            })
            .collect();
        let path = self._dir.path().join("accounts.json");
        let body = serde_json::json!({"staff": self.passwords, "patrons": patrons});
        std::fs::write(&path, body.to_string()).unwrap();
        path
    }

    /// Signs in and returns the bearer token.
    pub fn sign_in(&self, email: &str) -> String {
        let r = post(
            &self.url("/api/v1/auth/sign-in"),
            None,
            &serde_json::json!({"email": email, "password": self.password(email)}),
        );
        assert_eq!(r.status, 200, "sign-in of {email}: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("custodian did not stop within 20 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs a `custodian` subcommand against this server's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = command(self.log_path.parent().unwrap());
        cmd.args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Starts a `custodian` subcommand against this server's database, with
    /// `extra` variables, its standard output and error piped; it is the caller's to wait for or kill.
    pub fn cli_spawn(&self, args: &[&str], extra: &[(&str, &str)]) -> Child {
        let mut cmd = command(self.log_path.parent().unwrap());
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Served for Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
