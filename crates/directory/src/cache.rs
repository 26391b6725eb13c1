//! Cache-aside for directory answers: Redis when configured, else in process.
//!
//! Keys carry a generation: searches the directory-wide one, an entry its own.
//! A change bumps the generations it affects after its transaction commits and
//! deletes the entry's current key, so the next request misses and reloads. A
//! loader that read the old data just before the commit writes under the old
//! generation, which nobody reads any more, so a stale answer cannot outlive
//! the change. Within a process one miss per key loads while the others wait
//! (single flight); across processes a short Redis lock key does the same,
//! and whoever does not get it waits briefly for the winner's value. TTLs carry
//! jitter so keys filled together do not expire together.

use crate::{DirectoryError, DirectoryResult};
use bytes::Bytes;
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long answers live before a reload, before jitter.
pub const TTL: Duration = Duration::from_secs(300);
/// How long a Redis load lock lives if its holder dies.
const LOCK_TTL_MS: u64 = 3_000;
/// How long a loser waits for the winner's value before loading itself.
const WAIT: Duration = Duration::from_millis(1_500);
/// How long an untouched generation counter lives in Redis: far longer than
/// any value's TTL, so when it lapses and counts from 0 again no value written
/// under an old number can still be there.
const GENERATION_TTL_MS: u64 = 24 * 3600 * 1000;
/// Entries kept in process before expired ones are swept.
const LOCAL_MAX: usize = 20_000;

/// What a cached answer is, by its key's first segment: the label of its
/// hit and miss counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A page of search results (`search:`).
    Search,
    /// One library (`entry:`).
    Library,
    /// A whole result set as CSV or JSON-LD (`export:`).
    Export,
    /// Any other key.
    Other,
}

impl Kind {
    /// Every kind, in the order [`Cache::stats_by_kind`] reports them.
    pub const ALL: [Kind; 4] = [Kind::Search, Kind::Library, Kind::Export, Kind::Other];

    /// The kind of the value under `key`.
    pub fn of(key: &str) -> Kind {
        match key.split(':').next() {
            Some("search") => Kind::Search,
            Some("entry") => Kind::Library,
            Some("export") => Kind::Export,
            _ => Kind::Other,
        }
    }

    /// Its metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Search => "search",
            Kind::Library => "library",
            Kind::Export => "export",
            Kind::Other => "other",
        }
    }
}

/// Hits and misses of one kind: relaxed counters, two adds per read at most.
#[derive(Default)]
struct Counts {
    hits: AtomicU64,
    misses: AtomicU64,
}

enum Backend {
    Local {
        values: Mutex<HashMap<String, (Bytes, Instant)>>,
        generations: Mutex<HashMap<String, u64>>,
    },
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

/// The directory's cache.
pub struct Cache {
    backend: Backend,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Loads that went to the database, for tests and metrics.
    loads: AtomicU64,
    /// Reads answered at the first look (hits) or not (misses), per [`Kind`].
    counts: [Counts; 4],
}

fn jittered(ttl: Duration) -> Duration {
    let extra = rand::thread_rng().gen_range(0..=ttl.as_millis() as u64 / 5);
    ttl + Duration::from_millis(extra)
}

impl Cache {
    /// A cache held in this process.
    pub fn local() -> Self {
        Self::with(Backend::Local {
            values: Mutex::new(HashMap::new()),
            generations: Mutex::new(HashMap::new()),
        })
    }

    /// A cache in Redis, its keys under `prefix` + `directory:`.
    pub fn redis(conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self::with(Backend::Redis {
            conn,
            prefix: format!("{prefix}directory:"),
        })
    }

    fn with(backend: Backend) -> Self {
        Cache {
            backend,
            flights: Mutex::new(HashMap::new()),
            loads: AtomicU64::new(0),
            counts: Default::default(),
        }
    }

    fn counts(&self, kind: Kind) -> &Counts {
        &self.counts[kind as usize]
    }

    /// Reads served from the cache at the first look, and reads that were
    /// not (they loaded, or waited for the load of a concurrent miss), over every kind.
    pub fn stats(&self) -> (u64, u64) {
        self.stats_by_kind()
            .iter()
            .fold((0, 0), |(h, m), (_, kh, km)| (h + kh, m + km))
    }

    /// Hits and misses of each [`Kind`].
    pub fn stats_by_kind(&self) -> [(Kind, u64, u64); 4] {
        Kind::ALL.map(|k| {
            let c = self.counts(k);
            (
                k,
                c.hits.load(Ordering::Relaxed),
                c.misses.load(Ordering::Relaxed),
            )
        })
    }

