//! The embedded backend of a data directory, as the server and the CLI open it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use quarry_ports::clock::{SharedClock, SystemClock};
use quarry_shared::accounts::{Accounts, Limit, LimitOverride, LimitOverrides, Organization, OverrideChange, Tier};
use quarry_shared::settings::ServerSettings;
use quarry_store::Embedded;

/// Name of the file holding the key that signs local download URLs.
const SIGNING_KEY_FILE: &str = "signing.key";

/// Flags for organizations the CLI or the first start creates; they override the settings.
#[derive(Clone, Debug, clap::Args)]
pub struct OrgDefaultFlags {
    /// Tier of an organization created automatically: starter, growth or scale [env: QUARRY_DEFAULT_TIER] [default: scale]
    #[arg(long = "default-tier")]
    pub tier: Option<Tier>,
    /// Monthly credit allowance of an organization created automatically [env: QUARRY_DEFAULT_CREDITS] [default: 1000000]
    #[arg(long = "default-credits")]
    pub monthly_credits: Option<u64>,
    /// Requests a minute of an organization created automatically, instead of its tier's (1 to 1000000) [env: QUARRY_DEFAULT_REQUESTS_PER_MINUTE]
    #[arg(long = "default-requests-per-minute", value_name = "N", value_parser = |raw: &str| Limit::RequestsPerMinute.parse(raw))]
    pub requests_per_minute: Option<LimitOverride>,
    /// Concurrent jobs of an organization created automatically, instead of its tier's (1 to 1000) [env: QUARRY_DEFAULT_CONCURRENT_JOBS]
    #[arg(long = "default-concurrent-jobs", value_name = "N", value_parser = |raw: &str| Limit::ConcurrentJobs.parse(raw))]
    pub concurrent_jobs: Option<LimitOverride>,
    /// Plans a day of an organization created automatically, instead of its tier's (1 to 10000000, or unlimited) [env: QUARRY_DEFAULT_PLANS_PER_DAY]
    #[arg(long = "default-plans-per-day", value_name = "N|unlimited", value_parser = |raw: &str| Limit::PlansPerDay.parse(raw))]
    pub plans_per_day: Option<LimitOverride>,
    /// Open event streams of an organization created automatically, instead of its tier's (1 to 100000) [env: QUARRY_DEFAULT_SSE_CONNECTIONS]
    #[arg(long = "default-sse-connections", value_name = "N", value_parser = |raw: &str| Limit::SseConnections.parse(raw))]
    pub sse_connections: Option<LimitOverride>,
}

impl OrgDefaultFlags {
    /// The flags over the settings (each limit flag over its variable).
    pub fn resolve(&self, server: &ServerSettings) -> OrgDefaults {
        let flags = [self.requests_per_minute, self.concurrent_jobs, self.plans_per_day, self.sse_connections];
        let overrides = flags.into_iter().flatten().fold(server.default_overrides, |o, flag| o.with(OverrideChange::Set(flag)));
        OrgDefaults {
            tier: self.tier.unwrap_or(server.default_tier),
            monthly_credits: self.monthly_credits.unwrap_or(server.default_credits),
            overrides,
        }
    }
}

/// Tier, credits and limit overrides of organizations the CLI or the first start creates.
#[derive(Clone, Copy, Debug)]
pub struct OrgDefaults {
    pub tier: Tier,
    pub monthly_credits: u64,
    pub overrides: LimitOverrides,
}

/// An opened data directory.
pub struct Local {
    pub embedded: Embedded,
    pub accounts: Accounts,
    pub clock: SharedClock,
}

impl Local {
    /// Opens (creating if needed) the data directory. `base_url` is what signed download URLs
    /// point at.
    pub fn open(data_dir: &Path, base_url: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let signing_key = signing_key(&data_dir.join(SIGNING_KEY_FILE))?;
        let clock: SharedClock = Arc::new(SystemClock);
        let embedded = Embedded::open(data_dir, base_url, signing_key, clock.clone())
            .with_context(|| format!("cannot open the store in {}", data_dir.display()))?;
        let accounts = Accounts::new(embedded.storage.table.clone(), clock.clone());
        Ok(Local { embedded, accounts, clock })
    }
}

/// The organization to act on: the named one, else the oldest, else a new one (`created`).
pub async fn organization(accounts: &Accounts, org_id: Option<&str>, defaults: &OrgDefaults) -> anyhow::Result<(Organization, bool)> {
    if let Some(id) = org_id {
        let org = accounts.organization(id).await?.with_context(|| format!("no organization {id} in this store"))?;
        return Ok((org, false));
    }
    if let Some(org) = accounts.first_organization().await? {
        return Ok((org, false));
    }
    let org =
        accounts.create_organization_with("Default organization", defaults.tier, defaults.monthly_credits, defaults.overrides).await?;
    Ok((org, true))
}

/// How the CLI names an organization's plan in a sentence: `tier scale`, and the limits in force
/// when the operator overrode any of them.
pub fn describe(org: &Organization) -> String {
    let tier = format!("tier {}", org.tier.as_str());
    if org.overrides.is_empty() {
        return tier;
    }
    let limits = org.limits();
    let plans = limits.plans_per_day.map_or("unlimited".to_string(), |n| n.to_string());
    format!(
        "{tier}; limits: {} requests a minute, {} concurrent jobs, {plans} plans a day, {} open streams",
        limits.requests_per_minute, limits.concurrent_jobs, limits.sse_connections
    )
}

/// Reads the download-signing key, creating a random one (readable by the owner only) if needed.
fn signing_key(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if let Ok(hex_key) = std::fs::read_to_string(path) {
        return hex::decode(hex_key.trim()).with_context(|| format!("{} is corrupt; delete it to make a new one", path.display()));
    }
    let key: [u8; 32] = rand::random();
    write_private(path, &hex::encode(key)).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key.to_vec())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The accounts service over a deployed stack's DynamoDB table (`endpoint`, the settings'
/// `QUARRY_AWS_ENDPOINT_URL`, points it at an emulator instead).
#[cfg(feature = "aws")]
pub async fn aws_accounts(table: &str, endpoint: Option<&str>) -> Accounts {
    let (table, clock) = aws_table(table, endpoint).await;
    Accounts::new(table, clock)
}

/// A deployed stack's DynamoDB table (`endpoint`, as for [`aws_accounts`]) and the clock its
/// writes are dated by.
#[cfg(feature = "aws")]
pub async fn aws_table(table: &str, endpoint: Option<&str>) -> (Arc<dyn quarry_ports::Table>, SharedClock) {
    use quarry_store::aws::{dynamo::DynamoTable, sdk_config};
    let config = sdk_config(endpoint).await;
    let clock: SharedClock = Arc::new(SystemClock);
    (Arc::new(DynamoTable::from_config(&config, table, clock.clone())), clock)
}

/// The blob store of a deployed stack: its S3 bucket (`endpoint`, as for [`aws_accounts`]).
#[cfg(feature = "aws")]
pub async fn aws_blobs(bucket: &str, endpoint: Option<&str>) -> Arc<dyn quarry_ports::Blobs> {
    use quarry_store::aws::{s3, sdk_config};
    let config = sdk_config(endpoint).await;
    let clock: SharedClock = Arc::new(SystemClock);
    Arc::new(s3::S3Blobs::new(s3::s3_client(&config, false), bucket, clock))
}
