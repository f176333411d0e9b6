//! The `quarry` binary as a process, linked as one test binary: the local server and CLI, the
//! operator commands (`org create/set/delete`, the `QUARRY_DEFAULT_*` limits, `credits …`), and
//! (with the `aws` feature) the CLI against a stack's DynamoDB table in the moto emulator.

mod cli;
#[cfg(feature = "aws")]
mod cli_aws;
mod credits;
mod operators;
