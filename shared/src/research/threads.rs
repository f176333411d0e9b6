//! Threads: one research conversation each. Validation of titles and metadata lives with the
//! type, so every caller (the API, `/search`) enforces the same limits.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Caller, Research, ResearchError, ResearchResult};
use crate::accounts::org_partition;
use crate::events::{Event, EventType};
use crate::idempotency;
use crate::ids::{new_id, prefix};
use crate::jobs::JobStatus;
use crate::metadata;
use quarry_ports::clock::Timestamp;
use quarry_ports::table::query_matching;
use quarry_ports::{Condition, Item, Key, Order, Query, StoreError, Update, WriteOp};

/// Longest thread title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most threads one list request examines while filtering by `q` or `has_job_status`; a page
/// may come back short (with `has_more`) rather than scan an organization's whole history.
const MAX_EXAMINED_PER_PAGE: usize = 1_000;

pub(super) const THREAD_SK: &str = "THR#";
/// Attribute holding the lifecycle state (`active` or `deleting`); not part of the API object.
pub(super) const STATE: &str = "state";
pub(super) const ACTIVE: &str = "active";
pub(super) const DELETING: &str = "deleting";

/// The thread object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Thread {
    pub id: String,
    #[schema(example = "thread")]
    pub object: String,
    /// Given on create or update, else drafted from the first message; `null` until then.
    pub title: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// User and assistant messages in the thread.
    pub message_count: u64,
    pub last_job_id: Option<String>,
    /// Status of the last job (what `has_job_status` filters on). Additive field.
    pub last_job_status: Option<JobStatus>,
    /// Up to 50 string pairs for the caller's own joining keys.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
}

/// A thread as stored: the object plus its lifecycle state.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredThread {
    #[serde(flatten)]
    pub thread: Thread,
    pub state: String,
    /// The mode of the key that created it: only keys of that mode see the thread (and, through
    /// it, its messages, plans and jobs). Threads stored before modes were separated count as live.
    #[serde(default = "crate::accounts::live_by_default")]
    pub livemode: bool,
}

/// What `DELETE /v1/threads/{id}` answers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeletedThread {
    pub id: String,
    #[schema(example = "thread")]
    pub object: &'static str,
    pub deleted: bool,
    /// Jobs that were asked to stop first (`?force=true`).
    pub stopped_job_ids: Vec<String>,
}

/// Fields of a new thread.
#[derive(Clone, Debug, Default)]
pub struct NewThread {
    pub title: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

/// A partial update: absent fields are left alone. In `metadata`, a key set to `null` is removed
/// and other keys are added or replaced (merge semantics), so callers can change one key without
/// resending the rest.
#[derive(Clone, Debug, Default)]
pub struct ThreadPatch {
    pub title: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

/// Filters of `GET /v1/threads`.
#[derive(Clone, Debug, Default)]
pub struct ThreadFilter {
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    /// Threads whose last job has one of these statuses.
    pub job_statuses: Vec<JobStatus>,
}

impl ThreadFilter {
    /// The filter of a title text `q` and a comma-separated `has_job_status`; a bad status is an
    /// `Invalid` naming `has_job_status`.
    pub fn parse(q: Option<&str>, has_job_status: Option<&str>) -> ResearchResult<ThreadFilter> {
        if q.is_some_and(|q| q.chars().count() > MAX_TITLE_CHARS) {
            return Err(ResearchError::invalid("q", format!("`q` is at most {MAX_TITLE_CHARS} characters (a title is no longer).")));
        }
        Ok(ThreadFilter {
            q: q.map(str::trim).filter(|q| !q.is_empty()).map(str::to_string),
            job_statuses: has_job_status.map(|raw| JobStatus::parse_list("has_job_status", raw)).transpose()?.unwrap_or_default(),
        })
    }

