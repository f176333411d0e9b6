//! Command-line interface: `serve` (the default), `keys …`, `org …` and `credits …`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::{Blobs, Order, Table};
use quarry_shared::accounts::{
    parse_organization_name, Accounts, KeyKind, Limit, LimitOverrides, Mode, NewKey, Organization, OrganizationChanges, OrganizationObject,
    OverrideChange, Scope, Tier, VERIFIED_KEY_TTL,
};
use quarry_shared::billing::{Balance, Billing};
use quarry_shared::error::ResearchError;
use quarry_shared::jobs::service::MAX_REFUND_NOTE;
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
    /// Create, show, configure (tier, monthly credits, limit overrides) and delete organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Show an organization's credits, adjust them, refund a job, and list the ledger.
    #[command(subcommand)]
    Credits(CreditsCommand),
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

    /// The table of the chosen store and the clock its writes are dated by.
    async fn table(&self, settings: &Settings) -> anyhow::Result<(Arc<dyn Table>, SharedClock)> {
        #[cfg(feature = "aws")]
        if let Some(table) = self.aws_table.as_ref().or(settings.aws.table.as_ref()) {
            return Ok(crate::local::aws_table(table, settings.aws.endpoint_url.as_deref()).await);
        }
        let local = Local::open(self.data_dir.as_ref().unwrap_or(&settings.server.data_dir), CLI_BASE_URL)?;
        Ok((local.embedded.storage.table.clone(), local.clock))
    }

    /// The accounts and the credit ledger of the chosen store.
    async fn credits(&self, settings: &Settings) -> anyhow::Result<Credits> {
        let (table, clock) = self.table(settings).await?;
        Ok(Credits { accounts: Accounts::new(table.clone(), clock.clone()), billing: Billing::new(table.clone(), clock), table })
    }

    /// The accounts service and the blob store of the chosen store: the data directory's files,
    /// or on AWS the bucket `bucket` (required there: the table alone does not name it).
    async fn accounts_and_blobs(&self, settings: &Settings, bucket: Option<&str>) -> anyhow::Result<(Accounts, Arc<dyn Blobs>)> {
        #[cfg(feature = "aws")]
        if let Some(table) = self.aws_table.as_ref().or(settings.aws.table.as_ref()) {
            let bucket = bucket.or(settings.aws.bucket.as_deref()).context(
                "deleting an organization on AWS removes its files too: name the stack's bucket (its ArtifactsBucketName output) with --aws-bucket <name> (or QUARRY_BUCKET)",
            )?;
            let endpoint = settings.aws.endpoint_url.as_deref();
            return Ok((crate::local::aws_accounts(table, endpoint).await, crate::local::aws_blobs(bucket, endpoint).await));
        }
        let _ = bucket;
        let local = Local::open(self.data_dir.as_ref().unwrap_or(&settings.server.data_dir), CLI_BASE_URL)?;
        Ok((local.accounts, local.embedded.storage.blobs.clone()))
    }
}

/// What the `credits` commands act on: the organizations, the ledger, and the table the jobs
/// a refund reads are in.
struct Credits {
    accounts: Accounts,
    billing: Billing,
    table: Arc<dyn Table>,
}

/// The limit overrides `quarry org set` and `org create` take: a number (or `unlimited` plans a
/// day) in place of the tier's value, or `default` to go back to it.
#[derive(Args, Debug, Clone, Default)]
struct LimitFlags {
    /// Requests a minute, 1 to 1000000, instead of the tier's (`default`: the tier's).
    #[arg(long, value_name = "N|default", value_parser = |raw: &str| Limit::RequestsPerMinute.parse_change(raw))]
    requests_per_minute: Option<OverrideChange>,
    /// Jobs running at once, 1 to 1000, instead of the tier's (`default`: the tier's).
    #[arg(long, value_name = "N|default", value_parser = |raw: &str| Limit::ConcurrentJobs.parse_change(raw))]
    concurrent_jobs: Option<OverrideChange>,
    /// Plans drafted a day, 1 to 10000000 or `unlimited`, instead of the tier's (`default`: the tier's).
    #[arg(long, value_name = "N|unlimited|default", value_parser = |raw: &str| Limit::PlansPerDay.parse_change(raw))]
    plans_per_day: Option<OverrideChange>,
    /// Open event streams (SSE), 1 to 100000, instead of the tier's (`default`: the tier's).
    #[arg(long, value_name = "N|default", value_parser = |raw: &str| Limit::SseConnections.parse_change(raw))]
    sse_connections: Option<OverrideChange>,
}

