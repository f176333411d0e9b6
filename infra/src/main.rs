//! `quarry`: the local server and the operator CLI.
//!
//! `quarry` (or `cargo run`) with no arguments serves the API on 127.0.0.1:8080 over the embedded
//! store in `./.quarry/`. Subcommands manage keys and organizations in the same data directory,
//! also while a server is running on it.

mod cli;
mod local;
mod serve;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("QUARRY_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match cli::run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
