//! The planner's inputs and outputs: what a thread asks for, and the plan drafted from it.
//!
//! These types are the contract between the HTTP layer (which stores plans and answers with
//! them), the rule-based planner and the optional LLM planner. `Criteria` is the structured
//! reading of the request; it is part of the plan object (an additive field over the Leadex
//! contract), so clients can see how their words were understood.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Criteria;

/// Largest number of steps in a plan (the Leadex hard cap).
pub const MAX_STEPS: usize = 12;
/// Largest number of rows a plan may ask for (the artifact row cap).
pub const MAX_ROWS: u32 = 10_000;

/// Everything the planner reads: the thread's turns, oldest first. The last turn is the one being
/// answered now (a new message or replan feedback); earlier turns are the history it refines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanInput {
    pub turns: Vec<Turn>,
}

/// One user turn of a thread.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Turn {
    pub kind: TurnKind,
    pub content: String,
    pub attachments: Vec<Attachment>,
    pub hints: Hints,
}

/// What kind of turn it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TurnKind {
    /// A message posted to the thread.
    #[default]
    Message,
    /// Corrective feedback on the previous plan (`POST /v1/plans/{id}/replan`).
    Feedback,
}

/// A file the user attached to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub kind: AttachmentKind,
    /// Where the file is (http or https). One that cannot be fetched from (an internal address)
    /// is a 422.
    #[schema(max_length = 2048, pattern = "^[hH][tT][tT][pP][sS]?://")]
    pub url: String,
}

/// Supported attachment kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A seed list of companies or people to enrich.
    Csv,
    /// A list of URLs to scrape.
    UrlList,
}

/// Soft constraints sent with a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Hints {
    /// Cap on rows, 1–10,000.
    #[schema(minimum = 1, maximum = 10000)]
    pub max_rows: Option<u32>,
    /// Sources to read, in order: Quarry's own (`seed_files`, `lead_index`, `web_search`,
    /// `company_websites`) select what a live job reads; other names are kept and reported.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub preferred_sources: Vec<String>,
}

/// A drafted plan, before it is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanDraft {
    /// A short human title, e.g. "Series A FinTech in France — VP Eng & Head of Growth".
    pub title: String,
    /// 1 to 12 steps, in execution order.
    pub steps: Vec<PlanStep>,
    /// Whole credits the plan is expected to cost.
    pub credits_estimate: u64,
    /// The structured reading of the request.
    pub criteria: Criteria,
    /// Which planner drafted it (`rules`, `llm`), so a plan the LLM planner handed to its
    /// fallback is labelled truthfully. Set by the planner; never read from a model's answer.
    #[serde(skip)]
    pub drafted_by: &'static str,
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanStep {
    /// `stp_1`, `stp_2`, … in order.
    pub id: String,
    pub title: String,
    pub intent: Intent,
    /// What the step does, in plain words.
    pub task: String,
    /// Columns the step adds to the result.
    pub expected_columns: Vec<String>,
}

/// What a step does. The executor dispatches on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Discover,
    Enrich,
    FindPeople,
    Verify,
    Scrape,
    Qualify,
    Export,
}

/// Why the planner declined a request; `message` says what is missing and is shown to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRejection {
    pub message: String,
}

impl PlanRejection {
    pub fn new(message: impl Into<String>) -> Self {
        PlanRejection { message: message.into() }
    }
}

/// Turns a thread into a plan.
#[async_trait::async_trait]
pub trait Planner: Send + Sync + 'static {
    /// Drafts a plan for the last turn of `input`, reading the earlier turns as history.
    async fn plan(&self, input: &PlanInput) -> Result<PlanDraft, PlanRejection>;

    /// `rules` or `llm`, recorded on each plan.
    fn name(&self) -> &'static str;
}
