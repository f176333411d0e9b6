//! Posting a message and replanning: validate, run the planner over the thread's history, then
//! store the turn, the plan, its pending job, the assistant's reply, the thread's counters and the
//! events in one transaction.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::messages::{Message, MessageKind, Role};
use super::threads::{thread_key, Thread, ACTIVE, MAX_TITLE_CHARS, STATE};
use super::{Caller, Research, ResearchError, ResearchResult};
use crate::events::{Event, EventLog, EventType};
use crate::idempotency;
use crate::ids::{new_id, prefix};
use crate::jobs::{self, Job, JobStatus, NewJob};
use crate::plans::{Plan, PlanRejectedObject};
use quarry_planner::{Attachment, Hints, PlanDraft, PlanInput, Turn, MAX_ROWS};
use quarry_ports::{Condition, StoreError, Update, WriteOp};

/// Longest message, in characters.
pub const MAX_CONTENT_CHARS: usize = 8_000;
/// Longest replan feedback, in characters (it is stored as a message).
pub const MAX_FEEDBACK_CHARS: usize = MAX_CONTENT_CHARS;
/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 5;
use quarry_engine::net::TargetPolicy;
use quarry_engine::net::MAX_URL_CHARS;
/// Most preferred sources in the hints, and the longest name of one.
const MAX_PREFERRED_SOURCES: usize = 20;
const MAX_SOURCE_CHARS: usize = 100;

/// A user message to post.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    pub content: String,
    pub attachments: Vec<Attachment>,
    pub hints: Option<Hints>,
    pub auto_approve: bool,
}

/// The idempotency step of posting a message or replanning (one per request).
const STEP_POST: &str = "posted";

/// What posting a message (or replanning) produced.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Posted {
    /// The user's message (or the feedback, recorded as a message).
    pub message: Message,
    pub plan: Plan,
    /// The pending job the plan is attached to.
    pub job: Job,
}

fn validate_text(param: &str, text: &str, max: usize) -> ResearchResult<()> {
    let chars = text.chars().count();
    if chars == 0 || chars > max {
        return Err(ResearchError::invalid(param, format!("`{param}` must be 1 to {max} characters; got {chars}.")));
    }
    if text.trim().is_empty() {
        return Err(ResearchError::unprocessable(param, format!("`{param}` is blank; write what to change.")));
    }
    Ok(())
}

impl NewMessage {
    fn validate(&self, policy: TargetPolicy) -> ResearchResult<()> {
        if self.content.trim().is_empty() {
            // Present but blank: well-formed, nothing to research (a missing `content` is a 400).
            return Err(ResearchError::Unprocessable {
                param: "content".into(),
                message: "`content` is blank. Describe who you are looking for, e.g. \"Series A fintechs in France; pull the CTO\".".into(),
            });
        }
        validate_text("content", &self.content, MAX_CONTENT_CHARS)?;
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(ResearchError::invalid("attachments", format!("A message takes at most {MAX_ATTACHMENTS} attachments.")));
        }
        for (i, attachment) in self.attachments.iter().enumerate() {
            let param = format!("attachments[{i}].url");
            let Some(url) = quarry_engine::net::web_url(&attachment.url) else {
                let message = format!("Attachment URLs must be absolute http or https URLs of at most {MAX_URL_CHARS} characters.");
                return Err(crate::filters::url_error(&attachment.url, &param, message));
            };
            quarry_engine::net::check_target(&url, policy)
                .map_err(|reason| ResearchError::unprocessable(&param, format!("`{param}` is refused: {reason}.")))?;
        }
        if let Some(hints) = &self.hints {
            if hints.max_rows.is_some_and(|n| n == 0 || n > MAX_ROWS) {
                return Err(ResearchError::invalid("hints.max_rows", format!("`hints.max_rows` must be from 1 to {MAX_ROWS}.")));
            }
            if hints.preferred_sources.len() > MAX_PREFERRED_SOURCES
                || hints.preferred_sources.iter().any(|s| s.is_empty() || s.chars().count() > MAX_SOURCE_CHARS)
            {
                return Err(ResearchError::invalid(
                    "hints.preferred_sources",
                    format!("`hints.preferred_sources` lists at most {MAX_PREFERRED_SOURCES} names of 1 to {MAX_SOURCE_CHARS} characters."),
                ));
            }
        }
        Ok(())
    }
}

/// The assistant's reply announcing a plan.
fn announcement(plan: &Plan, job: &Job) -> String {
    let start = if job.auto_approve { "Auto-approval was requested for it." } else { "Approve the job to run it." };
    format!(
        "Drafted plan \"{}\": {} step{}, about {} credits, attached to pending job {}.{} {start}",
        plan.title,
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" },
        plan.credits_estimate,
        job.id,
        unread_caveat(&plan.criteria.unread),
    )
}

