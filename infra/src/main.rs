//! `quarry`: the local server and the operator CLI.
//!
//! `quarry` (or `cargo run`) with no arguments serves the API on 127.0.0.1:8080 over the embedded
//! store in `./.quarry/`. Subcommands manage keys and organizations in the same data directory,
//! also while a server is running on it.

mod cli;
mod local;
mod serve;

use clap::Parser;
use quarry_shared::settings::Settings;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    // Every setting is read once, here; a bad value stops the start naming the variable.
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(&settings.log_filter)).with_writer(std::io::stderr).init();
    tracing::debug!(?settings, "settings");
    match cli::run(args, &settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
