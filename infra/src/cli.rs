//! Command-line interface: `serve` (the default), `keys …` and `org …`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use quarry_ports::clock::Timestamp;
use quarry_shared::accounts::{Accounts, KeyKind, Mode, NewKey, OrganizationObject, Scope, Tier};
use quarry_shared::settings::Settings;

use crate::local::{organization, Local, OrgDefaultFlags};
use crate::serve::{self, ServeArgs};

/// Quarry: a self-hostable lead research API.
#[derive(Parser, Debug)]
#[command(name = "quarry", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (the default when no command is given).
    Serve(ServeArgs),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Show and configure organizations (tier, monthly credits).
    #[command(subcommand)]
    Org(OrgCommand),
}

/// Which store a command acts on: the embedded store of a data directory, or (with the `aws`
/// feature) the DynamoDB table of a deployed stack. The flags override the settings.
#[derive(Args, Debug, Clone)]
pub struct DataDir {
    /// Where the embedded store lives [env: QUARRY_DATA_DIR] [default: .quarry]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Act on this DynamoDB table (the stack's `TableName` output) instead of the data directory.
    /// Credentials and region come from the usual AWS environment [env: QUARRY_TABLE]
    #[cfg(feature = "aws")]
    #[arg(long)]
    pub aws_table: Option<String>,
}

impl DataDir {
    /// The accounts service over the chosen store.
    async fn accounts(&self, settings: &Settings) -> anyhow::Result<Accounts> {
        #[cfg(feature = "aws")]
        if let Some(table) = self.aws_table.as_ref().or(settings.aws.table.as_ref()) {
            return Ok(crate::local::aws_accounts(table, settings.aws.endpoint_url.as_deref()).await);
        }
        Ok(Local::open(self.data_dir.as_ref().unwrap_or(&settings.server.data_dir), CLI_BASE_URL)?.accounts)
    }
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Mint a key and print its secret alone on stdout (creates the organization if there is none).
    Create(CreateKey),
    /// List the organization's keys.
    List {
        #[command(flatten)]
        data: DataDir,
        /// Organization ID (default: the oldest organization).
        #[arg(long)]
        org: Option<String>,
    },
    /// Revoke a key by ID.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The key ID (`key_…`).
        id: String,
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Args, Debug)]
struct CreateKey {
    #[command(flatten)]
    data: DataDir,
    /// A test key (`sk_test_`): synthetic, free execution. The default.
    #[arg(long, group = "kind")]
    test: bool,
    /// A live key (`sk_live_`): real sources, consumes credits.
    #[arg(long, group = "kind")]
    live: bool,
    /// A publishable key (`pk_pub_`): read-only.
    #[arg(long, group = "kind")]
    public: bool,
    /// Comma-separated scopes (read, run, integrations, admin). Default: all for secret keys,
    /// read for publishable keys.
    #[arg(long, value_delimiter = ',')]
    scopes: Option<Vec<Scope>>,
    /// A label for the key.
    #[arg(long, default_value = "CLI key")]
    name: String,
    /// Expiry, as an ISO 8601 timestamp.
    #[arg(long)]
    expires_at: Option<String>,
    /// Organization ID (default: the oldest organization; one is created if there is none).
    #[arg(long)]
    org: Option<String>,
    #[command(flatten)]
    defaults: OrgDefaultFlags,
}

#[derive(Subcommand, Debug)]
enum OrgCommand {
    /// Print the organizations as JSON.
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Change an organization's tier and/or monthly credit allowance.
    Set {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        org: Option<String>,
        /// starter, growth or scale.
        #[arg(long)]
        tier: Option<Tier>,
        /// Monthly credit allowance.
        #[arg(long)]
        credits: Option<u64>,
    },
}

/// The base URL the CLI's store uses when no server address is involved.
const CLI_BASE_URL: &str = "http://127.0.0.1:8080";

/// Runs the command line over `settings` (read once at start); its flags override them.
pub async fn run(cli: Cli, settings: &Settings) -> anyhow::Result<()> {
    match cli.command {
        None => serve::run(cli.serve, settings).await,
        Some(Command::Serve(args)) => serve::run(args, settings).await,
        Some(Command::Keys(cmd)) => keys(cmd, settings).await,
        Some(Command::Org(cmd)) => org(cmd, settings).await,
    }
}

async fn keys(cmd: KeysCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Create(args) => {
            let accounts = args.data.accounts(settings).await?;
            let (org, created) = organization(&accounts, args.org.as_deref(), &args.defaults.resolve(&settings.server)).await?;
            if created {
                eprintln!("Created organization {} (tier {}).", org.id, org.tier.as_str());
            }
            let kind = if args.public { KeyKind::Publishable } else { KeyKind::Secret };
            let mode = if args.live { Mode::Live } else { Mode::Test };
            let scopes = args.scopes.unwrap_or_else(|| match kind {
                KeyKind::Secret => Scope::ALL.to_vec(),
                KeyKind::Publishable => vec![Scope::Read],
            });
            anyhow::ensure!(!scopes.is_empty(), "--scopes must name at least one scope");
            anyhow::ensure!(kind == KeyKind::Secret || scopes == [Scope::Read], "publishable keys are read-only: their only scope is read");
            let expires_at = args
                .expires_at
                .map(|raw| Timestamp::parse(&raw).with_context(|| format!("--expires-at `{raw}` is not an ISO 8601 timestamp")))
                .transpose()?;
            let new = NewKey { name: args.name, kind, mode, scopes, expires_at };
            let (key, secret) = accounts.create_key(&org.id, new).await?;
            eprintln!("Created {} ({}) in {}. The secret is shown once:", key.id, key.prefix, org.id);
            println!("{secret}");
            Ok(())
        }
        KeysCommand::List { data, org } => {
            let accounts = data.accounts(settings).await?;
            let org = existing_org(&accounts, org.as_deref()).await?;
            let mut cursor = None;
            loop {
                let (keys, next) = accounts.list_keys(&org, None, quarry_ports::Order::Asc, 100, cursor).await?;
                for key in keys {
                    println!("{}", serde_json::to_string(&key)?);
                }
                match next {
                    Some(c) => cursor = Some(c),
                    None => return Ok(()),
                }
            }
        }
        KeysCommand::Revoke { data, id, org } => {
            let accounts = data.accounts(settings).await?;
            let org = existing_org(&accounts, org.as_deref()).await?;
            let key = accounts.revoke_key(&org, None, &id).await?.with_context(|| format!("no key {id} in organization {org}"))?;
            println!("{}", serde_json::to_string(&key)?);
            Ok(())
        }
    }
}

async fn existing_org(accounts: &Accounts, org: Option<&str>) -> anyhow::Result<String> {
    match org {
        Some(id) => Ok(id.to_string()),
        None => {
            Ok(accounts.first_organization().await?.context("no organization yet: run `quarry keys create` or `quarry serve` first")?.id)
        }
    }
}

async fn org(cmd: OrgCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        OrgCommand::List { data } => {
            let accounts = data.accounts(settings).await?;
            for org in accounts.organizations().await? {
                println!("{}", serde_json::to_string(&OrganizationObject::from(&org))?);
            }
            Ok(())
        }
        OrgCommand::Set { data, org, tier, credits } => {
            let accounts = data.accounts(settings).await?;
            let id = existing_org(&accounts, org.as_deref()).await?;
            let org = accounts.update_organization(&id, tier, credits).await?.with_context(|| format!("no organization {id}"))?;
            println!("{}", serde_json::to_string(&OrganizationObject::from(&org))?);
            Ok(())
        }
    }
}