    /// The value under `key` if it is cached, counted as a hit or a miss.
    pub async fn lookup(&self, key: &str) -> Option<Bytes> {
        let found = self.get(key).await;
        let c = self.counts(Kind::of(key));
        match found {
            Some(_) => c.hits.fetch_add(1, Ordering::Relaxed),
            None => c.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    /// Keeps `value` under `key` as a loaded value would be.
    pub async fn put(&self, key: &str, value: &Bytes) {
        self.set(key, value).await;
    }

    /// How many times a value was loaded from the database.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    async fn get(&self, key: &str) -> Option<Bytes> {
        match &self.backend {
            Backend::Local { values, .. } => {
                let map = values.lock().ok()?;
                let (v, until) = map.get(key)?;
                (Instant::now() < *until).then(|| v.clone())
            }
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                match redis::cmd("GET")
                    .arg(format!("{prefix}{key}"))
                    .query_async::<Option<Vec<u8>>>(&mut c)
                    .await
                {
                    Ok(v) => v.map(Bytes::from),
                    Err(e) => {
                        tracing::warn!(error = %e, "directory cache read failed; reading the database");
                        None
                    }
                }
            }
        }
    }

    async fn set(&self, key: &str, value: &Bytes) {
        let ttl = jittered(TTL);
        match &self.backend {
            Backend::Local { values, .. } => {
                if let Ok(mut map) = values.lock() {
                    if map.len() >= LOCAL_MAX {
                        let now = Instant::now();
                        map.retain(|_, (_, until)| *until > now);
                        if map.len() >= LOCAL_MAX {
                            map.clear();
                        }
                    }
                    map.insert(key.to_owned(), (value.clone(), Instant::now() + ttl));
                }
            }
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                let r = redis::cmd("SET")
                    .arg(format!("{prefix}{key}"))
                    .arg(value.as_ref())
                    .arg("PX")
                    .arg(ttl.as_millis() as u64)
                    .query_async::<()>(&mut c)
                    .await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "directory cache write failed");
                }
            }
        }
    }

    /// The current generation of `name` (0 if never bumped).
    pub async fn generation(&self, name: &str) -> u64 {
        match &self.backend {
            Backend::Local { generations, .. } => generations
                .lock()
                .ok()
                .and_then(|g| g.get(name).copied())
                .unwrap_or(0),
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                redis::cmd("GET")
                    .arg(format!("{prefix}gen:{name}"))
                    .query_async::<Option<u64>>(&mut c)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "directory cache generation read failed");
                        None
                    })
                    .unwrap_or(0)
            }
        }
    }

    /// Makes every key built on generation `name` unreachable.
    pub async fn bump(&self, name: &str) -> DirectoryResult<()> {
        match &self.backend {
            Backend::Local { generations, .. } => {
                let mut g = generations
                    .lock()
                    .map_err(|_| DirectoryError::Internal("cache lock poisoned".into()))?;
                *g.entry(name.to_owned()).or_insert(0) += 1;
                Ok(())
            }
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                let key = format!("{prefix}gen:{name}");
                redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg(&key)
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(GENERATION_TTL_MS)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
                    .map_err(|e| DirectoryError::Internal(format!("cache invalidation: {e}")))
            }
        }
    }

    /// Deletes one key.
    pub async fn delete(&self, key: &str) -> DirectoryResult<()> {
        match &self.backend {
            Backend::Local { values, .. } => {
                if let Ok(mut map) = values.lock() {
                    map.remove(key);
                }
                Ok(())
            }
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                redis::cmd("DEL")
                    .arg(format!("{prefix}{key}"))
                    .query_async::<u64>(&mut c)
                    .await
                    .map(drop)
                    .map_err(|e| DirectoryError::Internal(format!("cache invalidation: {e}")))
            }
        }
    }

    async fn try_lock(&self, key: &str) -> bool {
        match &self.backend {
            Backend::Local { .. } => true,
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                redis::cmd("SET")
                    .arg(format!("{prefix}lock:{key}"))
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(LOCK_TTL_MS)
                    .query_async::<Option<String>>(&mut c)
                    .await
                    .map(|r| r.is_some())
                    // Redis failing must not stop a load.
                    .unwrap_or(true)
            }
        }
    }

    async fn unlock(&self, key: &str) {
        if let Backend::Redis { conn, prefix } = &self.backend {
            let mut c = conn.clone();
            let _ = redis::cmd("DEL")
                .arg(format!("{prefix}lock:{key}"))
                .query_async::<u64>(&mut c)
                .await;
        }
    }

    fn flight(&self, key: &str) -> DirectoryResult<Arc<tokio::sync::Mutex<()>>> {
        let mut f = self
            .flights
            .lock()
            .map_err(|_| DirectoryError::Internal("cache lock poisoned".into()))?;
        Ok(f.entry(key.to_owned()).or_default().clone())
    }

    fn land(&self, key: &str, gate: Arc<tokio::sync::Mutex<()>>) {
        if let Ok(mut f) = self.flights.lock() {
            // Ours and the map's: nobody else is waiting on this key.
            if Arc::strong_count(&gate) <= 2 {
                f.remove(key);
            }
        }
    }

    /// The value under `key`, loading it with `load` on a blocking thread on a miss.
    pub async fn get_or_load<F>(&self, key: &str, load: F) -> DirectoryResult<Bytes>
    where
        F: FnOnce() -> DirectoryResult<Vec<u8>> + Send + 'static,
    {
        if let Some(v) = self.lookup(key).await {
            return Ok(v);
        }
        self.fill(key, load).await
    }

    /// Like [`Cache::get_or_load`] after a miss the caller has already
    /// counted (under another key for the same answer): not counted again.
    pub async fn fill<F>(&self, key: &str, load: F) -> DirectoryResult<Bytes>
    where
        F: FnOnce() -> DirectoryResult<Vec<u8>> + Send + 'static,
    {
        if let Some(v) = self.get(key).await {
            return Ok(v);
        }
        let gate = self.flight(key)?;
        let result = {
            let _turn = gate.lock().await;
            self.load_once(key, load).await
        };
        self.land(key, gate);
        result
    }

    async fn load_once<F>(&self, key: &str, load: F) -> DirectoryResult<Bytes>
    where
        F: FnOnce() -> DirectoryResult<Vec<u8>> + Send + 'static,
    {
        if let Some(v) = self.get(key).await {
            return Ok(v);
        }
        let locked = self.try_lock(key).await;
        if !locked {
            let until = Instant::now() + WAIT;
            while Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(15)).await;
                if let Some(v) = self.get(key).await {
                    return Ok(v);
                }
            }
        }
        self.loads.fetch_add(1, Ordering::Relaxed);
        let loaded = tokio::task::spawn_blocking(load)
            .await
            .map_err(|e| DirectoryError::Internal(format!("load task: {e}")))?;
        let outcome = match loaded {
            Ok(v) => {
                let v = Bytes::from(v);
                self.set(key, &v).await;
                Ok(v)
            }
            Err(e) => Err(e),
        };
        if locked {
            self.unlock(key).await;
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_miss_loads_once_however_many_ask() {
        let cache = Arc::new(Cache::local());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_load("k", move || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        Ok(b"v".to_vec())
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), Bytes::from_static(b"v"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(cache.flights.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn generations_and_deletes_invalidate() {
        let cache = Cache::local();
        assert_eq!(cache.generation("all").await, 0);
        cache.get_or_load("a", || Ok(b"1".to_vec())).await.unwrap();
        let v = cache.get_or_load("a", || Ok(b"2".to_vec())).await.unwrap();
        assert_eq!(v, Bytes::from_static(b"1"));
        cache.delete("a").await.unwrap();
        let v = cache.get_or_load("a", || Ok(b"3".to_vec())).await.unwrap();
        assert_eq!(v, Bytes::from_static(b"3"));
        cache.bump("all").await.unwrap();
        assert_eq!(cache.generation("all").await, 1);
        assert_eq!(cache.loads(), 2);
        assert_eq!(cache.stats(), (1, 2));
    }

    #[tokio::test]
    async fn hits_and_misses_are_counted_by_kind() {
        let cache = Cache::local();
        for _ in 0..3 {
            cache
                .get_or_load("search:0:q=x", || Ok(b"p".to_vec()))
                .await
                .unwrap();
        }
        cache
            .get_or_load("entry:7:0", || Ok(b"e".to_vec()))
            .await
            .unwrap();
        let by_kind = cache.stats_by_kind();
        assert_eq!(by_kind[0], (Kind::Search, 2, 1));
        assert_eq!(by_kind[1], (Kind::Library, 0, 1));
        assert_eq!(cache.stats(), (2, 2));
    }
}
