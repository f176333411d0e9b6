//! Test support for Quarry's black-box suites: the port contract suites, the AWS emulator
//! harness, and a test server for the HTTP API.

pub mod contract;
pub mod fixtures;
pub mod moto;
pub mod server;
