//! Storage ports: the narrow, DynamoDB-shaped interfaces the domain is written against, the
//! [`storage::Storage`] bundle of them, and the injectable [`clock`].
//!
//! Each port has two adapters (in the `quarry-store` crate): an embedded one (SQLite, local files)
//! for the local server and an AWS one (DynamoDB, S3, SQS) for Lambda. Domain code only ever sees these
//! traits, so the same code is tested locally and deployed unchanged. One contract test suite
//! (`tests/src/contract/`) runs against both adapters of every port.

pub mod blobs;
pub mod clock;
pub mod queue;
pub mod storage;
pub mod table;

pub use blobs::{Blob, BlobKey, BlobWriter, Blobs, SelfSignedBlobs, SignedUrl};
pub use queue::{Queue, Received, MAX_QUEUE_DELAY};
pub use table::{Condition, Index, Item, Key, KeyRange, Order, Page, Query, Table, Update, WriteOp};

/// What can go wrong in a storage port, independent of the adapter.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write's condition did not hold (or one condition of a transaction did not hold; then
    /// nothing of the transaction was written).
    #[error("the write's condition did not hold")]
    ConditionFailed,
    /// A pagination cursor could not be decoded or belongs to another query.
    #[error("the cursor is not valid for this query")]
    InvalidCursor,
    /// The caller asked for something the port does not allow (bad key, delay too long, ...).
    #[error("invalid storage request: {0}")]
    Invalid(String),
    /// The backend failed (I/O, network, throttling). Safe to retry.
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// Result alias for port operations.
pub type StoreResult<T> = Result<T, StoreError>;
