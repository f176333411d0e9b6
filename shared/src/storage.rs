//! The storage bundle every component is built over: one table, one blob store, the work queues.

use std::sync::Arc;

use crate::ports::{Blobs, Queue, Table};

/// Name of the step worker's queue (its dead-letter queue is `<name>-dlq`).
pub const STEPS_QUEUE: &str = "steps";
/// Name of the webhook dispatcher's queue.
pub const DELIVERIES_QUEUE: &str = "deliveries";
/// Receives before a message is moved to its dead-letter queue (the template's redrive policy).
pub const MAX_RECEIVES: u32 = 5;

/// The adapters in use.
#[derive(Clone)]
pub struct Storage {
    pub table: Arc<dyn Table>,
    pub blobs: Arc<dyn Blobs>,
    /// Work for the step worker.
    pub steps: Arc<dyn Queue>,
    /// Webhook deliveries for the dispatcher.
    pub deliveries: Arc<dyn Queue>,
    /// `embedded` or `aws`, as `/health` reports it.
    pub backend: &'static str,
}

#[cfg(feature = "sqlite")]
mod embedded {
    use std::path::Path;
    use std::sync::Arc;

    use super::{Storage, DELIVERIES_QUEUE, MAX_RECEIVES, STEPS_QUEUE};
    use crate::clock::SharedClock;
    use crate::ports::StoreResult;
    use crate::store::files::FileBlobs;
    use crate::store::sqlite::{QueueSettings, SqliteDb, SqliteQueue, SqliteTable};

    /// The embedded storage of a data directory: `quarry.db` (table + queues) and `blobs/`.
    pub struct Embedded {
        pub storage: Storage,
        pub db: SqliteDb,
        pub table: SqliteTable,
        pub blobs: FileBlobs,
    }

    impl Storage {
        /// Opens the embedded storage in `data_dir` (created if missing). `base_url` is where the
        /// local server is reachable, for signed download URLs.
        pub fn embedded(data_dir: &Path, base_url: &str, signing_key: Vec<u8>, clock: SharedClock) -> StoreResult<Embedded> {
            std::fs::create_dir_all(data_dir).map_err(|e| crate::ports::StoreError::Backend(format!("cannot create {}: {e}", data_dir.display())))?;
            let db = SqliteDb::open(&data_dir.join("quarry.db"))?;
            let table = SqliteTable::new(db.clone(), clock.clone());
            let blobs = FileBlobs::new(data_dir.join("blobs"), base_url, signing_key, clock.clone());
            let queue = |name: &str| Arc::new(SqliteQueue::new(db.clone(), clock.clone(), QueueSettings::with_dlq(name, MAX_RECEIVES)));
            let storage = Storage {
                table: Arc::new(table.clone()),
                blobs: Arc::new(blobs.clone()),
                steps: queue(STEPS_QUEUE),
                deliveries: queue(DELIVERIES_QUEUE),
                backend: "embedded",
            };
            Ok(Embedded { storage, db, table, blobs })
        }
    }
}

#[cfg(feature = "sqlite")]
pub use embedded::Embedded;
