//! Everything an operator configures, in one struct read once when a process starts.
//!
//! [`Settings::from_env`] reads every `QUARRY_*` variable of the README's configuration table
//! ([`Settings::VARIABLES`]) and checks it; a bad value stops the start with a sentence naming the
//! variable and what it accepts (all problems at once). The local server and every Lambda entry
//! then pass the struct down (`AppState::new`, `Worker::new`); nothing else reads the
//! environment. Values are trimmed, and an empty value counts as unset.
//!
//! The AWS resource names are read here too but required only where they are used:
//! [`Settings::aws`] names each one missing, so the local server never needs them.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use quarry_engine::net::{host_overrides_from_lookup, HostOverrides, TargetPolicy, RESOLVE_ENV};
use quarry_engine::search::brave::BraveConfig;
use quarry_engine::search::SearchConfig;
use quarry_planner::LlmConfig;
use quarry_ports::storage::AwsResources;

use crate::accounts::{Limit, LimitOverrides, OverrideChange, Tier};
use crate::jobs::web::{WebSettings, ENV_DISCOVERY_SOURCES, ENV_DNS_SERVERS, ENV_OVERPASS_URL, ENV_VERIFY_EMAILS, ENV_WIKIDATA_URL};

/// The settings of a Quarry process, grouped by concern.
#[derive(Clone)]
pub struct Settings {
    /// The local server and the CLI (`quarry`): listen address, data directory, defaults.
    pub server: ServerSettings,
    /// `QUARRY_LOG`: the log filter, in `tracing`'s env-filter syntax (checked, default `info`).
    pub log_filter: String,
    /// Which addresses outbound requests may reach, and pinned host addresses.
    pub outbound: OutboundSettings,
    /// `QUARRY_LLM_*`: the optional LLM planner; `None` plans with the rules alone.
    pub planner: Option<LlmConfig>,
    /// Email verification (`QUARRY_VERIFY_EMAILS`, `QUARRY_DNS_SERVERS`) and web search
    /// (`QUARRY_SEARCH_*`) for live jobs.
    pub web: WebSettings,
    /// The AWS resource names, as given; see [`Settings::aws`].
    pub aws: AwsSettings,
    /// [`Settings::ENV_ARTIFACT_RETENTION_DAYS`]: days an artifact file is kept after it is
    /// written (the bucket's lifecycle rule on AWS, the local server's sweep); default 90.
    pub artifact_retention_days: u32,
}

/// Settings of the local server and the CLI. Their flags (`--addr`, `--data-dir`, …) override them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    /// [`Self::ENV_ADDR`], default [`Self::DEFAULT_ADDR`].
    pub addr: SocketAddr,
    /// [`Self::ENV_DATA_DIR`], default [`Self::DEFAULT_DATA_DIR`].
    pub data_dir: PathBuf,
    /// [`Self::ENV_PUBLIC_URL`]; `None` means `http://<addr>`.
    pub public_url: Option<String>,
    /// [`Self::ENV_DEFAULT_TIER`], default [`Tier::Scale`].
    pub default_tier: Tier,
    /// [`Self::ENV_DEFAULT_CREDITS`], default [`Self::DEFAULT_CREDITS`].
    pub default_credits: u64,
    /// [`Self::default_limit_env`] of each limit: overrides of the tier's limits given to an
    /// organization created automatically; none by default.
    pub default_overrides: LimitOverrides,
    /// [`Self::ENV_SEARCH_WAIT_SECS`], default [`Self::DEFAULT_SEARCH_WAIT`]: how long a
    /// `wait: sync` search of `quarry serve` waits for its job (Lambdas wait 25 s, inside API
    /// Gateway's 29 s).
    pub search_wait: std::time::Duration,
}

