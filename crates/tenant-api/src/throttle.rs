//! Counting failed sign-ins, per account and per client address.
//!
//! With Redis configured the counts are shared by every custodian process; in
//! the embedded default they live in this process. Keys are hashed, so
//! neither Redis nor memory holds a plain email address.

use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where failure counts are kept.
pub enum Throttle {
    /// In this process.
    Local(Mutex<HashMap<String, Window>>),
    /// In Redis, shared by all processes; keys start with the prefix.
    Redis(ConnectionManager, String),
}

/// One fixed window of failures.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    count: u32,
    started: Instant,
}

/// A Redis failure; sign-in then fails closed rather than open.
#[derive(Debug, thiserror::Error)]
#[error("redis: {0}")]
pub struct ThrottleError(String);

/// Builds the key for a throttled subject: `kind` is `account` or `address`.
pub fn key(kind: &str, subject: &str) -> String {
    let digest = Sha256::digest(subject.as_bytes());
    format!("signin:{kind}:{}", hex::encode(&digest[..16]))
}

const LOCAL_CAP: usize = 100_000;

impl Throttle {
    /// An in-process throttle.
    pub fn local() -> Self {
        Throttle::Local(Mutex::new(HashMap::new()))
    }

    /// If `key` has reached `limit` failures in the window, how long until it may try again.
    pub async fn blocked(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<Option<Duration>, ThrottleError> {
        match self {
            Throttle::Local(map) => {
                let map = map
                    .lock()
                    .map_err(|_| ThrottleError("lock poisoned".into()))?;
                Ok(map.get(key).and_then(|w| {
                    let age = w.started.elapsed();
                    (age < window && w.count >= limit).then(|| window - age)
                }))
            }
            Throttle::Redis(conn, prefix) => {
                let key = format!("{prefix}{key}");
                let key = key.as_str();
                let mut conn = conn.clone();
                let (count, ttl): (Option<u32>, i64) = redis::pipe()
                    .get(key)
                    .ttl(key)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| ThrottleError(e.to_string()))?;
                Ok(match count {
                    Some(c) if c >= limit => Some(Duration::from_secs(ttl.max(1) as u64)),
                    _ => None,
                })
            }
        }
    }

    /// Counts one failure against `key`.
    pub async fn record_failure(&self, key: &str, window: Duration) -> Result<(), ThrottleError> {
        match self {
            Throttle::Local(map) => {
                let mut map = map
                    .lock()
                    .map_err(|_| ThrottleError("lock poisoned".into()))?;
                if map.len() >= LOCAL_CAP {
                    map.retain(|_, w| w.started.elapsed() < window);
                }
                let now = Instant::now();
                let w = map.entry(key.to_owned()).or_insert(Window {
                    count: 0,
                    started: now,
                });
                if w.started.elapsed() >= window {
                    *w = Window {
                        count: 0,
                        started: now,
                    };
                }
                w.count = w.count.saturating_add(1);
                Ok(())
            }
            Throttle::Redis(conn, prefix) => {
                let key = format!("{prefix}{key}");
                let key = key.as_str();
                let mut conn = conn.clone();
                // NX: the window starts at the first failure and is not extended by later ones.
                redis::pipe()
                    .atomic()
                    .incr(key, 1)
                    .ignore()
                    .cmd("EXPIRE")
                    .arg(key)
                    .arg(window.as_secs().max(1))
                    .arg("NX")
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| ThrottleError(e.to_string()))
            }
        }
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub async fn clear(&self, key: &str) -> Result<(), ThrottleError> {
        match self {
            Throttle::Local(map) => {
                map.lock()
                    .map_err(|_| ThrottleError("lock poisoned".into()))?
                    .remove(key);
                Ok(())
            }
            Throttle::Redis(conn, prefix) => {
                let key = format!("{prefix}{key}");
                let mut conn = conn.clone();
                redis::cmd("DEL")
                    .arg(key)
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| ThrottleError(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_throttle_blocks_at_the_limit_and_clears() {
        let t = Throttle::local();
        let k = key("account", "someone@example.org");
        let window = Duration::from_secs(60);
        for _ in 0..3 {
            assert!(t.blocked(&k, 3, window).await.unwrap().is_none());
            t.record_failure(&k, window).await.unwrap();
        }
        assert!(t.blocked(&k, 3, window).await.unwrap().is_some());
        t.clear(&k).await.unwrap();
        assert!(t.blocked(&k, 3, window).await.unwrap().is_none());
    }

    #[test]
    fn keys_do_not_hold_the_subject() {
        let k = key("account", "someone@example.org");
        assert!(!k.contains("someone"));
    }
}
