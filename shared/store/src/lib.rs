//! Adapters for the storage ports of `quarry-ports`.
//!
//! - embedded (`sqlite` feature): [`sqlite::SqliteTable`], [`sqlite::SqliteQueue`] over one SQLite
//!   file, [`files::FileBlobs`] over a directory, bundled by [`Embedded::open`];
//! - AWS (`aws` feature): DynamoDB, S3 and SQS, bundled by [`aws::connect`].
//!
//! Only the binaries (the local server, the Lambda entries) and the tests depend on this crate;
//! the domain cannot, so it can never name SQLite or AWS. The table layout the domain uses on
//! both backends is written down in `TABLE_LAYOUT.md` beside this crate's manifest.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "sqlite")]
mod embedded;
#[cfg(feature = "sqlite")]
pub mod files;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "sqlite")]
pub use embedded::Embedded;