impl ServerSettings {
    /// The address `quarry serve` listens on.
    pub const ENV_ADDR: &'static str = "QUARRY_ADDR";
    /// Where the embedded store lives.
    pub const ENV_DATA_DIR: &'static str = "QUARRY_DATA_DIR";
    /// The URL clients reach the server at (the base of signed download links).
    pub const ENV_PUBLIC_URL: &'static str = "QUARRY_PUBLIC_URL";
    /// Tier of an organization created automatically.
    pub const ENV_DEFAULT_TIER: &'static str = "QUARRY_DEFAULT_TIER";
    /// Monthly credit allowance of an organization created automatically.
    pub const ENV_DEFAULT_CREDITS: &'static str = "QUARRY_DEFAULT_CREDITS";
    /// Requests a minute of an organization created automatically (instead of its tier's).
    pub const ENV_DEFAULT_REQUESTS_PER_MINUTE: &'static str = "QUARRY_DEFAULT_REQUESTS_PER_MINUTE";
    /// Concurrent jobs of an organization created automatically.
    pub const ENV_DEFAULT_CONCURRENT_JOBS: &'static str = "QUARRY_DEFAULT_CONCURRENT_JOBS";
    /// Plans a day (or `unlimited`) of an organization created automatically.
    pub const ENV_DEFAULT_PLANS_PER_DAY: &'static str = "QUARRY_DEFAULT_PLANS_PER_DAY";
    /// Open event streams of an organization created automatically.
    pub const ENV_DEFAULT_SSE_CONNECTIONS: &'static str = "QUARRY_DEFAULT_SSE_CONNECTIONS";
    /// Longest wait of a sync search on the local server, in seconds.
    pub const ENV_SEARCH_WAIT_SECS: &'static str = "QUARRY_SEARCH_WAIT_SECS";
    /// Default of [`Self::ENV_SEARCH_WAIT_SECS`]: two minutes, the time a 2,000-row test job takes
    /// with room to spare.
    pub const DEFAULT_SEARCH_WAIT: std::time::Duration = std::time::Duration::from_secs(120);
    /// Longest accepted [`Self::ENV_SEARCH_WAIT_SECS`].
    pub const MAX_SEARCH_WAIT_SECS: u64 = 3_600;

    /// Default of [`Self::ENV_ADDR`].
    pub const DEFAULT_ADDR: &'static str = "127.0.0.1:8080";
    /// Default of [`Self::ENV_DATA_DIR`], relative to the working directory.
    pub const DEFAULT_DATA_DIR: &'static str = ".quarry";
    /// Default of [`Self::ENV_DEFAULT_TIER`].
    pub const DEFAULT_TIER: Tier = Tier::Scale;
    /// Default of [`Self::ENV_DEFAULT_CREDITS`].
    pub const DEFAULT_CREDITS: u64 = 1_000_000;

    /// The variable that overrides `limit` for an organization created automatically.
    pub fn default_limit_env(limit: Limit) -> &'static str {
        match limit {
            Limit::RequestsPerMinute => Self::ENV_DEFAULT_REQUESTS_PER_MINUTE,
            Limit::ConcurrentJobs => Self::ENV_DEFAULT_CONCURRENT_JOBS,
            Limit::PlansPerDay => Self::ENV_DEFAULT_PLANS_PER_DAY,
            Limit::SseConnections => Self::ENV_DEFAULT_SSE_CONNECTIONS,
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            addr: Self::DEFAULT_ADDR.parse().expect("the default address parses"),
            data_dir: PathBuf::from(Self::DEFAULT_DATA_DIR),
            public_url: None,
            default_tier: Self::DEFAULT_TIER,
            default_credits: Self::DEFAULT_CREDITS,
            default_overrides: LimitOverrides::default(),
            search_wait: Self::DEFAULT_SEARCH_WAIT,
        }
    }
}

/// What outbound requests (seed files, crawls, webhook deliveries) may reach.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboundSettings {
    /// `QUARRY_ALLOW_PRIVATE_TARGETS`: public addresses only unless `true`.
    pub policy: TargetPolicy,
    /// `QUARRY_RESOLVE`: host names pinned to addresses (still judged by `policy`).
    pub hosts: HostOverrides,
}

