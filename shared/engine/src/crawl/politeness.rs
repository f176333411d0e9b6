//! Per-host politeness: at most N requests in flight to one host, and request starts spaced by a minimum delay.
//!
//! A host is `host:port` (ports made explicit), so `http://` and `https://` of one name are separate hosts, as
//! they are separate robots.txt origins. State lives in a shared map so every task using one
//! [`super::Crawler`] sees the same limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

/// Above this many tracked hosts, idle ones are forgotten.
const MAX_TRACKED_HOSTS: usize = 1024;

struct Host {
    permits: Arc<Semaphore>,
    /// When the latest request to this host was (or is scheduled to be) started.
    last_start: Mutex<Option<Instant>>,
}

/// The per-host limits shared by all tasks of one crawler.
pub(crate) struct Politeness {
    concurrency: usize,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// The right to make one request to a host; the slot is freed when this is dropped.
pub(crate) struct Turn {
    _permit: OwnedSemaphorePermit,
}

impl Politeness {
    /// Allows `concurrency` (at least 1) simultaneous requests per host.
    pub(crate) fn new(concurrency: usize) -> Self {
        Self { concurrency: concurrency.max(1), hosts: Mutex::new(HashMap::new()) }
    }

    /// The politeness key of `url`: `host:port`.
    pub(crate) fn host_key(url: &Url) -> String {
        format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
    }

    /// Waits for a free slot on `url`'s host and until at least `delay` has passed since the previous request to
    /// it started; hold the returned turn while making the request.
    pub(crate) async fn wait_turn(&self, url: &Url, delay: Duration) -> Turn {
        let host = self.host(&Self::host_key(url));
        let permit = host.permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let start = {
            let mut last = host.last_start.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let start = last.map_or(now, |last| (last + delay).max(now));
            *last = Some(start);
            start
        };
        tokio::time::sleep_until(start).await;
        Turn { _permit: permit }
    }

    fn host(&self, key: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(host) = hosts.get(key) {
            return host.clone();
        }
        if hosts.len() >= MAX_TRACKED_HOSTS {
            // A host nobody holds a reference to has no request in flight or waiting; forgetting it only forgets
            // when its last request started, which matters little once the map is this large.
            hosts.retain(|_, host| Arc::strong_count(host) > 1);
        }
        let host = Arc::new(Host { permits: Arc::new(Semaphore::new(self.concurrency)), last_start: Mutex::new(None) });
        hosts.insert(key.to_owned(), host.clone());
        host
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn limits_concurrency_and_spaces_starts_per_host() {
        let politeness = Arc::new(Politeness::new(2));
        let url = Url::parse("http://example.com/").unwrap();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (politeness, url, in_flight, max) = (politeness.clone(), url.clone(), in_flight.clone(), max.clone());
            tasks.push(tokio::spawn(async move {
                let _turn = politeness.wait_turn(&url, Duration::from_millis(20)).await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 2);
        // Six starts at least 20 ms apart.
        assert!(started.elapsed() >= Duration::from_millis(100), "{:?}", started.elapsed());

        // Another host is not held up by the first.
        let other = Url::parse("https://example.com/").unwrap();
        assert_ne!(Politeness::host_key(&url), Politeness::host_key(&other));
    }
}
