//! Configuration of the LLM planner, read from the environment at start.

use std::fmt;
use std::time::Duration;

/// Where and how to reach the chat-completions endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct LlmConfig {
    /// Base URL without a trailing slash; see [`Self::ENV_BASE_URL`].
    pub base_url: String,
    /// Bearer token, if any; see [`Self::ENV_API_KEY`]. Never logged.
    pub api_key: Option<String>,
    /// Model name; see [`Self::ENV_MODEL`].
    pub model: String,
    /// Budget for one call, connection included; see [`Self::ENV_TIMEOUT_SECS`].
    pub timeout: Duration,
}

impl LlmConfig {
    /// Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1` or
    /// `http://localhost:11434/v1`. The planner POSTs to `{base}/chat/completions`.
    /// Unset or empty: the LLM planner is off and the rule planner works alone.
    pub const ENV_BASE_URL: &str = "QUARRY_LLM_BASE_URL";

    /// API key sent as `Authorization: Bearer <key>`. Optional: local servers usually need none.
    pub const ENV_API_KEY: &str = "QUARRY_LLM_API_KEY";

    /// Model name passed through to the API, e.g. `gpt-4o-mini`. Required when the base URL is set.
    pub const ENV_MODEL: &str = "QUARRY_LLM_MODEL";

    /// Whole seconds one LLM call may take, connection included (default [`Self::DEFAULT_TIMEOUT`]).
    pub const ENV_TIMEOUT_SECS: &str = "QUARRY_LLM_TIMEOUT_SECS";

    /// Default for [`Self::ENV_TIMEOUT_SECS`]. API Gateway cuts a request off after 29 s; the planner must
    /// leave room for the rule fallback and storage writes within that budget.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

    /// Largest accepted [`Self::ENV_TIMEOUT_SECS`]. Higher values are almost surely a unit mistake
    /// (milliseconds); a slow local model still fits in ten minutes.
    pub const MAX_TIMEOUT_SECS: u64 = 600;

    /// Reads the configuration through `lookup` (the process environment, read once at start, or
    /// a test's map). Values are trimmed; an empty value counts as unset.
    ///
    /// `Ok(None)` when [`Self::ENV_BASE_URL`] is unset or empty (the LLM planner is off); `Err` with a
    /// sentence naming the variable when it is set but the rest is missing or malformed (the
    /// process then refuses to start, rather than planning with the rules alone).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<LlmConfig>, String> {
        let read = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let Some(base_url) = read(Self::ENV_BASE_URL) else {
            return Ok(None);
        };
        let base_url = parse_base_url(&base_url)?;
        let model = read(Self::ENV_MODEL)
            .ok_or_else(|| format!("{} is set but {} is not; name the model to use", Self::ENV_BASE_URL, Self::ENV_MODEL))?;
        let timeout = match read(Self::ENV_TIMEOUT_SECS) {
            Some(raw) => parse_timeout(&raw)?,
            None => Self::DEFAULT_TIMEOUT,
        };
        Ok(Some(LlmConfig { base_url, api_key: read(Self::ENV_API_KEY), model, timeout }))
    }

    /// The endpoint the planner POSTs to.
    pub fn completions_url(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }
}

/// Checks the base URL is an absolute http(s) URL and drops trailing slashes, so joining
/// `/chat/completions` never doubles one.
/// Errors leave the value out: some deployments put keys in the URL.
fn parse_base_url(raw: &str) -> Result<String, String> {
    let name = LlmConfig::ENV_BASE_URL;
    let url =
        reqwest::Url::parse(raw).map_err(|err| format!("{name} must be an http or https URL such as https://api.openai.com/v1 ({err})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{name} must be an http or https URL, not {}:", url.scheme()));
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

fn parse_timeout(raw: &str) -> Result<Duration, String> {
    let (name, max) = (LlmConfig::ENV_TIMEOUT_SECS, LlmConfig::MAX_TIMEOUT_SECS);
    match raw.parse::<u64>() {
        Ok(secs @ 1..=LlmConfig::MAX_TIMEOUT_SECS) => Ok(Duration::from_secs(secs)),
        _ => Err(format!("{name} must be a whole number of seconds from 1 to {max}, got {raw:?}")),
    }
}

/// Hand-written so the API key never reaches a log line.
impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}