/// The AWS resource names as the environment gives them (none is required until
/// [`AwsSettings::require`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// `QUARRY_TABLE` (also the CLI's `--aws-table`).
    pub table: Option<String>,
    /// `QUARRY_BUCKET`.
    pub bucket: Option<String>,
    /// `QUARRY_STEPS_QUEUE_URL`.
    pub steps_queue_url: Option<String>,
    /// `QUARRY_DELIVERIES_QUEUE_URL`.
    pub deliveries_queue_url: Option<String>,
    /// `QUARRY_AWS_ENDPOINT_URL`: an AWS emulator instead of AWS.
    pub endpoint_url: Option<String>,
}

impl AwsSettings {
    /// The resources a Lambda function runs on; `Err` names each missing variable.
    pub fn require(&self) -> Result<AwsResources, SettingsError> {
        AwsResources::from_lookup(|name| self.get(name).clone()).map_err(SettingsError::one)
    }

    fn get(&self, name: &str) -> &Option<String> {
        match name {
            AwsResources::ENV_TABLE => &self.table,
            AwsResources::ENV_BUCKET => &self.bucket,
            AwsResources::ENV_STEPS_QUEUE_URL => &self.steps_queue_url,
            AwsResources::ENV_DELIVERIES_QUEUE_URL => &self.deliveries_queue_url,
            AwsResources::ENV_ENDPOINT_URL => &self.endpoint_url,
            _ => &None,
        }
    }
}

/// What is wrong with the settings: one sentence per problem, each naming its variable.
#[derive(Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub problems: Vec<String>,
}

impl SettingsError {
    fn one(problem: String) -> Self {
        SettingsError { problems: vec![problem] }
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => f.write_str(one),
            many => write!(f, "{} settings are wrong: {}", many.len(), many.join("; ")),
        }
    }
}