    fn keeps(&self, thread: &Thread) -> bool {
        let title_ok = match &self.q {
            None => true,
            Some(q) => thread.title.as_deref().is_some_and(|t| t.to_lowercase().contains(&q.to_lowercase())),
        };
        let status_ok = self.job_statuses.is_empty() || thread.last_job_status.is_some_and(|s| self.job_statuses.contains(&s));
        title_ok && status_ok
    }
}

/// Checks a title: trimmed, 1–200 characters.
pub(super) fn validate_title(raw: &str) -> ResearchResult<String> {
    if raw.is_empty() || raw.chars().count() > MAX_TITLE_CHARS {
        return Err(ResearchError::invalid("title", format!("`title` must be 1 to {MAX_TITLE_CHARS} characters.")));
    }
    let title = raw.trim();
    if title.is_empty() {
        return Err(ResearchError::unprocessable("title", "`title` is blank; give the thread a name, or leave `title` out."));
    }
    Ok(title.to_string())
}

pub(super) fn thread_key(org_id: &str, thread_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{THREAD_SK}{thread_id}"))
}

/// Reads a stored thread of the caller's organization and mode, whatever its state; a thread of
/// the other mode is as absent as one of another organization.
pub(super) async fn load(research: &Research, caller: &Caller, thread_id: &str) -> ResearchResult<Option<StoredThread>> {
    if !crate::ids::has_prefix(thread_id, prefix::THREAD) {
        return Ok(None);
    }
    let Some(item) = research.table.get(&thread_key(&caller.org_id, thread_id)).await? else { return Ok(None) };
    let stored: StoredThread = item.to_record()?;
    Ok((stored.livemode == caller.livemode).then_some(stored))
}

/// Reads an active thread of the caller, or 404.
pub(super) async fn load_active(research: &Research, caller: &Caller, thread_id: &str) -> ResearchResult<Thread> {
    match load(research, caller, thread_id).await? {
        Some(stored) if stored.state == ACTIVE => Ok(stored.thread),
        _ => Err(ResearchError::thread_not_found(thread_id)),
    }
}

/// The idempotency step of creating a thread.
const STEP_CREATE_THREAD: &str = "thread";

impl Research {
    /// Creates a thread and records `thread.created`.
    pub async fn create_thread(&self, caller: &Caller, new: NewThread) -> ResearchResult<Thread> {
        if let Some(thread) = idempotency::recovered(STEP_CREATE_THREAD) {
            return Ok(thread);
        }
        let title = new.title.as_deref().map(validate_title).transpose()?;
        let metadata = new.metadata.unwrap_or_default();
        metadata::validate(&metadata, false)?;
        let now = self.now();
        let thread = Thread {
            id: new_id(prefix::THREAD),
            object: "thread".into(),
            title,
            created_at: now,
            updated_at: now,
            message_count: 0,
            last_job_id: None,
            last_job_status: None,
            metadata,
        };
        let stored = StoredThread { thread: thread.clone(), state: ACTIVE.into(), livemode: caller.livemode };
        let put = WriteOp::Put { item: Item::from_record(thread_key(&caller.org_id, &thread.id), &stored)?, condition: Condition::Absent };
        let event = Event::new(EventType::ThreadCreated, &thread, caller.livemode, now)?;
        let [event, marker] = event.record_ops(&caller.org_id)?;
        let ops = idempotency::with_outcome(vec![put, event, marker], STEP_CREATE_THREAD, &thread)?;
        self.table.transact(ops).await?;
        crate::events::nudge_fan_out(self.notifications.as_ref()).await;
        Ok(thread)
    }

    /// An active thread of the caller.
    pub async fn thread(&self, caller: &Caller, thread_id: &str) -> ResearchResult<Thread> {
        load_active(self, caller, thread_id).await
    }

    /// One page of the caller's threads (its organization and mode), newest first by default,
    /// filtered.
    pub async fn list_threads(
        &self,
        caller: &Caller,
        filter: &ThreadFilter,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Thread>, Option<String>)> {
        let base = Query::partition(org_partition(&caller.org_id)).prefix(THREAD_SK).order(order).cursor(cursor);
        let keep = |item: &Item| -> quarry_ports::StoreResult<Option<Thread>> {
            let stored: StoredThread = item.to_record()?;
            let shown = stored.state == ACTIVE && stored.livemode == caller.livemode && filter.keeps(&stored.thread);
            Ok(shown.then_some(stored.thread))
        };
        Ok(query_matching(self.table.as_ref(), base, limit, MAX_EXAMINED_PER_PAGE, keep).await?)
    }

    /// Applies a patch to an active thread.
    pub async fn update_thread(&self, caller: &Caller, thread_id: &str, patch: ThreadPatch) -> ResearchResult<Thread> {
        let current = load_active(self, caller, thread_id).await?;
        let mut update = Update::new().set("updated_at", self.now().to_string());
        if let Some(title) = patch.title.as_deref() {
            update = update.set("title", validate_title(title)?);
        }
        if let Some(changes) = patch.metadata {
            update = update.set("metadata", Value::Object(metadata::merge(&current.metadata, changes)?));
        }
        match self.table.update(&thread_key(&caller.org_id, thread_id), update, Condition::equals(STATE, ACTIVE)).await {
            Ok(item) => Ok(item.to_record::<StoredThread>()?.thread),
            Err(StoreError::ConditionFailed) => Err(ResearchError::thread_not_found(thread_id)),
            Err(e) => Err(e.into()),
        }
    }
}