/// " Not read: "remote-first culture", "Portland"; rephrase them if they matter." — shown before
/// approval, so words the planner ignored are not silently left out of the research.
fn unread_caveat(unread: &[String]) -> String {
    if unread.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = unread.iter().map(|phrase| format!("\"{}\"", phrase.replace('"', "'"))).collect();
    format!(" Not read: {}; rephrase them if they matter.", quoted.join(", "))
}

/// Cuts a plan title down to a thread title.
fn thread_title_from(plan_title: &str) -> String {
    plan_title.chars().take(MAX_TITLE_CHARS).collect::<String>().trim().to_string()
}

impl Research {
    /// Appends a user message, drafts a plan over the whole thread and attaches it to a new
    /// pending job.
    pub async fn post_message(&self, caller: &Caller, thread_id: &str, new: NewMessage) -> ResearchResult<Posted> {
        if let Some(posted) = idempotency::recovered(STEP_POST) {
            return Ok(posted);
        }
        new.validate(self.policy)?;
        let thread = super::threads::load_active(self, caller, thread_id).await?;
        self.count_plan(caller).await?;
        let mut message = Message::new(thread_id, Role::User, MessageKind::Text, new.content, self.now());
        message.attachments = new.attachments;
        message.hints = new.hints;
        message.auto_approve = new.auto_approve;
        let history = self.all_messages(&caller.org_id, thread_id).await?;
        let turns = history.iter().chain([&message]).filter_map(Message::as_turn).collect();
        let draft = self.draft(caller, thread_id, turns, &message.content, None).await?;
        self.commit(caller, thread, message, draft, None, |_| {}).await
    }

    /// Posts a request whose plan needs no planner (a URL scrape): `content` is stored as the
    /// user's message, `draft` is the plan as the caller built it, and `shape` completes the
    /// pending job before it is stored. It does not count against the daily plan quota.
    pub(crate) async fn post_drafted(
        &self,
        caller: &Caller,
        thread_id: &str,
        content: String,
        draft: PlanDraft,
        shape: impl FnOnce(&mut Job),
    ) -> ResearchResult<Posted> {
        if let Some(posted) = idempotency::recovered(STEP_POST) {
            return Ok(posted);
        }
        let thread = super::threads::load_active(self, caller, thread_id).await?;
        let message = Message::new(thread_id, Role::User, MessageKind::Text, content, self.now());
        self.commit(caller, thread, message, draft, None, shape).await
    }

    /// Drafts a new plan for the same thread from `feedback` on `plan_id`, whose job must still be
    /// pending. The feedback is recorded as a message; the new plan gets its own pending job.
    pub async fn replan(&self, caller: &Caller, plan_id: &str, feedback: String) -> ResearchResult<Posted> {
        if let Some(posted) = idempotency::recovered(STEP_POST) {
            return Ok(posted);
        }
        validate_text("feedback", &feedback, MAX_FEEDBACK_CHARS)?;
        let previous = self.plan(caller, plan_id).await?;
        self.require_pending(&caller.org_id, &previous).await?;
        let thread = super::threads::load_active(self, caller, &previous.thread_id).await?;
        self.count_plan(caller).await?;
        let message = Message::new(&thread.id, Role::User, MessageKind::Feedback, feedback, self.now());
        // The history is the thread as it stood when the plan was drafted, then the feedback.
        let history = self.all_messages(&caller.org_id, &thread.id).await?;
        let earlier = history.iter().filter(|m| m.id <= previous.message_id);
        let turns = earlier.chain([&message]).filter_map(Message::as_turn).collect();
        let draft = self.draft(caller, &thread.id, turns, &message.content, Some(plan_id)).await?;
        self.commit(caller, thread, message, draft, Some(previous), |_| {}).await
    }

    async fn require_pending(&self, org_id: &str, plan: &Plan) -> ResearchResult<()> {
        match jobs::get(self.table.as_ref(), org_id, &plan.job_id).await? {
            Some(job) if job.status == JobStatus::Pending => Ok(()),
            Some(job) => Err(ResearchError::Conflict(format!(
                "Plan {} cannot be replanned: its job {} is {}. Only plans whose job is still pending can be replanned; post a new message to the thread instead.",
                plan.id,
                job.id,
                job.status.as_str()
            ))),
            None => Err(ResearchError::plan_not_found(&plan.id)),
        }
    }

    /// Runs the planner; a declined request is recorded as `plan.rejected` and becomes an error.
    async fn draft(
        &self,
        caller: &Caller,
        thread_id: &str,
        turns: Vec<Turn>,
        content: &str,
        replan_of: Option<&str>,
    ) -> ResearchResult<PlanDraft> {
        match self.planner.plan(&PlanInput { turns }).await {
            Ok(draft) => Ok(draft),
            Err(rejection) => {
                let now = self.now();
                let object = PlanRejectedObject {
                    object: "plan_rejection".into(),
                    thread_id: thread_id.into(),
                    content: content.into(),
                    replan_of: replan_of.map(str::to_string),
                    reason: rejection.message.clone(),
                    created_at: now,
                };
                let event = Event::new(EventType::PlanRejected, &object, caller.livemode, now)?;
                EventLog::new(self.table.as_ref()).record(&caller.org_id, &event).await?;
                crate::events::nudge_fan_out(self.notifications.as_ref()).await;
                Err(ResearchError::Rejected(rejection.message))
            }
        }
    }

