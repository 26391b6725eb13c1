//! The SMTP client the outbox delivers through: lettre's connection API
//! ([`SmtpConnection`]), with connections kept open between messages and each
//! message's content sent in one write.
//!
//! Why not `lettre::SmtpTransport`: lettre 0.11.23 writes a message's content
//! and the closing `CRLF.CRLF` in two writes on a socket without
//! `TCP_NODELAY`. Nagle's algorithm holds the small second write until the
//! server acknowledges the first, and the server delays that ACK (about
//! 40 ms on Linux) because it has nothing to answer yet: one connection
//! managed about 22 messages a second. lettre does not let a caller set
//! `TCP_NODELAY` (the upstream fix is unreleased), so the content, dot-stuffed
//! exactly as lettre does it, goes out together with its terminator through
//! [`SmtpConnection::command`], which writes its argument in one `write_all`.
//! Every other exchange is a single command and its reply, which Nagle never
//! delays.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{SmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::Error;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Connections idle longer than this are closed rather than reused: servers
/// drop idle clients (Postfix after 300 s), and a fresh one costs little.
const IDLE_LIMIT: Duration = Duration::from_secs(30);

/// Idle connections kept at most; more lanes than this open their own.
const MAX_IDLE: usize = 64;

/// Why a message could not be handed to the server.
#[derive(Debug)]
pub enum SendError {
    /// The message cannot go to this server as it is (no retry helps).
    Unsendable(&'static str),
    /// The server or the network failed.
    Smtp(Error),
}

/// Where and how to reach one SMTP server, and its idle connections.
pub struct SmtpClient {
    server: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    single_write: bool,
    idle: Mutex<Vec<(SmtpConnection, Instant)>>,
}

impl fmt::Debug for SmtpClient {
    // The credentials stay out of any debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpClient")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("single_write", &self.single_write)
            .finish_non_exhaustive()
    }
}

/// The parts of an `smtp://` or `smtps://` URL, as lettre reads them.
#[derive(Debug)]
pub struct SmtpUrl {
    /// Host name or address.
    pub host: String,
    /// Port (25, 587 with `tls=`, 465 for `smtps`, unless given).
    pub port: u16,
    /// `None`, `Some(false)` for `tls=opportunistic`, `Some(true)` for `tls=required`.
    pub starttls: Option<bool>,
    /// `smtps://`: TLS from the first byte.
    pub wrapper: bool,
    /// User and password, percent-decoded.
    pub credentials: Option<(String, String)>,
    /// The EHLO name from the URL's path, if any.
    pub hello: Option<String>,
}

impl SmtpUrl {
    /// Reads a URL the way `lettre::SmtpTransport::from_url` does.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|e| e.to_string())?;
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let host = url
            .host_str()
            .ok_or_else(|| "smtp host undefined".to_owned())?
            .trim_matches(['[', ']'])
            .to_owned();
        let (port, starttls, wrapper) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (url.port().unwrap_or(25), None, false),
            ("smtp", Some("required")) => (url.port().unwrap_or(587), Some(true), false),
            ("smtp", Some("opportunistic")) => (url.port().unwrap_or(587), Some(false), false),
            ("smtps", _) => (url.port().unwrap_or(465), None, true),
            (scheme, tls) => {
                return Err(format!(
                    "unknown scheme '{scheme}' or tls parameter '{}'",
                    tls.unwrap_or_default()
                ))
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "the user or password is not valid UTF-8 once decoded".to_owned())
        };
        let credentials = match url.password() {
            Some(p) => Some((decode(url.username())?, decode(p)?)),
            None => None,
        };
        let path = url.path().trim_matches('/');
        Ok(SmtpUrl {
            host,
            port,
            starttls,
            wrapper,
            credentials,
            hello: (!path.is_empty()).then(|| path.to_owned()),
        })
    }
}

impl SmtpClient {
    /// A client for `url`; `tls` replaces the URL's default TLS parameters
    /// (to trust a private CA).
    pub fn new(
        url: &SmtpUrl,
        tls: Option<TlsParameters>,
        timeout: Duration,
    ) -> Result<Self, Error> {
        let params = match tls {
            Some(p) => Some(p),
            None if url.wrapper || url.starttls.is_some() => {
                Some(TlsParameters::new(url.host.clone())?)
            }
            None => None,
        };
        let tls = match (params, url.wrapper, url.starttls) {
            (Some(p), true, _) => Tls::Wrapper(p),
            (Some(p), false, Some(true)) => Tls::Required(p),
            (Some(p), false, Some(false)) => Tls::Opportunistic(p),
            // A private CA on a plain URL: STARTTLS is what the CA is for.
            (Some(p), false, None) => Tls::Required(p),
            (None, _, _) => Tls::None,
        };
        Ok(SmtpClient {
            server: url.host.clone(),
            port: url.port,
            tls,
            credentials: url
                .credentials
                .as_ref()
                .map(|(u, p)| Credentials::new(u.clone(), p.clone())),
            hello: url.hello.clone().map(ClientId::Domain).unwrap_or_default(),
            timeout,
            single_write: true,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// `false` sends the content as lettre does (two writes), which waits
    /// out a delayed ACK per message: for measuring, not for use.
    pub fn with_single_write(mut self, single_write: bool) -> Self {
        self.single_write = single_write;
        self
    }

    /// Opens, secures and authenticates a connection as lettre's transport does.
    fn connect(&self) -> Result<SmtpConnection, Error> {
        let wrapper = match &self.tls {
            Tls::Wrapper(p) => Some(p),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (self.server.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            wrapper,
            None,
        )?;
        match &self.tls {
            Tls::Opportunistic(p) if conn.can_starttls() => conn.starttls(p, &self.hello)?,
            Tls::Required(p) => conn.starttls(p, &self.hello)?,
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)?;
        }
        Ok(conn)
    }

    /// An idle connection used recently enough, if there is one.
    fn checkout(&self) -> Option<SmtpConnection> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((mut conn, since)) = idle.pop() {
            if since.elapsed() < IDLE_LIMIT && !conn.has_broken() {
                return Some(conn);
            }
            let _ = conn.quit();
        }
        None
    }

    fn checkin(&self, mut conn: SmtpConnection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push((conn, Instant::now()));
                return;
            }
        }
        let _ = conn.quit();
    }

