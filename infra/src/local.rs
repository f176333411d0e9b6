//! The embedded backend of a data directory, as the server and the CLI open it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use quarry_ports::clock::{SharedClock, SystemClock};
use quarry_shared::accounts::{Accounts, Organization, Tier};
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
}

impl OrgDefaultFlags {
    /// The flags over the settings.
    pub fn resolve(&self, server: &ServerSettings) -> OrgDefaults {
        OrgDefaults {
            tier: self.tier.unwrap_or(server.default_tier),
            monthly_credits: self.monthly_credits.unwrap_or(server.default_credits),
        }
    }
}

/// Tier and credits of organizations the CLI or the first start creates.
#[derive(Clone, Copy, Debug)]
pub struct OrgDefaults {
    pub tier: Tier,
    pub monthly_credits: u64,
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
    let org = accounts.create_organization("Default organization", defaults.tier, defaults.monthly_credits).await?;
    Ok((org, true))
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
    use quarry_store::aws::{dynamo::DynamoTable, sdk_config};
    let config = sdk_config(endpoint).await;
    let clock: SharedClock = Arc::new(SystemClock);
    Accounts::new(Arc::new(DynamoTable::from_config(&config, table, clock.clone())), clock)
}