/// The message itself, so a `main` returning the error prints a readable line.
impl fmt::Debug for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// The log filter when `QUARRY_LOG` is unset.
    pub const DEFAULT_LOG_FILTER: &'static str = "info";
    /// The log filter.
    pub const ENV_LOG: &'static str = "QUARRY_LOG";
    /// Days artifact files are kept (on AWS, set from the template's `ArtifactRetentionDays`).
    pub const ENV_ARTIFACT_RETENTION_DAYS: &'static str = "QUARRY_ARTIFACT_RETENTION_DAYS";
    /// The retention of artifact files when it is not set.
    pub const DEFAULT_ARTIFACT_RETENTION_DAYS: u32 = crate::jobs::artifact::DEFAULT_RETENTION_DAYS;

    /// Every variable the settings read (the README's configuration table lists the same).
    pub const VARIABLES: &'static [&'static str] = &[
        ServerSettings::ENV_ADDR,
        ServerSettings::ENV_DATA_DIR,
        ServerSettings::ENV_PUBLIC_URL,
        ServerSettings::ENV_DEFAULT_TIER,
        ServerSettings::ENV_DEFAULT_CREDITS,
        ServerSettings::ENV_DEFAULT_REQUESTS_PER_MINUTE,
        ServerSettings::ENV_DEFAULT_CONCURRENT_JOBS,
        ServerSettings::ENV_DEFAULT_PLANS_PER_DAY,
        ServerSettings::ENV_DEFAULT_SSE_CONNECTIONS,
        ServerSettings::ENV_SEARCH_WAIT_SECS,
        Settings::ENV_LOG,
        Settings::ENV_ARTIFACT_RETENTION_DAYS,
        AwsResources::ENV_TABLE,
        AwsResources::ENV_BUCKET,
        AwsResources::ENV_STEPS_QUEUE_URL,
        AwsResources::ENV_DELIVERIES_QUEUE_URL,
        AwsResources::ENV_ENDPOINT_URL,
        LlmConfig::ENV_BASE_URL,
        LlmConfig::ENV_MODEL,
        LlmConfig::ENV_API_KEY,
        LlmConfig::ENV_TIMEOUT_SECS,
        TargetPolicy::ENV,
        RESOLVE_ENV,
        ENV_VERIFY_EMAILS,
        ENV_DNS_SERVERS,
        SearchConfig::ENV_URL,
        SearchConfig::ENV_TIMEOUT_MS,
        SearchConfig::ENV_LANGUAGE,
        SearchConfig::ENV_CATEGORIES,
        BraveConfig::ENV_API_KEY,
        BraveConfig::ENV_URL,
        ENV_DISCOVERY_SOURCES,
        ENV_WIKIDATA_URL,
        ENV_OVERPASS_URL,
    ];

    /// Reads the process environment; see [`Settings::from_lookup`].
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `lookup` (the environment, or a test's map). `Err` lists every
    /// problem found, each naming its variable and what it accepts.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let read = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let mut problems = Vec::new();
        let mut check = |result: Result<(), String>| {
            if let Err(problem) = result {
                problems.push(problem);
            }
        };

        let mut server = ServerSettings::default();
        check(server_settings(&read, &mut server));
        for limit in Limit::ALL {
            let name = ServerSettings::default_limit_env(limit);
            if let Some(raw) = read(name) {
                let parsed = limit.parse(&raw).map_err(|e| format!("{name}: {e}"));
                check(parsed.map(|value| server.default_overrides = server.default_overrides.with(OverrideChange::Set(value))));
            }
        }
        let mut log_filter = Self::DEFAULT_LOG_FILTER.to_owned();
        check(
            read(Self::ENV_LOG)
                .map_or(Ok(()), |raw| parse_log_filter(&raw).map(|()| log_filter = raw).map_err(|e| format!("{} {e}", Self::ENV_LOG))),
        );
        let mut outbound = OutboundSettings::default();
        check(TargetPolicy::try_from_lookup(&lookup).map(|policy| outbound.policy = policy));
        check(host_overrides_from_lookup(&lookup).map(|hosts| outbound.hosts = hosts));
        let mut planner = None;
        check(LlmConfig::from_lookup(&lookup).map(|config| planner = config));
        let mut web = WebSettings::default();
        check(WebSettings::from_lookup(&lookup).map(|settings| web = settings));
        let aws = AwsSettings {
            table: read(AwsResources::ENV_TABLE),
            bucket: read(AwsResources::ENV_BUCKET),
            steps_queue_url: read(AwsResources::ENV_STEPS_QUEUE_URL),
            deliveries_queue_url: read(AwsResources::ENV_DELIVERIES_QUEUE_URL),
            endpoint_url: read(AwsResources::ENV_ENDPOINT_URL),
        };

        let mut artifact_retention_days = Self::DEFAULT_ARTIFACT_RETENTION_DAYS;
        if let Some(raw) = read(Self::ENV_ARTIFACT_RETENTION_DAYS) {
            match raw.parse::<u32>() {
                Ok(days) if (1..=3650).contains(&days) => artifact_retention_days = days,
                _ => problems
                    .push(format!("{} must be a whole number of days from 1 to 3650, got {raw:?}", Self::ENV_ARTIFACT_RETENTION_DAYS)),
            }
        }
        if problems.is_empty() {
            Ok(Settings { server, log_filter, outbound, planner, web, aws, artifact_retention_days })
        } else {
            Err(SettingsError { problems })
        }
    }

    /// The AWS resources, required here: `Err` names each missing variable.
    pub fn aws(&self) -> Result<AwsResources, SettingsError> {
        self.aws.require()
    }
}

/// Hand-written: the web clients have no `Debug`, and the LLM key stays redacted.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("server", &self.server)
            .field("log_filter", &self.log_filter)
            .field("outbound", &self.outbound)
            .field("planner", &self.planner)
            .field("verify_emails", &self.web.verifier.is_some())
            .field("web_search", &self.web.search.is_some())
            .field("aws", &self.aws)
            .finish()
    }
}

