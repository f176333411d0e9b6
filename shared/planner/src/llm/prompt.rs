//! What the LLM is told: the system prompt (the plan schema and the rules of a good plan) and the
//! thread's turns rendered as user messages.

use std::fmt::Write as _;

use serde::Serialize;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::super::{AttachmentKind, Criteria, PlanInput, Turn, TurnKind, MAX_ROWS, MAX_STEPS};

/// Only the latest turns are sent: enough history to refine a plan, and a bounded prompt however
/// long the thread grows (each turn may hold 8,000 characters).
pub const MAX_HISTORY_TURNS: usize = 20;

/// How feedback turns start, so the model reads them as corrections of the previous plan.
pub const FEEDBACK_PREFIX: &str = "Feedback on the previous plan (redo it with this change):";

/// One chat message of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

/// The system message followed by the thread's latest turns, oldest first.
pub fn chat_messages(system_prompt: &str, input: &PlanInput) -> Vec<ChatMessage> {
    let first_sent = input.turns.len().saturating_sub(MAX_HISTORY_TURNS);
    let turns = input.turns[first_sent..].iter().map(|turn| ChatMessage { role: "user", content: render_turn(turn) });
    std::iter::once(ChatMessage { role: "system", content: system_prompt.to_owned() }).chain(turns).collect()
}

/// A turn as the model sees it: its words, then its attachments and hints in plain lines.
fn render_turn(turn: &Turn) -> String {
    let mut text = match turn.kind {
        TurnKind::Message => turn.content.clone(),
        TurnKind::Feedback => format!("{FEEDBACK_PREFIX} {}", turn.content),
    };
    for attachment in &turn.attachments {
        let _ = write!(text, "\n[attachment {}: {}]", attachment_kind(attachment.kind), attachment.url);
    }
    if let Some(max_rows) = turn.hints.max_rows {
        let _ = write!(text, "\n[hint max_rows: {max_rows}]");
    }
    if !turn.hints.preferred_sources.is_empty() {
        let _ = write!(text, "\n[hint preferred_sources: {}]", turn.hints.preferred_sources.join(", "));
    }
    text
}

/// The wire name of the kind, as the system prompt spells it.
fn attachment_kind(kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Csv => "csv",
        AttachmentKind::UrlList => "url_list",
    }
}

/// The system prompt: the planner's job, the answer schema, the step and credit rules, and the
/// JSON Schema of `criteria` generated from the [`Criteria`] type itself, so the prompt follows
/// that type as it evolves.
pub fn system_prompt() -> String {
    format!(
        "{ROLE}\n\n{ANSWER_SHAPE}\n\n{step_rules}\n\n{credit_rules}\n\n{criteria_rules}\n\n{REJECTION_RULES}",
        step_rules = step_rules(),
        credit_rules = credit_rules(),
        criteria_rules = criteria_rules(),
    )
}

const ROLE: &str = "\
You are the planner of Quarry, a B2B lead-research service. A user describes, in their own words, \
the companies and/or people they want to find. You turn that request into a research plan: an \
ordered list of typed steps that Quarry's research engine later runs on the public web. You never \
do the research yourself and never invent leads.

The conversation so far comes as user messages, oldest first. Plan for the latest message; \
earlier messages are context it builds on. A message that starts with \"Feedback on the previous \
plan\" asks you to redo your last plan with that correction and to keep everything it does not \
change. Lines like [attachment csv: URL] or [hint max_rows: N] are part of the user's request.

Reply with exactly one JSON object and no other text.";