impl LimitFlags {
    /// The changes the flags ask for, in the order of [`Limit::ALL`].
    fn changes(&self) -> Vec<OverrideChange> {
        [self.requests_per_minute, self.concurrent_jobs, self.plans_per_day, self.sse_connections].into_iter().flatten().collect()
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
    /// Create an organization (for another team) and print it as JSON; mint its keys with
    /// `quarry keys create --org <id>`.
    Create {
        #[command(flatten)]
        data: DataDir,
        /// Its name, 1 to 100 characters.
        #[arg(long)]
        name: String,
        /// starter, growth or scale [default: QUARRY_DEFAULT_TIER, else scale]
        #[arg(long)]
        tier: Option<Tier>,
        /// Monthly credit allowance [default: QUARRY_DEFAULT_CREDITS, else 1000000]
        #[arg(long)]
        credits: Option<u64>,
        #[command(flatten)]
        limits: LimitFlags,
    },
    /// Change an organization's tier, monthly credit allowance and limit overrides, and print it.
    Set {
        #[command(flatten)]
        data: DataDir,
        /// Organization ID (default: the oldest organization).
        #[arg(long)]
        org: Option<String>,
        /// starter, growth or scale.
        #[arg(long)]
        tier: Option<Tier>,
        /// Monthly credit allowance.
        #[arg(long)]
        credits: Option<u64>,
        #[command(flatten)]
        limits: LimitFlags,
        /// Remove every limit override first (the tier's limits hold again, except those set
        /// by the other flags of the same command).
        #[arg(long)]
        clear_overrides: bool,
    },
    /// Delete an organization and all of its data: keys, threads, jobs, leads, files, webhooks.
    Delete {
        #[command(flatten)]
        data: DataDir,
        /// The organization ID (`org_…`).
        id: String,
        /// Required: says you mean to delete everything the organization has. There is no undo.
        #[arg(long)]
        yes_delete_all_data: bool,
        /// Seconds to wait between cutting off the organization's keys and jobs and deleting the
        /// rest, so running servers stop serving it first (their cache of verified keys lasts 10 s).
        #[arg(long, default_value_t = VERIFIED_KEY_TTL.num_seconds() as u64 + 5, value_parser = clap::value_parser!(u64).range(0..=600))]
        settle_secs: u64,
        /// The stack's bucket (its `ArtifactsBucketName` output), with --aws-table [env: QUARRY_BUCKET]
        #[cfg(feature = "aws")]
        #[arg(long)]
        aws_bucket: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum CreditsCommand {
    /// Print the balance, the lifetime totals and the current month's counters as one JSON object.
    Show {
        #[command(flatten)]
        data: DataDir,
        /// Organization ID (default: the oldest organization).
        #[arg(long)]
        org: Option<String>,
    },
    /// Add credits (a top-up) or take them away (a correction) with a note, as a ledger entry;
    /// print the entry as JSON.
    Adjust {
        #[command(flatten)]
        data: DataDir,
        /// Credits to add (positive) or take away (negative, e.g. --amount -500), at most
        /// 1000000000 either way.
        #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_adjustment)]
        amount: i64,
        /// Why, for the ledger (1 to 500 characters).
        #[arg(long, value_parser = parse_note)]
        note: String,
        /// Organization ID (default: the oldest organization).
        #[arg(long)]
        org: Option<String>,
    },
    /// Give back the credits a finished live job was billed (once per job); print the refund
    /// entry as JSON.
    Refund {
        #[command(flatten)]
        data: DataDir,
        /// The job ID (`job_…`).
        job_id: String,
        /// Why, for the ledger (1 to 500 characters) [default: Refund of job <JOB_ID>]
        #[arg(long, value_parser = parse_note)]
        note: Option<String>,
        /// Organization ID (default: the oldest organization).
        #[arg(long)]
        org: Option<String>,
    },
    /// Print the ledger, newest first, one JSON entry per line.
    Ledger {
        #[command(flatten)]
        data: DataDir,
        /// Organization ID (default: the oldest organization).
        #[arg(long)]
        org: Option<String>,
        /// Print at most this many entries (the newest) [default: all]
        #[arg(long, value_name = "N", value_parser = parse_limit)]
        limit: Option<usize>,
    },
}

/// Largest adjustment either way: a typo's extra zeros are refused rather than credited.
const MAX_ADJUSTMENT: i64 = 1_000_000_000;

/// `--amount`: a whole number of credits, not 0, within [`MAX_ADJUSTMENT`] either way.
fn parse_adjustment(raw: &str) -> Result<i64, String> {
    let amount: i64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("`{raw}` is not a whole number of credits: e.g. --amount 500 adds credits, --amount -500 takes them away"))?;
    if amount == 0 {
        return Err("an adjustment of 0 moves no credits: give a positive amount to add credits (--amount 500) or a negative one to take them away (--amount -500)".into());
    }
    if amount.abs() > MAX_ADJUSTMENT {
        return Err(format!("an adjustment is at most {MAX_ADJUSTMENT} credits either way; check the number of zeros"));
    }
    Ok(amount)
}

/// `--limit`: how many ledger entries to print, 1 or more.
fn parse_limit(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{raw}` is not a number of entries: give 1 or more, or leave --limit out to print the whole ledger")),
    }
}

/// `--note`: what the ledger entry says, not blank, at most [`MAX_REFUND_NOTE`] characters.
fn parse_note(raw: &str) -> Result<String, String> {
    let note = raw.trim();
    if note.is_empty() {
        return Err("the note may not be blank: say why the credits move (e.g. --note \"Refund: duplicate rows\")".into());
    }
    if note.chars().count() > MAX_REFUND_NOTE {
        return Err(format!("the note is at most {MAX_REFUND_NOTE} characters"));
    }
    Ok(note.to_string())
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
        Some(Command::Credits(cmd)) => credits(cmd, settings).await,
    }
}

async fn keys(cmd: KeysCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Create(args) => {
            let accounts = args.data.accounts(settings).await?;
            let (org, created) = organization(&accounts, args.org.as_deref(), &args.defaults.resolve(&settings.server)).await?;
            if created {
                eprintln!("Created organization {} ({}).", org.id, crate::local::describe(&org));
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

/// The named organization, else the oldest.
async fn existing_organization(accounts: &Accounts, org: Option<&str>) -> anyhow::Result<Organization> {
    let id = existing_org(accounts, org).await?;
    accounts.organization(&id).await?.with_context(|| format!("no organization {id} (see `quarry org list`)"))
}

async fn credits(cmd: CreditsCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        CreditsCommand::Show { data, org } => {
            let credits = data.credits(settings).await?;
            let org = existing_organization(&credits.accounts, org.as_deref()).await?;
            let balance = credits.billing.balance(&org).await?;
            let (period, counters) = credits.billing.period_counters(&org).await?;
            let shown = CreditsShown {
                object: "credits",
                organization_id: &org.id,
                monthly_credits: org.monthly_credits,
                balance,
                period: PeriodShown {
                    label: period.label(),
                    from: period.first_day().to_string(),
                    to: period.last_day().to_string(),
                    granted: counters.granted,
                    adjusted: counters.adjusted,
                    used: counters.used,
                    expired: counters.expired,
                    rollover: counters.rollover,
                },
            };
            println!("{}", serde_json::to_string(&shown)?);
            Ok(())
        }
        CreditsCommand::Adjust { data, amount, note, org } => {
            let credits = data.credits(settings).await?;
            let org = existing_organization(&credits.accounts, org.as_deref()).await?;
            let entry = credits.billing.adjust(&org, amount, &note).await?;
            let balance = credits.billing.balance(&org).await?.balance;
            eprintln!("Adjusted the credits of {} by {amount:+}: the balance is now {balance}.", org.id);
            if balance < 0 {
                eprintln!("The balance is below zero: live jobs are refused until it covers their estimate again.");
            }
            println!("{}", serde_json::to_string(&entry)?);
            Ok(())
        }
        CreditsCommand::Refund { data, job_id, note, org } => {
            let credits = data.credits(settings).await?;
            let org = existing_organization(&credits.accounts, org.as_deref()).await?;
            let refund = quarry_shared::jobs::service::refund(credits.table.as_ref(), &credits.billing, &org, &job_id, note.as_deref())
                .await
                .map_err(|e| refused(e, &org.id))?;
            let balance = credits.billing.balance(&org).await?.balance;
            eprintln!("Refunded {} credits of job {job_id} to {}: the balance is now {balance}.", refund.amount, org.id);
            println!("{}", serde_json::to_string(&refund)?);
            Ok(())
        }
        CreditsCommand::Ledger { data, org, limit } => {
            let credits = data.credits(settings).await?;
            let org = existing_organization(&credits.accounts, org.as_deref()).await?;
            let mut left = limit.unwrap_or(usize::MAX);
            let mut cursor = None;
            while left > 0 {
                let (entries, next) = credits.billing.ledger_page(&org, (None, None), Order::Desc, left.min(100), cursor).await?;
                for entry in &entries {
                    println!("{}", serde_json::to_string(entry)?);
                }
                left = left.saturating_sub(entries.len());
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            Ok(())
        }
    }
}

/// What `quarry credits show` prints: the balance and lifetime totals (as `GET /v1/account`
/// shows them), and the current month's counters.
#[derive(serde::Serialize)]
struct CreditsShown<'a> {
    object: &'static str,
    organization_id: &'a str,
    monthly_credits: u64,
    #[serde(flatten)]
    balance: Balance,
    period: PeriodShown,
}

/// The current month's counters: its grant, the operator's adjustments, what it used (net of
/// refunds), what expired in it, and the credits carried over into it.
#[derive(serde::Serialize)]
struct PeriodShown {
    label: String,
    from: String,
    to: String,
    granted: i64,
    adjusted: i64,
    used: i64,
    expired: i64,
    rollover: i64,
}

/// A domain refusal as the CLI says it.
fn refused(e: ResearchError, org_id: &str) -> anyhow::Error {
    match e {
        ResearchError::NotFound { what, id, .. } => anyhow::anyhow!("no {} {id} in organization {org_id}", what.to_lowercase()),
        ResearchError::Invalid { param, message } | ResearchError::Unprocessable { param, message } => {
            anyhow::anyhow!("--{param}: {message}")
        }
        ResearchError::Conflict(message) | ResearchError::Rejected(message) | ResearchError::InsufficientCredits(message) => {
            anyhow::anyhow!(message)
        }
        ResearchError::Store(e) => e.into(),
        other => anyhow::anyhow!("{other:?}"),
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
        OrgCommand::Create { data, name, tier, credits, limits } => {
            let name = parse_organization_name(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let overrides = limits.changes().into_iter().fold(LimitOverrides::default(), LimitOverrides::with);
            let accounts = data.accounts(settings).await?;
            let tier = tier.unwrap_or(settings.server.default_tier);
            let org = accounts.create_organization_with(&name, tier, credits.unwrap_or(settings.server.default_credits), overrides).await?;
            eprintln!(
                "Created organization {} ({}). Mint its keys with `quarry keys create --org {}`.",
                org.id,
                crate::local::describe(&org),
                org.id
            );
            println!("{}", serde_json::to_string(&OrganizationObject::from(&org))?);
            Ok(())
        }
        OrgCommand::Set { data, org, tier, credits, limits, clear_overrides } => {
            let accounts = data.accounts(settings).await?;
            let id = existing_org(&accounts, org.as_deref()).await?;
            let mut overrides: Vec<OverrideChange> =
                if clear_overrides { Limit::ALL.map(OverrideChange::Clear).to_vec() } else { Vec::new() };
            overrides.extend(limits.changes());
            let changes = OrganizationChanges { tier, monthly_credits: credits, overrides };
            let org = accounts.change_organization(&id, &changes).await?.with_context(|| format!("no organization {id}"))?;
            println!("{}", serde_json::to_string(&OrganizationObject::from(&org))?);
            Ok(())
        }
        #[cfg_attr(not(feature = "aws"), allow(unused_variables))]
        OrgCommand::Delete {
            data,
            id,
            yes_delete_all_data,
            settle_secs,
            #[cfg(feature = "aws")]
            aws_bucket,
        } => {
            anyhow::ensure!(
                yes_delete_all_data,
                "this deletes organization {id} and all of its data (keys, threads, jobs, leads, files, webhooks) with no undo: \
                 run it again with --yes-delete-all-data to go ahead"
            );
            #[cfg(feature = "aws")]
            let bucket = aws_bucket.as_deref();
            #[cfg(not(feature = "aws"))]
            let bucket = None;
            let (accounts, blobs) = data.accounts_and_blobs(settings, bucket).await?;
            let org = accounts.organization(&id).await?.with_context(|| format!("no organization {id} (see `quarry org list`)"))?;
            eprintln!(
                "Deleting organization {} ({}): its keys stop working now; waiting {settle_secs} s for running servers to let go of it…",
                org.id, org.name
            );
            let deleted = accounts
                .delete_organization(blobs.as_ref(), &id, std::time::Duration::from_secs(settle_secs))
                .await?
                .with_context(|| format!("no organization {id}"))?;
            eprintln!(
                "Deleted organization {id}: {} keys, {} jobs, {} items, {} files.",
                deleted.keys, deleted.jobs, deleted.items, deleted.blobs
            );
            println!("{}", serde_json::to_string(&deleted)?);
            Ok(())
        }
    }
}
