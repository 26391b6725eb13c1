//! The gate every password hash on a request path passes through.
//!
//! An argon2id hash holds 19 MiB while it runs and the blocking pool would run
//! as many at once as arrive, so a burst of sign-ins grows the process by
//! hundreds of megabytes. The gate runs about one hash per core; a bounded
//! number of callers wait their turn, and beyond that the caller is told to
//! come back (503 with Retry-After) instead of queueing without limit.

use crate::error::ApiError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bounds concurrent password hashing and the queue waiting for it.
pub struct HashGate {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

/// Decrements the waiting count however the wait ends (granted, or the request dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashGate {
    /// `concurrency` hashes at once (0: one per core), `queue` callers waiting.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            concurrency
        };
        HashGate {
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// A hashing slot, after waiting in the queue if need be; `Busy` when the queue is full.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::Busy {
                retry_after_secs: 1,
            });
        }
        let _waiting = Waiting(&self.waiting);
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal("the hashing gate is closed".into()))
    }

    /// Runs `f`, which hashes or verifies a password, on the blocking pool once a slot is free.
    ///
    /// The slot moves into the blocking task, so a client that hangs up does
    /// not free it while the hash is still running.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.enter().await?;
        crate::routes::blocking(move || {
            let _permit = permit;
            f()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_is_refused_and_a_freed_slot_is_reused() {
        let gate = HashGate::new(1, 0);
        let first = gate.enter().await.unwrap();
        match gate.enter().await {
            Err(ApiError::Busy { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected Busy, got {:?}", other.map(|_| ())),
        }
        drop(first);
        assert!(gate.enter().await.is_ok());
    }

    #[tokio::test]
    async fn callers_wait_in_the_queue_up_to_its_length() {
        let gate = Arc::new(HashGate::new(1, 1));
        let first = gate.enter().await.unwrap();
        let g = gate.clone();
        let waiter = tokio::spawn(async move { g.enter().await.map(|_| ()) });
        while gate.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(gate.enter().await, Err(ApiError::Busy { .. })));
        drop(first);
        assert!(waiter.await.unwrap().is_ok());
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
    }
}
