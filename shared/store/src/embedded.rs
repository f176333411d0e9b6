//! The embedded storage of a data directory: `quarry.db` (the table and both queues) and
//! `blobs/`, what the local server and the embedded test suites run on.

use std::path::Path;
use std::sync::Arc;

use quarry_ports::clock::SharedClock;
use quarry_ports::storage::{Storage, DELIVERIES_QUEUE, MAX_RECEIVES, STEPS_QUEUE};
use quarry_ports::{StoreError, StoreResult};

use crate::files::FileBlobs;
use crate::sqlite::{QueueSettings, SqliteDb, SqliteQueue, SqliteTable};

/// The embedded adapters of one data directory, with the concrete handles the local server needs
/// (the database for its WAL checkpoint, the file blobs for its download route).
pub struct Embedded {
    pub storage: Storage,
    pub db: SqliteDb,
    pub table: SqliteTable,
    pub blobs: FileBlobs,
}

impl Embedded {
    /// Opens the embedded storage in `data_dir` (created if missing). `base_url` is where the
    /// local server is reachable, for signed download URLs.
    pub fn open(data_dir: &Path, base_url: &str, signing_key: Vec<u8>, clock: SharedClock) -> StoreResult<Embedded> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", data_dir.display())))?;
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
