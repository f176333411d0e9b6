//! Adapters for the storage ports.
//!
//! - embedded (`sqlite` feature): [`sqlite::SqliteTable`], [`sqlite::SqliteQueue`] over one SQLite
//!   file, [`files::FileBlobs`] over a directory;
//! - AWS (`aws` feature): DynamoDB, S3 and SQS.
//!
//! The table layout the domain uses on both is written down in `TABLE_LAYOUT.md` beside this file.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "sqlite")]
pub mod files;
#[cfg(feature = "sqlite")]
pub mod sqlite;
