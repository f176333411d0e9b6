//! Reading the model's answer: unwrap the chat completion, parse its JSON, and hold a plan to the
//! same schema the rule planner's plans meet. Every failure is a readable reason (never a panic)
//! that the planner logs before falling back.

use serde::Deserialize;

use super::super::{PlanDraft, PlanRejection, PlanStep, MAX_ROWS, MAX_STEPS};

/// Longest plan or step title kept; longer ones are cut (a title is a label, not a description).
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest step task kept; longer ones are cut.
pub const MAX_TASK_CHARS: usize = 2_000;
/// Longest rejection message kept; longer ones are cut.
pub const MAX_REJECTION_CHARS: usize = 500;
/// Longest column name accepted.
pub const MAX_COLUMN_CHARS: usize = 64;
/// Most columns one step may add.
pub const MAX_COLUMNS_PER_STEP: usize = 50;
/// Dearest row of the workload table, rounded up: three people plus every deep-enrichment
/// dimension and email checks stays under 4 credits.
const MAX_CREDITS_PER_ROW: u64 = 4;
/// Largest credit estimate accepted: the row cap at the dearest per-row cost. Anything above is
/// a model error, not a plan.
pub const MAX_CREDITS_ESTIMATE: u64 = MAX_ROWS as u64 * MAX_CREDITS_PER_ROW;

/// What the model answered, once validated.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// Boxed: a plan (its criteria above all) is far larger than a rejection.
    Plan(Box<PlanDraft>),
    Rejected(PlanRejection),
}

/// The parts of a chat-completions response the planner reads.
#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: CompletionMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CompletionMessage {
    #[serde(default)]
    content: Option<String>,
}

/// The text of `choices[0].message.content` in a chat-completions response body.
pub fn completion_content(body: &[u8]) -> Result<String, String> {
    let completion: Completion = serde_json::from_slice(body).map_err(|err| format!("not a chat-completions response: {err}"))?;
    let choice = completion.choices.into_iter().next().ok_or("the response has no choices")?;
    if choice.finish_reason.as_deref() == Some("length") {
        return Err("the answer was cut off at the model's token limit".into());
    }
    choice.message.content.filter(|content| !content.trim().is_empty()).ok_or_else(|| "the answer has no content".into())
}

/// Parses the model's text as a plan or a rejection and validates it.
pub fn parse_answer(content: &str) -> Result<Answer, String> {
    let json: serde_json::Value =
        serde_json::from_str(strip_code_fence(content)).map_err(|err| format!("the answer is not JSON: {err}"))?;
    let serde_json::Value::Object(object) = json else {
        return Err("the answer is not a JSON object".into());
    };
    match object.get("rejected") {
        Some(serde_json::Value::Null) | None => parse_plan(serde_json::Value::Object(object)).map(|draft| Answer::Plan(Box::new(draft))),
        Some(rejected) => parse_rejection(rejected).map(Answer::Rejected),
    }
}

/// Models asked for bare JSON still sometimes wrap it in a Markdown fence (```json … ```).
fn strip_code_fence(content: &str) -> &str {
    let trimmed = content.trim();
    let Some(fenced) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let after_info_string = fenced.split_once('\n').map_or("", |(_, rest)| rest);
    after_info_string.trim_end().strip_suffix("```").unwrap_or(after_info_string).trim()
}

fn parse_rejection(rejected: &serde_json::Value) -> Result<PlanRejection, String> {
    let message = rejected.as_str().map(str::trim).unwrap_or_default();
    if message.is_empty() {
        return Err("a rejection must say what is missing in a non-empty \"rejected\" string".into());
    }
    Ok(PlanRejection::new(truncate_chars(message, MAX_REJECTION_CHARS)))
}

fn parse_plan(json: serde_json::Value) -> Result<PlanDraft, String> {
    let draft: PlanDraft = serde_json::from_value(json).map_err(|err| format!("the plan does not match the schema: {err}"))?;
    validate_plan(draft)
}

/// Holds a deserialized plan to the rules serde cannot express, tidying what is safely tidied
/// (whitespace, over-long text, column spelling) and refusing the rest.
///
/// Step ids are renumbered `stp_1`..`stp_n` in array order rather than checked: the array order is
/// the execution order, so the ids carry no information the model could get usefully wrong.
pub fn validate_plan(draft: PlanDraft) -> Result<PlanDraft, String> {
    if draft.steps.is_empty() || draft.steps.len() > MAX_STEPS {
        return Err(format!("a plan needs 1 to {MAX_STEPS} steps, this one has {}", draft.steps.len()));
    }
    if !(1..=MAX_CREDITS_ESTIMATE).contains(&draft.credits_estimate) {
        return Err(format!("credits_estimate {} is outside 1..={MAX_CREDITS_ESTIMATE}", draft.credits_estimate));
    }
    let title = clean_title(&draft.title).ok_or("the plan title is empty")?;
    let steps = draft.steps.into_iter().enumerate().map(|(index, step)| validate_step(index, step)).collect::<Result<_, _>>()?;
    Ok(PlanDraft { title, steps, ..draft })
}

fn validate_step(index: usize, step: PlanStep) -> Result<PlanStep, String> {
    let number = index + 1;
    let title = clean_title(&step.title).ok_or_else(|| format!("step {number} has an empty title"))?;
    let task = truncate_chars(step.task.trim(), MAX_TASK_CHARS);
    if task.is_empty() {
        return Err(format!("step {number} has an empty task"));
    }
    let expected_columns = clean_columns(&step.expected_columns).map_err(|reason| format!("step {number}: {reason}"))?;
    Ok(PlanStep { id: format!("stp_{number}"), title, intent: step.intent, task, expected_columns })
}

/// One line, single spaces, at most [`MAX_TITLE_CHARS`]; `None` when nothing is left.
fn clean_title(raw: &str) -> Option<String> {
    let single_line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(truncate_chars(&single_line, MAX_TITLE_CHARS)).filter(|title| !title.is_empty())
}

/// Normalises each column name to snake_case spelling and drops repeats, keeping order.
fn clean_columns(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_COLUMNS_PER_STEP {
        return Err(format!("{} columns is more than {MAX_COLUMNS_PER_STEP}", raw.len()));
    }
    let mut columns: Vec<String> = Vec::with_capacity(raw.len());
    for name in raw {
        let column = clean_column(name)?;
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    Ok(columns)
}

/// `"Company Name"` and `"company-name"` become `company_name`; anything that still is not a
/// lowercase identifier of at most [`MAX_COLUMN_CHARS`] is refused.
fn clean_column(raw: &str) -> Result<String, String> {
    let column: String = raw.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_lowercase() }).collect();
    let starts_with_letter = column.starts_with(|c: char| c.is_ascii_lowercase());
    let is_identifier = column.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !starts_with_letter || !is_identifier || column.len() > MAX_COLUMN_CHARS {
        return Err(format!("column {raw:?} is not a snake_case name"));
    }
    Ok(column)
}

fn truncate_chars(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect::<String>().trim_end().to_owned()
}