    /// Sends one message, on an idle connection when there is one. A reused
    /// connection that turns out broken (the server closed it, or the network
    /// dropped it) is replaced and the message sent once more: if the server
    /// had taken it before the break, it arrives twice with one Message-ID,
    /// never zero times.
    pub fn send(&self, envelope: &Envelope, message: &str) -> Result<(), SendError> {
        if let Some(mut conn) = self.checkout() {
            let options = match self.mail_options(envelope, message, &conn) {
                Ok(o) => o,
                Err(e) => {
                    self.checkin(conn);
                    return Err(e);
                }
            };
            match self.transact(&mut conn, envelope, message, &options) {
                Ok(()) => {
                    self.checkin(conn);
                    return Ok(());
                }
                Err(e) => {
                    conn.abort();
                    // A reply code means the server is there and answered.
                    if e.status().is_some() || e.is_timeout() {
                        return Err(SendError::Smtp(e));
                    }
                }
            }
        }
        let mut conn = self.connect().map_err(SendError::Smtp)?;
        let options = match self.mail_options(envelope, message, &conn) {
            Ok(o) => o,
            Err(e) => {
                self.checkin(conn);
                return Err(e);
            }
        };
        match self.transact(&mut conn, envelope, message, &options) {
            Ok(()) => {
                self.checkin(conn);
                Ok(())
            }
            Err(e) => {
                conn.abort();
                Err(SendError::Smtp(e))
            }
        }
    }

    /// The MAIL FROM parameters, refusing what the server cannot take (as
    /// lettre's `send` does).
    fn mail_options(
        &self,
        envelope: &Envelope,
        message: &str,
        conn: &SmtpConnection,
    ) -> Result<Vec<MailParameter>, SendError> {
        let supports = |e: Extension| conn.server_info().supports_feature(e);
        let mut options = Vec::new();
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !supports(Extension::SmtpUtfEight) {
                return Err(SendError::Unsendable(
                    "an address is not ASCII and the mail server does not take SMTPUTF8",
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() {
            if !supports(Extension::EightBitMime) {
                return Err(SendError::Unsendable(
                    "the message is not ASCII and the mail server does not take 8BITMIME",
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        Ok(options)
    }

    fn transact(
        &self,
        conn: &mut SmtpConnection,
        envelope: &Envelope,
        message: &str,
        options: &[MailParameter],
    ) -> Result<(), Error> {
        if !self.single_write {
            return conn.send(envelope, message.as_bytes()).map(|_| ());
        }
        conn.command(Mail::new(envelope.from().cloned(), options.to_vec()))?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), vec![]))?;
        }
        conn.command(Data)?;
        conn.command(Content(message))?;
        Ok(())
    }
}

impl Drop for SmtpClient {
    fn drop(&mut self) {
        if let Ok(idle) = self.idle.get_mut() {
            for (conn, _) in idle.iter_mut() {
                let _ = conn.quit();
            }
        }
    }
}

/// A message's content, dot-stuffed, with the closing `CRLF.CRLF`: the bytes
/// lettre's `SmtpConnection::message` writes, in one piece.
struct Content<'a>(&'a str);

impl fmt::Display for Content<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&stuff(self.0))?;
        f.write_str("\r\n.\r\n")
    }
}

/// Doubles a dot that starts a line (RFC 5321 §4.5.2), where a line starts
/// after CRLF or at the beginning, as lettre's codec decides.
fn stuff(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 64);
    let mut line_start = true;
    let mut after_cr = false;
    for c in message.chars() {
        out.push(c);
        if c == '.' && line_start {
            out.push('.');
        }
        line_start = after_cr && c == '\n';
        after_cr = c == '\r';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_that_start_a_line_are_doubled() {
        assert_eq!(
            stuff(".a\r\n.b\r\nc.d\r\n..\r\n"),
            "..a\r\n..b\r\nc.d\r\n...\r\n"
        );
        // A bare LF does not start a line for SMTP.
        assert_eq!(stuff("a\n.b"), "a\n.b");
        assert_eq!(
            Content("x\r\n.y").to_string(),
            "x\r\n..y\r\n.\r\n",
            "the terminator follows the content"
        );
    }

    #[test]
    fn urls_read_as_lettre_reads_them() {
        let u = SmtpUrl::parse("smtp://us%40er:p%3Ass@mail.example.org?tls=required").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.starttls),
            ("mail.example.org", 587, Some(true))
        );
        assert_eq!(u.credentials, Some(("us@er".into(), "p:ss".into())));
        let u = SmtpUrl::parse("smtps://h").unwrap();
        assert!(u.wrapper && u.port == 465);
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525/relay.example.org").unwrap();
        assert_eq!(
            (u.port, u.starttls, u.hello.as_deref()),
            (2525, None, Some("relay.example.org"))
        );
        assert!(SmtpUrl::parse("smtp://h?tls=maybe").is_err());
    }
}
