//! The optional LLM planner: drafts plans with any OpenAI-compatible chat-completions endpoint.
//!
//! It is off unless `QUARRY_LLM_BASE_URL` is set (see [`LlmConfig`] for every variable). Each call
//! makes one request with a bounded timeout; the answer must be a plan that passes the same
//! schema as the rule planner's ([`answer::validate_plan`]) or a rejection saying what is missing.
//! Anything else (unreachable server, timeout, non-2xx status, malformed or invalid answer) is
//! logged as a warning and answered by the fallback planner instead, so a flaky model never
//! fails a request: the fallback is the retry.

mod answer;
mod config;
mod prompt;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{PlanDraft, PlanInput, PlanRejection, Planner, RulePlanner};
use answer::Answer;
pub use config::LlmConfig;

/// A server that has not accepted the connection within this long is down; give up early and
/// leave the rest of the budget to the fallback. Capped by the configured total timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest response body read. A plan is a few kilobytes; more means a misbehaving server.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// How much of an error response body is logged (at debug level) to help diagnose it.
const ERROR_BODY_LOG_CHARS: usize = 300;

/// The planner to use: the rule planner, fronted by an [`LlmPlanner`] when `config` (read once
/// at start, see [`LlmConfig::from_lookup`]) configures one.
pub fn from_config(config: Option<LlmConfig>) -> Arc<dyn Planner> {
    let rules: Arc<dyn Planner> = Arc::new(RulePlanner::new());
    match config {
        None => rules,
        Some(config) => {
            tracing::info!(base_url = %config.base_url, model = %config.model, timeout = ?config.timeout, "LLM planner enabled, falling back to rules");
            Arc::new(LlmPlanner::new(config, rules))
        }
    }
}

/// Drafts plans with an LLM and answers with `fallback` whenever the LLM cannot.
pub struct LlmPlanner {
    config: LlmConfig,
    /// Built once and shared by all calls; `None` only if the TLS stack failed to start, in which
    /// case every call goes straight to the fallback.
    client: Option<reqwest::Client>,
    system_prompt: String,
    fallback: Arc<dyn Planner>,
}

impl LlmPlanner {
    /// A planner calling the endpoint in `config`, answering with `fallback` on any failure.
    pub fn new(config: LlmConfig, fallback: Arc<dyn Planner>) -> Self {
        let client = match build_client(config.timeout) {
            Ok(client) => Some(client),
            Err(err) => {
                tracing::error!(error = %error_chain(err), "cannot build the LLM HTTP client; planning with the fallback only");
                None
            }
        };
        LlmPlanner { config, client, system_prompt: prompt::system_prompt(), fallback }
    }

    /// One request to the model, its answer parsed and validated.
    async fn ask(&self, input: &PlanInput) -> Result<Answer, String> {
        let client = self.client.as_ref().ok_or("no HTTP client")?;
        let call = async {
            let response = self.send(client, input).await?;
            let body = read_body(response).await?;
            answer::parse_answer(&answer::completion_content(&body)?)
        };
        // The client's own timeout covers the exchange; this outer one also bounds the body read
        // however the server trickles it.
        tokio::time::timeout(self.config.timeout, call).await.unwrap_or_else(|_| Err(self.timed_out()))
    }

    async fn send(&self, client: &reqwest::Client, input: &PlanInput) -> Result<reqwest::Response, String> {
        let mut request = client.post(self.config.completions_url()).json(&self.request_body(input));
        if let Some(api_key) = &self.config.api_key {
            request = request.bearer_auth(api_key);
        }
        let response = request.send().await.map_err(|err| self.describe_transport_error(err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = read_body(response).await.unwrap_or_default();
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(ERROR_BODY_LOG_CHARS).collect();
        tracing::debug!(%status, body = %excerpt, "LLM endpoint answered with an error");
        Err(format!("the endpoint answered HTTP {status}"))
    }

    /// An OpenAI-compatible chat-completions request, deterministic and in JSON mode.
    fn request_body(&self, input: &PlanInput) -> serde_json::Value {
        serde_json::json!({
            "model": self.config.model,
            "messages": prompt::chat_messages(&self.system_prompt, input),
            "temperature": 0,
            "response_format": { "type": "json_object" },
        })
    }

    fn describe_transport_error(&self, err: reqwest::Error) -> String {
        if err.is_timeout() {
            self.timed_out()
        } else if err.is_connect() {
            format!("cannot connect to the endpoint: {}", error_chain(err))
        } else {
            format!("the request failed: {}", error_chain(err))
        }
    }

    fn timed_out(&self) -> String {
        format!("no answer within {:?}", self.config.timeout)
    }
}

#[async_trait]
impl Planner for LlmPlanner {
    async fn plan(&self, input: &PlanInput) -> Result<PlanDraft, PlanRejection> {
        if input.turns.is_empty() {
            return self.fallback.plan(input).await;
        }
        let started = Instant::now();
        match self.ask(input).await {
            Ok(Answer::Plan(draft)) => {
                tracing::debug!(model = %self.config.model, elapsed = ?started.elapsed(), steps = draft.steps.len(), "LLM drafted a plan");
                // Estimates come from one formula whoever drafts: the workload table over the
                // model's reading of the request, not a number the model made up.
                let credits_estimate = RulePlanner::estimate_credits(&draft.criteria);
                Ok(PlanDraft { drafted_by: "llm", credits_estimate, ..*draft })
            }
            Ok(Answer::Rejected(rejection)) => {
                tracing::debug!(model = %self.config.model, elapsed = ?started.elapsed(), "LLM rejected the request");
                Err(rejection)
            }
            Err(reason) => {
                tracing::warn!(model = %self.config.model, elapsed = ?started.elapsed(), fallback = self.fallback.name(), %reason, "LLM planner failed; using the fallback planner");
                self.fallback.plan(input).await
            }
        }
    }

    fn name(&self) -> &'static str {
        "llm"
    }
}

fn build_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT.min(timeout)).timeout(timeout).build()
}

/// Reads the body, refusing more than [`MAX_RESPONSE_BYTES`].
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|err| format!("reading the answer failed: {}", error_chain(err)))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error and its causes on one line. reqwest's own message is terse ("error sending request");
/// the cause says what actually happened. URLs are left out: some deployments put keys in them.
fn error_chain(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