    /// Stores the turn, the plan, its pending job, the reply, the thread's counters and the
    /// events, all or nothing.
    async fn commit(
        &self,
        caller: &Caller,
        thread: Thread,
        mut message: Message,
        draft: PlanDraft,
        previous: Option<Plan>,
        shape: impl FnOnce(&mut Job),
    ) -> ResearchResult<Posted> {
        let org = caller.org_id.as_str();
        let now = self.now();
        let (plan_id, job_id) = (new_id(prefix::PLAN), new_id(prefix::JOB));
        message.plan_id = Some(plan_id.clone());
        message.job_id = Some(job_id.clone());
        let plan = Plan {
            id: plan_id.clone(),
            object: "plan".into(),
            job_id: job_id.clone(),
            thread_id: thread.id.clone(),
            message_id: message.id.clone(),
            title: draft.title,
            steps: draft.steps,
            credits_estimate: draft.credits_estimate,
            criteria: draft.criteria,
            planner: if draft.drafted_by.is_empty() { self.planner.name() } else { draft.drafted_by }.into(),
            replan_of: previous.as_ref().map(|p| p.id.clone()),
            created_at: now,
        };
        let new_job = NewJob {
            thread_id: &thread.id,
            plan_id: &plan_id,
            steps: plan.steps.len(),
            credits_estimate: plan.credits_estimate,
            livemode: caller.livemode,
            auto_approve: message.auto_approve,
        };
        let mut job = Job::pending(job_id.clone(), new_job, now);
        shape(&mut job);
        let mut reply = Message::new(&thread.id, Role::Assistant, MessageKind::Plan, announcement(&plan, &job), now);
        reply.plan_id = Some(plan_id.clone());
        reply.job_id = Some(job_id.clone());

        let mut thread_update = Update::new()
            .add("message_count", 2)
            .set("updated_at", now.to_string())
            .set("last_job_id", job_id.as_str())
            .set("last_job_status", JobStatus::Pending.as_str());
        if thread.title.is_none() {
            thread_update = thread_update.set("title", thread_title_from(&plan.title));
        }
        let mut ops = vec![
            message.create_op(org)?,
            plan.create_op(org)?,
            crate::ownership::pointer_op(org, &thread.id, &format!("{}{plan_id}", crate::plans::PLAN_SK)),
            jobs::create_op(org, &job)?,
            crate::ownership::pointer_op(org, &thread.id, &format!("{}{job_id}", jobs::JOB_SK)),
            reply.create_op(org)?,
            WriteOp::Update { key: thread_key(org, &thread.id), update: thread_update, condition: Condition::equals(STATE, ACTIVE) },
        ];
        if let Some(previous) = &previous {
            // The replanned plan's job must still be pending when this commits.
            ops.push(WriteOp::Check {
                key: jobs::job_key(org, &previous.job_id),
                condition: Condition::equals("status", JobStatus::Pending.as_str()),
            });
        }
        for event in [
            Event::new(EventType::MessageCreated, &message, caller.livemode, now)?,
            Event::new(EventType::PlanCreated, &plan, caller.livemode, now)?,
            Event::new(EventType::MessageCreated, &reply, caller.livemode, now)?,
        ] {
            ops.extend(event.record_ops(org)?);
        }
        let posted = Posted { message, plan, job };
        let ops = idempotency::with_outcome(ops, STEP_POST, &posted)?;
        match self.table.transact(ops).await {
            Ok(()) => {
                crate::events::nudge_fan_out(self.notifications.as_ref()).await;
                Ok(posted)
            }
            Err(StoreError::ConditionFailed) => Err(self.explain_lost_race(org, &thread.id, previous.as_ref()).await),
            Err(e) => Err(e.into()),
        }
    }

    /// Says why a commit's condition failed: the thread went away, or the replanned job started.
    async fn explain_lost_race(&self, org_id: &str, thread_id: &str, previous: Option<&Plan>) -> ResearchError {
        if let Some(plan) = previous {
            if let Err(e) = self.require_pending(org_id, plan).await {
                return e;
            }
        }
        ResearchError::thread_not_found(thread_id)
    }
}

#[cfg(test)]
mod tests {
    use super::unread_caveat;

    #[test]
    fn the_reply_names_what_was_not_read() {
        assert_eq!(unread_caveat(&[]), "");
        let caveat = unread_caveat(&["remote-first culture".into(), "Portland".into()]);
        assert_eq!(caveat, " Not read: \"remote-first culture\", \"Portland\"; rephrase them if they matter.");
    }
}