/// Reads the server group into `server`, keeping the default of every variable unset. Stops at
/// the first bad value of the group.
fn server_settings(read: &impl Fn(&str) -> Option<String>, server: &mut ServerSettings) -> Result<(), String> {
    if let Some(raw) = read(ServerSettings::ENV_ADDR) {
        server.addr = raw
            .parse()
            .map_err(|_| format!("{} must be an ip:port address such as 127.0.0.1:8080, got {raw:?}", ServerSettings::ENV_ADDR))?;
    }
    if let Some(raw) = read(ServerSettings::ENV_DATA_DIR) {
        server.data_dir = PathBuf::from(raw);
    }
    if let Some(raw) = read(ServerSettings::ENV_PUBLIC_URL) {
        server.public_url = Some(parse_public_url(&raw).map_err(|e| format!("{} {e}", ServerSettings::ENV_PUBLIC_URL))?);
    }
    if let Some(raw) = read(ServerSettings::ENV_DEFAULT_TIER) {
        server.default_tier =
            raw.parse().map_err(|_| format!("{} must be starter, growth or scale, got {raw:?}", ServerSettings::ENV_DEFAULT_TIER))?;
    }
    if let Some(raw) = read(ServerSettings::ENV_DEFAULT_CREDITS) {
        server.default_credits =
            raw.parse().map_err(|_| format!("{} must be a whole number of credits, got {raw:?}", ServerSettings::ENV_DEFAULT_CREDITS))?;
    }
    if let Some(raw) = read(ServerSettings::ENV_SEARCH_WAIT_SECS) {
        let max = ServerSettings::MAX_SEARCH_WAIT_SECS;
        let secs = raw.parse::<u64>().ok().filter(|s| (1..=max).contains(s)).ok_or_else(|| {
            format!("{} must be a whole number of seconds from 1 to {max}, got {raw:?}", ServerSettings::ENV_SEARCH_WAIT_SECS)
        })?;
        server.search_wait = std::time::Duration::from_secs(secs);
    }
    Ok(())
}

/// Checks a public base URL (`QUARRY_PUBLIC_URL`, `--public-url`): absolute http or https with a
/// host. Returns it unchanged.
pub fn parse_public_url(raw: &str) -> Result<String, String> {
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(raw.to_owned()),
        _ => Err(format!("must be an http or https URL such as https://quarry.example.com, got {raw:?}")),
    }
}