const ANSWER_SHAPE: &str = r#"A plan has this shape (criteria is described further down):
{
  "title": "Series B cybersecurity in the Nordics: CISO contacts",
  "steps": [
    {
      "id": "stp_1",
      "title": "Find Series B cybersecurity companies in the Nordics",
      "intent": "discover",
      "task": "Search for cybersecurity companies headquartered in SE, NO, DK, FI or IS whose latest round is a Series B. Record name, domain, country, round amount and date.",
      "expected_columns": ["company_name", "domain", "country", "funding_amount", "funded_at"]
    },
    {
      "id": "stp_2",
      "title": "Find each company's CISO",
      "intent": "find_people",
      "task": "For every company, identify the Chief Information Security Officer or the closest security lead, with a profile URL.",
      "expected_columns": ["person_name", "person_title", "person_linkedin"]
    }
  ],
  "credits_estimate": 75,
  "criteria": { … }
}"#;

fn step_rules() -> String {
    format!(
        "\
Rules for a plan:
- title: one short line (at most 200 characters) naming the audience and, if any, the people sought.
- steps: 1 to {MAX_STEPS} steps in the order they run. Use as few as the request needs.
- id: \"stp_1\" for the first step, \"stp_2\" for the second, and so on without gaps.
- intent: exactly one of these values:
  - discover: find companies (or people) matching the filters, from nothing.
  - enrich: add facts to rows already in hand, e.g. firmographics, funding, tech stack, hiring, news.
  - find_people: find people in the requested roles at each company.
  - verify: check facts already gathered, typically that email addresses are deliverable.
  - scrape: read and extract data from a given list of web pages.
  - qualify: score or filter rows against a condition the user stated.
  - export: shape the final table, e.g. deduplicate and choose the columns.
- task: concrete instructions for the engine in plain words: filters, sources to prefer, what to record.
- expected_columns: the columns the step adds, as snake_case names (lowercase letters, digits and \
underscores, starting with a letter), e.g. \"company_name\", \"vp_eng_email\".
- A csv attachment is a seed list: start by enriching it instead of discovering. A url_list \
attachment starts with a scrape step. Favour preferred_sources in the tasks when given.
- A result holds at most {MAX_ROWS} rows; max_rows, when given, caps it lower."
    )
}

/// Rows the model is told to plan for when the request gives no size. Keep in step with the rule
/// planner's default so both planners estimate alike.
pub const DEFAULT_PLANNED_ROWS: u32 = 100;

fn credit_rules() -> String {
    format!(
        "\
credits_estimate is a whole number: the expected row count times the cost of one row, rounded up. \
When the user gives no size, plan for about {DEFAULT_PLANNED_ROWS} rows. Cost of one row:
- a company with no person: about 0.5 credit;
- a company with one person: 1 credit;
- a company with two or three people: about 1.75 credits;
- each deep-enrichment dimension (hiring, tech stack, funding, news): add 0.5 credit;
- each email to verify: add 0.1 credit."
    )
}

fn criteria_rules() -> String {
    format!(
        "criteria is your structured reading of the whole request. It is a JSON object that must \
validate against the \"Criteria\" definition of the JSON Schema below; \"$ref\" values point to the \
other definitions. Give every required property, using an empty list, null or false for what the \
user did not say, and no property the schema does not define.\n{}",
        criteria_schema_json()
    )
}

/// `{"Criteria": <schema>, "<Referenced>": <schema>, …}`, compact, from the type's `ToSchema`.
fn criteria_schema_json() -> String {
    let mut definitions: Vec<(String, RefOr<Schema>)> =
        vec![(<Criteria as ToSchema>::name().into_owned(), <Criteria as PartialSchema>::schema())];
    <Criteria as ToSchema>::schemas(&mut definitions);
    let definitions: serde_json::Map<String, serde_json::Value> =
        definitions.into_iter().filter_map(|(name, schema)| serde_json::to_value(schema).ok().map(|schema| (name, schema))).collect();
    serde_json::Value::Object(definitions).to_string()
}

const REJECTION_RULES: &str = r#"If the request cannot become a research plan, because it names no audience to look for, is not about finding companies or people, or seeks private individuals' personal data rather than professional contacts, reply instead with {"rejected": "<one sentence telling the user what is missing>"}. Prefer a reasonable plan over a rejection when the request is merely broad."#;
