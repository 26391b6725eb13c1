//! The SIP2 TCP listener: one task per connection, an idle timeout, a cap on
//! connections, and a shutdown that lets each connection finish its message.

use super::codec::Framer;
use super::desk::PatronDesk;
use super::session::{Limits, Outcome, Session};
use crate::throttle::Throttle;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// How the listener behaves, from `[sip2]` and `[auth]`.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// A connection without a message for this long is closed.
    pub idle: Duration,
    /// Connections served at once; more are closed on accept.
    pub max_connections: usize,
    /// Failed-login limits.
    pub limits: Limits,
}

/// A running listener.
pub struct Listener {
    address: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

// Bytes read at once; a message is usually well under this.
const READ_CHUNK: usize = 512;
// How long connections get at shutdown to finish the message in hand.
const DRAIN: Duration = Duration::from_secs(5);

impl Listener {
    /// Binds `address` (port 0 picks a free one).
    pub async fn bind(address: &str) -> std::io::Result<TcpListener> {
        TcpListener::bind(address).await
    }

    /// Starts serving on `listener` with `desk`.
    pub fn start(
        listener: TcpListener,
        desk: Arc<dyn PatronDesk>,
        throttle: Arc<Throttle>,
        config: Config,
    ) -> std::io::Result<Listener> {
        let address = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept(listener, desk, throttle, config, stopped));
        Ok(Listener {
            address,
            stop,
            task,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops accepting, lets connections finish the message in hand, and closes them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept(
    listener: TcpListener,
    desk: Arc<dyn PatronDesk>,
    throttle: Arc<Throttle>,
    config: Config,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(error = %e, "sip2 accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(max = config.max_connections, "sip2 connection closed on accept: sip2.max_connections reached");
                    drop(stream);
                    continue;
                };
                let session = Session::new(desk.clone(), throttle.clone(), config.limits, peer.ip().to_string());
                let stopped = stopped.clone();
                connections.spawn(async move {
                    serve(stream, session, config.idle, stopped).await;
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

async fn serve(
    mut stream: TcpStream,
    mut session: Session,
    idle: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let mut framer = Framer::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let read = tokio::select! {
            _ = stopped.changed() => break,
            read = tokio::time::timeout(idle, stream.read(&mut chunk)) => read,
        };
        let n = match read {
            Err(_) => {
                tracing::debug!("sip2 connection idle too long; closed");
                break;
            }
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => n,
        };
        for frame in framer.push(&chunk[..n]) {
            match session.handle(frame).await {
                Outcome::Reply(bytes) => {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Outcome::Nothing => {}
                Outcome::Close => {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
        }
    }
    let _ = stream.shutdown().await;
}
