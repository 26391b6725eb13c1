//! A real SMTP server on loopback for tests: `smtp_sink.py` (Python's
//! aiosmtpd), started, stopped and restarted by the test, with every message
//! it accepted kept as a file to inspect.
//!
//! Without python3, aiosmtpd or openssl the SMTP tests are skipped with a
//! line saying so, unless `CUSTODIAN_TEST_SMTP=required` (as `.ci/run` sets),
//! in which case they fail.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the sink behaves.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    /// Seconds to wait before accepting each message.
    pub delay_secs: f64,
    /// Require AUTH with this user and password.
    pub auth: Option<(String, String)>,
    /// Offer and require STARTTLS (a self-signed certificate for localhost).
    pub tls: bool,
}

/// A running sink; killed on drop.
pub struct SmtpSink {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    root: PathBuf,
    opts: SinkOptions,
    script: PathBuf,
}

/// A message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// MAIL FROM.
    pub mail_from: String,
    /// RCPT TO, in order.
    pub rcpt_to: Vec<String>,
    /// The message as it arrived.
    pub raw: Vec<u8>,
}

impl Received {
    /// The first header called `name` (any case), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.raw);
        let head = text.split("\r\n\r\n").next()?.split("\n\n").next()?;
        let mut value: Option<String> = None;
        for line in head.lines() {
            let line = line.trim_end_matches('\r');
            if line.starts_with([' ', '\t']) {
                if let Some(v) = value.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                if n.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_owned());
                }
            }
        }
        value
    }
}

fn required() -> bool {
    std::env::var("CUSTODIAN_TEST_SMTP").is_ok_and(|v| v == "required")
}

fn unavailable(why: &str) -> Option<SmtpSink> {
    if required() {
        panic!("CUSTODIAN_TEST_SMTP=required but {why}: install it with `pip install aiosmtpd` (and have python3 and openssl on PATH)");
    }
    eprintln!("skipping the SMTP tests: {why} (pip install aiosmtpd to run them)");
    None
}

fn script() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("tests/support/smtp_sink.py");
        if candidate.is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0 to find a free port for the SMTP sink")
        .local_addr()
        .expect("local address of the port-finding listener")
        .port()
}

/// The most of the sink's stderr kept for a failure message.
const STDERR_KEEP: usize = 64 * 1024;

/// Reads the child's stderr until it closes, keeping the last `STDERR_KEEP`
/// bytes. The pipe must be drained all the time: aiosmtpd logs a traceback
/// (about 1 KiB) for every failed session, e.g. each refused TLS handshake,
/// and once the pipe buffer is full the server blocks writing its log.
fn drain_stderr(
    mut stderr: impl Read + Send + 'static,
) -> (Arc<Mutex<Vec<u8>>>, std::thread::JoinHandle<()>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&kept);
    let handle = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut kept = sink.lock().unwrap_or_else(|e| e.into_inner());
            kept.extend_from_slice(&buf[..n]);
            if kept.len() > STDERR_KEEP {
                let excess = kept.len() - STDERR_KEEP;
                kept.drain(..excess);
            }
        }
    });
    (kept, handle)
}

impl SmtpSink {
    /// Starts a sink, or `None` (the test then returns) when it cannot run here.
    pub fn start(opts: SinkOptions) -> Option<SmtpSink> {
        let Some(script) = script() else {
            return unavailable("tests/support/smtp_sink.py is missing");
        };
        let python = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !python.is_ok_and(|s| s.success()) {
            return unavailable("python3 with aiosmtpd is not available");
        }
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "custodian-smtp-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let dir = root.join("messages");
        std::fs::create_dir_all(&dir).expect("create the SMTP sink's message directory");
        if opts.tls && !make_certificates(&root) {
            let _ = std::fs::remove_dir_all(&root);
            return unavailable("openssl could not make a test certificate");
        }
        let mut sink = SmtpSink {
            child: None,
            port: free_port(),
            dir,
            root,
            opts,
            script,
        };
        sink.spawn();
        Some(sink)
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new("python3");
        cmd.arg(&self.script)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .arg("--delay")
            .arg(self.opts.delay_secs.to_string());
        if let Some((u, p)) = &self.opts.auth {
            cmd.arg("--auth").arg(format!("{u}:{p}"));
        }
        if self.opts.tls {
            cmd.arg("--tls-cert").arg(self.root.join("cert.pem"));
            cmd.arg("--tls-key").arg(self.root.join("key.pem"));
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python3 smtp_sink.py");
        let stdout = child.stdout.take().expect("the sink's stdout is piped");
        let stderr = child.stderr.take().expect("the sink's stderr is piped");
        let (stderr_kept, stderr_thread) = drain_stderr(stderr);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.starts_with("READY") => break,
                Ok(_) => continue,
                // Timed out, or stdout closed because the child exited.
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    // The child is gone, so its stderr is at EOF and the
                    // drain thread finishes with everything it wrote.
                    let _ = stderr_thread.join();
                    let err = stderr_kept.lock().unwrap_or_else(|e| e.into_inner());
                    panic!(
                        "the SMTP sink did not start on port {}: {}",
                        self.port,
                        String::from_utf8_lossy(&err)
                    );
                }
            }
        }
        self.child = Some(child);
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for lettre (`Transport::smtp` / `mail.smtp_url`).
    pub fn url(&self) -> String {
        let host = if self.opts.tls {
            "localhost"
        } else {
            "127.0.0.1"
        };
        let auth = match &self.opts.auth {
            Some((u, p)) => format!("{u}:{p}@"),
            None => String::new(),
        };
        let tls = if self.opts.tls { "?tls=required" } else { "" };
        format!("smtp://{auth}{host}:{}{tls}", self.port)
    }

    /// The certificate to trust, with TLS.
    pub fn ca_cert_path(&self) -> Option<PathBuf> {
        self.opts.tls.then(|| self.root.join("ca.pem"))
    }

    /// Stops the server (the port stays ours for a restart).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, keeping what it received.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.extension().is_some_and(|x| x == "eml")
                            && !file_name(p).starts_with("tmp-")
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.iter().filter_map(|p| read(p)).collect()
    }

    /// Waits up to `timeout` for at least `n` messages; returns what is there.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A throw-away CA and a certificate for localhost signed by it (rustls will
/// not accept a self-signed server certificate as its own trust anchor).
fn make_certificates(root: &Path) -> bool {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if std::fs::write(
        root.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .is_err()
    {
        return false;
    }
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=custodian test CA",
        "-days",
        "2",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]) && run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]) && run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ])
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path) -> Option<Received> {
    let bytes = std::fs::read(path).ok()?;
    let mut rest = &bytes[..];
    let mut take_line = || {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 2..];
        Some(line)
    };
    let from = take_line()?;
    let to = take_line()?;
    Some(Received {
        mail_from: from.strip_prefix("X-Sink-Mail-From: ")?.to_owned(),
        rcpt_to: to
            .strip_prefix("X-Sink-Rcpt-To: ")?
            .split(',')
            .map(str::to_owned)
            .collect(),
        raw: rest.to_vec(),
    })
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
