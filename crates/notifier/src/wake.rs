//! Waking outbox workers when mail is queued: through Redis when configured
//! (workers in other processes hear it), an in-process signal otherwise.
//! Either way workers also poll, so a lost wake-up delays a message by one
//! poll interval and loses nothing.
//!
//! The Redis bell is a short list: ringing pushes a token, a waiting worker
//! takes one with `BLPOP`. (A subscriber connection of the synchronous redis
//! client does not survive a read timeout, which a worker's wait needs.)

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Rings the workers' bell.
#[derive(Clone)]
pub struct Waker {
    local: Arc<(Mutex<u64>, Condvar)>,
    redis: Option<RedisBell>,
}

#[derive(Clone)]
struct RedisBell {
    client: redis::Client,
    channel: String,
    publisher: Arc<Mutex<Publisher>>,
}

/// The ringing side's connection, and when it last failed to get one: the
/// bell is rung on request paths, which must not wait on a Redis that is
/// down for every request.
#[derive(Default)]
struct Publisher {
    connection: Option<redis::Connection>,
    failed_at: Option<Instant>,
}

const RECONNECT_AFTER: Duration = Duration::from_secs(10);

impl Waker {
    /// A bell heard only in this process.
    pub fn local() -> Self {
        Waker {
            local: Arc::new((Mutex::new(0), Condvar::new())),
            redis: None,
        }
    }

    /// A bell rung through the Redis list `channel`, heard in every process.
    pub fn redis(url: &str, channel: &str) -> Result<Self, redis::RedisError> {
        Ok(Waker {
            local: Arc::new((Mutex::new(0), Condvar::new())),
            redis: Some(RedisBell {
                client: redis::Client::open(url)?,
                channel: channel.to_owned(),
                publisher: Arc::new(Mutex::new(Publisher::default())),
            }),
        })
    }

    /// Tells workers there is mail. Never fails: a wake-up that cannot be
    /// sent is replaced by the workers' polling.
    pub fn notify(&self) {
        let (count, cond) = &*self.local;
        if let Ok(mut n) = count.lock() {
            *n = n.wrapping_add(1);
            cond.notify_all();
        }
        if let Some(bell) = &self.redis {
            let Ok(mut publisher) = bell.publisher.lock() else {
                return;
            };
            let resting = publisher
                .failed_at
                .is_some_and(|t| t.elapsed() < RECONNECT_AFTER);
            if publisher.connection.is_none() && !resting {
                publisher.connection = bell
                    .client
                    .get_connection_with_timeout(Duration::from_secs(1))
                    .ok();
                publisher.failed_at = publisher.connection.is_none().then(Instant::now);
            }
            if let Some(con) = publisher.connection.as_mut() {
                // A few tokens, so that several idle workers can each take one;
                // they expire so an idle system keeps nothing.
                let rung: redis::RedisResult<()> = redis::pipe()
                    .cmd("LPUSH")
                    .arg(&bell.channel)
                    .arg(1)
                    .ignore()
                    .cmd("LTRIM")
                    .arg(&bell.channel)
                    .arg(0)
                    .arg(7)
                    .ignore()
                    .cmd("EXPIRE")
                    .arg(&bell.channel)
                    .arg(60)
                    .ignore()
                    .query(con);
                if rung.is_err() {
                    publisher.connection = None;
                    publisher.failed_at = Some(Instant::now());
                }
            }
        }
    }

    /// A listener for one worker.
    pub fn subscribe(&self) -> Subscription {
        let seen = self.local.0.lock().map(|n| *n).unwrap_or(0);
        Subscription {
            waker: self.clone(),
            seen,
            redis: None,
        }
    }
}

/// One worker's ear.
pub struct Subscription {
    waker: Waker,
    seen: u64,
    redis: Option<redis::Connection>,
}

impl Subscription {
    fn redis_connection(&mut self) -> Option<&mut redis::Connection> {
        let bell = self.waker.redis.as_ref()?;
        if self.redis.is_none() {
            self.redis = bell
                .client
                .get_connection_with_timeout(Duration::from_secs(1))
                .ok();
        }
        self.redis.as_mut()
    }

    /// Waits up to `timeout` for a wake-up.
    pub fn wait(&mut self, timeout: Duration) {
        if let Some(channel) = self.waker.redis.as_ref().map(|b| b.channel.clone()) {
            if let Some(con) = self.redis_connection() {
                let woke: redis::RedisResult<Option<(String, String)>> = con
                    .set_read_timeout(Some(timeout + Duration::from_secs(2)))
                    .and_then(|_| {
                        redis::cmd("BLPOP")
                            .arg(&channel)
                            .arg(timeout.as_secs_f64().max(0.01))
                            .query(con)
                    });
                match woke {
                    Ok(_) => return,
                    // A broken connection: reconnect on the next wait, and
                    // meanwhile fall back to the local bell for this one.
                    Err(_) => self.redis = None,
                }
            }
        }
        let (count, cond) = &*self.waker.local;
        let Ok(guard) = count.lock() else {
            std::thread::sleep(timeout);
            return;
        };
        let seen = self.seen;
        if let Ok((guard, _)) = cond.wait_timeout_while(guard, timeout, |n| *n == seen) {
            self.seen = *guard;
        }
    }
}
