//! An SMTP server on loopback fast enough to measure delivery at thousands
//! of messages a second (aiosmtpd manages a few hundred): a thread per
//! connection, `TCP_NODELAY`, every reply in one write, and nothing kept of a
//! message but the count.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A running sink; stops accepting on drop.
pub struct FastSink {
    port: u16,
    received: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// When the sink hangs up on a client, as a server that drops idle or
/// long-lived connections does.
#[derive(Debug, Clone, Copy, Default)]
pub enum HangUp {
    /// Never.
    #[default]
    Never,
    /// Right after answering a connection's N-th message.
    AfterReply(u64),
    /// After taking a connection's N-th message, before answering it: the
    /// client cannot know it arrived.
    BeforeReply(u64),
}

impl FastSink {
    /// Starts a sink on a free loopback port.
    pub fn start() -> std::io::Result<Self> {
        Self::start_with(HangUp::Never)
    }

    /// Starts a sink that hangs up as `hang_up` says.
    pub fn start_with(hang_up: HangUp) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, c, s) = (received.clone(), connections.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                c.fetch_add(1, Ordering::Relaxed);
                let r = r.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &r, hang_up);
                });
            }
        });
        Ok(FastSink {
            port,
            received,
            connections,
            stop,
        })
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages accepted so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Drop for FastSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accepting thread so that it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, received: &AtomicU64, hang_up: HangUp) -> std::io::Result<()> {
    let mut taken = 0u64;
    stream.set_nodelay(true)?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::with_capacity(64 * 1024, stream);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let verb = line
            .get(..4)
            .map(|v| v.to_ascii_uppercase())
            .unwrap_or_default();
        match verb.as_slice() {
            b"EHLO" => out.write_all(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?,
            b"HELO" | b"MAIL" | b"RCPT" | b"RSET" | b"NOOP" => out.write_all(b"250 OK\r\n")?,
            b"DATA" => {
                out.write_all(b"354 go ahead\r\n")?;
                loop {
                    line.clear();
                    if input.read_until(b'\n', &mut line)? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" {
                        break;
                    }
                }
                received.fetch_add(1, Ordering::Relaxed);
                taken += 1;
                if matches!(hang_up, HangUp::BeforeReply(n) if n == taken) {
                    return Ok(());
                }
                out.write_all(b"250 OK queued\r\n")?;
                if matches!(hang_up, HangUp::AfterReply(n) if n == taken) {
                    return Ok(());
                }
            }
            b"QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 not implemented\r\n")?,
        }
    }
}
