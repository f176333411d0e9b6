//! The local server: every endpoint group in one axum server over the embedded store, with
//! graceful shutdown (in-flight requests finish, the WAL is checkpointed) on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use quarry_shared::accounts::{KeyKind, Mode, NewKey, Scope};
use quarry_shared::http::{self, AppState, Group};
use quarry_shared::settings::{parse_public_url, Settings};
use quarry_shared::worker::Worker;

use crate::local::{Local, OrgDefaultFlags, OrgDefaults};

/// How often expired items are purged from the embedded table (reads hide them regardless).
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// Options of `quarry serve`. Each flag overrides its setting (the variable in its help).
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on [env: QUARRY_ADDR] [default: 127.0.0.1:8080]
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Where the embedded store lives [env: QUARRY_DATA_DIR] [default: .quarry]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The URL clients reach this server at (for signed download links) [env: QUARRY_PUBLIC_URL] [default: http://ADDR]
    #[arg(long, value_parser = |raw: &str| parse_public_url(raw))]
    pub public_url: Option<String>,
    #[command(flatten)]
    pub defaults: OrgDefaultFlags,
}

pub async fn run(args: ServeArgs, settings: &Settings) -> anyhow::Result<()> {
    let addr = args.addr.unwrap_or(settings.server.addr);
    let data_dir = args.data_dir.as_ref().unwrap_or(&settings.server.data_dir);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}: pass another address with --addr or QUARRY_ADDR"))?;
    let addr = listener.local_addr()?;
    let base_url = args.public_url.clone().or_else(|| settings.server.public_url.clone()).unwrap_or_else(|| format!("http://{addr}"));
    let local = Local::open(data_dir, &base_url)?;
    first_start(&local, &args.defaults.resolve(&settings.server)).await?;

    let state = AppState::new(local.embedded.storage.clone(), local.clock.clone(), &Group::ALL, settings)
        .with_search_wait(settings.server.search_wait)
        .with_in_memory_rate_limits();
    let app = http::router(state, Some(http::downloads::routes(local.embedded.blobs.clone())));
    let purge = tokio::spawn(purge_expired(local.embedded.table.clone(), local.embedded.blobs.clone(), settings.artifact_retention_days));
    // The step worker runs in-process over the embedded queue. Aborting it at shutdown is safe:
    // an unacknowledged task comes back on the next start.
    let worker = Worker::new(local.embedded.storage.clone(), local.clock.clone(), settings);
    // This process is the store's only worker: jobs a crash left running go on now, not after
    // the watchdog's heartbeat timeout.
    match worker.runner().resume_interrupted().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "resumed running jobs"),
        Err(e) => tracing::warn!(error = %e, "could not resume running jobs; the watchdog will"),
    }
    let worker = tokio::spawn(worker.run(std::future::pending()));

    println!("Quarry {} listening on {base_url} (data in {})", env!("CARGO_PKG_VERSION"), data_dir.display());
    http::listener::serve(listener, app, http::listener::ConnectionLimits::default(), shutdown_signal()).await.context("server failed")?;

    purge.abort();
    worker.abort();
    local.embedded.db.checkpoint().await?;
    eprintln!("Quarry stopped; all data is in {}", data_dir.display());
    Ok(())
}

/// On the very first start (no organization yet), creates one with a test and a live key and
/// prints the keys, which are never shown again.
async fn first_start(local: &Local, defaults: &OrgDefaults) -> anyhow::Result<()> {
    let (org, created) = crate::local::organization(&local.accounts, None, defaults).await?;
    if !created {
        return Ok(());
    }
    let mint = |mode, name: &str| NewKey { name: name.into(), kind: KeyKind::Secret, mode, scopes: Scope::ALL.to_vec(), expires_at: None };
    let (_, test) = local.accounts.create_key(&org.id, mint(Mode::Test, "Default test key")).await?;
    let (_, live) = local.accounts.create_key(&org.id, mint(Mode::Live, "Default live key")).await?;
    println!("Created organization {} ({}). These keys are shown only once; keep them:", org.id, crate::local::describe(&org));
    println!("  test key: {test}");
    println!("  live key: {live}");
    Ok(())
}

/// The bucket's lifecycle rules (`template.yaml`), which the local sweep applies to the file
/// store: prefix and days kept after writing.
fn file_expiry(artifact_days: u32) -> [(&'static str, u32); 4] {
    use quarry_shared::leads::archive;
    [("artifacts/", artifact_days), ("uploads/", 30), ("exports/", 7), (archive::PREFIX, archive::RETENTION_DAYS)]
}

/// Every `PURGE_INTERVAL`: expired table items, and blobs past their prefix's lifecycle rule.
async fn purge_expired(table: quarry_store::sqlite::SqliteTable, blobs: quarry_store::files::FileBlobs, artifact_days: u32) {
    let mut tick = tokio::time::interval(PURGE_INTERVAL);
    loop {
        tick.tick().await;
        match table.purge_expired().await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "purged expired items"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging expired items failed"),
        }
        for (prefix, days) in file_expiry(artifact_days) {
            match blobs.expire(prefix, quarry_shared::jobs::artifact::retention(days)).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, prefix, "expired files"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, prefix, "expiring files failed"),
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("Shutting down: finishing in-flight requests…");
}