/// Checks a log filter the way logging will read it.
fn parse_log_filter(raw: &str) -> Result<(), String> {
    tracing_subscriber::EnvFilter::try_new(raw)
        .map(drop)
        .map_err(|e| format!("must be a tracing filter such as info or warn,quarry_shared=debug ({e}), got {raw:?}"))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.get(name).cloned()
    }

    /// The loopback "name server" keeps the tests from depending on the system resolver.
    const DNS: (&str, &str) = (ENV_DNS_SERVERS, "127.0.0.1:5353");

    #[test]
    fn an_empty_environment_gives_the_defaults() {
        let settings = Settings::from_lookup(|_| None).expect("no variable set is fine");
        assert_eq!(settings.server, ServerSettings::default());
        assert_eq!(settings.server.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.server.data_dir, PathBuf::from(".quarry"));
        assert_eq!((settings.server.public_url.as_deref(), settings.server.default_tier), (None, Tier::Scale));
        assert_eq!(settings.server.default_credits, 1_000_000);
        assert_eq!(settings.log_filter, "info");
        assert_eq!(settings.outbound.policy, TargetPolicy::PublicOnly);
        assert!(settings.outbound.hosts.is_empty());
        assert!(settings.planner.is_none());
        assert!(settings.web.verifier.is_some(), "emails are verified by default");
        assert!(settings.web.search.is_none());
        assert_eq!(settings.aws, AwsSettings::default());
        // Blank values are unset values.
        let blank: Vec<(&str, &str)> = Settings::VARIABLES.iter().map(|name| (*name, "  ")).collect();
        let settings = Settings::from_lookup(env(&blank)).expect("blank variables are unset");
        assert_eq!(settings.server, ServerSettings::default());
        assert!(settings.planner.is_none() && settings.web.search.is_none());
    }

    #[test]
    fn every_variable_is_read() {
        let set = [
            (ServerSettings::ENV_ADDR, "0.0.0.0:9000"),
            (ServerSettings::ENV_DATA_DIR, " /var/lib/quarry "),
            (ServerSettings::ENV_PUBLIC_URL, "https://quarry.example.com"),
            (ServerSettings::ENV_DEFAULT_TIER, "Growth"),
            (ServerSettings::ENV_DEFAULT_CREDITS, "5000"),
            (ServerSettings::ENV_DEFAULT_REQUESTS_PER_MINUTE, "12000"),
            (ServerSettings::ENV_DEFAULT_CONCURRENT_JOBS, "40"),
            (ServerSettings::ENV_DEFAULT_PLANS_PER_DAY, "unlimited"),
            (ServerSettings::ENV_DEFAULT_SSE_CONNECTIONS, "500"),
            (ServerSettings::ENV_SEARCH_WAIT_SECS, "300"),
            (Settings::ENV_LOG, "warn,quarry_shared=debug"),
            (Settings::ENV_ARTIFACT_RETENTION_DAYS, "30"),
            (AwsResources::ENV_TABLE, "t"),
            (AwsResources::ENV_BUCKET, "b"),
            (AwsResources::ENV_STEPS_QUEUE_URL, "https://sqs/steps"),
            (AwsResources::ENV_DELIVERIES_QUEUE_URL, "https://sqs/deliveries"),
            (AwsResources::ENV_ENDPOINT_URL, "http://127.0.0.1:5000"),
            (LlmConfig::ENV_BASE_URL, "http://127.0.0.1:11434/v1"),
            (LlmConfig::ENV_MODEL, "llama3"),
            (LlmConfig::ENV_API_KEY, "sk-1"),
            (LlmConfig::ENV_TIMEOUT_SECS, "7"),
            (TargetPolicy::ENV, "true"),
            (RESOLVE_ENV, "kontorwerk.de=127.0.0.1"),
            (ENV_VERIFY_EMAILS, "true"),
            DNS,
            (SearchConfig::ENV_URL, "http://127.0.0.1:8888"),
            (SearchConfig::ENV_TIMEOUT_MS, "1500"),
            (SearchConfig::ENV_LANGUAGE, "de"),
            (SearchConfig::ENV_CATEGORIES, "general"),
            (BraveConfig::ENV_API_KEY, "brave-token"),
            (BraveConfig::ENV_URL, "http://127.0.0.1:8889/res/v1/web/search"),
            (ENV_DISCOVERY_SOURCES, "osm,wikidata"),
            (ENV_WIKIDATA_URL, "http://127.0.0.1:8890/sparql"),
            (ENV_OVERPASS_URL, "http://127.0.0.1:8891/api/interpreter"),
        ];
        let asked = RefCell::new(BTreeSet::new());
        let vars = env(&set);
        let settings = Settings::from_lookup(|name| {
            asked.borrow_mut().insert(name.to_string());
            vars(name)
        })
        .expect("every value is good");
        let listed: BTreeSet<String> = Settings::VARIABLES.iter().map(|name| name.to_string()).collect();
        assert_eq!(asked.into_inner(), listed, "VARIABLES lists exactly what from_lookup reads");
        assert_eq!(set.len(), listed.len());

        assert_eq!(settings.server.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(settings.server.data_dir, PathBuf::from("/var/lib/quarry"));
        assert_eq!(settings.server.public_url.as_deref(), Some("https://quarry.example.com"));
        assert_eq!((settings.server.default_tier, settings.server.default_credits), (Tier::Growth, 5000));
        assert_eq!(settings.server.search_wait.as_secs(), 300);
        let overrides = settings.server.default_overrides;
        assert_eq!(
            (overrides.requests_per_minute, overrides.concurrent_jobs, overrides.sse_connections),
            (Some(12_000), Some(40), Some(500))
        );
        assert_eq!(overrides.plans_per_day, Some(crate::accounts::LimitValue::Unlimited));
        assert_eq!(settings.artifact_retention_days, 30);
        assert_eq!(settings.log_filter, "warn,quarry_shared=debug");
        assert_eq!(settings.outbound.policy, TargetPolicy::AllowPrivate);
        assert_eq!(settings.outbound.hosts.get("kontorwerk.de"), Some(&"127.0.0.1".parse().unwrap()));
        let planner = settings.planner.as_ref().expect("the LLM planner is configured");
        assert_eq!((planner.model.as_str(), planner.timeout.as_secs()), ("llama3", 7));
        assert!(settings.web.verifier.is_some() && settings.web.search.is_some());
        let aws = settings.aws().expect("all resources named");
        assert_eq!((aws.table.as_str(), aws.endpoint_url.as_deref()), ("t", Some("http://127.0.0.1:5000")));
        assert!(!format!("{settings:?}").contains("sk-1"), "the LLM key stays out of logs");
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let search = (SearchConfig::ENV_URL, "http://127.0.0.1:8888");
        let llm = [(LlmConfig::ENV_BASE_URL, "http://127.0.0.1:11434/v1"), (LlmConfig::ENV_MODEL, "m")];
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![(ServerSettings::ENV_ADDR, "localhost")], ServerSettings::ENV_ADDR),
            (vec![(ServerSettings::ENV_PUBLIC_URL, "quarry.example.com")], ServerSettings::ENV_PUBLIC_URL),
            (vec![(ServerSettings::ENV_DEFAULT_TIER, "gold")], ServerSettings::ENV_DEFAULT_TIER),
            (vec![(ServerSettings::ENV_DEFAULT_CREDITS, "-1")], ServerSettings::ENV_DEFAULT_CREDITS),
            (vec![(ServerSettings::ENV_SEARCH_WAIT_SECS, "0")], ServerSettings::ENV_SEARCH_WAIT_SECS),
            (vec![(ServerSettings::ENV_DEFAULT_REQUESTS_PER_MINUTE, "0")], ServerSettings::ENV_DEFAULT_REQUESTS_PER_MINUTE),
            (vec![(ServerSettings::ENV_DEFAULT_CONCURRENT_JOBS, "unlimited")], ServerSettings::ENV_DEFAULT_CONCURRENT_JOBS),
            (vec![(ServerSettings::ENV_DEFAULT_PLANS_PER_DAY, "lots")], ServerSettings::ENV_DEFAULT_PLANS_PER_DAY),
            (vec![(ServerSettings::ENV_DEFAULT_SSE_CONNECTIONS, "100001")], ServerSettings::ENV_DEFAULT_SSE_CONNECTIONS),
            (vec![(Settings::ENV_ARTIFACT_RETENTION_DAYS, "0")], Settings::ENV_ARTIFACT_RETENTION_DAYS),
            (vec![(Settings::ENV_LOG, "quarry=loud")], Settings::ENV_LOG),
            (vec![(TargetPolicy::ENV, "ture")], TargetPolicy::ENV),
            (vec![(RESOLVE_ENV, "kontorwerk.de")], RESOLVE_ENV),
            (vec![(LlmConfig::ENV_BASE_URL, "api.example.com"), llm[1]], LlmConfig::ENV_BASE_URL),
            (vec![llm[0]], LlmConfig::ENV_MODEL),
            (vec![llm[0], llm[1], (LlmConfig::ENV_TIMEOUT_SECS, "abc")], LlmConfig::ENV_TIMEOUT_SECS),
            (vec![(ENV_VERIFY_EMAILS, "maybe")], ENV_VERIFY_EMAILS),
            (vec![(ENV_DNS_SERVERS, "resolver")], ENV_DNS_SERVERS),
            (vec![(SearchConfig::ENV_URL, "ftp://search.example")], SearchConfig::ENV_URL),
            (vec![search, (SearchConfig::ENV_TIMEOUT_MS, "soon")], SearchConfig::ENV_TIMEOUT_MS),
        ];
        for (mut vars, culprit) in cases {
            if !vars.iter().any(|(name, _)| *name == ENV_DNS_SERVERS) {
                vars.push(DNS);
            }
            let error = Settings::from_lookup(env(&vars)).err().unwrap_or_else(|| panic!("{vars:?} is accepted"));
            assert_eq!(error.problems.len(), 1, "{error}");
            assert!(error.to_string().contains(culprit), "{vars:?}: {error}");
        }
        let error =
            Settings::from_lookup(env(&[DNS, (LlmConfig::ENV_BASE_URL, "http://llm"), (LlmConfig::ENV_TIMEOUT_SECS, "0")])).unwrap_err();
        assert_eq!(error.to_string(), "QUARRY_LLM_BASE_URL is set but QUARRY_LLM_MODEL is not; name the model to use");
        let error = Settings::from_lookup(env(&[DNS, llm[0], llm[1], (LlmConfig::ENV_TIMEOUT_SECS, "abc")])).unwrap_err();
        assert_eq!(error.to_string(), "QUARRY_LLM_TIMEOUT_SECS must be a whole number of seconds from 1 to 600, got \"abc\"");
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let error = Settings::from_lookup(env(&[
            (ServerSettings::ENV_ADDR, "nowhere"),
            (TargetPolicy::ENV, "maybe"),
            (ENV_VERIFY_EMAILS, "maybe"),
            (LlmConfig::ENV_BASE_URL, "http://llm"),
        ]))
        .expect_err("four problems");
        let message = error.to_string();
        assert!(message.starts_with("4 settings are wrong: "), "{message}");
        for name in [ServerSettings::ENV_ADDR, TargetPolicy::ENV, ENV_VERIFY_EMAILS, LlmConfig::ENV_MODEL] {
            assert!(message.contains(name), "{name}: {message}");
        }
        assert_eq!(format!("{error:?}"), message, "a main returning the error prints the sentence");
    }

    #[test]
    fn aws_resources_are_required_only_when_asked_for() {
        let local = Settings::from_lookup(env(&[DNS])).expect("the local server needs no AWS resource");
        let error = local.aws().unwrap_err().to_string();
        for name in ["QUARRY_TABLE", "QUARRY_BUCKET", "QUARRY_STEPS_QUEUE_URL", "QUARRY_DELIVERIES_QUEUE_URL"] {
            assert!(error.contains(name), "{name}: {error}");
        }
        assert!(!error.contains(AwsResources::ENV_ENDPOINT_URL), "the emulator is optional: {error}");

        let partial = Settings::from_lookup(env(&[DNS, (AwsResources::ENV_TABLE, "t"), (AwsResources::ENV_BUCKET, " ")])).unwrap();
        let error = partial.aws().unwrap_err().to_string();
        assert!(!error.contains("QUARRY_TABLE") && error.contains("QUARRY_BUCKET"), "{error}");

        let lambda = Settings::from_lookup(env(&[
            DNS,
            (AwsResources::ENV_TABLE, "t"),
            (AwsResources::ENV_BUCKET, "b"),
            (AwsResources::ENV_STEPS_QUEUE_URL, "s"),
            (AwsResources::ENV_DELIVERIES_QUEUE_URL, "d"),
        ]))
        .unwrap();
        let resources = lambda.aws().expect("all four named");
        assert_eq!(
            resources,
            AwsResources {
                table: "t".into(),
                bucket: "b".into(),
                steps_queue_url: "s".into(),
                deliveries_queue_url: "d".into(),
                endpoint_url: None
            }
        );
    }

    /// The README's configuration table and [`Settings::VARIABLES`] list the same variables
    /// (`QUARRY_TEST_AWS_ENDPOINT` is the test harness's, not a setting).
    #[test]
    fn the_readme_table_lists_every_setting() {
        const README: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        const TESTS_ONLY: &str = "QUARRY_TEST_AWS_ENDPOINT";
        let rows: Vec<&str> = README
            .lines()
            .skip_while(|line| line.trim() != "| variable | default | used by | meaning |")
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .collect();
        assert!(rows.len() > 10, "the configuration table was not found in README.md");
        let mut documented = BTreeSet::new();
        for row in &rows {
            let mut rest = *row;
            while let Some(at) = rest.find("QUARRY_") {
                let name: String = rest[at..].chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
                rest = &rest[at + name.len()..];
                documented.insert(name.trim_end_matches('_').to_string());
            }
        }
        assert!(documented.remove(TESTS_ONLY), "the table keeps {TESTS_ONLY}, marked as tests-only");
        let tests_row = rows.iter().find(|row| row.contains(TESTS_ONLY)).unwrap();
        assert!(tests_row.contains("tests only"), "{tests_row}");
        let read: BTreeSet<String> = Settings::VARIABLES.iter().map(|name| name.to_string()).collect();
        assert_eq!(documented, read, "README.md's configuration table and Settings::VARIABLES differ");
    }
}
