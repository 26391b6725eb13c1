//! Web visits by page, counted for the statistics (#15), and the background
//! thread that writes every count in memory to the database.
//!
//! A visit is counted under the matched route pattern
//! (`/libraries/{library}/vendors`), never the concrete path, which could
//! carry an id; by the library the path names, if any. Only the public and
//! patron pages are counted, and no address, cookie or patron is looked at.

use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Whether the page `pattern` is a public or patron page whose visits count.
pub fn counted(pattern: &str) -> bool {
    pattern == "/"
        || pattern == "/my"
        || pattern.starts_with("/my/")
        || pattern == "/libraries/{library}/vendors"
        || (pattern.starts_with("/directory") && !pattern.starts_with("/directory/changes"))
}

/// Counts a successful `GET` of a counted page after it is answered.
pub async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // No API path is a counted page (every counted pattern is outside
    // `/api/`), so those skip `match_pattern`, which walks the route table
    // again, through regular expressions for dynamic segments: a tenth of a
    // cached directory read's time (issue #18).
    let get = req.method() == Method::GET && !req.path().starts_with("/api/");
    let res = next.call(req).await?.map_into_boxed_body();
    if get && res.status().is_success() {
        let request = res.request();
        if let Some(pattern) = request.match_pattern().filter(|p| counted(p)) {
            if let Some(state) = request.app_data::<web::Data<AppState>>() {
                let slug = request.match_info().get("library");
                state.custody.counters().visit(slug, &pattern);
            }
        }
    }
    Ok(res)
}

/// The thread that writes the counts every few seconds; [`Flusher::stop`]
/// writes what is left and ends it.
pub struct Flusher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    custody: custody::Custody,
}

impl Flusher {
    /// Ends the thread and writes the counts still in memory.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        flush(&self.custody);
    }
}

fn flush(custody: &custody::Custody) {
    if let Err(e) = custody::statistics::flush(custody) {
        tracing::warn!(error = %e, "statistics: counts not written; kept for the next flush");
    }
}

/// Starts the thread that writes the counts every `every`.
pub fn spawn_flusher(custody: custody::Custody, every: Duration) -> Flusher {
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (stop, custody) = (stop.clone(), custody.clone());
        std::thread::Builder::new()
            .name("statistics".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::park_timeout(every);
                    flush(&custody);
                }
            })
            .ok()
    };
    Flusher {
        stop,
        thread,
        custody,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_and_patron_pages_count() {
        assert!(counted("/"));
        assert!(counted("/my/records"));
        assert!(counted("/directory/{id}"));
        assert!(counted("/libraries/{library}/vendors"));
        assert!(!counted("/libraries/{library}/patrons/{patron}"));
        assert!(!counted("/directory/changes"));
        assert!(!counted("/director"));
        assert!(!counted("/mystery"));
        // `count` skips `/api/` paths unmatched: none of their patterns counts.
        assert!(!counted("/api/v1/directory/libraries/{id}"));
        assert!(!counted("/api/v1/libraries/{library}/vendors"));
    }
}
